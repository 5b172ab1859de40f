package statuspage_test

import (
	"bytes"
	"encoding/xml"
	"html"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/dbtest"
)

// A service that is not public must not show anywhere public: not by name, not by id,
// not through its posts or its incidents.
func TestNonPublicServiceAppearsNowhere(t *testing.T) {
	t.Parallel() // every test has its own databases and server
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		f.createService("API", true)
		secret := f.createService("Secret Billing Backend", false)
		f.setStatus(secret, "down", "Ledger replica lost")
		f.createIncident(map[string]any{"title": "Ledger outage", "message": "Ledger replica lost", "severity": "critical", "service_id": secret})
		slug := f.srv.OrgSlug

		for _, path := range []string{
			"/status/" + slug,
			"/status/" + slug + "/feed.atom",
			"/api/v1/public/" + slug + "/summary.json",
		} {
			a := f.get(path)
			if a.Status != http.StatusOK {
				t.Fatalf("GET %s: %d %s", path, a.Status, a.Body)
			}
			for _, leak := range []string{"Secret Billing Backend", secret, "Ledger"} {
				if bytes.Contains(a.Body, []byte(leak)) {
					t.Fatalf("GET %s shows %q of a non-public service:\n%s", path, leak, a.Body)
				}
			}
		}
		t.Run("its state does not colour the page", func(t *testing.T) {
			m := f.get("/api/v1/public/" + slug + "/summary.json").Map(t)
			if st := m["status"].(map[string]any); st["indicator"] != "none" {
				t.Fatalf("status = %v, want none: the only public service is operational", st)
			}
		})
		t.Run("its badge is not found by name or id", func(t *testing.T) {
			for _, name := range []string{"Secret%20Billing%20Backend", secret} {
				a := f.get("/status/" + slug + "/badge/" + name + ".svg")
				if a.Status != http.StatusNotFound || !strings.Contains(string(a.Body), "not found") {
					t.Fatalf("badge of %s: %d %s, want 404 not found badge", name, a.Status, a.Body)
				}
			}
		})
	})
}

// atom is the part of an Atom 1.0 document the tests check (RFC 4287's required
// elements).
type atom struct {
	XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string   `xml:"id"`
	Title   string   `xml:"title"`
	Updated string   `xml:"updated"`
	Author  struct {
		Name string `xml:"name"`
	} `xml:"author"`
	Links []struct {
		Rel  string `xml:"rel,attr"`
		Href string `xml:"href,attr"`
	} `xml:"link"`
	Entries []struct {
		ID      string `xml:"id"`
		Title   string `xml:"title"`
		Updated string `xml:"updated"`
		Content struct {
			Type string `xml:"type,attr"`
			Body string `xml:",chardata"`
		} `xml:"content"`
		Link struct {
			Href string `xml:"href,attr"`
		} `xml:"link"`
	} `xml:"entry"`
}

func TestFeed(t *testing.T) {
	t.Parallel() // every test has its own databases and server
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		api := f.createService("API", true)
		f.clock.Advance(time.Hour)
		f.setStatus(api, "down", "Requests time out")
		f.clock.Advance(time.Minute)
		if a := f.srv.Admin(http.MethodPost, "/api/v1/posts", map[string]any{"title": "Planned work", "body": "Database upgrade on Sunday <02:00> & after."}); a.Status != http.StatusCreated {
			t.Fatalf("creating post: %d %s", a.Status, a.Body)
		}
		f.clock.Advance(time.Minute)
		inc := f.createIncident(map[string]any{"title": "API timeouts", "message": "Investigating", "service_id": api})

		a := f.get("/status/" + f.srv.OrgSlug + "/feed.atom")
		if a.Status != http.StatusOK {
			t.Fatalf("feed: %d %s", a.Status, a.Body)
		}
		wantHeader(t, a, "Content-Type", "application/atom+xml")
		wantHeader(t, a, "Cache-Control", "public, max-age=30")
		var feed atom
		if err := xml.Unmarshal(a.Body, &feed); err != nil {
			t.Fatalf("feed is not Atom XML: %v\n%s", err, a.Body)
		}
		if feed.ID != "urn:uuid:"+f.srv.Org.ID.String() || feed.Title != "Acme status" || feed.Author.Name != "Acme" {
			t.Fatalf("feed id/title/author = %q %q %q", feed.ID, feed.Title, feed.Author.Name)
		}
		if want := f.clock.Now().Format(time.RFC3339); feed.Updated != want {
			t.Fatalf("feed updated = %q, want the newest entry's %q", feed.Updated, want)
		}
		var self bool
		for _, l := range feed.Links {
			self = self || (l.Rel == "self" && l.Href == publicURL+"/status/acme/feed.atom")
		}
		if !self {
			t.Fatalf("feed links = %+v, want rel=self to the feed", feed.Links)
		}
		var titles []string
		for _, e := range feed.Entries {
			if !strings.HasPrefix(e.ID, "urn:uuid:") || e.Title == "" || e.Content.Body == "" || e.Link.Href == "" {
				t.Fatalf("entry lacks a required element: %+v", e)
			}
			if _, err := time.Parse(time.RFC3339, e.Updated); err != nil {
				t.Fatalf("entry updated %q is not RFC 3339: %v", e.Updated, err)
			}
			titles = append(titles, e.Title)
		}
		want := []string{"Investigating: API timeouts", "Planned work", "API is down"}
		if strings.Join(titles, "|") != strings.Join(want, "|") {
			t.Fatalf("entries = %q, want %q (newest first)", titles, want)
		}
		var created struct {
			Updates []struct {
				ID string `json:"id"`
			} `json:"updates"`
		}
		f.srv.Admin(http.MethodGet, "/api/v1/incidents/"+inc, nil).JSON(t, &created)
		if len(created.Updates) != 1 {
			t.Fatalf("incident has %d timeline entries, want 1", len(created.Updates))
		}
		// An incident event is its own entry, linked to the incident's page.
		if got, want := feed.Entries[0].ID, "urn:uuid:"+created.Updates[0].ID; got != want {
			t.Fatalf("incident entry id = %q, want %s (its timeline entry)", got, want)
		}
		if got, want := feed.Entries[0].Link.Href, publicURL+"/status/acme/incidents/"+inc+"#update-"+created.Updates[0].ID; got != want {
			t.Fatalf("incident entry link = %q, want %q", got, want)
		}
		if got := feed.Entries[1].Content.Body; got != "Database upgrade on Sunday <02:00> & after." {
			t.Fatalf("post content = %q, want the body as written", got)
		}
		if got := feed.Entries[2].Content.Body; got != "Requests time out" {
			t.Fatalf("status post content = %q", got)
		}

		t.Run("unknown organization is not found", func(t *testing.T) {
			if a := f.get("/status/nobody/feed.atom"); a.Status != http.StatusNotFound {
				t.Fatalf("unknown org feed: %d, want 404", a.Status)
			}
		})
	})
}

// svgBadge is the part of a badge the tests read.
type svgBadge struct {
	XMLName xml.Name `xml:"svg"`
	Label   string   `xml:"aria-label,attr"`
	Rects   []struct {
		Fill string `xml:"fill,attr"`
	} `xml:"g>rect"`
}

func TestBadge(t *testing.T) {
	t.Parallel() // every test has its own databases and server
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		id := f.createService("Web Shop", true)
		base := "/status/" + f.srv.OrgSlug + "/badge/"

		badge := func(t *testing.T, path string, wantStatus int) svgBadge {
			t.Helper()
			a := f.get(path)
			if a.Status != wantStatus {
				t.Fatalf("GET %s: %d, want %d: %s", path, a.Status, wantStatus, a.Body)
			}
			wantHeader(t, a, "Content-Type", "image/svg+xml")
			wantHeader(t, a, "Cache-Control", "public, max-age=30")
			var b svgBadge
			if err := xml.Unmarshal(a.Body, &b); err != nil {
				t.Fatalf("badge is not SVG XML: %v\n%s", err, a.Body)
			}
			return b
		}
		for _, tc := range []struct{ status, label, colour string }{
			{"operational", "Web Shop: operational", "#4c1"},
			{"degraded", "Web Shop: degraded", "#dfb317"},
			{"down", "Web Shop: down", "#e05d44"},
			{"maintenance", "Web Shop: maintenance", "#007ec6"},
		} {
			t.Run(tc.status+" badge says so", func(t *testing.T) {
				f.setStatus(id, tc.status, "")
				b := badge(t, base+"Web%20Shop.svg", http.StatusOK)
				if b.Label != tc.label {
					t.Fatalf("aria-label = %q, want %q", b.Label, tc.label)
				}
				if len(b.Rects) < 2 || b.Rects[1].Fill != tc.colour {
					t.Fatalf("message colour = %+v, want %s", b.Rects, tc.colour)
				}
			})
		}
		t.Run("name is case-insensitive and the id works", func(t *testing.T) {
			for _, name := range []string{"web%20shop", "WEB%20SHOP", id} {
				if b := badge(t, base+name+".svg", http.StatusOK); !strings.HasPrefix(b.Label, "Web Shop: ") {
					t.Fatalf("badge %s label = %q", name, b.Label)
				}
			}
		})
		t.Run("unknown service, unknown organization or no .svg is a not-found badge", func(t *testing.T) {
			for _, path := range []string{base + "nope.svg", "/status/nobody/badge/Web%20Shop.svg"} {
				if b := badge(t, path, http.StatusNotFound); b.Label != "status: not found" {
					t.Fatalf("%s label = %q, want status: not found", path, b.Label)
				}
			}
			if a := f.get(base + "Web%20Shop"); a.Status != http.StatusNotFound {
				t.Fatalf("badge without .svg: %d, want 404", a.Status)
			}
		})
	})
}

func TestPage(t *testing.T) {
	t.Parallel() // every test has its own databases and server
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		api := f.createService("API", true)
		f.createService("Web", true)
		f.clock.Advance(3 * time.Hour)
		f.setStatus(api, "down", "Requests <b>time out</b>")
		f.clock.Advance(time.Hour)
		f.createIncident(map[string]any{"title": "API timeouts", "message": "We are on it.", "service_id": api})

		a := f.get("/status/" + f.srv.OrgSlug)
		if a.Status != http.StatusOK {
			t.Fatalf("page: %d %s", a.Status, a.Body)
		}
		wantHeader(t, a, "Content-Type", "text/html; charset=UTF-8")
		wantHeader(t, a, "Cache-Control", "public, max-age=30")
		wantHeader(t, a, "Content-Security-Policy", "default-src 'none'")
		page := string(a.Body)
		for _, want := range []string{
			`<p id="overall" class="banner-text">Partial System Outage</p>`,
			`<span class="status-label">Major outage</span>`,
			// Today: operational 10:00-13:00, down 13:00-14:00.
			`title="2026-01-15: 75.00% uptime, worst: down"`,
			`title="2026-01-14: no data"`,
			`title="2025-10-18: no data"`, // the first of the 90 days
			"API timeouts", "We are on it.",
			// A post's body is text, never markup.
			"Requests &lt;b&gt;time out&lt;/b&gt;",
		} {
			if !strings.Contains(page, want) {
				t.Fatalf("page lacks %s:\n%s", want, page)
			}
		}
		if n := strings.Count(page, `<li class="day `); n != 2*90 {
			t.Fatalf("page has %d day bars, want 90 for each of 2 services", n)
		}
		// One inline script (times in the visitor's zone), allowed by its hash and
		// nothing else; TestBrowserWithoutJavaScript shows the page needs none.
		if n := strings.Count(page, "<script"); n != 1 || strings.Contains(page, "<script src") {
			t.Fatalf("page has %d scripts, want the one inline script", n)
		}
		csp := a.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'sha256-") || strings.Contains(csp, "unsafe-inline") {
			t.Fatalf("CSP = %q, want the script allowed by its hash only", csp)
		}

		t.Run("its stylesheet is served", func(t *testing.T) {
			i := strings.Index(page, `href="/status/assets/status.css?v=`)
			if i < 0 {
				t.Fatalf("page links no stylesheet:\n%s", page)
			}
			href := html.UnescapeString(page[i+len(`href="`):])
			href = href[:strings.IndexByte(href, '"')]
			a := f.get(href)
			if a.Status != http.StatusOK || !strings.Contains(string(a.Body), ".banner") {
				t.Fatalf("GET %s: %d", href, a.Status)
			}
			wantHeader(t, a, "Content-Type", "text/css")
		})
		t.Run("unknown organization is a 404 page", func(t *testing.T) {
			a := f.get("/status/nobody")
			if a.Status != http.StatusNotFound || !strings.Contains(string(a.Body), "Status page not found") {
				t.Fatalf("unknown org: %d %s", a.Status, a.Body)
			}
			wantHeader(t, a, "Content-Type", "text/html")
		})
		t.Run("an organization named assets still has its page", func(t *testing.T) {
			if _, _, err := f.srv.Orgs.CreateOrg(t.Context(), "assets", "Assets Inc"); err != nil {
				t.Fatal(err)
			}
			for _, path := range []string{"/status/assets", "/status/assets/feed.atom"} {
				if a := f.get(path); a.Status != http.StatusOK || !strings.Contains(string(a.Body), "Assets Inc") {
					t.Fatalf("GET %s: %d %s", path, a.Status, a.Body)
				}
			}
		})
	})
}
