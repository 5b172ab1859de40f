package main

import (
	"bytes"
	"context"
	"flag"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"

	"github.com/statusgate/statusgate/apitest"
	"github.com/statusgate/statusgate/database"
)

func runArgs(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = run(context.Background(), args, &out, &errOut, func(k string) string { return env[k] })
	return out.String(), errOut.String(), err
}

func TestVersionPrintsVersionCommitAndGo(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		out, _, err := runArgs(t, nil, args...)
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		if !strings.HasPrefix(out, "statusgate ") || !strings.Contains(out, runtime.Version()) || !strings.Contains(out, "commit ") {
			t.Fatalf("%v printed %q, want version, commit and %s", args, out, runtime.Version())
		}
	}
}

// Each command's --help shows that command's own flags, and the shared settings.
func TestSubcommandHelpShowsItsOwnFlags(t *testing.T) {
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"apikey", "create", "--help"}, []string{"apikey create --org SLUG", "--org", "--role", "--name", "--expires-in", "STATUSGATE_DATABASE_URL"}},
		{[]string{"apikey", "list", "--help"}, []string{"apikey list --org SLUG", "--org", "STATUSGATE_DATABASE_URL"}},
		{[]string{"apikey", "revoke", "--help"}, []string{"apikey revoke --org SLUG ID", "--org", "STATUSGATE_DATABASE_URL"}},
		{[]string{"org", "create", "x", "--help"}, []string{"org create SLUG", "--name", "STATUSGATE_DATA_DIR"}},
		{[]string{"migrate", "--help"}, []string{"statusgate migrate", "STATUSGATE_DATABASE_URL"}},
		{[]string{"--help"}, []string{"statusgate [serve]", "statusgate version", "STATUSGATE_LISTEN"}},
	}
	for _, c := range cases {
		_, stderr, err := runArgs(t, nil, c.args...)
		if err != flag.ErrHelp {
			t.Fatalf("%v: err %v, want flag.ErrHelp", c.args, err)
		}
		for _, w := range c.want {
			if !strings.Contains(stderr, w) {
				t.Fatalf("%v help lacks %q:\n%s", c.args, w, stderr)
			}
		}
	}
	_, stderr, _ := runArgs(t, nil, "migrate", "--help")
	if strings.Contains(stderr, "--role") {
		t.Fatalf("migrate --help shows apikey's --role:\n%s", stderr)
	}
}

func TestDatabaseDefaultsIntoTheDataFolder(t *testing.T) {
	dir := t.TempDir()
	cfg, err := LoadConfig(flag.NewFlagSet("t", flag.ContinueOnError), nil, func(k string) string {
		if k == "STATUSGATE_DATA_DIR" {
			return dir
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := "sqlite://" + dir + "/statusgate.db"; cfg.DatabaseURL != want {
		t.Fatalf("database URL %q, want %q", cfg.DatabaseURL, want)
	}
	if got := DefaultConfig().DatabaseURL; got != "sqlite://./data/statusgate.db" {
		t.Fatalf("default database URL %q, want sqlite://./data/statusgate.db", got)
	}
}

func TestPublicURLWarning(t *testing.T) {
	at := func(port int) net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port} }
	if publicURLWarning(defaultPublicURL, at(9090)) == "" {
		t.Fatal("no warning for the default public URL while listening on 9090")
	}
	if w := publicURLWarning(defaultPublicURL, at(8080)); w != "" {
		t.Fatalf("warning on 8080: %q", w)
	}
	if w := publicURLWarning("https://status.example.com", at(9090)); w != "" {
		t.Fatalf("warning with a configured public URL: %q", w)
	}
}

func TestHeadHealthRootRedirectAndHealthcheck(t *testing.T) {
	m, _ := startWithKey(t, database.SQLite)
	for _, path := range []string{"/healthz", "/readyz"} {
		a := apitest.Do(t, http.MethodHead, m.URL()+path, "", nil)
		if a.Status != http.StatusOK {
			t.Fatalf("HEAD %s = %d, want 200", path, a.Status)
		}
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(m.URL() + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/status/default" {
		t.Fatalf("GET / = %d Location %q, want 302 to /status/default", resp.StatusCode, resp.Header.Get("Location"))
	}
	env := map[string]string{"STATUSGATE_LISTEN": m.listener.Addr().String()}
	if _, stderr, err := runArgs(t, env, "healthcheck"); err != nil {
		t.Fatalf("healthcheck against a running gateway: %v %s", err, stderr)
	}
	addr := m.listener.Addr().String()
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runArgs(t, map[string]string{"STATUSGATE_LISTEN": addr}, "healthcheck"); err == nil || exitCode(err) != 1 {
		t.Fatalf("healthcheck against a stopped gateway: %v (exit %d), want exit 1", err, exitCode(err))
	}
}
