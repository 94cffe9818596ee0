package sink

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

func TestASFFCrossAccountAndHostileValues(t *testing.T) {
	o := findingOwner{Account: "999988887777", Region: "us-gov-west-1"}
	a := testAlert(strings.Repeat("8", 32))
	a.Rule.Attack = []string{"TA0005:T1562.008", "TA0040", "TA9999:T1", "TA0005:T1562.008"}
	a.Target["access_key_id"] = hiddenValue
	a.Target["policy_arn"] = "arn:aws:iam::aws:policy/AdministratorAccess"
	a.Event.SourceIP = "2001:db8::1"
	a.Title = "title\nwith\x1b[1mescape"
	f := o.ASFF(a)
	if got := aws.ToString(f.AwsAccountId); got != o.Account {
		t.Errorf("AwsAccountId = %s, want the importing account", got)
	}
	if got := aws.ToString(f.ProductArn); got != "arn:aws-us-gov:securityhub:us-gov-west-1:999988887777:product/999988887777/default" {
		t.Errorf("ProductArn = %s", got)
	}
	if got := strings.Join(f.FindingProviderFields.Types, ","); got != "TTPs/Defense Evasion/T1562.008,Effects/Data Destruction" {
		t.Errorf("Types = %s", got)
	}
	if got := aws.ToString(f.Title); strings.ContainsAny(got, "\n\x1b") {
		t.Errorf("Title not cleaned: %q", got)
	}
	var types []string
	for _, r := range f.Resources {
		types = append(types, aws.ToString(r.Type)+"="+aws.ToString(r.Id))
	}
	want := "AwsIamUser=arn:aws-us-gov:iam::111122223333:user/bob,Other=arn:aws:iam::aws:policy/AdministratorAccess,AwsAccount=AWS::::Account:111122223333"
	if got := strings.Join(types, ","); got != want {
		t.Errorf("Resources = %s\nwant        %s", got, want)
	}
	if f.Action.AwsApiCallAction.RemoteIpDetails != nil {
		t.Errorf("IPv6 caller put in IpAddressV4")
	}
	if got := f.ProductFields["trailhound/source_ip"]; got != "2001:db8::1" {
		t.Errorf("source_ip product field %q", got)
	}
	if f.Severity != nil || f.Types != nil || f.Workflow != nil {
		t.Errorf("top-level Severity %v, Types %v or Workflow %v set: a finding provider sets FindingProviderFields only, and never the workflow", f.Severity, f.Types, f.Workflow)
	}
	if got := asffTypes(nil); len(got) != 1 || got[0] != "Unusual Behaviors/User" {
		t.Errorf("types without ATT&CK = %v", got)
	}
}
