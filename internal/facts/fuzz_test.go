package facts_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzDifferential mutates realistic records (identity types, ARNs, masked values, failed
// calls naming the target only in errorMessage, missing and mistyped fields, odd event times,
// a record's own facts key) and runs the differential comparison on each (see diff_test.go).
// ops is read two bytes at a time: a field to change and the value it gets; val is spliced
// into names, ARNs and messages.
//
//	go test -run '^$' -fuzz FuzzDifferential -fuzztime 10m ./internal/facts/
func FuzzDifferential(f *testing.F) {
	for i := range fuzzBases {
		f.Add(uint8(i), []byte{}, "bob")
	}
	f.Add(uint8(0), []byte{0, 10, 1, 11}, "alice")             // another type and ARN
	f.Add(uint8(3), []byte{14, 30, 15, 31}, "jack")            // target only in errorMessage
	f.Add(uint8(1), []byte{8, 3, 2, 3, 16, 3}, "x")            // masked values
	f.Add(uint8(2), []byte{13, 0, 17, 1, 12, 0}, "")           // missing and null fields
	f.Add(uint8(4), []byte{27, 36, 27, 37}, "")                // impossible and out-of-range times
	f.Add(uint8(5), []byte{10, 5, 28, 20}, "jackson")          // a record's own facts key
	f.Add(uint8(6), []byte{25, 40, 24, 41, 9, 7}, "a/b c")     // console session, MFA as a boolean
	f.Add(uint8(7), []byte{4, 26, 6, 27, 3, 28}, "ops/deploy") // cross account, session issuer
	f.Add(uint8(9), []byte{}, "web")                           // web identity, key masked in the response
	f.Add(uint8(5), []byte{8, 64}, "broker")                   // federated user, issuer ARN with a region
	f.Add(uint8(5), []byte{34, 68}, "broker")                  // federated user, issuer ARN not a string
	f.Add(uint8(1), []byte{0, 57, 31, 60, 14, 66}, "x")        // SAML user, web identity, failed not denied
	f.Add(uint8(6), []byte{17, 3, 33, 69}, "k")                // SSO caller, masked key ids
	f.Fuzz(func(t *testing.T, base uint8, ops []byte, val string) {
		h := getHarness(t)
		raw := mutate(fuzzBases[int(base)%len(fuzzBases)], ops, val)
		check(t, h, "fuzz record "+string(raw), raw)
	})
}

// fuzzBases are the records mutations start from, one per kind of caller and call.
var fuzzBases = []string{
	// 0: an IAM user creating a key for another user, from the CLI
	`{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333","accessKeyId":"AKIAEXAMPLEKEY","userName":"alice"},"eventTime":"2024-03-18T00:05:00Z","eventSource":"iam.amazonaws.com","eventName":"CreateAccessKey","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","userAgent":"aws-cli/2.15.0","requestParameters":{"userName":"bob"},"responseElements":{"accessKey":{"accessKeyId":"AKIANEWKEY","status":"Active","userName":"bob","createDate":"Mar 18, 2024 12:05:00 AM"}},"eventID":"e1","readOnly":false,"eventType":"AwsApiCall","recipientAccountId":"111122223333"}`,
	// 1: an assumed role reactivating a key
	`{"eventVersion":"1.09","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLE:alice","arn":"arn:aws:sts::111122223333:assumed-role/Admin/alice","accountId":"111122223333","accessKeyId":"ASIAEXAMPLE","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLE","arn":"arn:aws:iam::111122223333:role/Admin","accountId":"111122223333","userName":"Admin"},"attributes":{"creationDate":"2024-03-18T00:00:00Z","mfaAuthenticated":"false"}}},"eventTime":"2024-03-18T00:05:00Z","eventSource":"iam.amazonaws.com","eventName":"UpdateAccessKey","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9","userAgent":"aws-cli/2.15.0","requestParameters":{"userName":"bob","accessKeyId":"AKIAOLDKEY","status":"Active"},"responseElements":null,"eventID":"e2","readOnly":false,"eventType":"AwsApiCall","recipientAccountId":"111122223333"}`,
	// 2: the root user creating its own key (requestParameters null)
	`{"eventVersion":"1.09","userIdentity":{"type":"Root","principalId":"111122223333","arn":"arn:aws:iam::111122223333:root","accountId":"111122223333","accessKeyId":"ASIAROOT"},"eventTime":"2024-03-18T00:05:00Z","eventSource":"iam.amazonaws.com","eventName":"CreateAccessKey","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.8","userAgent":"console.amazonaws.com","requestParameters":null,"responseElements":{"accessKey":{"accessKeyId":"AKIAROOTKEY","status":"Active"}},"eventID":"e3","readOnly":false,"eventType":"AwsApiCall","recipientAccountId":"111122223333","sessionCredentialFromConsole":"true"}`,
	// 3: a denied call with the target only in errorMessage
	`{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/dev/jackson","accountId":"111122223333","accessKeyId":"AKIAJACKSON","userName":"jackson"},"eventTime":"2024-03-18T00:05:00Z","eventSource":"iam.amazonaws.com","eventName":"DeleteAccessKey","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.9","userAgent":"aws-cli/2.15.0","errorCode":"AccessDenied","errorMessage":"User: arn:aws:iam::111122223333:user/dev/jackson is not authorized to perform: iam:DeleteAccessKey on resource: user jack because no identity-based policy allows the iam:DeleteAccessKey action","requestParameters":null,"responseElements":null,"eventID":"e4","readOnly":false,"eventType":"AwsApiCall","recipientAccountId":"111122223333"}`,
	// 4: a user renaming another user
	`{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/admin","accountId":"111122223333","accessKeyId":"AKIAADMIN","userName":"admin"},"eventTime":"2024-03-18T00:05:00.123Z","eventSource":"iam.amazonaws.com","eventName":"UpdateUser","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.10","userAgent":"aws-cli/2.15.0","requestParameters":{"userName":"bob","newUserName":"bob-old","newPath":"/retired/"},"responseElements":null,"eventID":"e5","readOnly":false,"eventType":"AwsApiCall","recipientAccountId":"111122223333"}`,
	// 5: a federated user (GetFederationToken) deleting a key
	`{"eventVersion":"1.09","userIdentity":{"type":"FederatedUser","principalId":"111122223333:carol","arn":"arn:aws:sts::111122223333:federated-user/carol","accountId":"111122223333","accessKeyId":"ASIAFED","sessionContext":{"sessionIssuer":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/broker","accountId":"111122223333","userName":"broker"},"attributes":{"creationDate":"2024-03-18T00:00:00Z","mfaAuthenticated":"true"}}},"eventTime":"2024-03-18T00:05:00Z","eventSource":"iam.amazonaws.com","eventName":"DeleteAccessKey","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.11","userAgent":"aws-sdk-go-v2/1.0","requestParameters":{"userName":"dave","accessKeyId":"AKIADAVE"},"responseElements":null,"eventID":"e6","readOnly":false,"eventType":"AwsApiCall","recipientAccountId":"111122223333"}`,
	// 6: an SSO role in the console deleting a key, MFA at the IdP
	`{"eventVersion":"1.09","userIdentity":{"type":"AssumedRole","principalId":"AROASSO:erin@example.com","arn":"arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/erin@example.com","accountId":"111122223333","accessKeyId":"ASIASSO","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROASSO","arn":"arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123456789abcdef","accountId":"111122223333","userName":"AWSReservedSSO_Admin_0123456789abcdef"},"attributes":{"creationDate":"2024-03-18T00:00:00Z","mfaAuthenticated":"false"}}},"eventTime":"2024-03-18T00:05:00Z","eventSource":"iam.amazonaws.com","eventName":"DeleteAccessKey","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.12","userAgent":"AWS Internal","requestParameters":{"userName":"frank","accessKeyId":"AKIAFRANK"},"responseElements":null,"eventID":"e7","readOnly":false,"eventType":"AwsApiCall","recipientAccountId":"111122223333","sessionCredentialFromConsole":"true"}`,
	// 7: a role of another account, through CloudFormation, stopping a trail
	`{"eventVersion":"1.09","userIdentity":{"type":"AssumedRole","principalId":"AROAX:deploy","arn":"arn:aws:sts::444455556666:assumed-role/Deployer/deploy","accountId":"444455556666","accessKeyId":"ASIAX","invokedBy":"cloudformation.amazonaws.com","sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::444455556666:role/Deployer","accountId":"444455556666","userName":"Deployer"},"attributes":{"mfaAuthenticated":"false"}}},"eventTime":"2024-03-18T00:05:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"eu-west-1","sourceIPAddress":"cloudformation.amazonaws.com","userAgent":"cloudformation.amazonaws.com","requestParameters":{"name":"arn:aws:cloudtrail:eu-west-1:111122223333:trail/org-trail"},"responseElements":null,"eventID":"e8","readOnly":false,"eventType":"AwsApiCall","recipientAccountId":"111122223333"}`,
	// 8: an AWS service call
	`{"eventVersion":"1.09","userIdentity":{"type":"AWSService","invokedBy":"lambda.amazonaws.com"},"eventTime":"2024-03-18T00:05:00Z","eventSource":"iam.amazonaws.com","eventName":"UpdateAccessKey","awsRegion":"us-east-1","sourceIPAddress":"lambda.amazonaws.com","userAgent":"lambda.amazonaws.com","requestParameters":{"userName":"gina","accessKeyId":"AKIAGINA","status":"Inactive"},"responseElements":null,"eventID":"e9","readOnly":false,"eventType":"AwsApiCall","recipientAccountId":"111122223333"}`,
	// 9: a web identity role in the console creating a key for another user, its id masked
	`{"eventVersion":"1.09","userIdentity":{"type":"AssumedRole","principalId":"AROAWEB:web","arn":"arn:aws:sts::111122223333:assumed-role/WebRole/web","accountId":"111122223333","accessKeyId":"ASIAWEB","sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::111122223333:role/WebRole","accountId":"111122223333","userName":"WebRole"},"webIdFederationData":{"federatedProvider":"accounts.google.com","attributes":{}},"attributes":{"mfaAuthenticated":"false"}}},"eventTime":"2024-03-18T00:05:00Z","eventSource":"iam.amazonaws.com","eventName":"CreateAccessKey","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.13","userAgent":"console.amazonaws.com","requestParameters":{"userName":"hank"},"responseElements":{"accessKey":{"accessKeyId":"HIDDEN_DUE_TO_SECURITY_REASONS","status":"Active","userName":"hank"}},"eventID":"e10","readOnly":false,"eventType":"AwsApiCall","recipientAccountId":"111122223333","sessionCredentialFromConsole":"true"}`,
}

// fuzzPaths are the fields mutations change ("." separates object keys).
var fuzzPaths = []string{
	"userIdentity.type", "userIdentity.arn", "userIdentity.accountId", "userIdentity.userName",
	"recipientAccountId", "userIdentity.principalId", "userIdentity.accessKeyId",
	"userIdentity.invokedBy", "userIdentity.sessionContext.sessionIssuer.arn",
	"userIdentity.sessionContext.attributes.mfaAuthenticated",
	"userIdentity.sessionContext.sessionIssuer.userName", "userIdentity.sessionContext",
	"userIdentity", "requestParameters", "errorCode", "errorMessage",
	"requestParameters.userName", "requestParameters.accessKeyId", "requestParameters.status",
	"requestParameters.newUserName", "requestParameters.newPath", "responseElements",
	"responseElements.accessKey.accessKeyId", "sourceIPAddress", "userAgent",
	"sessionCredentialFromConsole", "eventName", "eventTime", "facts", "facts.version",
	// identity providers, federation and containment (federation.rego), masked keys
	"userIdentity.sessionContext.sessionIssuer.type",
	"userIdentity.sessionContext.webIdFederationData.federatedProvider",
	"userIdentity.sessionContext.webIdFederationData", "responseElements.accessKey",
	"userIdentity.sessionContext.sessionIssuer",
}

// fuzzValue is the value of index i, built around val; deleteField removes the field.
type deleteField struct{}

func fuzzValue(i int, val string) any {
	values := []any{
		deleteField{}, nil, "", "HIDDEN_DUE_TO_SECURITY_REASONS", true, false, "true", json.Number("12"),
		map[string]any{}, []any{val},
		// identity types
		"IAMUser", "AssumedRole", "Root", "FederatedUser", "AWSService", "AWSAccount", "IdentityCenterUser", val,
		// ARNs
		"arn:aws:iam::111122223333:user/" + val, "arn:aws:iam::111122223333:user/path/" + val,
		"arn:aws:sts::111122223333:assumed-role/Admin/" + val, "arn:aws:sts::111122223333:assumed-role/" + val,
		"arn:aws:iam::111122223333:role/" + val, "arn:aws:iam::111122223333:root", "arn:aws-cn:iam::" + val + ":root",
		"arn:aws:sts::111122223333:federated-user/" + val, "arn:aws:iam::" + val, "arn::iam::1:user/" + val,
		"arn:aws:iam::111122223333:user/" + val + "/", "AKIA" + val,
		// error messages and codes
		"User: arn:aws:iam::111122223333:user/alice is not authorized to perform: iam:DeleteAccessKey on resource: user " + val + " because no policy allows it",
		"User: arn:aws:iam::111122223333:user/alice is not authorized to perform: iam:UpdateAccessKey on resource: arn:aws:iam::111122223333:user/" + val,
		"AccessDenied", "NoSuchEntity", "Client.UnauthorizedOperation", "444455556666", "111122223333",
		// event times
		"2024-03-18T00:05:00Z", "2024-02-30T00:00:00Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z",
		"2024-03-18T00:05:00+05:30", "2024-03-18 00:05:00",
		// agents and services
		"console.amazonaws.com", "aws-internal/3 aws-sdk-java/1.12", "signin.amazonaws.com", "cloudformation.amazonaws.com",
		// event names
		"CreateAccessKey", "UpdateAccessKey", "DeleteAccessKey", "UpdateUser", "ListAccessKeys",
		map[string]any{"userName": val}, map[string]any{"sessionIssuer": map[string]any{"arn": "arn:aws:iam::111122223333:role/" + val}},
		map[string]any{"version": json.Number("1"), "cloudtrail": map[string]any{"is_root": true, "summary_phrase": val}},
		json.Number("1"), json.Number("1e400"),
		// identity providers, federation and containment
		"SAMLUser", "WebIdentityUser", "Role", "accounts.google.com", "AWSReservedSSO_" + val,
		"arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_" + val,
		"arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_1/" + val,
		"arn:aws:iam:us-east-1:111122223333:user/" + val, "arn:aws:iam::111122223333:user/" + val + "\n",
		"LimitExceeded", "EntityAlreadyExists",
		map[string]any{"type": "IAMUser", "arn": []any{val}, "userName": val},
		map[string]any{"accessKeyId": "HIDDEN_DUE_TO_SECURITY_REASONS", "status": "Active"},
	}
	return values[i%len(values)]
}

// mutate applies ops to base and returns the record's JSON.
func mutate(base string, ops []byte, val string) []byte {
	dec := json.NewDecoder(strings.NewReader(base))
	dec.UseNumber()
	var rec map[string]any
	if err := dec.Decode(&rec); err != nil {
		panic(err)
	}
	for i := 0; i+1 < len(ops); i += 2 {
		set(rec, strings.Split(fuzzPaths[int(ops[i])%len(fuzzPaths)], "."), fuzzValue(int(ops[i+1]), val))
	}
	out, err := json.Marshal(rec)
	if err != nil {
		return []byte(base)
	}
	return out
}

// set puts v at path in m, making the objects on the way (replacing what is not one).
func set(m map[string]any, path []string, v any) {
	for _, k := range path[:len(path)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	if _, del := v.(deleteField); del {
		delete(m, path[len(path)-1])
		return
	}
	m[path[len(path)-1]] = v
}
