package statuspage

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/statusgate/statusgate/maintenances"
)

// maxMaintenances caps the windows listed, as incidents.json lists its newest 50.
const maxMaintenances = 50

// maintenances lists the organization's public planned maintenance windows, latest
// start first, in Statuspage's shape: scheduled and running ones, and those completed
// within pastWindow. A window is public when one of its services is, and lists only
// its public services; cancelled windows are not shown, as Statuspage shows none.
func (h *Handler) maintenances(ctx context.Context, s snapshot) ([]SummaryMaintenance, error) {
	out := []SummaryMaintenance{}
	if h.maint == nil {
		return out, nil
	}
	list, err := h.maint.ListRecent(ctx, s.Org.ID, s.Now.Add(-pastWindow), maxMaintenances)
	if err != nil {
		return nil, fmt.Errorf("listing maintenances: %w", err)
	}
	comps := components(s)
	byID := make(map[string]Component, len(comps))
	for _, c := range comps {
		byID[c.ID] = c
	}
	for _, m := range list {
		if sm, ok := h.summaryMaintenance(s, m, byID); ok {
			out = append(out, sm)
		}
	}
	return out, nil
}

// summaryMaintenance converts one window; ok is false when none of its services is
// public. Its timeline is written from the window's own moments: scheduled when it
// was created (with its message), in_progress when it started, completed when it
// ended, newest first, each entry's id derived from the window's so it is stable.
func (h *Handler) summaryMaintenance(s snapshot, m maintenances.Maintenance, comps map[string]Component) (SummaryMaintenance, bool) {
	out := SummaryMaintenance{
		SummaryIncident: SummaryIncident{
			ID: m.ID.String(), Name: m.Title, Status: m.Status,
			CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt, Impact: "maintenance",
			Shortlink: h.pageURL(s.Org.Slug) + "#maintenance-" + m.ID.String(),
			StartedAt: m.StartsAt, PageID: s.Org.ID.String(),
			IncidentUpdates: []IncidentEntry{}, Components: []Component{},
		},
		ScheduledFor: m.StartsAt, ScheduledUntil: m.EndsAt,
	}
	for _, id := range m.ServiceIDs {
		if c, ok := comps[id.String()]; ok {
			out.Components = append(out.Components, c)
		}
	}
	if len(out.Components) == 0 {
		return SummaryMaintenance{}, false
	}
	if m.StartedAt != nil {
		out.StartedAt = *m.StartedAt
	}
	if m.Status == maintenances.StatusCompleted {
		out.ResolvedAt = utcPtr(m.EndedAt)
	}
	body := m.Message
	if body == "" {
		body = m.Title
	}
	add := func(status, body string, at time.Time) {
		out.IncidentUpdates = append(out.IncidentUpdates, IncidentEntry{
			ID: uuid.NewSHA1(m.ID, []byte(status)).String(), Status: status, Body: body, IncidentID: m.ID.String(),
			CreatedAt: at, UpdatedAt: at, DisplayAt: at, AffectedComponents: []AffectedComponent{},
		})
	}
	if m.EndedAt != nil && m.Status == maintenances.StatusCompleted {
		add(maintenanceCompleted, "The scheduled maintenance has been completed.", *m.EndedAt)
	}
	if m.StartedAt != nil {
		add(maintenanceInProgress, "Scheduled maintenance is currently in progress.", *m.StartedAt)
	}
	add(maintenanceScheduled, body, m.CreatedAt)
	return out, true
}

// maintenanceRow is one planned window as page.html shows it.
type maintenanceRow struct {
	ID      string
	Title   string
	Message string
	// Status is scheduled or in_progress (a CSS class suffix), Label its words.
	Status   string
	Label    string
	Starts   stamp
	Ends     stamp
	Services string
}

// maintenanceRows lists the windows for the page, running ones first, then by start.
func maintenanceRows(s snapshot, list []SummaryMaintenance) []maintenanceRow {
	list = slices.Clone(list)
	slices.SortStableFunc(list, func(a, b SummaryMaintenance) int {
		if (a.Status == maintenanceInProgress) != (b.Status == maintenanceInProgress) {
			if a.Status == maintenanceInProgress {
				return -1
			}
			return 1
		}
		return a.ScheduledFor.Compare(b.ScheduledFor)
	})
	loc := s.Identity.Location
	out := make([]maintenanceRow, 0, len(list))
	for _, m := range list {
		row := maintenanceRow{
			ID: m.ID, Title: m.Name, Status: m.Status, Label: "Scheduled",
			Starts: stampIn(m.ScheduledFor, loc), Ends: stampIn(m.ScheduledUntil, loc),
		}
		if m.Status == maintenanceInProgress {
			row.Label = "In progress"
		}
		// The window's own message is its oldest entry ("scheduled").
		if n := len(m.IncidentUpdates); n > 0 && m.IncidentUpdates[n-1].Body != m.Name {
			row.Message = m.IncidentUpdates[n-1].Body
		}
		names := make([]string, len(m.Components))
		for i, c := range m.Components {
			names[i] = c.Name
		}
		row.Services = strings.Join(names, ", ")
		out = append(out, row)
	}
	return out
}
