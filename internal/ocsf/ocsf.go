// Package ocsf renders Alert v1 as an OCSF 1.6 Detection Finding (class_uid 2004), the form
// Amazon Security Lake takes custom sources in and AWS Security Hub stores findings as.
//
// What OCSF has a place for is mapped there: finding_info (uid = the alert id, title, desc,
// types, ATT&CK attacks, analytic = the rule), actor (user, session, and app_name for the service that called on the user's behalf), api, cloud,
// resources (the target), evidences (source IP and user agent), remediation, metadata, the
// severity, status and activity ids, and the times. Everything else of the alert (target
// values, enrichment context, remediation steps with their commands, runbook, dedup key,
// compliance) is kept under unmapped.trailhound, so no part of the alert is lost. The
// finding declares the cloud, host and security_control profiles it uses in
// metadata.profiles.
package ocsf

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/event"
)

// Schema identifiers of a Detection Finding.
const (
	Version      = "1.6.0"
	CategoryUID  = 2 // Findings
	ClassUID     = 2004
	categoryName = "Findings"
	className    = "Detection Finding"

	ActivityCreate = 1
	ActivityUpdate = 2

	statusNew = 1

	ProductName = "trailhound"
)

// Profiles are the OCSF profiles a finding uses: cloud (cloud, api), host (actor) and
// security_control (attacks, is_alert).
var Profiles = []string{"cloud", "host", "security_control"}

// Finding is an OCSF 1.6 Detection Finding.
type Finding struct {
	ActivityID   int    `json:"activity_id"`
	ActivityName string `json:"activity_name"`
	CategoryUID  int    `json:"category_uid"`
	CategoryName string `json:"category_name"`
	ClassUID     int    `json:"class_uid"`
	ClassName    string `json:"class_name"`
	TypeUID      int64  `json:"type_uid"`
	TypeName     string `json:"type_name"`
	SeverityID   int    `json:"severity_id"`
	Severity     string `json:"severity"`
	StatusID     int    `json:"status_id"`
	Status       string `json:"status"`
	IsAlert      bool   `json:"is_alert"`
	Message      string `json:"message,omitempty"`

	Time      int64 `json:"time"`
	StartTime int64 `json:"start_time,omitempty"`
	EndTime   int64 `json:"end_time,omitempty"`
	Count     int   `json:"count,omitempty"`

	Metadata    Metadata     `json:"metadata"`
	FindingInfo FindingInfo  `json:"finding_info"`
	Actor       *Actor       `json:"actor,omitempty"`
	API         *API         `json:"api,omitempty"`
	Cloud       Cloud        `json:"cloud"`
	Resources   []Resource   `json:"resources,omitempty"`
	Evidences   []Evidence   `json:"evidences,omitempty"`
	Remediation *Remediation `json:"remediation,omitempty"`
	Unmapped    Unmapped     `json:"unmapped"`
}

// Metadata is the OCSF metadata object.
type Metadata struct {
	Product      Product  `json:"product"`
	Version      string   `json:"version"`
	UID          string   `json:"uid"`
	Profiles     []string `json:"profiles"`
	LogProvider  string   `json:"log_provider,omitempty"`
	OriginalTime string   `json:"original_time,omitempty"`
	EventCode    string   `json:"event_code,omitempty"`
	TenantUID    string   `json:"tenant_uid,omitempty"`
}

// Product names the detector.
type Product struct {
	Name       string `json:"name"`
	VendorName string `json:"vendor_name"`
}

// FindingInfo is the OCSF finding_info object.
type FindingInfo struct {
	UID           string   `json:"uid"`
	Title         string   `json:"title,omitempty"`
	Desc          string   `json:"desc,omitempty"`
	Types         []string `json:"types,omitempty"`
	Attacks       []Attack `json:"attacks,omitempty"`
	Analytic      Analytic `json:"analytic"`
	CreatedTime   int64    `json:"created_time,omitempty"`
	FirstSeenTime int64    `json:"first_seen_time,omitempty"`
	LastSeenTime  int64    `json:"last_seen_time,omitempty"`
	SrcURL        string   `json:"src_url,omitempty"`
	DataSources   []string `json:"data_sources,omitempty"`
}

// Attack is one MITRE ATT&CK tactic and technique (and sub-technique).
type Attack struct {
	Tactic       *Entity `json:"tactic,omitempty"`
	Technique    *Entity `json:"technique,omitempty"`
	SubTechnique *Entity `json:"sub_technique,omitempty"`
}

// Entity is an OCSF entity with a uid, a name and a link (tactic, technique).
type Entity struct {
	UID    string `json:"uid"`
	Name   string `json:"name,omitempty"`
	SrcURL string `json:"src_url,omitempty"`
}

// Analytic is the rule that raised the finding.
type Analytic struct {
	UID      string `json:"uid"`
	Name     string `json:"name,omitempty"`
	TypeID   int    `json:"type_id"`
	Type     string `json:"type"`
	Version  string `json:"version,omitempty"`
	Category string `json:"category,omitempty"`
}

// Actor is who made the call.
type Actor struct {
	User    *User    `json:"user,omitempty"`
	Session *Session `json:"session,omitempty"`
	// AppName is the AWS service that made the call on the user's behalf (CloudTrail's
	// invokedBy; OCSF 1.2 deprecated actor.invoked_by for app_name).
	AppName string `json:"app_name,omitempty"`
}

// User is the calling principal.
type User struct {
	UID                    string       `json:"uid,omitempty"`
	Name                   string       `json:"name,omitempty"`
	Type                   string       `json:"type,omitempty"`
	TypeID                 int          `json:"type_id"`
	Account                *Account     `json:"account,omitempty"`
	ProgrammaticCredential []Credential `json:"programmatic_credentials,omitempty"`
}

// Credential is an access key.
type Credential struct {
	UID  string `json:"uid"`
	Type string `json:"type"`
}

// Account is an AWS account.
type Account struct {
	UID    string `json:"uid"`
	Type   string `json:"type"`
	TypeID int    `json:"type_id"`
}

// Session is the caller's session: its issuer (the role of an assumed-role session) and MFA.
type Session struct {
	Issuer string `json:"issuer,omitempty"`
	IsMFA  bool   `json:"is_mfa"`
}

// API is the CloudTrail call.
type API struct {
	Operation string    `json:"operation"`
	Service   *Service  `json:"service,omitempty"`
	Response  *Response `json:"response,omitempty"`
}

// Service is the AWS service called (its event source).
type Service struct {
	Name string `json:"name"`
}

// Response carries a failed call's error.
type Response struct {
	Error        string `json:"error,omitempty"`
	ErrorMessage string `json:"error_message,omitempty"`
}

// Cloud is the account and region of the event.
type Cloud struct {
	Provider string   `json:"provider"`
	Region   string   `json:"region,omitempty"`
	Account  *Account `json:"account,omitempty"`
}

// Resource is what the call acted on.
type Resource struct {
	UID    string `json:"uid,omitempty"`
	Name   string `json:"name,omitempty"`
	Type   string `json:"type"`
	Region string `json:"region,omitempty"`
}

// Evidence is where the call came from.
type Evidence struct {
	SrcEndpoint *Endpoint    `json:"src_endpoint,omitempty"`
	HTTPRequest *HTTPRequest `json:"http_request,omitempty"`
}

// Endpoint is a caller's address, or the AWS service that called on its behalf.
type Endpoint struct {
	IP      string `json:"ip,omitempty"`
	SvcName string `json:"svc_name,omitempty"`
}

// HTTPRequest carries the caller's user agent.
type HTTPRequest struct {
	UserAgent string `json:"user_agent"`
}

// Remediation is the guidance: its summary and containment titles, and the references.
type Remediation struct {
	Desc       string   `json:"desc"`
	References []string `json:"references,omitempty"`
}

// Unmapped holds the parts of the alert OCSF has no attribute for.
type Unmapped struct {
	Trailhound Extra `json:"trailhound"`
}

// Extra is the rest of the alert, in Alert v1's own field names.
type Extra struct {
	SchemaVersion string              `json:"alert_schema_version"`
	RuleSeverity  string              `json:"rule_severity"`
	Team          string              `json:"team,omitempty"`
	Compliance    map[string][]string `json:"compliance,omitempty"`
	RuleRefs      []string            `json:"rule_references,omitempty"`
	ActorType     string              `json:"actor_type,omitempty"`
	ActorAccount  string              `json:"actor_account,omitempty"`
	AccessKeyID   string              `json:"actor_access_key_id,omitempty"`
	EventTime     string              `json:"event_time,omitempty"`
	ReadOnly      bool                `json:"read_only"`
	Target        map[string]string   `json:"target,omitempty"`
	Context       map[string]any      `json:"context,omitempty"`
	Containment   []alert.Step        `json:"containment,omitempty"`
	Steps         []alert.Step        `json:"steps,omitempty"`
	Backout       []alert.Step        `json:"backout,omitempty"`
	Runbook       []string            `json:"runbook,omitempty"`
	Dedup         alert.Dedup         `json:"dedup"`
	Links         alert.Links         `json:"links"`
}

// severityIDs maps Alert v1 severities to OCSF severity_id and its caption.
var severityIDs = map[string]struct {
	id      int
	caption string
}{
	"INFORMATIONAL": {1, "Informational"},
	"LOW":           {2, "Low"},
	"MEDIUM":        {3, "Medium"},
	"HIGH":          {4, "High"},
	"CRITICAL":      {5, "Critical"},
}

// tactics names the MITRE ATT&CK Enterprise tactics.
var tactics = map[string]string{
	"TA0001": "Initial Access", "TA0002": "Execution", "TA0003": "Persistence",
	"TA0004": "Privilege Escalation", "TA0005": "Defense Evasion", "TA0006": "Credential Access",
	"TA0007": "Discovery", "TA0008": "Lateral Movement", "TA0009": "Collection",
	"TA0010": "Exfiltration", "TA0011": "Command and Control", "TA0040": "Impact",
	"TA0042": "Resource Development", "TA0043": "Reconnaissance",
}

// userTypes maps CloudTrail userIdentity types to OCSF user type_id (1 User, 2 Admin,
// 4 Service) and its caption; any other type is 99 Other with CloudTrail's type as caption.
// CloudTrail's own type is kept in unmapped too.
var userTypes = map[string]struct {
	id      int
	caption string
}{
	"IAMUser": {1, "User"}, "AssumedRole": {1, "User"}, "FederatedUser": {1, "User"},
	"IdentityCenterUser": {1, "User"}, "SAMLUser": {1, "User"}, "WebIdentityUser": {1, "User"},
	"Root": {2, "Admin"}, "AWSService": {4, "Service"},
}

// Render returns the Detection Finding of an alert. Activity is Create for an alert that
// stands for one event and Update for a dedup update (dedup.count above 1), which carries the
// same finding uid.
func Render(a *alert.Alert) *Finding {
	activity, activityName := ActivityCreate, "Create"
	if a.Dedup.Count > 1 {
		activity, activityName = ActivityUpdate, "Update"
	}
	sev, ok := severityIDs[a.Severity]
	if !ok {
		sev.id, sev.caption = 99, a.Severity // "Other": the caption is the source's value
		if sev.caption == "" {
			sev.id, sev.caption = 0, "Unknown"
		}
	}
	created := a.CreatedAt.UTC()
	evTime, evErr := event.ParseTime(a.Event.Time)
	first, last := seenTimes(a, evTime, evErr == nil)
	f := &Finding{
		ActivityID: activity, ActivityName: activityName,
		CategoryUID: CategoryUID, CategoryName: categoryName,
		ClassUID: ClassUID, ClassName: className,
		TypeUID:    int64(ClassUID)*100 + int64(activity),
		TypeName:   className + ": " + activityName,
		SeverityID: sev.id, Severity: sev.caption,
		StatusID: statusNew, Status: "New",
		IsAlert: true,
		Message: a.Summary,
		Time:    millis(created),
		Count:   max(a.Dedup.Count, 1),
		Metadata: Metadata{
			Product:      Product{Name: ProductName, VendorName: ProductName},
			Version:      Version,
			UID:          a.ID,
			Profiles:     Profiles,
			LogProvider:  "CloudTrail",
			OriginalTime: a.Event.Time,
			EventCode:    a.Event.Name,
			TenantUID:    a.Event.Account,
		},
		FindingInfo: FindingInfo{
			UID:         a.ID,
			Title:       a.Title,
			Desc:        a.Summary,
			Types:       types(a.Rule.Attack),
			Attacks:     attacks(a.Rule.Attack),
			Analytic:    Analytic{UID: a.Rule.ID, Name: a.Rule.Title, TypeID: 1, Type: "Rule", Version: a.Rule.Version, Category: a.Rule.Team},
			CreatedTime: millis(created),
			SrcURL:      httpURL(a.Links.CloudTrailConsole),
			DataSources: []string{"CloudTrail"},
		},
		Actor:       actor(a),
		API:         api(a),
		Cloud:       Cloud{Provider: "AWS", Region: a.Event.Region},
		Resources:   resources(a),
		Evidences:   evidences(a),
		Remediation: remediation(a),
		Unmapped: Unmapped{Trailhound: Extra{
			SchemaVersion: a.SchemaVersion,
			RuleSeverity:  a.Rule.Severity,
			Team:          a.Rule.Team,
			Compliance:    a.Rule.Compliance,
			RuleRefs:      a.Rule.References,
			ActorType:     a.Actor.Type,
			ActorAccount:  a.Actor.Account,
			AccessKeyID:   a.Actor.AccessKeyID,
			EventTime:     a.Event.Time,
			ReadOnly:      a.Event.ReadOnly,
			Target:        a.Target,
			Context:       a.Context,
			Containment:   a.Remediation.Containment,
			Steps:         a.Remediation.Steps,
			Backout:       a.Remediation.Backout,
			Runbook:       a.Runbook,
			Dedup:         a.Dedup,
			Links:         a.Links,
		}},
	}
	if !first.IsZero() {
		f.StartTime, f.FindingInfo.FirstSeenTime = millis(first), millis(first)
	}
	if !last.IsZero() {
		f.EndTime, f.FindingInfo.LastSeenTime = millis(last), millis(last)
	}
	if a.Event.Account != "" {
		f.Cloud.Account = awsAccount(a.Event.Account)
	}
	return f
}

// JSON returns the finding of an alert as JSON.
func JSON(a *alert.Alert) ([]byte, error) {
	b, err := json.Marshal(Render(a))
	if err != nil {
		return nil, fmt.Errorf("encode OCSF finding of alert %s: %w", a.ID, err)
	}
	return b, nil
}

// WriteJSON writes the finding of an alert as one line of JSON (JSON Lines).
func WriteJSON(w io.Writer, a *alert.Alert) error {
	b, err := JSON(a)
	if err != nil {
		return err
	}
	if _, err := w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("write OCSF finding of alert %s: %w", a.ID, err)
	}
	return nil
}

func millis(t time.Time) int64 { return t.UnixMilli() }

// seenTimes are the first and last event times the alert stands for: the dedup window's, else
// the event's own time; zero when neither parses.
func seenTimes(a *alert.Alert, evTime time.Time, evOK bool) (first, last time.Time) {
	if evOK {
		first, last = evTime.UTC(), evTime.UTC()
	}
	if t, err := event.ParseTime(a.Dedup.FirstSeen); err == nil && a.Dedup.FirstSeen != "" {
		first = t.UTC()
	}
	if t, err := event.ParseTime(a.Dedup.LastSeen); err == nil && a.Dedup.LastSeen != "" {
		last = t.UTC()
	}
	if !first.IsZero() && !last.IsZero() && last.Before(first) {
		first, last = last, first
	}
	return first, last
}

func awsAccount(id string) *Account {
	return &Account{UID: id, Type: "AWS Account", TypeID: 10}
}

// attackParts splits "TA0003:T1098.001" into its tactic, technique and sub-technique; parts
// that are not ATT&CK ids are "".
func attackParts(id string) (tactic, technique, sub string) {
	t, tech, _ := strings.Cut(id, ":")
	if !validID(t, "TA") {
		t = ""
	}
	base, subID, hasSub := strings.Cut(tech, ".")
	if !validID(base, "T") {
		return t, "", ""
	}
	if hasSub && len(subID) == 3 && digits(subID) {
		return t, base, tech
	}
	return t, base, ""
}

func validID(s, prefix string) bool {
	return strings.HasPrefix(s, prefix) && len(s) == len(prefix)+4 && digits(s[len(prefix):])
}

func digits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// attacks maps the rule's ATT&CK ids to OCSF attack objects.
func attacks(ids []string) []Attack {
	var out []Attack
	for _, id := range ids {
		tactic, technique, sub := attackParts(id)
		var at Attack
		if tactic != "" {
			at.Tactic = &Entity{UID: tactic, Name: tactics[tactic], SrcURL: "https://attack.mitre.org/tactics/" + tactic + "/"}
		}
		if technique != "" {
			at.Technique = &Entity{UID: technique, SrcURL: "https://attack.mitre.org/techniques/" + technique + "/"}
		}
		if sub != "" {
			at.SubTechnique = &Entity{UID: sub, SrcURL: "https://attack.mitre.org/techniques/" + strings.ReplaceAll(sub, ".", "/") + "/"}
		}
		if at.Tactic != nil || at.Technique != nil {
			out = append(out, at)
		}
	}
	return out
}

// types names the finding's categories as "TTPs/<tactic>/<technique>", as Security Hub's
// finding types do; a rule without ATT&CK ids is "Unusual Behaviors/User".
func types(ids []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, id := range ids {
		tactic, technique, sub := attackParts(id)
		name, ok := tactics[tactic]
		if !ok {
			continue
		}
		t := "TTPs/" + name
		if sub != "" {
			t += "/" + sub
		} else if technique != "" {
			t += "/" + technique
		}
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		out = []string{"Unusual Behaviors/User"}
	}
	return out
}

func actor(a *alert.Alert) *Actor {
	act := &Actor{AppName: a.Actor.InvokedBy}
	if a.Actor.ARN != "" || a.Actor.Name != "" || a.Actor.Account != "" {
		u := &User{UID: a.Actor.ARN, Name: a.Actor.Name}
		switch t, ok := userTypes[a.Actor.Type]; {
		case ok:
			u.TypeID, u.Type = t.id, t.caption
		case a.Actor.Type == "" || a.Actor.Type == "Unknown":
			u.TypeID, u.Type = 0, "Unknown"
		default:
			u.TypeID, u.Type = 99, a.Actor.Type
		}
		if a.Actor.Account != "" {
			u.Account = awsAccount(a.Actor.Account)
		}
		if a.Actor.AccessKeyID != "" {
			u.ProgrammaticCredential = []Credential{{UID: a.Actor.AccessKeyID, Type: "AWS Access Key"}}
		}
		act.User = u
	}
	if a.Actor.SessionIssuer != "" || a.Actor.MFAAuthenticated {
		act.Session = &Session{Issuer: a.Actor.SessionIssuer, IsMFA: a.Actor.MFAAuthenticated}
	}
	if act.User == nil && act.Session == nil && act.AppName == "" {
		return nil
	}
	return act
}

func api(a *alert.Alert) *API {
	if a.Event.Name == "" {
		return nil
	}
	out := &API{Operation: a.Event.Name}
	if a.Event.Source != "" {
		out.Service = &Service{Name: a.Event.Source}
	}
	if a.Event.ErrorCode != "" || a.Event.ErrorMessage != "" {
		out.Response = &Response{Error: a.Event.ErrorCode, ErrorMessage: a.Event.ErrorMessage}
	}
	return out
}

// resources lists the target IAM user and access key.
func resources(a *alert.Alert) []Resource {
	var out []Resource
	if u := a.Target["user_name"]; u != "" {
		r := Resource{Name: u, Type: "AwsIamUser", Region: a.Event.Region, UID: a.Target["user_arn"]}
		out = append(out, r)
	}
	if k := a.Target["access_key_id"]; k != "" {
		out = append(out, Resource{UID: k, Type: "AwsIamAccessKey", Region: a.Event.Region})
	}
	return out
}

// evidences carries the caller's address (or the AWS service that called) and user agent.
func evidences(a *alert.Alert) []Evidence {
	var ev Evidence
	if ip := a.Event.SourceIP; ip != "" {
		if p := net.ParseIP(ip); p != nil {
			ev.SrcEndpoint = &Endpoint{IP: p.String()}
		} else {
			ev.SrcEndpoint = &Endpoint{SvcName: ip} // "iam.amazonaws.com": a service on the caller's behalf
		}
	}
	if a.Event.UserAgent != "" {
		ev.HTTPRequest = &HTTPRequest{UserAgent: a.Event.UserAgent}
	}
	if ev.SrcEndpoint == nil && ev.HTTPRequest == nil {
		return nil
	}
	return []Evidence{ev}
}

// remediation is the remediation summary and the containment step titles, with the
// references (the alert's and the rule's, http(s) only).
func remediation(a *alert.Alert) *Remediation {
	var b strings.Builder
	b.WriteString(a.Remediation.Summary)
	for i, s := range a.Remediation.Containment {
		if i == 0 {
			b.WriteString(" Contain:")
		}
		fmt.Fprintf(&b, " (%d) %s", i+1, s.Title)
	}
	desc := strings.TrimSpace(b.String())
	if desc == "" {
		return nil
	}
	r := &Remediation{Desc: desc}
	seen := map[string]bool{}
	for _, u := range append(append([]string(nil), a.Remediation.References...), a.Rule.References...) {
		if u = httpURL(u); u != "" && !seen[u] {
			seen[u] = true
			r.References = append(r.References, u)
		}
	}
	return r
}

// httpURL returns u if it is an absolute http(s) URL, else "".
func httpURL(u string) string {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
		return ""
	}
	return u
}
