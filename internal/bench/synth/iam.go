package synth

import (
	"fmt"
	"strings"
	"time"
)

// This file writes the IAM access-key and user events of a synthetic trail: mostly routine
// (users rotating their own keys), with a realistic share of what the built-in rules alert on
// (another user's key reactivated, created or deleted, users renamed, denied attempts, the root
// user creating a key).

// iamCaller is who makes an IAM call: an IAM user with its long-term key (30%) or in a console
// session (40%), or a person in an Identity Center session (30%).
type iamCaller struct {
	identity string
	user     string // the IAM user name, "" for a role session or root
}

func (g *gen) iamCaller() iamCaller {
	user := g.pick(users)
	switch n := g.rng.IntN(10); {
	case n < 3:
		return iamCaller{identity: userIdentityIAMUser(g.account, user), user: user}
	case n < 7:
		created := stamp(g.t.Add(-time.Duration(g.rng.IntN(7200)) * time.Second))
		return iamCaller{identity: userIdentityConsoleUser(g.account, user, g.tempKey(), created, g.rng.IntN(3) > 0), user: user}
	}
	return iamCaller{identity: g.ssoCaller(user)}
}

// otherUser picks a user other than self.
func (g *gen) otherUser(self string) string {
	for {
		if u := g.pick(users); u != self {
			return u
		}
	}
}

// oldKey is one of a user's few older keys, so repeated events on the same key occur.
func (g *gen) oldKey(user string) string {
	return idFrom("AKIA", 16, hash32(g.account, user, fmt.Sprint(g.rng.IntN(3))))
}

// iam writes one IAM event.
func (g *gen) iam() string {
	c := g.iamCaller()
	// Users mostly manage their own keys; sessions and one call in five act on another user.
	target, self := c.user, c.user != ""
	if !self || g.rng.IntN(5) == 0 {
		target, self = g.otherUser(c.user), false
	}
	userParam := ""
	if !self {
		userParam = fmt.Sprintf(`"userName":"%s",`, target)
	}
	switch n := g.rng.IntN(100); {
	case n < 24:
		status := "Inactive"
		if g.rng.IntN(3) == 0 {
			status = "Active"
		}
		key := g.oldKey(target)
		req := fmt.Sprintf(`{%s"accessKeyId":"%s","status":"%s"}`, userParam, key, status)
		return g.iamEvent("UpdateAccessKey", c, req, "null", target, key)
	case n < 48:
		key := idFrom("AKIA", 16, g.rng.Uint32())
		req := "null"
		if !self {
			req = fmt.Sprintf(`{"userName":"%s"}`, target)
		}
		resp := fmt.Sprintf(`{"accessKey":{"userName":"%s","accessKeyId":"%s","status":"Active","createDate":"%s"}}`, target, key, g.t.Format("Jan 2, 2006 3:04:05 PM"))
		return g.iamEvent("CreateAccessKey", c, req, resp, target, key)
	case n < 68:
		key := g.oldKey(target)
		req := fmt.Sprintf(`{%s"accessKeyId":"%s"}`, userParam, key)
		return g.iamEvent("DeleteAccessKey", c, req, "null", target, key)
	case n < 76:
		req := fmt.Sprintf(`{"userName":"%s","newUserName":"%s-%s"}`, target, target, g.pick([]string{"old", "disabled", "2"}))
		return g.iamEvent("UpdateUser", c, req, "null", target, "")
	case n < 82:
		return g.iamDenied(c, target)
	case n < 83:
		return g.rootKey()
	default:
		name := g.pick([]string{"GetUser", "ListAccessKeys", "ListAttachedUserPolicies"})
		return g.envelope("iam.amazonaws.com", name, c.identity, g.iamUserAgent("iam."+name), fmt.Sprintf(`{"userName":"%s"}`, target), "null", "", true, true)
	}
}

// iamEvent writes a successful IAM write acting on user target (and its key, when known).
func (g *gen) iamEvent(name string, c iamCaller, req, resp, target, key string) string {
	extra := fmt.Sprintf(`"resources":[{"accountId":"%s","type":"AWS::IAM::User","ARN":"arn:aws:iam::%s:user/%s"}],`, g.account, g.account, target)
	if key != "" {
		extra = fmt.Sprintf(`"resources":[{"accountId":"%s","type":"AWS::IAM::User","ARN":"arn:aws:iam::%s:user/%s"},{"accountId":"%s","type":"AWS::IAM::AccessKey","ARN":"arn:aws:iam::%s:user/%s/accesskey/%s"}],`,
			g.account, g.account, target, g.account, g.account, target, key)
	}
	return g.envelope("iam.amazonaws.com", name, c.identity, g.iamUserAgent(commandOf(name)), req, resp, extra+`"sessionCredentialFromConsole":"false",`, false, true)
}

// iamDenied writes an IAM write refused for lack of permission: no requestParameters, the
// target named only in errorMessage.
func (g *gen) iamDenied(c iamCaller, target string) string {
	name := g.pick([]string{"CreateAccessKey", "UpdateAccessKey", "DeleteAccessKey"})
	caller := fmt.Sprintf("arn:aws:iam::%s:user/%s", g.account, c.user)
	if c.user == "" {
		caller = "an assumed role session"
	}
	extra := fmt.Sprintf(`"errorCode":"AccessDenied","errorMessage":"User: %s is not authorized to perform: iam:%s on resource: user %s because no identity-based policy allows the iam:%s action",`,
		caller, name, target, name)
	return g.envelope("iam.amazonaws.com", name, c.identity, g.iamUserAgent(commandOf(name)), "null", "null", extra, false, true)
}

// rootKey writes the root user creating an access key for itself.
func (g *gen) rootKey() string {
	key := idFrom("AKIA", 16, g.rng.Uint32())
	resp := fmt.Sprintf(`{"accessKey":{"accessKeyId":"%s","status":"Active","createDate":"%s"}}`, key, g.t.Format("Jan 2, 2006 3:04:05 PM"))
	identity := userIdentityRoot(g.account, g.tempKey(), stamp(g.t.Add(-10*time.Minute)))
	return g.envelope("iam.amazonaws.com", "CreateAccessKey", identity, "AWS Internal", "null", resp, `"sessionCredentialFromConsole":"true",`, false, true)
}

// iamUserAgent is the user agent of an administrative tool (the CLI, an SDK script, Terraform).
func (g *gen) iamUserAgent(command string) string {
	ua := userAgents[g.rng.IntN(3)]
	if strings.Contains(ua, "%s") {
		ua = fmt.Sprintf(ua, command)
	}
	return ua
}

// commandOf is the CLI command name of an API action ("UpdateAccessKey" -> "iam.update-access-key").
func commandOf(name string) string {
	var b []byte
	for i, r := range name {
		if r >= 'A' && r <= 'Z' {
			if i > 0 {
				b = append(b, '-')
			}
			r += 'a' - 'A'
		}
		b = append(b, byte(r))
	}
	return "iam." + string(b)
}
