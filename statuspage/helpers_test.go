package statuspage_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/statusgate/statusgate/apitest"
	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/dbtest"
	"github.com/statusgate/statusgate/incidents"
	"github.com/statusgate/statusgate/mapping"
	"github.com/statusgate/statusgate/orgs"
	"github.com/statusgate/statusgate/services"
	"github.com/statusgate/statusgate/statuspage"
	"github.com/statusgate/statusgate/testclock"
)

const publicURL = "https://status.example.com"

// start is the test clock's first reading: 10:00 UTC on 15 January 2026.
var start = time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)

// fixture is the admin API (services and incidents) and the public pages over one
// real database, all on one clock.
type fixture struct {
	t     *testing.T
	srv   *apitest.Server
	clock *testclock.Clock
	svcs  *services.Store
}

func newFixture(t *testing.T, db *database.DB) *fixture {
	t.Helper()
	clk := testclock.New(start)
	svcs := services.NewStore(db, services.Options{NowFunc: clk.Now})
	incs := incidents.NewStore(db, svcs, incidents.Options{NowFunc: clk.Now})
	svcs.AddChangeFunc(incs.HandleChange)
	srv := apitest.New(t, db, func(g *echo.Group) {
		svcs.Register(g)
		incs.Register(g)
		orgs.NewStore(db, clk.Now).Register(g) // the organization's profile
	})
	statuspage.New(statuspage.Config{
		Orgs: srv.Orgs, Services: svcs, Incidents: incs, PublicURL: publicURL + "/",
		HostOrgFunc: func(host string) string {
			if host == pageHost {
				return srv.OrgSlug
			}
			return ""
		},
		NowFunc: clk.Now, Logger: dbtest.Logger(t),
	}).Register(srv.Echo)
	return &fixture{t: t, srv: srv, clock: clk, svcs: svcs}
}

// pageHost is the host name the fixture's HostOrgFunc maps to its organization.
const pageHost = "status.acme.test"

// autoChange changes a service's status the way a receiver with auto_incidents does,
// so that automatic incidents open and resolve. No admin route makes such a change;
// the receiver package's own tests cover the inbound path.
func (f *fixture) autoChange(id, status, message string) {
	f.t.Helper()
	_, err := f.svcs.Transition(f.t.Context(), services.TransitionInput{
		OrgID: f.srv.Org.ID, ServiceID: uuid.MustParse(id), To: mapping.Status(status), Message: message,
		Source: services.SourceWebhook, Incidents: services.IncidentPolicy{Enabled: true},
	})
	if err != nil {
		f.t.Fatalf("changing %s to %s: %v", id, status, err)
	}
}

// createServiceWith creates a service with extra settings and returns its id.
func (f *fixture) createServiceWith(body map[string]any) string {
	f.t.Helper()
	a := f.srv.Admin(http.MethodPost, "/api/v1/services", body)
	if a.Status != http.StatusCreated {
		f.t.Fatalf("creating service %v: %d %s", body, a.Status, a.Body)
	}
	return a.Map(f.t)["id"].(string)
}

// getWith fetches a public URL with extra request headers and a method.
func (f *fixture) getWith(method, path string, header map[string]string) apitest.Answer {
	f.t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	for k, v := range header {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return apitest.Answer{Status: resp.StatusCode, Header: resp.Header, Body: body}
}

// createService creates a service through the admin API and returns its id.
func (f *fixture) createService(name string, public bool) string {
	f.t.Helper()
	a := f.srv.Admin(http.MethodPost, "/api/v1/services", map[string]any{"name": name, "public": public, "description": name + " for customers"})
	if a.Status != http.StatusCreated {
		f.t.Fatalf("creating service %q: %d %s", name, a.Status, a.Body)
	}
	return a.Map(f.t)["id"].(string)
}

// setStatus changes a service's status through the admin API.
func (f *fixture) setStatus(id, status, message string) {
	f.t.Helper()
	a := f.srv.Admin(http.MethodPut, "/api/v1/services/"+id+"/status", map[string]any{"status": status, "message": message})
	if a.Status != http.StatusOK {
		f.t.Fatalf("setting status %s: %d %s", status, a.Status, a.Body)
	}
}

// createIncident opens a manual incident through the admin API and returns its id.
func (f *fixture) createIncident(body map[string]any) string {
	f.t.Helper()
	a := f.srv.Admin(http.MethodPost, "/api/v1/incidents", body)
	if a.Status != http.StatusCreated {
		f.t.Fatalf("creating incident: %d %s", a.Status, a.Body)
	}
	return a.Map(f.t)["id"].(string)
}

// get fetches a public URL (no key).
func (f *fixture) get(path string) apitest.Answer {
	f.t.Helper()
	return f.srv.Do(http.MethodGet, path, "", nil)
}

func wantHeader(t *testing.T, a apitest.Answer, name, want string) {
	t.Helper()
	if got := a.Header.Get(name); !strings.HasPrefix(got, want) {
		t.Fatalf("%s = %q, want %q", name, got, want)
	}
}
