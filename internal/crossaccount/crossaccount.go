// Package crossaccount owns the detector's IAM clients per AWS account. Events of the
// detector's own account are looked up with the function's own credentials; events of a
// member account of the organization with the credentials of a read-only role assumed in that
// account (STS AssumeRole; deploy/org-forwarding.yaml creates the role, trusting only the
// detector function's role). A session is cached per account and renewed before it expires.
// Without a role name, other accounts are refused with an error the enricher turns into a
// note, so a member account's user is never looked up in the wrong account.
package crossaccount

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/trailhound/trailhound/internal/enrich"
)

// Defaults for Options.
const (
	DefaultSessionName = "trailhound-enrich"
	// DefaultDuration is the shortest session STS grants: the credentials are cached and
	// renewed, so a short session only limits what a leaked one could do.
	DefaultDuration = 15 * time.Minute
	// DefaultMaxAccounts bounds the sessions kept: an organization's member accounts, not
	// whatever account ids events claim.
	DefaultMaxAccounts = 2000
)

// STSAPI is what the package calls on STS: who the detector is, and the member role.
type STSAPI interface {
	AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, optFns ...func(*sts.Options)) (*sts.AssumeRoleOutput, error)
	GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, optFns ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

// Options configure Accounts.
type Options struct {
	// Config is the function's SDK configuration (credentials, region, endpoints, retries);
	// the IAM clients of every account are made from it.
	Config aws.Config
	// STS defaults to sts.NewFromConfig(Config) (the function's region's endpoint).
	STS STSAPI
	// RoleName is the member-account role (ENRICH_ROLE_NAME); empty: own account only.
	RoleName    string
	SessionName string        // DefaultSessionName when empty
	Duration    time.Duration // DefaultDuration when zero
	MaxAccounts int           // DefaultMaxAccounts when zero
}

// Accounts implements enrich.AccountIAM.
type Accounts struct {
	cfg      aws.Config
	sts      STSAPI
	role     string
	session  string
	duration time.Duration
	max      int
	self     *iam.Client

	mu        sync.Mutex
	own       string // the detector's account, once resolved
	partition string
	members   map[string]*iam.Client
}

var _ enrich.AccountIAM = (*Accounts)(nil)

var (
	accountID = regexp.MustCompile(`^[0-9]{12}$`)
	roleName  = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
)

// New returns Accounts. It makes no AWS call: the detector's own account is resolved on
// first use (STS GetCallerIdentity, which needs no permission).
func New(o Options) (*Accounts, error) {
	if o.RoleName != "" && !roleName.MatchString(o.RoleName) {
		return nil, fmt.Errorf("role name %q: want an IAM role name (letters, digits and +=,.@_-, at most 64)", o.RoleName)
	}
	a := &Accounts{cfg: o.Config, sts: o.STS, role: o.RoleName, session: o.SessionName, duration: o.Duration, max: o.MaxAccounts,
		self: iam.NewFromConfig(o.Config), members: map[string]*iam.Client{}}
	if a.sts == nil {
		a.sts = sts.NewFromConfig(o.Config)
	}
	if a.session == "" {
		a.session = DefaultSessionName
	}
	if a.duration <= 0 {
		a.duration = DefaultDuration
	}
	if a.max <= 0 {
		a.max = DefaultMaxAccounts
	}
	return a, nil
}

// RoleARN is the member role's ARN in account.
func (a *Accounts) RoleARN(partition, account string) string {
	return fmt.Sprintf("arn:%s:iam::%s:role/%s", partition, account, a.role)
}

// IAMFor returns the IAM client for account: the function's own for its own account, the
// member role's for another account when a role is configured. The role is assumed on the
// client's first call, within that call's context.
func (a *Accounts) IAMFor(ctx context.Context, account string) (enrich.IAMAPI, error) {
	own, partition, err := a.identity(ctx)
	if err != nil {
		return nil, err
	}
	switch {
	case account == own:
		return a.self, nil
	case !accountID.MatchString(account):
		return nil, fmt.Errorf("the event names no valid account (%q): IAM lookups need the account the user belongs to", account)
	case a.role == "":
		return nil, fmt.Errorf("account %s is not this detector's account %s, and no member-account role is configured (ENRICH_ROLE_NAME)", account, own)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if c, ok := a.members[account]; ok {
		return c, nil
	}
	if len(a.members) >= a.max {
		return nil, fmt.Errorf("account %s: sessions for %d member accounts already held; no more are opened", account, a.max)
	}
	creds := aws.NewCredentialsCache(&assumeRole{sts: a.sts, arn: a.RoleARN(partition, account), session: a.session, duration: a.duration})
	c := iam.NewFromConfig(a.cfg, func(o *iam.Options) { o.Credentials = creds })
	a.members[account] = c
	return c, nil
}

// identity returns the detector's own account and partition, resolving them once; a failed
// resolution is retried on the next call.
func (a *Accounts) identity(ctx context.Context) (account, partition string, err error) {
	a.mu.Lock()
	own, part := a.own, a.partition
	a.mu.Unlock()
	if own != "" {
		return own, part, nil
	}
	out, err := a.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", "", fmt.Errorf("resolve the detector's own account: %w", err)
	}
	own = aws.ToString(out.Account)
	fields := strings.SplitN(aws.ToString(out.Arn), ":", 3)
	if !accountID.MatchString(own) || len(fields) < 3 || fields[1] == "" {
		return "", "", errors.New("resolve the detector's own account: STS GetCallerIdentity returned no account or ARN")
	}
	a.mu.Lock()
	a.own, a.partition = own, fields[1]
	a.mu.Unlock()
	return own, fields[1], nil
}

// assumeRole is the credentials provider of a member account's session. (The SDK's stscreds
// does the same; cmd/bootstrap leaves the credentials providers out, see
// internal/function/lambda_build_test.go.)
// aws.CredentialsCache calls it when the session is about to expire.
type assumeRole struct {
	sts      STSAPI
	arn      string
	session  string
	duration time.Duration
}

func (p *assumeRole) Retrieve(ctx context.Context) (aws.Credentials, error) {
	out, err := p.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(p.arn), RoleSessionName: aws.String(p.session),
		DurationSeconds: aws.Int32(int32(p.duration / time.Second))})
	if err != nil {
		return aws.Credentials{}, fmt.Errorf("assume %s: %w", p.arn, err)
	}
	c := out.Credentials
	if c == nil || c.AccessKeyId == nil || c.SecretAccessKey == nil {
		return aws.Credentials{}, fmt.Errorf("assume %s: STS returned no credentials", p.arn)
	}
	creds := aws.Credentials{AccessKeyID: aws.ToString(c.AccessKeyId), SecretAccessKey: aws.ToString(c.SecretAccessKey),
		SessionToken: aws.ToString(c.SessionToken), Source: "crossaccount"}
	if c.Expiration != nil {
		creds.CanExpire, creds.Expires = true, *c.Expiration
	}
	if out.AssumedRoleUser != nil {
		if f := strings.SplitN(aws.ToString(out.AssumedRoleUser.Arn), ":", 6); len(f) == 6 {
			creds.AccountID = f[4]
		}
	}
	return creds, nil
}
