package notify

import (
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/statusgate/statusgate/apierr"
)

// message is what a person reads of an event, before any channel's markup: the chat
// and email channel types render this one value, so Slack, Discord, Teams and email
// say the same thing in their own format.
type message struct {
	// Emoji leads the title: the status or the kind of event at a glance.
	Emoji string
	// Title is one line, e.g. "API is down" or "Incident resolved: Login fails".
	Title string
	// Text is the sentence or two under the title; may be empty.
	Text string
	// Fields are the facts, in reading order.
	Fields []field
	// Tone says how good or bad the news is; each channel maps it to its own colour.
	Tone tone
	// Link is the public status page, when the event names one.
	Link string
	// At is when the change happened.
	At time.Time
	// Footer names where the change came from, e.g. "statusgate · via webhook".
	Footer string
}

// field is one labelled fact of a message.
type field struct {
	Name, Value string
	// Short fields may sit side by side (Slack section fields, Discord inline fields).
	Short bool
}

// tone is how good or bad an event is, independent of any channel's palette.
type tone int

const (
	toneNeutral     tone = iota // tests, posts, anything without a verdict
	toneGood                    // operational, resolved
	toneWarning                 // degraded, minor, budget warning
	toneBad                     // down, major, breached
	toneCritical                // critical incidents
	toneMaintenance             // planned work
)

// statusWords are how a status reads in a sentence ("API is under maintenance").
var statusWords = map[string]string{
	"operational": "operational",
	"degraded":    "degraded",
	"down":        "down",
	"maintenance": "under maintenance",
}

// statusEmoji marks each status the same way in every channel.
var statusEmoji = map[string]string{
	"operational": "🟢",
	"degraded":    "🟡",
	"down":        "🔴",
	"maintenance": "🔧",
}

var statusTone = map[string]tone{
	"operational": toneGood,
	"degraded":    toneWarning,
	"down":        toneBad,
	"maintenance": toneMaintenance,
}

var severityTone = map[string]tone{
	"minor":    toneWarning,
	"major":    toneBad,
	"critical": toneCritical,
}

// statusPhrase is a status as it reads after "is": unknown words pass through.
func statusPhrase(status string) string {
	if w, ok := statusWords[status]; ok {
		return w
	}
	return status
}

// statusLabel is a status with its emoji, for fields: "🔴 down".
func statusLabel(status string) string {
	if e, ok := statusEmoji[status]; ok {
		return e + " " + statusPhrase(status)
	}
	return status
}

// describe turns an event into what a person reads. Every event type has its own
// wording; an unknown type still reads sensibly from whatever data it carries.
func describe(ev Event) message {
	d := ev.Data
	m := message{Link: d.PageURL, At: d.OccurredAt, Footer: "statusgate"}
	if m.At.IsZero() {
		m.At = ev.Timestamp
	}
	if d.Source != "" {
		m.Footer += " · via " + d.Source
	}
	// A blank message is no message: chats refuse empty sections.
	msgText := strings.TrimSpace(d.Message)
	svc := "A service"
	if d.Service != nil && d.Service.Name != "" {
		svc = d.Service.Name
	}
	switch ev.Type {
	case EventServiceStatusChanged:
		status := ""
		if d.Service != nil {
			status = d.Service.Status
		}
		m.Emoji = statusEmoji[status]
		m.Title = svc + " is " + statusPhrase(status)
		m.Tone = statusTone[status]
		m.Text = msgText
		if d.Service != nil {
			m.Fields = append(m.Fields, field{"Status", statusLabel(d.Service.Status), true})
			if d.Service.PreviousStatus != "" {
				m.Fields = append(m.Fields, field{"Was", statusLabel(d.Service.PreviousStatus), true})
			}
		}
	case EventIncidentCreated, EventIncidentUpdated, EventIncidentAcknowledged, EventIncidentResolved:
		inc := d.Incident
		if inc == nil {
			inc = &IncidentInfo{Title: "(no incident data)"}
		}
		switch ev.Type {
		case EventIncidentCreated:
			m.Emoji, m.Title = "🚨", "Incident opened: "+inc.Title
		case EventIncidentUpdated:
			m.Emoji, m.Title = "📣", "Incident updated: "+inc.Title
		case EventIncidentAcknowledged:
			m.Emoji, m.Title = "👀", "Incident acknowledged: "+inc.Title
		case EventIncidentResolved:
			m.Emoji, m.Title = "✅", "Incident resolved: "+inc.Title
		}
		m.Tone = severityTone[inc.Severity]
		if ev.Type == EventIncidentResolved || inc.Status == "resolved" {
			m.Tone = toneGood
		}
		m.Text = msgText
		if m.Text == "" && ev.Type == EventIncidentResolved && inc.DurationSeconds != nil {
			m.Text = "Resolved after " + readableDuration(time.Duration(*inc.DurationSeconds)*time.Second) + "."
		}
		if d.Service != nil {
			m.Fields = append(m.Fields, field{"Service", svc, true})
		}
		if inc.Severity != "" {
			m.Fields = append(m.Fields, field{"Severity", inc.Severity, true})
		}
		if inc.Status != "" {
			m.Fields = append(m.Fields, field{"Incident status", inc.Status, true})
		}
		if d.Service != nil && d.Service.Status != "" {
			m.Fields = append(m.Fields, field{"Service status", statusLabel(d.Service.Status), true})
		}
		if !inc.StartedAt.IsZero() {
			m.Fields = append(m.Fields, field{"Started", readableTime(inc.StartedAt), true})
		}
		if inc.ResolvedAt != nil {
			m.Fields = append(m.Fields, field{"Resolved", readableTime(*inc.ResolvedAt), true})
		}
		if inc.DurationSeconds != nil {
			m.Fields = append(m.Fields, field{"Duration", readableDuration(time.Duration(*inc.DurationSeconds) * time.Second), true})
		}
	case EventPostCreated:
		m.Emoji, m.Tone = "📝", toneNeutral
		if d.Post != nil {
			m.Title, m.Text = d.Post.Title, strings.TrimSpace(d.Post.Body)
		} else {
			m.Title = "New status post"
		}
		if d.Service != nil {
			m.Fields = append(m.Fields, field{"Service", svc, true})
			if d.Service.Status != "" {
				m.Fields = append(m.Fields, field{"Status", statusLabel(d.Service.Status), true})
			}
		}
	case EventSLABudgetWarning, EventSLABreached:
		if ev.Type == EventSLABudgetWarning {
			m.Emoji, m.Tone = "⚠️", toneWarning
			m.Title = svc + " has used most of its error budget"
		} else {
			m.Emoji, m.Tone = "📉", toneBad
			m.Title = svc + " is below its SLA"
		}
		m.Text = msgText
		if sla := d.SLA; sla != nil {
			if ev.Type == EventSLABudgetWarning {
				m.Title = fmt.Sprintf("%s has used %s of its error budget", svc, percent(sla.BudgetUsedPercent))
			}
			m.Fields = append(m.Fields,
				field{"Uptime", percent(sla.UptimePercent), true},
				field{"Target", percent(sla.TargetPercent), true},
				field{"Error budget used", percent(sla.BudgetUsedPercent), true})
			if sla.Window != "" {
				m.Fields = append(m.Fields, field{"Window", sla.Window, true})
			}
		}
	case EventChannelDisabled:
		m.Emoji, m.Tone = "🔕", toneWarning
		if c := d.Channel; c != nil {
			m.Title = fmt.Sprintf("Channel %q was disabled", c.Name)
			m.Text = strings.TrimSpace(c.Reason)
			m.Fields = append(m.Fields, field{"Channel type", c.Type, true})
		} else {
			m.Title = "A channel was disabled"
		}
		if m.Text == "" {
			m.Text = msgText
		}
	case EventTest:
		m.Emoji, m.Tone = "🧪", toneNeutral
		m.Title = "Test notification from statusgate"
		m.Text = msgText
		if m.Text == "" {
			m.Text = "This channel is set up correctly."
		}
	default:
		m.Title = ev.Type
		m.Text = msgText
		if d.Service != nil {
			m.Title = svc + ": " + ev.Type
			m.Fields = append(m.Fields, field{"Status", statusLabel(d.Service.Status), true})
		}
	}
	if m.Emoji == "" {
		m.Emoji = "ℹ️"
	}
	return m
}

// plainText is the whole message as plain lines: chat fallbacks, email, PagerDuty.
func (m message) plainText() string {
	var b strings.Builder
	b.WriteString(m.Emoji + " " + m.Title + "\n")
	if m.Text != "" {
		b.WriteString("\n" + m.Text + "\n")
	}
	if len(m.Fields) > 0 {
		b.WriteString("\n")
		for _, f := range m.Fields {
			b.WriteString(f.Name + ": " + f.Value + "\n")
		}
	}
	if m.Link != "" {
		b.WriteString("\nStatus page: " + m.Link + "\n")
	}
	b.WriteString("\n" + readableTime(m.At) + " · " + m.Footer + "\n")
	return b.String()
}

// readableTime is a time as a person reads it in any time zone: "2026-12-01 19:03 UTC".
func readableTime(t time.Time) string {
	if t.IsZero() {
		return "unknown time"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// readableDuration is "45s", "12m", "1h 5m" or "3d 2h": two units at most, because
// nobody reading an alert needs the seconds of a three-day outage.
func readableDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	d = d.Round(time.Second)
	days, d := d/(24*time.Hour), d%(24*time.Hour)
	hours, d := d/time.Hour, d%time.Hour
	mins, d := d/time.Minute, d%time.Minute
	secs := d / time.Second
	switch {
	case days > 0 && hours > 0:
		return fmt.Sprintf("%dd %dh", days, hours)
	case days > 0:
		return fmt.Sprintf("%dd", days)
	case hours > 0 && mins > 0:
		return fmt.Sprintf("%dh %dm", hours, mins)
	case hours > 0:
		return fmt.Sprintf("%dh", hours)
	case mins > 0 && secs > 0 && mins < 10:
		return fmt.Sprintf("%dm %ds", mins, secs)
	case mins > 0:
		return fmt.Sprintf("%dm", mins)
	default:
		return fmt.Sprintf("%ds", secs)
	}
}

// percent prints a percentage with as many decimals as an SLA needs (99.95 %, not 100 %).
func percent(p float64) string {
	s := strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.3f", p), "0"), ".")
	return s + "%"
}

// truncate shortens s to at most max runes, ending in "…" when it had to cut, so a
// limit of a chat API never turns an alert into a 400.
func truncate(s string, max int) string {
	if max <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max-1]) + "…"
}

// checkEndpointURL is the Validate rule of the chat channel types: an absolute http(s)
// URL with a host. Whether the host may be dialled at all is the SSRF guard's
// business, which the channels API applies to every type.
func checkEndpointURL(raw string) error {
	if strings.TrimSpace(raw) == "" {
		return apierr.Invalid("url", "url is required")
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return apierr.Invalid("url", "url must be an absolute http(s) URL")
	}
	if u.User != nil {
		return apierr.Invalid("url", "url must not carry a user name or password")
	}
	return nil
}
