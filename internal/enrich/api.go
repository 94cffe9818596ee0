package enrich

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// Each lookup depends only on the IAM operations it calls. Every one of them is read-only
// (List*, Get*); the enricher never writes to IAM.

type accessKeysAPI interface {
	ListAccessKeys(ctx context.Context, in *iam.ListAccessKeysInput, optFns ...func(*iam.Options)) (*iam.ListAccessKeysOutput, error)
}

type accessKeyLastUsedAPI interface {
	GetAccessKeyLastUsed(ctx context.Context, in *iam.GetAccessKeyLastUsedInput, optFns ...func(*iam.Options)) (*iam.GetAccessKeyLastUsedOutput, error)
}

type mfaAPI interface {
	ListMFADevices(ctx context.Context, in *iam.ListMFADevicesInput, optFns ...func(*iam.Options)) (*iam.ListMFADevicesOutput, error)
}

type loginProfileAPI interface {
	GetLoginProfile(ctx context.Context, in *iam.GetLoginProfileInput, optFns ...func(*iam.Options)) (*iam.GetLoginProfileOutput, error)
}

type tagsAPI interface {
	ListUserTags(ctx context.Context, in *iam.ListUserTagsInput, optFns ...func(*iam.Options)) (*iam.ListUserTagsOutput, error)
}

// policiesAPI is what the administrator check reads: the user's groups, the managed and
// inline policies of the user and of each group, and customer managed policy documents.
type policiesAPI interface {
	iam.ListGroupsForUserAPIClient
	iam.ListAttachedUserPoliciesAPIClient
	iam.ListUserPoliciesAPIClient
	iam.ListAttachedGroupPoliciesAPIClient
	iam.ListGroupPoliciesAPIClient
	GetUserPolicy(ctx context.Context, in *iam.GetUserPolicyInput, optFns ...func(*iam.Options)) (*iam.GetUserPolicyOutput, error)
	GetGroupPolicy(ctx context.Context, in *iam.GetGroupPolicyInput, optFns ...func(*iam.Options)) (*iam.GetGroupPolicyOutput, error)
	GetPolicy(ctx context.Context, in *iam.GetPolicyInput, optFns ...func(*iam.Options)) (*iam.GetPolicyOutput, error)
	GetPolicyVersion(ctx context.Context, in *iam.GetPolicyVersionInput, optFns ...func(*iam.Options)) (*iam.GetPolicyVersionOutput, error)
}

// IAMAPI is the read-only subset of the IAM client the enricher uses; *iam.Client satisfies
// it.
type IAMAPI interface {
	accessKeysAPI
	accessKeyLastUsedAPI
	mfaAPI
	loginProfileAPI
	tagsAPI
	policiesAPI
}

var _ IAMAPI = (*iam.Client)(nil)

// AccountIAM gives the IAM client for an AWS account: the detector's own, or a member
// account's through a role (internal/crossaccount). An error (no role configured, the role
// cannot be assumed) is reported as a note for every lookup of the event.
type AccountIAM interface {
	IAMFor(ctx context.Context, account string) (IAMAPI, error)
}
