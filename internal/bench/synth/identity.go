package synth

import (
	"fmt"
	"hash/fnv"
)

// This file holds the callers of a synthetic trail: IAM users with their long-term keys, SSO
// and application roles, and the root user, each deterministic from the account.

// users are the IAM users of every account ("jack" and "jackson" test exact-name matching).
var users = []string{"alice", "bob", "carol", "deploy-bot", "ci-runner", "terraform", "backup-svc", "jack", "jackson"}

// appRoles are roles workloads assume; their sessions make the S3, STS and EC2 noise.
var appRoles = []string{"orders-api-task", "etl-glue-job", "k8s-node-group", "lambda-thumbnailer", "DataPipelineDefaultResourceRole"}

// ssoRoles are IAM Identity Center permission-set roles people assume for console and CLI work.
var ssoRoles = []string{"AWSReservedSSO_AdministratorAccess_0123456789abcdef", "AWSReservedSSO_PowerUserAccess_fedcba9876543210"}

// userAgents are realistic user agents of different lengths.
var userAgents = []string{
	"aws-cli/2.15.30 md/awscrt#0.19.19 ua/2.0 os/linux#6.5.0-1016-aws md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.22 prompt/off command/%s",
	"Boto3/1.34.64 md/Botocore#1.34.64 ua/2.0 os/linux#5.10.213-201.855.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.2 md/pyimpl#CPython exec-env/AWS_ECS_FARGATE cfg/retry-mode#legacy Botocore/1.34.64",
	"APN/1.0 HashiCorp/1.0 Terraform/1.7.5 (+https://www.terraform.io) terraform-provider-aws/5.41.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.25.3 ua/2.0 os/linux lang/go#1.22.1 md/GOOS#linux md/GOARCH#amd64 api/%s",
	"aws-sdk-java/2.25.11 Linux/5.10.210-201.852.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.10+7-LTS Java/17.0.10 vendor/Amazon.com_Inc. exec-env/AWS_Lambda_java17 io/sync http/Apache cfg/retry-mode/legacy",
	"[S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.488 Linux/5.10.205-172.807.amzn2int.x86_64 OpenJDK_64-Bit_Server_VM/25.372-b08 java/1.8.0_372 vendor/Oracle_Corporation cfg/retry-mode/standard]",
}

// hash32 is a stable hash of the parts, for identifiers derived from names.
func hash32(parts ...string) uint32 {
	h := fnv.New32a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return h.Sum32()
}

// idFrom returns prefix followed by n characters of CloudTrail's id alphabet, derived from seed.
func idFrom(prefix string, n int, seed uint32) string {
	const alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	b := []byte(prefix)
	x := uint64(seed)*0x9E3779B97F4A7C15 | 1
	for range n {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b = append(b, alpha[x%32])
	}
	return string(b)
}

// userKey is the long-term access key of an IAM user.
func userKey(account, user string) string { return idFrom("AKIA", 16, hash32(account, user, "key")) }

// userIdentityIAMUser is the userIdentity of an IAM user signing with its long-term key.
func userIdentityIAMUser(account, user string) string {
	return fmt.Sprintf(`{"type":"IAMUser","principalId":"%s","arn":"arn:aws:iam::%s:user/%s","accountId":"%s","accessKeyId":"%s","userName":"%s"}`,
		idFrom("AIDA", 17, hash32(account, user)), account, user, account, userKey(account, user), user)
}

// userIdentityConsoleUser is the userIdentity of an IAM user in a console session (temporary
// credentials minted at sign-in).
func userIdentityConsoleUser(account, user, sessionKey, created string, mfa bool) string {
	return fmt.Sprintf(`{"type":"IAMUser","principalId":"%s","arn":"arn:aws:iam::%s:user/%s","accountId":"%s","accessKeyId":"%s","userName":"%s","sessionContext":{"sessionIssuer":{},"webIdFederationData":{},"attributes":{"creationDate":"%s","mfaAuthenticated":"%t"}}}`,
		idFrom("AIDA", 17, hash32(account, user)), account, user, account, sessionKey, user, created, mfa)
}

// userIdentityRole is the userIdentity of an assumed-role session.
func userIdentityRole(account, role, session, sessionKey, created string, mfa bool) string {
	roleID := idFrom("AROA", 17, hash32(account, role))
	return fmt.Sprintf(`{"type":"AssumedRole","principalId":"%s:%s","arn":"arn:aws:sts::%s:assumed-role/%s/%s","accountId":"%s","accessKeyId":"%s","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"%s","arn":"arn:aws:iam::%s:role/%s","accountId":"%s","userName":"%s"},"webIdFederationData":{},"attributes":{"creationDate":"%s","mfaAuthenticated":"%t"}}}`,
		roleID, session, account, role, session, account, sessionKey, roleID, account, role, account, role, created, mfa)
}

// userIdentityRoot is the userIdentity of the root user in a console session.
func userIdentityRoot(account, sessionKey, created string) string {
	return fmt.Sprintf(`{"type":"Root","principalId":"%s","arn":"arn:aws:iam::%s:root","accountId":"%s","accessKeyId":"%s","sessionContext":{"sessionIssuer":{},"webIdFederationData":{},"attributes":{"creationDate":"%s","mfaAuthenticated":"true"}}}`,
		account, account, account, sessionKey, created)
}
