package enrich

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// The fetch functions make the IAM calls of one lookup and return raw, cacheable results
// (no value depends on the event: ages are computed per event by the render functions).

type rawKey struct {
	ID      string
	Status  string
	Created time.Time
}

func fetchAccessKeys(ctx context.Context, api accessKeysAPI, user string) ([]rawKey, error) {
	var keys []rawKey
	p := iam.NewListAccessKeysPaginator(api, &iam.ListAccessKeysInput{UserName: aws.String(user)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, userGone("ListAccessKeys", err)
		}
		for _, k := range out.AccessKeyMetadata {
			keys = append(keys, rawKey{ID: aws.ToString(k.AccessKeyId), Status: string(k.Status), Created: aws.ToTime(k.CreateDate)})
		}
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].Created.Before(keys[j].Created) })
	return keys, nil
}

func renderAccessKeys(keys []rawKey, eventKey string, ref time.Time) *AccessKeys {
	out := &AccessKeys{Keys: []AccessKey{}, OldestAgeDays: -1}
	for _, k := range keys {
		ak := AccessKey{AccessKeyID: k.ID, Status: k.Status, CreateDate: stamp(k.Created), AgeDays: days(k.Created, ref)}
		out.Keys = append(out.Keys, ak)
		if ak.AgeDays > out.OldestAgeDays {
			out.OldestAgeDays = ak.AgeDays
		}
		if eventKey != "" && k.ID == eventKey {
			out.EventKey = &ak
		}
	}
	return out
}

type rawLastUsed struct {
	Exists   bool
	UserName string
	LastUsed time.Time
	Service  string
	Region   string
}

func fetchLastUsed(ctx context.Context, api accessKeyLastUsedAPI, keyID string) (rawLastUsed, error) {
	out, err := api.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(keyID)})
	if err != nil {
		if isNoSuchEntity(err) {
			return rawLastUsed{}, nil
		}
		return rawLastUsed{}, userGone("GetAccessKeyLastUsed", err)
	}
	r := rawLastUsed{Exists: true, UserName: aws.ToString(out.UserName)}
	if lu := out.AccessKeyLastUsed; lu != nil {
		r.LastUsed = aws.ToTime(lu.LastUsedDate)
		r.Service, r.Region = notNA(aws.ToString(lu.ServiceName)), notNA(aws.ToString(lu.Region))
	}
	return r, nil
}

func renderLastUsed(keyID string, r rawLastUsed, ref time.Time) *AccessKeyLastUsed {
	out := &AccessKeyLastUsed{AccessKeyID: keyID, Exists: r.Exists}
	if r.LastUsed.IsZero() {
		return out
	}
	out.Used = true
	out.LastUsedDate, out.ServiceName, out.Region = stamp(r.LastUsed), r.Service, r.Region
	if !ref.IsZero() && !r.LastUsed.Before(ref) {
		out.UsedAfterEvent = true
		return out
	}
	d := days(r.LastUsed, ref)
	out.DaysUnused = &d
	return out
}

func fetchMFA(ctx context.Context, api mfaAPI, user string) (*MFA, error) {
	out := &MFA{Devices: []MFADevice{}}
	p := iam.NewListMFADevicesPaginator(api, &iam.ListMFADevicesInput{UserName: aws.String(user)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, userGone("ListMFADevices", err)
		}
		for _, d := range page.MFADevices {
			out.Devices = append(out.Devices, MFADevice{SerialNumber: aws.ToString(d.SerialNumber), EnableDate: stamp(aws.ToTime(d.EnableDate))})
		}
	}
	out.Enabled = len(out.Devices) > 0
	return out, nil
}

func fetchLoginProfile(ctx context.Context, api loginProfileAPI, user string) (*LoginProfile, error) {
	out, err := api.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String(user)})
	if err != nil {
		// IAM answers NoSuchEntity both for a user without a console password ("Login Profile
		// for User bob cannot be found") and for a missing user ("The user with name bob
		// cannot be found").
		if isNoSuchEntity(err) && strings.Contains(strings.ToLower(err.Error()), "login profile") {
			return &LoginProfile{ConsoleAccess: false}, nil
		}
		return nil, userGone("GetLoginProfile", err)
	}
	lp := &LoginProfile{ConsoleAccess: true}
	if p := out.LoginProfile; p != nil {
		lp.CreateDate, lp.PasswordResetRequired = stamp(aws.ToTime(p.CreateDate)), p.PasswordResetRequired
	}
	return lp, nil
}

func fetchTags(ctx context.Context, api tagsAPI, user string) (*Tags, error) {
	out := &Tags{Tags: map[string]string{}}
	p := iam.NewListUserTagsPaginator(api, &iam.ListUserTagsInput{UserName: aws.String(user)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, userGone("ListUserTags", err)
		}
		for _, t := range page.Tags {
			out.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
	}
	out.Owner = firstTag(out.Tags, "owner", "Owner")
	out.Team = firstTag(out.Tags, "team", "Team")
	return out, nil
}

func firstTag(tags map[string]string, keys ...string) string {
	for _, k := range keys {
		if v := tags[k]; v != "" {
			return v
		}
	}
	return ""
}

func notNA(s string) string {
	if s == "N/A" {
		return ""
	}
	return s
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// days is the number of whole days from t to ref; -1 when t is after ref.
func days(t, ref time.Time) int {
	if ref.Before(t) {
		return -1
	}
	return int(ref.Sub(t) / (24 * time.Hour))
}
