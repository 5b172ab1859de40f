package receiver_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/dbtest"
	"github.com/statusgate/statusgate/mapping"
	"github.com/statusgate/statusgate/receiver"
	"github.com/statusgate/statusgate/secrets"
	"github.com/statusgate/statusgate/services"
)

// changeLog records the status changes a services store makes, as incidents sees them.
type changeLog struct {
	mu      sync.Mutex
	changes []services.Change
}

func (l *changeLog) record(_ context.Context, ch services.Change) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.changes = append(l.changes, ch)
	return nil
}

func (l *changeLog) bySource(source string) []services.Change {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []services.Change
	for _, ch := range l.changes {
		if ch.Source == source {
			out = append(out, ch)
		}
	}
	return out
}

// instance is another gateway on the same database: its own stores and, on
// PostgreSQL, its own connection pool; the test's clock.
type instance struct {
	receivers *receiver.Store
}

// newInstance starts an instance on the database at url. Several instances share
// one database only on PostgreSQL; on SQLite (one process, one writer) the instances
// share the fixture's pool, as two workers of one process do.
func newInstance(t *testing.T, url string, f *fixture, changes *changeLog) instance {
	t.Helper()
	db := f.db
	if f.db.Dialect() == database.Postgres {
		var err error
		db, err = database.Open(context.Background(), url, database.Options{Logger: dbtest.Logger(t)})
		if err != nil {
			t.Fatalf("opening a second instance: %v", err)
		}
		t.Cleanup(func() { db.Close() })
	}
	svc := services.NewStore(db, services.Options{NowFunc: f.clock.Now, ChangeFuncs: []services.ChangeFunc{changes.record}})
	box, err := secrets.NewBox(make([]byte, secrets.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return instance{receivers: receiver.NewStore(receiver.StoreConfig{DB: db, Services: svc, Box: box, NowFunc: f.clock.Now})}
}

// sweepAll runs one silence sweep on every instance at once and returns how many
// receivers they silenced together.
func sweepAll(t *testing.T, insts ...instance) int {
	t.Helper()
	var wg sync.WaitGroup
	counts := make([]int, len(insts))
	errs := make([]error, len(insts))
	for i, in := range insts {
		wg.Go(func() { counts[i], errs[i] = in.receivers.SweepSilence(context.Background()) })
	}
	wg.Wait()
	total := 0
	for i := range insts {
		if errs[i] != nil {
			t.Fatalf("instance %d: SweepSilence: %v", i, errs[i])
		}
		total += counts[i]
	}
	return total
}

type silenceView struct {
	ExpectEverySeconds  int        `json:"expect_every_seconds"`
	SilenceStatus       string     `json:"silence_status"`
	LastValidDeliveryAt *time.Time `json:"last_valid_delivery_at"`
	SilencedAt          *time.Time `json:"silenced_at"`
}

func (f *fixture) silenceOf(id uuid.UUID) silenceView {
	f.t.Helper()
	var v silenceView
	f.srv.Admin(http.MethodGet, "/api/v1/receivers/"+id.String(), nil).JSON(f.t, &v)
	return v
}

// TestSilence: a sender that stops sending flips its service to silence_status once,
// when expect_every_seconds has passed and not before, with two instances sweeping
// the same database at once (on PostgreSQL, each with its own pool); the next valid delivery ends it and starts the wait anew.
func TestSilence(t *testing.T) {
	t.Parallel()
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			url := dbtest.URL(t, d)
			db, err := database.Open(context.Background(), url, database.Options{Logger: dbtest.Logger(t)})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			f := newFixture(t, db, fixtureOptions{})
			changes := &changeLog{}
			one, two := newInstance(t, url, f, changes), newInstance(t, url, f, changes)

			start := f.clock.Peek()
			svc, r := f.fixedReceiver("Heartbeat", map[string]any{
				"expect_every_seconds": 300, "auto_incidents": map[string]any{"enabled": true, "severity": "critical"},
			})
			if v := f.silenceOf(r.ID); v.ExpectEverySeconds != 300 || v.SilenceStatus != "down" || v.SilencedAt != nil {
				t.Fatalf("receiver silence settings = %+v, want 300 s, down by default, not silenced", v)
			}

			f.clock.Set(start.Add(299 * time.Second))
			if n := sweepAll(t, one, two); n != 0 {
				t.Fatalf("a sweep 1 s before the wait ran out silenced %d receivers", n)
			}
			// A failed delivery is not a sign of life.
			expect(t, f.post(r.Token, []byte(`{"status":"purple"}`), nil), http.StatusUnprocessableEntity, "failed", "status_unmapped")

			f.clock.Set(start.Add(300 * time.Second))
			if n := sweepAll(t, one, two); n != 1 {
				t.Fatalf("two instances sweeping when the wait ran out silenced %d receivers, want exactly 1", n)
			}
			if n := sweepAll(t, one, two); n != 0 {
				t.Fatalf("a second sweep silenced %d more", n)
			}
			if got := f.getService(svc.ID).Status; got != mapping.Down {
				t.Fatalf("service after silence = %s, want down", got)
			}
			silent := changes.bySource(receiver.SourceSilence)
			if len(silent) != 1 {
				t.Fatalf("%d silence changes, want 1", len(silent))
			}
			ch := silent[0]
			if ch.ReceiverID == nil || *ch.ReceiverID != r.ID || !ch.Incidents.Enabled || ch.Incidents.Severity != "critical" ||
				!ch.At.Equal(start.Add(300*time.Second)) || !strings.Contains(ch.Message, "silent") {
				t.Fatalf("silence change = %+v, want the receiver's, its incident policy, at the due time, saying the sender went silent", ch)
			}
			if v := f.silenceOf(r.ID); v.SilencedAt == nil || !v.SilencedAt.Equal(start.Add(300*time.Second)) {
				t.Fatalf("silenced_at = %v, want %s", v.SilencedAt, start.Add(300*time.Second))
			}

			// The sender is back: its delivery is a normal change and the wait restarts.
			back := start.Add(400 * time.Second)
			f.clock.Set(back)
			expect(t, f.post(r.Token, []byte(`{"status":"operational"}`), nil), http.StatusOK, "processed", "")
			if v := f.silenceOf(r.ID); v.SilencedAt != nil || v.LastValidDeliveryAt == nil || !v.LastValidDeliveryAt.Equal(back) {
				t.Fatalf("after a valid delivery silence = %+v, want not silenced, last valid at %s", v, back)
			}
			f.clock.Set(back.Add(299 * time.Second))
			if n := sweepAll(t, one, two); n != 0 {
				t.Fatalf("silenced %d receivers before the restarted wait ran out", n)
			}
			f.clock.Set(back.Add(300 * time.Second))
			if n := sweepAll(t, one, two); n != 1 {
				t.Fatalf("silenced %d receivers when the restarted wait ran out, want 1", n)
			}
		})
	}
}

// TestSilenceSettings: expect_every_seconds needs a fixed service and a sane range;
// silence_status is one of the four statuses.
func TestSilenceSettings(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		t.Parallel()
		f := newFixture(t, db, fixtureOptions{})
		svc := f.createService("Settings")
		for name, body := range map[string]map[string]any{
			"dynamic receiver":  {"name": "x", "service_name_field": "svc", "expect_every_seconds": 600},
			"too short":         {"name": "x", "service_id": svc.ID, "expect_every_seconds": 5},
			"too long":          {"name": "x", "service_id": svc.ID, "expect_every_seconds": 31 * 24 * 3600},
			"not a status":      {"name": "x", "service_id": svc.ID, "expect_every_seconds": 600, "silence_status": "gone"},
			"items_field blank": {"name": "x", "service_id": svc.ID, "items_field": "a..b"},
		} {
			a := f.srv.Admin(http.MethodPost, "/api/v1/receivers", body)
			if a.Status != http.StatusUnprocessableEntity || a.ErrorCode(t) != "validation_failed" {
				t.Fatalf("%s: create answered %d %s, want 422 validation_failed", name, a.Status, a.Body)
			}
		}
		r := f.createReceiver(map[string]any{"name": "ok", "service_id": svc.ID, "expect_every_seconds": 600, "silence_status": "Degraded"})
		if v := f.silenceOf(r.ID); v.SilenceStatus != "degraded" || v.ExpectEverySeconds != 600 {
			t.Fatalf("silence settings = %+v, want 600 s degraded", v)
		}
		f.patchReceiver(r.ID, map[string]any{"expect_every_seconds": 0})
		if v := f.silenceOf(r.ID); v.ExpectEverySeconds != 0 {
			t.Fatalf("after turning it off expect_every_seconds = %d", v.ExpectEverySeconds)
		}
	})
}
