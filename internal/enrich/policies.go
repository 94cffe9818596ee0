package enrich

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// AdministratorAccessARN is the AWS managed policy that grants full access.
const AdministratorAccessARN = "arn:aws:iam::aws:policy/AdministratorAccess"

// maxPoliciesPerPrincipal bounds the policy documents read for the user and for each group
// (IAM's own quotas: 20 managed policies per user or group, 10 groups per user).
const maxPoliciesPerPrincipal = 20

// managedAllowsAllFunc reports whether a customer managed policy's default version allows
// Action "*" on Resource "*" (cached across users by the enricher).
type managedAllowsAllFunc func(ctx context.Context, policyARN string) (bool, error)

func fetchGroupsPolicies(ctx context.Context, api policiesAPI, user string, managed managedAllowsAllFunc) (*GroupsPolicies, error) {
	gp := &GroupsPolicies{Groups: []string{}, AttachedPolicies: []AttachedPolicy{}, InlinePolicies: []InlinePolicy{}, AdminReasons: []string{}}
	groups := iam.NewListGroupsForUserPaginator(api, &iam.ListGroupsForUserInput{UserName: aws.String(user)})
	for groups.HasMorePages() {
		page, err := groups.NextPage(ctx)
		if err != nil {
			return nil, userGone("ListGroupsForUser", err)
		}
		for _, g := range page.Groups {
			gp.Groups = append(gp.Groups, aws.ToString(g.GroupName))
		}
	}
	if err := userPolicies(ctx, api, user, gp); err != nil {
		return nil, err
	}
	for _, g := range gp.Groups {
		if err := groupPolicies(ctx, api, g, gp); err != nil {
			return nil, err
		}
	}
	for i := range gp.AttachedPolicies {
		p := &gp.AttachedPolicies[i]
		switch {
		case p.PolicyARN == AdministratorAccessARN:
			p.AllowsAll = true
		case strings.HasPrefix(p.PolicyARN, "arn:aws:iam::aws:policy/"):
			// Other AWS managed policies are not full administrator grants.
		default:
			all, err := managed(ctx, p.PolicyARN)
			if err != nil {
				return nil, err
			}
			p.AllowsAll = all
		}
		if p.AllowsAll {
			gp.AdminReasons = append(gp.AdminReasons, fmt.Sprintf("managed policy %s attached %s", p.PolicyName, viaPhrase(p.Via)))
		}
	}
	for _, p := range gp.InlinePolicies {
		if p.AllowsAll {
			gp.AdminReasons = append(gp.AdminReasons, fmt.Sprintf("inline policy %s %s allows Action * on Resource *", p.PolicyName, viaPhrase(p.Via)))
		}
	}
	gp.IsAdmin = len(gp.AdminReasons) > 0
	return gp, nil
}

func viaPhrase(via string) string {
	if g, ok := strings.CutPrefix(via, "group:"); ok {
		return "via group " + g
	}
	return "to the user"
}

func userPolicies(ctx context.Context, api policiesAPI, user string, gp *GroupsPolicies) error {
	attached := iam.NewListAttachedUserPoliciesPaginator(api, &iam.ListAttachedUserPoliciesInput{UserName: aws.String(user)})
	for attached.HasMorePages() {
		page, err := attached.NextPage(ctx)
		if err != nil {
			return userGone("ListAttachedUserPolicies", err)
		}
		for _, p := range page.AttachedPolicies {
			gp.addAttached(aws.ToString(p.PolicyName), aws.ToString(p.PolicyArn), "user")
		}
	}
	inline := iam.NewListUserPoliciesPaginator(api, &iam.ListUserPoliciesInput{UserName: aws.String(user)})
	for inline.HasMorePages() {
		page, err := inline.NextPage(ctx)
		if err != nil {
			return userGone("ListUserPolicies", err)
		}
		for i, name := range page.PolicyNames {
			if i >= maxPoliciesPerPrincipal {
				gp.Truncated = true
				break
			}
			out, err := api.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String(user), PolicyName: aws.String(name)})
			if err != nil {
				return userGone("GetUserPolicy "+name, err)
			}
			gp.InlinePolicies = append(gp.InlinePolicies, InlinePolicy{PolicyName: name, Via: "user", AllowsAll: allowsAll(aws.ToString(out.PolicyDocument))})
		}
	}
	return nil
}

func groupPolicies(ctx context.Context, api policiesAPI, group string, gp *GroupsPolicies) error {
	via := "group:" + group
	attached := iam.NewListAttachedGroupPoliciesPaginator(api, &iam.ListAttachedGroupPoliciesInput{GroupName: aws.String(group)})
	for attached.HasMorePages() {
		page, err := attached.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("ListAttachedGroupPolicies %s: %w", group, err)
		}
		for _, p := range page.AttachedPolicies {
			gp.addAttached(aws.ToString(p.PolicyName), aws.ToString(p.PolicyArn), via)
		}
	}
	inline := iam.NewListGroupPoliciesPaginator(api, &iam.ListGroupPoliciesInput{GroupName: aws.String(group)})
	for inline.HasMorePages() {
		page, err := inline.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("ListGroupPolicies %s: %w", group, err)
		}
		for i, name := range page.PolicyNames {
			if i >= maxPoliciesPerPrincipal {
				gp.Truncated = true
				break
			}
			out, err := api.GetGroupPolicy(ctx, &iam.GetGroupPolicyInput{GroupName: aws.String(group), PolicyName: aws.String(name)})
			if err != nil {
				return fmt.Errorf("GetGroupPolicy %s %s: %w", group, name, err)
			}
			gp.InlinePolicies = append(gp.InlinePolicies, InlinePolicy{PolicyName: name, Via: via, AllowsAll: allowsAll(aws.ToString(out.PolicyDocument))})
		}
	}
	return nil
}

func (gp *GroupsPolicies) addAttached(name, arn, via string) {
	n := 0
	for _, p := range gp.AttachedPolicies {
		if p.Via == via {
			n++
		}
	}
	if n >= maxPoliciesPerPrincipal {
		gp.Truncated = true
		return
	}
	gp.AttachedPolicies = append(gp.AttachedPolicies, AttachedPolicy{PolicyName: name, PolicyARN: arn, Via: via})
}

// fetchManagedAllowsAll reads a customer managed policy's default version.
func fetchManagedAllowsAll(ctx context.Context, api policiesAPI, policyARN string) (bool, error) {
	pol, err := api.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(policyARN)})
	if err != nil {
		return false, fmt.Errorf("GetPolicy %s: %w", policyARN, err)
	}
	if pol.Policy == nil || pol.Policy.DefaultVersionId == nil {
		return false, fmt.Errorf("GetPolicy %s: no default version", policyARN)
	}
	ver, err := api.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(policyARN), VersionId: pol.Policy.DefaultVersionId})
	if err != nil {
		return false, fmt.Errorf("GetPolicyVersion %s: %w", policyARN, err)
	}
	if ver.PolicyVersion == nil {
		return false, nil
	}
	return allowsAll(aws.ToString(ver.PolicyVersion.Document)), nil
}

// allowsAll reports whether a policy document has a statement that allows every action on
// every resource: Effect Allow, Action "*" (or "*:*"), Resource "*", no NotAction or
// NotResource. Conditions are ignored: a conditional full grant is still a full grant to
// whoever meets the condition. IAM returns documents URL-encoded (RFC 3986); both forms are
// read.
func allowsAll(doc string) bool {
	doc = strings.TrimSpace(doc)
	if !strings.HasPrefix(doc, "{") {
		if dec, err := url.PathUnescape(doc); err == nil {
			doc = dec
		}
	}
	var pd struct {
		Statement oneOrMany[statement] `json:"Statement"`
	}
	if err := json.Unmarshal([]byte(doc), &pd); err != nil {
		return false
	}
	for _, s := range pd.Statement {
		if s.Effect == "Allow" && len(s.NotAction) == 0 && len(s.NotResource) == 0 &&
			contains(s.Action, "*", "*:*") && contains(s.Resource, "*") {
			return true
		}
	}
	return false
}

type statement struct {
	Effect      string            `json:"Effect"`
	Action      oneOrMany[string] `json:"Action"`
	NotAction   oneOrMany[string] `json:"NotAction"`
	Resource    oneOrMany[string] `json:"Resource"`
	NotResource oneOrMany[string] `json:"NotResource"`
}

// oneOrMany reads a policy element that is either one value or a list of them.
type oneOrMany[T any] []T

func (o *oneOrMany[T]) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '[' {
		var many []T
		if err := json.Unmarshal(b, &many); err != nil {
			return err
		}
		*o = many
		return nil
	}
	var one T
	if err := json.Unmarshal(b, &one); err != nil {
		return err
	}
	*o = []T{one}
	return nil
}

func contains(values []string, want ...string) bool {
	for _, v := range values {
		for _, w := range want {
			if v == w {
				return true
			}
		}
	}
	return false
}
