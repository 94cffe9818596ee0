package sink

import (
	"fmt"
	"net"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/event"
)

// ASFF field limits, in characters.
const (
	asffMaxTitle       = 256
	asffMaxDescription = 1024
	asffMaxRemediation = 512
	asffMaxFieldValue  = 2048
	asffMaxURL         = 2048
	asffSchemaVersion  = "2018-10-08"
	asffTimeLayout     = "2006-01-02T15:04:05.000Z"
	hiddenValue        = "HIDDEN_DUE_TO_SECURITY_REASONS"
)

// tacticTypes maps MITRE ATT&CK tactic ids to the ASFF finding-type namespace/category.
var tacticTypes = map[string]string{
	"TA0001": "TTPs/Initial Access",
	"TA0002": "TTPs/Execution",
	"TA0003": "TTPs/Persistence",
	"TA0004": "TTPs/Privilege Escalation",
	"TA0005": "TTPs/Defense Evasion",
	"TA0006": "TTPs/Credential Access",
	"TA0007": "TTPs/Discovery",
	"TA0008": "TTPs/Lateral Movement",
	"TA0009": "TTPs/Collection",
	"TA0011": "TTPs/Command and Control",
	"TA0010": "Effects/Data Exfiltration",
	"TA0040": "Effects/Data Destruction",
	"TA0042": "TTPs/Initial Access",
	"TA0043": "TTPs/Discovery",
}

// findingOwner says where findings are imported: the account and region of the Security Hub
// the detector writes to. With the default product ARN, Security Hub accepts only findings
// whose AwsAccountId is the importing account, so an event from another account of the
// organization is imported under Owner's account and names its own account as a resource.
type findingOwner struct {
	Account, Region string
}

func (o findingOwner) partition() string {
	switch {
	case strings.HasPrefix(o.Region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(o.Region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}

func (o findingOwner) productARN() string {
	return fmt.Sprintf("arn:%s:securityhub:%s:%s:product/%s/default", o.partition(), o.Region, o.Account, o.Account)
}

// ASFF renders an alert as an AWS Security Finding Format finding updated at the alert's
// creation time (see ASFFAt).
func (o findingOwner) ASFF(a *alert.Alert) types.AwsSecurityFinding {
	return o.ASFFAt(a, a.CreatedAt)
}

// ASFFAt renders an alert as an AWS Security Finding Format finding, as a finding provider
// must write it (the Security Hub User Guide, "BatchImportFindings for finding providers"):
//
//   - Id is the alert id, so a redelivered event or a dedup update (the same alert id with a
//     higher dedup.count) updates the same finding instead of adding one; UpdatedAt is the
//     time of this import (updated, never before the alert's creation), FirstObservedAt and
//     LastObservedAt the dedup window's, and ProductFields carry the count.
//   - Severity and Types are set in FindingProviderFields only: Security Hub fills the
//     top-level fields from them on a new finding, and a customer's own changes to the
//     top-level fields (BatchUpdateFindings, automation rules) survive our updates.
//   - Workflow is never set: Security Hub sets NEW on a new finding, and the workflow status
//     is the analyst's (a provider's update must not reset it).
//   - RecordState is ACTIVE; Archive re-imports it ARCHIVED.
func (o findingOwner) ASFFAt(a *alert.Alert, updated time.Time) types.AwsSecurityFinding {
	observed := a.CreatedAt.UTC()
	if t, err := event.ParseTime(a.Event.Time); err == nil {
		observed = t.UTC()
	}
	if updated.Before(a.CreatedAt) {
		updated = a.CreatedAt
	}
	first, last := observed, observed
	if t, err := event.ParseTime(a.Dedup.FirstSeen); err == nil && a.Dedup.FirstSeen != "" {
		first = t.UTC()
	}
	if t, err := event.ParseTime(a.Dedup.LastSeen); err == nil && a.Dedup.LastSeen != "" && !t.Before(first) {
		last = t.UTC()
	}
	if last.Before(first) {
		last = first
	}
	f := types.AwsSecurityFinding{
		SchemaVersion:   aws.String(asffSchemaVersion),
		Id:              aws.String(a.ID),
		ProductArn:      aws.String(o.productARN()),
		GeneratorId:     aws.String(a.Rule.ID),
		AwsAccountId:    aws.String(o.Account),
		Region:          aws.String(o.Region),
		CreatedAt:       aws.String(observed.Format(asffTimeLayout)),
		UpdatedAt:       aws.String(updated.UTC().Format(asffTimeLayout)),
		FirstObservedAt: aws.String(first.Format(asffTimeLayout)),
		LastObservedAt:  aws.String(last.Format(asffTimeLayout)),
		FindingProviderFields: &types.FindingProviderFields{
			Severity: &types.FindingProviderSeverity{Label: asffSeverity(a.Severity), Original: aws.String(truncateRunes(cleanLine(a.Severity), 64))},
			Types:    asffTypes(a.Rule.Attack),
		},
		Title:         aws.String(truncateRunes(markupSafe(cleanLine(defang(a.Title))), asffMaxTitle)),
		Description:   aws.String(truncateRunes(markupSafe(asffDescription(defanged(a))), asffMaxDescription)),
		Remediation:   &types.Remediation{Recommendation: asffRecommendation(a)},
		Resources:     o.resources(a),
		ProductFields: productFields(a),
		RecordState:   types.RecordStateActive,
	}
	if u := safeURL(a.Links.CloudTrailConsole); u != "" {
		f.SourceUrl = aws.String(u)
	}
	if act := apiCallAction(a, observed); act != nil {
		f.Action = act
	}
	return f
}

// asffSeverity is the ASFF label of a severity; one ASFF does not know is HIGH (better a
// finding triaged too early than one lost to a rejected import).
func asffSeverity(s string) types.SeverityLabel {
	switch l := types.SeverityLabel(s); l {
	case types.SeverityLabelInformational, types.SeverityLabelLow, types.SeverityLabelMedium, types.SeverityLabelHigh, types.SeverityLabelCritical:
		return l
	}
	return types.SeverityLabelHigh
}

// asffTypes maps the rule's ATT&CK ids ("TA0003:T1098.001") to finding types
// ("TTPs/Persistence/T1098.001"); a rule without them is "Unusual Behaviors/User".
func asffTypes(attack []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, id := range attack {
		tactic, technique, _ := strings.Cut(id, ":")
		cat, ok := tacticTypes[tactic]
		if !ok {
			continue
		}
		t := cat
		if technique != "" {
			t += "/" + technique
		}
		if !seen[t] && len(out) < 50 {
			seen[t] = true
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		out = []string{"Unusual Behaviors/User"}
	}
	return out
}

func asffDescription(a *alert.Alert) string {
	var b strings.Builder
	b.WriteString(cleanLine(a.Summary))
	fmt.Fprintf(&b, " Event %s %s (%s) at %s in account %s, region %s.", cleanLine(a.Event.Source), cleanLine(a.Event.Name),
		cleanLine(a.Event.ID), cleanLine(a.Event.Time), cleanLine(a.Event.Account), cleanLine(a.Event.Region))
	if a.Actor.ARN != "" {
		fmt.Fprintf(&b, " Actor %s.", cleanLine(a.Actor.ARN))
	}
	if a.Event.ErrorCode != "" {
		fmt.Fprintf(&b, " The call failed: %s.", cleanLine(a.Event.ErrorCode))
	}
	fmt.Fprintf(&b, " Alert %s.", a.ID)
	return b.String()
}

// asffRecommendation is the remediation summary and the containment step titles, with a link
// to the rule's first reference (or the event in the CloudTrail console).
func asffRecommendation(a *alert.Alert) *types.Recommendation {
	var b strings.Builder
	b.WriteString(cleanLine(a.Remediation.Summary))
	for i, s := range a.Remediation.Containment {
		if i == 0 {
			b.WriteString(" Contain:")
		}
		fmt.Fprintf(&b, " (%d) %s", i+1, cleanLine(s.Title))
	}
	text := strings.TrimSpace(b.String())
	if text == "" {
		text = "See the alert's remediation steps."
	}
	rec := &types.Recommendation{Text: aws.String(truncateRunes(markupSafe(defang(text)), asffMaxRemediation))}
	candidates := append(append(append([]string(nil), a.Remediation.References...), a.Rule.References...), a.Links.CloudTrailConsole)
	for _, c := range candidates {
		if u := safeURL(c); u != "" {
			rec.Url = aws.String(u)
			break
		}
	}
	return rec
}

// safeURL returns u if it is an absolute http(s) URL short enough for ASFF, else "".
func safeURL(u string) string {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" || len(u) > asffMaxURL {
		return ""
	}
	return p.String()
}

// resources lists what the alert is about: the target IAM user and access key, other target
// values that are ARNs, and the account of the event.
func (o findingOwner) resources(a *alert.Alert) []types.Resource {
	partition := o.partition()
	account := a.Event.Account
	var out []types.Resource
	user := usable(a.Target["user_name"])
	if user != "" {
		id := usable(a.Target["user_arn"])
		if id == "" && account != "" {
			// The user's path is not in the event; the ARN is the path-less form.
			id = fmt.Sprintf("arn:%s:iam::%s:user/%s", partition, account, user)
		}
		if id == "" {
			id = user
		}
		out = append(out, types.Resource{Type: aws.String("AwsIamUser"), Id: aws.String(truncateRunes(id, 512)),
			Partition: types.Partition(partition), Region: aws.String(a.Event.Region),
			Details: &types.ResourceDetails{AwsIamUser: &types.AwsIamUserDetails{UserName: aws.String(user)}}})
	}
	if key := usable(a.Target["access_key_id"]); key != "" {
		d := &types.AwsIamAccessKeyDetails{AccessKeyId: aws.String(key)}
		if account != "" {
			d.AccountId = aws.String(account)
		}
		if user != "" {
			d.PrincipalName = aws.String(user)
			d.PrincipalType = aws.String("IAMUser")
		}
		out = append(out, types.Resource{Type: aws.String("AwsIamAccessKey"), Id: aws.String(truncateRunes(key, 512)),
			Partition: types.Partition(partition), Region: aws.String(a.Event.Region),
			Details: &types.ResourceDetails{AwsIamAccessKey: d}})
	}
	for _, k := range sortedTargetKeys(a.Target) {
		v := usable(a.Target[k])
		if k == "user_arn" || !strings.HasPrefix(v, "arn:") || len(out) >= 31 {
			continue
		}
		out = append(out, types.Resource{Type: aws.String("Other"), Id: aws.String(truncateRunes(v, 512)),
			Partition: types.Partition(partition), Region: aws.String(a.Event.Region)})
	}
	if account != "" {
		out = append(out, types.Resource{Type: aws.String("AwsAccount"), Id: aws.String("AWS::::Account:" + account),
			Partition: types.Partition(partition), Region: aws.String(a.Event.Region)})
	}
	if len(out) == 0 {
		out = append(out, types.Resource{Type: aws.String("AwsAccount"), Id: aws.String("AWS::::Account:" + o.Account),
			Partition: types.Partition(partition), Region: aws.String(o.Region)})
	}
	return out
}

// usable returns a cleaned target value, or "" for an empty or masked one.
func usable(v string) string {
	if v == "" || v == hiddenValue {
		return ""
	}
	return cleanLine(v)
}

// productFields carries the alert's identifiers and target, for searching in Security Hub.
func productFields(a *alert.Alert) map[string]string {
	pf := map[string]string{
		"trailhound/alert_id":     a.ID,
		"trailhound/rule_id":      a.Rule.ID,
		"trailhound/rule_version": a.Rule.Version,
		"trailhound/team":         a.Rule.Team,
		"trailhound/event_id":     a.Event.ID,
		"trailhound/event_name":   a.Event.Name,
		"trailhound/event_source": a.Event.Source,
		"trailhound/account":      a.Event.Account,
		"trailhound/actor_arn":    a.Actor.ARN,
		"trailhound/source_ip":    a.Event.SourceIP,
		"trailhound/user_agent":   a.Event.UserAgent,
		"trailhound/dedup_count":  strconv.Itoa(max(a.Dedup.Count, 1)),
		"trailhound/first_seen":   a.Dedup.FirstSeen,
		"trailhound/last_seen":    a.Dedup.LastSeen,
	}
	for _, k := range sortedTargetKeys(a.Target) {
		if len(pf) >= 40 {
			break
		}
		pf["trailhound/target/"+truncate(cleanLine(k), 100, "")] = a.Target[k]
	}
	for k, v := range pf {
		v = truncateRunes(cleanLine(v), asffMaxFieldValue)
		if v == "" {
			delete(pf, k)
			continue
		}
		pf[k] = v
	}
	return pf
}

// apiCallAction describes the CloudTrail call as an ASFF AWS_API_CALL action.
func apiCallAction(a *alert.Alert, at time.Time) *types.Action {
	if a.Event.Name == "" {
		return nil
	}
	call := &types.AwsApiCallAction{
		Api:         aws.String(truncateRunes(cleanLine(a.Event.Name), 128)),
		ServiceName: aws.String(truncateRunes(cleanLine(a.Event.Source), 128)),
		FirstSeen:   aws.String(at.Format(asffTimeLayout)),
		LastSeen:    aws.String(at.Format(asffTimeLayout)),
	}
	ip := net.ParseIP(a.Event.SourceIP)
	switch {
	case ip != nil && ip.To4() != nil:
		call.CallerType = aws.String("remoteip")
		call.RemoteIpDetails = &types.ActionRemoteIpDetails{IpAddressV4: aws.String(ip.String())}
	case ip != nil, a.Event.SourceIP == "":
		// ASFF has no field for an IPv6 caller; the address is in ProductFields.
		call.CallerType = aws.String("remoteip")
	default: // an AWS service calling on the user's behalf, such as "iam.amazonaws.com"
		call.CallerType = aws.String("domain")
		call.DomainDetails = &types.AwsApiCallActionDomainDetails{Domain: aws.String(truncateRunes(cleanLine(a.Event.SourceIP), 128))}
	}
	return &types.Action{ActionType: aws.String("AWS_API_CALL"), AwsApiCallAction: call}
}

func sortedTargetKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
