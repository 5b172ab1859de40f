package main

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/statusgate/statusgate/apitest"
	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/dbtest"
	"github.com/statusgate/statusgate/receiver"
)

// Two gateways on one PostgreSQL, both taking status changes for the same receivers
// at once: every delivery is answered 200 (a deadlock between their batches is
// retried, never a 5xx), each service ends with one history interval per change, a
// post each and exactly one automatic incident while it is bad, and each receiver's
// log shows exactly its newest deliveries, however the two instances pruned it.
func TestTwoInstancesUnderLoad(t *testing.T) {
	t.Setenv("STATUSGATE_RATE_LIMIT", "0") // one loopback address sends everything
	dbURL := dbtest.URL(t, database.Postgres)
	first := startProcess(t, dbURL, t.TempDir())
	if first.key == "" {
		t.Fatal("first start printed no key")
	}
	second := startProcess(t, dbURL, t.TempDir())
	gateways := []*gatewayProcess{first, second}

	const nServices, senders, perSender = 4, 8, 60 // 120 deliveries a receiver: more than its log keeps
	var tokens, serviceIDs, receiverIDs []string
	for i := range nServices {
		s := apitest.Do(t, http.MethodPost, first.url+"/api/v1/services", first.key, map[string]any{"name": fmt.Sprintf("svc-%d", i)}).Map(t)
		r := apitest.Do(t, http.MethodPost, first.url+"/api/v1/receivers", first.key, map[string]any{
			"name": fmt.Sprintf("r-%d", i), "service_id": s["id"], "auto_incidents": map[string]any{"enabled": true},
		}).Map(t)
		serviceIDs, receiverIDs, tokens = append(serviceIDs, s["id"].(string)), append(receiverIDs, r["id"].(string)), append(tokens, r["token"].(string))
	}

	var (
		mu        sync.Mutex
		processed []processedAnswer
		answered  = map[string]bool{} // delivery ids answered 200
		bad       []string
	)
	client := &http.Client{Timeout: 10 * time.Second}
	statuses := []string{"down", "operational", "degraded", "operational"}
	var wg sync.WaitGroup
	for w := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			gw := gateways[w%len(gateways)] // half the senders talk to each instance
			for i := range perSender {
				n := rand.IntN(nServices)
				body := fmt.Sprintf(`{"status":%q}`, statuses[(w+i)%len(statuses)])
				resp, err := client.Post(gw.url+"/api/webhooks/incoming/"+tokens[n], "application/json", strings.NewReader(body))
				if err != nil {
					t.Errorf("sender %d: %v", w, err)
					return
				}
				var out struct {
					Result     string `json:"result"`
					DeliveryID string `json:"delivery_id"`
					NewStatus  string `json:"new_status"`
				}
				_ = decodeJSON(resp, &out)
				mu.Lock()
				if resp.StatusCode != http.StatusOK {
					bad = append(bad, fmt.Sprintf("%d %s", resp.StatusCode, out.Result))
				} else {
					answered[out.DeliveryID] = true
					if out.Result == "processed" {
						processed = append(processed, processedAnswer{out.DeliveryID, serviceIDs[n], out.NewStatus})
					}
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(bad) > 0 {
		t.Fatalf("%d of %d deliveries were not answered 200, first %q", len(bad), senders*perSender, bad[0])
	}
	if len(processed) < senders*perSender/4 {
		t.Fatalf("only %d status changes among %d deliveries: the load did not change status", len(processed), senders*perSender)
	}

	t.Logf("%d deliveries through two instances, all answered 200, %d of them status changes", senders*perSender, len(processed))

	// Each instance prunes the log in the background; whichever does, both show the
	// newest KeepDeliveries, every one a delivery answered 200, newest first.
	for i, id := range receiverIDs {
		for _, gw := range gateways {
			var page struct {
				Deliveries []struct {
					ID         string    `json:"id"`
					ReceivedAt time.Time `json:"received_at"`
				} `json:"deliveries"`
			}
			apitest.Do(t, http.MethodGet, gw.url+"/api/v1/receivers/"+id+"/deliveries?limit=100", first.key, nil).JSON(t, &page)
			if len(page.Deliveries) != receiver.KeepDeliveries {
				t.Fatalf("receiver %d on %s shows %d deliveries, want exactly %d", i, gw.url, len(page.Deliveries), receiver.KeepDeliveries)
			}
			seen := map[string]bool{}
			for j, d := range page.Deliveries {
				if !answered[d.ID] || seen[d.ID] {
					t.Fatalf("receiver %d shows delivery %s, which was not answered 200 or is shown twice", i, d.ID)
				}
				seen[d.ID] = true
				if j > 0 && d.ReceivedAt.After(page.Deliveries[j-1].ReceivedAt) {
					t.Fatalf("receiver %d's log is not newest first at %d", i, j)
				}
			}
		}
	}

	db := openStore(t, dbURL)
	checkConsistency(t, db, serviceIDs, processed)
}
