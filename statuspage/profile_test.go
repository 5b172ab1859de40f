package statuspage_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/dbtest"
)

// The organization's profile (PATCH /api/v1/organization) is what the public side
// shows: its name, title, logo, support link, and times in its zone.
func TestPageShowsTheOrganizationsProfile(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		api := f.createService("API", true)
		f.clock.Advance(time.Hour)
		f.setStatus(api, "down", "Requests time out")

		t.Run("without a profile: the name, UTC, images only from the page itself", func(t *testing.T) {
			a := f.get("/status/acme")
			body := string(a.Body)
			for _, want := range []string{"<title>Acme status</title>", `<span id="org-name">Acme</span>`, "15 Jan 2026 11:00 UTC", "Times are in UTC."} {
				if !strings.Contains(body, want) {
					t.Fatalf("page lacks %s:\n%s", want, body)
				}
			}
			if strings.Contains(body, "Contact support") || strings.Contains(body, `class="logo"`) {
				t.Fatal("a page without a profile shows a support link or a logo")
			}
			if csp := a.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "img-src 'self';") {
				t.Fatalf("CSP without a logo = %q, want img-src 'self' only", csp)
			}
		})

		patch := f.srv.Admin(http.MethodPatch, "/api/v1/organization", map[string]any{
			"display_name": "Acme Cloud", "page_title": "Acme Cloud service status",
			"logo_url": "https://cdn.acme.test/logo.png", "support_url": "https://acme.test/help?from=status&x=1",
			"time_zone": "Europe/Berlin",
		})
		if patch.Status != http.StatusOK {
			t.Fatalf("PATCH /api/v1/organization: %d %s", patch.Status, patch.Body)
		}

		t.Run("the page", func(t *testing.T) {
			a := f.get("/status/acme")
			body := string(a.Body)
			for _, want := range []string{
				"<title>Acme Cloud service status</title>",
				`<span id="org-name">Acme Cloud</span>`,
				`<img class="logo" src="https://cdn.acme.test/logo.png"`,
				`<a class="support" href="https://acme.test/help?from=status&amp;x=1">Contact support</a>`,
				// 11:00 UTC is 12:00 in Berlin in January; the stamp keeps the instant.
				`<time datetime="2026-01-15T11:00:00Z">15 Jan 2026 12:00 CET</time>`,
				"Times are in CET (Europe/Berlin).",
				"uptime since 15 Jan 2026",
			} {
				if !strings.Contains(body, want) {
					t.Fatalf("page lacks %s:\n%s", want, body)
				}
			}
			if strings.Contains(body, "11:00 UTC") {
				t.Fatal("the page still writes times in UTC")
			}
			csp := a.Header.Get("Content-Security-Policy")
			if !strings.Contains(csp, "img-src 'self' https:;") || !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe") {
				t.Fatalf("CSP with a logo = %q, want img-src widened to https: and nothing else", csp)
			}
		})
		t.Run("an incident's page", func(t *testing.T) {
			inc := f.createIncident(map[string]any{"title": "Slow API", "service_id": api, "severity": "minor"})
			body := string(f.get("/status/acme/incidents/" + inc).Body)
			for _, want := range []string{"<title>Slow API · Acme Cloud service status</title>", "← Acme Cloud status", "12:00 CET"} {
				if !strings.Contains(body, want) {
					t.Fatalf("incident page lacks %s:\n%s", want, body)
				}
			}
		})
		t.Run("the summary and the feed", func(t *testing.T) {
			var summary struct {
				Page struct {
					Name     string `json:"name"`
					TimeZone string `json:"time_zone"`
				} `json:"page"`
			}
			f.get("/status/acme/api/v2/summary.json").JSON(t, &summary)
			if summary.Page.Name != "Acme Cloud" || summary.Page.TimeZone != "Europe/Berlin" {
				t.Fatalf("summary page = %+v", summary.Page)
			}
			feed := string(f.get("/status/acme/feed.atom").Body)
			if !strings.Contains(feed, "<title>Acme Cloud service status</title>") {
				t.Fatalf("feed title is not the page title:\n%.400s", feed)
			}
		})
		t.Run("a support address may be mailto:", func(t *testing.T) {
			f.srv.Admin(http.MethodPatch, "/api/v1/organization", map[string]any{"support_url": "mailto:help@acme.test", "logo_url": "http://acme.test/logo.png"})
			a := f.get("/status/acme")
			if !strings.Contains(string(a.Body), `href="mailto:help@acme.test">Contact support</a>`) {
				t.Fatalf("page lacks the mailto link:\n%s", a.Body)
			}
			if csp := a.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "img-src 'self' http: https:;") {
				t.Fatalf("CSP with an http logo = %q", csp)
			}
		})
	})
}
