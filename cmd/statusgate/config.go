package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/statusgate/statusgate/notify"
)

// Config is every setting of the gateway. Each field is filled from its flag, else its
// STATUSGATE_* variable (secrets also from *_FILE), else its default.
type Config struct {
	Listen            string
	DatabaseURL       string
	PublicURL         string
	DataDir           string
	SecretKey         string
	MaxBodyBytes      int64
	RatePerMinute     int
	RateBurst         int
	FailureLimit      int
	LogLevel          string
	LogFormat         string
	TrustProxyHeaders bool
	ShutdownTimeout   time.Duration
	SweepInterval     time.Duration
	MetricsToken      string
	MetricsListen     string
	// SMTPURL and SMTPFrom are the mail server and sender of email channels; email
	// channels cannot be created while SMTPURL is empty.
	SMTPURL  string
	SMTPFrom string
	// OutboundAllowPrivate lets channels send to loopback and private addresses.
	OutboundAllowPrivate bool
	// NotifyWorkers bounds the attempts in flight per instance; NotifyLease is how
	// long a claim of a dead instance blocks its delivery.
	NotifyWorkers int
	NotifyLease   time.Duration
	// GroupCommitWait and GroupCommitMax bound how long, and for how many
	// deliveries, a busy gateway gathers deliveries into one commit.
	GroupCommitWait time.Duration
	GroupCommitMax  int
}

// option describes one setting: its flag, variable, default and help.
type option struct {
	flag, env, def, usage string
	secret                bool // may also come from <env>_FILE
	set                   func(c *Config, v string) error
}

var options = []option{
	{"listen", "STATUSGATE_LISTEN", ":8080", "address to serve on (\":8080\" is every interface; 127.0.0.1:8080 only this machine)", false, func(c *Config, v string) error { c.Listen = v; return nil }},
	{"database-url", "STATUSGATE_DATABASE_URL", "", "sqlite://<path> or postgres://user:pass@host/db (default sqlite://<data-dir>/statusgate.db)", true, func(c *Config, v string) error { c.DatabaseURL = v; return nil }},
	{"public-url", "STATUSGATE_PUBLIC_URL", defaultPublicURL, "base of the URLs the API hands out (receiver URLs, feed links)", false, func(c *Config, v string) error { c.PublicURL = strings.TrimRight(v, "/"); return nil }},
	{"data-dir", "STATUSGATE_DATA_DIR", "./data", "folder for the embedded database and the generated secret key", false, func(c *Config, v string) error { c.DataDir = v; return nil }},
	{"secret-key", "STATUSGATE_SECRET_KEY", "", "32-byte key (64 hex characters or base64) that encrypts stored secrets; generated into <data-dir>/secret.key when empty", true, func(c *Config, v string) error { c.SecretKey = v; return nil }},
	{"max-body-bytes", "STATUSGATE_MAX_BODY_BYTES", "1048576", "largest inbound webhook body (at most 16777216); larger ones answer 413", false, intSetter(func(c *Config, n int64) { c.MaxBodyBytes = n })},
	{"rate-limit", "STATUSGATE_RATE_LIMIT", "1200", "inbound requests per minute per receiver (0 turns limiting off)", false, intSetter(func(c *Config, n int64) { c.RatePerMinute = int(n) })},
	{"rate-burst", "STATUSGATE_RATE_BURST", "600", "inbound requests a receiver may send at once above its rate", false, intSetter(func(c *Config, n int64) { c.RateBurst = int(n) })},
	{"failure-limit", "STATUSGATE_FAILURE_LIMIT", "10", "failed attempts (unknown receiver token, bad signature, bad API key) per minute per client address after a burst of twice as many; past it, 429 (0 turns it off)", false, intSetter(func(c *Config, n int64) { c.FailureLimit = int(n) })},
	{"log-level", "STATUSGATE_LOG_LEVEL", "info", "debug, info, warn or error", false, func(c *Config, v string) error { c.LogLevel = v; return nil }},
	{"log-format", "STATUSGATE_LOG_FORMAT", "text", "text or json", false, func(c *Config, v string) error { c.LogFormat = v; return nil }},
	{"trust-proxy-headers", "STATUSGATE_TRUST_PROXY_HEADERS", "false", "take the client address from X-Forwarded-For (only behind a proxy you run)", false, func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		c.TrustProxyHeaders = b
		return err
	}},
	{"shutdown-timeout", "STATUSGATE_SHUTDOWN_TIMEOUT", "20s", "how long to drain in-flight requests on SIGTERM", false, durationSetter(func(c *Config, d time.Duration) { c.ShutdownTimeout = d })},
	{"metrics-token", "STATUSGATE_METRICS_TOKEN", "", "bearer token a scrape of /metrics must send (empty: /metrics is open)", true, func(c *Config, v string) error { c.MetricsToken = v; return nil }},
	{"metrics-listen", "STATUSGATE_METRICS_LISTEN", "", "serve /metrics on this address only (e.g. 127.0.0.1:9090) instead of on --listen", false, func(c *Config, v string) error { c.MetricsListen = v; return nil }},
	{"sweep-interval", "STATUSGATE_SWEEP_INTERVAL", "5s", "how often delayed automatic incidents (open_after_seconds) silent senders (expect_every_seconds) and maintenance windows are checked", false, durationSetter(func(c *Config, d time.Duration) { c.SweepInterval = d })},
	{"smtp-url", "STATUSGATE_SMTP_URL", "", "mail server of email channels: smtp://user:pass@host:587 (STARTTLS when offered; ?tls=starttls requires it, ?tls=none allows credentials in clear) or smtps://user:pass@host:465", true, func(c *Config, v string) error { c.SMTPURL = v; return nil }},
	{"smtp-from", "STATUSGATE_SMTP_FROM", "", `sender of email notifications, e.g. "statusgate <alerts@example.com>"`, true, func(c *Config, v string) error { c.SMTPFrom = v; return nil }},
	{"notify-workers", "STATUSGATE_NOTIFY_WORKERS", "16", "outbound notification attempts in flight at once in this instance", false, intSetter(func(c *Config, n int64) { c.NotifyWorkers = int(n) })},
	{"notify-lease", "STATUSGATE_NOTIFY_LEASE", "60s", "how long a claimed notification waits before another instance takes over a crashed one's claim (live instances renew theirs)", false, durationSetter(func(c *Config, d time.Duration) { c.NotifyLease = d })},
	{"outbound-allow-private", "STATUSGATE_OUTBOUND_ALLOW_PRIVATE", "false", "let notification channels send to loopback, private and link-local addresses (tests, closed networks)", false, func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		c.OutboundAllowPrivate = b
		return err
	}},
	{"group-commit-wait", "STATUSGATE_GROUP_COMMIT_WAIT", "0s", "how long a busy gateway waits for more deliveries to share one commit (at most 100ms; by default none: what arrives while a batch commits is the next batch)", false, durationSetter(func(c *Config, d time.Duration) { c.GroupCommitWait = d })},
	{"group-commit-max", "STATUSGATE_GROUP_COMMIT_MAX", "64", "most deliveries one commit holds (1 to 64; 1 is a commit per delivery)", false, intSetter(func(c *Config, n int64) { c.GroupCommitMax = int(n) })},
}

func intSetter(set func(*Config, int64)) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("%q is not a whole number", v)
		}
		set(c, n)
		return nil
	}
}

func durationSetter(set func(*Config, time.Duration)) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("%q is not a duration like 5s or 1m", v)
		}
		set(c, d)
		return nil
	}
}

// DefaultConfig returns the configuration with every default applied.
func DefaultConfig() Config {
	var c Config
	for _, o := range options {
		if err := o.set(&c, o.def); err != nil {
			panic(fmt.Sprintf("default of %s: %v", o.flag, err)) // a typo in the table above
		}
	}
	c.DatabaseURL = defaultDatabaseURL(c.DataDir)
	return c
}

// defaultDatabaseURL keeps the embedded database in the data folder, next to the secret
// key, so moving the data folder moves everything the gateway keeps.
func defaultDatabaseURL(dataDir string) string {
	return "sqlite://" + strings.TrimRight(dataDir, "/") + "/statusgate.db"
}

// defaultPublicURL is the public URL a gateway has when nobody set one.
const defaultPublicURL = "http://localhost:8080"

// isSetting reports whether a flag name is one of the shared settings.
func isSetting(name string) bool {
	for _, o := range options {
		if o.flag == name {
			return true
		}
	}
	return false
}

// LoadConfig builds the configuration from the environment and the flags in args,
// which it parses with fs (so subcommands can add their own flags first).
func LoadConfig(fs *flag.FlagSet, args []string, getenv func(string) string) (Config, error) {
	c := DefaultConfig()
	c.DatabaseURL = "" // derived from the data folder below unless set
	for _, o := range options {
		v, err := fromEnv(o, getenv)
		if err != nil {
			return c, err
		}
		if v != "" {
			if err := o.set(&c, v); err != nil {
				return c, fmt.Errorf("%s: %w", o.env, err)
			}
		}
	}
	values := map[string]*string{}
	for _, o := range options {
		values[o.flag] = fs.String(o.flag, "", o.usage)
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	var flagErr error
	fs.Visit(func(f *flag.Flag) {
		for _, o := range options {
			if o.flag == f.Name && flagErr == nil {
				if err := o.set(&c, *values[o.flag]); err != nil {
					flagErr = fmt.Errorf("--%s: %w", o.flag, err)
				}
			}
		}
	})
	if flagErr != nil {
		return c, flagErr
	}
	if c.DatabaseURL == "" {
		c.DatabaseURL = defaultDatabaseURL(c.DataDir)
	}
	return c, c.Validate()
}

// fromEnv reads a variable, or for secrets its *_FILE twin (Docker and Kubernetes
// secrets arrive as files).
func fromEnv(o option, getenv func(string) string) (string, error) {
	v := getenv(o.env)
	if o.secret {
		if path := getenv(o.env + "_FILE"); path != "" {
			if v != "" {
				return "", fmt.Errorf("set %s or %s_FILE, not both", o.env, o.env)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return "", fmt.Errorf("%s_FILE: %w", o.env, err)
			}
			v = strings.TrimSpace(string(data))
		}
	}
	return v, nil
}

// MaxBodyBytesLimit is the largest STATUSGATE_MAX_BODY_BYTES accepted. Every
// concurrent delivery holds its whole body in memory (signatures are over the raw
// bytes), so the limit times the number of senders in flight is what the process
// must hold; the largest real payload we know is under 200 KiB, and 16 MiB leaves
// room without letting a typo (a limit in the gigabytes) turn a few slow uploads
// into an out-of-memory kill.
const MaxBodyBytesLimit = 16 << 20

// Validate checks the settings and how they fit together.
func (c Config) Validate() error {
	var errs []error
	if c.Listen == "" {
		errs = append(errs, errors.New("listen address is empty"))
	}
	if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("public URL %q must be an absolute http(s) URL", c.PublicURL))
	}
	if !strings.HasPrefix(c.DatabaseURL, "sqlite://") && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		errs = append(errs, errors.New("database URL must start with sqlite:// or postgres://"))
	}
	if c.MaxBodyBytes < 1024 || c.MaxBodyBytes > MaxBodyBytesLimit {
		errs = append(errs, fmt.Errorf("max body bytes %d must be between 1024 and %d", c.MaxBodyBytes, MaxBodyBytesLimit))
	}
	if c.RatePerMinute < 0 || c.RateBurst < 0 || c.FailureLimit < 0 {
		errs = append(errs, errors.New("rate limit, burst and failure limit must not be negative"))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("log level %q must be debug, info, warn or error", c.LogLevel))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("log format %q must be text or json", c.LogFormat))
	}
	// Zero, in a Config built in code, is the database package's default.
	if c.GroupCommitWait < 0 || c.GroupCommitWait > 100*time.Millisecond {
		errs = append(errs, fmt.Errorf("group commit wait %s must be at most 100ms", c.GroupCommitWait))
	}
	if c.GroupCommitMax < 0 || c.GroupCommitMax > 64 {
		errs = append(errs, fmt.Errorf("group commit max %d must be between 1 and 64", c.GroupCommitMax))
	}
	if c.ShutdownTimeout <= 0 || c.SweepInterval <= 0 {
		errs = append(errs, errors.New("shutdown timeout and sweep interval must be positive"))
	}
	if c.NotifyWorkers < 1 || c.NotifyLease < 3*time.Second {
		errs = append(errs, errors.New("notify workers must be at least 1 and the notify lease at least 3s"))
	}
	if err := c.Email().Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Email is the mail server configuration of email channels.
func (c Config) Email() notify.EmailConfig {
	return notify.EmailConfig{URL: c.SMTPURL, From: c.SMTPFrom}
}

// printOptions writes the settings table of --help.
func printOptions(w io.Writer) {
	fmt.Fprintln(w, "Settings (flag, environment variable, default):")
	for _, o := range options {
		def := o.def
		if def == "" {
			def = `""`
		}
		env := o.env
		if o.secret {
			env += " (or " + o.env + "_FILE)"
		}
		fmt.Fprintf(w, "  --%-20s %s\n  %-22s default %s\n  %-22s %s\n", o.flag, env, "", def, "", o.usage)
	}
}
