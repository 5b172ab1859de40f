package notify

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"
)

// The Block Kit schema, as api.slack.com/reference/block-kit documents the blocks
// statusgate sends. Decoding is strict, so a field Slack does not know fails here.
type bkMessage struct {
	Text   string    `json:"text"`
	Blocks []bkBlock `json:"blocks"`
}

type bkBlock struct {
	Type     string   `json:"type"`
	BlockID  string   `json:"block_id"`
	Text     *bkText  `json:"text"`
	Fields   []bkText `json:"fields"`
	Elements []bkText `json:"elements"`
}

type bkText struct {
	Type     string `json:"type"`
	Text     string `json:"text"`
	Emoji    bool   `json:"emoji"`
	Verbatim bool   `json:"verbatim"`
}

// checkBlockKit asserts the documented rules of each block and returns the text a
// reader sees in Slack, block by block.
func checkBlockKit(t *testing.T, body []byte) (bkMessage, string) {
	t.Helper()
	var m bkMessage
	decodeStrict(t, body, &m)
	if strings.TrimSpace(m.Text) == "" {
		t.Fatalf("no top-level text: Mattermost and notifications read only that")
	}
	if len(m.Blocks) == 0 || len(m.Blocks) > 50 {
		t.Fatalf("%d blocks, want 1 to 50", len(m.Blocks))
	}
	var seen strings.Builder
	textObj := func(where string, o bkText, max int) {
		if o.Type != "plain_text" && o.Type != "mrkdwn" {
			t.Fatalf("%s: text type %q", where, o.Type)
		}
		if o.Text == "" || utf8.RuneCountInString(o.Text) > max {
			t.Fatalf("%s: text of %d characters, want 1 to %d", where, utf8.RuneCountInString(o.Text), max)
		}
		seen.WriteString(o.Text + "\n")
	}
	for i, b := range m.Blocks {
		switch b.Type {
		case "header":
			if b.Text == nil || b.Text.Type != "plain_text" {
				t.Fatalf("block %d: a header's text must be plain_text", i)
			}
			textObj("header", *b.Text, 150)
		case "section":
			if b.Text == nil && len(b.Fields) == 0 {
				t.Fatalf("block %d: a section needs text or fields", i)
			}
			if b.Text != nil {
				textObj("section", *b.Text, 3000)
			}
			if len(b.Fields) > 10 {
				t.Fatalf("block %d: %d fields, at most 10", i, len(b.Fields))
			}
			for _, f := range b.Fields {
				textObj("section field", f, 2000)
			}
		case "context":
			if len(b.Elements) == 0 || len(b.Elements) > 10 {
				t.Fatalf("block %d: %d context elements, want 1 to 10", i, len(b.Elements))
			}
			for _, e := range b.Elements {
				textObj("context", e, 3000)
			}
		default:
			t.Fatalf("block %d: unexpected type %q", i, b.Type)
		}
	}
	if m.Blocks[0].Type != "header" {
		t.Fatalf("the first block is %q, want the header", m.Blocks[0].Type)
	}
	return m, seen.String()
}

func TestSlackGolden(t *testing.T) {
	t.Parallel()
	reads := map[string][]string{
		"status_changed":    {"🔴 Checkout API is down", "HTTP 503 from /health", "*Was*\n🟢 operational", "<https://status.example.com/status/acme|View the status page>", "via webhook"},
		"incident_created":  {"🚨 Incident opened: Checkout API is down", "*Severity*\nmajor", "*Incident status*\ninvestigating", "*Started*\n2026-12-01 18:02 UTC"},
		"incident_resolved": {"✅ Incident resolved: Checkout API is down", "*Duration*\n1h 5m", "*Resolved*\n2026-12-01 19:07 UTC"},
	}
	for name, ev := range fixtureEvents() {
		body := golden(t, "slack/"+name+".json", slackBody(ev))
		m, seen := checkBlockKit(t, body)
		for _, want := range reads[name] {
			if !strings.Contains(seen, want) {
				t.Fatalf("%s: a reader does not see %q in:\n%s", name, want, seen)
			}
		}
		if !strings.Contains(m.Text, reads[name][0]) {
			t.Fatalf("%s: text %q lacks the title %q", name, m.Text, reads[name][0])
		}
	}
}

func TestSlackEveryTypeFitsBlockKit(t *testing.T) {
	t.Parallel()
	for _, ev := range allTypesEvents() {
		b, _ := json.Marshal(slackBody(ev))
		checkBlockKit(t, b)
	}
	long := fixtureEvents()["status_changed"]
	long.Data.Service.Name = strings.Repeat("S", 500)
	long.Data.Message = strings.Repeat("a long message ", 1000)
	b, _ := json.Marshal(slackBody(long))
	m, _ := checkBlockKit(t, b)
	if n := utf8.RuneCountInString(m.Text); n > slackTextMax {
		t.Fatalf("text of %d characters, want at most %d", n, slackTextMax)
	}
}

func TestSlackEscapesWhatASenderWrote(t *testing.T) {
	t.Parallel()
	ev := fixtureEvents()["status_changed"]
	ev.Data.Message = "<!channel> look at <https://evil.example|this> & that"
	b, _ := json.Marshal(slackBody(ev))
	_, seen := checkBlockKit(t, b)
	if strings.Contains(seen, "<!channel>") || strings.Contains(seen, "<https://evil") {
		t.Fatalf("a sender's markup reached Slack unescaped:\n%s", seen)
	}
	if !strings.Contains(seen, "&lt;!channel&gt; look at &lt;https://evil.example|this&gt; &amp; that") {
		t.Fatalf("the message is not shown escaped:\n%s", seen)
	}
}

func TestSlackNotifyPostsTheBlocks(t *testing.T) {
	t.Parallel()
	e := newEndpoint(t, http.StatusOK, "ok")
	ev := fixtureEvents()["incident_created"]
	s := NewSlack(e.Client(), fixedNow)
	a := s.Notify(context.Background(), Target{Type: TypeSlack, URL: e.URL + "/services/T0/B0/x"}, ev)
	if !a.Succeeded() || a.StatusCode != 200 || a.Body != "ok" || !a.At.Equal(fixedNow()) {
		t.Fatalf("attempt = %+v, want a success with status 200 and body ok at %v", a, fixedNow())
	}
	body := mustOneJSONPost(t, e)
	want, _ := json.Marshal(slackBody(ev))
	if string(body) != string(want) {
		t.Fatalf("posted body:\n%s\nwant:\n%s", body, want)
	}
	if got := e.requests()[0].Path; got != "/services/T0/B0/x" {
		t.Fatalf("posted to %q, want the webhook's path", got)
	}
}

func TestSlackNotifyReportsARefusal(t *testing.T) {
	t.Parallel()
	e := newEndpoint(t, http.StatusBadRequest, "invalid_blocks")
	a := NewSlack(e.Client(), fixedNow).Notify(context.Background(), Target{URL: e.URL}, fixtureEvents()["status_changed"])
	if a.Succeeded() || a.StatusCode != 400 || a.Body != "invalid_blocks" || a.Error == "" {
		t.Fatalf("attempt = %+v, want a failure with status 400 and Slack's answer", a)
	}
}
