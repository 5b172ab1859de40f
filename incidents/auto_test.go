package incidents_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/statusgate/statusgate/apierr"
	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/dbtest"
	"github.com/statusgate/statusgate/incidents"
	"github.com/statusgate/statusgate/mapping"
	"github.com/statusgate/statusgate/services"
)

func TestAutomaticIncidentLifecycle(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db, uuid.Nil)
		start := f.clock.Now()

		f.webhook(t, mapping.Degraded, enabled(0), "")
		open := f.open(t)
		if len(open) != 1 {
			t.Fatalf("after degraded: %d open incidents, want 1", len(open))
		}
		inc := open[0]
		if inc.Title != "API Gateway is degraded" || inc.Severity != incidents.SeverityMinor || !inc.Automatic ||
			inc.Status != incidents.StatusInvestigating || !inc.StartedAt.Equal(start) {
			t.Fatalf("opened incident = %+v, want automatic, minor, investigating, titled, started %v", inc, start)
		}
		if inc.Service == nil || inc.Service.ID != f.svc.ID || inc.Service.Name != "API Gateway" {
			t.Fatalf("incident service = %+v, want %s", inc.Service, f.svc.ID)
		}
		if got := kinds(inc); !slices.Equal(got, []string{"opened"}) {
			t.Fatalf("timeline = %v, want [opened]", got)
		}
		if u := inc.Updates[0]; u.Message != "API Gateway is degraded." || u.ServiceStatus == nil || *u.ServiceStatus != mapping.Degraded {
			t.Fatalf("opened entry = %+v, want the plain sentence and service_status degraded", u)
		}

		f.clock.Advance(time.Minute)
		f.webhook(t, mapping.Down, enabled(0), "Gateway returns 502 for every request")
		inc = f.open(t)[0]
		if inc.Severity != incidents.SeverityMajor || inc.Title != "API Gateway is down" || inc.Impact == nil || *inc.Impact != mapping.Down {
			t.Fatalf("escalated incident = %+v, want major, titled down, impact down", inc)
		}
		if got := kinds(inc); !slices.Equal(got, []string{"opened", "escalated"}) {
			t.Fatalf("timeline = %v, want [opened escalated]", got)
		}
		if got := inc.Updates[1].Message; got != "Gateway returns 502 for every request" {
			t.Fatalf("escalation message = %q, want the sender's", got)
		}

		t.Run("a manual change without a policy still goes on the timeline", func(t *testing.T) {
			f.clock.Advance(time.Minute)
			f.manual(t, mapping.Degraded)
			inc := f.open(t)
			if len(inc) != 1 || !slices.Equal(kinds(inc[0]), []string{"opened", "escalated", "status_change"}) {
				t.Fatalf("after manual degraded: %d open, timeline %v", len(inc), kinds(inc[0]))
			}
			if inc[0].Severity != incidents.SeverityMajor {
				t.Fatalf("severity after an improvement = %s, want major (never lowered)", inc[0].Severity)
			}
		})

		end := f.clock.Advance(time.Minute)
		f.webhook(t, mapping.Operational, enabled(0), "")
		if n := len(f.open(t)); n != 0 {
			t.Fatalf("after operational: %d open incidents, want 0", n)
		}
		all := f.all(t)
		if len(all) != 1 {
			t.Fatalf("%d incidents, want 1", len(all))
		}
		inc = all[0]
		if inc.Status != incidents.StatusResolved || inc.ResolvedAt == nil || !inc.ResolvedAt.Equal(end) {
			t.Fatalf("resolved incident = %+v, want resolved at %v", inc, end)
		}
		if inc.DurationSeconds == nil || *inc.DurationSeconds != 180 {
			t.Fatalf("duration_seconds = %v, want 180", inc.DurationSeconds)
		}
		if got := kinds(inc); !slices.Equal(got, []string{"opened", "escalated", "status_change", "resolved"}) {
			t.Fatalf("timeline = %v", got)
		}

		t.Run("the next outage opens a new incident", func(t *testing.T) {
			f.clock.Advance(time.Hour)
			f.webhook(t, mapping.Down, enabled(0), "")
			open := f.open(t)
			if len(open) != 1 || open[0].ID == inc.ID || open[0].Severity != incidents.SeverityMajor {
				t.Fatalf("after a new outage: %+v, want one new major incident", open)
			}
		})
	})
}

func TestAutomaticIncidentUsesConfiguredSeverity(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db, uuid.Nil)
		f.webhook(t, mapping.Degraded, services.IncidentPolicy{Enabled: true, Severity: "critical"}, "")
		open := f.open(t)
		if len(open) != 1 || open[0].Severity != incidents.SeverityCritical {
			t.Fatalf("open = %+v, want one critical incident", open)
		}
	})
}

func TestNoAutomaticIncident(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db, uuid.Nil)
		t.Run("maintenance opens none", func(t *testing.T) {
			f.webhook(t, mapping.Maintenance, enabled(0), "")
			f.webhook(t, mapping.Operational, enabled(0), "")
			if n := len(f.all(t)); n != 0 {
				t.Fatalf("%d incidents, want 0", n)
			}
		})
		t.Run("a disabled policy opens none", func(t *testing.T) {
			f.webhook(t, mapping.Down, services.IncidentPolicy{Severity: "critical"}, "")
			if n := len(f.all(t)); n != 0 {
				t.Fatalf("%d incidents, want 0", n)
			}
			f.webhook(t, mapping.Operational, services.IncidentPolicy{}, "")
		})
		t.Run("a manual change opens none", func(t *testing.T) {
			f.manual(t, mapping.Down)
			if n := len(f.all(t)); n != 0 {
				t.Fatalf("%d incidents, want 0", n)
			}
		})
	})
}

// A change reads only what the service's marks say may exist: one that carries no
// policy reads nothing while the service has nothing to follow, and one with a
// policy and no delay never reads the waits. Yet a change without a policy still
// follows an incident an earlier change opened (or the sweep opened once a wait ran
// out) and cancels a wait one started, and the marks go off once nothing is left.
func TestChangeWithoutPolicyFollowsWhatAnEarlierOneLeft(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db, uuid.Nil)
		var reads, waitReads atomic.Int64 // queries of the two tables a change would read
		if err := db.Conn(context.Background()).Callback().Query().Register("test:incident_reads", func(tx *gorm.DB) {
			switch tx.Statement.Table {
			case "incidents":
				reads.Add(1)
			case "incident_pending":
				reads.Add(1)
				waitReads.Add(1)
			}
		}); err != nil {
			t.Fatal(err)
		}
		none := services.IncidentPolicy{}
		f.webhook(t, mapping.Down, none, "")
		f.webhook(t, mapping.Operational, none, "")
		if n := reads.Load(); n != 0 {
			t.Fatalf("two changes without a policy of a service that never had an incident read incidents %d times, want none", n)
		}
		if n := len(f.all(t)); n != 0 {
			t.Fatalf("%d incidents without a policy, want 0", n)
		}

		f.webhook(t, mapping.Down, enabled(0), "")
		f.clock.Advance(time.Minute)
		f.webhook(t, mapping.Degraded, none, "")
		open := f.open(t)
		if len(open) != 1 || !slices.Equal(kinds(open[0]), []string{incidents.KindOpened, incidents.KindStatusChange}) {
			t.Fatalf("open incidents after a change without a policy = %+v, want the one opened, with the change on its timeline", open)
		}
		f.clock.Advance(time.Minute)
		f.webhook(t, mapping.Operational, none, "")
		if n := len(f.open(t)); n != 0 {
			t.Fatalf("%d incidents still open after operational without a policy, want it resolved", n)
		}
		f.webhook(t, mapping.Down, none, "") // finds nothing left: the watch goes off
		f.webhook(t, mapping.Operational, none, "")
		if n := len(f.all(t)); n != 1 {
			t.Fatalf("%d incidents, want only the one the policy opened", n)
		}
		if n := waitReads.Load(); n != 0 {
			t.Fatalf("a policy with no delay never starts a wait, yet its changes read incident_pending %d times", n)
		}

		// A wait started by a policy is cancelled by a change without one.
		f.webhook(t, mapping.Down, enabled(60), "")
		if n := f.count(t, "incident_pending", "service_id = ?", f.svc.ID); n != 1 {
			t.Fatalf("%d waits after down with a 60 s delay, want 1", n)
		}
		f.webhook(t, mapping.Operational, none, "")
		if n := f.count(t, "incident_pending", "service_id = ?", f.svc.ID); n != 0 {
			t.Fatalf("%d waits after operational without a policy, want the wait cancelled", n)
		}
		f.clock.Advance(2 * time.Minute)
		if opened, _ := f.sweep(t); opened != 0 || len(f.all(t)) != 1 {
			t.Fatalf("the sweep opened %d after the wait was cancelled, want 0", opened)
		}
		f.webhook(t, mapping.Down, none, "") // nothing left again: both marks go off
		f.webhook(t, mapping.Operational, none, "")

		// An incident the sweep opens once a wait runs out is followed too.
		f.webhook(t, mapping.Down, enabled(60), "")
		f.clock.Advance(2 * time.Minute)
		if opened, _ := f.sweep(t); opened != 1 {
			t.Fatalf("the sweep opened %d after the wait ran out, want 1", opened)
		}
		f.webhook(t, mapping.Operational, none, "")
		// It resolves after the delay it was opened with, so operational starts that wait.
		if open := f.open(t); len(open) != 1 || !slices.Equal(kinds(open[0]), []string{incidents.KindOpened, incidents.KindStatusChange}) {
			t.Fatalf("the incident the sweep opened, after operational without a policy = %+v, want the change on its timeline", open)
		}
		f.clock.Advance(2 * time.Minute)
		if _, resolved := f.sweep(t); resolved != 1 || len(f.open(t)) != 0 {
			t.Fatalf("the sweep resolved %d once operational had lasted the delay, want the incident resolved", resolved)
		}
	})
}

func TestAtMostOneOpenAutomaticIncidentPerService(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db, uuid.Nil)
		other := f.mustService(t, "Mail")
		for _, st := range []mapping.Status{mapping.Degraded, mapping.Down, mapping.Degraded, mapping.Maintenance, mapping.Down} {
			f.clock.Advance(time.Second)
			f.webhook(t, st, enabled(0), "")
			f.transition(t, other.ID, st, enabled(0), services.SourceWebhook, "")
		}
		open := f.open(t)
		perService := map[string]int{}
		for _, inc := range open {
			perService[inc.Service.Name]++
		}
		if len(open) != 2 || perService["API Gateway"] != 1 || perService["Mail"] != 1 {
			t.Fatalf("open incidents per service = %v, want one each", perService)
		}
		if got := len(open[0].Updates); got != 5 {
			t.Fatalf("timeline has %d entries, want 5 (one per change)", got)
		}

		t.Run("the database refuses a second one", func(t *testing.T) {
			now := f.clock.Now()
			err := db.Conn(context.Background()).Exec(
				`INSERT INTO incidents (id, org_id, service_id, title, status, severity, automatic, started_at, created_at, updated_at)
				 VALUES (?, ?, ?, 'dup', 'investigating', 'major', ?, ?, ?, ?)`,
				uuid.New(), f.orgID, f.svc.ID, true, now, now, now).Error
			if !errors.Is(err, database.ErrDuplicate) {
				t.Fatalf("second open automatic incident: err = %v, want a duplicate-key error", err)
			}
		})
	})
}

func TestFailingChangeFuncRollsBackTheChange(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		boom := errors.New("boom")
		f := newFixture(t, db, uuid.Nil, func(context.Context, services.Change) error { return boom })
		_, err := f.svcs.Transition(context.Background(), services.TransitionInput{
			OrgID: f.orgID, ServiceID: f.svc.ID, To: mapping.Down, Source: services.SourceWebhook, Incidents: enabled(0),
		})
		if !errors.Is(err, boom) {
			t.Fatalf("transition err = %v, want boom", err)
		}
		got, err := f.svcs.Get(context.Background(), f.orgID, f.svc.ID)
		if err != nil || got.Status != mapping.Operational {
			t.Fatalf("service after a failed change = %s, %v; want operational", got.Status, err)
		}
		for table, want := range map[string]int64{"status_history": 1, "posts": 0, "incidents": 0, "incident_updates": 0} {
			if n := f.count(t, table, "1 = 1"); n != want {
				t.Fatalf("%s has %d rows, want %d", table, n, want)
			}
		}
	})
}

func TestOpenAfterSeconds(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db, uuid.Nil)
		policy := enabled(60)

		t.Run("a flap shorter than the delay opens nothing", func(t *testing.T) {
			f.webhook(t, mapping.Down, policy, "")
			f.clock.Advance(30 * time.Second)
			if o, r := f.sweep(t); o != 0 || r != 0 {
				t.Fatalf("sweep before the delay: opened %d resolved %d, want 0 0", o, r)
			}
			f.webhook(t, mapping.Operational, policy, "")
			f.clock.Advance(5 * time.Minute)
			if o, _ := f.sweep(t); o != 0 {
				t.Fatalf("sweep after the flap: opened %d, want 0", o)
			}
			if n := len(f.all(t)); n != 0 {
				t.Fatalf("%d incidents after a flap, want 0", n)
			}
		})

		var started time.Time
		t.Run("an outage longer than the delay opens exactly one, dated from its start", func(t *testing.T) {
			started = f.clock.Advance(time.Minute)
			f.webhook(t, mapping.Degraded, policy, "slow")
			f.clock.Advance(20 * time.Second)
			f.webhook(t, mapping.Down, policy, "") // the wait still counts from the first bad moment
			f.clock.Advance(40 * time.Second)
			if o, _ := f.sweep(t); o != 1 {
				t.Fatalf("sweep at the delay: opened %d, want 1", o)
			}
			if o, _ := f.sweep(t); o != 0 {
				t.Fatalf("second sweep: opened %d, want 0", o)
			}
			open := f.open(t)
			if len(open) != 1 {
				t.Fatalf("%d open incidents, want 1", len(open))
			}
			inc := open[0]
			if !inc.StartedAt.Equal(started) || inc.Severity != incidents.SeverityMajor || inc.Title != "API Gateway is down" {
				t.Fatalf("incident = %+v, want started %v, major, titled down", inc, started)
			}
			if got := kinds(inc); !slices.Equal(got, []string{"opened"}) || !inc.Updates[0].At.Equal(started) {
				t.Fatalf("timeline = %+v, want one opened entry at %v", inc.Updates, started)
			}
		})

		t.Run("a recovery shorter than the delay resolves nothing", func(t *testing.T) {
			f.clock.Advance(time.Minute)
			f.webhook(t, mapping.Operational, policy, "")
			f.clock.Advance(30 * time.Second)
			if _, r := f.sweep(t); r != 0 {
				t.Fatalf("sweep during the recovery: resolved %d, want 0", r)
			}
			f.webhook(t, mapping.Down, policy, "")
			f.clock.Advance(5 * time.Minute)
			if _, r := f.sweep(t); r != 0 {
				t.Fatalf("sweep after the relapse: resolved %d, want 0", r)
			}
			open := f.open(t)
			if len(open) != 1 || !slices.Equal(kinds(open[0]), []string{"opened", "status_change", "escalated"}) {
				t.Fatalf("open = %d, timeline %v; want the incident still open with both changes", len(open), kinds(open[0]))
			}
		})

		t.Run("a recovery longer than the delay resolves it as of the recovery", func(t *testing.T) {
			recovered := f.clock.Advance(time.Minute)
			f.webhook(t, mapping.Operational, policy, "")
			f.clock.Advance(61 * time.Second)
			if _, r := f.sweep(t); r != 1 {
				t.Fatalf("sweep after the delay: resolved %d, want 1", r)
			}
			all := f.all(t)
			if len(all) != 1 || all[0].ResolvedAt == nil || !all[0].ResolvedAt.Equal(recovered) {
				t.Fatalf("incidents = %+v, want one resolved at %v", all, recovered)
			}
			if want := int64(recovered.Sub(started) / time.Second); all[0].DurationSeconds == nil || *all[0].DurationSeconds != want {
				t.Fatalf("duration_seconds = %v, want %d", all[0].DurationSeconds, want)
			}
			if got := kinds(all[0]); got[len(got)-1] != "resolved" {
				t.Fatalf("timeline = %v, want it to end resolved", got)
			}
		})

	})
}

func TestManualResolveOfAnAutomaticIncident(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		f := newFixture(t, db, uuid.Nil)
		f.webhook(t, mapping.Down, enabled(30), "")
		f.clock.Advance(time.Minute)
		f.sweep(t)
		inc := f.open(t)[0]
		f.webhook(t, mapping.Operational, enabled(30), "")
		resolved := incidents.StatusResolved
		if _, err := f.inc.Update(ctx, f.orgID, inc.ID, incidents.UpdateInput{Status: &resolved}); err != nil {
			t.Fatalf("resolving by hand: %v", err)
		}
		if n := f.count(t, "incident_pending", "1 = 1"); n != 0 {
			t.Fatalf("%d pending rows after a manual resolve, want 0", n)
		}
		f.clock.Advance(time.Minute)
		if _, r := f.sweep(t); r != 0 {
			t.Fatalf("sweep resolved %d, want 0", r)
		}

		t.Run("re-opening it while another automatic incident is open conflicts", func(t *testing.T) {
			f.webhook(t, mapping.Down, enabled(0), "")
			investigating := incidents.StatusInvestigating
			_, err := f.inc.Update(ctx, f.orgID, inc.ID, incidents.UpdateInput{Status: &investigating})
			if code := apierr.CodeOf(err); code != apierr.CodeConflict {
				t.Fatalf("re-open: err = %v, want conflict", err)
			}
		})
	})
}

// Several instances sweep the same due rows at once: every service gets exactly one
// incident, and the counts the sweepers report add up to that.
func TestConcurrentSweepsOpenOneIncidentEach(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db, uuid.Nil)
		const nServices = 12
		for i := 0; i < nServices; i++ {
			svc := f.mustService(t, fmt.Sprintf("svc-%d", i))
			f.transition(t, svc.ID, mapping.Down, enabled(10), services.SourceWebhook, "")
		}
		f.clock.Advance(11 * time.Second)
		const nSweepers = 6
		var (
			wg     sync.WaitGroup
			mu     sync.Mutex
			opened int
		)
		for i := 0; i < nSweepers; i++ {
			// Each sweeper is its own Store, as another instance would be.
			inst := incidents.NewStore(db, services.NewStore(db, services.Options{NowFunc: f.clock.Now}), incidents.Options{NowFunc: f.clock.Now})
			wg.Add(1)
			go func() {
				defer wg.Done()
				o, _, err := inst.Sweep(context.Background())
				if err != nil {
					t.Errorf("sweep: %v", err)
					return
				}
				mu.Lock()
				opened += o
				mu.Unlock()
			}()
		}
		wg.Wait()
		if opened != nServices {
			t.Fatalf("sweepers report %d opened, want %d", opened, nServices)
		}
		if n := f.count(t, "incidents", "automatic = ?", true); n != nServices {
			t.Fatalf("%d automatic incidents, want %d", n, nServices)
		}
		if n := f.count(t, "incident_updates", "kind = ?", "opened"); n != nServices {
			t.Fatalf("%d opened entries, want %d", n, nServices)
		}
	})
}

// Webhooks and a sweeper race on one service whose delays keep falling due: neither
// ever fails (a second open automatic incident would fail on the unique index), and
// once the service has ended operational and the last delay has passed, nothing is open.
func TestSweepRacesWithStatusChanges(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db, uuid.Nil)
		ctx := context.Background()
		const changes = 30
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := 0; i < changes; i++ {
				to := mapping.Down
				if i%2 == 1 {
					to = mapping.Operational
				}
				if _, err := f.svcs.Transition(ctx, services.TransitionInput{
					OrgID: f.orgID, ServiceID: f.svc.ID, To: to, Source: services.SourceWebhook, Incidents: enabled(1),
				}); err != nil {
					t.Errorf("transition: %v", err)
				}
				f.clock.Advance(2 * time.Second) // past the delay: the sweeper may act now
			}
		}()
		go func() {
			defer wg.Done()
			for i := 0; i < changes; i++ {
				if _, _, err := f.inc.Sweep(ctx); err != nil {
					t.Errorf("sweep: %v", err)
				}
			}
		}()
		wg.Wait()
		f.clock.Advance(time.Minute)
		f.sweep(t)
		if n := f.count(t, "incidents", "resolved_at IS NULL"); n != 0 {
			t.Fatalf("%d open incidents after ending operational, want 0", n)
		}
		if n := f.count(t, "incident_pending", "1 = 1"); n != 0 {
			t.Fatalf("%d pending rows left, want 0", n)
		}
		if n := f.count(t, "incidents", "1 = 1"); n > changes/2 {
			t.Fatalf("%d incidents for %d outages, want at most one each", n, changes/2)
		}
	})
}
