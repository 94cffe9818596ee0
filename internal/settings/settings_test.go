package settings

import (
	"errors"
	"flag"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the configuration table of docs/ARCHITECTURE.md")

const docPath = "../../docs/ARCHITECTURE.md"

// TestDocsTable fails when the configuration table of docs/ARCHITECTURE.md is not the one
// the declarations generate; -update rewrites it.
func TestDocsTable(t *testing.T) {
	data, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		out, err := Replace(string(data), Vars)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(docPath, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if err := Drift(string(data), Vars); err != nil {
		t.Fatalf("%v\n(go test ./internal/settings -run TestDocsTable -update rewrites the table)", err)
	}
}

// TestDriftFails shows that TestDocsTable can fail: a changed default, an undeclared row
// and a missing row are each reported, naming the variable.
func TestDriftFails(t *testing.T) {
	data, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	changed := *RulesReloadSeconds
	changed.Default = "30"
	cases := map[string]struct {
		doc  string
		vars []*Var
		want string
	}{
		"changed default": {doc, replaceVar(Vars, RulesReloadSeconds, &changed), "RULES_RELOAD_SECONDS"},
		"undeclared":      {doc, removeVar(Vars, StateTable), "not declared so: | `STATE_TABLE`"},
		"undocumented":    {strings.Replace(doc, "| `STATE_TABLE` |", "| `STATE_TABLES` |", 1), Vars, "missing or different: | `STATE_TABLE`"},
		"no markers":      {strings.Replace(doc, TableEnd, "", 1), Vars, "no line"},
	}
	for name, c := range cases {
		err := Drift(c.doc, c.vars)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Drift = %v, want an error mentioning %q", name, err, c.want)
		}
	}
}

func replaceVar(vars []*Var, old, with *Var) []*Var {
	out := append([]*Var{}, vars...)
	for i, v := range out {
		if v == old {
			out[i] = with
		}
	}
	return out
}

func removeVar(vars []*Var, old *Var) []*Var {
	var out []*Var
	for _, v := range vars {
		if v != old {
			out = append(out, v)
		}
	}
	return out
}

// TestDeclarations checks every declaration: a unique, well-formed name, a meaning, who reads
// it, and a default that parses.
func TestDeclarations(t *testing.T) {
	name := regexp.MustCompile(`^[A-Z][A-Z0-9_]*(<SERVICE>)?$`)
	seen := map[string]bool{}
	for _, v := range Vars {
		if !name.MatchString(v.Name) || seen[v.Name] {
			t.Errorf("%q: malformed or declared twice", v.Name)
		}
		seen[v.Name] = true
		if v.Doc == "" || v.ReadBy == "" || strings.Contains(v.Doc, "|") {
			t.Errorf("%s: no meaning or readers, or a | in the meaning", v.Name)
		}
		if v.Default == "" {
			continue
		}
		env := func(string) string { return "" }
		var err error
		switch v.Kind {
		case Bool, SDKBool:
			_, err = v.Bool(env)
		case Seconds:
			_, err = v.Duration(env)
		case Int:
			_, err = v.Int(env)
		case Enum:
			_, err = v.enum(v.Default)
		case Presence, PathList:
			err = errors.New("a default for a variable of this kind means nothing")
		}
		if err != nil {
			t.Errorf("%s: default %q: %v", v.Name, v.Default, err)
		}
	}
}

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestBool(t *testing.T) {
	for _, c := range []struct {
		v        *Var
		value    string
		want     bool
		wantFail bool
	}{
		{SecurityHub, "", false, false},
		{SecurityHub, " TRUE ", true, false},
		{SecurityHub, "1", true, false},
		{SecurityHub, "yes", true, false},
		{SecurityHub, "No", false, false},
		{SecurityHub, "0", false, false},
		{SecurityHub, "yes please", false, true},
		{Enrich, "", true, false}, // the declared default
		{Enrich, "false", false, false},
		{Enrich, "sometimes", false, true},
		{UseFIPSEndpoint, "True", true, false},
		{UseFIPSEndpoint, "1", false, true}, // the SDK's spelling only
		{UseFIPSEndpoint, "", false, false},
	} {
		got, err := c.v.Bool(env(c.v.Name, c.value))
		if (err != nil) != c.wantFail || got != c.want {
			t.Errorf("%s=%q: %t, %v", c.v.Name, c.value, got, err)
		}
		if err != nil && !strings.HasPrefix(err.Error(), c.v.Name+": ") {
			t.Errorf("%s=%q: error %q does not name the variable", c.v.Name, c.value, err)
		}
	}
	if on, err := Enrich.BoolOr(env(), false); on || err != nil {
		t.Errorf("ENRICH unset with default false: %t, %v", on, err)
	}
	if on, err := Enrich.BoolOr(env("ENRICH", "yes"), false); !on || err != nil {
		t.Errorf("ENRICH=yes: %t, %v", on, err)
	}
}

func TestValues(t *testing.T) {
	for _, c := range []struct {
		v     *Var
		value string
		want  string // "" with wantErr
		err   string
	}{
		{QueueURL, "triage", "", "ALERT_QUEUE_URL: want an http:// or https:// URL"},
		{QueueURL, " https://sqs.us-east-1.amazonaws.com/1/q ", "https://sqs.us-east-1.amazonaws.com/1/q", ""},
		{TopicARN, "alerts", "", "ALERT_TOPIC_ARN: want an ARN"},
		{TopicARN, "arn:aws:sqs:us-east-1:111122223333:q", "", "ALERT_TOPIC_ARN: want an ARN of sns"},
		{TopicARN, "arn:aws:sns:us-east-1:111122223333:alerts", "arn:aws:sns:us-east-1:111122223333:alerts", ""},
		{PagerDutyMinSeverity, "low", "LOW", ""},
		{PagerDutyMinSeverity, "URGENT", "", "PAGERDUTY_MIN_SEVERITY: want one of INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL"},
		{PagerDutyMinSeverity, "", "HIGH", ""},
		{LogLevel, "WARNING", "warn", ""},
		{RetryMode, "Adaptive", "adaptive", ""},
		{RulesPublicKey, "-----BEGIN PUBLIC KEY-----\nx\n", "-----BEGIN PUBLIC KEY-----\nx\n", ""},
	} {
		got, err := c.v.Parse(env(c.v.Name, c.value))
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s=%q: %q, %v; want an error %q", c.v.Name, c.value, got, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%s=%q: %q, %v; want %q", c.v.Name, c.value, got, err, c.want)
		}
	}
}

func TestSecondsAndInts(t *testing.T) {
	if d, err := RulesReloadSeconds.Duration(env()); d != 60*time.Second || err != nil {
		t.Errorf("default: %v, %v", d, err)
	}
	if d, err := RulesReloadSeconds.Duration(env("RULES_RELOAD_SECONDS", "5")); d != 5*time.Second || err != nil {
		t.Errorf("5: %v, %v", d, err)
	}
	for _, bad := range []string{"0", "-1", "1.5", "1m", "x"} {
		if _, err := RulesFetchTimeoutSeconds.Duration(env("RULES_FETCH_TIMEOUT_SECONDS", bad)); err == nil || !strings.Contains(err.Error(), "RULES_FETCH_TIMEOUT_SECONDS: want a whole number of seconds >= 1") {
			t.Errorf("%q: %v", bad, err)
		}
	}
	if n, err := MaxAttempts.Int(env("AWS_MAX_ATTEMPTS", "0")); n != 0 || err != nil {
		t.Errorf("AWS_MAX_ATTEMPTS=0: %d, %v", n, err)
	}
	if _, err := MaxAttempts.Int(env("AWS_MAX_ATTEMPTS", "-1")); err == nil {
		t.Error("AWS_MAX_ATTEMPTS=-1 accepted")
	}
}

func TestPaths(t *testing.T) {
	got := TeamsConfig.Paths(env("TEAMS_CONFIG", " a : :b"))
	if strings.Join(got, ",") != "a,b" {
		t.Errorf("TEAMS_CONFIG: %q", got)
	}
}

func TestLoadFunction(t *testing.T) {
	f, err := LoadFunction(env())
	if err != nil {
		t.Fatal(err)
	}
	if !f.Enrichment.On || f.Bundle.ReloadInterval != 60*time.Second || f.Bundle.FetchTimeout != 10*time.Second || f.FunctionName != "trailhound" || f.Destinations.PagerDutyMinSeverity != "" {
		t.Errorf("defaults: %+v", f)
	}
	_, err = LoadFunction(env("ENRICH", "sometimes", "SECURITY_HUB", "maybe", "RULES_RELOAD_SECONDS", "0",
		"RULES_PUBLIC_KEY", "k", "RULES_PUBLIC_KEY_PARAMETER", "/p", "SLACK_MIN_SEVERITY", "URGENT"))
	for _, name := range []string{"ENRICH:", "SECURITY_HUB:", "RULES_RELOAD_SECONDS:", "RULES_PUBLIC_KEY_PARAMETER: set RULES_PUBLIC_KEY or RULES_PUBLIC_KEY_PARAMETER, not both", "SLACK_MIN_SEVERITY:"} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("error %v does not name %s", err, name)
		}
	}
	d, err := LoadDestinations(env("SLACK_SECRET", "s", "SLACK_MIN_SEVERITY", "high"))
	if err != nil || d.SlackSecret != "s" || d.SlackMinSeverity != "HIGH" {
		t.Errorf("slack: %+v, %v", d, err)
	}
}

func TestLogLevel(t *testing.T) {
	for in, want := range map[string]slog.Level{"": slog.LevelInfo, "WARN": slog.LevelWarn, "warning": slog.LevelWarn, "debug": slog.LevelDebug, "Error": slog.LevelError} {
		if got, err := LoadLogLevel(env("LOG_LEVEL", in)); got != want || err != nil {
			t.Errorf("%q: %v, %v", in, got, err)
		}
	}
	if got, err := LoadLogLevel(env("LOG_LEVEL", "verbose")); got != slog.LevelInfo || err == nil || !strings.HasPrefix(err.Error(), "LOG_LEVEL: ") {
		t.Errorf("verbose: %v, %v", got, err)
	}
}

func TestLoadCores(t *testing.T) {
	for in, want := range map[string]int{"128": 1, "512": 1, "1769": 1, "3537": 1, "3538": 2, "10240": 5} {
		if got, err := LoadCores(env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", in)); got != want || err != nil {
			t.Errorf("%s MB: %d, %v; want %d", in, got, err, want)
		}
	}
	if got, err := LoadCores(env()); got != 0 || err != nil {
		t.Errorf("unset: %d, %v; want 0", got, err)
	}
	if _, err := LoadCores(env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "lots")); err == nil || !strings.HasPrefix(err.Error(), "AWS_LAMBDA_FUNCTION_MEMORY_SIZE: ") {
		t.Errorf("lots: %v", err)
	}
}

func TestModes(t *testing.T) {
	if LambdaMode(env()) || !LambdaMode(env("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001")) {
		t.Error("AWS_LAMBDA_RUNTIME_API")
	}
	if BacktestMode(env("BACKTEST_BUCKET", " ")) || !BacktestMode(env("BACKTEST_BUCKET", "b")) {
		t.Error("BACKTEST_BUCKET")
	}
	if LoadTerminal(env("TERM", "dumb")).Color() || LoadTerminal(env("NO_COLOR", "1")).Color() || !LoadTerminal(env("TERM", "xterm")).Color() {
		t.Error("NO_COLOR, TERM")
	}
}

func TestAWS(t *testing.T) {
	a, err := LoadAWS(env("AWS_DEFAULT_REGION", "eu-west-1", "AWS_ENDPOINT_URL", "http://127.0.0.1:5000", "AWS_ENDPOINT_URL_S3", "http://s3.local", "AWS_ENDPOINT_URL_DYNAMODB", "http://ddb.local"))
	if err != nil || a.Region != "eu-west-1" || a.EndpointURL != "http://127.0.0.1:5000" || a.ServiceEndpoint("S3") != "http://s3.local" || a.ServiceEndpoint("DynamoDB") != "http://ddb.local" {
		t.Errorf("%+v, %v", a, err)
	}
	a, err = LoadAWS(env("AWS_ENDPOINT_URL", "http://127.0.0.1:5000", "AWS_ENDPOINT_URL_S3", "http://s3.local", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "TRUE"))
	if err != nil || a.EndpointURL != "" || a.ServiceEndpoint("S3") != "" {
		t.Errorf("ignored endpoints: %+v, %v", a, err)
	}
	_, err = LoadAWS(env("AWS_USE_FIPS_ENDPOINT", "yes", "AWS_MAX_ATTEMPTS", "many", "AWS_RETRY_MODE", "legacy"))
	for _, name := range []string{"AWS_USE_FIPS_ENDPOINT:", "AWS_MAX_ATTEMPTS:", "AWS_RETRY_MODE:"} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("error %v does not name %s", err, name)
		}
	}
}

// TestTemplatesSetOnlyDeclaredVariables: every variable the deploy templates set on a
// function is declared here (a variable nobody reads is a setting that does nothing).
func TestTemplatesSetOnlyDeclaredVariables(t *testing.T) {
	declared := map[string]bool{}
	for _, v := range Vars {
		declared[v.Name] = true
	}
	key := regexp.MustCompile(`^(\s+)([A-Z][A-Z0-9_]*):`)
	for _, path := range []string{"../../deploy/template.yaml", "../../deploy/backtest.yaml"} {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		found, indent := 0, -1
		for _, line := range strings.Split(string(data), "\n") {
			if strings.TrimSpace(line) == "Variables:" {
				indent = len(line) - len(strings.TrimLeft(line, " "))
				continue
			}
			m := key.FindStringSubmatch(line)
			if indent < 0 || m == nil || len(m[1]) <= indent {
				indent = -1
				continue
			}
			found++
			if !declared[m[2]] {
				t.Errorf("%s sets %s, which internal/settings does not declare", path, m[2])
			}
		}
		if found == 0 {
			t.Errorf("%s: no function environment variables found", path)
		}
	}
}
