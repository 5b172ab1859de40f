package statuspage_test

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"image"
	"image/png"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/dbtest"
)

// chromium finds a headless-capable Chromium. Under CI=true a missing browser fails
// the test, so the browser check can never silently stop running; elsewhere it skips
// with the reason.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	const why = "no Chromium on PATH (Debian: apt-get install -y chromium)"
	if os.Getenv("CI") == "true" {
		t.Fatal(why)
	}
	t.Skip(why)
	return ""
}

// browser starts a fresh headless Chromium that can reach only what the test serves
// on loopback, and returns a tab's context. Extra flags are added to the defaults.
func browser(t *testing.T, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	path := chromium(t)
	// One deadline for the whole browser: a hung Chromium fails the test instead of
	// hanging it.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, append([]chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox, // the CI runs as root
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}, extra...)...,
	)
	t.Cleanup(cancelAlloc)
	tab, cancelTab := chromedp.NewContext(alloc, chromedp.WithLogf(t.Logf))
	t.Cleanup(cancelTab)
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("starting %s: %v", path, err)
	}
	return tab
}

// TestBrowserShowsEachStatus loads the page in a real browser, checks what a visitor
// reads for each status, and looks at screenshots at desktop and phone widths. The
// page is the same on both stores, so it runs on SQLite only.
func TestBrowserShowsEachStatus(t *testing.T) {
	t.Parallel() // every test has its own databases and server
	tab := browser(t)
	db := dbtest.Open(t, database.SQLite)
	f := newFixture(t, db)
	api := f.createService("API", true)
	f.createService("Web Shop", true)
	secret := f.createService("Internal Ledger", false)
	f.setStatus(secret, "down", "")
	f.clock.Advance(2 * time.Hour)
	pageURL := f.srv.URL + "/status/" + f.srv.OrgSlug
	shotDir := t.TempDir()
	cases := []struct {
		status, banner, label, background string
	}{
		{"operational", "All Systems Operational", "Operational", "rgb(26, 127, 55)"},
		{"degraded", "Minor Service Outage", "Degraded performance", "rgb(154, 103, 0)"},
		{"down", "Partial System Outage", "Major outage", "rgb(207, 34, 46)"},
		{"maintenance", "Service Under Maintenance", "Under maintenance", "rgb(9, 105, 218)"},
	}
	for _, tc := range cases {
		t.Run(tc.status+" reads "+tc.banner, func(t *testing.T) {
			f.clock.Advance(time.Hour)
			f.setStatus(api, tc.status, "API is "+tc.status+" now")
			// The page may be cached for 30 seconds, so each visit asks for a new address.
			if err := chromedp.Do(tab, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(pageURL+"?visit="+tc.status)); err != nil {
				t.Fatalf("loading %s: %v", pageURL, err)
			}
			banner := text(t, tab, "#overall")
			if banner != tc.banner {
				t.Fatalf("banner reads %q, want %q", banner, tc.banner)
			}
			if got := text(t, tab, "#service-"+api+" .status-label"); got != tc.label {
				t.Fatalf("API's status reads %q, want %q", got, tc.label)
			}
			if got := text(t, tab, "#service-"+api+" .service-name"); got != "API" {
				t.Fatalf("service name reads %q, want API", got)
			}
			// The stylesheet loaded and colours the banner for the state.
			bg, err := chromedp.Run(tab, chromedp.Evaluate[string](`getComputedStyle(document.querySelector(".banner")).backgroundColor`))
			if err != nil {
				t.Fatal(err)
			}
			if bg != tc.background {
				t.Fatalf("banner background = %s, want %s", bg, tc.background)
			}
			if page := text(t, tab, "body"); bytes.Contains([]byte(page), []byte("Internal Ledger")) {
				t.Fatal("the page shows the non-public service")
			}
			shot := screenshot(t, tab, filepath.Join(shotDir, "desktop-"+tc.status+".png"), 1280, 900)
			wantColour(t, shot, tc.background, 20000)
		})
	}

	t.Run("today's bar says its uptime on hover", func(t *testing.T) {
		title, err := chromedp.Run(tab, chromedp.AttributeValue(chromedp.CSS("#service-"+api+" .day:last-child"), "title"))
		if err != nil {
			t.Fatal(err)
		}
		// Created 10:00, operational until 14:00, degraded (which counts as up)
		// 14:00-15:00, down 15:00-16:00, maintenance from 16:00, which is now: five
		// hours up out of six.
		if want := "2026-01-15: 83.33% uptime, worst: down"; title.Value != want {
			t.Fatalf("today's bar title = %q, want %q", title.Value, want)
		}
	})

	t.Run("phone width shows thirty days and stays readable", func(t *testing.T) {
		if err := chromedp.Do(tab, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.Navigate(pageURL+"?visit=phone")); err != nil {
			t.Fatal(err)
		}
		if got := text(t, tab, "#overall"); got != "Service Under Maintenance" {
			t.Fatalf("banner on a phone reads %q", got)
		}
		visible, err := chromedp.Run(tab, chromedp.Evaluate[int](`[...document.querySelectorAll("#service-`+api+` .day")].filter(d => d.offsetWidth > 0).length`))
		if err != nil {
			t.Fatal(err)
		}
		if visible != 30 {
			t.Fatalf("%d day bars visible on a phone, want 30", visible)
		}
		overflow, err := chromedp.Run(tab, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`))
		if err != nil {
			t.Fatal(err)
		}
		if overflow {
			t.Fatal("the page scrolls sideways on a phone")
		}
		shot := screenshot(t, tab, filepath.Join(shotDir, "phone-maintenance.png"), 390, 844)
		wantColour(t, shot, "rgb(9, 105, 218)", 10000)
	})

	t.Run("an open incident shows with its timeline and outranks maintenance", func(t *testing.T) {
		f.clock.Advance(time.Minute)
		f.createIncident(map[string]any{"title": "API requests time out", "message": "We are investigating elevated error rates.", "service_id": api})
		if err := chromedp.Do(tab, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(pageURL+"?visit=incident")); err != nil {
			t.Fatal(err)
		}
		if got := text(t, tab, "#overall"); got != "Partial System Outage" {
			t.Fatalf("banner reads %q, want Partial System Outage for an open major incident", got)
		}
		if got := text(t, tab, ".incident h3"); got != "API requests time out" {
			t.Fatalf("incident title reads %q", got)
		}
		if got := text(t, tab, ".incident .timeline li .msg"); got != "We are investigating elevated error rates." {
			t.Fatalf("incident timeline reads %q", got)
		}
		screenshot(t, tab, filepath.Join(shotDir, "desktop-incident.png"), 1280, 900)
	})
}

func text(t *testing.T, tab context.Context, sel string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, 5*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("reading %s: %v", sel, err)
	}
	return s
}

// screenshot captures the viewport, saves it and checks it is a PNG of the viewport's
// size with something drawn on it.
func screenshot(t *testing.T, tab context.Context, path string, width, height int) image.Image {
	t.Helper()
	data, err := chromedp.Run(tab, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if dir := os.Getenv("STATUSGATE_SCREENSHOT_DIR"); dir != "" {
		// For a person who wants to look at the page: keep a copy outside the temp dir.
		_ = os.WriteFile(filepath.Join(dir, filepath.Base(path)), data, 0o644)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("screenshot %s is not a PNG: %v", path, err)
	}
	if b := img.Bounds(); b.Dx() != width || b.Dy() != height {
		t.Fatalf("screenshot is %dx%d, want %dx%d", b.Dx(), b.Dy(), width, height)
	}
	colours := map[uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bl, _ := img.At(x, y).RGBA()
			colours[r>>8<<16|g>>8<<8|bl>>8] = true
		}
	}
	if len(colours) < 20 {
		t.Fatalf("screenshot has %d colours: the page looks blank", len(colours))
	}
	return img
}

// wantColour checks that at least min pixels have the CSS colour, e.g. the banner's.
func wantColour(t *testing.T, img image.Image, css string, min int) {
	t.Helper()
	var wr, wg, wb uint32
	if _, err := fmt.Sscanf(css, "rgb(%d, %d, %d)", &wr, &wg, &wb); err != nil {
		t.Fatalf("colour %q: %v", css, err)
	}
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r>>8 == wr && g>>8 == wg && bl>>8 == wb {
				n++
			}
		}
	}
	if n < min {
		t.Fatalf("screenshot has %d pixels of %s, want at least %d: the banner is not drawn", n, css, min)
	}
}

// pixel is the colour of one screenshot pixel as CSS writes it.
func pixel(img image.Image, x, y int) string {
	r, g, b, _ := img.At(x, y).RGBA()
	return fmt.Sprintf("rgb(%d, %d, %d)", r>>8, g>>8, b>>8)
}

// TestBrowserPageInLightAndDark loads the page with a past incident and a group in
// both colour schemes at desktop and phone widths, and reads the screenshots: the
// background is the scheme's, the banner keeps its colour, the text stays readable.
func TestBrowserPageInLightAndDark(t *testing.T) {
	t.Parallel() // every test has its own databases and server
	tab := browser(t)
	db := dbtest.Open(t, database.SQLite)
	f := newFixture(t, db)
	_, inc := resolvedIncident(t, f)
	f.createServiceWith(map[string]any{"name": "Queue", "group": "Backend", "position": 2})
	f.createServiceWith(map[string]any{"name": "Billing", "group": "Backend", "position": 1})
	f.clock.Advance(time.Hour)
	pageURL := f.srv.URL + "/status/" + f.srv.OrgSlug
	shotDir := t.TempDir()

	schemes := []struct {
		scheme, background, foreground string
	}{
		{"light", "rgb(246, 248, 250)", "rgb(31, 35, 40)"},
		{"dark", "rgb(13, 17, 23)", "rgb(230, 237, 243)"},
	}
	viewports := []struct {
		name          string
		width, height int64
		opts          []chromedp.EmulateViewportOption
	}{
		{"desktop", 1280, 900, nil},
		{"phone", 390, 844, []chromedp.EmulateViewportOption{chromedp.EmulateMobile}},
	}
	for _, sc := range schemes {
		for _, vp := range viewports {
			t.Run(sc.scheme+" on a "+vp.name, func(t *testing.T) {
				_, err := chromedp.Call(tab, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
					Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: sc.scheme}},
				})
				if err != nil {
					t.Fatal(err)
				}
				if err := chromedp.Do(tab, chromedp.EmulateViewport(vp.width, vp.height, vp.opts...), chromedp.Navigate(pageURL+"?visit="+sc.scheme+vp.name)); err != nil {
					t.Fatal(err)
				}
				if got := text(t, tab, "#overall"); got != "All Systems Operational" {
					t.Fatalf("banner reads %q", got)
				}
				if got := text(t, tab, "#org-name"); got != "Acme" {
					t.Fatalf("the page names %q, want Acme", got)
				}
				if got := text(t, tab, "#incident-"+inc+" h3"); got != "API is down" {
					t.Fatalf("past incident reads %q", got)
				}
				if got := text(t, tab, "#incident-"+inc+" .duration"); got != "Lasted 1 h 30 min" {
					t.Fatalf("past incident duration reads %q", got)
				}
				if got := text(t, tab, `[data-group="Backend"] .group-name`); got != "Backend" {
					t.Fatalf("group heading reads %q", got)
				}
				colours, err := chromedp.Run(tab, chromedp.Evaluate[[]string](`[getComputedStyle(document.body).backgroundColor, getComputedStyle(document.body).color]`))
				if err != nil {
					t.Fatal(err)
				}
				if colours[0] != sc.background || colours[1] != sc.foreground {
					t.Fatalf("body colours = %v, want background %s and text %s", colours, sc.background, sc.foreground)
				}
				overflow, err := chromedp.Run(tab, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`))
				if err != nil {
					t.Fatal(err)
				}
				if overflow {
					t.Fatal("the page scrolls sideways")
				}
				shot := screenshot(t, tab, filepath.Join(shotDir, sc.scheme+"-"+vp.name+".png"), int(vp.width), int(vp.height))
				// The bottom corners are body background on every width (the content
				// keeps a 1rem margin); the banner keeps its green in both schemes.
				b := shot.Bounds()
				for _, p := range [][2]int{{3, b.Max.Y - 3}, {b.Max.X - 4, b.Max.Y - 3}} {
					if got := pixel(shot, p[0], p[1]); got != sc.background {
						t.Fatalf("pixel %v is %s, want the %s background %s", p, got, sc.scheme, sc.background)
					}
				}
				wantColour(t, shot, "rgb(26, 127, 55)", 5000)
			})
		}
	}

	t.Run("times turn into the visitor's zone, and the page needs no script", func(t *testing.T) {
		if _, err := chromedp.Call(tab, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "America/New_York"}); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(tab, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(pageURL+"?visit=zone")); err != nil {
			t.Fatal(err)
		}
		// Started 11:00 UTC is 06:00 in New York in January.
		started := text(t, tab, "#incident-"+inc+" .meta time")
		if !strings.Contains(started, "06:00") || !strings.Contains(started, "EST") {
			t.Fatalf("start time reads %q, want 06:00 EST (converted in the browser)", started)
		}
		if got := text(t, tab, "#tz"); got != "Times are in your time zone (America/New_York)." {
			t.Fatalf("zone note reads %q", got)
		}

		if _, err := chromedp.Call(tab, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(tab, chromedp.Navigate(pageURL+"?visit=noscript")); err != nil {
			t.Fatal(err)
		}
		if got := text(t, tab, "#incident-"+inc+" .meta time"); got != "15 Jan 2026 11:00 UTC" {
			t.Fatalf("without JavaScript the start time reads %q, want the page's UTC", got)
		}
		if got := text(t, tab, "#tz"); got != "Times are in UTC." {
			t.Fatalf("without JavaScript the zone note reads %q", got)
		}
		if got := text(t, tab, "#overall"); got != "All Systems Operational" {
			t.Fatalf("without JavaScript the banner reads %q", got)
		}
	})

	t.Run("the organization's name, logo from another origin and zone, without a script", func(t *testing.T) {
		// The logo lives on another origin (a second loopback server), as a CDN's would:
		// the page's CSP must let it load.
		logo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "image/svg+xml")
			fmt.Fprint(w, `<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40"><rect width="40" height="40" fill="#8250df"/></svg>`)
		}))
		t.Cleanup(logo.Close)
		a := f.srv.Admin(http.MethodPatch, "/api/v1/organization", map[string]any{
			"display_name": "Acme Cloud", "page_title": "Acme Cloud status page",
			"logo_url": logo.URL + "/logo.svg", "time_zone": "Europe/Berlin",
		})
		if a.Status != http.StatusOK {
			t.Fatalf("PATCH /api/v1/organization: %d %s", a.Status, a.Body)
		}
		t.Cleanup(func() {
			f.srv.Admin(http.MethodPatch, "/api/v1/organization", map[string]any{"display_name": "", "page_title": "", "logo_url": "", "time_zone": ""})
		})
		if err := chromedp.Do(tab, chromedp.Navigate(pageURL+"?visit=profile")); err != nil {
			t.Fatal(err)
		}
		if got := text(t, tab, "#org-name"); got != "Acme Cloud" {
			t.Fatalf("the page names %q, want the display name", got)
		}
		title, err := chromedp.Run(tab, chromedp.Evaluate[string](`document.title`))
		if err != nil || title != "Acme Cloud status page" {
			t.Fatalf("document.title = %q, %v", title, err)
		}
		// Script is still off: the page's own zone, Berlin (UTC+1 in January).
		if got := text(t, tab, "#incident-"+inc+" .meta time"); got != "15 Jan 2026 12:00 CET" {
			t.Fatalf("without JavaScript the start time reads %q, want Berlin's 12:00 CET", got)
		}
		if got := text(t, tab, "#tz"); got != "Times are in CET (Europe/Berlin)." {
			t.Fatalf("zone note reads %q", got)
		}
		// Navigate waits for the load event, which waits for the page's images.
		width, err := chromedp.Run(tab, chromedp.Evaluate[int64](`(function(){var i=document.querySelector("img.logo");return i&&i.complete?i.naturalWidth:-1})()`))
		if err != nil || width <= 0 {
			t.Fatalf("the logo from %s did not load (CSP img-src?): width %d, %v", logo.URL, width, err)
		}
		screenshot(t, tab, filepath.Join(shotDir, "profile.png"), 1280, 900)
	})

	t.Run("a past incident's link opens its page", func(t *testing.T) {
		if err := chromedp.Do(tab, chromedp.Navigate(pageURL+"/incidents/"+inc)); err != nil {
			t.Fatal(err)
		}
		if got := text(t, tab, ".incident-title"); got != "API is down" {
			t.Fatalf("incident page title reads %q", got)
		}
		if got := text(t, tab, ".timeline li:first-child .msg"); got != "Fixed" {
			t.Fatalf("newest timeline entry reads %q", got)
		}
		screenshot(t, tab, filepath.Join(shotDir, "incident-page.png"), 1280, 900)
	})
}

// TestBrowserAtlassianWidget loads Atlassian's own embeddable status widget (npm
// @statuspage/status-widget, kept in testdata) on a page of another origin and points
// it at statusgate's page host. The widget fetches <host>/api/v2/summary.json across
// origins, which needs the root API, the Host seam and CORS, and shows our state.
func TestBrowserAtlassianWidget(t *testing.T) {
	t.Parallel() // every test has its own databases and server
	// The page host resolves to loopback inside this browser only.
	tab := browser(t, chromedp.Flag("host-resolver-rules", "MAP "+pageHost+" 127.0.0.1"))
	db := dbtest.Open(t, database.SQLite)
	f := newFixture(t, db)
	api := f.createService("API", true)
	f.createService("Web", true)

	// The embedding site: another origin (its own port) serving the widget's script.
	site := http.NewServeMux()
	site.Handle("/widget/", http.StripPrefix("/widget/", http.FileServer(http.Dir("testdata/status-widget"))))
	_, port, err := net.SplitHostPort(strings.TrimPrefix(f.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	src := "http://" + pageHost + ":" + port + "/status/" + f.srv.OrgSlug
	site.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html><head><script src="/widget/index.js"></script></head>
<body><statuspage-widget src="%s"></statuspage-widget></body></html>`, html.EscapeString(src))
	})
	embed := httptest.NewServer(site)
	t.Cleanup(embed.Close)

	for _, tc := range []struct {
		status, indicator, description string
	}{
		{"operational", "none", "All Systems Operational"},
		{"down", "major", "Partial System Outage"},
	} {
		t.Run("shows "+tc.description, func(t *testing.T) {
			f.setStatus(api, tc.status, "")
			// The widget keeps an answer for 30 seconds in the page and the browser
			// for as long as Cache-Control allows, so each case loads the page anew,
			// past the browser's cache.
			if _, err := chromedp.Call(tab, network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: true}); err != nil {
				t.Fatal(err)
			}
			if err := chromedp.Do(tab, chromedp.Navigate(embed.URL+"/?case="+tc.status)); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(tab, 15*time.Second)
			defer cancel()
			got, err := chromedp.Run(ctx, chromedp.Poll[[]string](`(() => {
				const root = document.querySelector("statuspage-widget")?.shadowRoot;
				const text = root?.querySelector(".status-text")?.textContent;
				const dot = root?.querySelector(".status-indicator");
				return text ? [text.trim(), dot.className] : null;
			})()`, chromedp.WithPollingInterval(50*time.Millisecond)))
			if err != nil {
				t.Fatalf("the widget never rendered a status: %v", err)
			}
			if got[0] != tc.description || !strings.Contains(got[1], tc.indicator) {
				t.Fatalf("widget shows %q with class %q, want %q and %q", got[0], got[1], tc.description, tc.indicator)
			}
		})
	}
}
