package main

import (
	"bytes"
	"context"
	"flag"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/statusgate/statusgate/apitest"
	"github.com/statusgate/statusgate/dbtest"
)

func TestConfigRefusesABodyLimitTheProcessCannotHold(t *testing.T) {
	for _, n := range []int64{MaxBodyBytesLimit + 1, 1 << 30} {
		env := map[string]string{"STATUSGATE_MAX_BODY_BYTES": strconv.FormatInt(n, 10)}
		_, err := LoadConfig(flag.NewFlagSet("t", flag.ContinueOnError), nil, func(k string) string { return env[k] })
		if err == nil || !strings.Contains(err.Error(), "max body bytes") {
			t.Fatalf("max body bytes %d: error = %v; want it refused", n, err)
		}
	}
	env := map[string]string{"STATUSGATE_MAX_BODY_BYTES": strconv.Itoa(MaxBodyBytesLimit)}
	if _, err := LoadConfig(flag.NewFlagSet("t", flag.ContinueOnError), nil, func(k string) string { return env[k] }); err != nil {
		t.Fatalf("max body bytes at the limit: %v", err)
	}
}

// A second gateway process on the SQLite file of a running one refuses to start and
// says which file and which process; a one-shot command still works beside it.
func TestSecondProcessOnOneSQLiteFileIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "statusgate.db")
	dbURL := "sqlite://" + path
	startMain(t, testConfig(t, dbURL))

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0])
	cmd.Env = append(os.Environ(), serverEnv+"=1", "STATUSGATE_LISTEN=127.0.0.1:0",
		"STATUSGATE_DATABASE_URL="+dbURL, "STATUSGATE_DATA_DIR="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the second gateway exited 0; want a refusal. Output:\n%s", out)
	}
	for _, want := range []string{path, "in use by another statusgate process", "pid " + strconv.Itoa(os.Getpid())} {
		if !strings.Contains(string(out), want) {
			t.Fatalf("second gateway output lacks %q:\n%s", want, out)
		}
	}

	var stdout, stderr bytes.Buffer
	env := map[string]string{"STATUSGATE_DATABASE_URL": dbURL, "STATUSGATE_DATA_DIR": t.TempDir()}
	err = run(ctx, []string{"apikey", "create", "--org", "default", "--role", "viewer"}, &stdout, &stderr, func(k string) string { return env[k] })
	if err != nil || keyPattern.FindString(stdout.String()) == "" {
		t.Fatalf("apikey create beside the gateway: %v, %q\n%s", err, stdout.String(), stderr.String())
	}
}

// From outside, on both stores: a burst of bad API keys and a scan of random tokens
// get 429 from one address, while a real receiver keeps working from it.
func TestGatewayThrottlesBadKeysAndTokenScans(t *testing.T) {
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			m, _ := startWithKey(t, d)
			var last apitest.Answer
			for i := 0; i < 40 && last.Status != http.StatusTooManyRequests; i++ {
				last = apitest.Do(t, http.MethodGet, m.URL()+"/api/v1/services", "sgk_bad"+strconv.Itoa(i), nil)
			}
			if last.Status != http.StatusTooManyRequests || last.Header.Get("Retry-After") == "" {
				t.Fatalf("40 bad keys: last answer %d %v; want 429 with Retry-After", last.Status, last.Header)
			}

			svc := apitest.Do(t, http.MethodPost, m.URL()+"/api/v1/services", "", nil) // still throttled
			if svc.Status != http.StatusTooManyRequests {
				t.Fatalf("throttled address without a key: %d; want 429", svc.Status)
			}
			m2, key2 := startWithKey(t, d) // a fresh gateway: its own counts
			s := apitest.Do(t, http.MethodPost, m2.URL()+"/api/v1/services", key2, map[string]any{"name": "Scanned"}).Map(t)
			r := apitest.Do(t, http.MethodPost, m2.URL()+"/api/v1/receivers", key2, map[string]any{"name": "hook", "service_id": s["id"]}).Map(t)
			token, _ := r["token"].(string)
			var scan apitest.Answer
			for i := 0; i < 100 && scan.Status != http.StatusTooManyRequests; i++ {
				scan = apitest.Do(t, http.MethodPost, m2.URL()+"/api/webhooks/incoming/"+strings.Repeat(strconv.Itoa(i%10), 64), "", `{"status":"down"}`)
			}
			if scan.Status != http.StatusTooManyRequests {
				t.Fatalf("100 unknown tokens: last answer %d; want 429", scan.Status)
			}
			push := apitest.Do(t, http.MethodPost, m2.URL()+"/api/webhooks/incoming/"+token, "", `{"status":"down"}`)
			if push.Status != http.StatusOK || push.Header.Get("X-RateLimit-Remaining") == "" {
				t.Fatalf("real delivery during the scan: %d %v %s; want 200 with X-RateLimit-*", push.Status, push.Header, push.Body)
			}
		})
	}
}
