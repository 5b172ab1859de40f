package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// MSTeams posts events to a Microsoft Teams Workflows webhook (the "Post to a channel
// when a webhook request is received" flow) as an Adaptive Card 1.4: the title in the
// colour of the news, the message, the facts as a FactSet and a button to the status
// page. Office 365 connectors (MessageCard) are retired, so the Workflows shape is the
// only one sent.
type MSTeams struct {
	client *http.Client
	now    func() time.Time
}

var _ Notifier = (*MSTeams)(nil)

// NewMSTeams returns the Teams notifier. client is the outbound client; now stamps
// attempts.
func NewMSTeams(client *http.Client, now func() time.Time) *MSTeams {
	return &MSTeams{client: client, now: now}
}

// Teams refuses messages above about 28 KB; these caps keep any event well below.
const (
	teamsTextMax  = 4000
	teamsFactMax  = 1000
	teamsFactsMax = 20
)

// Adaptive Card colours of a TextBlock, by tone.
var teamsColor = map[tone]string{
	toneNeutral:     "Default",
	toneGood:        "Good",
	toneWarning:     "Warning",
	toneBad:         "Attention",
	toneCritical:    "Attention",
	toneMaintenance: "Accent",
}

// teamsMessage is the Workflows webhook body: a message with one card attachment.
type teamsMessage struct {
	Type        string            `json:"type"`
	Attachments []teamsAttachment `json:"attachments"`
}

type teamsAttachment struct {
	ContentType string    `json:"contentType"`
	ContentURL  *string   `json:"contentUrl"`
	Content     teamsCard `json:"content"`
}

type teamsCard struct {
	Schema  string         `json:"$schema"`
	Type    string         `json:"type"`
	Version string         `json:"version"`
	Body    []teamsElement `json:"body"`
	Actions []teamsAction  `json:"actions,omitempty"`
}

// teamsElement is a TextBlock or a FactSet.
type teamsElement struct {
	Type     string      `json:"type"`
	Text     string      `json:"text,omitempty"`
	Size     string      `json:"size,omitempty"`
	Weight   string      `json:"weight,omitempty"`
	Color    string      `json:"color,omitempty"`
	Wrap     bool        `json:"wrap,omitempty"`
	IsSubtle bool        `json:"isSubtle,omitempty"`
	Spacing  string      `json:"spacing,omitempty"`
	Facts    []teamsFact `json:"facts,omitempty"`
}

type teamsFact struct {
	Title string `json:"title"`
	Value string `json:"value"`
}

type teamsAction struct {
	Type  string `json:"type"`
	Title string `json:"title"`
	URL   string `json:"url"`
}

// Validate checks the webhook URL.
func (n *MSTeams) Validate(t Target) error {
	return checkEndpointURL(t.URL)
}

// Notify posts one event.
func (n *MSTeams) Notify(ctx context.Context, t Target, ev Event) Attempt {
	body, err := json.Marshal(teamsBody(ev))
	if err != nil {
		return Attempt{At: n.now(), Error: fmt.Sprintf("encoding the card: %v", err)}
	}
	return post(ctx, n.client, t.URL, nil, body, n.now)
}

// teamsBody renders an event as an Adaptive Card message.
func teamsBody(ev Event) teamsMessage {
	m := describe(ev)
	body := []teamsElement{{
		Type: "TextBlock", Text: truncate(m.Emoji+" "+m.Title, teamsFactMax),
		Size: "Large", Weight: "Bolder", Color: teamsColor[m.Tone], Wrap: true,
	}}
	if m.Text != "" {
		body = append(body, teamsElement{Type: "TextBlock", Text: truncate(m.Text, teamsTextMax), Wrap: true})
	}
	if len(m.Fields) > 0 {
		facts := teamsElement{Type: "FactSet"}
		for _, f := range m.Fields {
			if len(facts.Facts) == teamsFactsMax {
				break
			}
			facts.Facts = append(facts.Facts, teamsFact{Title: f.Name, Value: truncate(f.Value, teamsFactMax)})
		}
		body = append(body, facts)
	}
	body = append(body, teamsElement{
		Type: "TextBlock", Text: readableTime(m.At) + " · " + m.Footer,
		Size: "Small", IsSubtle: true, Wrap: true, Spacing: "Medium",
	})
	card := teamsCard{
		Schema:  "http://adaptivecards.io/schemas/adaptive-card.json",
		Type:    "AdaptiveCard",
		Version: "1.4",
		Body:    body,
	}
	if m.Link != "" {
		card.Actions = []teamsAction{{Type: "Action.OpenUrl", Title: "View the status page", URL: m.Link}}
	}
	return teamsMessage{
		Type: "message",
		Attachments: []teamsAttachment{{
			ContentType: "application/vnd.microsoft.card.adaptive",
			Content:     card,
		}},
	}
}
