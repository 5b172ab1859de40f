package services

import (
	"context"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/statusgate/statusgate/apierr"
	"github.com/statusgate/statusgate/mapping"
	"github.com/statusgate/statusgate/rest"
)

// Service is one thing whose status statusgate tracks.
type Service struct {
	ID              uuid.UUID      `json:"id"`
	OrgID           uuid.UUID      `json:"-"`
	Name            string         `json:"name"`
	Description     string         `json:"description"`
	Status          mapping.Status `json:"status"`
	StatusChangedAt time.Time      `json:"status_changed_at"`
	// StatusEventAt is the sender's time of the event that set or last confirmed the
	// current status; nil until a sender gives one. Stale detection compares a
	// sender's times with each other, never with our clock.
	StatusEventAt *time.Time `json:"-"`
	// UnderlyingStatus is set while a maintenance window holds the service in
	// maintenance: the status its senders last reported (its status when the window
	// started, until one reports), which it takes when the window ends. Null when no
	// window holds it.
	UnderlyingStatus     *mapping.Status `json:"underlying_status"`
	Public               bool            `json:"public"`
	SLATarget            *float64        `json:"sla_target"`
	DegradedCountsAsDown bool            `json:"degraded_counts_as_down"`
	// Position orders services on the public page, smallest first, then by name.
	Position int `json:"position"`
	// Group is the heading the public page shows the service under; "" for none.
	// Services of one group are shown together, at the place of its first service.
	Group string `json:"group"`
	// IncidentWatch and WaitWatch are incidents' marks that the service may have an
	// open automatic incident, and a wait to open or resolve one. A change reads
	// only what a mark says may exist, and one that carries no automatic-incident
	// policy reads nothing while both are off. A new service starts with neither.
	IncidentWatch bool      `json:"-"`
	WaitWatch     bool      `json:"-"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// Ref is the short form of a service that other answers embed.
type Ref struct {
	ID   uuid.UUID `json:"id"`
	Name string    `json:"name"`
}

// Ref returns the short form of s.
func (s Service) Ref() Ref { return Ref{ID: s.ID, Name: s.Name} }

// CreateInput is the body of POST /api/v1/services.
type CreateInput struct {
	Name                 string   `json:"name"`
	Description          string   `json:"description"`
	Public               *bool    `json:"public"`
	SLATarget            *float64 `json:"sla_target"`
	DegradedCountsAsDown bool     `json:"degraded_counts_as_down"`
	Position             int      `json:"position"`
	Group                string   `json:"group"`
}

// Validate checks a new service.
func (in *CreateInput) Validate() error {
	in.Name = strings.TrimSpace(in.Name)
	if err := validateName(in.Name); err != nil {
		return err
	}
	if err := validateDescription(in.Description); err != nil {
		return err
	}
	if err := validatePosition(in.Position); err != nil {
		return err
	}
	in.Group = strings.TrimSpace(in.Group)
	if err := validateGroup(in.Group); err != nil {
		return err
	}
	return validateSLATarget(in.SLATarget)
}

// UpdateInput is the body of PATCH /api/v1/services/{id}: absent fields stay as they
// are; "sla_target": null clears the target.
type UpdateInput struct {
	Name                 *string                `json:"name"`
	Description          *string                `json:"description"`
	Public               *bool                  `json:"public"`
	SLATarget            rest.Nullable[float64] `json:"sla_target"`
	DegradedCountsAsDown *bool                  `json:"degraded_counts_as_down"`
	Position             *int                   `json:"position"`
	// Group "" takes the service out of its group.
	Group *string `json:"group"`
}

// Validate checks an update.
func (in *UpdateInput) Validate() error {
	if in.Name != nil {
		*in.Name = strings.TrimSpace(*in.Name)
		if err := validateName(*in.Name); err != nil {
			return err
		}
	}
	if in.Description != nil {
		if err := validateDescription(*in.Description); err != nil {
			return err
		}
	}
	if in.Position != nil {
		if err := validatePosition(*in.Position); err != nil {
			return err
		}
	}
	if in.Group != nil {
		*in.Group = strings.TrimSpace(*in.Group)
		if err := validateGroup(*in.Group); err != nil {
			return err
		}
	}
	return validateSLATarget(in.SLATarget.Value)
}

// maxPosition keeps positions in what every integer column holds, with room to
// insert between any two.
const maxPosition = 1_000_000

func validatePosition(p int) error {
	if p < 0 || p > maxPosition {
		return apierr.Invalid("position", "position must be a whole number from 0 to %d", maxPosition)
	}
	return nil
}

func validateGroup(g string) error {
	if utf8.RuneCountInString(g) > 100 {
		return apierr.Invalid("group", "group must be at most 100 characters")
	}
	for _, r := range g {
		if unicode.IsControl(r) {
			return apierr.Invalid("group", "group must not contain control characters")
		}
	}
	return nil
}

func validateName(name string) error {
	if name == "" {
		return apierr.Invalid("name", "name is required")
	}
	if utf8.RuneCountInString(name) > 200 {
		return apierr.Invalid("name", "name must be at most 200 characters")
	}
	return nil
}

func validateDescription(d string) error {
	if utf8.RuneCountInString(d) > 2000 {
		return apierr.Invalid("description", "description must be at most 2000 characters")
	}
	return nil
}

func validateSLATarget(t *float64) error {
	if t != nil && (*t <= 0 || *t > 100) {
		return apierr.Invalid("sla_target", "sla_target must be a percentage above 0 and at most 100, e.g. 99.9")
	}
	return nil
}

// nameKey is the form names are compared in: case-insensitive, outer spaces ignored.
func nameKey(name string) string { return strings.ToLower(strings.TrimSpace(name)) }

// IncidentPolicy is a receiver's auto_incidents setting, carried with a change so the
// incidents package can act on it without importing receiver.
type IncidentPolicy struct {
	Enabled          bool   `json:"enabled"`
	Severity         string `json:"severity,omitempty"`
	OpenAfterSeconds int    `json:"open_after_seconds"`
}

// Change sources.
const (
	SourceWebhook = "webhook"
	SourceManual  = "manual"
	// SourceMaintenance is a maintenance window starting or ending.
	SourceMaintenance = "maintenance"
)

// TransitionInput asks for a service to be put into a status.
type TransitionInput struct {
	OrgID     uuid.UUID
	ServiceID uuid.UUID
	To        mapping.Status
	Message   string
	// Hold is HoldStart or HoldRelease when a maintenance window starts or ends (To
	// is then decided, not asked for); HoldNone for everything else.
	Hold Hold
	// Source is SourceWebhook, SourceManual or SourceMaintenance; ReceiverID and DeliveryID say which
	// webhook caused it.
	Source     string
	ReceiverID *uuid.UUID
	DeliveryID *uuid.UUID
	// EventTime is when the sender says the event happened; zero when unknown. An event
	// older than the one behind the current status (Service.StatusEventAt) is stale and
	// changes nothing.
	EventTime time.Time
	Incidents IncidentPolicy
	// Locked, when set, is the service as the caller read it with Lock inside the
	// same transaction; Transition then takes it as its locked read instead of
	// reading the row again. Its ID must be ServiceID.
	Locked *Service
}

// TransitionResult says what Transition did.
type TransitionResult struct {
	Service  Service // as it is after the call
	Previous mapping.Status
	New      mapping.Status
	Changed  bool
	// Stale is true when the event was older than the one behind the current status.
	Stale bool
	// Held is true when a maintenance window holds the service: nothing changed, and
	// the requested status is now the one underneath (Service.UnderlyingStatus).
	Held bool
}

// Change is what a ChangeFunc is told about a status change.
type Change struct {
	Service    Service // after the change
	From       mapping.Status
	To         mapping.Status
	At         time.Time
	Message    string
	Source     string
	ReceiverID *uuid.UUID
	DeliveryID *uuid.UUID
	Incidents  IncidentPolicy
	// PostID, PostTitle and PostBody are the status-page post the change wrote.
	PostID    uuid.UUID
	PostTitle string
	PostBody  string
}

// ChangeFunc reacts to a status change inside the transaction of the change: if it
// returns an error, the change and everything else that followed it roll back.
type ChangeFunc func(ctx context.Context, ch Change) error
