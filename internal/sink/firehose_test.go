package sink

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	fhtypes "github.com/aws/aws-sdk-go-v2/service/firehose/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/ocsf/ocsfschema"
)

// TestFirehoseDeliversOCSFToS3 puts alerts on a moto Firehose stream that delivers to moto S3
// and reads the objects back: one newline-terminated OCSF Detection Finding per alert, each
// valid against the compiled class.
func TestFirehoseDeliversOCSFToS3(t *testing.T) {
	schema, class := ocsfschema.DetectionFinding(t)
	cfg := motoConfig(t)
	ctx := context.Background()
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("lake")}); err != nil {
		t.Fatal(err)
	}
	fh := firehose.NewFromConfig(cfg)
	if _, err := fh.CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{
		DeliveryStreamName: aws.String("trailhound-findings"),
		DeliveryStreamType: fhtypes.DeliveryStreamTypeDirectPut,
		ExtendedS3DestinationConfiguration: &fhtypes.ExtendedS3DestinationConfiguration{
			BucketARN: aws.String("arn:aws:s3:::lake"), RoleARN: aws.String("arn:aws:iam::123456789012:role/firehose"),
			Prefix: aws.String("ext/trailhound/"),
		},
	}); err != nil {
		t.Fatal(err)
	}
	sink, err := NewFirehose(fh, "trailhound-findings")
	if err != nil {
		t.Fatal(err)
	}
	var alerts []*alert.Alert
	for i := range 3 {
		a := testAlert(fmt.Sprintf("alert-%d", i))
		if i == 2 {
			a.Context = map[string]any{"blob": strings.Repeat("x", 1100<<10)} // over the record limit: trimmed
		}
		alerts = append(alerts, a)
	}
	if err := sink.Send(ctx, alerts); err != nil {
		t.Fatal(err)
	}
	objs, err := s3c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("lake"), Prefix: aws.String("ext/trailhound/")})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, o := range objs.Contents {
		got, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("lake"), Key: o.Key})
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(got.Body)
		got.Body.Close()
		if !bytes.HasSuffix(body, []byte("\n")) {
			t.Errorf("%s: records are not newline-terminated", aws.ToString(o.Key))
		}
		sc := bufio.NewScanner(bytes.NewReader(body))
		sc.Buffer(nil, 2<<20)
		for sc.Scan() {
			for _, err := range class.Validate(schema, sc.Bytes()) {
				t.Errorf("finding fails OCSF: %v", err)
			}
			for i := range 3 {
				if bytes.Contains(sc.Bytes(), []byte(fmt.Sprintf(`"uid":"alert-%d"`, i))) {
					seen[fmt.Sprintf("alert-%d", i)] = true
				}
			}
		}
	}
	if len(seen) != 3 {
		t.Errorf("findings in S3 for %v, want alert-0..2 (%d objects)", seen, len(objs.Contents))
	}
}

func TestFirehoseStreamName(t *testing.T) {
	for _, n := range []string{"", "a b", strings.Repeat("x", 65), "arn:aws:firehose:us-east-1:1:deliverystream/x"} {
		if _, err := NewFirehose(nil, n); err == nil {
			t.Errorf("%q accepted", n)
		}
	}
}
