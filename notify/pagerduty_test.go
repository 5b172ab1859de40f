package notify

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// An Events API v2 event as developer.pagerduty.com documents "Send an Alert Event",
// decoded strictly.
type pdEvent struct {
	RoutingKey  string     `json:"routing_key"`
	EventAction string     `json:"event_action"`
	DedupKey    string     `json:"dedup_key"`
	Payload     *pdPayload `json:"payload"`
	Images      []any      `json:"images"`
	Links       []struct {
		Href string `json:"href"`
		Text string `json:"text"`
	} `json:"links"`
	Client    string `json:"client"`
	ClientURL string `json:"client_url"`
}

type pdPayload struct {
	Summary       string         `json:"summary"`
	Source        string         `json:"source"`
	Severity      string         `json:"severity"`
	Timestamp     string         `json:"timestamp"`
	Component     string         `json:"component"`
	Group         string         `json:"group"`
	Class         string         `json:"class"`
	CustomDetails map[string]any `json:"custom_details"`
}

const testRoutingKey = "R0ABCDEF0123456789abcdef01234567"

// checkPagerDuty asserts the documented required fields of each event_action.
func checkPagerDuty(t *testing.T, body []byte) pdEvent {
	t.Helper()
	var e pdEvent
	decodeStrict(t, body, &e)
	if len(e.RoutingKey) != 32 {
		t.Fatalf("routing_key %q is not 32 characters", e.RoutingKey)
	}
	if e.DedupKey == "" || len(e.DedupKey) > 255 {
		t.Fatalf("dedup_key %q, want 1 to 255 characters", e.DedupKey)
	}
	switch e.EventAction {
	case "trigger":
		p := e.Payload
		if p == nil {
			t.Fatalf("a trigger needs a payload")
		}
		if p.Summary == "" || runes(p.Summary) > 1024 || p.Source == "" {
			t.Fatalf("payload summary %q (%d) source %q: summary 1-1024 and source are required", p.Summary, runes(p.Summary), p.Source)
		}
		switch p.Severity {
		case "critical", "error", "warning", "info":
		default:
			t.Fatalf("severity %q is not one of critical, error, warning, info", p.Severity)
		}
		if _, err := time.Parse(time.RFC3339, p.Timestamp); p.Timestamp != "" && err != nil {
			t.Fatalf("timestamp %q is not ISO 8601", p.Timestamp)
		}
	case "acknowledge", "resolve":
		if e.Payload != nil {
			t.Fatalf("%s carries a payload; the API ignores it and so should we", e.EventAction)
		}
	default:
		t.Fatalf("event_action %q", e.EventAction)
	}
	return e
}

func TestPagerDutyGolden(t *testing.T) {
	t.Parallel()
	f := fixtureEvents()
	for _, name := range []string{"incident_created", "incident_resolved"} {
		pe, skip := pagerDutyBody(testRoutingKey, f[name])
		if skip != "" {
			t.Fatalf("%s skipped: %s", name, skip)
		}
		e := checkPagerDuty(t, golden(t, "pagerduty/"+name+".json", pe))
		if e.DedupKey != fixtureInc.String() {
			t.Fatalf("%s: dedup_key %q, want the incident id %s", name, e.DedupKey, fixtureInc)
		}
		switch name {
		case "incident_created":
			p := e.Payload
			if e.EventAction != "trigger" || p.Severity != "error" || p.Summary != "Checkout API is down" ||
				p.Source != "Checkout API" || p.Component != "Checkout API" || p.Timestamp != "2026-12-01T18:02:00Z" ||
				p.CustomDetails["message"] != "HTTP 503 from /health for 3 checks" {
				t.Fatalf("trigger = %+v", e)
			}
		case "incident_resolved":
			if e.EventAction != "resolve" {
				t.Fatalf("resolved incident sent %q, want resolve", e.EventAction)
			}
		}
	}
}

func TestPagerDutyActionsAndSeverities(t *testing.T) {
	t.Parallel()
	inc := func(typ, severity, status string) Event {
		return Event{ID: "evt_x", Type: typ, Data: EventData{OccurredAt: fixtureStart,
			Incident: &IncidentInfo{ID: fixtureInc, Title: "Login fails", Severity: severity, Status: status, StartedAt: fixtureStart}}}
	}
	cases := []struct {
		ev               Event
		action, severity string
	}{
		{inc(EventIncidentCreated, "minor", "investigating"), "trigger", "warning"},
		{inc(EventIncidentCreated, "major", "investigating"), "trigger", "error"},
		{inc(EventIncidentCreated, "critical", "investigating"), "trigger", "critical"},
		{inc(EventIncidentUpdated, "critical", "identified"), "trigger", "critical"},
		{inc(EventIncidentUpdated, "major", "resolved"), "resolve", ""},
		{inc(EventIncidentAcknowledged, "major", "identified"), "acknowledge", ""},
		{inc(EventIncidentResolved, "major", "resolved"), "resolve", ""},
	}
	for _, c := range cases {
		pe, skip := pagerDutyBody(testRoutingKey, c.ev)
		b, _ := json.Marshal(pe)
		e := checkPagerDuty(t, b)
		got := ""
		if e.Payload != nil {
			got = e.Payload.Severity
		}
		if skip != "" || e.EventAction != c.action || got != c.severity || e.DedupKey != fixtureInc.String() {
			t.Fatalf("%s %s/%s: action %q severity %q skip %q, want %q %q", c.ev.Type, c.ev.Data.Incident.Severity,
				c.ev.Data.Incident.Status, e.EventAction, got, skip, c.action, c.severity)
		}
	}
	long := inc(EventIncidentCreated, "major", "investigating")
	long.Data.Incident.Title = strings.Repeat("é", 5000)
	pe, _ := pagerDutyBody(testRoutingKey, long)
	b, _ := json.Marshal(pe)
	checkPagerDuty(t, b)
}

func TestPagerDutyAcceptsIncidentsAndTests(t *testing.T) {
	t.Parallel()
	p := NewPagerDuty(http.DefaultClient, "", fixedNow)
	if p.url != PagerDutyEventsURL {
		t.Fatalf("default URL %q, want %q", p.url, PagerDutyEventsURL)
	}
	want := map[string]bool{
		EventServiceStatusChanged: false, EventIncidentCreated: true, EventIncidentUpdated: true,
		EventIncidentAcknowledged: true, EventIncidentResolved: true, EventPostCreated: false,
		EventSLABudgetWarning: false, EventSLABreached: false, EventChannelDisabled: false, EventTest: true,
	}
	for typ, ok := range want {
		if got := p.Accepts(typ); got != ok {
			t.Fatalf("Accepts(%q) = %v, want %v", typ, got, ok)
		}
	}
	var _ interface{ Accepts(string) bool } = p
}

func TestPagerDutyRoutingKeyValidation(t *testing.T) {
	t.Parallel()
	p := NewPagerDuty(http.DefaultClient, "", fixedNow)
	for _, key := range []string{"", "short", testRoutingKey + "x", strings.Repeat("-", 32), "R0ABCDEF0123456789abcdef0123456 "} {
		if code, field := apiFieldOf(p.Validate(Target{RoutingKey: key})); code != "validation_failed" || field != "routing_key" {
			t.Fatalf("Validate(%q): code %q field %q, want validation_failed on routing_key", key, code, field)
		}
	}
	if err := p.Validate(Target{RoutingKey: testRoutingKey}); err != nil {
		t.Fatalf("a good key was refused: %v", err)
	}
}

func TestPagerDutyNotify(t *testing.T) {
	t.Parallel()
	e := newEndpoint(t, http.StatusAccepted, `{"status":"success","message":"Event processed","dedup_key":"`+fixtureInc.String()+`"}`)
	p := NewPagerDuty(e.Client(), e.URL+"/v2/enqueue", fixedNow)
	target := Target{Type: TypePagerDuty, RoutingKey: testRoutingKey}

	a := p.Notify(context.Background(), target, fixtureEvents()["incident_created"])
	if !a.Succeeded() || a.StatusCode != 202 || !strings.Contains(a.Body, "Event processed") {
		t.Fatalf("attempt = %+v, want PagerDuty's 202", a)
	}
	body := mustOneJSONPost(t, e)
	if e := checkPagerDuty(t, body); e.EventAction != "trigger" || e.RoutingKey != testRoutingKey {
		t.Fatalf("sent %+v, want a trigger with the channel's routing key", e)
	}
	if got := e.requests()[0].Path; got != "/v2/enqueue" {
		t.Fatalf("posted to %q, want the events URL", got)
	}

	// An event PagerDuty does not take succeeds without a request.
	a = p.Notify(context.Background(), target, fixtureEvents()["status_changed"])
	if !a.Succeeded() || !strings.HasPrefix(a.Body, "skipped:") || len(e.requests()) != 1 {
		t.Fatalf("status change: attempt %+v after %d requests, want a skip and no new request", a, len(e.requests()))
	}

	// A test is a real, low-severity trigger of its own.
	a = p.Notify(context.Background(), target, Event{ID: "evt_test1", Type: EventTest, Timestamp: fixtureStart})
	reqs := e.requests()
	if !a.Succeeded() || len(reqs) != 2 {
		t.Fatalf("test: attempt %+v after %d requests", a, len(reqs))
	}
	if te := checkPagerDuty(t, reqs[1].Body); te.EventAction != "trigger" || te.Payload.Severity != "info" || te.DedupKey != "statusgate-test-evt_test1" {
		t.Fatalf("test event sent %+v", te)
	}
}

func TestPagerDutyNotifyReportsAnInvalidEvent(t *testing.T) {
	t.Parallel()
	e := newEndpoint(t, http.StatusBadRequest, `{"status":"invalid event","message":"Event object is invalid","errors":["Length of 'routing_key' is incorrect (should be 32 characters)"]}`)
	a := NewPagerDuty(e.Client(), e.URL, fixedNow).Notify(context.Background(), Target{RoutingKey: testRoutingKey}, fixtureEvents()["incident_created"])
	if a.Succeeded() || a.StatusCode != 400 || !strings.Contains(a.Body, "routing_key") {
		t.Fatalf("attempt = %+v, want the 400 with PagerDuty's reason", a)
	}
}
