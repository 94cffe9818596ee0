package enrich_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/trailhound/trailhound/internal/testutil"
)

// world is the IAM state the moto tests build with the SDK:
//   - alice: the caller; one access key.
//   - bob: in group admins (AdministratorAccess attached to the group), console password,
//     no MFA, tags owner and team, one access key never used.
//   - erin: inline policy allowing * on *, a virtual MFA device, one access key used once
//     (a request signed with it) at setup time.
//   - frank: a customer managed policy allowing * on * attached directly.
type world struct {
	aliceKey, bobKey, erinKey string
	setup                     time.Time // when the keys were created and erin's was used
}

// startWorld starts moto (with AWS managed policies loaded, for AdministratorAccess) and
// builds the world.
func startWorld(t *testing.T) world {
	t.Helper()
	t.Setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
	testutil.StartMoto(t)
	ctx := context.Background()
	c := newIAM(t, nil, "", "")
	w := world{setup: time.Now().UTC()}
	user := func(name string, tags ...types.Tag) {
		must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name), Tags: tags}))
	}
	key := func(name string) (string, string) {
		out := must(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)}))
		return aws.ToString(out.AccessKey.AccessKeyId), aws.ToString(out.AccessKey.SecretAccessKey)
	}
	const allowAll = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`

	user("alice")
	w.aliceKey, _ = key("alice")

	must(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("admins")}))
	must(c.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("admins"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")}))
	user("bob", types.Tag{Key: aws.String("owner"), Value: aws.String("bob@example.com")}, types.Tag{Key: aws.String("team"), Value: aws.String("payments")})
	must(c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("admins"), UserName: aws.String("bob")}))
	must(c.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("bob"), Password: aws.String("Corr3ct-Horse-Battery!")}))
	w.bobKey, _ = key("bob")

	user("erin")
	must(c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("erin"), PolicyName: aws.String("everything"), PolicyDocument: aws.String(allowAll)}))
	mfa := must(c.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("erin")}))
	must(c.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: aws.String("erin"), SerialNumber: mfa.VirtualMFADevice.SerialNumber,
		AuthenticationCode1: aws.String("123456"), AuthenticationCode2: aws.String("654321")}))
	var erinSecret string
	w.erinKey, erinSecret = key("erin")
	must(newIAM(t, nil, w.erinKey, erinSecret).GetUser(ctx, &iam.GetUserInput{})) // erin's key is used once

	user("frank")
	pol := must(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("full-access"), PolicyDocument: aws.String(allowAll)}))
	must(c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("frank"), PolicyArn: pol.Policy.Arn}))
	return w
}

// days returns the setup time plus n days: events dated then see the keys n days old.
func (w world) days(n int) time.Time { return w.setup.Add(time.Duration(n)*24*time.Hour + time.Hour) }
