package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// Discord posts events to a Discord webhook (Execute Webhook): a one-line content for
// the notification preview and one embed with the colour of the news, the facts as
// fields and the event time. Mentions are switched off, so a sender's message that
// says @everyone pings nobody.
type Discord struct {
	client *http.Client
	now    func() time.Time
}

var _ Notifier = (*Discord)(nil)

// NewDiscord returns the Discord notifier. client is the outbound client; now stamps
// attempts.
func NewDiscord(client *http.Client, now func() time.Time) *Discord {
	return &Discord{client: client, now: now}
}

// Discord's message limits (discord.com/developers/docs/resources/message#embed-object-embed-limits).
// A body past any of them is a 400, so the embed is cut to fit instead.
const (
	discordContentMax     = 2000
	discordTitleMax       = 256
	discordDescriptionMax = 4096
	discordFieldsMax      = 25
	discordFieldNameMax   = 256
	discordFieldValueMax  = 1024
	discordFooterMax      = 2048
	discordEmbedTotalMax  = 6000 // title + description + field names and values + footer
)

// Embed colours, by tone.
var discordColor = map[tone]int{
	toneNeutral:     0x95A5A6, // grey
	toneGood:        0x2ECC71, // green
	toneWarning:     0xF1C40F, // yellow
	toneBad:         0xE74C3C, // red
	toneCritical:    0x992D22, // dark red
	toneMaintenance: 0x3498DB, // blue
}

// discordMessage is the Execute Webhook body.
type discordMessage struct {
	Content         string                 `json:"content"`
	Embeds          []discordEmbed         `json:"embeds"`
	AllowedMentions discordAllowedMentions `json:"allowed_mentions"`
}

type discordEmbed struct {
	Title       string         `json:"title"`
	Description string         `json:"description,omitempty"`
	URL         string         `json:"url,omitempty"`
	Color       int            `json:"color"`
	Fields      []discordField `json:"fields,omitempty"`
	Timestamp   string         `json:"timestamp"`
	Footer      *discordFooter `json:"footer,omitempty"`
}

type discordField struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Inline bool   `json:"inline"`
}

type discordFooter struct {
	Text string `json:"text"`
}

// discordAllowedMentions with an empty parse list allows no mention at all.
type discordAllowedMentions struct {
	Parse []string `json:"parse"`
}

// Validate checks the webhook URL.
func (d *Discord) Validate(t Target) error {
	return checkEndpointURL(t.URL)
}

// Notify posts one event.
func (d *Discord) Notify(ctx context.Context, t Target, ev Event) Attempt {
	body, err := json.Marshal(discordBody(ev))
	if err != nil {
		return Attempt{At: d.now(), Error: fmt.Sprintf("encoding the message: %v", err)}
	}
	return post(ctx, d.client, t.URL, nil, body, d.now)
}

// discordBody renders an event as a message with one embed, within Discord's limits.
func discordBody(ev Event) discordMessage {
	m := describe(ev)
	e := discordEmbed{
		Title:       truncate(m.Emoji+" "+m.Title, discordTitleMax),
		Description: truncate(discordEscape(m.Text), discordDescriptionMax),
		URL:         m.Link,
		Color:       discordColor[m.Tone],
		Timestamp:   m.At.UTC().Format(time.RFC3339),
		Footer:      &discordFooter{Text: truncate(m.Footer, discordFooterMax)},
	}
	for _, f := range m.Fields {
		if len(e.Fields) == discordFieldsMax {
			break
		}
		value := f.Value
		if value == "" {
			value = "—" // Discord refuses an empty field value
		}
		e.Fields = append(e.Fields, discordField{
			Name:   truncate(f.Name, discordFieldNameMax),
			Value:  truncate(discordEscape(value), discordFieldValueMax),
			Inline: f.Short,
		})
	}
	fitDiscordTotal(&e)
	return discordMessage{
		Content:         truncate(m.Emoji+" "+discordEscape(m.Title), discordContentMax),
		Embeds:          []discordEmbed{e},
		AllowedMentions: discordAllowedMentions{Parse: []string{}},
	}
}

// discordEmbedLen counts what Discord counts against the 6,000-character total.
func discordEmbedLen(e discordEmbed) int {
	n := utf8.RuneCountInString(e.Title) + utf8.RuneCountInString(e.Description)
	for _, f := range e.Fields {
		n += utf8.RuneCountInString(f.Name) + utf8.RuneCountInString(f.Value)
	}
	if e.Footer != nil {
		n += utf8.RuneCountInString(e.Footer.Text)
	}
	return n
}

// fitDiscordTotal brings an embed under the total limit: the description gives way
// first (the facts in the fields matter more than a long message), then the last
// fields.
func fitDiscordTotal(e *discordEmbed) {
	over := discordEmbedLen(*e) - discordEmbedTotalMax
	if over <= 0 {
		return
	}
	if d := utf8.RuneCountInString(e.Description); d > 0 {
		keep := d - over
		if keep < 1 {
			keep = 0
		}
		e.Description = truncate(e.Description, keep)
	}
	for discordEmbedLen(*e) > discordEmbedTotalMax && len(e.Fields) > 0 {
		e.Fields = e.Fields[:len(e.Fields)-1]
	}
}

// discordEscaper neutralises Discord markdown in text that came from a sender, so a
// payload's message cannot make a masked link or reformat the alert.
var discordEscaper = strings.NewReplacer(
	`\`, `\\`, "*", `\*`, "_", `\_`, "~", `\~`, "`", "\\`", "|", `\|`,
	">", `\>`, "#", `\#`, "[", `\[`, "]", `\]`, "(", `\(`, ")", `\)`,
)

func discordEscape(s string) string { return discordEscaper.Replace(s) }
