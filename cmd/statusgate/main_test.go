package main

import (
	"bytes"
	"context"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/statusgate/statusgate/apitest"
	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/dbtest"
)

// serverEnv makes the test binary run the real main instead of the tests, so a test
// can start the gateway as a separate process and kill it.
const serverEnv = "STATUSGATE_TEST_RUN_SERVER"

func TestMain(m *testing.M) {
	if os.Getenv(serverEnv) == "1" {
		main()
		os.Exit(0)
	}
	dbtest.Main(m)
}

var keyPattern = regexp.MustCompile(`sgk_[A-Za-z0-9]{40}`)

// syncBuffer is a bytes.Buffer safe to read while the gateway writes to it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testConfig is the default configuration pointed at a test database and folder.
func testConfig(t *testing.T, dbURL string) Config {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Listen = "127.0.0.1:0"
	cfg.DatabaseURL = dbURL
	cfg.DataDir = t.TempDir()
	cfg.LogLevel = "debug"
	return cfg
}

// startMain runs a gateway on cfg and returns it with what it printed on stdout.
func startMain(t *testing.T, cfg Config) (*Main, *syncBuffer) {
	t.Helper()
	stdout := &syncBuffer{}
	m := NewMain(cfg, stdout, testLogWriter{t})
	if err := m.Run(context.Background()); err != nil {
		t.Fatalf("starting gateway: %v", err)
	}
	t.Cleanup(func() { _ = m.Close() })
	return m, stdout
}

type testLogWriter struct{ t *testing.T }

func (w testLogWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// adminKey starts a gateway on a fresh database and returns it with the bootstrap key.
func startWithKey(t *testing.T, d database.Dialect) (*Main, string) {
	t.Helper()
	m, stdout := startMain(t, testConfig(t, dbtest.URL(t, d)))
	key := keyPattern.FindString(stdout.String())
	if key == "" {
		t.Fatalf("first start printed no admin key; stdout:\n%s", stdout.String())
	}
	return m, key
}

func TestFirstStartPrintsOneAdminKeyOnce(t *testing.T) {
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			cfg := testConfig(t, dbtest.URL(t, d))
			m, stdout := startMain(t, cfg)
			keys := keyPattern.FindAllString(stdout.String(), -1)
			if len(keys) != 1 {
				t.Fatalf("first start printed %d keys, want 1:\n%s", len(keys), stdout.String())
			}
			if a := apitest.Do(t, http.MethodGet, m.URL()+"/api/v1/services", keys[0], nil); a.Status != http.StatusOK {
				t.Fatalf("bootstrap key: GET /api/v1/services = %d %s", a.Status, a.Body)
			}
			if err := m.Close(); err != nil {
				t.Fatalf("close: %v", err)
			}
			_, again := startMain(t, cfg)
			if again.String() != "" {
				t.Fatalf("second start printed %q, want nothing", again.String())
			}
		})
	}
}

func TestHealthAndReadiness(t *testing.T) {
	m, _ := startWithKey(t, database.SQLite)
	for _, path := range []string{"/healthz", "/readyz"} {
		if a := apitest.Do(t, http.MethodGet, m.URL()+path, "", nil); a.Status != http.StatusOK {
			t.Fatalf("GET %s = %d %s", path, a.Status, a.Body)
		}
	}
	if err := m.db.Close(); err != nil {
		t.Fatal(err)
	}
	a := apitest.Do(t, http.MethodGet, m.URL()+"/readyz", "", nil)
	if a.Status != http.StatusServiceUnavailable || a.ErrorCode(t) != "unavailable" {
		t.Fatalf("readyz with the database closed = %d %s, want 503 unavailable", a.Status, a.Body)
	}
	if a.Header.Get("Retry-After") == "" {
		t.Fatal("503 without Retry-After")
	}
	if a := apitest.Do(t, http.MethodGet, m.URL()+"/healthz", "", nil); a.Status != http.StatusOK {
		t.Fatalf("healthz with the database closed = %d, want 200 (the process runs)", a.Status)
	}
}

// The README's walkthrough, step by step, on both stores: create a service and a
// receiver with the bootstrap key, push degraded, read the delivery log.
func TestWalkthrough(t *testing.T) {
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			m, key := startWithKey(t, d)
			svc := apitest.Do(t, http.MethodPost, m.URL()+"/api/v1/services", key, map[string]any{"name": "Pushmail Email Delivery"})
			if svc.Status != http.StatusCreated {
				t.Fatalf("create service: %d %s", svc.Status, svc.Body)
			}
			serviceID := svc.Map(t)["id"].(string)
			recv := apitest.Do(t, http.MethodPost, m.URL()+"/api/v1/receivers", key, map[string]any{"name": "Pushmail status", "service_id": serviceID})
			if recv.Status != http.StatusCreated {
				t.Fatalf("create receiver: %d %s", recv.Status, recv.Body)
			}
			r := recv.Map(t)
			url := r["url"].(string)
			if !strings.HasPrefix(url, "http://localhost:8080/api/webhooks/incoming/") {
				t.Fatalf("receiver url = %q, want it under STATUSGATE_PUBLIC_URL", url)
			}
			push := apitest.Do(t, http.MethodPost, m.URL()+"/api/webhooks/incoming/"+r["token"].(string), "", `{"status": "degraded", "message": "Email delivery delays"}`)
			got := push.Map(t)
			if push.Status != http.StatusOK || got["result"] != "processed" || got["previous_status"] != "operational" || got["new_status"] != "degraded" {
				t.Fatalf("push: %d %v", push.Status, got)
			}
			log := apitest.Do(t, http.MethodGet, m.URL()+"/api/v1/receivers/"+r["id"].(string)+"/deliveries", key, nil).Map(t)
			entries := log["deliveries"].([]any)
			if len(entries) != 1 || entries[0].(map[string]any)["result"] != "processed" {
				t.Fatalf("delivery log = %v, want one processed delivery", entries)
			}
			now := apitest.Do(t, http.MethodGet, m.URL()+"/api/v1/services/"+serviceID, key, nil).Map(t)
			if now["status"] != "degraded" {
				t.Fatalf("service status = %v, want degraded", now["status"])
			}
		})
	}
}

func TestCommandLine(t *testing.T) {
	dbURL := "sqlite://" + filepath.Join(t.TempDir(), "cli.db")
	env := func(k string) string {
		switch k {
		case "STATUSGATE_DATABASE_URL":
			return dbURL
		case "STATUSGATE_DATA_DIR":
			return t.TempDir()
		}
		return ""
	}
	ctx := context.Background()
	runCmd := func(args ...string) (string, string, error) {
		var out, errOut bytes.Buffer
		err := run(ctx, args, &out, &errOut, env)
		return out.String(), errOut.String(), err
	}

	t.Run("migrate creates the schema", func(t *testing.T) {
		if _, stderr, err := runCmd("migrate"); err != nil {
			t.Fatalf("migrate: %v\n%s", err, stderr)
		}
	})
	t.Run("org create prints only a key", func(t *testing.T) {
		out, stderr, err := runCmd("org", "create", "acme", "--name", "Acme Inc")
		if err != nil || !keyPattern.MatchString(out) || strings.TrimSpace(out) != keyPattern.FindString(out) {
			t.Fatalf("org create: %q, %v\n%s", out, err, stderr)
		}
	})
	t.Run("apikey create prints only a key that works with its role", func(t *testing.T) {
		out, stderr, err := runCmd("apikey", "create", "--org", "acme", "--role", "viewer")
		if err != nil || strings.TrimSpace(out) != keyPattern.FindString(out) || out == "" {
			t.Fatalf("apikey create: %q, %v\n%s", out, err, stderr)
		}
		cfg := testConfig(t, dbURL)
		m, _ := startMain(t, cfg)
		viewer := strings.TrimSpace(out)
		if a := apitest.Do(t, http.MethodGet, m.URL()+"/api/v1/services", viewer, nil); a.Status != http.StatusOK {
			t.Fatalf("viewer read = %d", a.Status)
		}
		if a := apitest.Do(t, http.MethodPost, m.URL()+"/api/v1/services", viewer, map[string]any{"name": "x"}); a.Status != http.StatusForbidden {
			t.Fatalf("viewer write = %d, want 403", a.Status)
		}
		_ = m.Close()
	})
	t.Run("apikey create for an unknown org fails", func(t *testing.T) {
		out, _, err := runCmd("apikey", "create", "--org", "nope", "--role", "admin")
		if err == nil || out != "" {
			t.Fatalf("unknown org: out %q err %v, want an error and no output", out, err)
		}
	})
	t.Run("bad role is refused", func(t *testing.T) {
		if _, _, err := runCmd("apikey", "create", "--org", "acme", "--role", "owner"); err == nil {
			t.Fatal("role owner accepted")
		}
	})
	t.Run("help lists every setting with its variable and default", func(t *testing.T) {
		_, stderr, err := runCmd("--help")
		if err != flag.ErrHelp {
			t.Fatalf("--help: err = %v, want flag.ErrHelp (exit 0)", err)
		}
		for _, o := range options {
			if !strings.Contains(stderr, "--"+o.flag) || !strings.Contains(stderr, o.env) {
				t.Fatalf("--help lacks %s / %s:\n%s", o.flag, o.env, stderr)
			}
		}
		if exitCode(err) != 0 {
			t.Fatalf("--help exit code %d, want 0", exitCode(err))
		}
	})
	t.Run("unknown command and bad flag values are usage errors", func(t *testing.T) {
		if _, _, err := runCmd("frobnicate"); exitCode(err) != 2 {
			t.Fatalf("unknown command exit %d, want 2", exitCode(err))
		}
		if _, _, err := runCmd("migrate", "--max-body-bytes", "lots"); exitCode(err) != 2 {
			t.Fatalf("bad flag value exit %d, want 2 (%v)", exitCode(err), err)
		}
	})
}

func TestConfigFromEnvironmentFlagsAndFiles(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(keyFile, []byte(strings.Repeat("ab", 32)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"STATUSGATE_LISTEN":          ":9999",
		"STATUSGATE_MAX_BODY_BYTES":  "2048",
		"STATUSGATE_SECRET_KEY_FILE": keyFile,
	}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	cfg, err := LoadConfig(fs, []string{"--listen", "127.0.0.1:7000"}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "127.0.0.1:7000" || cfg.MaxBodyBytes != 2048 || cfg.SecretKey != strings.Repeat("ab", 32) {
		t.Fatalf("config = %+v; want flag over env, env over default, key from _FILE", cfg)
	}
	if cfg.DatabaseURL != "sqlite://./data/statusgate.db" || cfg.PublicURL != "http://localhost:8080" {
		t.Fatalf("defaults = %q %q", cfg.DatabaseURL, cfg.PublicURL)
	}
	_, err = LoadConfig(flag.NewFlagSet("t", flag.ContinueOnError), nil, func(k string) string {
		return map[string]string{"STATUSGATE_PUBLIC_URL": "localhost", "STATUSGATE_LOG_LEVEL": "loud"}[k]
	})
	if err == nil || !strings.Contains(err.Error(), "public URL") || !strings.Contains(err.Error(), "log level") {
		t.Fatalf("invalid config error = %v, want both problems named", err)
	}
}

// Every route the server registers is documented in the OpenAPI document it serves.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	m, _ := startWithKey(t, database.SQLite)
	doc := apitest.Do(t, http.MethodGet, m.URL()+"/api/openapi.yaml", "", nil)
	if doc.Status != http.StatusOK {
		t.Fatalf("GET /api/openapi.yaml = %d", doc.Status)
	}
	documented := documentedOperations(string(doc.Body))
	var missing []string
	for _, r := range m.echo.Routes() {
		if r.Method == "echo_route_not_found" || strings.HasPrefix(r.Path, "/status/assets") {
			continue
		}
		path := regexp.MustCompile(`:(\w+)`).ReplaceAllString(r.Path, "{$1}")
		op := strings.ToLower(r.Method) + " " + path
		if !documented[op] {
			missing = append(missing, op)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Fatalf("routes missing from openapi.yaml:\n%s", strings.Join(missing, "\n"))
	}
}

// documentedOperations reads "method path" pairs from the paths section of an
// OpenAPI YAML document (two-space indentation, as ours is written).
func documentedOperations(doc string) map[string]bool {
	ops := map[string]bool{}
	pathLine := regexp.MustCompile(`^  (/\S*):\s*$`)
	methodLine := regexp.MustCompile(`^    (get|post|put|patch|delete|head|options):\s*$`)
	inPaths, current := false, ""
	for _, line := range strings.Split(doc, "\n") {
		switch {
		case strings.HasPrefix(line, "paths:"):
			inPaths = true
		case inPaths && len(line) > 0 && line[0] != ' ' && line[0] != '#':
			inPaths = false
		case inPaths && pathLine.MatchString(line):
			current = pathLine.FindStringSubmatch(line)[1]
		case inPaths && current != "" && methodLine.MatchString(line):
			ops[methodLine.FindStringSubmatch(line)[1]+" "+current] = true
		}
	}
	return ops
}

// The wired server answers the Statuspage v2 API at the root for the default
// organization, and every unknown public path with 404 JSON, not the admin API's 401.
func TestPublicRoutesOfTheWiredServer(t *testing.T) {
	m, _ := startWithKey(t, database.SQLite)
	a := apitest.Do(t, http.MethodGet, m.URL()+"/api/v2/summary.json", "", nil)
	if a.Status != http.StatusOK || a.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("GET /api/v2/summary.json: %d %s", a.Status, a.Body)
	}
	if name := a.Map(t)["page"].(map[string]any)["name"]; name != "Default" {
		t.Fatalf("root summary page.name = %v, want the default organization's", name)
	}
	for _, path := range []string{"/api/v2/nope.json", "/status/default/nope", "/status/default/api/v2/nope.json", "/api/v1/public/default/nope.json"} {
		a := apitest.Do(t, http.MethodGet, m.URL()+path, "", nil)
		if a.Status != http.StatusNotFound || a.ErrorCode(t) != "not_found" {
			t.Fatalf("GET %s: %d %s, want 404 not_found", path, a.Status, a.Body)
		}
	}
	if a := apitest.Do(t, http.MethodGet, m.URL()+"/api/v1/nope", "", nil); a.Status != http.StatusUnauthorized {
		t.Fatalf("GET /api/v1/nope without a key: %d, want 401 (the admin API stays closed)", a.Status)
	}
}
