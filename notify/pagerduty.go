package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/statusgate/statusgate/apierr"
)

// PagerDutyEventsURL is the Events API v2 endpoint every PagerDuty channel sends to.
const PagerDutyEventsURL = "https://events.pagerduty.com/v2/enqueue"

// PagerDuty sends incidents to PagerDuty through the Events API v2. An incident maps
// onto one PagerDuty alert by dedup_key = the incident id: incident.created triggers
// it, incident.updated triggers it again while it is open (PagerDuty folds that into
// the same alert, with the new severity and summary), incident.acknowledged
// acknowledges it and incident.resolved resolves it.
//
// PagerDuty pages people, so it receives incidents and tests only: Accepts says so,
// and Notify answers any other event with a successful attempt that sends nothing.
type PagerDuty struct {
	client *http.Client
	url    string
	now    func() time.Time
}

var _ Notifier = (*PagerDuty)(nil)

// NewPagerDuty returns the PagerDuty notifier, sending to eventsURL
// (PagerDutyEventsURL in production; tests pass a loopback server). client is the
// outbound client; now stamps attempts.
func NewPagerDuty(client *http.Client, eventsURL string, now func() time.Time) *PagerDuty {
	if eventsURL == "" {
		eventsURL = PagerDutyEventsURL
	}
	return &PagerDuty{client: client, url: eventsURL, now: now}
}

// pagerDutySummaryMax is the Events API's limit on payload.summary.
const pagerDutySummaryMax = 1024

// pagerDutySeverity maps our incident severities onto PagerDuty's.
var pagerDutySeverity = map[string]string{
	"minor":    "warning",
	"major":    "error",
	"critical": "critical",
}

// pagerDutyEvent is an Events API v2 event.
type pagerDutyEvent struct {
	RoutingKey  string            `json:"routing_key"`
	EventAction string            `json:"event_action"` // trigger, acknowledge, resolve
	DedupKey    string            `json:"dedup_key"`
	Payload     *pagerDutyPayload `json:"payload,omitempty"` // trigger only
	Client      string            `json:"client,omitempty"`
	ClientURL   string            `json:"client_url,omitempty"`
	Links       []pagerDutyLink   `json:"links,omitempty"`
}

type pagerDutyPayload struct {
	Summary       string         `json:"summary"`
	Source        string         `json:"source"`
	Severity      string         `json:"severity"` // critical, error, warning, info
	Timestamp     string         `json:"timestamp,omitempty"`
	Component     string         `json:"component,omitempty"`
	Class         string         `json:"class,omitempty"`
	CustomDetails map[string]any `json:"custom_details,omitempty"`
}

type pagerDutyLink struct {
	Href string `json:"href"`
	Text string `json:"text"`
}

// Accepts reports whether an event type means anything to PagerDuty: incidents and
// tests. The workers use it to skip the rest without logging a delivery.
func (p *PagerDuty) Accepts(eventType string) bool {
	return eventType == EventTest || strings.HasPrefix(eventType, "incident.")
}

// Validate checks the routing key: a PagerDuty integration key is 32 letters and
// digits.
func (p *PagerDuty) Validate(t Target) error {
	if t.RoutingKey == "" {
		return apierr.Invalid("routing_key", "routing_key is required (the integration key of a PagerDuty Events API v2 integration)")
	}
	if len(t.RoutingKey) != 32 || strings.Trim(t.RoutingKey, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != "" {
		return apierr.Invalid("routing_key", "routing_key must be the 32-character integration key of a PagerDuty Events API v2 integration")
	}
	return nil
}

// Notify sends one event.
func (p *PagerDuty) Notify(ctx context.Context, t Target, ev Event) Attempt {
	pe, skip := pagerDutyBody(t.RoutingKey, ev)
	if skip != "" {
		return Attempt{At: p.now(), Body: skip}
	}
	body, err := json.Marshal(pe)
	if err != nil {
		return Attempt{At: p.now(), Error: fmt.Sprintf("encoding the event: %v", err)}
	}
	return post(ctx, p.client, p.url, nil, body, p.now)
}

// pagerDutyBody turns an event into an Events API v2 event, or says why nothing is
// sent.
func pagerDutyBody(routingKey string, ev Event) (pagerDutyEvent, string) {
	d := ev.Data
	pe := pagerDutyEvent{RoutingKey: routingKey, Client: "statusgate", ClientURL: d.PageURL}
	if d.PageURL != "" {
		pe.Links = []pagerDutyLink{{Href: d.PageURL, Text: "Status page"}}
	}
	if ev.Type == EventTest {
		// A test must reach PagerDuty to prove the key works; an info alert pages
		// nobody under the default urgency rules, and its key is the event's, so
		// every test is its own alert that the operator resolves.
		pe.EventAction = "trigger"
		pe.DedupKey = "statusgate-test-" + ev.ID
		pe.Payload = &pagerDutyPayload{
			Summary:   "statusgate test notification: this PagerDuty channel works",
			Source:    "statusgate",
			Severity:  "info",
			Timestamp: occurredAt(ev).Format(time.RFC3339),
			Class:     "test",
		}
		return pe, ""
	}
	if !strings.HasPrefix(ev.Type, "incident.") {
		return pe, "skipped: PagerDuty channels receive incident and test events only, not " + ev.Type
	}
	inc := d.Incident
	if inc == nil {
		return pe, "skipped: " + ev.Type + " carries no incident"
	}
	pe.DedupKey = inc.ID.String()
	switch {
	case ev.Type == EventIncidentResolved || inc.Status == "resolved":
		pe.EventAction = "resolve"
		return pe, ""
	case ev.Type == EventIncidentAcknowledged:
		pe.EventAction = "acknowledge"
		return pe, ""
	}
	pe.EventAction = "trigger"
	source, component := "statusgate", ""
	if d.Service != nil && d.Service.Name != "" {
		source, component = d.Service.Name, d.Service.Name
	}
	severity, ok := pagerDutySeverity[inc.Severity]
	if !ok {
		severity = "error" // an unknown severity still pages, as a major one would
	}
	summary := strings.TrimSpace(inc.Title)
	if summary == "" {
		summary = "Incident " + inc.ID.String() // PagerDuty refuses an empty summary
	}
	if component != "" && !strings.Contains(strings.ToLower(summary), strings.ToLower(component)) {
		summary = component + ": " + summary
	}
	details := map[string]any{
		"incident_id":     inc.ID.String(),
		"incident_status": inc.Status,
		"severity":        inc.Severity,
		"started_at":      inc.StartedAt.UTC().Format(time.RFC3339),
		"event_id":        ev.ID,
		"event_type":      ev.Type,
	}
	if d.Service != nil {
		details["service_id"] = d.Service.ID.String()
		details["service_status"] = d.Service.Status
	}
	if d.Message != "" {
		details["message"] = d.Message
	}
	if d.Source != "" {
		details["source"] = d.Source
	}
	pe.Payload = &pagerDutyPayload{
		Summary:       truncate(summary, pagerDutySummaryMax),
		Source:        source,
		Severity:      severity,
		Timestamp:     occurredAt(ev).Format(time.RFC3339),
		Component:     component,
		Class:         "incident",
		CustomDetails: details,
	}
	return pe, ""
}

// occurredAt is when an event's change happened, in UTC; the event's own time when
// the data has none.
func occurredAt(ev Event) time.Time {
	if !ev.Data.OccurredAt.IsZero() {
		return ev.Data.OccurredAt.UTC()
	}
	return ev.Timestamp.UTC()
}
