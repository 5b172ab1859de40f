package statuspage

import (
	"time"

	"github.com/google/uuid"

	"github.com/statusgate/statusgate/incidents"
	"github.com/statusgate/statusgate/mapping"
)

// The read API follows Atlassian Statuspage's public /api/v2/ field by field, so that
// tools which already read Statuspage read ours by changing only the base URL. Fields
// that have no counterpart here keep Statuspage's type with a neutral value (showcase
// true, tweet_id null, ...) rather than disappearing, because clients decode them.

// Summary is the answer of summary.json (both /status/{org}/api/v2/summary.json and
// the older /api/v1/public/{org}/summary.json).
type Summary struct {
	Page                  SummaryPage          `json:"page"`
	Components            []Component          `json:"components"`
	Incidents             []SummaryIncident    `json:"incidents"`
	ScheduledMaintenances []SummaryMaintenance `json:"scheduled_maintenances"`
	Status                SummaryStatus        `json:"status"`
}

// StatusAnswer is the answer of status.json.
type StatusAnswer struct {
	Page   SummaryPage   `json:"page"`
	Status SummaryStatus `json:"status"`
}

// ComponentsAnswer is the answer of components.json.
type ComponentsAnswer struct {
	Page       SummaryPage `json:"page"`
	Components []Component `json:"components"`
}

// IncidentsAnswer is the answer of incidents.json and incidents/unresolved.json.
type IncidentsAnswer struct {
	Page      SummaryPage       `json:"page"`
	Incidents []SummaryIncident `json:"incidents"`
}

// MaintenancesAnswer is the answer of scheduled-maintenances.json and its upcoming
// and active lists.
type MaintenancesAnswer struct {
	Page                  SummaryPage          `json:"page"`
	ScheduledMaintenances []SummaryMaintenance `json:"scheduled_maintenances"`
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

// Component is one public service, or one group of them, in Statuspage's shape.
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
	// Components lists a group's members by id; Statuspage sends it on groups only.
	Components []string `json:"components,omitempty"`
}

// SummaryIncident is one incident in Statuspage's shape.
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
	ID                   string              `json:"id"`
	Status               string              `json:"status"`
	Body                 string              `json:"body"`
	IncidentID           string              `json:"incident_id"`
	CreatedAt            time.Time           `json:"created_at"`
	UpdatedAt            time.Time           `json:"updated_at"`
	DisplayAt            time.Time           `json:"display_at"`
	AffectedComponents   []AffectedComponent `json:"affected_components"`
	DeliverNotifications bool                `json:"deliver_notifications"`
	CustomTweet          *string             `json:"custom_tweet"`
	TweetID              *string             `json:"tweet_id"`
}

// AffectedComponent is what one timeline entry did to a component, in Statuspage's
// component vocabulary: code is the component's id.
type AffectedComponent struct {
	Code      string `json:"code"`
	Name      string `json:"name"`
	OldStatus string `json:"old_status"`
	NewStatus string `json:"new_status"`
}

// SummaryMaintenance is Statuspage's scheduled maintenance: an incident with the
// window it is planned for.
type SummaryMaintenance struct {
	SummaryIncident
	ScheduledFor   time.Time `json:"scheduled_for"`
	ScheduledUntil time.Time `json:"scheduled_until"`
}

// page builds the "page" object every answer starts with.
func (h *Handler) page(s snapshot) SummaryPage {
	return SummaryPage{
		ID: s.Org.ID.String(), Name: s.Identity.Name, URL: h.pageURL(s.Org.Slug),
		TimeZone: s.Identity.TimeZone, UpdatedAt: s.updatedAt(),
	}
}

// summary builds the summary of a snapshot, with the given maintenances.
func (h *Handler) summary(s snapshot, maint []SummaryMaintenance) Summary {
	comps := components(s)
	out := Summary{
		Page:                  h.page(s),
		Components:            comps,
		Incidents:             h.summaryIncidents(s, s.Open, comps),
		ScheduledMaintenances: maint,
		Status:                SummaryStatus{Indicator: s.Status.Indicator, Description: s.Status.Description},
	}
	return out
}

// summaryIncidents converts incidents, keeping their order.
func (h *Handler) summaryIncidents(s snapshot, list []incidents.Incident, comps []Component) []SummaryIncident {
	byID := make(map[string]Component, len(comps))
	for _, c := range comps {
		byID[c.ID] = c
	}
	out := make([]SummaryIncident, len(list))
	for i, inc := range list {
		out[i] = h.summaryIncident(inc, s, byID)
	}
	return out
}

// groupID is the stable id of a group component: derived from the organization and
// the group's name, so it survives restarts and needs no table of its own.
func groupID(org uuid.UUID, name string) string {
	return uuid.NewSHA1(org, []byte("group:"+name)).String()
}

// components lists a snapshot's services in the page's order, each group as a group
// component just before its members; positions count 1, 2, ... through that list.
func components(s snapshot) []Component {
	pageID := s.Org.ID.String()
	out := []Component{}
	for _, sec := range sections(s.Services) {
		if sec.Group != "" {
			gid := groupID(s.Org.ID, sec.Group)
			g := Component{
				ID: gid, Name: sec.Group, Status: componentStatus(sec.worst()),
				Position: len(out) + 1, Showcase: false, PageID: pageID, Group: true,
				Components: make([]string, 0, len(sec.Services)),
			}
			for i, svc := range sec.Services {
				if i == 0 || svc.CreatedAt.Before(g.CreatedAt) {
					g.CreatedAt = svc.CreatedAt
				}
				g.UpdatedAt = later(g.UpdatedAt, svc.UpdatedAt, svc.StatusChangedAt)
				g.Components = append(g.Components, svc.ID.String())
			}
			out = append(out, g)
			for _, svc := range sec.Services {
				c := component(svc, pageID, len(out)+1)
				c.GroupID = &gid
				out = append(out, c)
			}
			continue
		}
		for _, svc := range sec.Services {
			out = append(out, component(svc, pageID, len(out)+1))
		}
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
		Impact: inc.Severity, Shortlink: h.incidentURL(s.Org.Slug, inc.ID),
		StartedAt: inc.StartedAt.UTC(), PageID: s.Org.ID.String(),
		IncidentUpdates: make([]IncidentEntry, 0, len(inc.Updates)),
		Components:      []Component{},
	}
	var comp *Component
	if inc.Service != nil {
		if c, ok := components[inc.Service.ID.String()]; ok {
			out.Components = append(out.Components, c)
			comp = &c
		}
	}
	for _, u := range inc.Updates {
		if u.Status == incidents.StatusMonitoring && out.MonitoringAt == nil {
			at := u.At.UTC()
			out.MonitoringAt = &at
		}
	}
	changes := affected(inc.Updates, comp)
	// Statuspage lists the timeline newest first.
	for _, u := range newestFirst(inc.Updates) {
		at := u.At.UTC()
		entry := IncidentEntry{
			ID: u.ID.String(), Status: u.Status, Body: u.Message, IncidentID: inc.ID.String(),
			CreatedAt: at, UpdatedAt: at, DisplayAt: at,
			// Statuspage clients iterate this; an empty list, never null.
			AffectedComponents: []AffectedComponent{},
		}
		if c, ok := changes[u.ID]; ok {
			entry.AffectedComponents = append(entry.AffectedComponents, c)
		}
		out.IncidentUpdates = append(out.IncidentUpdates, entry)
	}
	return out
}

// affected says, for each timeline entry that reports a service status (the entries
// of automatic incidents), what it did to the incident's component: from the status
// the previous such entry reported (operational before the first) to its own. Entries
// people wrote report none. Nothing is affected when the component is not public.
func affected(updates []incidents.Update, comp *Component) map[uuid.UUID]AffectedComponent {
	out := map[uuid.UUID]AffectedComponent{}
	if comp == nil {
		return out
	}
	old := componentStatus(mapping.Operational)
	for _, u := range updates { // oldest first
		if u.ServiceStatus == nil {
			continue
		}
		st := componentStatus(*u.ServiceStatus)
		out[u.ID] = AffectedComponent{Code: comp.ID, Name: comp.Name, OldStatus: old, NewStatus: st}
		old = st
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
