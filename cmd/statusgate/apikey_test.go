package main

import (
	"bytes"
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/statusgate/statusgate/apitest"
	"github.com/statusgate/statusgate/dbtest"
)

// apikey list and revoke through run, as an operator types them, against a running
// gateway on the same database: the revoked key is refused by the gateway at once.
func TestAPIKeyListAndRevokeCommands(t *testing.T) {
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			cfg := testConfig(t, dbtest.URL(t, d))
			env := func(k string) string {
				switch k {
				case "STATUSGATE_DATABASE_URL":
					return cfg.DatabaseURL
				case "STATUSGATE_DATA_DIR":
					return cfg.DataDir
				}
				return ""
			}
			runCmd := func(args ...string) (string, string, error) {
				var out, errOut bytes.Buffer
				err := run(context.Background(), args, &out, &errOut, env)
				return out.String(), errOut.String(), err
			}
			m, stdout := startMain(t, cfg)
			admin := keyPattern.FindString(stdout.String())

			out, stderr, err := runCmd("apikey", "create", "--org", "default", "--role", "viewer", "--name", "grafana", "--expires-in", "30d")
			viewer := strings.TrimSpace(out)
			if err != nil || !keyPattern.MatchString(viewer) || viewer != keyPattern.FindString(out) {
				t.Fatalf("apikey create: %q, %v\n%s", out, err, stderr)
			}
			if a := apitest.Do(t, http.MethodGet, m.URL()+"/api/v1/services", viewer, nil); a.Status != http.StatusOK {
				t.Fatalf("new viewer key: %d %s", a.Status, a.Body)
			}

			out, stderr, err = runCmd("apikey", "list", "--org", "default")
			if err != nil {
				t.Fatalf("apikey list: %v\n%s", err, stderr)
			}
			lines := strings.Split(strings.TrimSpace(out), "\n")
			if len(lines) != 3 || !regexp.MustCompile(`^ID\s+NAME\s+ROLE\s+CREATED\s+LAST USED\s+EXPIRES\s+HINT$`).MatchString(lines[0]) {
				t.Fatalf("apikey list printed:\n%s", out)
			}
			if strings.Contains(out, viewer) || strings.Contains(out, admin) {
				t.Fatalf("apikey list prints a key:\n%s", out)
			}
			row := strings.Fields(lines[2])
			expires := time.Now().Add(30 * 24 * time.Hour).UTC()
			if len(row) != 7 || row[1] != "grafana" || row[2] != "viewer" || row[4] == "never" || row[6] != "sgk_…"+viewer[40:] ||
				!strings.HasPrefix(row[5], expires.Format("2006-01-02")) {
				t.Fatalf("viewer row = %q, want grafana, viewer, used, expiring in 30 days, hint", row)
			}
			if boot := strings.Fields(lines[1]); boot[1] != "bootstrap" || boot[2] != "admin" || boot[5] != "never" {
				t.Fatalf("bootstrap row = %q", boot)
			}

			if _, stderr, err := runCmd("apikey", "revoke", "--org", "default", row[0]); err != nil {
				t.Fatalf("apikey revoke: %v\n%s", err, stderr)
			}
			a := apitest.Do(t, http.MethodGet, m.URL()+"/api/v1/services", viewer, nil)
			if a.Status != http.StatusUnauthorized {
				t.Fatalf("revoked key: %d %s, want 401", a.Status, a.Body)
			}
			if _, _, err := runCmd("apikey", "revoke", row[0], "--org", "default"); err == nil || !strings.Contains(err.Error(), "not found") {
				t.Fatalf("revoking again (id before the flags): %v, want not found", err)
			}
			for _, args := range [][]string{
				{"apikey", "revoke", "--org", "default"},
				{"apikey", "revoke", "--org", "default", "nope"},
				{"apikey", "create", "--expires-in", "soon"},
				{"apikey", "rotate"},
			} {
				if _, _, err := runCmd(args...); exitCode(err) != 2 {
					t.Fatalf("%v: %v (exit %d), want a usage error", args, err, exitCode(err))
				}
			}
			if a := apitest.Do(t, http.MethodGet, m.URL()+"/api/v1/services", admin, nil); a.Status != http.StatusOK {
				t.Fatalf("admin key after the commands: %d", a.Status)
			}
		})
	}
}
