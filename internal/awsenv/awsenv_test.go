package awsenv

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/trailhound/trailhound/internal/testutil"
)

// env is a getenv over a map.
func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadRegion(t *testing.T) {
	cases := map[string]struct {
		env  map[string]string
		def  string
		want string
	}{
		"AWS_REGION":                 {map[string]string{"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "us-west-2"}, "us-east-1", "eu-west-1"},
		"AWS_DEFAULT_REGION":         {map[string]string{"AWS_DEFAULT_REGION": "us-west-2"}, "us-east-1", "us-west-2"},
		"empty AWS_REGION":           {map[string]string{"AWS_REGION": "", "AWS_DEFAULT_REGION": "us-west-2"}, "", "us-west-2"},
		"caller default":             {map[string]string{}, "us-east-1", "us-east-1"},
		"none":                       {map[string]string{}, "", ""},
		"AWS_REGION over the option": {map[string]string{"AWS_REGION": "ap-south-1"}, "us-east-1", "ap-south-1"},
	}
	for name, c := range cases {
		cfg, err := Load(env(c.env), Options{DefaultRegion: c.def})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if cfg.Region != c.want {
			t.Errorf("%s: region %q, want %q", name, cfg.Region, c.want)
		}
	}
}

func TestLoadCredentials(t *testing.T) {
	ctx := context.Background()
	cfg, err := Load(env(map[string]string{
		"AWS_ACCESS_KEY_ID":     "ASIAEXAMPLE",
		"AWS_SECRET_ACCESS_KEY": "secret",
		"AWS_SESSION_TOKEN":     "token",
		"AWS_ACCOUNT_ID":        "111122223333",
	}), Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := aws.Credentials{AccessKeyID: "ASIAEXAMPLE", SecretAccessKey: "secret", SessionToken: "token", AccountID: "111122223333", Source: CredentialsSource}
	if got != want {
		t.Errorf("credentials %+v, want %+v", got, want)
	}

	// Long-term keys: no session token.
	cfg, _ = Load(env(map[string]string{"AWS_ACCESS_KEY_ID": "AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret"}), Options{})
	if got, err := cfg.Credentials.Retrieve(ctx); err != nil || got.SessionToken != "" || got.AccessKeyID != "AKIAEXAMPLE" {
		t.Errorf("long-term keys: %+v, %v", got, err)
	}

	missing := map[string]struct {
		env  map[string]string
		want []string
	}{
		"none":      {map[string]string{"AWS_SESSION_TOKEN": "token", "AWS_REGION": "us-east-1"}, []string{"AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY not set"}},
		"no secret": {map[string]string{"AWS_ACCESS_KEY_ID": "AKIAEXAMPLE"}, []string{"AWS_SECRET_ACCESS_KEY not set"}},
		"no key id": {map[string]string{"AWS_SECRET_ACCESS_KEY": "secret"}, []string{"AWS_ACCESS_KEY_ID not set"}},
	}
	for name, c := range missing {
		cfg, err := Load(env(c.env), Options{})
		if err != nil {
			t.Fatalf("%s: Load: %v (missing credentials are reported by the provider)", name, err)
		}
		_, err = cfg.Credentials.Retrieve(ctx)
		if !errors.Is(err, ErrNoCredentials) {
			t.Fatalf("%s: Retrieve: %v, want ErrNoCredentials", name, err)
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q does not say %q", name, err, w)
			}
		}
	}
}

func TestLoadEndpoint(t *testing.T) {
	ctx := context.Background()
	cfg, err := Load(env(map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:5000", "AWS_ENDPOINT_URL_SECURITYHUB": "http://127.0.0.1:5001", "AWS_ENDPOINT_URL_EVENTBRIDGE": ""}), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.BaseEndpoint == nil || *cfg.BaseEndpoint != "http://127.0.0.1:5000" {
		t.Errorf("BaseEndpoint %v, want http://127.0.0.1:5000", cfg.BaseEndpoint)
	}
	src := cfg.ConfigSources[0].(*source)
	// The SDK passes its service ID ("SecurityHub", "EventBridge", "DynamoDB").
	if u, ok, _ := src.GetServiceBaseEndpoint(ctx, "SecurityHub"); !ok || u != "http://127.0.0.1:5001" {
		t.Errorf("SecurityHub endpoint %q %t", u, ok)
	}
	if u, ok, _ := src.GetServiceBaseEndpoint(ctx, "EventBridge"); ok {
		t.Errorf("EventBridge endpoint %q: an empty variable is unset", u)
	}

	cfg, err = Load(env(map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:5000", "AWS_ENDPOINT_URL_SQS": "http://127.0.0.1:5001", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "TRUE"}), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.BaseEndpoint != nil {
		t.Errorf("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true: BaseEndpoint %q", *cfg.BaseEndpoint)
	}
	if u, ok, _ := cfg.ConfigSources[0].(*source).GetServiceBaseEndpoint(ctx, "SQS"); ok {
		t.Errorf("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true: SQS endpoint %q", u)
	}

	cfg, _ = Load(env(map[string]string{}), Options{})
	if cfg.BaseEndpoint != nil {
		t.Errorf("no endpoint set: BaseEndpoint %q", *cfg.BaseEndpoint)
	}
}

// TestLoadEndpointFlags checks AWS_USE_FIPS_ENDPOINT and AWS_USE_DUALSTACK_ENDPOINT as a
// service client resolves them from the configuration.
func TestLoadEndpointFlags(t *testing.T) {
	for _, v := range []string{"true", "false", ""} {
		cfg, err := Load(env(map[string]string{"AWS_REGION": "us-east-1", "AWS_USE_FIPS_ENDPOINT": v, "AWS_USE_DUALSTACK_ENDPOINT": v}), Options{})
		if err != nil {
			t.Fatal(err)
		}
		o := sqs.NewFromConfig(cfg).Options().EndpointOptions
		fips, dual := o.UseFIPSEndpoint == aws.FIPSEndpointStateEnabled, o.UseDualStackEndpoint == aws.DualStackEndpointStateEnabled
		if want := v == "true"; fips != want || dual != want {
			t.Errorf("%q: FIPS %v, dual-stack %v", v, o.UseFIPSEndpoint, o.UseDualStackEndpoint)
		}
	}
}

func TestLoadRetry(t *testing.T) {
	cfg, err := Load(env(map[string]string{"AWS_MAX_ATTEMPTS": "3", "AWS_RETRY_MODE": "adaptive"}), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.RetryMaxAttempts != 3 || cfg.RetryMode != aws.RetryModeAdaptive || cfg.Retryer != nil {
		t.Errorf("max attempts %d, mode %q, retryer set %t", cfg.RetryMaxAttempts, cfg.RetryMode, cfg.Retryer != nil)
	}
	if n := sqs.NewFromConfig(cfg).Options().Retryer.MaxAttempts(); n != 3 {
		t.Errorf("the SQS client's retryer makes %d attempts, want 3", n)
	}

	// With the caller's retryer, the two are not applied (as config.WithRetryer).
	mine := func() aws.Retryer { return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = 6 }) }
	cfg, err = Load(env(map[string]string{"AWS_MAX_ATTEMPTS": "3", "AWS_RETRY_MODE": "adaptive"}), Options{Retryer: mine})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.RetryMaxAttempts != 0 || cfg.RetryMode != "" || cfg.Retryer == nil {
		t.Errorf("with Options.Retryer: max attempts %d, mode %q, retryer set %t", cfg.RetryMaxAttempts, cfg.RetryMode, cfg.Retryer != nil)
	}
	if n := sqs.NewFromConfig(cfg).Options().Retryer.MaxAttempts(); n != 6 {
		t.Errorf("the SQS client's retryer makes %d attempts, want the caller's 6", n)
	}
}

func TestLoadRejectsBadValues(t *testing.T) {
	for k, v := range map[string]string{
		"AWS_MAX_ATTEMPTS":                    "three",
		"AWS_RETRY_MODE":                      "legacy",
		"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "yes",
		"AWS_USE_FIPS_ENDPOINT":               "1",
		"AWS_USE_DUALSTACK_ENDPOINT":          "on",
	} {
		// A bad value is an error even when the caller's retryer makes it moot, as in the SDK.
		_, err := Load(env(map[string]string{k: v}), Options{Retryer: func() aws.Retryer { return aws.NopRetryer{} }})
		if err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("%s=%s: got %v, want an error naming %s", k, v, err, k)
		}
	}
}

// TestLoadAgainstMoto makes real SDK calls with a loaded configuration: to moto through
// AWS_ENDPOINT_URL, through AWS_ENDPOINT_URL_SQS when AWS_ENDPOINT_URL leads nowhere, and
// without credentials (the call fails with ErrNoCredentials before it is sent).
func TestLoadAgainstMoto(t *testing.T) {
	m := testutil.StartMoto(t) // sets AWS_ENDPOINT_URL, the credentials and AWS_REGION
	ctx := context.Background()
	sqsClient := func() *sqs.Client {
		t.Helper()
		cfg, err := Load(os.Getenv, Options{})
		if err != nil {
			t.Fatal(err)
		}
		return sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.RetryMaxAttempts = 1 })
	}

	if _, err := sqsClient().CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("awsenv")}); err != nil {
		t.Fatalf("AWS_ENDPOINT_URL: %v", err)
	}

	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1") // nothing listens there
	t.Setenv("AWS_ENDPOINT_URL_SQS", m.Endpoint)
	out, err := sqsClient().ListQueues(ctx, &sqs.ListQueuesInput{})
	if err != nil {
		t.Fatalf("AWS_ENDPOINT_URL_SQS: %v", err)
	}
	if len(out.QueueUrls) != 1 || !strings.HasSuffix(out.QueueUrls[0], "/awsenv") {
		t.Errorf("queues %v, want the one created", out.QueueUrls)
	}

	t.Setenv("AWS_ACCESS_KEY_ID", "")
	_, err = sqsClient().ListQueues(ctx, &sqs.ListQueuesInput{})
	if !errors.Is(err, ErrNoCredentials) || !strings.Contains(err.Error(), "AWS_ACCESS_KEY_ID not set") {
		t.Errorf("no credentials: %v, want ErrNoCredentials naming AWS_ACCESS_KEY_ID", err)
	}
}
