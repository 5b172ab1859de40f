package receiver_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/statusgate/statusgate/apitest"
	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/dbtest"
)

// groupedDB opens a fresh database whose one group-commit worker holds its first
// batch back, before BEGIN, until n requests are queued or running (and then runs
// held, if set): the n-1 behind the first are then committed as one batch, whatever
// the scheduler does. fail, while true, fails every batch at its COMMIT.
func groupedDB(t *testing.T, d database.Dialect, n int, held func(), fail *atomic.Bool) *database.DB {
	t.Helper()
	var db *database.DB
	var armed atomic.Bool
	armed.Store(true)
	opts := database.GroupCommitOptions{
		Workers: 1, MaxBatch: 64,
		BeforeBatchFunc: func() {
			if !armed.CompareAndSwap(true, false) {
				return
			}
			for db.GroupCommitStats().Waiting < int64(n) {
				time.Sleep(time.Millisecond) // until every request is queued: a condition, not a duration
			}
			if held != nil {
				held()
			}
		},
		BeforeCommitFunc: func(context.Context) error {
			if fail != nil && fail.Load() {
				return errors.New("the disk said no")
			}
			return nil
		},
	}
	db, err := database.Open(context.Background(), dbtest.URL(t, d), database.Options{Logger: dbtest.Logger(t), MaxOpenConns: 10, GroupCommit: opts})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// burst sends one webhook per token at once and returns the answers in order.
func burst(t *testing.T, f *fixture, tokens []string, status string) []apitest.Answer {
	t.Helper()
	answers := make([]apitest.Answer, len(tokens))
	errs := make([]error, len(tokens))
	var wg sync.WaitGroup
	for i, tok := range tokens {
		wg.Go(func() {
			answers[i], errs[i] = sendWebhook(f.inboundURL(tok), bytes.NewReader([]byte(fmt.Sprintf(`{"status":%q,"n":%d}`, status, i))), nil)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	return answers
}

func TestGroupCommitOfDeliveries(t *testing.T) {
	t.Parallel()
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			t.Run("concurrent deliveries share a commit and a failing one fails alone", func(t *testing.T) {
				const receivers, perReceiver = 6, 4
				const n = receivers * perReceiver
				var f *fixture
				var deleteErr error
				var doomed createdReceiver
				// Once all are queued, the last receiver is deleted: its deliveries,
				// already past the token check, fail in their savepoints.
				db := groupedDB(t, d, n, func() { deleteErr = f.store.Delete(ctx(), f.srv.Org.ID, doomed.ID) }, nil)
				f = newFixture(t, db, fixtureOptions{})
				var tokens []string
				var recvs []createdReceiver
				for i := range receivers {
					_, r := f.fixedReceiver(fmt.Sprintf("svc-%d", i), nil)
					recvs = append(recvs, r)
					for range perReceiver {
						tokens = append(tokens, r.Token)
					}
				}
				doomed = recvs[receivers-1]
				before := db.GroupCommitStats()
				answers := burst(t, f, tokens, "down")
				if deleteErr != nil {
					t.Fatalf("deleting a receiver mid-batch: %v", deleteErr)
				}
				processed := map[string]int{}
				for i, a := range answers {
					if tokens[i] == doomed.Token {
						if a.Status != http.StatusNotFound {
							t.Fatalf("delivery %d to the deleted receiver: %d %s, want 404", i, a.Status, a.Body)
						}
						continue
					}
					var ans inboundAnswer
					a.JSON(t, &ans)
					if a.Status != http.StatusOK || (ans.Result != "processed" && ans.Result != "ignored") {
						t.Fatalf("delivery %d: %d %s, want 200 processed or ignored", i, a.Status, a.Body)
					}
					if ans.Result == "processed" {
						processed[tokens[i]]++
					}
				}
				for _, r := range recvs[:receivers-1] {
					if processed[r.Token] != 1 {
						t.Fatalf("receiver %s: %d deliveries processed, want exactly 1 (the rest unchanged)", r.Name, processed[r.Token])
					}
				}
				after := db.GroupCommitStats()
				// The first delivery alone, then the 23 queued behind it in one batch;
				// a batch holding only the deleted receiver's delivery commits nothing.
				if got := after.Commits - before.Commits; got < 1 || got > 2 {
					t.Fatalf("commits for %d deliveries = %d, want 2 (1 if the first was the deleted receiver's)", n, got)
				}
				if got, want := after.Committed-before.Committed, int64(n-perReceiver); got != want {
					t.Fatalf("deliveries committed = %d, want %d (all but the deleted receiver's)", got, want)
				}
				for _, r := range recvs[:receivers-1] {
					if got := len(f.deliveries(r.ID)); got != perReceiver {
						t.Fatalf("receiver %s logged %d deliveries, want %d", r.Name, got, perReceiver)
					}
				}
				for i := range receivers - 1 {
					svc, err := f.svc.FindByName(ctx(), f.srv.Org.ID, fmt.Sprintf("svc-%d", i))
					if err != nil {
						t.Fatal(err)
					}
					if svc.Status != "down" {
						t.Fatalf("service %s is %s after its receiver's deliveries, want down", svc.Name, svc.Status)
					}
				}
			})

			t.Run("a batch that cannot commit answers 503 with Retry-After to each of its requests", func(t *testing.T) {
				const n = 8
				var fail atomic.Bool
				db := groupedDB(t, d, n, nil, &fail)
				f := newFixture(t, db, fixtureOptions{})
				svcA, a := f.fixedReceiver("A", nil)
				svcB, b := f.fixedReceiver("B", nil)
				tokens := []string{a.Token, b.Token, a.Token, b.Token, a.Token, b.Token, a.Token, b.Token}
				fail.Store(true)
				for i, ans := range burst(t, f, tokens, "down") {
					if ans.Status != http.StatusServiceUnavailable || ans.Header.Get("Retry-After") == "" {
						t.Fatalf("delivery %d in a batch that did not commit: %d Retry-After %q %s, want 503 with Retry-After", i, ans.Status, ans.Header.Get("Retry-After"), ans.Body)
					}
				}
				fail.Store(false)
				for _, svc := range []string{svcA.Name, svcB.Name} {
					got, err := f.svc.FindByName(ctx(), f.srv.Org.ID, svc)
					if err != nil {
						t.Fatal(err)
					}
					if got.Status != "operational" {
						t.Fatalf("service %s is %s after only failed commits, want operational", svc, got.Status)
					}
				}
				// Each is logged, in a transaction of its own, as not stored.
				for _, r := range []createdReceiver{a, b} {
					for _, dl := range f.deliveries(r.ID) {
						if dl.Result != "failed" || str(dl.ErrorCode) != "unavailable" {
							t.Fatalf("receiver %s logged %s/%s for a delivery that was not stored, want failed/unavailable", r.Name, dl.Result, str(dl.ErrorCode))
						}
					}
				}
				expect(t, f.post(a.Token, []byte(`{"status":"down"}`), nil), http.StatusOK, "processed", "")
			})
		})
	}
}

// Deliveries in one batch see what the deliveries before them in it changed, also
// when two receivers feed one service: on PostgreSQL the batch locks its receivers
// and services in one statement before any delivery runs, and a delivery must not
// get a service row an earlier one has since changed. The deliveries are queued one
// by one, so the batch runs them in this order.
func TestBatchedDeliveriesFollowEachOther(t *testing.T) {
	t.Parallel()
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			type send struct {
				token, status string
				want          string // "previous→new" when processed, "" when unchanged
			}
			var f *fixture
			steps := []send{}
			db := groupedDB(t, d, 7, nil, nil)
			f = newFixture(t, db, fixtureOptions{})
			shared, a := f.fixedReceiver("Shared", nil)
			b := f.createReceiver(map[string]any{"name": "Second hook", "service_id": shared.ID})
			_, c := f.fixedReceiver("Other", nil)
			steps = append(steps,
				send{c.Token, "degraded", "operational→degraded"}, // the first batch, alone
				send{a.Token, "down", "operational→down"},
				send{c.Token, "down", "degraded→down"},
				send{b.Token, "operational", "down→operational"}, // the shared service, changed by a
				send{a.Token, "operational", ""},
				send{b.Token, "maintenance", "operational→maintenance"},
				send{c.Token, "down", ""},
			)
			answers := make([]apitest.Answer, len(steps))
			errs := make([]error, len(steps))
			var wg sync.WaitGroup
			var answered atomic.Int64
			for i, s := range steps {
				wg.Go(func() {
					answers[i], errs[i] = sendWebhook(f.inboundURL(s.token), bytes.NewReader([]byte(fmt.Sprintf(`{"status":%q}`, s.status))), nil)
					answered.Add(1)
				})
				// Queued in order: a condition, not a duration. The answered count
				// belongs in it: once the last step is queued the first batch is
				// released, and may be answered before this loop looks again.
				for db.GroupCommitStats().Waiting+answered.Load() < int64(i+1) {
					time.Sleep(time.Millisecond)
				}
			}
			wg.Wait()
			for i, s := range steps {
				if errs[i] != nil {
					t.Fatalf("delivery %d: %v", i, errs[i])
				}
				ans := expect(t, answers[i], http.StatusOK, map[bool]string{true: "processed", false: "ignored"}[s.want != ""], "")
				if s.want != "" && str(ans.PreviousStatus)+"→"+str(ans.NewStatus) != s.want {
					t.Fatalf("delivery %d (%s): %s→%s, want %s", i, s.status, str(ans.PreviousStatus), str(ans.NewStatus), s.want)
				}
			}
			if got := f.getService(shared.ID).Status; got != "maintenance" {
				t.Fatalf("shared service is %s, want maintenance", got)
			}
		})
	}
}
