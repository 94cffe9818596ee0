package event_test

import (
	"fmt"

	"github.com/trailhound/trailhound/internal/event"
)

// A Lambda SQS batch carrying one EventBridge event, then a broken message: the record comes
// out with its header and provenance, the broken message as a *DecodeError naming it.
func ExampleRecordsBytes() {
	payload := []byte(`{"Records":[
{"messageId":"m-1","body":"{\"source\":\"aws.iam\",\"account\":\"111122223333\",\"detail-type\":\"AWS API Call via CloudTrail\",\"detail\":{\"eventSource\":\"iam.amazonaws.com\",\"eventName\":\"UpdateAccessKey\",\"eventID\":\"e-1\",\"recipientAccountId\":\"111122223333\"}}","eventSource":"aws:sqs"},
{"messageId":"m-2","body":"{not json","eventSource":"aws:sqs"}
]}`)
	for rec, err := range event.RecordsBytes("invocation", payload) {
		if err != nil {
			fmt.Println("error:", err, "| message", rec.Origin.MessageID)
			continue
		}
		fmt.Println(rec.EventSource, rec.EventName, rec.EventID, rec.Origin.Framing, rec.Origin.MessageID, rec.Origin)
	}
	// Output:
	// iam.amazonaws.com UpdateAccessKey e-1 sqs m-1 invocation:2 (record 0)
	// error: invocation:3 (record 1): SQS message body: malformed JSON: invalid character 'n' looking for beginning of object key string (line 1, column 2) | message m-2
}
