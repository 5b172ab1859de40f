package notify

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// The Workflows webhook body with an Adaptive Card, as learn.microsoft.com documents
// it for "Post to a channel when a webhook request is received" and as
// adaptivecards.io defines TextBlock, FactSet and Action.OpenUrl. Decoded strictly.
type acMessage struct {
	Type        string `json:"type"`
	Attachments []struct {
		ContentType string  `json:"contentType"`
		ContentURL  *string `json:"contentUrl"`
		Content     acCard  `json:"content"`
	} `json:"attachments"`
}

type acCard struct {
	Schema  string      `json:"$schema"`
	Type    string      `json:"type"`
	Version string      `json:"version"`
	Body    []acElement `json:"body"`
	Actions []struct {
		Type  string `json:"type"`
		Title string `json:"title"`
		URL   string `json:"url"`
	} `json:"actions"`
	MSTeams map[string]any `json:"msteams"`
}

type acElement struct {
	Type     string `json:"type"`
	Text     string `json:"text"`
	Size     string `json:"size"`
	Weight   string `json:"weight"`
	Color    string `json:"color"`
	Wrap     bool   `json:"wrap"`
	IsSubtle bool   `json:"isSubtle"`
	Spacing  string `json:"spacing"`
	Facts    []struct {
		Title string `json:"title"`
		Value string `json:"value"`
	} `json:"facts"`
}

var (
	acSizes   = map[string]bool{"": true, "Small": true, "Default": true, "Medium": true, "Large": true, "ExtraLarge": true}
	acWeights = map[string]bool{"": true, "Lighter": true, "Default": true, "Bolder": true}
	acColors  = map[string]bool{"": true, "Default": true, "Dark": true, "Light": true, "Accent": true, "Good": true, "Warning": true, "Attention": true}
)

// checkAdaptiveCard asserts the documented envelope and element rules, and returns
// what a reader sees, one line per text and fact.
func checkAdaptiveCard(t *testing.T, body []byte) (acCard, string) {
	t.Helper()
	var m acMessage
	decodeStrict(t, body, &m)
	if m.Type != "message" || len(m.Attachments) != 1 {
		t.Fatalf("type %q with %d attachments, want a message with one", m.Type, len(m.Attachments))
	}
	att := m.Attachments[0]
	if att.ContentType != "application/vnd.microsoft.card.adaptive" || att.ContentURL != nil {
		t.Fatalf("attachment contentType %q contentUrl %v, want an inline adaptive card", att.ContentType, att.ContentURL)
	}
	c := att.Content
	if c.Schema != "http://adaptivecards.io/schemas/adaptive-card.json" || c.Type != "AdaptiveCard" || c.Version != "1.4" {
		t.Fatalf("card $schema %q type %q version %q", c.Schema, c.Type, c.Version)
	}
	var seen strings.Builder
	for i, el := range c.Body {
		switch el.Type {
		case "TextBlock":
			if el.Text == "" || el.Facts != nil {
				t.Fatalf("body %d: a TextBlock needs text and has no facts", i)
			}
			if !acSizes[el.Size] || !acWeights[el.Weight] || !acColors[el.Color] {
				t.Fatalf("body %d: size %q weight %q color %q are not Adaptive Card values", i, el.Size, el.Weight, el.Color)
			}
			seen.WriteString(el.Text + "\n")
		case "FactSet":
			if len(el.Facts) == 0 || el.Text != "" {
				t.Fatalf("body %d: a FactSet needs facts and no text", i)
			}
			for _, f := range el.Facts {
				if f.Title == "" || f.Value == "" {
					t.Fatalf("body %d: fact %q=%q is missing a part", i, f.Title, f.Value)
				}
				seen.WriteString(f.Title + ": " + f.Value + "\n")
			}
		default:
			t.Fatalf("body %d: unexpected element %q", i, el.Type)
		}
	}
	for _, a := range c.Actions {
		if a.Type != "Action.OpenUrl" || a.Title == "" || !strings.HasPrefix(a.URL, "https://") {
			t.Fatalf("action %+v is not an Action.OpenUrl with a title and URL", a)
		}
	}
	if len(body) > 28*1024 {
		t.Fatalf("card of %d bytes, Teams refuses more than 28 KB", len(body))
	}
	return c, seen.String()
}

func TestMSTeamsGolden(t *testing.T) {
	t.Parallel()
	reads := map[string][]string{
		"status_changed":    {"🔴 Checkout API is down\n", "HTTP 503 from /health", "Was: 🟢 operational"},
		"incident_created":  {"🚨 Incident opened: Checkout API is down", "Severity: major", "Started: 2026-12-01 18:02 UTC"},
		"incident_resolved": {"✅ Incident resolved: Checkout API is down", "Duration: 1h 5m"},
	}
	colors := map[string]string{"status_changed": "Attention", "incident_created": "Attention", "incident_resolved": "Good"}
	for name, ev := range fixtureEvents() {
		c, seen := checkAdaptiveCard(t, golden(t, "msteams/"+name+".json", teamsBody(ev)))
		for _, want := range reads[name] {
			if !strings.Contains(seen, want) {
				t.Fatalf("%s: a reader does not see %q in:\n%s", name, want, seen)
			}
		}
		if c.Body[0].Color != colors[name] || c.Body[0].Weight != "Bolder" {
			t.Fatalf("%s: the title is %q %q, want %q and bold", name, c.Body[0].Color, c.Body[0].Weight, colors[name])
		}
		if len(c.Actions) != 1 || c.Actions[0].URL != "https://status.example.com/status/acme" {
			t.Fatalf("%s: actions %+v, want one button to the status page", name, c.Actions)
		}
	}
}

func TestMSTeamsEveryTypeIsACard(t *testing.T) {
	t.Parallel()
	for _, ev := range allTypesEvents() {
		b, _ := json.Marshal(teamsBody(ev))
		checkAdaptiveCard(t, b)
	}
	long := fixtureEvents()["status_changed"]
	long.Data.Message = strings.Repeat("x", 100000)
	b, _ := json.Marshal(teamsBody(long))
	checkAdaptiveCard(t, b)
}

func TestMSTeamsNotifyPostsTheCard(t *testing.T) {
	t.Parallel()
	e := newEndpoint(t, http.StatusAccepted, "")
	ev := fixtureEvents()["status_changed"]
	a := NewMSTeams(e.Client(), fixedNow).Notify(context.Background(), Target{URL: e.URL + "/workflows/abc/triggers/manual/paths/invoke"}, ev)
	if !a.Succeeded() || a.StatusCode != 202 {
		t.Fatalf("attempt = %+v, want a success with 202", a)
	}
	body := mustOneJSONPost(t, e)
	checkAdaptiveCard(t, body)
	want, _ := json.Marshal(teamsBody(ev))
	if string(body) != string(want) {
		t.Fatalf("posted body:\n%s\nwant:\n%s", body, want)
	}
}
