package statuspage

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"time"

	"github.com/statusgate/statusgate/incidents"
	"github.com/statusgate/statusgate/mapping"
)

// pages holds the HTML templates, parsed once at start-up from the embedded files.
var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"localTimes": func() template.JS { return template.JS(localTimesScript) },
}).ParseFS(files, "templates/*.html"))

// displayLayout is how the page writes a moment, in the page's time zone and naming
// it ("15 Jan 2026 10:00 UTC").
const displayLayout = "2 Jan 2006 15:04 MST"

// localTimesScript rewrites every <time datetime> into the visitor's own time zone
// and says so in #tz. Without JavaScript the page shows the page's time zone, which
// every stamp names, so nothing depends on it. The Content-Security-Policy allows
// this script by its hash and no other.
const localTimesScript = `(function(){` +
	`if(!window.Intl||!Intl.DateTimeFormat)return;` +
	`var f=new Intl.DateTimeFormat(undefined,{year:"numeric",month:"short",day:"numeric",hour:"2-digit",minute:"2-digit",timeZoneName:"short"});` +
	`var n=0;document.querySelectorAll("time[datetime]").forEach(function(t){` +
	`var d=new Date(t.getAttribute("datetime"));if(isNaN(d))return;` +
	`t.title=t.textContent;t.textContent=f.format(d);t.setAttribute("data-local","");n++});` +
	`var z=document.getElementById("tz");` +
	`if(z&&n)z.textContent="Times are in your time zone ("+Intl.DateTimeFormat().resolvedOptions().timeZone+").";` +
	`})();`

// scriptHash is the CSP source that allows localTimesScript.
var scriptHash = func() string {
	sum := sha256.Sum256([]byte(localTimesScript))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}()

// pageCSP says what the page loads: its stylesheet, its favicon and one inline
// script, nothing else.
var pageCSP = "default-src 'none'; style-src 'self'; img-src 'self'; script-src " + scriptHash + "; base-uri 'none'; form-action 'none'"

// logoCSP is pageCSP for a page with a logo, which usually lives on another host (a
// CDN, the organization's site): images may come from any https: address (and http:
// for a logo given as http). Only images are widened; scripts stay the one hash.
var logoCSP = strings.Replace(pageCSP, "img-src 'self'", "img-src 'self' https:", 1)

// cspFor is the Content-Security-Policy of an organization's HTML pages.
func cspFor(id identity) string {
	switch {
	case id.LogoURL == "":
		return pageCSP
	case strings.HasPrefix(strings.ToLower(id.LogoURL), "http:"):
		return strings.Replace(logoCSP, "https:", "http: https:", 1)
	}
	return logoCSP
}

// pageView is what page.html renders.
type pageView struct {
	chrome
	Indicator   string
	Description string
	Sections    []sectionRow
	Incidents   []incidentRow
	// Maintenances are the planned windows running or to come, soonest first.
	Maintenances []maintenanceRow
	Past         []incidentRow
	PastDays     int
	Posts        []postRow
}

// chrome is what every page of an organization shows around its content.
type chrome struct {
	OrgName    string
	Title      string
	LogoURL    string
	SupportURL string
	PageURL    string
	FeedURL    string
	SummaryURL string
	StyleURL   string
	IconURL    string
	// ZoneNote says which time zone the stamps are in, until the script says better.
	ZoneNote string
	Updated  stamp
}

// incidentView is what incident.html renders.
type incidentView struct {
	chrome
	Incident incidentRow
}

// stamp is a moment as the page shows it and as <time datetime> carries it.
type stamp struct {
	Text string
	ISO  string
}

func stampIn(t time.Time, loc *time.Location) stamp {
	return stamp{Text: t.In(loc).Format(displayLayout), ISO: t.UTC().Format(time.RFC3339)}
}

type sectionRow struct {
	// Group is the heading, "" for services in no group.
	Group    string
	Status   string
	Label    string
	Services []serviceRow
}

type serviceRow struct {
	ID          string
	Name        string
	Description string
	Status      string // CSS class suffix: operational, degraded, down, maintenance
	Label       string
	Days        []dayCell
	// Uptime is the uptime since the service was created, "" when unknown; Since is
	// that creation date.
	Uptime string
	Since  string
}

type dayCell struct {
	Class string
	Title string
}

type incidentRow struct {
	ID       string
	URL      string
	Title    string
	Status   string
	Severity string
	Service  string
	Started  stamp
	Resolved *stamp
	// Duration is how long it lasted (or has lasted so far), in words.
	Duration string
	Updates  []updateRow
}

type updateRow struct {
	ID      string
	Status  string
	Message string
	At      stamp
}

type postRow struct {
	ID     string
	Title  string
	Body   string
	Status string // the status a change post moved to, "" for an operator's post
	At     stamp
}

// section is a run of services the page shows together: one group, or consecutive
// services in no group.
type section struct {
	Group    string
	Services []serviceView
}

// worst is the most severe status among the section's services.
func (s section) worst() mapping.Status {
	w := mapping.Operational
	for _, svc := range s.Services {
		if svc.Status.Severity() > w.Severity() {
			w = svc.Status
		}
	}
	return w
}

// sections groups services that are in the page's order: a group appears where its
// first service would, holding all its services in their order; services in no
// group stay where they are.
func sections(list []serviceView) []section {
	var out []section
	at := map[string]int{}
	for _, svc := range list {
		if svc.Group == "" {
			if n := len(out); n > 0 && out[n-1].Group == "" {
				out[n-1].Services = append(out[n-1].Services, svc)
			} else {
				out = append(out, section{Services: []serviceView{svc}})
			}
			continue
		}
		if i, ok := at[svc.Group]; ok {
			out[i].Services = append(out[i].Services, svc)
			continue
		}
		at[svc.Group] = len(out)
		out = append(out, section{Group: svc.Group, Services: []serviceView{svc}})
	}
	return out
}

func (h *Handler) chromeOf(s snapshot) chrome {
	page := h.pageURL(s.Org.Slug)
	return chrome{
		OrgName: s.Identity.Name, Title: s.Identity.Title,
		LogoURL: s.Identity.LogoURL, SupportURL: s.Identity.SupportURL,
		PageURL: page, FeedURL: page + "/feed.atom",
		SummaryURL: page + "/api/v2/summary.json",
		StyleURL:   "/status/assets/status.css?v=" + stylesheetVersion,
		// The status in the address makes a browser fetch the icon again when it changes.
		IconURL:  "/status/" + s.Org.Slug + "/favicon.svg?s=" + s.Status.Indicator,
		ZoneNote: zoneNote(s.Identity, s.Now),
		Updated:  stampIn(s.Now, s.Identity.Location),
	}
}

// zoneNote names the page's time zone: its abbreviation, and its IANA name unless it
// is UTC ("Times are in CET (Europe/Berlin).").
func zoneNote(id identity, now time.Time) string {
	abbr := now.In(id.Location).Format("MST")
	if abbr == "UTC" || id.TimeZone == abbr {
		return "Times are in " + abbr + "."
	}
	return "Times are in " + abbr + " (" + id.TimeZone + ")."
}

func (h *Handler) pageData(s snapshot) pageView {
	v := pageView{
		chrome:      h.chromeOf(s),
		Indicator:   s.Status.Indicator,
		Description: s.Status.Description,
		PastDays:    int(pastWindow / (24 * time.Hour)),
	}
	for _, sec := range sections(s.Services) {
		row := sectionRow{Group: sec.Group}
		if sec.Group != "" {
			w := sec.worst()
			row.Status, row.Label = string(w), statusLabel(w)
		}
		for _, svc := range sec.Services {
			row.Services = append(row.Services, serviceRowOf(svc, s.Identity.Location))
		}
		v.Sections = append(v.Sections, row)
	}
	for _, inc := range s.Open {
		v.Incidents = append(v.Incidents, h.incidentRowOf(s, inc))
	}
	for _, inc := range s.Past {
		v.Past = append(v.Past, h.incidentRowOf(s, inc))
	}
	for _, p := range s.Posts {
		row := postRow{ID: p.ID.String(), Title: p.Title, Body: p.Body, At: stampIn(p.CreatedAt, s.Identity.Location)}
		if p.ToStatus != nil {
			row.Status = string(*p.ToStatus)
		}
		v.Posts = append(v.Posts, row)
	}
	return v
}

func (h *Handler) incidentRowOf(s snapshot, inc incidents.Incident) incidentRow {
	loc := s.Identity.Location
	row := incidentRow{
		ID: inc.ID.String(), URL: h.incidentURL(s.Org.Slug, inc.ID), Title: inc.Title,
		Status: incidentStatusLabel(inc.Status), Severity: inc.Severity, Started: stampIn(inc.StartedAt, loc),
	}
	end := s.Now
	if inc.ResolvedAt != nil {
		end = *inc.ResolvedAt
		r := stampIn(end, loc)
		row.Resolved = &r
	}
	row.Duration = humanDuration(end.Sub(inc.StartedAt))
	if inc.Service != nil {
		row.Service = inc.Service.Name
	}
	for _, u := range newestFirst(inc.Updates) {
		row.Updates = append(row.Updates, updateRow{ID: u.ID.String(), Status: incidentStatusLabel(u.Status), Message: u.Message, At: stampIn(u.At, loc)})
	}
	return row
}

// humanDuration writes a duration the way people say it: "45 min", "2 h 5 min",
// "3 d 4 h"; "under a minute" below one.
func humanDuration(d time.Duration) string {
	if d < time.Minute {
		return "under a minute"
	}
	days := int(d / (24 * time.Hour))
	hours := int(d % (24 * time.Hour) / time.Hour)
	mins := int(d % time.Hour / time.Minute)
	switch {
	case days > 0 && hours > 0:
		return fmt.Sprintf("%d d %d h", days, hours)
	case days > 0:
		return fmt.Sprintf("%d d", days)
	case hours > 0 && mins > 0:
		return fmt.Sprintf("%d h %d min", hours, mins)
	case hours > 0:
		return fmt.Sprintf("%d h", hours)
	}
	return fmt.Sprintf("%d min", mins)
}

func serviceRowOf(svc serviceView, loc *time.Location) serviceRow {
	row := serviceRow{
		ID: svc.ID.String(), Name: svc.Name, Description: svc.Description,
		Status: string(svc.Status), Label: statusLabel(svc.Status),
		Since: svc.CreatedAt.In(loc).Format("2 Jan 2006"),
	}
	for _, d := range svc.Days {
		date := d.Date.UTC().Format(time.DateOnly)
		cell := dayCell{Class: "none", Title: date + ": no data"}
		if d.Worst.Valid() {
			cell.Class = string(d.Worst)
		}
		switch {
		case d.UptimePercent != nil:
			cell.Title = date + ": " + percent(*d.UptimePercent) + " uptime"
			if d.Worst.Valid() {
				cell.Title += ", worst: " + string(d.Worst)
			}
		case d.Worst.Valid():
			cell.Title = date + ": no uptime data, worst: " + string(d.Worst)
		}
		row.Days = append(row.Days, cell)
	}
	if svc.Lifetime != nil {
		row.Uptime = percent(svc.Lifetime.UptimePercent)
	}
	return row
}

// percent writes an uptime with two decimals, as uptime is usually quoted
// ("99.31%"), but never rounds a day with downtime up to "100.00%".
func percent(p float64) string {
	if p >= 100 {
		return "100%"
	}
	s := strconv.FormatFloat(p, 'f', 2, 64)
	if s == "100.00" {
		s = "99.99"
	}
	return s + "%"
}
