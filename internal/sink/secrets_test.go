package sink

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// TestSecretAgainstMoto reads a credential from Secrets Manager (moto) by name and by ARN,
// caches it, and reads it again only when the destination refused the cached value and a
// minute has passed since the last read.
func TestSecretAgainstMoto(t *testing.T) {
	cfg := motoConfig(t)
	sm := secretsmanager.NewFromConfig(cfg)
	ctx := context.Background()
	created, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("trailhound/pagerduty"),
		SecretString: aws.String(`{"routing_key": "key-1"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("plain"), SecretString: aws.String(" key-plain\n")}); err != nil {
		t.Fatal(err)
	}
	calls := 0
	counting := &countingSM{api: sm, calls: &calls}
	for _, id := range []string{"trailhound/pagerduty", aws.ToString(created.ARN)} {
		calls = 0
		s, err := NewSecret(counting, id, "routing_key")
		if err != nil {
			t.Fatal(err)
		}
		clock := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
		s.now = func() time.Time { return clock }
		for range 3 {
			if v, err := s.Value(ctx); err != nil || v != "key-1" {
				t.Fatalf("%s: %q %v", id, v, err)
			}
		}
		if calls != 1 {
			t.Errorf("%s: %d GetSecretValue calls for 3 reads, want 1 (cached)", id, calls)
		}
		if _, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("trailhound/pagerduty"),
			SecretString: aws.String(`{"routing_key": "key-2"}`)}); err != nil {
			t.Fatal(err)
		}
		if v, _ := s.Value(ctx); v != "key-1" {
			t.Errorf("%s: value changed without a refresh: %q", id, v)
		}
		if v, _ := s.Refresh(ctx, "key-1"); v != "key-1" || calls != 1 {
			t.Errorf("%s: refreshed within a minute of the last read (%q, %d calls)", id, v, calls)
		}
		clock = clock.Add(2 * time.Minute)
		if v, _ := s.Refresh(ctx, "some-other-value"); v != "key-1" || calls != 1 {
			t.Errorf("%s: refreshed although the refused value is not the cached one", id)
		}
		if v, err := s.Refresh(ctx, "key-1"); err != nil || v != "key-2" || calls != 2 {
			t.Errorf("%s: refresh gave %q %v after %d calls, want key-2 after 2", id, v, err, calls)
		}
		if _, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("trailhound/pagerduty"),
			SecretString: aws.String(`{"routing_key": "key-1"}`)}); err != nil {
			t.Fatal(err)
		}
	}
	s, _ := NewSecret(sm, "plain", "routing_key")
	if v, err := s.Value(ctx); err != nil || v != "key-plain" {
		t.Errorf("plain secret: %q %v", v, err)
	}
	s, _ = NewSecret(sm, "missing", "routing_key")
	if _, err := s.Value(ctx); err == nil || !strings.Contains(err.Error(), "read secret missing") {
		t.Errorf("missing secret: %v", err)
	}
	s, _ = NewSecret(sm, "trailhound/pagerduty", "url")
	if _, err := s.Value(ctx); err == nil || !strings.Contains(err.Error(), `no string "url"`) {
		t.Errorf("wrong field: %v", err)
	}
}

type countingSM struct {
	api   secretsAPI
	calls *int
}

func (c *countingSM) GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, o ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	*c.calls++
	return c.api.GetSecretValue(ctx, in, o...)
}

func TestCheckSecretID(t *testing.T) {
	for _, id := range []string{"trailhound/pagerduty", "arn:aws:secretsmanager:us-east-1:111122223333:secret:pd-AbCdEf"} {
		if err := CheckSecretID(id); err != nil {
			t.Errorf("%s: %v", id, err)
		}
	}
	for _, id := range []string{"", "has space", "arn:aws:s3:::bucket", "arn:aws:secretsmanager:us-east-1:1:parameter:x", strings.Repeat("a", 513)} {
		if err := CheckSecretID(id); err == nil {
			t.Errorf("%q accepted", id)
		}
	}
}

func TestSecretValueForms(t *testing.T) {
	for raw, want := range map[string]string{"k": "k", " k \n": "k", `{"routing_key":"k"}`: "k"} {
		if v, err := secretValue(raw, "routing_key"); err != nil || v != want {
			t.Errorf("%q: %q %v", raw, v, err)
		}
	}
	for _, raw := range []string{"", "  ", `{"routing_key": 3}`, `{bad`, strings.Repeat("x", 65<<10)} {
		if _, err := secretValue(raw, "routing_key"); err == nil {
			t.Errorf("%.20q accepted", raw)
		}
	}
}
