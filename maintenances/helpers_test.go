package maintenances_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/statusgate/statusgate/apitest"
	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/dbtest"
	"github.com/statusgate/statusgate/incidents"
	"github.com/statusgate/statusgate/maintenances"
	"github.com/statusgate/statusgate/receiver"
	"github.com/statusgate/statusgate/secrets"
	"github.com/statusgate/statusgate/services"
	"github.com/statusgate/statusgate/statuspage"
	"github.com/statusgate/statusgate/testclock"
)

// start is where every test's clock begins.
var start = time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)

// fixture is the gateway's pieces wired as cmd/statusgate wires them, served over
// HTTP for the test organization "acme": the admin API (services, receivers,
// maintenances), the inbound endpoint and the public page.
type fixture struct {
	srv   *apitest.Server
	clock *testclock.Clock
	svcs  *services.Store
	maint *maintenances.Store
}

func newFixture(t *testing.T, db *database.DB) *fixture {
	t.Helper()
	f := &fixture{clock: testclock.New(start)}
	f.svcs = services.NewStore(db, services.Options{NowFunc: f.clock.Now})
	inc := incidents.NewStore(db, f.svcs, incidents.Options{NowFunc: f.clock.Now})
	f.svcs.AddChangeFunc(inc.HandleChange)
	f.maint = maintenances.NewStore(db, f.svcs, maintenances.Options{NowFunc: f.clock.Now})
	box, err := secrets.NewBox(make([]byte, secrets.KeySize))
	if err != nil {
		t.Fatalf("secrets.NewBox: %v", err)
	}
	recvStore := receiver.NewStore(receiver.StoreConfig{DB: db, Services: f.svcs, Box: box, PublicURL: "http://127.0.0.1", NowFunc: f.clock.Now})
	recv := receiver.NewHandler(receiver.HandlerConfig{Store: recvStore, NowFunc: f.clock.Now, Logger: dbtest.Logger(t)})
	f.srv = apitest.New(t, db, func(api *echo.Group) {
		f.svcs.Register(api)
		recv.Register(api)
		f.maint.Register(api)
	})
	recv.RegisterInbound(f.srv.Echo)
	statuspage.New(statuspage.Config{
		Orgs: f.srv.Orgs, Services: f.svcs, Incidents: inc, Maintenances: f.maint,
		PublicURL: "http://127.0.0.1", NowFunc: f.clock.Now, Logger: dbtest.Logger(t),
	}).Register(f.srv.Echo)
	return f
}

// service creates a service through the API and returns its id.
func (f *fixture) service(t *testing.T, name string) string {
	t.Helper()
	a := f.srv.Admin(http.MethodPost, "/api/v1/services", map[string]any{"name": name})
	if a.Status != http.StatusCreated {
		t.Fatalf("creating service %q: %d %s", name, a.Status, a.Body)
	}
	return a.Map(t)["id"].(string)
}

// receiverToken creates a receiver for the service and returns its token.
func (f *fixture) receiverToken(t *testing.T, serviceID string) string {
	t.Helper()
	a := f.srv.Admin(http.MethodPost, "/api/v1/receivers", map[string]any{"name": "monitor", "service_id": serviceID})
	if a.Status != http.StatusCreated {
		t.Fatalf("creating receiver: %d %s", a.Status, a.Body)
	}
	return a.Map(t)["token"].(string)
}

// send posts a sender's status and returns the delivery's answer.
func (f *fixture) send(t *testing.T, token, status string) map[string]any {
	t.Helper()
	a := f.srv.Do(http.MethodPost, "/api/webhooks/incoming/"+token, "", `{"status":"`+status+`"}`)
	if a.Status != http.StatusOK {
		t.Fatalf("delivery of %q: %d %s", status, a.Status, a.Body)
	}
	return a.Map(t)
}

// serviceState reads a service's status and the status underneath a hold ("" for none).
func (f *fixture) serviceState(t *testing.T, id string) (status, underlying string) {
	t.Helper()
	a := f.srv.Admin(http.MethodGet, "/api/v1/services/"+id, nil)
	if a.Status != http.StatusOK {
		t.Fatalf("reading service: %d %s", a.Status, a.Body)
	}
	var svc services.Service
	a.JSON(t, &svc)
	if svc.UnderlyingStatus != nil {
		underlying = string(*svc.UnderlyingStatus)
	}
	return string(svc.Status), underlying
}

func (f *fixture) wantState(t *testing.T, id, status, underlying string) {
	t.Helper()
	gotStatus, gotUnder := f.serviceState(t, id)
	if gotStatus != status || gotUnder != underlying {
		t.Fatalf("service status %q underlying %q, want %q underlying %q", gotStatus, gotUnder, status, underlying)
	}
}

// create schedules a window through the API, from and to given as offsets from start.
func (f *fixture) create(t *testing.T, from, to time.Duration, serviceIDs ...string) maintenances.Maintenance {
	t.Helper()
	a := f.srv.Admin(http.MethodPost, "/api/v1/maintenances", map[string]any{
		"title": "Database upgrade", "message": "We are upgrading the primary database.",
		"service_ids": serviceIDs, "starts_at": start.Add(from), "ends_at": start.Add(to),
	})
	return decode(t, a, http.StatusCreated)
}

func (f *fixture) get(t *testing.T, id string) maintenances.Maintenance {
	t.Helper()
	return decode(t, f.srv.Admin(http.MethodGet, "/api/v1/maintenances/"+id, nil), http.StatusOK)
}

func (f *fixture) patch(t *testing.T, id string, body map[string]any) apitest.Answer {
	t.Helper()
	return f.srv.Admin(http.MethodPatch, "/api/v1/maintenances/"+id, body)
}

// sweep runs one sweep and checks what it did.
func (f *fixture) sweep(t *testing.T, wantStarted, wantEnded int) {
	t.Helper()
	started, ended, err := f.maint.Sweep(context.Background())
	if err != nil {
		t.Fatalf("Sweep: %v", err)
	}
	if started != wantStarted || ended != wantEnded {
		t.Fatalf("Sweep started %d and ended %d, want %d and %d", started, ended, wantStarted, wantEnded)
	}
}

// publicList reads one of the public maintenance lists (a v2 file, or summary.json)
// and returns the windows' ids and statuses.
func (f *fixture) publicList(t *testing.T, file string) map[string]string {
	t.Helper()
	a := f.srv.Do(http.MethodGet, "/status/"+f.srv.OrgSlug+"/api/v2/"+file, "", nil)
	if a.Status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", file, a.Status, a.Body)
	}
	var body struct {
		ScheduledMaintenances []statuspage.SummaryMaintenance `json:"scheduled_maintenances"`
	}
	a.JSON(t, &body)
	out := map[string]string{}
	for _, m := range body.ScheduledMaintenances {
		out[m.ID] = m.Status
	}
	return out
}

// page reads the public HTML page.
func (f *fixture) page(t *testing.T) string {
	t.Helper()
	a := f.srv.Do(http.MethodGet, "/status/"+f.srv.OrgSlug, "", nil)
	if a.Status != http.StatusOK {
		t.Fatalf("GET page: %d %s", a.Status, a.Body)
	}
	return string(a.Body)
}

// posts returns the titles of the organization's posts.
func (f *fixture) postTitles(t *testing.T) []string {
	t.Helper()
	a := f.srv.Admin(http.MethodGet, "/api/v1/posts?limit=200", nil)
	var body struct {
		Posts []services.Post `json:"posts"`
	}
	a.JSON(t, &body)
	out := make([]string, len(body.Posts))
	for i, p := range body.Posts {
		out[i] = p.Title
	}
	return out
}

func count(list []string, substr string) int {
	n := 0
	for _, s := range list {
		if strings.Contains(s, substr) {
			n++
		}
	}
	return n
}

func decode(t *testing.T, a apitest.Answer, want int) maintenances.Maintenance {
	t.Helper()
	if a.Status != want {
		t.Fatalf("status %d, want %d: %s", a.Status, want, a.Body)
	}
	var m maintenances.Maintenance
	a.JSON(t, &m)
	return m
}

// wantInvalid checks a 422 validation_failed naming the field.
func wantInvalid(t *testing.T, a apitest.Answer, field string) {
	t.Helper()
	if a.Status != http.StatusUnprocessableEntity || a.ErrorCode(t) != "validation_failed" {
		t.Fatalf("status %d, want 422 validation_failed: %s", a.Status, a.Body)
	}
	e, _ := a.Map(t)["error"].(map[string]any)
	if got, _ := e["field"].(string); got != field {
		t.Fatalf("error names field %q, want %q: %s", got, field, a.Body)
	}
}
