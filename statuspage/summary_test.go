package statuspage_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/dbtest"
)

// The keys Atlassian Statuspage's public summary.json carries, object by object.
var (
	summaryKeys   = []string{"components", "incidents", "page", "scheduled_maintenances", "status"}
	pageKeys      = []string{"id", "name", "time_zone", "updated_at", "url"}
	statusKeys    = []string{"description", "indicator"}
	componentKeys = []string{"created_at", "description", "group", "group_id", "id", "name", "only_show_if_degraded",
		"page_id", "position", "showcase", "start_date", "status", "updated_at"}
	incidentKeys = []string{"components", "created_at", "id", "impact", "incident_updates", "monitoring_at", "name",
		"page_id", "resolved_at", "shortlink", "started_at", "status", "updated_at"}
	updateKeys = []string{"affected_components", "body", "created_at", "custom_tweet", "deliver_notifications",
		"display_at", "id", "incident_id", "status", "tweet_id", "updated_at"}
)

func wantKeys(t *testing.T, what string, m map[string]any, want []string) {
	t.Helper()
	got := make([]string, 0, len(m))
	for k := range m {
		got = append(got, k)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("%s keys = %v, want %v", what, got, want)
	}
}

func TestSummary(t *testing.T) {
	t.Parallel() // every test has its own databases and server
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		api := f.createService("API", true)
		web := f.createService("Web Shop", true)
		f.createService("Internal DB", false)
		path := "/api/v1/public/" + f.srv.OrgSlug + "/summary.json"

		summary := func(t *testing.T) map[string]any {
			t.Helper()
			a := f.get(path)
			if a.Status != http.StatusOK {
				t.Fatalf("summary: %d %s", a.Status, a.Body)
			}
			wantHeader(t, a, "Content-Type", "application/json")
			wantHeader(t, a, "Cache-Control", "public, max-age=30")
			wantHeader(t, a, "Access-Control-Allow-Origin", "*")
			return a.Map(t)
		}
		componentStatus := func(t *testing.T, m map[string]any, id string) string {
			t.Helper()
			for _, c := range m["components"].([]any) {
				if c := c.(map[string]any); c["id"] == id {
					return c["status"].(string)
				}
			}
			t.Fatalf("no component %s in %v", id, m["components"])
			return ""
		}

		t.Run("has Statuspage's shape", func(t *testing.T) {
			m := summary(t)
			wantKeys(t, "summary", m, summaryKeys)
			wantKeys(t, "page", m["page"].(map[string]any), pageKeys)
			wantKeys(t, "status", m["status"].(map[string]any), statusKeys)
			page := m["page"].(map[string]any)
			if page["id"] != f.srv.Org.ID.String() || page["name"] != "Acme" || page["url"] != publicURL+"/status/acme" || page["time_zone"] != "Etc/UTC" {
				t.Fatalf("page = %v", page)
			}
			if _, err := time.Parse(time.RFC3339, page["updated_at"].(string)); err != nil {
				t.Fatalf("page.updated_at %q is not RFC 3339: %v", page["updated_at"], err)
			}
			comps := m["components"].([]any)
			if len(comps) != 2 {
				t.Fatalf("components = %v, want API and Web Shop only", comps)
			}
			c := comps[0].(map[string]any)
			wantKeys(t, "component", c, componentKeys)
			want := map[string]any{
				"id": api, "name": "API", "status": "operational", "position": 1.0, "description": "API for customers",
				"showcase": true, "group": false, "group_id": nil, "only_show_if_degraded": false,
				"page_id": f.srv.Org.ID.String(), "start_date": "2026-01-15", "created_at": "2026-01-15T10:00:00Z",
			}
			for k, v := range want {
				if c[k] != v {
					t.Fatalf("component %s = %#v, want %#v", k, c[k], v)
				}
			}
			if got := comps[1].(map[string]any)["position"]; got != 2.0 {
				t.Fatalf("second component position = %v, want 2", got)
			}
			if inc := m["incidents"].([]any); len(inc) != 0 {
				t.Fatalf("incidents = %v, want none", inc)
			}
			if sm, ok := m["scheduled_maintenances"].([]any); !ok || len(sm) != 0 {
				t.Fatalf("scheduled_maintenances = %#v, want []", m["scheduled_maintenances"])
			}
		})

		steps := []struct {
			name           string
			service        string
			to             string
			wantComponent  string
			wantIndicator  string
			wantDescriptor string
		}{
			{"operational is none", api, "operational", "operational", "none", "All Systems Operational"},
			{"maintenance is maintenance", api, "maintenance", "under_maintenance", "maintenance", "Service Under Maintenance"},
			{"degraded is minor", api, "degraded", "degraded_performance", "minor", "Minor Service Outage"},
			{"one of two down is major", api, "down", "major_outage", "major", "Partial System Outage"},
			{"every service down is critical", web, "down", "major_outage", "critical", "Major Service Outage"},
		}
		lastChange := start // the first step changes nothing: services start operational
		for i, s := range steps {
			t.Run(s.name, func(t *testing.T) {
				f.clock.Advance(time.Minute)
				f.setStatus(s.service, s.to, "")
				if i > 0 {
					lastChange = f.clock.Now()
				}
				m := summary(t)
				if got := componentStatus(t, m, s.service); got != s.wantComponent {
					t.Fatalf("component status = %q, want %q", got, s.wantComponent)
				}
				st := m["status"].(map[string]any)
				if st["indicator"] != s.wantIndicator || st["description"] != s.wantDescriptor {
					t.Fatalf("status = %v, want %s / %s", st, s.wantIndicator, s.wantDescriptor)
				}
				if got, want := m["page"].(map[string]any)["updated_at"], lastChange.Format(time.RFC3339); got != want {
					t.Fatalf("page.updated_at = %v, want the last change's time %s", got, want)
				}
			})
		}

		t.Run("open incidents of public services appear with their timeline", func(t *testing.T) {
			f.setStatus(api, "operational", "")
			f.setStatus(web, "operational", "")
			f.clock.Advance(time.Minute)
			opened := f.clock.Now()
			inc := f.createIncident(map[string]any{"title": "Slow API responses", "message": "We are looking into it.", "severity": "minor", "service_id": api})
			f.clock.Advance(10 * time.Minute)
			monitoring := f.clock.Now()
			if a := f.srv.Admin(http.MethodPatch, "/api/v1/incidents/"+inc, map[string]any{"status": "monitoring", "message": "A fix is out."}); a.Status != http.StatusOK {
				t.Fatalf("updating incident: %d %s", a.Status, a.Body)
			}
			m := summary(t)
			if st := m["status"].(map[string]any); st["indicator"] != "minor" {
				t.Fatalf("with an open minor incident, status = %v, want minor", st)
			}
			list := m["incidents"].([]any)
			if len(list) != 1 {
				t.Fatalf("incidents = %v, want the one incident", list)
			}
			got := list[0].(map[string]any)
			wantKeys(t, "incident", got, incidentKeys)
			want := map[string]any{
				"id": inc, "name": "Slow API responses", "status": "monitoring", "impact": "minor",
				"started_at": opened.Format(time.RFC3339), "monitoring_at": monitoring.Format(time.RFC3339),
				"resolved_at": nil, "page_id": f.srv.Org.ID.String(), "shortlink": publicURL + "/status/acme/incidents/" + inc,
			}
			for k, v := range want {
				if got[k] != v {
					t.Fatalf("incident %s = %#v, want %#v", k, got[k], v)
				}
			}
			comps := got["components"].([]any)
			if len(comps) != 1 || comps[0].(map[string]any)["id"] != api {
				t.Fatalf("incident components = %v, want API", comps)
			}
			updates := got["incident_updates"].([]any)
			if len(updates) != 2 {
				t.Fatalf("incident_updates = %v, want 2", updates)
			}
			newest := updates[0].(map[string]any)
			wantKeys(t, "incident update", newest, updateKeys)
			if newest["body"] != "A fix is out." || newest["status"] != "monitoring" || newest["incident_id"] != inc || newest["display_at"] != monitoring.Format(time.RFC3339) {
				t.Fatalf("newest update = %v, want the monitoring entry first", newest)
			}
			if oldest := updates[1].(map[string]any); oldest["body"] != "We are looking into it." || oldest["status"] != "investigating" {
				t.Fatalf("oldest update = %v", oldest)
			}
		})

		t.Run("unknown organization is not found", func(t *testing.T) {
			a := f.get("/api/v1/public/nobody/summary.json")
			if a.Status != http.StatusNotFound || a.ErrorCode(t) != "not_found" {
				t.Fatalf("unknown org: %d %s, want 404 not_found", a.Status, a.Body)
			}
		})
	})
}
