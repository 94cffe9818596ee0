package settings

// The environment variables, in the order of the documentation table. Each is read only
// through the loaders of this package (load.go, aws.go).
var (
	QueueURL = &Var{Name: "ALERT_QUEUE_URL", Kind: URL, ReadBy: "Lambda",
		Doc: "SQS triage queue each alert is sent to (Alert v1 JSON)"}
	TopicARN = &Var{Name: "ALERT_TOPIC_ARN", Kind: ARN, Service: "sns", ReadBy: "Lambda",
		Doc: "SNS topic of readable alerts"}
	BusName = &Var{Name: "ALERT_BUS_NAME", ReadBy: "Lambda",
		Doc: "EventBridge bus alerts are also put on (source `trailhound`, detail = Alert v1)"}
	SecurityHub = &Var{Name: "SECURITY_HUB", Kind: Bool, Default: "false", ReadBy: "Lambda",
		Doc: "import each alert into Security Hub as an ASFF finding"}
	FirehoseStream = &Var{Name: "ALERT_FIREHOSE_STREAM", ReadBy: "Lambda",
		Doc: "Firehose stream each alert is put on as an OCSF 1.6 Detection Finding"}
	PagerDutySecret = &Var{Name: "PAGERDUTY_SECRET", ReadBy: "Lambda",
		Doc: "Secrets Manager secret (ARN or name, never the value) holding the PagerDuty Events API v2 routing key"}
	PagerDutyEventsURL = &Var{Name: "PAGERDUTY_EVENTS_URL", Kind: URL, ReadBy: "Lambda",
		Doc: "overrides PagerDuty's endpoint (tests)"}
	PagerDutyMinSeverity = &Var{Name: "PAGERDUTY_MIN_SEVERITY", Kind: Enum, Allowed: severities, Default: "HIGH", ReadBy: "Lambda",
		Doc: "lowest severity that pages"}
	SlackSecret = &Var{Name: "SLACK_SECRET", ReadBy: "Lambda",
		Doc: "secret holding the Slack incoming-webhook URL"}
	SlackMinSeverity = &Var{Name: "SLACK_MIN_SEVERITY", Kind: Enum, Allowed: severities, Default: "INFORMATIONAL", ReadBy: "Lambda",
		Doc: "lowest severity posted to Slack"}
	WebhookURL = &Var{Name: "WEBHOOK_URL", Kind: URL, ReadBy: "Lambda",
		Doc: "https URL each alert is POSTed to, signed (needs `WEBHOOK_SECRET`)"}
	WebhookSecret = &Var{Name: "WEBHOOK_SECRET", ReadBy: "Lambda",
		Doc: "secret holding the webhook's HMAC signing key"}
	WebhookMinSeverity = &Var{Name: "WEBHOOK_MIN_SEVERITY", Kind: Enum, Allowed: severities, Default: "INFORMATIONAL", ReadBy: "Lambda",
		Doc: "lowest severity sent to the webhook"}
	StateTable = &Var{Name: "STATE_TABLE", ReadBy: "Lambda",
		Doc: "DynamoDB table for idempotency and windows (unset: per warm container only)"}
	Enrich = &Var{Name: "ENRICH", Kind: Bool, Default: "true", ReadBy: "Lambda, CLI",
		Doc: "IAM lookups on or off; the CLI's `--enrich` defaults to it, else off"}
	EnrichRoleName = &Var{Name: "ENRICH_ROLE_NAME", ReadBy: "Lambda",
		Doc: "read-only role assumed in member accounts for their events' lookups"}
	RulesBundle = &Var{Name: "RULES_BUNDLE", ReadBy: "Lambda",
		Doc: "the signed team rules bundle: `s3://bucket/key`"}
	RulesPublicKey = &Var{Name: "RULES_PUBLIC_KEY", Kind: Text, ReadBy: "Lambda, backtest function",
		Doc: "the bundle's verification key as PEM text (HS* algorithms: the shared secret); unset: the signature is not checked"}
	RulesPublicKeyParameter = &Var{Name: "RULES_PUBLIC_KEY_PARAMETER", ReadBy: "Lambda",
		Doc: "SSM parameter holding that key, in place of `RULES_PUBLIC_KEY` (not both)"}
	RulesKeyAlgorithm = &Var{Name: "RULES_KEY_ALGORITHM", ReadBy: "Lambda, backtest function",
		Doc: "the key's JWT algorithm when it cannot be inferred (HS256 needs it)"}
	RulesReloadSeconds = &Var{Name: "RULES_RELOAD_SECONDS", Kind: Seconds, Min: 1, Default: "60", ReadBy: "Lambda",
		Doc: "least time between two checks of the bundle for a new version"}
	RulesFetchTimeoutSeconds = &Var{Name: "RULES_FETCH_TIMEOUT_SECONDS", Kind: Seconds, Min: 1, Default: "10", ReadBy: "Lambda",
		Doc: "bound on every S3 call for the rules bundle; reloads run in the background"}
	TeamsConfig = &Var{Name: "TEAMS_CONFIG", Kind: PathList, ReadBy: "Lambda, CLI",
		Doc: "directories of team packs (the CLI's `--rules` wins)"}
	TuningConfig = &Var{Name: "TUNING_CONFIG", ReadBy: "Lambda, CLI",
		Doc: "the org tuning file (`rules/TUNING.md`); a tuning file in the rules bundle wins, and so does the CLI's `--tuning`"}
	BacktestBucket = &Var{Name: "BACKTEST_BUCKET", ReadBy: "Lambda",
		Doc: "makes the function the backtest worker and reduce, confined to that bucket"}
	LogLevel = &Var{Name: "LOG_LEVEL", Kind: Enum, Allowed: []string{"debug", "info", "warn", "error"}, Aliases: map[string]string{"warning": "warn"}, Default: "info", ReadBy: "Lambda",
		Doc: "log level (another value: `info`, with a warning)"}
	FunctionName = &Var{Name: "AWS_LAMBDA_FUNCTION_NAME", Default: "trailhound", ReadBy: "Lambda",
		Doc: "set by Lambda: the `FunctionName` dimension of the function's metrics"}
	FunctionMemory = &Var{Name: "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", Kind: Int, Min: 1, ReadBy: "Lambda, backtest function",
		Doc: "set by Lambda: the function's memory in MB, which buys its CPU (1,769 MB: one vCPU); with less than two vCPUs' worth the built-in pack is compiled on one core"}
	LambdaRuntimeAPI = &Var{Name: "AWS_LAMBDA_RUNTIME_API", Kind: Presence, ReadBy: "Lambda",
		Doc: "set by Lambda (or a Runtime API emulator): the binary serves invocations"}
	NoColor = &Var{Name: "NO_COLOR", Kind: Presence, ReadBy: "CLI",
		Doc: "set: `--color auto` writes no color"}
	Term = &Var{Name: "TERM", ReadBy: "CLI",
		Doc: "`dumb`: `--color auto` writes no color"}
)

// The AWS SDK's settings the Lambda reads itself (internal/awsenv; the CLI leaves them to the
// SDK's config package, which reads these and more).
var (
	Region = &Var{Name: "AWS_REGION", ReadBy: "Lambda",
		Doc: "region (set by Lambda)"}
	DefaultRegion = &Var{Name: "AWS_DEFAULT_REGION", ReadBy: "Lambda",
		Doc: "region when `AWS_REGION` is unset"}
	AccessKeyID = &Var{Name: "AWS_ACCESS_KEY_ID", ReadBy: "Lambda",
		Doc: "the execution role's credentials (set by Lambda)"}
	SecretAccessKey = &Var{Name: "AWS_SECRET_ACCESS_KEY", ReadBy: "Lambda",
		Doc: "the execution role's credentials (set by Lambda)"}
	SessionToken = &Var{Name: "AWS_SESSION_TOKEN", ReadBy: "Lambda",
		Doc: "the execution role's credentials (set by Lambda)"}
	AccountID = &Var{Name: "AWS_ACCOUNT_ID", ReadBy: "Lambda",
		Doc: "the credentials' account"}
	EndpointURL = &Var{Name: "AWS_ENDPOINT_URL", Kind: URL, ReadBy: "Lambda, CLI",
		Doc: "every client's endpoint: how tests point the clients at moto (S3 is then addressed by path)"}
	ServiceEndpointURL = &Var{Name: "AWS_ENDPOINT_URL_<SERVICE>", Kind: URL, ReadBy: "Lambda, CLI",
		Doc: "one service's endpoint (`AWS_ENDPOINT_URL_SQS`, `AWS_ENDPOINT_URL_S3`, ...); wins over `AWS_ENDPOINT_URL`"}
	IgnoreEndpoints = &Var{Name: "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", Kind: SDKBool, Default: "false", ReadBy: "Lambda",
		Doc: "`true`: neither of the two above"}
	MaxAttempts = &Var{Name: "AWS_MAX_ATTEMPTS", Kind: Int, Min: 0, ReadBy: "Lambda",
		Doc: "checked; the function's clients keep the sinks' retry policy"}
	RetryMode = &Var{Name: "AWS_RETRY_MODE", Kind: Enum, Allowed: []string{"standard", "adaptive"}, ReadBy: "Lambda",
		Doc: "checked; the function's clients keep the sinks' retry policy"}
	UseFIPSEndpoint = &Var{Name: "AWS_USE_FIPS_ENDPOINT", Kind: SDKBool, Default: "false", ReadBy: "Lambda",
		Doc: "FIPS endpoints"}
	UseDualStackEndpoint = &Var{Name: "AWS_USE_DUALSTACK_ENDPOINT", Kind: SDKBool, Default: "false", ReadBy: "Lambda",
		Doc: "dual-stack endpoints"}
)

// severities are the alert severities, lowest first (internal/rule).
var severities = []string{"INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"}

// Vars are the declared variables, in the order of the documentation table.
var Vars = []*Var{
	QueueURL, TopicARN, BusName, SecurityHub, FirehoseStream,
	PagerDutySecret, PagerDutyEventsURL, PagerDutyMinSeverity, SlackSecret, SlackMinSeverity,
	WebhookURL, WebhookSecret, WebhookMinSeverity,
	StateTable, Enrich, EnrichRoleName,
	RulesBundle, RulesPublicKey, RulesPublicKeyParameter, RulesKeyAlgorithm, RulesReloadSeconds, RulesFetchTimeoutSeconds,
	TeamsConfig, TuningConfig, BacktestBucket, LogLevel, FunctionName, FunctionMemory, LambdaRuntimeAPI, NoColor, Term,
	Region, DefaultRegion, AccessKeyID, SecretAccessKey, SessionToken, AccountID,
	EndpointURL, ServiceEndpointURL, IgnoreEndpoints, MaxAttempts, RetryMode, UseFIPSEndpoint, UseDualStackEndpoint,
}
