package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/statusgate/statusgate/apitest"
	"github.com/statusgate/statusgate/dbtest"
)

// While PostgreSQL is gone, senders under load get 503 with Retry-After, each in
// under 2 s, and /readyz fails; once it is back the same process takes deliveries
// again, and every delivery it answered 200 is in the database.
func TestDatabaseOutageUnderLoad(t *testing.T) {
	// As in the load command: a long outage sends more than a receiver's rate limit
	// lets through, and a 429 would hide the 503 this test is about.
	t.Setenv("STATUSGATE_RATE_LIMIT", "0")
	server := dbtest.NewStoppable(t)
	dbURL := server.URL(t)
	gw := startProcess(t, dbURL, t.TempDir())
	if gw.key == "" {
		t.Fatal("first start printed no key")
	}
	// One receiver per sender, each sent fewer deliveries than the log keeps, so
	// every 200 must still be in it.
	const senders, perSender = 6, 40
	var tokens []string
	for i := range senders {
		s := apitest.Do(t, http.MethodPost, gw.url+"/api/v1/services", gw.key, map[string]any{"name": fmt.Sprintf("outage-%d", i)}).Map(t)
		r := apitest.Do(t, http.MethodPost, gw.url+"/api/v1/receivers", gw.key, map[string]any{"name": fmt.Sprintf("r-%d", i), "service_id": s["id"]}).Map(t)
		tokens = append(tokens, r["token"].(string))
	}
	type answer struct {
		status     int
		retryAfter string
		took       time.Duration
		deliveryID string
		during     bool
	}
	var (
		mu      sync.Mutex
		answers []answer
		down    bool // PostgreSQL is stopped
	)
	client := &http.Client{Timeout: 10 * time.Second}
	send := func(token string, i int) {
		body := fmt.Sprintf(`{"status":%q}`, []string{"down", "operational"}[i%2])
		start := time.Now()
		resp, err := client.Post(gw.url+"/api/webhooks/incoming/"+token, "application/json", strings.NewReader(body))
		if err != nil {
			t.Errorf("delivery %d: %v", i, err)
			return
		}
		var out struct {
			DeliveryID string `json:"delivery_id"`
		}
		_ = decodeJSON(resp, &out)
		mu.Lock()
		answers = append(answers, answer{resp.StatusCode, resp.Header.Get("Retry-After"), time.Since(start), out.DeliveryID, down})
		mu.Unlock()
	}
	var wg sync.WaitGroup
	// run sends n deliveries per sender, and goes on until until has passed.
	run := func(n int, until time.Time) {
		for w, token := range tokens {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < n || time.Now().Before(until); i++ {
					send(token, w+i)
					if i >= n {
						time.Sleep(20 * time.Millisecond) // a sender retrying through a long outage, not a flood
					}
				}
			}()
		}
		wg.Wait()
	}
	outage := soakDuration(t, "STATUSGATE_TEST_OUTAGE", 2*time.Second)

	run(perSender/4, time.Time{}) // before
	server.Stop(t)
	mu.Lock()
	down = true
	mu.Unlock()
	stopped := time.Now()
	// During: the whole outage, which by default is longer than one batch's deadline.
	run(perSender/2, stopped.Add(outage))
	if resp, err := http.Get(gw.url + "/readyz"); err != nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("/readyz with the database stopped = %v %v, want 503", resp, err)
	}
	server.Start(t)
	mu.Lock()
	down = false
	mu.Unlock()
	ready := false
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(gw.url + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				ready = true
				break
			}
		}
	}
	if !ready {
		t.Fatal("/readyz did not answer 200 within 20 s of the database's return, without a restart")
	}
	run(perSender/4, time.Time{}) // after

	var ok []string
	unavailableDuring, okAfter := 0, 0
	for _, a := range answers {
		if a.took >= 2*time.Second {
			t.Errorf("an answer (%d) took %s, want under 2 s", a.status, a.took)
		}
		switch a.status {
		case http.StatusOK:
			ok = append(ok, a.deliveryID)
			if !a.during {
				okAfter++
			}
		case http.StatusServiceUnavailable:
			if a.retryAfter == "" {
				t.Errorf("a 503 without Retry-After")
			}
			if a.during {
				unavailableDuring++
			}
		default:
			t.Errorf("answer %d, want 200 or 503", a.status)
		}
	}
	if unavailableDuring == 0 {
		t.Fatal("no 503 while the database was stopped: the outage was not seen")
	}
	if okAfter < senders*perSender/4 {
		t.Fatalf("%d deliveries answered 200 outside the outage, want at least the %d sent after it", okAfter, senders*perSender/4)
	}
	_ = gw.cmd.Process.Kill()
	_ = gw.cmd.Wait()
	db := openStore(t, dbURL)
	var stored int64
	if err := db.Conn(context.Background()).Table("deliveries").Where("id IN ?", ok).Count(&stored).Error; err != nil {
		t.Fatal(err)
	}
	if stored != int64(len(ok)) {
		t.Fatalf("%d of the %d deliveries answered 200 are in the database", stored, len(ok))
	}
	t.Logf("%d answers: %d stored 200s, %d 503s while the database was stopped", len(answers), len(ok), unavailableDuring)
}
