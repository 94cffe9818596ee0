package synth

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// gen writes the records of one file from its own random stream.
type gen struct {
	rng     *rand.Rand
	account string
	region  string
	t       time.Time // the current record's eventTime
}

func newGen(seed uint64, f File) *gen {
	return &gen{rng: rand.New(rand.NewPCG(seed, uint64(f.Index)+1)), account: f.Account, region: f.Region}
}

func (g *gen) pick(list []string) string { return list[g.rng.IntN(len(list))] }

func (g *gen) hex(n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[g.rng.IntN(16)]
	}
	return string(b)
}

func (g *gen) uuid() string {
	return g.hex(8) + "-" + g.hex(4) + "-4" + g.hex(3) + "-a" + g.hex(3) + "-" + g.hex(12)
}

func (g *gen) b64(n int) string {
	const alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	b := make([]byte, n)
	for i := range b {
		b[i] = alpha[g.rng.IntN(64)]
	}
	return string(b)
}

func (g *gen) ip() string {
	return fmt.Sprintf("%d.%d.%d.%d", 3+g.rng.IntN(200), g.rng.IntN(256), g.rng.IntN(256), 1+g.rng.IntN(254))
}

func (g *gen) tempKey() string { return idFrom("ASIA", 16, g.rng.Uint32()) }

func (g *gen) userAgent(command string) string {
	ua := g.pick(userAgents)
	if strings.Contains(ua, "%s") {
		ua = fmt.Sprintf(ua, command)
	}
	return ua
}

// stamp formats t the way CloudTrail writes eventTime.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// roleCaller is an application role session: the caller of most noise events.
func (g *gen) roleCaller() string {
	role := g.pick(appRoles)
	session := fmt.Sprintf("%s-%d", role, g.rng.IntN(40))
	return userIdentityRole(g.account, role, session, g.tempKey(), stamp(g.t.Add(-time.Duration(g.rng.IntN(3600))*time.Second)), false)
}

// ssoCaller is a person in an Identity Center session.
func (g *gen) ssoCaller(user string) string {
	return userIdentityRole(g.account, g.pick(ssoRoles), user+"@example.com", g.tempKey(), stamp(g.t.Add(-time.Duration(g.rng.IntN(7200))*time.Second)), g.rng.IntN(2) == 0)
}

// envelope writes the fields every record has around the event-specific ones.
func (g *gen) envelope(source, name, identity, ua, req, resp, extra string, readOnly, management bool) string {
	category := "Management"
	if !management {
		category = "Data"
	}
	host := strings.Replace(source, "amazonaws.com", g.region+".amazonaws.com", 1)
	if source == "iam.amazonaws.com" || source == "sts.amazonaws.com" {
		host = source
	}
	return fmt.Sprintf(`{"eventVersion":"1.10","userIdentity":%s,"eventTime":"%s","eventSource":"%s","eventName":"%s","awsRegion":"%s","sourceIPAddress":"%s","userAgent":"%s","requestParameters":%s,"responseElements":%s,"requestID":"%s","eventID":"%s","readOnly":%t,%s"eventType":"AwsApiCall","managementEvent":%t,"recipientAccountId":"%s","eventCategory":"%s","tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"%s"}}`,
		identity, stamp(g.t), source, name, g.region, g.ip(), ua, req, resp, g.uuid(), g.uuid(), readOnly, extra, management, g.account, category, host)
}

// noise is one S3, STS or EC2 record.
func (g *gen) noise() string {
	switch n := g.rng.IntN(100); {
	case n < 55:
		return g.s3Object()
	case n < 75:
		return g.stsCall()
	default:
		return g.ec2Call()
	}
}

func (g *gen) s3Object() string {
	name := g.pick([]string{"GetObject", "GetObject", "PutObject", "HeadObject"})
	bucket := fmt.Sprintf("%s-%s-%s", g.pick([]string{"datalake-raw", "app-assets", "backups", "athena-results"}), g.account, g.region)
	key := fmt.Sprintf("%s/year=2024/month=03/day=18/part-%05d-%s.snappy.parquet", g.pick([]string{"events", "orders", "clicks"}), g.rng.IntN(99999), g.uuid())
	req := fmt.Sprintf(`{"bucketName":"%s","Host":"%s.s3.%s.amazonaws.com","key":"%s","x-id":"%s"}`, bucket, bucket, g.region, key, name)
	in, out := 0, g.rng.IntN(1<<24)
	if name == "PutObject" {
		in, out = out, 0
	}
	extra := fmt.Sprintf(`"additionalEventData":{"SignatureVersion":"SigV4","CipherSuite":"TLS_AES_128_GCM_SHA256","bytesTransferredIn":%d,"AuthenticationMethod":"AuthHeader","x-amz-id-2":"%s","bytesTransferredOut":%d},"resources":[{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::%s/%s"},{"accountId":"%s","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::%s"}],`,
		in, g.b64(76), out, bucket, key, g.account, bucket)
	return g.envelope("s3.amazonaws.com", name, g.roleCaller(), g.userAgent("s3api."+name), req, "null", extra, name != "PutObject", false)
}

func (g *gen) stsCall() string {
	if g.rng.IntN(3) == 0 {
		return g.envelope("sts.amazonaws.com", "GetCallerIdentity", g.roleCaller(), g.userAgent("sts.get-caller-identity"), "null", "null", "", true, true)
	}
	role := g.pick(appRoles)
	session := fmt.Sprintf("%s-%d", role, g.rng.IntN(40))
	roleArn := fmt.Sprintf("arn:aws:iam::%s:role/%s", g.account, role)
	req := fmt.Sprintf(`{"roleArn":"%s","roleSessionName":"%s","durationSeconds":3600}`, roleArn, session)
	resp := fmt.Sprintf(`{"credentials":{"accessKeyId":"%s","sessionToken":"%s","expiration":"%s"},"assumedRoleUser":{"assumedRoleId":"%s:%s","arn":"arn:aws:sts::%s:assumed-role/%s/%s"}}`,
		g.tempKey(), g.b64(380), g.t.Add(time.Hour).Format("Jan 2, 2006, 3:04:05 PM"), idFrom("AROA", 17, hash32(g.account, role)), session, g.account, role, session)
	extra := fmt.Sprintf(`"resources":[{"accountId":"%s","type":"AWS::IAM::Role","ARN":"%s"}],"sharedEventID":"%s",`, g.account, roleArn, g.uuid())
	identity := fmt.Sprintf(`{"type":"AWSService","invokedBy":"%s"}`, g.pick([]string{"ecs-tasks.amazonaws.com", "lambda.amazonaws.com", "glue.amazonaws.com"}))
	return g.envelope("sts.amazonaws.com", "AssumeRole", identity, "AWS Internal", req, resp, extra, true, true)
}

func (g *gen) ec2Call() string {
	switch g.rng.IntN(3) {
	case 0:
		req := fmt.Sprintf(`{"instancesSet":{},"filterSet":{"items":[{"name":"tag:Name","valueSet":{"items":[{"value":"%s-*"}]}},{"name":"instance-state-name","valueSet":{"items":[{"value":"running"},{"value":"stopped"}]}}]},"maxResults":1000}`, g.pick([]string{"web", "worker", "bastion"}))
		return g.envelope("ec2.amazonaws.com", "DescribeInstances", g.roleCaller(), g.userAgent("ec2.describe-instances"), req, "null", "", true, true)
	case 1:
		req := fmt.Sprintf(`{"securityGroupSet":{},"securityGroupIdSet":{"items":[{"groupId":"sg-%s"}]},"filterSet":{}}`, g.hex(17))
		return g.envelope("ec2.amazonaws.com", "DescribeSecurityGroups", g.ssoCaller(g.pick(users)), g.userAgent("ec2.describe-security-groups"), req, "null", "", true, true)
	}
	id := "i-" + g.hex(17)
	req := fmt.Sprintf(`{"instancesSet":{"items":[{"instanceId":"%s"}]},"force":false}`, id)
	resp := fmt.Sprintf(`{"requestId":"%s","instancesSet":{"items":[{"instanceId":"%s","currentState":{"code":64,"name":"stopping"},"previousState":{"code":16,"name":"running"}}]}}`, g.uuid(), id)
	return g.envelope("ec2.amazonaws.com", "StopInstances", g.roleCaller(), g.userAgent("ec2.stop-instances"), req, resp, "", false, true)
}
