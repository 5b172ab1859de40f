package statuspage_test

import (
	"encoding/xml"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/dbtest"
)

// resolvedIncident gives the fixture a service "API" with one automatic incident,
// down for 1 h 30 min and resolved, and answers the service's and the incident's ids.
func resolvedIncident(t *testing.T, f *fixture) (service, incident string) {
	t.Helper()
	service = f.createService("API", true)
	f.clock.Advance(time.Hour)
	f.autoChange(service, "down", "Requests time out")
	f.clock.Advance(90 * time.Minute)
	f.autoChange(service, "operational", "Fixed")
	var list struct {
		Incidents []struct {
			ID string `json:"id"`
		} `json:"incidents"`
	}
	f.srv.Admin(http.MethodGet, "/api/v1/incidents", nil).JSON(t, &list)
	if len(list.Incidents) != 1 {
		t.Fatalf("incidents = %+v, want the one automatic incident", list.Incidents)
	}
	return service, list.Incidents[0].ID
}

func TestPastIncidents(t *testing.T) {
	t.Parallel() // every test has its own databases and server
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		_, inc := resolvedIncident(t, f)
		f.clock.Advance(time.Hour)

		t.Run("stay on the page with their duration", func(t *testing.T) {
			page := string(f.get("/status/acme").Body)
			past := page[strings.Index(page, `id="past-h"`):]
			for _, want := range []string{
				`<a href="` + publicURL + `/status/acme/incidents/` + inc + `">API is down</a>`,
				"Lasted 1 h 30 min", "Requests time out", "Fixed",
				`<time datetime="2026-01-15T11:00:00Z">15 Jan 2026 11:00 UTC</time>`,
			} {
				if !strings.Contains(past, want) {
					t.Fatalf("past incidents lack %s:\n%s", want, past)
				}
			}
			if strings.Contains(page, `id="incidents-h"`) {
				t.Fatal("a resolved incident is listed as open")
			}
		})
		t.Run("have a page of their own", func(t *testing.T) {
			a := f.get("/status/acme/incidents/" + inc)
			if a.Status != http.StatusOK {
				t.Fatalf("incident page: %d %s", a.Status, a.Body)
			}
			wantHeader(t, a, "Content-Type", "text/html")
			wantHeader(t, a, "Content-Security-Policy", "default-src 'none'")
			body := string(a.Body)
			for _, want := range []string{
				`<h2 class="incident-title">API is down</h2>`, "Lasted 1 h 30 min", "Affects API",
				"Requests time out", "Fixed", "<strong>Resolved</strong>", "<strong>Investigating</strong>",
				`<span id="org-name">Acme</span>`,
			} {
				if !strings.Contains(body, want) {
					t.Fatalf("incident page lacks %s:\n%s", want, body)
				}
			}
			if i, j := strings.Index(body, "Fixed"), strings.Index(body, "Requests time out"); i > j {
				t.Fatal("the timeline is not newest first")
			}
		})
		t.Run("of a service that is not public, unknown or malformed are not found", func(t *testing.T) {
			secret := f.createService("Ledger", false)
			f.autoChange(secret, "down", "")
			var list struct {
				Incidents []struct {
					ID    string `json:"id"`
					Title string `json:"title"`
				} `json:"incidents"`
			}
			f.srv.Admin(http.MethodGet, "/api/v1/incidents?state=open", nil).JSON(t, &list)
			if len(list.Incidents) != 1 {
				t.Fatalf("open incidents = %+v", list.Incidents)
			}
			for _, path := range []string{
				"/status/acme/incidents/" + list.Incidents[0].ID,
				"/status/acme/incidents/0193aaaa-0000-7000-8000-000000000000",
				"/status/acme/incidents/not-a-uuid",
				"/status/nobody/incidents/" + inc,
			} {
				a := f.get(path)
				if a.Status != http.StatusNotFound || !strings.Contains(string(a.Body), "Status page not found") {
					t.Fatalf("GET %s: %d, want the 404 page", path, a.Status)
				}
			}
			f.autoChange(secret, "operational", "")
		})
		t.Run("are gone after 90 days", func(t *testing.T) {
			f.clock.Advance(89 * 24 * time.Hour)
			if page := string(f.get("/status/acme?at=89d").Body); !strings.Contains(page, "/incidents/"+inc) {
				t.Fatal("an incident resolved 89 days ago is gone from the page")
			}
			f.clock.Advance(24 * time.Hour)
			page := string(f.get("/status/acme?at=90d").Body)
			if strings.Contains(page, "/incidents/"+inc) || !strings.Contains(page, "No incidents in the last 90 days.") {
				t.Fatal("an incident resolved over 90 days ago is still on the page")
			}
			if a := f.get("/status/acme/incidents/" + inc); a.Status != http.StatusOK {
				t.Fatalf("its own page: %d, want it kept (links in old feeds)", a.Status)
			}
		})
	})
}

// One change is one feed entry: an automatic incident's events replace the change
// posts that report the same changes.
func TestFeedHasOneEntryPerIncidentEvent(t *testing.T) {
	t.Parallel() // every test has its own databases and server
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		_, inc := resolvedIncident(t, f)
		web := f.createService("Web", true)
		f.clock.Advance(time.Minute)
		f.setStatus(web, "maintenance", "Upgrading")

		var feed atom
		if err := xml.Unmarshal(f.get("/status/acme/feed.atom").Body, &feed); err != nil {
			t.Fatal(err)
		}
		var titles []string
		for _, e := range feed.Entries {
			titles = append(titles, e.Title)
		}
		want := []string{"Web is under maintenance", "Resolved: API is down", "Investigating: API is down"}
		if strings.Join(titles, "|") != strings.Join(want, "|") {
			t.Fatalf("entries = %q, want %q: no post beside the incident events for the same change", titles, want)
		}
		for _, e := range feed.Entries[1:] {
			if !strings.HasPrefix(e.Link.Href, publicURL+"/status/acme/incidents/"+inc+"#update-") {
				t.Fatalf("incident event links to %q, want the incident's page", e.Link.Href)
			}
			// The link resolves.
			path := strings.TrimPrefix(e.Link.Href, publicURL)
			path, frag, _ := strings.Cut(path, "#")
			a := f.get(path)
			if a.Status != http.StatusOK || !strings.Contains(string(a.Body), `id="`+frag+`"`) {
				t.Fatalf("GET %s: %d, or no element #%s", path, a.Status, frag)
			}
		}
		if got := feed.Entries[1].Content.Body; got != "Fixed" {
			t.Fatalf("resolved entry content = %q, want the message", got)
		}
	})
}

func TestFavicon(t *testing.T) {
	t.Parallel() // every test has its own databases and server
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		api := f.createService("API", true)
		f.createService("Web", true)
		fill := regexp.MustCompile(`<circle cx="16" cy="16" r="15" fill="(#[0-9a-f]+)"/>`)
		for _, tc := range []struct{ status, indicator, colour string }{
			{"operational", "none", "#1a7f37"},
			{"maintenance", "maintenance", "#0969da"},
			{"degraded", "minor", "#9a6700"},
			{"down", "major", "#cf222e"},
		} {
			t.Run(tc.status+" is "+tc.colour, func(t *testing.T) {
				f.setStatus(api, tc.status, "")
				a := f.get("/status/acme/favicon.svg")
				if a.Status != http.StatusOK {
					t.Fatalf("favicon: %d %s", a.Status, a.Body)
				}
				wantHeader(t, a, "Content-Type", "image/svg+xml")
				var svg struct {
					XMLName   xml.Name `xml:"svg"`
					Indicator string   `xml:"data-indicator,attr"`
				}
				if err := xml.Unmarshal(a.Body, &svg); err != nil {
					t.Fatalf("favicon is not SVG: %v", err)
				}
				m := fill.FindSubmatch(a.Body)
				if m == nil || string(m[1]) != tc.colour || svg.Indicator != tc.indicator {
					t.Fatalf("favicon = %s, want fill %s for %s", a.Body, tc.colour, tc.indicator)
				}
				page := string(f.get("/status/acme?favicon=" + tc.status).Body)
				if want := `<link rel="icon" type="image/svg+xml" href="/status/acme/favicon.svg?s=` + tc.indicator + `">`; !strings.Contains(page, want) {
					t.Fatalf("page lacks %s", want)
				}
			})
		}
		if a := f.get("/status/nobody/favicon.svg"); a.Status != http.StatusNotFound || !strings.Contains(string(a.Body), "#9f9f9f") {
			t.Fatalf("unknown org favicon: %d %s, want a grey 404", a.Status, a.Body)
		}
	})
}

func TestPageOrderGroupsAndUptime(t *testing.T) {
	t.Parallel() // every test has its own databases and server
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ids := map[string]string{}
		for _, s := range []map[string]any{
			{"name": "Zebra", "position": 0},
			{"name": "Billing", "position": 5, "group": "Backend"},
			{"name": "Auth", "position": 5, "group": "Backend"},
			{"name": "Apple", "position": 3},
			{"name": "Queue", "position": 9, "group": "Backend"},
			{"name": "Mail", "position": 7},
		} {
			ids[s["name"].(string)] = f.createServiceWith(s)
		}
		f.clock.Advance(3 * time.Hour)
		f.setStatus(ids["Queue"], "down", "")
		f.clock.Advance(time.Hour)

		page := string(f.get("/status/acme").Body)
		// Zebra (0), Apple (3), the Backend group where Auth (5, then by name) stands
		// with Auth, Billing and Queue (9) in their order, then Mail (7).
		order := regexp.MustCompile(`id="service-([0-9a-f-]+)"`).FindAllStringSubmatch(page, -1)
		var got []string
		for _, m := range order {
			for name, id := range ids {
				if id == m[1] {
					got = append(got, name)
				}
			}
		}
		if want := "Zebra Apple Auth Billing Queue Mail"; strings.Join(got, " ") != want {
			t.Fatalf("page order = %v, want %s", got, want)
		}
		group := page[strings.Index(page, `data-group="Backend"`):]
		group = group[:strings.Index(group, "</ul>")]
		for _, name := range []string{"Auth", "Billing", "Queue"} {
			if !strings.Contains(group, "service-"+ids[name]) {
				t.Fatalf("group Backend lacks %s:\n%s", name, group)
			}
		}
		if strings.Contains(group, ids["Mail"]) || !strings.Contains(group, `<span class="group-name">Backend</span> <span class="status status-down">`) {
			t.Fatalf("group Backend head or members wrong:\n%s", group)
		}
		// Queue: created 10:00, down 13:00-14:00 (now): 3 of 4 hours up, over its life.
		queue := page[strings.Index(page, `id="service-`+ids["Queue"]+`"`):]
		legend := queue[strings.Index(queue, `class="bars-legend"`):]
		legend = legend[:strings.Index(legend, "</p>")]
		if want := "75.00% uptime since 15 Jan 2026"; !strings.Contains(legend, want) {
			t.Fatalf("Queue's legend = %s, want %q", legend, want)
		}
	})
}
