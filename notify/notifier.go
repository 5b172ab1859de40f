package notify

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// Channel types.
const (
	TypeWebhook   = "webhook"
	TypeSlack     = "slack"
	TypeDiscord   = "discord"
	TypeMSTeams   = "msteams"
	TypePagerDuty = "pagerduty"
	TypeEmail     = "email"
)

// Target is what a Notifier needs of a channel to deliver one event to it: the
// channel's settings, secrets decrypted.
type Target struct {
	ChannelID uuid.UUID
	Name      string
	Type      string
	// URL is the endpoint of webhook, slack, discord and msteams channels (PagerDuty's
	// Events API URL is fixed by the notifier, email has none).
	URL string
	// Headers are the operator's own headers for the receiving end's auth (webhook).
	Headers map[string]string
	// Secrets sign webhook deliveries (whsec_...): during a rotation the old and the
	// new one, newest first, and every one signs.
	Secrets []string
	// RoutingKey is the PagerDuty integration key.
	RoutingKey string
	// Recipients are the email addresses of an email channel.
	Recipients []string
}

// Attempt is what one try to deliver said. It is logged as it is, so an operator can
// read the story of a delivery.
type Attempt struct {
	At         time.Time     `json:"at"`
	StatusCode int           `json:"status_code"` // 0 when no HTTP answer came
	Body       string        `json:"body"`        // the first 4 KiB of the answer
	Duration   time.Duration `json:"-"`
	Error      string        `json:"error"` // "" on success
	// RetryAfter is the endpoint's own Retry-After (429, 503), clamped by the worker.
	RetryAfter time.Duration `json:"-"`
}

// Succeeded reports whether the attempt delivered the event (a 2xx, or an email the
// server accepted).
func (a Attempt) Succeeded() bool {
	return a.Error == "" && (a.StatusCode == 0 || (a.StatusCode >= 200 && a.StatusCode < 300))
}

// Notifier delivers one event to one channel of its type. Notify never panics and
// never retries: the worker decides what the attempt means and when to try again.
type Notifier interface {
	// Validate checks a channel's settings of this type at create and update time;
	// its errors are apierr validation errors naming the field.
	Validate(t Target) error
	// Notify makes one attempt.
	Notify(ctx context.Context, t Target, ev Event) Attempt
}
