package function

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/trailhound/trailhound/internal/selftest"
	"github.com/trailhound/trailhound/internal/testutil"
)

// runtimeInvoker is selftest's invoke step through the Runtime API the test serves to the
// real bootstrap binary (moto does not emulate Lambda Invoke).
type runtimeInvoker struct {
	t   testing.TB
	api *runtimeAPI
}

func (r runtimeInvoker) Invoke(_ context.Context, _ string, payload []byte) ([]byte, error) {
	res := r.api.invoke(r.t, payload, 60*time.Second)
	if res.Error {
		return nil, fmt.Errorf("the function failed: %s", res.Body)
	}
	return res.Body, nil
}

// TestBootstrapSelftestAndMemberEnrichment runs the real bootstrap (Lambda build) with
// ENRICH_ROLE_NAME, moto behind every AWS call:
//  1. `detector selftest`'s checks pass against it: the canned event's alert reaches the
//     triage queue;
//  2. an event of a member account is enriched from that account's IAM, through the role
//     assumed there: the alert's enrichment names the member account's key of bob, not the
//     security account's.
func TestBootstrapSelftestAndMemberEnrichment(t *testing.T) {
	testutil.NeedTool(t, "moto_server")
	bin := buildBootstrap(t)
	env := newLambdaEnv(t)
	ctx := context.Background()
	const member, role = "222233334444", "trailhound-enrich"

	// bob in the member account (moto ties AssumeRole credentials to the role's account), and
	// another bob in the security account.
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	setup, err := sts.NewFromConfig(cfg).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::" + member + ":role/OrganizationAccountAccessRole"), RoleSessionName: aws.String("setup")})
	if err != nil {
		t.Fatal(err)
	}
	c := setup.Credentials
	memberIAM := iam.NewFromConfig(cfg, func(o *iam.Options) {
		o.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
	})
	ownIAM := iam.NewFromConfig(cfg)
	var memberKey string
	for _, client := range []*iam.Client{memberIAM, ownIAM} {
		if _, err := client.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bob")}); err != nil {
			t.Fatal(err)
		}
		k, err := client.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("bob")})
		if err != nil {
			t.Fatal(err)
		}
		if client == memberIAM {
			memberKey = aws.ToString(k.AccessKey.AccessKeyId)
		}
	}

	api := startRuntimeAPI(t)
	vars := env.functionEnv()
	vars["ENRICH_ROLE_NAME"] = role
	startFunction(t, bin, api, env.moto, vars)

	var out, errw bytes.Buffer
	o := selftest.Options{Function: "trailhound-detector", Queue: env.triageURL, Account: "123456789012", Wait: 2 * time.Minute, Nonce: selftest.NewNonce(), Now: time.Now().UTC()}
	if err := selftest.Run(ctx, runtimeInvoker{t, api}, env.sqs, o, &out, &errw); err != nil {
		t.Fatalf("selftest against the bootstrap: %v\n%s", err, errw.String())
	}
	if !strings.Contains(out.String(), "selftest passed") {
		t.Errorf("selftest output %q", out.String())
	}

	rec := fixture(t, "updateaccesskey-active-other-user.json", "member-account-event-1", memberKey)
	rec["recipientAccountId"] = member
	ui := rec["userIdentity"].(map[string]any)
	ui["accountId"], ui["arn"] = member, "arn:aws:iam::"+member+":user/alice"
	sum := decodeSummary(t, api.invoke(t, eventBridgeEvent(t, rec), 60*time.Second))
	if sum.Outcomes["alerted"] != 1 {
		t.Fatalf("member-account event: %+v, want alerted", sum)
	}
	var ctxt map[string]any
	for _, a := range env.triageAlerts(t) {
		if a.Rule.ID == "TH-IAM-001" && a.Event.Account == member {
			ctxt = a.Context
		}
	}
	if ctxt == nil {
		t.Fatal("no TH-IAM-001 alert about the member account's event in the triage queue")
	}
	if ctxt["notes"] != nil {
		t.Errorf("member-account alert notes: %v", ctxt["notes"])
	}
	enr, _ := ctxt["enrichment"].(map[string]any)
	target, _ := enr["target"].(map[string]any)
	keys, _ := target["access_keys"].(map[string]any)
	eventKey, _ := keys["event_key"].(map[string]any)
	if target["exists"] != true || eventKey["access_key_id"] != memberKey {
		t.Errorf("member-account enrichment %v, want bob of account %s with key %s", enr, member, memberKey)
	}
}
