package notify

import (
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/statusgate/statusgate/apierr"
	"github.com/statusgate/statusgate/rest"
)

// DefaultRetrySchedule is the wait before each retry of a failed attempt: eight
// attempts over about 28 hours. Each wait is jittered by ±20 %.
var DefaultRetrySchedule = []time.Duration{
	5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour,
}

// Limits of a channel's settings.
const (
	maxRetries      = 20
	maxRetryDelay   = 48 * 60 * 60 // seconds
	maxHeaders      = 20
	maxNameRunes    = 200
	maxRecipients   = 50
	redactedHeader  = "<redacted>"
	deliveryPending = "pending"
	deliveryOK      = "succeeded"
	deliveryFailed  = "failed"
)

// Channel is an outbound destination of an organization's events.
type Channel struct {
	ID   uuid.UUID `json:"id"`
	Name string    `json:"name"`
	Type string    `json:"type"`
	URL  string    `json:"url"`
	// EventTypes are the types the channel receives; every type when empty.
	EventTypes []string `json:"event_types"`
	// ServiceIDs limit events about a service to these services; events about no
	// service (a test, channel.disabled, an incident of no service) always pass.
	ServiceIDs []uuid.UUID `json:"service_ids"`
	// Headers are answered with their values redacted: they are the receiving end's
	// credentials.
	Headers    map[string]string `json:"headers"`
	Recipients []string          `json:"recipients"`
	// RetrySchedule is the effective schedule in seconds (the default when none is set).
	RetrySchedule  []int  `json:"retry_schedule"`
	Enabled        bool   `json:"enabled"`
	DisabledReason string `json:"disabled_reason"`
	// Secret is the signing secret of a webhook channel, answered only by create and
	// rotate-secret.
	Secret    string    `json:"secret,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// CreateInput is the body of POST /api/v1/channels.
type CreateInput struct {
	Name          string            `json:"name"`
	Type          string            `json:"type"`
	URL           string            `json:"url"`
	EventTypes    []string          `json:"event_types"`
	ServiceIDs    []uuid.UUID       `json:"service_ids"`
	Headers       map[string]string `json:"headers"`
	RetrySchedule []int             `json:"retry_schedule"`
	Enabled       *bool             `json:"enabled"`
	// Secret is a webhook channel's signing secret; generated when empty.
	Secret     string   `json:"secret"`
	RoutingKey string   `json:"routing_key"`
	Recipients []string `json:"recipients"`
}

// Validate checks what every channel type shares; the type's Notifier checks the rest.
func (in *CreateInput) Validate() error {
	in.Name, in.Type, in.URL = strings.TrimSpace(in.Name), strings.ToLower(strings.TrimSpace(in.Type)), strings.TrimSpace(in.URL)
	if err := validateName(in.Name); err != nil {
		return err
	}
	if in.Type == "" {
		return apierr.Invalid("type", "type is required")
	}
	return validateCommon(in.EventTypes, in.Headers, in.RetrySchedule, in.Recipients)
}

// UpdateInput is the body of PATCH /api/v1/channels/{id}: absent fields stay as they
// are; "retry_schedule": null goes back to the default; "enabled": true re-enables a
// disabled channel and clears its failure count and reason.
type UpdateInput struct {
	Name          *string              `json:"name"`
	URL           *string              `json:"url"`
	EventTypes    *[]string            `json:"event_types"`
	ServiceIDs    *[]uuid.UUID         `json:"service_ids"`
	Headers       *map[string]string   `json:"headers"`
	RetrySchedule rest.Nullable[[]int] `json:"retry_schedule"`
	Enabled       *bool                `json:"enabled"`
	RoutingKey    *string              `json:"routing_key"`
	Recipients    *[]string            `json:"recipients"`
}

// Validate checks an update.
func (in *UpdateInput) Validate() error {
	if in.Name != nil {
		*in.Name = strings.TrimSpace(*in.Name)
		if err := validateName(*in.Name); err != nil {
			return err
		}
	}
	if in.URL != nil {
		*in.URL = strings.TrimSpace(*in.URL)
	}
	var (
		types, recips []string
		headers       map[string]string
		sched         []int
	)
	if in.EventTypes != nil {
		types = *in.EventTypes
	}
	if in.Headers != nil {
		headers = *in.Headers
	}
	if in.RetrySchedule.Value != nil {
		sched = *in.RetrySchedule.Value
	}
	if in.Recipients != nil {
		recips = *in.Recipients
	}
	return validateCommon(types, headers, sched, recips)
}

func validateName(name string) error {
	if name == "" {
		return apierr.Invalid("name", "name is required")
	}
	if utf8.RuneCountInString(name) > maxNameRunes {
		return apierr.Invalid("name", "name must be at most %d characters", maxNameRunes)
	}
	return nil
}

func validateCommon(types []string, headers map[string]string, sched []int, recipients []string) error {
	for _, t := range types {
		if !slices.Contains(eventTypeNames(), t) {
			return apierr.Invalid("event_types", "event type %q is not one of GET /api/v1/event-types", t)
		}
	}
	if len(headers) > maxHeaders {
		return apierr.Invalid("headers", "at most %d headers", maxHeaders)
	}
	if len(sched) > maxRetries {
		return apierr.Invalid("retry_schedule", "retry_schedule has at most %d delays", maxRetries)
	}
	for _, d := range sched {
		if d < 1 || d > maxRetryDelay {
			return apierr.Invalid("retry_schedule", "each delay of retry_schedule must be 1 to %d seconds", maxRetryDelay)
		}
	}
	if len(recipients) > maxRecipients {
		return apierr.Invalid("recipients", "at most %d recipients", maxRecipients)
	}
	for _, r := range recipients {
		if _, err := mail.ParseAddress(r); err != nil {
			return apierr.Invalid("recipients", "recipient %q is not an email address", r)
		}
	}
	return nil
}

// Delivery is one event on its way to one channel, with every attempt made.
type Delivery struct {
	ID        uuid.UUID `json:"id"`
	EventID   string    `json:"event_id"`
	EventType string    `json:"event_type"`
	// Status is pending, succeeded or failed (the last attempt failed, or the endpoint
	// answered 410 Gone).
	Status        string       `json:"status"`
	AttemptCount  int          `json:"attempt_count"`
	NextAttemptAt *time.Time   `json:"next_attempt_at"`
	CreatedAt     time.Time    `json:"created_at"`
	UpdatedAt     time.Time    `json:"updated_at"`
	Attempts      []AttemptLog `json:"attempts"`
}

// AttemptLog is one logged attempt of a delivery.
type AttemptLog struct {
	At         time.Time `json:"at"`
	StatusCode int       `json:"status_code"`
	Body       string    `json:"body"`
	DurationMS int64     `json:"duration_ms"`
	Error      string    `json:"error"`
}

// TestResult answers POST /api/v1/channels/{id}/test: what the endpoint said.
type TestResult struct {
	EventID    string `json:"event_id"`
	StatusCode int    `json:"status_code"`
	Body       string `json:"body"`
	DurationMS int64  `json:"duration_ms"`
	Error      string `json:"error"`
	Succeeded  bool   `json:"succeeded"`
}
