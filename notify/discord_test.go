package notify

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// The Execute Webhook body as discord.com/developers/docs/resources/webhook documents
// it (the fields statusgate may send), decoded strictly.
type dcMessage struct {
	Content         string    `json:"content"`
	Username        string    `json:"username"`
	AvatarURL       string    `json:"avatar_url"`
	TTS             bool      `json:"tts"`
	Embeds          []dcEmbed `json:"embeds"`
	AllowedMentions *struct {
		Parse []string `json:"parse"`
		Users []string `json:"users"`
		Roles []string `json:"roles"`
	} `json:"allowed_mentions"`
}

type dcEmbed struct {
	Title       string    `json:"title"`
	Type        string    `json:"type"`
	Description string    `json:"description"`
	URL         string    `json:"url"`
	Timestamp   string    `json:"timestamp"`
	Color       int       `json:"color"`
	Footer      *dcFooter `json:"footer"`
	Fields      []struct {
		Name   string `json:"name"`
		Value  string `json:"value"`
		Inline bool   `json:"inline"`
	} `json:"fields"`
}

type dcFooter struct {
	Text    string `json:"text"`
	IconURL string `json:"icon_url"`
}

func runes(s string) int { return utf8.RuneCountInString(s) }

// checkDiscord asserts Discord's documented limits and returns the message.
func checkDiscord(t *testing.T, body []byte) dcMessage {
	t.Helper()
	var m dcMessage
	decodeStrict(t, body, &m)
	if m.Content == "" && len(m.Embeds) == 0 {
		t.Fatalf("a message needs content or embeds")
	}
	if runes(m.Content) > 2000 {
		t.Fatalf("content of %d characters, at most 2000", runes(m.Content))
	}
	if m.AllowedMentions == nil || m.AllowedMentions.Parse == nil || len(m.AllowedMentions.Parse) != 0 {
		t.Fatalf("allowed_mentions must be present with an empty parse list, so nobody is pinged")
	}
	if len(m.Embeds) != 1 {
		t.Fatalf("%d embeds, want 1", len(m.Embeds))
	}
	e := m.Embeds[0]
	total := runes(e.Title) + runes(e.Description)
	if e.Title == "" || runes(e.Title) > 256 {
		t.Fatalf("title of %d characters, want 1 to 256", runes(e.Title))
	}
	if runes(e.Description) > 4096 {
		t.Fatalf("description of %d characters, at most 4096", runes(e.Description))
	}
	if len(e.Fields) > 25 {
		t.Fatalf("%d fields, at most 25", len(e.Fields))
	}
	for _, f := range e.Fields {
		if f.Name == "" || runes(f.Name) > 256 || f.Value == "" || runes(f.Value) > 1024 {
			t.Fatalf("field %q=%q breaks the 1-256 / 1-1024 limits", f.Name, f.Value)
		}
		total += runes(f.Name) + runes(f.Value)
	}
	if e.Footer != nil {
		if runes(e.Footer.Text) > 2048 {
			t.Fatalf("footer of %d characters, at most 2048", runes(e.Footer.Text))
		}
		total += runes(e.Footer.Text)
	}
	if total > 6000 {
		t.Fatalf("embed totals %d characters, at most 6000", total)
	}
	if _, err := time.Parse(time.RFC3339, e.Timestamp); err != nil {
		t.Fatalf("timestamp %q is not ISO 8601: %v", e.Timestamp, err)
	}
	if e.Color < 0 || e.Color > 0xFFFFFF {
		t.Fatalf("color %d is not an RGB integer", e.Color)
	}
	return m
}

func TestDiscordGolden(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		title, field string
		color        int
		at           string
	}{
		"status_changed":    {"🔴 Checkout API is down", "Was=🟢 operational", 0xE74C3C, "2026-12-01T18:02:00Z"},
		"incident_created":  {"🚨 Incident opened: Checkout API is down", "Severity=major", 0xE74C3C, "2026-12-01T18:02:00Z"},
		"incident_resolved": {"✅ Incident resolved: Checkout API is down", "Duration=1h 5m", 0x2ECC71, "2026-12-01T19:07:00Z"},
	}
	for name, ev := range fixtureEvents() {
		want := cases[name]
		m := checkDiscord(t, golden(t, "discord/"+name+".json", discordBody(ev)))
		e := m.Embeds[0]
		var fields []string
		for _, f := range e.Fields {
			fields = append(fields, f.Name+"="+f.Value)
		}
		if e.Title != want.title || e.Color != want.color || e.Timestamp != want.at || !strings.Contains(strings.Join(fields, "\n"), want.field) {
			t.Fatalf("%s: title %q color %#x at %s fields %v; want %q, %#x, %s and %q", name, e.Title, e.Color, e.Timestamp, fields, want.title, want.color, want.at, want.field)
		}
		if e.URL != "https://status.example.com/status/acme" || !strings.Contains(m.Content, "Checkout API") {
			t.Fatalf("%s: url %q content %q, want the page link and the service in the preview", name, e.URL, m.Content)
		}
	}
}

func TestDiscordKeepsEveryLimit(t *testing.T) {
	t.Parallel()
	for _, ev := range allTypesEvents() {
		b, _ := json.Marshal(discordBody(ev))
		checkDiscord(t, b)
	}
	// Every part at once too long: the embed must still go through, title first.
	ev := fixtureEvents()["incident_created"]
	ev.Data.Incident.Title = strings.Repeat("T", 1000)
	ev.Data.Service.Name = strings.Repeat("N", 3000)
	ev.Data.Message = strings.Repeat("m", 10000)
	ev.Data.Source = strings.Repeat("s", 3000)
	b, _ := json.Marshal(discordBody(ev))
	m := checkDiscord(t, b)
	if !strings.HasPrefix(m.Embeds[0].Title, "🚨 Incident opened: TTT") {
		t.Fatalf("title %q lost its start", m.Embeds[0].Title)
	}
}

func TestDiscordEscapesMarkdown(t *testing.T) {
	t.Parallel()
	ev := fixtureEvents()["status_changed"]
	ev.Data.Message = "[click](https://evil.example) **now** @everyone"
	b, _ := json.Marshal(discordBody(ev))
	m := checkDiscord(t, b)
	if got := m.Embeds[0].Description; got != `\[click\]\(https://evil.example\) \*\*now\*\* @everyone` {
		t.Fatalf("description = %q, want the markdown escaped", got)
	}
}

func TestDiscordNotifyPostsTheEmbed(t *testing.T) {
	t.Parallel()
	e := newEndpoint(t, http.StatusNoContent, "")
	ev := fixtureEvents()["incident_resolved"]
	a := NewDiscord(e.Client(), fixedNow).Notify(context.Background(), Target{URL: e.URL + "/api/webhooks/1/tok"}, ev)
	if !a.Succeeded() || a.StatusCode != 204 {
		t.Fatalf("attempt = %+v, want a success with 204", a)
	}
	body := mustOneJSONPost(t, e)
	checkDiscord(t, body)
	want, _ := json.Marshal(discordBody(ev))
	if string(body) != string(want) {
		t.Fatalf("posted body:\n%s\nwant:\n%s", body, want)
	}
}

func TestDiscordNotifyReportsARateLimit(t *testing.T) {
	t.Parallel()
	e := newEndpoint(t, http.StatusTooManyRequests, `{"message":"You are being rate limited.","retry_after":2.5}`)
	a := NewDiscord(e.Client(), fixedNow).Notify(context.Background(), Target{URL: e.URL}, fixtureEvents()["status_changed"])
	if a.Succeeded() || a.StatusCode != 429 || !strings.Contains(a.Body, "rate limited") {
		t.Fatalf("attempt = %+v, want a 429 failure with Discord's answer", a)
	}
}
