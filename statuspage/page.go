package statuspage

import (
	"html/template"
	"strconv"
	"time"
)

// pages holds the HTML templates, parsed once at start-up from the embedded files.
var pages = template.Must(template.New("").ParseFS(files, "templates/*.html"))

// displayTime is how the page writes a moment; always UTC, and said so.
const displayTime = "2 Jan 2006 15:04 UTC"

// pageView is what page.html renders.
type pageView struct {
	OrgName     string
	PageURL     string
	FeedURL     string
	SummaryURL  string
	StyleURL    string
	Indicator   string
	Description string
	Services    []serviceRow
	Incidents   []incidentRow
	Posts       []postRow
	Updated     stamp
}

// stamp is a moment as the page shows it and as <time datetime> carries it.
type stamp struct {
	Text string
	ISO  string
}

func stampOf(t time.Time) stamp {
	t = t.UTC()
	return stamp{Text: t.Format(displayTime), ISO: t.Format(time.RFC3339)}
}

type serviceRow struct {
	ID          string
	Name        string
	Description string
	Status      string // CSS class suffix: operational, degraded, down, maintenance
	Label       string
	Days        []dayCell
	// Uptime is the mean uptime of the days with data over the window, "" without any.
	Uptime string
}

type dayCell struct {
	Class string
	Title string
}

type incidentRow struct {
	ID       string
	Title    string
	Status   string
	Severity string
	Service  string
	Started  stamp
	Updates  []updateRow
}

type updateRow struct {
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

func (h *Handler) pageData(s snapshot) pageView {
	page := h.pageURL(s.Org.Slug)
	v := pageView{
		OrgName: s.Org.Name, PageURL: page, FeedURL: page + "/feed.atom",
		SummaryURL:  h.publicURL + "/api/v1/public/" + s.Org.Slug + "/summary.json",
		StyleURL:    "/status/assets/status.css?v=" + stylesheetVersion,
		Indicator:   s.Status.Indicator,
		Description: s.Status.Description,
		Updated:     stampOf(s.Now),
	}
	for _, svc := range s.Services {
		v.Services = append(v.Services, serviceRowOf(svc))
	}
	for _, inc := range s.Open {
		row := incidentRow{
			ID: inc.ID.String(), Title: inc.Title, Status: incidentStatusLabel(inc.Status),
			Severity: inc.Severity, Started: stampOf(inc.StartedAt),
		}
		if inc.Service != nil {
			row.Service = inc.Service.Name
		}
		for _, u := range newestFirst(inc.Updates) {
			row.Updates = append(row.Updates, updateRow{Status: incidentStatusLabel(u.Status), Message: u.Message, At: stampOf(u.At)})
		}
		v.Incidents = append(v.Incidents, row)
	}
	for _, p := range s.Posts {
		row := postRow{ID: p.ID.String(), Title: p.Title, Body: p.Body, At: stampOf(p.CreatedAt)}
		if p.ToStatus != nil {
			row.Status = string(*p.ToStatus)
		}
		v.Posts = append(v.Posts, row)
	}
	return v
}

func serviceRowOf(svc serviceView) serviceRow {
	row := serviceRow{
		ID: svc.ID.String(), Name: svc.Name, Description: svc.Description,
		Status: string(svc.Status), Label: statusLabel(svc.Status),
	}
	var sum float64
	var n int
	for _, d := range svc.Days {
		date := d.Date.UTC().Format(time.DateOnly)
		cell := dayCell{Class: "none", Title: date + ": no data"}
		if d.Worst.Valid() {
			cell.Class = string(d.Worst)
		}
		switch {
		case d.UptimePercent != nil:
			sum += *d.UptimePercent
			n++
			cell.Title = date + ": " + percent(*d.UptimePercent) + " uptime"
			if d.Worst.Valid() {
				cell.Title += ", worst: " + string(d.Worst)
			}
		case d.Worst.Valid():
			cell.Title = date + ": no uptime data, worst: " + string(d.Worst)
		}
		row.Days = append(row.Days, cell)
	}
	if n > 0 {
		row.Uptime = percent(sum / float64(n))
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
