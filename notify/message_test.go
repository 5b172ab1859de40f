package notify

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/statusgate/statusgate/apierr"
)

// updateGolden rewrites the golden bodies under testdata/ from the current renderers:
// go test ./notify/ -run Golden -update-golden
var updateGolden = flag.Bool("update-golden", false, "rewrite notify/testdata golden bodies")

var (
	fixtureStart   = time.Date(2026, 12, 1, 18, 2, 0, 0, time.UTC)
	fixtureService = uuid.MustParse("0193a5b0-0000-7000-8000-000000000001")
	fixtureInc     = uuid.MustParse("0193a5b0-0000-7000-8000-0000000000aa")
)

// fixtureEvents are the three events every channel type's golden files show: a status
// change, an incident opened, and the same incident resolved an hour and five
// minutes later.
func fixtureEvents() map[string]Event {
	resolvedAt := fixtureStart.Add(65 * time.Minute)
	duration := int64(65 * 60)
	svc := func(status, prev string) *ServiceInfo {
		return &ServiceInfo{ID: fixtureService, Name: "Checkout API", Status: status, PreviousStatus: prev}
	}
	page := "https://status.example.com/status/acme"
	return map[string]Event{
		"status_changed": {
			ID: "evt_0193a5b0-0001-7000-8000-000000000001", Type: EventServiceStatusChanged, Timestamp: fixtureStart.Add(time.Second),
			Data: EventData{OccurredAt: fixtureStart, Service: svc("down", "operational"),
				Message: "HTTP 503 from /health for 3 checks", Source: "webhook", PageURL: page},
		},
		"incident_created": {
			ID: "evt_0193a5b0-0002-7000-8000-000000000002", Type: EventIncidentCreated, Timestamp: fixtureStart.Add(time.Second),
			Data: EventData{OccurredAt: fixtureStart, Service: svc("down", "operational"),
				Incident: &IncidentInfo{ID: fixtureInc, Title: "Checkout API is down", Severity: "major", Status: "investigating", StartedAt: fixtureStart},
				Message:  "HTTP 503 from /health for 3 checks", Source: "webhook", PageURL: page},
		},
		"incident_resolved": {
			ID: "evt_0193a5b0-0003-7000-8000-000000000003", Type: EventIncidentResolved, Timestamp: resolvedAt.Add(time.Second),
			Data: EventData{OccurredAt: resolvedAt, Service: svc("operational", "down"),
				Incident: &IncidentInfo{ID: fixtureInc, Title: "Checkout API is down", Severity: "major", Status: "resolved",
					StartedAt: fixtureStart, ResolvedAt: &resolvedAt, DurationSeconds: &duration},
				Source: "webhook", PageURL: page},
		},
	}
}

// allTypesEvents is one event of every type, for the tests that every type renders
// within a channel's limits.
func allTypesEvents() []Event {
	f := fixtureEvents()
	now := fixtureStart
	return []Event{
		f["status_changed"], f["incident_created"], f["incident_resolved"],
		{ID: "evt_u", Type: EventIncidentUpdated, Data: EventData{OccurredAt: now, Service: f["incident_created"].Data.Service,
			Incident: &IncidentInfo{ID: fixtureInc, Title: "Checkout API is down", Severity: "critical", Status: "identified", StartedAt: now}}},
		{ID: "evt_a", Type: EventIncidentAcknowledged, Data: EventData{OccurredAt: now,
			Incident: &IncidentInfo{ID: fixtureInc, Title: "Checkout API is down", Severity: "minor", Status: "identified", StartedAt: now}}},
		{ID: "evt_p", Type: EventPostCreated, Data: EventData{OccurredAt: now, Service: f["status_changed"].Data.Service,
			Post: &PostInfo{ID: uuid.New(), Title: "Checkout API is down", Body: "We are looking into it."}}},
		{ID: "evt_w", Type: EventSLABudgetWarning, Data: EventData{OccurredAt: now, Service: f["status_changed"].Data.Service,
			SLA: &SLAInfo{TargetPercent: 99.9, UptimePercent: 99.92, BudgetUsedPercent: 81.5, Window: "30d"}}},
		{ID: "evt_b", Type: EventSLABreached, Data: EventData{OccurredAt: now, Service: f["status_changed"].Data.Service,
			SLA: &SLAInfo{TargetPercent: 99.9, UptimePercent: 99.85, BudgetUsedPercent: 150, Window: "30d"}}},
		{ID: "evt_d", Type: EventChannelDisabled, Data: EventData{OccurredAt: now,
			Channel: &ChannelInfo{ID: uuid.New(), Name: "ops webhook", Type: TypeWebhook, Reason: "every delivery failed for 5 days"}}},
		{ID: "evt_t", Type: EventTest, Data: EventData{OccurredAt: now}},
	}
}

// golden compares got (JSON) with testdata/<name>, or rewrites it under -update-golden.
func golden(t *testing.T, name string, got any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // golden files read as the chat shows them
	enc.SetIndent("", "  ")
	if err := enc.Encode(got); err != nil {
		t.Fatalf("encoding %s: %v", name, err)
	}
	b := buf.Bytes()
	path := filepath.Join("testdata", name)
	if *updateGolden {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading %s (run with -update-golden to create it): %v", path, err)
	}
	if !bytes.Equal(b, want) {
		t.Fatalf("%s differs from the golden file:\ngot:\n%s\nwant:\n%s", name, b, want)
	}
	return want
}

// decodeStrict decodes a body into a struct that mirrors a documented schema, failing
// on any field the schema does not have.
func decodeStrict(t *testing.T, body []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("body does not fit the documented shape: %v\n%s", err, body)
	}
}

// received is one request a test endpoint got.
type received struct {
	Method, ContentType, UserAgent, Path string
	Body                                 []byte
}

// endpoint is a loopback HTTP server that records requests and answers status and
// answer.
type endpoint struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []received
}

func newEndpoint(t *testing.T, status int, answer string) *endpoint {
	t.Helper()
	e := &endpoint{}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		e.mu.Lock()
		e.reqs = append(e.reqs, received{r.Method, r.Header.Get("Content-Type"), r.Header.Get("User-Agent"), r.URL.Path, body})
		e.mu.Unlock()
		w.WriteHeader(status)
		io.WriteString(w, answer)
	}))
	t.Cleanup(e.Close)
	return e
}

func (e *endpoint) requests() []received {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]received(nil), e.reqs...)
}

// mustOneJSONPost asserts the endpoint got exactly one JSON POST and returns its body.
func mustOneJSONPost(t *testing.T, e *endpoint) []byte {
	t.Helper()
	reqs := e.requests()
	if len(reqs) != 1 {
		t.Fatalf("endpoint got %d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Method != http.MethodPost {
		t.Fatalf("method = %s, want POST", r.Method)
	}
	if r.ContentType != "application/json" {
		t.Fatalf("Content-Type = %q, want application/json", r.ContentType)
	}
	return r.Body
}

func fixedNow() time.Time { return fixtureStart.Add(2 * time.Second) }

func TestReadableDuration(t *testing.T) {
	t.Parallel()
	cases := []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"}, {45 * time.Second, "45s"}, {90 * time.Second, "1m 30s"}, {12 * time.Minute, "12m"},
		{12*time.Minute + 5*time.Second, "12m"}, {65 * time.Minute, "1h 5m"}, {2 * time.Hour, "2h"},
		{74 * time.Hour, "3d 2h"}, {48 * time.Hour, "2d"}, {-time.Second, "0s"},
	}
	for _, c := range cases {
		if got := readableDuration(c.d); got != c.want {
			t.Fatalf("readableDuration(%v) = %q, want %q", c.d, got, c.want)
		}
	}
}

func TestTruncateKeepsRunesWhole(t *testing.T) {
	t.Parallel()
	if got := truncate("🔴🔴🔴🔴", 3); got != "🔴🔴…" {
		t.Fatalf("truncate = %q, want two emoji and an ellipsis", got)
	}
	if got := truncate("short", 10); got != "short" {
		t.Fatalf("truncate changed a short string: %q", got)
	}
}

func TestDescribeSaysWhatHappened(t *testing.T) {
	t.Parallel()
	f := fixtureEvents()
	cases := []struct {
		ev                Event
		title, text, fact string
		tone              tone
	}{
		{f["status_changed"], "Checkout API is down", "HTTP 503 from /health for 3 checks", "Was: 🟢 operational", toneBad},
		{f["incident_created"], "Incident opened: Checkout API is down", "HTTP 503", "Severity: major", toneBad},
		{f["incident_resolved"], "Incident resolved: Checkout API is down", "", "Duration: 1h 5m", toneGood},
		{allTypesEvents()[6], "Checkout API has used 81.5% of its error budget", "", "Target: 99.9%", toneWarning},
		{allTypesEvents()[8], `Channel "ops webhook" was disabled`, "every delivery failed for 5 days", "Channel type: webhook", toneWarning},
	}
	for _, c := range cases {
		m := describe(c.ev)
		plain := m.plainText()
		if m.Title != c.title || !strings.Contains(m.Text, c.text) || !strings.Contains(plain, c.fact) || m.Tone != c.tone {
			t.Fatalf("%s: title %q, text %q, tone %d, plain:\n%s\nwant title %q, text with %q, fact %q, tone %d",
				c.ev.Type, m.Title, m.Text, m.Tone, plain, c.title, c.text, c.fact, c.tone)
		}
	}
}

func TestChatURLValidation(t *testing.T) {
	t.Parallel()
	notifiers := map[string]Notifier{
		TypeSlack:   NewSlack(http.DefaultClient, fixedNow),
		TypeDiscord: NewDiscord(http.DefaultClient, fixedNow),
		TypeMSTeams: NewMSTeams(http.DefaultClient, fixedNow),
	}
	bad := []string{"", "hooks.slack.com/services/x", "ftp://example.com/x", "https://", "https://user:pw@example.com/hook", "::"}
	for typ, n := range notifiers {
		for _, u := range bad {
			err := n.Validate(Target{URL: u})
			if err == nil || !strings.Contains(err.Error(), "url") {
				t.Fatalf("%s: Validate(%q) = %v, want an error naming url", typ, u, err)
			}
			if code, field := apiFieldOf(err); code != "validation_failed" || field != "url" {
				t.Fatalf("%s: Validate(%q) code %q field %q, want validation_failed on url", typ, u, code, field)
			}
		}
		if err := n.Validate(Target{URL: "https://hooks.example.com/services/T0/B0/x"}); err != nil {
			t.Fatalf("%s: a good URL was refused: %v", typ, err)
		}
	}
}

// apiFieldOf is the code and field of an apierr validation error.
func apiFieldOf(err error) (code, field string) {
	e, ok := apierr.As(err)
	if !ok {
		return "", ""
	}
	return e.Code, e.Field
}

// Whatever a sender writes, every chat body keeps its schema and limits, and the
// email stays a parseable two-part message with CRLF lines.
func FuzzChannelBodies(f *testing.F) {
	f.Add("Checkout API", "Checkout API is down", "HTTP 503 from /health", "major")
	f.Add("", "", "   ", "")
	f.Add(strings.Repeat("名", 300), strings.Repeat("<!channel> *", 900), strings.Repeat("[x](y)\n", 2000), "critical")
	f.Add("a\r\nb", "\x00\xff", "line\r\n.\r\nafter a dot line", "minor")
	from := &mail.Address{Address: "alerts@example.com"}
	to := []*mail.Address{{Name: "Ops", Address: "ops@example.com"}}
	f.Fuzz(func(t *testing.T, service, title, message, severity string) {
		base := fixtureEvents()["incident_created"]
		base.Data.Service.Name = service
		base.Data.Incident.Title = title
		base.Data.Incident.Severity = severity
		base.Data.Message = message
		for _, typ := range []string{EventServiceStatusChanged, EventIncidentCreated, EventPostCreated} {
			ev := base
			ev.Type = typ
			ev.Data.Post = &PostInfo{Title: title, Body: message}
			b, _ := json.Marshal(slackBody(ev))
			checkBlockKit(t, b)
			b, _ = json.Marshal(discordBody(ev))
			checkDiscord(t, b)
			b, _ = json.Marshal(teamsBody(ev))
			checkAdaptiveCard(t, b)
			if pe, skip := pagerDutyBody(testRoutingKey, ev); skip == "" {
				b, _ = json.Marshal(pe)
				checkPagerDuty(t, b)
			}
			msg, err := composeEmail(from, to, ev, fixedNow())
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(bytes.ReplaceAll(msg, []byte("\r\n"), nil), []byte("\n")) {
				t.Fatalf("bare LF in the email")
			}
			readMail(t, msg)
		}
	})
}
