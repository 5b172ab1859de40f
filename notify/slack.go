package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Slack posts events to a Slack incoming webhook as a Block Kit message: a header
// with the status emoji, the message, the facts as section fields, and a context line
// with the time (in the reader's own time zone) and the source.
//
// Mattermost (and other Slack-compatible chats) accept the same body: they ignore
// blocks and show the top-level text, which therefore carries the whole message in
// plain lines rather than only a one-line notification preview.
type Slack struct {
	client *http.Client
	now    func() time.Time
}

var _ Notifier = (*Slack)(nil)

// NewSlack returns the Slack notifier. client is the outbound client (statusgate's
// never follows redirects and refuses private addresses); now stamps attempts.
func NewSlack(client *http.Client, now func() time.Time) *Slack {
	return &Slack{client: client, now: now}
}

// Block Kit limits (api.slack.com/reference/block-kit/blocks): beyond them Slack
// answers 400 invalid_blocks, so every text is cut to fit instead.
const (
	slackHeaderMax  = 150
	slackSectionMax = 3000
	slackFieldMax   = 2000
	slackFieldsMax  = 10
	slackTextMax    = 4000 // Slack truncates text past 40,000; 4,000 keeps previews sane
)

// slackMessage is the incoming-webhook body.
type slackMessage struct {
	Text   string       `json:"text"`
	Blocks []slackBlock `json:"blocks"`
}

// slackBlock is a header, section or context block.
type slackBlock struct {
	Type     string      `json:"type"`
	Text     *slackText  `json:"text,omitempty"`
	Fields   []slackText `json:"fields,omitempty"`
	Elements []slackText `json:"elements,omitempty"`
}

// slackText is a Block Kit text object.
type slackText struct {
	Type  string `json:"type"` // plain_text or mrkdwn
	Text  string `json:"text"`
	Emoji bool   `json:"emoji,omitempty"`
}

// Validate checks the webhook URL.
func (s *Slack) Validate(t Target) error {
	return checkEndpointURL(t.URL)
}

// Notify posts one event.
func (s *Slack) Notify(ctx context.Context, t Target, ev Event) Attempt {
	body, err := json.Marshal(slackBody(ev))
	if err != nil {
		return Attempt{At: s.now(), Error: fmt.Sprintf("encoding the message: %v", err)}
	}
	return post(ctx, s.client, t.URL, nil, body, s.now)
}

// slackBody renders an event as Block Kit.
func slackBody(ev Event) slackMessage {
	m := describe(ev)
	blocks := []slackBlock{{
		Type: "header",
		Text: &slackText{Type: "plain_text", Text: truncate(m.Emoji+" "+m.Title, slackHeaderMax), Emoji: true},
	}}
	if m.Text != "" {
		blocks = append(blocks, slackBlock{
			Type: "section",
			Text: &slackText{Type: "mrkdwn", Text: truncate(slackEscape(m.Text), slackSectionMax)},
		})
	}
	if len(m.Fields) > 0 {
		var fields []slackText
		for _, f := range m.Fields {
			if len(fields) == slackFieldsMax {
				break
			}
			fields = append(fields, slackText{
				Type: "mrkdwn",
				Text: truncate("*"+slackEscape(f.Name)+"*\n"+slackEscape(f.Value), slackFieldMax),
			})
		}
		blocks = append(blocks, slackBlock{Type: "section", Fields: fields})
	}
	if m.Link != "" {
		blocks = append(blocks, slackBlock{
			Type: "section",
			Text: &slackText{Type: "mrkdwn", Text: "<" + slackEscape(m.Link) + "|View the status page>"},
		})
	}
	// <!date^unix^format|fallback> shows the time in each reader's own zone.
	when := fmt.Sprintf("<!date^%d^{date_short_pretty} at {time}|%s>", m.At.Unix(), readableTime(m.At))
	blocks = append(blocks, slackBlock{
		Type:     "context",
		Elements: []slackText{{Type: "mrkdwn", Text: when + " · " + slackEscape(m.Footer)}},
	})
	return slackMessage{Text: truncate(slackEscape(m.plainText()), slackTextMax), Blocks: blocks}
}

// slackEscaper escapes the three characters Slack's mrkdwn gives meaning to, so a
// message from a sender can neither ping a channel (<!channel>) nor disguise a link.
var slackEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

func slackEscape(s string) string { return slackEscaper.Replace(s) }
