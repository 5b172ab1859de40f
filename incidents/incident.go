package incidents

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/statusgate/statusgate/apierr"
	"github.com/statusgate/statusgate/mapping"
	"github.com/statusgate/statusgate/services"
)

// Incident statuses: the first three are open, resolved is closed.
const (
	StatusInvestigating = "investigating"
	StatusIdentified    = "identified"
	StatusMonitoring    = "monitoring"
	StatusResolved      = "resolved"
)

// Severities, from the least to the most severe.
const (
	SeverityMinor    = "minor"
	SeverityMajor    = "major"
	SeverityCritical = "critical"
)

// Kinds of timeline entries.
const (
	KindOpened       = "opened"
	KindEscalated    = "escalated"
	KindStatusChange = "status_change"
	KindUpdate       = "update"
	KindAcknowledged = "acknowledged"
	KindResolved     = "resolved"
)

// Incident is one incident with its timeline.
type Incident struct {
	ID     uuid.UUID `json:"id"`
	Title  string    `json:"title"`
	Status string    `json:"status"` // investigating, identified, monitoring or resolved
	// Severity is minor, major or critical.
	Severity  string `json:"severity"`
	Automatic bool   `json:"automatic"`
	// Service is the service the incident is about; nil for an incident about no
	// single service.
	Service *services.Ref `json:"service"`
	// Impact is the worst status the service reached during an automatic incident;
	// nil for a manual incident.
	Impact          *mapping.Status `json:"impact"`
	StartedAt       time.Time       `json:"started_at"`
	ResolvedAt      *time.Time      `json:"resolved_at"`
	DurationSeconds *int64          `json:"duration_seconds"`
	AcknowledgedAt  *time.Time      `json:"acknowledged_at"`
	// Updates is the timeline, oldest first.
	Updates   []Update  `json:"updates"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Open reports whether the incident is not resolved.
func (i Incident) Open() bool { return i.Status != StatusResolved }

// Update is one entry of an incident's timeline.
type Update struct {
	ID uuid.UUID `json:"id"`
	// Status is the incident's status after this entry.
	Status  string    `json:"status"`
	Message string    `json:"message"`
	At      time.Time `json:"at"`
	// Kind is opened, escalated, status_change, update, acknowledged or resolved.
	Kind string `json:"kind"`
	// ServiceStatus is the service's status an automatic entry reports; nil for
	// entries written by people.
	ServiceStatus *mapping.Status `json:"service_status"`
}

// ValidSeverity reports whether s is minor, major or critical. Receivers use it to
// check their auto_incidents.severity.
func ValidSeverity(s string) bool { return severityRank(s) > 0 }

// DefaultSeverity is the severity of an automatic incident when its receiver names
// none: minor for degraded, major for down, "" for a status that opens no incident.
func DefaultSeverity(st mapping.Status) string {
	switch st {
	case mapping.Degraded:
		return SeverityMinor
	case mapping.Down:
		return SeverityMajor
	}
	return ""
}

func severityRank(s string) int {
	switch s {
	case SeverityMinor:
		return 1
	case SeverityMajor:
		return 2
	case SeverityCritical:
		return 3
	}
	return 0
}

// worseSeverity returns the more severe of a and b.
func worseSeverity(a, b string) string {
	if severityRank(b) > severityRank(a) {
		return b
	}
	return a
}

func validStatus(s string) bool {
	switch s {
	case StatusInvestigating, StatusIdentified, StatusMonitoring, StatusResolved:
		return true
	}
	return false
}

const (
	maxTitle   = 200
	maxMessage = 10000
)

// CreateInput is the body of POST /api/v1/incidents.
type CreateInput struct {
	Title     string     `json:"title"`
	Message   string     `json:"message"`
	Status    string     `json:"status"`   // default investigating
	Severity  string     `json:"severity"` // default major
	ServiceID *uuid.UUID `json:"service_id"`
}

// Validate checks a new incident and fills in the defaults.
func (in *CreateInput) Validate() error {
	in.Title, in.Message = strings.TrimSpace(in.Title), strings.TrimSpace(in.Message)
	in.Status, in.Severity = normalizeWord(in.Status), normalizeWord(in.Severity)
	if in.Status == "" {
		in.Status = StatusInvestigating
	}
	if in.Severity == "" {
		in.Severity = SeverityMajor
	}
	if err := validateTitle(in.Title); err != nil {
		return err
	}
	if err := validateMessage(in.Message); err != nil {
		return err
	}
	if !validStatus(in.Status) || in.Status == StatusResolved {
		return apierr.Invalid("status", "status %q of a new incident must be investigating, identified or monitoring", in.Status)
	}
	return validateSeverity(in.Severity)
}

// UpdateInput is the body of PATCH /api/v1/incidents/{id}: absent fields stay as they
// are. A message, a status change or both add one timeline entry.
type UpdateInput struct {
	Title    *string `json:"title"`
	Message  *string `json:"message"`
	Status   *string `json:"status"`
	Severity *string `json:"severity"`
}

// Validate checks an update.
func (in *UpdateInput) Validate() error {
	if in.Title != nil {
		*in.Title = strings.TrimSpace(*in.Title)
		if err := validateTitle(*in.Title); err != nil {
			return err
		}
	}
	if in.Message != nil {
		*in.Message = strings.TrimSpace(*in.Message)
		if err := validateMessage(*in.Message); err != nil {
			return err
		}
	}
	if in.Status != nil {
		*in.Status = normalizeWord(*in.Status)
		if !validStatus(*in.Status) {
			return apierr.Invalid("status", "status %q must be investigating, identified, monitoring or resolved", *in.Status)
		}
	}
	if in.Severity != nil {
		*in.Severity = normalizeWord(*in.Severity)
		if err := validateSeverity(*in.Severity); err != nil {
			return err
		}
	}
	return nil
}

func normalizeWord(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func validateTitle(t string) error {
	if t == "" {
		return apierr.Invalid("title", "title is required")
	}
	if utf8.RuneCountInString(t) > maxTitle {
		return apierr.Invalid("title", "title must be at most %d characters", maxTitle)
	}
	return nil
}

func validateMessage(m string) error {
	if utf8.RuneCountInString(m) > maxMessage {
		return apierr.Invalid("message", "message must be at most %d characters", maxMessage)
	}
	return nil
}

func validateSeverity(s string) error {
	if !ValidSeverity(s) {
		return apierr.Invalid("severity", "severity %q must be minor, major or critical", s)
	}
	return nil
}

// ListFilter narrows List.
type ListFilter struct {
	// State is "open", "resolved" or "all" ("" means all).
	State string
}
