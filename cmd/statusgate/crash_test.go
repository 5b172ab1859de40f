package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/statusgate/statusgate/apitest"
	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/dbtest"
)

// gatewayProcess is the gateway running as a child process on a database.
type gatewayProcess struct {
	cmd *exec.Cmd
	url string
	key string // the bootstrap key, on the first start only
}

func startProcess(t *testing.T, dbURL, dataDir string) *gatewayProcess {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), serverEnv+"=1", "STATUSGATE_LISTEN="+addr, "STATUSGATE_DATABASE_URL="+dbURL,
		"STATUSGATE_DATA_DIR="+dataDir, "STATUSGATE_PUBLIC_URL=http://"+addr, "STATUSGATE_SWEEP_INTERVAL=50ms")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = testLogWriter{t}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &gatewayProcess{cmd: cmd, url: "http://" + addr}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	keys := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if k := keyPattern.FindString(sc.Text()); k != "" {
				keys <- k
			}
		}
	}()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(p.url + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				select {
				case p.key = <-keys:
				case <-time.After(200 * time.Millisecond):
				}
				return p
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("gateway process did not become ready at %s", p.url)
	return nil
}

// openStore opens the database a test's gateway processes used, to check what they
// committed, and closes it when the test ends. On SQLite the processes must have
// stopped: the file takes one process.
func openStore(t *testing.T, dbURL string) *database.DB {
	t.Helper()
	db, err := database.Open(context.Background(), dbURL, database.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

type processedAnswer struct {
	deliveryID, serviceID, newStatus string
}

// soakInt and soakDuration read a knob of the crash and outage tests from the
// environment: `make soak` runs them longer than CI's defaults.
func soakInt(t *testing.T, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a positive number", name, v)
	}
	return n
}

func soakDuration(t *testing.T, name string, def time.Duration) time.Duration {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		t.Fatalf("%s=%q: want a duration such as 20s", name, v)
	}
	return d
}

// Killing the gateway in the middle of a burst of status changes must leave no change
// without its history row, post and incident update, and lose no change a sender was
// told (200 processed) was taken.
func TestKillDuringBurstLosesNothing(t *testing.T) {
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			dbURL, dataDir := dbtest.URL(t, d), t.TempDir()
			gw := startProcess(t, dbURL, dataDir)
			if gw.key == "" {
				t.Fatal("first start printed no key")
			}
			const nServices = 4
			var tokens, serviceIDs []string
			for i := 0; i < nServices; i++ {
				s := apitest.Do(t, http.MethodPost, gw.url+"/api/v1/services", gw.key, map[string]any{"name": fmt.Sprintf("svc-%d", i)}).Map(t)
				r := apitest.Do(t, http.MethodPost, gw.url+"/api/v1/receivers", gw.key, map[string]any{
					"name": fmt.Sprintf("r-%d", i), "service_id": s["id"], "auto_incidents": map[string]any{"enabled": true},
				}).Map(t)
				serviceIDs, tokens = append(serviceIDs, s["id"].(string)), append(tokens, r["token"].(string))
			}

			var (
				mu        sync.Mutex
				processed []processedAnswer
			)
			// Several kills on one database: each restart recovers what the last
			// kill left, and group commit is killed mid-batch more than once.
			// How many times the gateway is killed (3 in CI, 10 under make soak).
			for round := range soakInt(t, "STATUSGATE_TEST_CRASH_ROUNDS", 3) {
				if round > 0 {
					gw = startProcess(t, dbURL, dataDir)
				}
				mu.Lock()
				base := len(processed)
				mu.Unlock()
				var wg sync.WaitGroup
				ctx, stop := context.WithCancel(context.Background())
				client := &http.Client{Timeout: 5 * time.Second}
				statuses := []string{"down", "operational", "degraded", "operational"}
				for w := 0; w < 8; w++ {
					wg.Add(1)
					go func(w int) {
						defer wg.Done()
						for i := 0; ctx.Err() == nil; i++ {
							n := rand.IntN(nServices)
							body := fmt.Sprintf(`{"status":%q}`, statuses[(w+i)%len(statuses)])
							resp, err := client.Post(gw.url+"/api/webhooks/incoming/"+tokens[n], "application/json", strings.NewReader(body))
							if err != nil {
								continue // the process died under this request: no answer, nothing promised
							}
							var out struct {
								Result     string `json:"result"`
								DeliveryID string `json:"delivery_id"`
								NewStatus  string `json:"new_status"`
							}
							_ = decodeJSON(resp, &out)
							if resp.StatusCode == http.StatusOK && out.Result == "processed" {
								mu.Lock()
								processed = append(processed, processedAnswer{out.DeliveryID, serviceIDs[n], out.NewStatus})
								mu.Unlock()
							}
						}
					}(w)
				}
				// Kill once the burst is well under way.
				for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
					mu.Lock()
					n := len(processed)
					mu.Unlock()
					if n-base >= 40 {
						break
					}
				}
				if err := gw.cmd.Process.Signal(syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
				_ = gw.cmd.Wait()
				stop()
				wg.Wait()
				if len(processed)-base < 40 {
					t.Fatalf("round %d: only %d processed answers before the kill; the burst did not get going", round, len(processed)-base)
				}
				t.Logf("round %d: killed the gateway after %d processed answers", round, len(processed)-base)
			}
			restarted := startProcess(t, dbURL, dataDir) // recovery on restart (SQLite WAL replay, no migration trouble)
			// Stopped before the check opens the store: a SQLite file takes one process.
			_ = restarted.cmd.Process.Kill()
			_ = restarted.cmd.Wait()
			db := openStore(t, dbURL)
			checkConsistency(t, db, serviceIDs, processed)
		})
	}
}

func decodeJSON(resp *http.Response, v any) error {
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(v)
}

// checkConsistency asserts the invariants a crash must not break.
func checkConsistency(t *testing.T, db *database.DB, serviceIDs []string, processed []processedAnswer) {
	t.Helper()
	conn := db.Conn(context.Background())
	for _, p := range processed {
		var n int64
		if err := conn.Table("status_history").Where("delivery_id = ? AND service_id = ? AND status = ?", p.deliveryID, p.serviceID, p.newStatus).Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Fatalf("delivery %s was answered processed (%s) but has %d history rows", p.deliveryID, p.newStatus, n)
		}
	}
	for _, id := range serviceIDs {
		var status string
		if err := conn.Table("services").Where("id = ?", id).Pluck("status", &status).Error; err != nil {
			t.Fatal(err)
		}
		var rows []struct {
			Status  string
			EndedAt *time.Time
		}
		if err := conn.Table("status_history").Where("service_id = ?", id).Order("started_at, id").Find(&rows).Error; err != nil {
			t.Fatal(err)
		}
		last := rows[len(rows)-1]
		if last.EndedAt != nil || last.Status != status {
			t.Fatalf("service %s is %s but its open history interval is %+v", id, status, last)
		}
		for i := 1; i < len(rows); i++ {
			if rows[i].Status == rows[i-1].Status || rows[i-1].EndedAt == nil {
				t.Fatalf("service %s history breaks at row %d: %+v then %+v", id, i, rows[i-1], rows[i])
			}
		}
		var posts int64
		if err := conn.Table("posts").Where("service_id = ? AND kind = ?", id, "status_change").Count(&posts).Error; err != nil {
			t.Fatal(err)
		}
		if posts != int64(len(rows)-1) {
			t.Fatalf("service %s has %d changes in its history but %d posts", id, len(rows)-1, posts)
		}
		var open int64
		if err := conn.Table("incidents").Where("service_id = ? AND automatic = ? AND resolved_at IS NULL", id, true).Count(&open).Error; err != nil {
			t.Fatal(err)
		}
		bad := status == "down" || status == "degraded"
		if (bad && open != 1) || (!bad && open != 0) {
			t.Fatalf("service %s is %s with %d open automatic incidents", id, status, open)
		}
	}
}

// The gateway killed with SIGKILL while its deliveries hang in flight delivers every
// event after restart: the outbox committed with the changes, and the dead worker's
// claims are taken over once their lease runs out.
func TestKillWithEventsInFlightDeliversThemAfterRestart(t *testing.T) {
	t.Setenv("STATUSGATE_OUTBOUND_ALLOW_PRIVATE", "true")
	t.Setenv("STATUSGATE_NOTIFY_LEASE", "3s")
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			var (
				mu      sync.Mutex
				healthy bool
				hanging int
				seen    = map[string]bool{}
				release = make(chan struct{})
			)
			ep := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				ok := healthy
				if !ok {
					hanging++
				}
				mu.Unlock()
				if !ok {
					select { // in flight until the gateway dies
					case <-r.Context().Done():
					case <-release:
					}
					return
				}
				mu.Lock()
				seen[r.Header.Get("webhook-id")] = true
				mu.Unlock()
				w.WriteHeader(http.StatusOK)
			}))
			t.Cleanup(ep.Close)

			dbURL, dataDir := dbtest.URL(t, d), t.TempDir()
			gw := startProcess(t, dbURL, dataDir)
			s := apitest.Do(t, http.MethodPost, gw.url+"/api/v1/services", gw.key, map[string]any{"name": "svc"}).Map(t)
			r := apitest.Do(t, http.MethodPost, gw.url+"/api/v1/receivers", gw.key, map[string]any{"name": "r", "service_id": s["id"]}).Map(t)
			if a := apitest.Do(t, http.MethodPost, gw.url+"/api/v1/channels", gw.key, map[string]any{"name": "ops", "type": "webhook", "url": ep.URL}); a.Status != http.StatusCreated {
				t.Fatalf("create channel = %d %s", a.Status, a.Body)
			}
			const changes = 6 // two events each: service.status_changed and post.created
			for i := range changes {
				status := []string{"down", "operational"}[i%2]
				a := apitest.Do(t, http.MethodPost, gw.url+"/api/webhooks/incoming/"+r["token"].(string), "", `{"status":"`+status+`"}`)
				if a.Status != http.StatusOK || a.Map(t)["result"] != "processed" {
					t.Fatalf("push %d = %d %s", i, a.Status, a.Body)
				}
			}
			for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
				mu.Lock()
				n := hanging
				mu.Unlock()
				if n > 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("no delivery went in flight")
				}
			}
			if err := gw.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			_ = gw.cmd.Wait()
			mu.Lock()
			healthy = true
			mu.Unlock()
			close(release)

			startProcess(t, dbURL, dataDir)
			for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(20 * time.Millisecond) {
				mu.Lock()
				n := len(seen)
				mu.Unlock()
				if n >= 2*changes {
					t.Logf("all %d events arrived after the restart (%d were in flight at the kill)", n, hanging)
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("after restart %d of %d events arrived", n, 2*changes)
				}
			}
		})
	}
}
