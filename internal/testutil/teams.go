package testutil

import (
	"os"
	"path/filepath"
	"testing"
)

// The team packs and records that the CLI's tests (internal/cli) and the Lambda function's
// (internal/function) both run: teams/payments as committed, and a ledger pack that does
// not compile.

// ServiceKeyCreated is alice creating a key for a payments service user: PAYMENTS-001.
const ServiceKeyCreated = `{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLEALICE0001","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333","accessKeyId":"AKIAEXAMPLEALICE0001","userName":"alice"},"eventTime":"2026-03-01T10:30:00Z","eventSource":"iam.amazonaws.com","eventName":"CreateAccessKey","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","userAgent":"aws-cli/2.17.20","requestParameters":{"userName":"payments-card-api"},"responseElements":{"accessKey":{"userName":"payments-card-api","accessKeyId":"AKIAEXAMPLECARDAPI01","status":"Active","createDate":"Mar 1, 2026 10:30:00 AM"}},"requestID":"0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0","eventID":"7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}`

// UserDeleted is a DeleteUser call: only the (broken) ledger pack declares it.
const UserDeleted = `{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLEALICE0001","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333","userName":"alice"},"eventTime":"2026-03-01T11:00:00Z","eventSource":"iam.amazonaws.com","eventName":"DeleteUser","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","userAgent":"aws-cli/2.17.20","requestParameters":{"userName":"ledger-svc"},"responseElements":null,"requestID":"1f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f1","eventID":"8a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2e","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}`

// BrokenLedgerRule declares DeleteUser and calls a function nobody defines: it does not
// compile.
const BrokenLedgerRule = `# METADATA
# title: Ledger service user deleted
# custom:
#   id: LEDGER-001
#   severity: HIGH
#   events: [iam.amazonaws.com:DeleteUser]
#   remediation:
#     summary: Ask the ledger team.
package teams.ledger.user_deleted

alert contains {"msg": "ledger service user deleted"} if ledger_user(input.requestParameters.userName)
`

// TeamPacks writes a directory of team packs: a copy of the example payments pack (with
// the given team.yaml edit) and a broken ledger pack. It returns the directory.
func TeamPacks(t testing.TB, edit func(string) string) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "teams")
	pay := filepath.Join(root, "payments")
	if err := os.CopyFS(pay, os.DirFS(filepath.Join(ModuleRoot(t), "teams", "payments"))); err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		b, err := os.ReadFile(filepath.Join(pay, "team.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(pay, "team.yaml"), []byte(edit(string(b))), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ledger := filepath.Join(root, "ledger")
	if err := os.MkdirAll(ledger, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{"team.yaml": "owner: ledger@example.com\n", "user_deleted.rego": BrokenLedgerRule} {
		if err := os.WriteFile(filepath.Join(ledger, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return root
}
