package incidents_test

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/statusgate/statusgate/apitest"
	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/dbtest"
	"github.com/statusgate/statusgate/incidents"
	"github.com/statusgate/statusgate/mapping"
)

// newServer serves the incidents API for the test organization "acme", which owns the
// fixture's service.
func newServer(t *testing.T, db *database.DB) (*apitest.Server, *fixture) {
	t.Helper()
	f := newStores(t, db)
	srv := apitest.New(t, db, f.inc.Register)
	f.orgID = srv.Org.ID
	f.svc = f.mustService(t, "API Gateway")
	return srv, f
}

func decode(t *testing.T, a apitest.Answer, want int) incidents.Incident {
	t.Helper()
	if a.Status != want {
		t.Fatalf("status %d, want %d: %s", a.Status, want, a.Body)
	}
	var inc incidents.Incident
	a.JSON(t, &inc)
	return inc
}

func errorField(t *testing.T, a apitest.Answer) string {
	t.Helper()
	e, _ := a.Map(t)["error"].(map[string]any)
	f, _ := e["field"].(string)
	return f
}

func TestIncidentsAPI(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		srv, f := newServer(t, db)
		created := decode(t, srv.Admin(http.MethodPost, "/api/v1/incidents", map[string]any{
			"title": "  Elevated error rates ", "message": "We are looking into it.", "service_id": f.svc.ID,
		}), http.StatusCreated)
		if created.Title != "Elevated error rates" || created.Status != "investigating" || created.Severity != "major" ||
			created.Automatic || created.Service == nil || created.Service.Name != "API Gateway" || created.ResolvedAt != nil {
			t.Fatalf("created = %+v, want defaults investigating/major, manual, about API Gateway", created)
		}
		if len(created.Updates) != 1 || created.Updates[0].Kind != "opened" || created.Updates[0].Message != "We are looking into it." {
			t.Fatalf("created timeline = %+v, want one opened entry with the message", created.Updates)
		}
		path := "/api/v1/incidents/" + created.ID.String()

		t.Run("the answer is snake_case with null for what is unset", func(t *testing.T) {
			m := srv.Admin(http.MethodGet, path, nil).Map(t)
			for _, k := range []string{"id", "title", "status", "severity", "automatic", "service", "started_at",
				"resolved_at", "duration_seconds", "acknowledged_at", "updates", "created_at", "updated_at"} {
				if _, ok := m[k]; !ok {
					t.Fatalf("answer lacks %q: %v", k, m)
				}
			}
			if m["resolved_at"] != nil || m["acknowledged_at"] != nil {
				t.Fatalf("resolved_at / acknowledged_at = %v / %v, want null", m["resolved_at"], m["acknowledged_at"])
			}
		})

		t.Run("validation names the field", func(t *testing.T) {
			for _, tc := range []struct {
				name  string
				body  any
				field string
			}{
				{"title missing", map[string]any{"message": "x"}, "title"},
				{"severity unknown", map[string]any{"title": "x", "severity": "apocalyptic"}, "severity"},
				{"status unknown", map[string]any{"title": "x", "status": "panicking"}, "status"},
				{"born resolved", map[string]any{"title": "x", "status": "resolved"}, "status"},
				{"service of no one", map[string]any{"title": "x", "service_id": "0193a0a0-0000-7000-8000-000000000000"}, "service_id"},
				{"unknown field", map[string]any{"title": "x", "colour": "red"}, "colour"},
			} {
				a := srv.Admin(http.MethodPost, "/api/v1/incidents", tc.body)
				if a.Status != http.StatusUnprocessableEntity || a.ErrorCode(t) != "validation_failed" || errorField(t, a) != tc.field {
					t.Fatalf("%s: %d %s, want 422 validation_failed naming %s", tc.name, a.Status, a.Body, tc.field)
				}
			}
			a := srv.Admin(http.MethodPatch, path, map[string]any{"status": "fixed"})
			if a.Status != http.StatusUnprocessableEntity || errorField(t, a) != "status" {
				t.Fatalf("patch bad status: %d %s, want 422 naming status", a.Status, a.Body)
			}
			a = srv.Admin(http.MethodPatch, path, map[string]any{"title": "  "})
			if a.Status != http.StatusUnprocessableEntity || errorField(t, a) != "title" {
				t.Fatalf("patch empty title: %d %s, want 422 naming title", a.Status, a.Body)
			}
			a = srv.Admin(http.MethodGet, "/api/v1/incidents?state=sideways", nil)
			if a.Status != http.StatusUnprocessableEntity || errorField(t, a) != "state" {
				t.Fatalf("list bad filter: %d %s, want 422 naming state", a.Status, a.Body)
			}
		})

		t.Run("patch puts messages and status changes on the timeline", func(t *testing.T) {
			f.clock.Advance(10 * time.Minute)
			decode(t, srv.Admin(http.MethodPatch, path, map[string]any{"message": "Still looking."}), http.StatusOK)
			decode(t, srv.Admin(http.MethodPatch, path, map[string]any{"status": "identified", "message": "A bad deploy."}), http.StatusOK)
			inc := decode(t, srv.Admin(http.MethodPatch, path, map[string]any{"severity": "critical", "title": "Errors everywhere"}), http.StatusOK)
			if got := kinds(inc); !slices.Equal(got, []string{"opened", "update", "status_change"}) {
				t.Fatalf("timeline = %v, want [opened update status_change]", got)
			}
			last := inc.Updates[2]
			if last.Status != "identified" || last.Message != "A bad deploy." {
				t.Fatalf("status entry = %+v, want identified with its message", last)
			}
			if inc.Status != "identified" || inc.Severity != "critical" || inc.Title != "Errors everywhere" {
				t.Fatalf("incident = %+v, want identified, critical, retitled", inc)
			}
		})

		t.Run("resolving sets resolved_at and duration_seconds", func(t *testing.T) {
			inc := decode(t, srv.Admin(http.MethodPatch, path, map[string]any{"status": "resolved", "message": "Rolled back."}), http.StatusOK)
			if inc.ResolvedAt == nil || !inc.ResolvedAt.Equal(f.clock.Now()) || inc.DurationSeconds == nil || *inc.DurationSeconds != 600 {
				t.Fatalf("resolved = %+v / %v, want resolved now after 600 s", inc.ResolvedAt, inc.DurationSeconds)
			}
			if got := kinds(inc); got[len(got)-1] != "resolved" {
				t.Fatalf("timeline = %v, want it to end resolved", got)
			}
			resolved := srv.Admin(http.MethodGet, "/api/v1/incidents?state=resolved", nil).Map(t)["incidents"].([]any)
			open := srv.Admin(http.MethodGet, "/api/v1/incidents?state=open", nil).Map(t)["incidents"].([]any)
			if len(resolved) != 1 || len(open) != 0 {
				t.Fatalf("resolved %d open %d, want 1 0", len(resolved), len(open))
			}
		})

		t.Run("re-opening clears the resolution", func(t *testing.T) {
			inc := decode(t, srv.Admin(http.MethodPatch, path, map[string]any{"status": "monitoring"}), http.StatusOK)
			if inc.ResolvedAt != nil || inc.DurationSeconds != nil || inc.Status != "monitoring" {
				t.Fatalf("re-opened = %+v, want monitoring with no resolution", inc)
			}
		})

		t.Run("acknowledge is idempotent", func(t *testing.T) {
			first := decode(t, srv.Admin(http.MethodPost, path+"/acknowledge", nil), http.StatusOK)
			f.clock.Advance(time.Minute)
			second := decode(t, srv.Admin(http.MethodPost, path+"/acknowledge", nil), http.StatusOK)
			if first.AcknowledgedAt == nil || second.AcknowledgedAt == nil || !second.AcknowledgedAt.Equal(*first.AcknowledgedAt) {
				t.Fatalf("acknowledged_at = %v then %v, want the first time kept", first.AcknowledgedAt, second.AcknowledgedAt)
			}
			n := 0
			for _, u := range second.Updates {
				if u.Kind == "acknowledged" {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("%d acknowledged entries, want 1", n)
			}
		})

		t.Run("list pages newest first", func(t *testing.T) {
			for _, title := range []string{"b", "c", "d"} {
				f.clock.Advance(time.Minute)
				decode(t, srv.Admin(http.MethodPost, "/api/v1/incidents", map[string]any{"title": title, "severity": "minor"}), http.StatusCreated)
			}
			var titles []string
			cursor := ""
			for pages := 0; ; pages++ {
				m := srv.Admin(http.MethodGet, "/api/v1/incidents?limit=3"+cursor, nil).Map(t)
				for _, i := range m["incidents"].([]any) {
					titles = append(titles, i.(map[string]any)["title"].(string))
				}
				if m["next_cursor"] == nil {
					break
				}
				cursor = "&cursor=" + m["next_cursor"].(string)
				if pages > 3 {
					t.Fatal("paging does not end")
				}
			}
			if want := []string{"d", "c", "b", "Errors everywhere"}; !slices.Equal(titles, want) {
				t.Fatalf("titles = %v, want %v", titles, want)
			}
		})

		t.Run("another organization sees not found", func(t *testing.T) {
			_, otherKey, err := srv.Orgs.CreateOrg(context.Background(), "other", "Other")
			if err != nil {
				t.Fatal(err)
			}
			for _, req := range []struct{ method, path string }{
				{http.MethodGet, path}, {http.MethodPatch, path}, {http.MethodPost, path + "/acknowledge"},
			} {
				a := srv.Do(req.method, req.path, otherKey, map[string]any{"message": "mine now"})
				if a.Status != http.StatusNotFound || a.ErrorCode(t) != "not_found" {
					t.Fatalf("%s %s as another org: %d %s, want 404", req.method, req.path, a.Status, a.Body)
				}
			}
			if list := srv.Do(http.MethodGet, "/api/v1/incidents", otherKey, nil).Map(t)["incidents"].([]any); len(list) != 0 {
				t.Fatalf("another org lists %d incidents, want 0", len(list))
			}
			a := srv.Do(http.MethodPost, "/api/v1/incidents", otherKey, map[string]any{"title": "x", "service_id": f.svc.ID})
			if a.Status != http.StatusUnprocessableEntity || errorField(t, a) != "service_id" {
				t.Fatalf("incident about another org's service: %d %s, want 422 naming service_id", a.Status, a.Body)
			}
		})

		t.Run("viewer reads but cannot write", func(t *testing.T) {
			if a := srv.Do(http.MethodGet, path, srv.ViewerKey, nil); a.Status != http.StatusOK {
				t.Fatalf("viewer get: %d", a.Status)
			}
			for _, req := range []struct{ method, path string }{
				{http.MethodPost, "/api/v1/incidents"}, {http.MethodPatch, path}, {http.MethodPost, path + "/acknowledge"},
			} {
				a := srv.Do(req.method, req.path, srv.ViewerKey, map[string]any{"title": "x"})
				if a.Status != http.StatusForbidden || a.ErrorCode(t) != "forbidden" {
					t.Fatalf("viewer %s %s: %d %s, want 403", req.method, req.path, a.Status, a.Body)
				}
			}
		})

		t.Run("an unknown id is not found", func(t *testing.T) {
			for _, p := range []string{"/api/v1/incidents/0193a0a0-0000-7000-8000-000000000000", "/api/v1/incidents/nope"} {
				if a := srv.Admin(http.MethodGet, p, nil); a.Status != http.StatusNotFound {
					t.Fatalf("GET %s: %d, want 404", p, a.Status)
				}
			}
		})

		t.Run("automatic incidents show in the API", func(t *testing.T) {
			f.webhook(t, mapping.Down, enabled(0), "")
			open := srv.Admin(http.MethodGet, "/api/v1/incidents?state=open", nil).Map(t)["incidents"].([]any)
			var auto int
			for _, i := range open {
				if i.(map[string]any)["automatic"] == true {
					auto++
				}
			}
			if auto != 1 {
				t.Fatalf("%d automatic incidents listed open, want 1", auto)
			}
		})
	})
}

func TestListRecent(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		f := newFixture(t, db, uuid.Nil)
		resolved := incidents.StatusResolved
		old := f.mustCreate(t, "old")
		f.mustUpdate(t, old.ID, incidents.UpdateInput{Status: &resolved})
		since := f.clock.Advance(24 * time.Hour)
		f.clock.Advance(time.Hour)
		recent := f.mustCreate(t, "recent")
		f.mustUpdate(t, recent.ID, incidents.UpdateInput{Status: &resolved})
		f.clock.Advance(time.Hour)
		f.mustCreate(t, "open")

		list, err := f.inc.ListRecent(ctx, f.orgID, since)
		if err != nil {
			t.Fatal(err)
		}
		var titles []string
		for _, i := range list {
			titles = append(titles, i.Title)
			if len(i.Updates) == 0 {
				t.Fatalf("incident %q has no timeline", i.Title)
			}
		}
		if want := []string{"open", "recent"}; !slices.Equal(titles, want) {
			t.Fatalf("ListRecent = %v, want %v", titles, want)
		}
		if open := f.open(t); len(open) != 1 || open[0].Title != "open" {
			t.Fatalf("ListOpen = %+v, want only the open one", open)
		}
	})
}
