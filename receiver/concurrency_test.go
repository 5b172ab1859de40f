package receiver_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/dbtest"
	"github.com/statusgate/statusgate/receiver"
)

// TestConcurrentDeliveries: 200 webhooks at once, alternating down and operational,
// to one receiver of one service. Every answer is 200, every "processed" answer is
// exactly one status change in the history, and the history tiles time.
func TestConcurrentDeliveries(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		t.Parallel()
		f := newFixture(t, db, fixtureOptions{})
		svc, r := f.fixedReceiver("Contended", nil)
		// Every reading moves on, so the changes get distinct, ordered instants.
		f.clock.SetTick(time.Microsecond)

		const n = 200
		type result struct {
			status int
			body   []byte
			err    error
		}
		results := make([]result, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			status := "down"
			if i%2 == 1 {
				status = "operational"
			}
			body := []byte(fmt.Sprintf(`{"status":%q,"n":%d}`, status, i))
			wg.Go(func() {
				<-start
				a, err := sendWebhook(f.inboundURL(r.Token), bytes.NewReader(body), nil)
				results[i] = result{a.Status, a.Body, err}
			})
		}
		close(start)
		wg.Wait()

		processed := 0
		for i, res := range results {
			if res.err != nil {
				t.Fatalf("delivery %d: %v", i, res.err)
			}
			var ans inboundAnswer
			if err := json.Unmarshal(res.body, &ans); err != nil || res.status != http.StatusOK {
				t.Fatalf("delivery %d: %d %s, want 200", i, res.status, res.body)
			}
			switch ans.Result {
			case "processed":
				processed++
				if str(ans.PreviousStatus) == str(ans.NewStatus) {
					t.Fatalf("delivery %d processed without a change: %s", i, res.body)
				}
			case "ignored":
				if str(ans.Reason) != "unchanged" {
					t.Fatalf("delivery %d ignored for %s, want unchanged: %s", i, str(ans.Reason), res.body)
				}
			default:
				t.Fatalf("delivery %d result %q: %s", i, ans.Result, res.body)
			}
		}
		if processed == 0 {
			t.Fatalf("no delivery was processed")
		}

		ivs, err := f.svc.History(ctx(), f.srv.Org.ID, svc.ID, clockStart.Add(-time.Hour), clockStart.Add(time.Hour))
		if err != nil {
			t.Fatalf("history: %v", err)
		}
		if got := len(ivs) - 1; got != processed {
			t.Fatalf("history has %d changes after the creation row, want %d (the processed answers)", got, processed)
		}
		if ivs[0].Source != "created" {
			t.Fatalf("first interval source %q, want created", ivs[0].Source)
		}
		for i := 1; i < len(ivs); i++ {
			prev, cur := ivs[i-1], ivs[i]
			if prev.EndedAt == nil || !prev.EndedAt.Equal(cur.StartedAt) {
				t.Fatalf("interval %d ends %v, next starts %s: the chain has a gap or overlap", i-1, prev.EndedAt, cur.StartedAt)
			}
			if prev.Status == cur.Status {
				t.Fatalf("intervals %d and %d both %s: a change that changed nothing", i-1, i, cur.Status)
			}
		}
		last := ivs[len(ivs)-1]
		if last.EndedAt != nil {
			t.Fatalf("last interval ended at %s, want open", *last.EndedAt)
		}
		if got := f.getService(svc.ID).Status; got != last.Status {
			t.Fatalf("service status %s, want the last interval's %s", got, last.Status)
		}
		if got := len(f.deliveries(r.ID)); got != receiver.KeepDeliveries {
			t.Fatalf("log holds %d, want %d", got, receiver.KeepDeliveries)
		}
	})
}
