package enrich

// The types below are the documented shape of input.enrichment (rules/README.md, "Input").
// A lookup `<subject>_<name>` (custom.enrich) fills input.enrichment.<subject>.<name>. A
// lookup that failed is absent and named in input.enrichment.unavailable; the reason goes to
// the alert as a note. Times are RFC 3339 UTC; ages and idle periods are whole days measured
// at the event's time (eventTime), so a replay computes what live processing computed from
// the same IAM state.

// Document is input.enrichment.
type Document struct {
	// ReferenceTime is the time ages are measured at: the event's eventTime.
	ReferenceTime string `json:"reference_time"`
	// AsOf is when the lookups ran (results may come from the cache, at most the TTL old).
	AsOf string `json:"as_of"`
	// Unavailable lists the declared lookups that failed.
	Unavailable []string `json:"unavailable"`
	Target      *Subject `json:"target,omitempty"`
	Actor       *Subject `json:"actor,omitempty"`
}

// Subject is one IAM user the event concerns: the target of the call or the calling user.
type Subject struct {
	UserName string `json:"user_name"`
	Account  string `json:"account,omitempty"`
	// Exists is false when IAM answered NoSuchEntity for the user (e.g. already deleted):
	// a fact, not an error. The user's other lookups are then absent.
	Exists bool `json:"exists"`

	AccessKeys        *AccessKeys        `json:"access_keys,omitempty"`
	AccessKeyLastUsed *AccessKeyLastUsed `json:"access_key_last_used,omitempty"`
	MFA               *MFA               `json:"mfa,omitempty"`
	LoginProfile      *LoginProfile      `json:"login_profile,omitempty"`
	GroupsPolicies    *GroupsPolicies    `json:"groups_policies,omitempty"`
	Tags              *Tags              `json:"tags,omitempty"`
}

// AccessKeys is ListAccessKeys: every key of the user, and the one the event concerns.
type AccessKeys struct {
	Keys []AccessKey `json:"keys"`
	// EventKey is the key the event names (the target's requestParameters.accessKeyId, or
	// the long-term key that signed the call for the actor), when it belongs to the user.
	EventKey *AccessKey `json:"event_key,omitempty"`
	// OldestAgeDays is the age of the user's oldest key, -1 when the user has none.
	OldestAgeDays int `json:"oldest_age_days"`
}

// AccessKey is one access key's metadata.
type AccessKey struct {
	AccessKeyID string `json:"access_key_id"`
	Status      string `json:"status"` // Active | Inactive
	CreateDate  string `json:"create_date"`
	// AgeDays is whole days from CreateDate to the event; -1 when the key was created after
	// the event (the event predates it).
	AgeDays int `json:"age_days"`
}

// AccessKeyLastUsed is GetAccessKeyLastUsed for the key the event names.
type AccessKeyLastUsed struct {
	AccessKeyID string `json:"access_key_id"`
	// Exists is false when IAM no longer knows the key (deleted).
	Exists bool `json:"exists"`
	// Used is false when IAM has no record of the key being used (IAM tracks use since
	// 2015-04-22): a never-used key.
	Used         bool   `json:"used"`
	LastUsedDate string `json:"last_used_date,omitempty"`
	ServiceName  string `json:"service_name,omitempty"`
	Region       string `json:"region,omitempty"`
	// UsedAfterEvent is true when the last use is at or after the event: the key was used
	// since (e.g. right after a reactivation), and how long it had been idle before the event
	// can no longer be known. DaysUnused is then absent.
	UsedAfterEvent bool `json:"used_after_event"`
	// DaysUnused is whole days from the last use to the event; absent when never used or
	// used after the event.
	DaysUnused *int `json:"days_unused,omitempty"`
}

// MFA is ListMFADevices.
type MFA struct {
	Enabled bool        `json:"enabled"`
	Devices []MFADevice `json:"devices"`
}

// MFADevice is one assigned MFA device.
type MFADevice struct {
	SerialNumber string `json:"serial_number"`
	EnableDate   string `json:"enable_date"`
}

// LoginProfile is GetLoginProfile: whether the user can sign in to the console.
type LoginProfile struct {
	ConsoleAccess         bool   `json:"console_access"`
	CreateDate            string `json:"create_date,omitempty"`
	PasswordResetRequired bool   `json:"password_reset_required"`
}

// GroupsPolicies is the user's groups and policies, and whether they make it an
// administrator.
type GroupsPolicies struct {
	Groups           []string         `json:"groups"`
	AttachedPolicies []AttachedPolicy `json:"attached_policies"`
	InlinePolicies   []InlinePolicy   `json:"inline_policies"`
	// IsAdmin holds when AdministratorAccess is attached to the user or one of its groups, or
	// a policy (inline, or customer managed) attached to either allows Action "*" on
	// Resource "*".
	IsAdmin bool `json:"is_admin"`
	// AdminReasons says why, one sentence per grant.
	AdminReasons []string `json:"admin_reasons"`
	// Truncated is true when more policies existed than were read.
	Truncated bool `json:"truncated"`
}

// AttachedPolicy is a managed policy attached to the user or to one of its groups.
type AttachedPolicy struct {
	PolicyName string `json:"policy_name"`
	PolicyARN  string `json:"policy_arn"`
	Via        string `json:"via"` // "user" or "group:<name>"
	AllowsAll  bool   `json:"allows_all"`
}

// InlinePolicy is an inline policy of the user or of one of its groups.
type InlinePolicy struct {
	PolicyName string `json:"policy_name"`
	Via        string `json:"via"`
	AllowsAll  bool   `json:"allows_all"`
}

// Tags is ListUserTags, with the conventional ownership tags pulled out.
type Tags struct {
	Tags  map[string]string `json:"tags"`
	Owner string            `json:"owner,omitempty"` // tag owner (or Owner)
	Team  string            `json:"team,omitempty"`  // tag team (or Team)
}
