package incidents_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/dbtest"
	"github.com/statusgate/statusgate/incidents"
	"github.com/statusgate/statusgate/mapping"
	"github.com/statusgate/statusgate/services"
	"github.com/statusgate/statusgate/testclock"
)

// newClock is the test clock both stores read; tests move it instead of sleeping.
func newClock() *testclock.Clock { return testclock.New(time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)) }

// fixture is one organization with a service, the services store wired to the
// incidents store as it is in production.
type fixture struct {
	db    *database.DB
	clock *testclock.Clock
	svcs  *services.Store
	inc   *incidents.Store
	orgID uuid.UUID
	svc   services.Service
}

func newFixture(t *testing.T, db *database.DB, orgID uuid.UUID, extra ...services.ChangeFunc) *fixture {
	t.Helper()
	f := newStores(t, db, extra...)
	f.orgID = orgID
	if f.orgID == uuid.Nil {
		f.orgID = dbtest.Org(t, db)
	}
	f.svc = f.mustService(t, "API Gateway")
	return f
}

// newStores builds the stores of a fixture without an organization or a service.
func newStores(t *testing.T, db *database.DB, extra ...services.ChangeFunc) *fixture {
	t.Helper()
	f := &fixture{db: db, clock: newClock()}
	f.svcs = services.NewStore(db, services.Options{NowFunc: f.clock.Now})
	f.inc = incidents.NewStore(db, f.svcs, incidents.Options{NowFunc: f.clock.Now})
	f.svcs.AddChangeFunc(f.inc.HandleChange)
	for _, fn := range extra {
		f.svcs.AddChangeFunc(fn)
	}
	return f
}

func (f *fixture) mustService(t *testing.T, name string) services.Service {
	t.Helper()
	svc, err := f.svcs.Create(context.Background(), f.orgID, services.CreateInput{Name: name})
	if err != nil {
		t.Fatalf("creating service %q: %v", name, err)
	}
	return svc
}

// enabled is the policy of a receiver with auto_incidents on.
func enabled(openAfter int) services.IncidentPolicy {
	return services.IncidentPolicy{Enabled: true, OpenAfterSeconds: openAfter}
}

// webhook changes f.svc's status as a receiver with the given policy would.
func (f *fixture) webhook(t *testing.T, to mapping.Status, policy services.IncidentPolicy, msg string) {
	t.Helper()
	f.transition(t, f.svc.ID, to, policy, services.SourceWebhook, msg)
}

// manual changes f.svc's status as PUT /services/{id}/status does.
func (f *fixture) manual(t *testing.T, to mapping.Status) {
	t.Helper()
	f.transition(t, f.svc.ID, to, services.IncidentPolicy{}, services.SourceManual, "")
}

func (f *fixture) transition(t *testing.T, serviceID uuid.UUID, to mapping.Status, policy services.IncidentPolicy, source, msg string) {
	t.Helper()
	res, err := f.svcs.Transition(context.Background(), services.TransitionInput{
		OrgID: f.orgID, ServiceID: serviceID, To: to, Message: msg, Source: source, Incidents: policy,
	})
	if err != nil {
		t.Fatalf("transition to %s: %v", to, err)
	}
	if !res.Changed {
		t.Fatalf("transition to %s changed nothing", to)
	}
}

func (f *fixture) open(t *testing.T) []incidents.Incident {
	t.Helper()
	list, err := f.inc.ListOpen(context.Background(), f.orgID)
	if err != nil {
		t.Fatalf("ListOpen: %v", err)
	}
	return list
}

func (f *fixture) all(t *testing.T) []incidents.Incident {
	t.Helper()
	list, err := f.inc.ListRecent(context.Background(), f.orgID, time.Time{})
	if err != nil {
		t.Fatalf("ListRecent: %v", err)
	}
	return list
}

func (f *fixture) sweep(t *testing.T) (opened, resolved int) {
	t.Helper()
	opened, resolved, err := f.inc.Sweep(context.Background())
	if err != nil {
		t.Fatalf("Sweep: %v", err)
	}
	return opened, resolved
}

func (f *fixture) count(t *testing.T, table string, where string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := f.db.Conn(context.Background()).Table(table).Where(where, args...).Count(&n).Error; err != nil {
		t.Fatalf("counting %s: %v", table, err)
	}
	return n
}

func (f *fixture) mustCreate(t *testing.T, title string) incidents.Incident {
	t.Helper()
	inc, err := f.inc.Create(context.Background(), f.orgID, incidents.CreateInput{Title: title})
	if err != nil {
		t.Fatalf("creating incident %q: %v", title, err)
	}
	return inc
}

func (f *fixture) mustUpdate(t *testing.T, id uuid.UUID, in incidents.UpdateInput) incidents.Incident {
	t.Helper()
	inc, err := f.inc.Update(context.Background(), f.orgID, id, in)
	if err != nil {
		t.Fatalf("updating incident %s: %v", id, err)
	}
	return inc
}

func kinds(inc incidents.Incident) []string {
	out := make([]string, len(inc.Updates))
	for i, u := range inc.Updates {
		out[i] = u.Kind
	}
	return out
}
