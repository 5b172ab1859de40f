package statuspage

import (
	"time"

	"github.com/statusgate/statusgate/incidents"
)

// The summary follows Atlassian Statuspage's public GET /api/v2/summary.json field by
// field, so that tools which already read Statuspage can read ours. Fields that have
// no counterpart here keep Statuspage's type with a neutral value (group false,
// group_id null, tweet_id null, ...) rather than disappearing, because clients
// decode them.

// Summary is the answer of GET /api/v1/public/{org_slug}/summary.json.
type Summary struct {
	Page                  SummaryPage          `json:"page"`
	Components            []Component          `json:"components"`
	Incidents             []SummaryIncident    `json:"incidents"`
	ScheduledMaintenances []SummaryMaintenance `json:"scheduled_maintenances"`
	Status                SummaryStatus        `json:"status"`
}

// SummaryPage describes the status page: the organization.
type SummaryPage struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	URL       string    `json:"url"`
	TimeZone  string    `json:"time_zone"`
	UpdatedAt time.Time `json:"updated_at"`
}

// SummaryStatus is the page's rolled-up status; see the package documentation.
type SummaryStatus struct {
	Indicator   string `json:"indicator"`
	Description string `json:"description"`
}

// Component is one public service in Statuspage's shape.
type Component struct {
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
}

// SummaryIncident is one unresolved incident in Statuspage's shape.
type SummaryIncident struct {
	ID              string          `json:"id"`
	Name            string          `json:"name"`
	Status          string          `json:"status"`
	CreatedAt       time.Time       `json:"created_at"`
	UpdatedAt       time.Time       `json:"updated_at"`
	MonitoringAt    *time.Time      `json:"monitoring_at"`
	ResolvedAt      *time.Time      `json:"resolved_at"`
	Impact          string          `json:"impact"`
	Shortlink       string          `json:"shortlink"`
	StartedAt       time.Time       `json:"started_at"`
	PageID          string          `json:"page_id"`
	IncidentUpdates []IncidentEntry `json:"incident_updates"`
	Components      []Component     `json:"components"`
}

// IncidentEntry is one entry of an incident's timeline in Statuspage's shape
// ("incident_updates").
type IncidentEntry struct {
	ID                   string      `json:"id"`
	Status               string      `json:"status"`
	Body                 string      `json:"body"`
	IncidentID           string      `json:"incident_id"`
	CreatedAt            time.Time   `json:"created_at"`
	UpdatedAt            time.Time   `json:"updated_at"`
	DisplayAt            time.Time   `json:"display_at"`
	AffectedComponents   []Component `json:"affected_components"`
	DeliverNotifications bool        `json:"deliver_notifications"`
	CustomTweet          *string     `json:"custom_tweet"`
	TweetID              *string     `json:"tweet_id"`
}

// SummaryMaintenance is Statuspage's scheduled maintenance. statusgate schedules
// none (a maintenance is a status a pipeline sets when it starts), so the list is
// always empty; the type exists so the list's element shape is documented.
type SummaryMaintenance = SummaryIncident

// summary builds the summary of a snapshot.
func (h *Handler) summary(s snapshot) Summary {
	pageID := s.Org.ID.String()
	out := Summary{
		Page: SummaryPage{
			ID: pageID, Name: s.Org.Name, URL: h.pageURL(s.Org.Slug), TimeZone: "Etc/UTC", UpdatedAt: s.updatedAt(),
		},
		Components:            make([]Component, len(s.Services)),
		Incidents:             make([]SummaryIncident, len(s.Open)),
		ScheduledMaintenances: []SummaryMaintenance{},
		Status:                SummaryStatus{Indicator: s.Status.Indicator, Description: s.Status.Description},
	}
	byID := make(map[string]Component, len(s.Services))
	for i, svc := range s.Services {
		c := component(svc, pageID, i+1)
		out.Components[i] = c
		byID[c.ID] = c
	}
	for i, inc := range s.Open {
		out.Incidents[i] = h.summaryIncident(inc, s, byID)
	}
	return out
}

func component(svc serviceView, pageID string, position int) Component {
	c := Component{
		ID: svc.ID.String(), Name: svc.Name, Status: componentStatus(svc.Status),
		CreatedAt: svc.CreatedAt, UpdatedAt: later(svc.UpdatedAt, svc.StatusChangedAt),
		Position: position, Showcase: true, PageID: pageID,
	}
	if svc.Description != "" {
		d := svc.Description
		c.Description = &d
	}
	start := svc.CreatedAt.Format(time.DateOnly)
	c.StartDate = &start
	return c
}

func (h *Handler) summaryIncident(inc incidents.Incident, s snapshot, components map[string]Component) SummaryIncident {
	out := SummaryIncident{
		ID: inc.ID.String(), Name: inc.Title, Status: inc.Status,
		CreatedAt: inc.CreatedAt.UTC(), UpdatedAt: inc.UpdatedAt.UTC(), ResolvedAt: utcPtr(inc.ResolvedAt),
		Impact: inc.Severity, Shortlink: h.pageURL(s.Org.Slug) + "#incident-" + inc.ID.String(),
		StartedAt: inc.StartedAt.UTC(), PageID: s.Org.ID.String(),
		IncidentUpdates: make([]IncidentEntry, 0, len(inc.Updates)),
		Components:      []Component{},
	}
	if inc.Service != nil {
		if c, ok := components[inc.Service.ID.String()]; ok {
			out.Components = append(out.Components, c)
		}
	}
	// Statuspage lists the timeline newest first.
	for _, u := range newestFirst(inc.Updates) {
		at := u.At.UTC()
		if u.Status == "monitoring" && (out.MonitoringAt == nil || at.Before(*out.MonitoringAt)) {
			out.MonitoringAt = &at
		}
		out.IncidentUpdates = append(out.IncidentUpdates, IncidentEntry{
			ID: u.ID.String(), Status: u.Status, Body: u.Message, IncidentID: inc.ID.String(),
			CreatedAt: at, UpdatedAt: at, DisplayAt: at,
			// Statuspage clients iterate this; an empty list, never null.
			AffectedComponents: []Component{},
		})
	}
	return out
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
