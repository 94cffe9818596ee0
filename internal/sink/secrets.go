package sink

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// Credential is a destination's credential (PagerDuty routing key, Slack webhook URL, webhook
// signing key): read once, cached, and read again when the destination refuses it.
type Credential interface {
	// Value returns the cached value, reading it on first use.
	Value(ctx context.Context) (string, error)
	// Refresh reads the value again when the cached one is still stale (the one the
	// destination refused) and returns the current value.
	Refresh(ctx context.Context, stale string) (string, error)
}

// secretsAPI is the part of the Secrets Manager client the credentials use.
type secretsAPI interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// secretMaxBytes is Secrets Manager's own limit on a secret value (64 KiB).
const secretMaxBytes = 64 << 10

// secretRefreshEvery is how often at most a refused credential is read again: a destination
// that keeps refusing it must not turn every alert into a GetSecretValue call.
const secretRefreshEvery = time.Minute

// secretName matches a Secrets Manager secret name; an ARN is accepted as well. It is
// compiled on first use: the counted repetition ({1,512}) expands into a large program,
// about 30 million instructions that every process start would pay.
var secretName = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[A-Za-z0-9/_+=.@-]{1,512}$`)
})

// CheckSecretID accepts a secret's ARN or name.
func CheckSecretID(id string) error {
	switch {
	case strings.HasPrefix(id, "arn:"):
		parts := strings.SplitN(id, ":", 7)
		if len(parts) != 7 || parts[2] != "secretsmanager" || parts[5] != "secret" {
			return fmt.Errorf("%q is not a Secrets Manager secret ARN", id)
		}
		return nil
	case secretName().MatchString(id):
		return nil
	}
	return fmt.Errorf("%q is neither a secret ARN nor a secret name", id)
}

// Secret is a Credential held in AWS Secrets Manager: the SecretString, either the value
// itself or a JSON object holding it under Field ({"routing_key": "..."}). It is read on
// first use and cached for the life of the container; Refresh reads it again (at most once a
// minute) after the destination refused it, so a rotated secret is picked up without a
// redeploy. It is safe for concurrent use.
type Secret struct {
	client secretsAPI
	id     string
	field  string

	mu    sync.Mutex
	value string
	read  time.Time
	now   func() time.Time
}

// NewSecret returns the credential held in secret id (an ARN or a name); field is the key to
// read when the secret is a JSON object.
func NewSecret(client secretsAPI, id, field string) (*Secret, error) {
	if err := CheckSecretID(id); err != nil {
		return nil, err
	}
	return &Secret{client: client, id: id, field: field, now: time.Now}, nil
}

// ID is the secret's ARN or name.
func (s *Secret) ID() string { return s.id }

// Value returns the cached value, reading the secret on first use.
func (s *Secret) Value(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.value != "" {
		return s.value, nil
	}
	return s.fetch(ctx)
}

// Refresh reads the secret again if the cached value is stale and was read more than a
// minute ago; it returns the current value either way.
func (s *Secret) Refresh(ctx context.Context, stale string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.value != stale || s.now().Sub(s.read) < secretRefreshEvery {
		return s.value, nil
	}
	return s.fetch(ctx)
}

func (s *Secret) fetch(ctx context.Context) (string, error) {
	out, err := s.client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(s.id)})
	if err != nil {
		return "", fmt.Errorf("read secret %s: %w", s.id, err)
	}
	v, err := secretValue(aws.ToString(out.SecretString), s.field)
	if err != nil {
		return "", fmt.Errorf("secret %s: %w", s.id, err)
	}
	s.value, s.read = v, s.now()
	return v, nil
}

// secretValue extracts the credential from a SecretString: the string itself, or the field
// of a JSON object.
func secretValue(raw, field string) (string, error) {
	if len(raw) > secretMaxBytes {
		return "", fmt.Errorf("value longer than %d bytes", secretMaxBytes)
	}
	v := strings.TrimSpace(raw)
	if strings.HasPrefix(v, "{") {
		var m map[string]any
		if err := json.Unmarshal([]byte(v), &m); err != nil {
			return "", fmt.Errorf("value looks like JSON but does not parse: %w", err)
		}
		s, ok := m[field].(string)
		if !ok {
			return "", fmt.Errorf("JSON value has no string %q", field)
		}
		v = strings.TrimSpace(s)
	}
	if v == "" {
		return "", errors.New("empty value (binary secrets are not read; store the value as SecretString)")
	}
	return v, nil
}

// withCredential calls do with the credential's value; when the destination refuses it
// (ErrDestinationAuth), it refreshes the credential and, if the value changed, calls do once
// more with the new value.
func withCredential(ctx context.Context, c Credential, do func(string) error) error {
	v, err := c.Value(ctx)
	if err != nil {
		return err
	}
	err = do(v)
	if !errors.Is(err, ErrDestinationAuth) {
		return err
	}
	nv, rerr := c.Refresh(ctx, v)
	if rerr != nil {
		return errors.Join(err, rerr)
	}
	if nv == v {
		return err
	}
	return do(nv)
}
