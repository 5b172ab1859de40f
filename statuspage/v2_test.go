package statuspage_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/statusgate/statusgate/apitest"
	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/dbtest"
)

// A client written for Atlassian Statuspage's public API v2, as its documentation
// (https://<page>.statuspage.io/api/v2) describes each file: the structs below mirror
// Atlassian's JSON, not ours. decodeAtlassian reads an answer into them strictly: an
// unknown key fails, and so does a documented key that is missing.

type spPage struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	URL       string    `json:"url"`
	TimeZone  string    `json:"time_zone"`
	UpdatedAt time.Time `json:"updated_at"`
}

type spStatus struct {
	Indicator   string `json:"indicator"`
	Description string `json:"description"`
}

type spComponent struct {
	ID                 string    `json:"id"`
	Name               string    `json:"name"`
	Status             string    `json:"status"`
	CreatedAt          time.Time `json:"created_at"`
	UpdatedAt          time.Time `json:"updated_at"`
	Position           int       `json:"position"`
	Description        *string   `json:"description"`
	Showcase           bool      `json:"showcase"`
	StartDate          *string   `json:"start_date"`
	GroupID            *string   `json:"group_id"`
	PageID             string    `json:"page_id"`
	Group              bool      `json:"group"`
	OnlyShowIfDegraded bool      `json:"only_show_if_degraded"`
	// Only group components carry their members' ids.
	Components []string `json:"components,omitempty"`
}

type spAffectedComponent struct {
	Code      string `json:"code"`
	Name      string `json:"name"`
	OldStatus string `json:"old_status"`
	NewStatus string `json:"new_status"`
}

type spIncidentUpdate struct {
	ID                   string                `json:"id"`
	Status               string                `json:"status"`
	Body                 string                `json:"body"`
	IncidentID           string                `json:"incident_id"`
	CreatedAt            time.Time             `json:"created_at"`
	UpdatedAt            time.Time             `json:"updated_at"`
	DisplayAt            time.Time             `json:"display_at"`
	AffectedComponents   []spAffectedComponent `json:"affected_components"`
	DeliverNotifications bool                  `json:"deliver_notifications"`
	CustomTweet          *string               `json:"custom_tweet"`
	TweetID              *string               `json:"tweet_id"`
}

type spIncident struct {
	ID              string             `json:"id"`
	Name            string             `json:"name"`
	Status          string             `json:"status"`
	CreatedAt       time.Time          `json:"created_at"`
	UpdatedAt       time.Time          `json:"updated_at"`
	MonitoringAt    *time.Time         `json:"monitoring_at"`
	ResolvedAt      *time.Time         `json:"resolved_at"`
	Impact          string             `json:"impact"`
	Shortlink       string             `json:"shortlink"`
	StartedAt       time.Time          `json:"started_at"`
	PageID          string             `json:"page_id"`
	IncidentUpdates []spIncidentUpdate `json:"incident_updates"`
	Components      []spComponent      `json:"components"`
}

type spMaintenance struct {
	spIncident
	ScheduledFor   time.Time `json:"scheduled_for"`
	ScheduledUntil time.Time `json:"scheduled_until"`
}

type spSummary struct {
	Page                  spPage          `json:"page"`
	Components            []spComponent   `json:"components"`
	Incidents             []spIncident    `json:"incidents"`
	ScheduledMaintenances []spMaintenance `json:"scheduled_maintenances"`
	Status                spStatus        `json:"status"`
}

type spStatusFile struct {
	Page   spPage   `json:"page"`
	Status spStatus `json:"status"`
}

type spComponentsFile struct {
	Page       spPage        `json:"page"`
	Components []spComponent `json:"components"`
}

type spIncidentsFile struct {
	Page      spPage       `json:"page"`
	Incidents []spIncident `json:"incidents"`
}

type spMaintenancesFile struct {
	Page                  spPage          `json:"page"`
	ScheduledMaintenances []spMaintenance `json:"scheduled_maintenances"`
}

// Atlassian's vocabularies.
var (
	spComponentStatuses = []string{"operational", "degraded_performance", "partial_outage", "major_outage", "under_maintenance"}
	spIndicators        = []string{"none", "minor", "major", "critical", "maintenance"}
	spImpacts           = []string{"none", "minor", "major", "critical", "maintenance"}
	spIncidentStatuses  = []string{"investigating", "identified", "monitoring", "resolved", "postmortem"}
)

// decodeAtlassian decodes an answer strictly into v and checks that every key the
// type documents (all but omitempty ones) is present, at every depth.
func decodeAtlassian(t *testing.T, a apitest.Answer, v any) {
	t.Helper()
	if a.Status != http.StatusOK {
		t.Fatalf("answer %d: %s", a.Status, a.Body)
	}
	dec := json.NewDecoder(bytes.NewReader(a.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("a Statuspage client cannot read the answer: %v\n%s", err, a.Body)
	}
	var raw any
	if err := json.Unmarshal(a.Body, &raw); err != nil {
		t.Fatal(err)
	}
	requireKeys(t, "$", raw, reflect.TypeOf(v).Elem())
}

func requireKeys(t *testing.T, path string, raw any, typ reflect.Type) {
	t.Helper()
	switch typ.Kind() {
	case reflect.Pointer:
		if raw != nil {
			requireKeys(t, path, raw, typ.Elem())
		}
	case reflect.Slice:
		list, ok := raw.([]any)
		if !ok {
			t.Fatalf("%s = %#v, want a list (never null)", path, raw)
		}
		for i, el := range list {
			requireKeys(t, path+"["+string(rune('0'+i%10))+"]", el, typ.Elem())
		}
	case reflect.Struct:
		if typ == reflect.TypeOf(time.Time{}) {
			return
		}
		obj, ok := raw.(map[string]any)
		if !ok {
			t.Fatalf("%s = %#v, want an object", path, raw)
		}
		for i := range typ.NumField() {
			f := typ.Field(i)
			if f.Anonymous {
				requireKeys(t, path, raw, f.Type)
				continue
			}
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			val, present := obj[name]
			if !present {
				if strings.Contains(opts, "omitempty") {
					continue
				}
				t.Fatalf("%s lacks %q, which Statuspage clients read", path, name)
			}
			requireKeys(t, path+"."+name, val, f.Type)
		}
	}
}

func wantIn(t *testing.T, what, got string, set []string) {
	t.Helper()
	if !slices.Contains(set, got) {
		t.Fatalf("%s = %q, not in Atlassian's vocabulary %v", what, got, set)
	}
}

// TestStatuspageV2 reads every file of the v2 API with the Atlassian client above,
// under /status/{org}/api/v2/ and at the root /api/v2/, on both stores.
func TestStatuspageV2(t *testing.T) {
	t.Parallel() // every test has its own databases and server
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		web := f.createServiceWith(map[string]any{"name": "Web", "position": 0})
		api := f.createServiceWith(map[string]any{"name": "API", "position": 1, "group": "Core"})
		dbase := f.createServiceWith(map[string]any{"name": "Database", "position": 2, "group": "Core", "description": "Primary store"})
		hidden := f.createServiceWith(map[string]any{"name": "Hidden Ledger", "public": false, "group": "Core"})
		f.autoChange(hidden, "down", "ledger broke")

		f.clock.Advance(time.Hour)
		wentDown := f.clock.Now()
		f.autoChange(api, "down", "API requests fail")
		f.clock.Advance(30 * time.Minute)
		cameBack := f.clock.Now()
		f.autoChange(api, "operational", "")
		f.clock.Advance(10 * time.Minute)
		slow := f.createIncident(map[string]any{"title": "Web is slow", "message": "Looking into it.", "severity": "minor", "service_id": web})

		// The API incident is the automatic one the down change opened.
		var list struct {
			Incidents []struct {
				ID    string `json:"id"`
				Title string `json:"title"`
			} `json:"incidents"`
		}
		f.srv.Admin(http.MethodGet, "/api/v1/incidents?state=resolved", nil).JSON(t, &list)
		var apiInc string
		for _, inc := range list.Incidents {
			if inc.Title == "API is down" {
				apiInc = inc.ID
			}
		}
		if apiInc == "" {
			t.Fatalf("no automatic incident for API among %+v", list.Incidents)
		}

		for _, base := range []struct {
			name, prefix string
			header       map[string]string
		}{
			{"by slug", "/status/acme/api/v2", nil},
			{"at the root for the page host", "/api/v2", map[string]string{"Host": pageHost}},
		} {
			get := func(t *testing.T, file string) apitest.Answer {
				t.Helper()
				a := f.getWith(http.MethodGet, base.prefix+file, base.header)
				wantHeader(t, a, "Content-Type", "application/json")
				wantHeader(t, a, "Access-Control-Allow-Origin", "*")
				wantHeader(t, a, "Cache-Control", "public, max-age=30")
				return a
			}
			checkPage := func(t *testing.T, p spPage) {
				t.Helper()
				if p.ID != f.srv.Org.ID.String() || p.Name != "Acme" || p.URL != publicURL+"/status/acme" || p.TimeZone != "Etc/UTC" || !p.UpdatedAt.Equal(f.clock.Now()) {
					t.Fatalf("page = %+v", p)
				}
			}
			t.Run(base.name, func(t *testing.T) {
				t.Run("summary.json", func(t *testing.T) {
					var s spSummary
					decodeAtlassian(t, get(t, "/summary.json"), &s)
					checkPage(t, s.Page)
					if s.Status != (spStatus{"minor", "Minor Service Outage"}) {
						t.Fatalf("status = %+v, want minor for the open minor incident", s.Status)
					}
					checkComponents(t, s.Components, web, api, dbase, hidden)
					if len(s.Incidents) != 1 || s.Incidents[0].ID != slow || s.Incidents[0].Impact != "minor" {
						t.Fatalf("incidents = %+v, want the open one only", s.Incidents)
					}
					if len(s.ScheduledMaintenances) != 0 {
						t.Fatalf("scheduled_maintenances = %+v, want none", s.ScheduledMaintenances)
					}
				})
				t.Run("status.json", func(t *testing.T) {
					var s spStatusFile
					decodeAtlassian(t, get(t, "/status.json"), &s)
					checkPage(t, s.Page)
					wantIn(t, "indicator", s.Status.Indicator, spIndicators)
					if s.Status.Indicator != "minor" {
						t.Fatalf("status = %+v, want minor", s.Status)
					}
				})
				t.Run("components.json", func(t *testing.T) {
					var s spComponentsFile
					decodeAtlassian(t, get(t, "/components.json"), &s)
					checkPage(t, s.Page)
					checkComponents(t, s.Components, web, api, dbase, hidden)
				})
				t.Run("incidents.json", func(t *testing.T) {
					var s spIncidentsFile
					decodeAtlassian(t, get(t, "/incidents.json"), &s)
					checkPage(t, s.Page)
					if len(s.Incidents) != 2 || s.Incidents[0].ID != slow || s.Incidents[1].ID != apiInc {
						t.Fatalf("incidents = %+v, want the open one, then the resolved API incident (newest first, the hidden service's left out)", s.Incidents)
					}
					for _, inc := range s.Incidents {
						wantIn(t, "incident status", inc.Status, spIncidentStatuses)
						wantIn(t, "impact", inc.Impact, spImpacts)
						for _, u := range inc.IncidentUpdates {
							wantIn(t, "update status", u.Status, spIncidentStatuses)
						}
					}
					past := s.Incidents[1]
					if past.Status != "resolved" || past.ResolvedAt == nil || !past.ResolvedAt.Equal(cameBack) || !past.StartedAt.Equal(wentDown) || past.Impact != "major" {
						t.Fatalf("resolved incident = %+v", past)
					}
					if past.Shortlink != publicURL+"/status/acme/incidents/"+apiInc {
						t.Fatalf("shortlink = %q, want the incident's page", past.Shortlink)
					}
					if len(past.Components) != 1 || past.Components[0].ID != api {
						t.Fatalf("components = %+v, want API", past.Components)
					}
					// Newest first: resolved (back to operational), then opened (down).
					want := [][]spAffectedComponent{
						{{Code: api, Name: "API", OldStatus: "major_outage", NewStatus: "operational"}},
						{{Code: api, Name: "API", OldStatus: "operational", NewStatus: "major_outage"}},
					}
					if len(past.IncidentUpdates) != 2 {
						t.Fatalf("incident_updates = %+v, want 2", past.IncidentUpdates)
					}
					for i, u := range past.IncidentUpdates {
						if !reflect.DeepEqual(u.AffectedComponents, want[i]) || u.IncidentID != apiInc {
							t.Fatalf("update %d = %+v, want affected_components %+v", i, u, want[i])
						}
					}
					if u := s.Incidents[0].IncidentUpdates; len(u) != 1 || len(u[0].AffectedComponents) != 0 || u[0].Body != "Looking into it." {
						t.Fatalf("manual incident's updates = %+v, want one, affecting nothing", u)
					}
				})
				t.Run("incidents/unresolved.json", func(t *testing.T) {
					var s spIncidentsFile
					decodeAtlassian(t, get(t, "/incidents/unresolved.json"), &s)
					checkPage(t, s.Page)
					if len(s.Incidents) != 1 || s.Incidents[0].ID != slow || s.Incidents[0].ResolvedAt != nil {
						t.Fatalf("unresolved = %+v, want the open incident only", s.Incidents)
					}
				})
				for _, file := range []string{"/scheduled-maintenances.json", "/scheduled-maintenances/upcoming.json", "/scheduled-maintenances/active.json"} {
					t.Run(strings.TrimPrefix(file, "/"), func(t *testing.T) {
						var s spMaintenancesFile
						decodeAtlassian(t, get(t, file), &s)
						checkPage(t, s.Page)
						if len(s.ScheduledMaintenances) != 0 {
							t.Fatalf("scheduled_maintenances = %+v, want []", s.ScheduledMaintenances)
						}
					})
				}
				t.Run("a preflight request is allowed", func(t *testing.T) {
					h := map[string]string{"Origin": "https://example.org", "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "x-requested-with"}
					for k, v := range base.header {
						h[k] = v
					}
					a := f.getWith(http.MethodOptions, base.prefix+"/summary.json", h)
					if a.Status != http.StatusNoContent {
						t.Fatalf("OPTIONS: %d %s, want 204", a.Status, a.Body)
					}
					wantHeader(t, a, "Access-Control-Allow-Origin", "*")
					wantHeader(t, a, "Access-Control-Allow-Methods", "GET")
					wantHeader(t, a, "Access-Control-Allow-Headers", "x-requested-with")
				})
				t.Run("an unknown file is 404 JSON", func(t *testing.T) {
					a := f.getWith(http.MethodGet, base.prefix+"/nope.json", base.header)
					if a.Status != http.StatusNotFound || a.ErrorCode(t) != "not_found" {
						t.Fatalf("unknown file: %d %s, want 404 not_found", a.Status, a.Body)
					}
				})
			})
		}

		t.Run("the root serves the default organization for any other host", func(t *testing.T) {
			a := f.get("/api/v2/status.json")
			if a.Status != http.StatusNotFound || a.ErrorCode(t) != "not_found" {
				t.Fatalf("no default organization yet: %d %s, want 404 not_found", a.Status, a.Body)
			}
			if _, _, err := f.srv.Orgs.CreateOrg(t.Context(), "default", "Default Inc"); err != nil {
				t.Fatal(err)
			}
			var s spStatusFile
			decodeAtlassian(t, f.get("/api/v2/status.json"), &s)
			if s.Page.Name != "Default Inc" || s.Status.Indicator != "none" {
				t.Fatalf("root status = %+v, want the default organization's", s)
			}
		})
		t.Run("an unknown organization is 404 JSON", func(t *testing.T) {
			a := f.get("/status/nobody/api/v2/summary.json")
			if a.Status != http.StatusNotFound || a.ErrorCode(t) != "not_found" {
				t.Fatalf("unknown org: %d %s", a.Status, a.Body)
			}
		})
		t.Run("unknown public paths are 404, never 401", func(t *testing.T) {
			for _, path := range []string{
				"/status/acme/nope", "/status/acme/api/v2/incidents/nope.json", "/status/acme/api/v3/summary.json",
				"/api/v2/", "/api/v2/nope", "/api/v1/public/acme/nope.json", "/api/v1/public/acme/summary.json/x",
			} {
				a := f.get(path)
				if a.Status != http.StatusNotFound || a.ErrorCode(t) != "not_found" {
					t.Fatalf("GET %s: %d %s, want 404 not_found JSON", path, a.Status, a.Body)
				}
			}
		})
		t.Run("the older summary.json answers the same", func(t *testing.T) {
			var v1, v2 spSummary
			decodeAtlassian(t, f.get("/api/v1/public/acme/summary.json"), &v1)
			decodeAtlassian(t, f.get("/status/acme/api/v2/summary.json"), &v2)
			if !reflect.DeepEqual(v1, v2) {
				t.Fatalf("v1 summary differs from v2:\n%+v\n%+v", v1, v2)
			}
		})
		t.Run("resolving an incident moves every file's updated_at", func(t *testing.T) {
			f.clock.Advance(5 * time.Minute)
			if a := f.srv.Admin(http.MethodPatch, "/api/v1/incidents/"+slow, map[string]any{"status": "resolved", "message": "Back to normal."}); a.Status != http.StatusOK {
				t.Fatalf("resolving: %d %s", a.Status, a.Body)
			}
			for _, file := range []string{"/status.json", "/summary.json", "/components.json", "/scheduled-maintenances.json"} {
				var s spStatusFile
				a := f.get("/status/acme/api/v2" + file)
				a.JSON(t, &s)
				if !s.Page.UpdatedAt.Equal(f.clock.Now()) {
					t.Fatalf("%s page.updated_at = %s, want the resolution's %s", file, s.Page.UpdatedAt, f.clock.Now())
				}
			}
			var st spStatusFile
			decodeAtlassian(t, f.get("/status/acme/api/v2/status.json"), &st)
			if st.Status.Indicator != "none" {
				t.Fatalf("after the resolution status = %+v, want none", st.Status)
			}
		})
	})
}

// checkComponents checks the components of the TestStatuspageV2 fixture: Web, then
// the Core group with API and Database, in the page's order; never the hidden one.
func checkComponents(t *testing.T, got []spComponent, web, api, dbase, hidden string) {
	t.Helper()
	var ids []string
	for _, c := range got {
		ids = append(ids, c.Name)
		wantIn(t, "component status", c.Status, spComponentStatuses)
		if c.ID == hidden {
			t.Fatalf("components show the non-public service: %+v", c)
		}
	}
	if want := []string{"Web", "Core", "API", "Database"}; !slices.Equal(ids, want) {
		t.Fatalf("components = %v, want %v", ids, want)
	}
	group := got[1]
	if !group.Group || !slices.Equal(group.Components, []string{api, dbase}) || group.GroupID != nil || group.Status != "operational" {
		t.Fatalf("group component = %+v, want a group of API and Database, operational (the hidden member counts for nothing)", group)
	}
	for i, c := range got {
		if c.Position != i+1 {
			t.Fatalf("%s position = %d, want %d", c.Name, c.Position, i+1)
		}
	}
	if got[0].ID != web || got[0].GroupID != nil || got[0].Components != nil {
		t.Fatalf("Web = %+v, want an ungrouped component", got[0])
	}
	for _, c := range got[2:] {
		if c.GroupID == nil || *c.GroupID != group.ID {
			t.Fatalf("%s group_id = %v, want %s", c.Name, c.GroupID, group.ID)
		}
	}
	if d := got[3]; d.Description == nil || *d.Description != "Primary store" || d.StartDate == nil || *d.StartDate != "2026-01-15" {
		t.Fatalf("Database = %+v", d)
	}
}
