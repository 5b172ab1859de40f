package maintenances

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/statusgate/statusgate/apierr"
	"github.com/statusgate/statusgate/services"
)

// Window statuses, as API.md spells them (and, but for cancelled, as Statuspage does).
const (
	StatusScheduled  = "scheduled"
	StatusInProgress = "in_progress"
	StatusCompleted  = "completed"
	StatusCancelled  = "cancelled"
)

// maxServices bounds a window's services: each is locked and changed in the
// transaction that starts or ends the window.
const maxServices = 100

// Maintenance is one planned maintenance window.
type Maintenance struct {
	ID      uuid.UUID `json:"id"`
	OrgID   uuid.UUID `json:"-"`
	Title   string    `json:"title"`
	Message string    `json:"message"`
	Status  string    `json:"status"`
	// ServiceIDs are the services the window holds, in id order; Services names them.
	ServiceIDs []uuid.UUID    `json:"service_ids"`
	Services   []services.Ref `json:"services"`
	StartsAt   time.Time      `json:"starts_at"`
	EndsAt     time.Time      `json:"ends_at"`
	// StartedAt and EndedAt are when the window really started and ended (the
	// sweeper's clock, or the moment of a cancel); nil until then.
	StartedAt *time.Time `json:"started_at"`
	EndedAt   *time.Time `json:"ended_at"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
}

// CreateInput is the body of POST /api/v1/maintenances.
type CreateInput struct {
	Title      string      `json:"title"`
	Message    string      `json:"message"`
	ServiceIDs []uuid.UUID `json:"service_ids"`
	StartsAt   time.Time   `json:"starts_at"`
	EndsAt     time.Time   `json:"ends_at"`
}

// Validate checks a new window. Whether its services exist, and that it has not
// ended already, the store checks.
func (in *CreateInput) Validate() error {
	in.Title, in.Message = strings.TrimSpace(in.Title), strings.TrimSpace(in.Message)
	if err := validateTitle(in.Title); err != nil {
		return err
	}
	if err := validateMessage(in.Message); err != nil {
		return err
	}
	ids, err := validateServiceIDs(in.ServiceIDs)
	if err != nil {
		return err
	}
	in.ServiceIDs = ids
	if in.StartsAt.IsZero() {
		return apierr.Invalid("starts_at", "starts_at is required (RFC 3339, e.g. 2026-01-15T22:00:00Z)")
	}
	if in.EndsAt.IsZero() {
		return apierr.Invalid("ends_at", "ends_at is required (RFC 3339, e.g. 2026-01-15T23:00:00Z)")
	}
	in.StartsAt, in.EndsAt = stored(in.StartsAt), stored(in.EndsAt)
	return validateSpan(in.StartsAt, in.EndsAt)
}

// UpdateInput is the body of PATCH /api/v1/maintenances/{id}: absent fields stay as
// they are. Status may only be "cancelled" (a scheduled or running window) or
// "completed" (a running one, ended now).
type UpdateInput struct {
	Title      *string      `json:"title"`
	Message    *string      `json:"message"`
	ServiceIDs *[]uuid.UUID `json:"service_ids"`
	StartsAt   *time.Time   `json:"starts_at"`
	EndsAt     *time.Time   `json:"ends_at"`
	Status     *string      `json:"status"`
}

// Validate checks an update on its own; the store checks it against the window.
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
	if in.ServiceIDs != nil {
		ids, err := validateServiceIDs(*in.ServiceIDs)
		if err != nil {
			return err
		}
		in.ServiceIDs = &ids
	}
	if in.StartsAt != nil {
		if in.StartsAt.IsZero() {
			return apierr.Invalid("starts_at", "starts_at must be a time (RFC 3339)")
		}
		*in.StartsAt = stored(*in.StartsAt)
	}
	if in.EndsAt != nil {
		if in.EndsAt.IsZero() {
			return apierr.Invalid("ends_at", "ends_at must be a time (RFC 3339)")
		}
		*in.EndsAt = stored(*in.EndsAt)
	}
	if in.Status != nil {
		*in.Status = strings.TrimSpace(*in.Status)
		switch *in.Status {
		case StatusScheduled, StatusInProgress, StatusCompleted, StatusCancelled:
		default:
			return apierr.Invalid("status", "status %q must be cancelled or completed (scheduled and in_progress follow from the times)", *in.Status)
		}
	}
	return nil
}

// stored is a time as the stores keep it: UTC, microseconds.
func stored(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func validateSpan(starts, ends time.Time) error {
	if !ends.After(starts) {
		return apierr.Invalid("ends_at", "ends_at must be after starts_at")
	}
	return nil
}

func validateTitle(t string) error {
	if t == "" {
		return apierr.Invalid("title", "title is required")
	}
	if utf8.RuneCountInString(t) > 200 {
		return apierr.Invalid("title", "title must be at most 200 characters")
	}
	return nil
}

func validateMessage(m string) error {
	if utf8.RuneCountInString(m) > 10000 {
		return apierr.Invalid("message", "message must be at most 10000 characters")
	}
	return nil
}

// validateServiceIDs requires at least one service and at most maxServices, and
// returns them without repeats, in id order (the order their rows are locked in).
func validateServiceIDs(ids []uuid.UUID) ([]uuid.UUID, error) {
	if len(ids) == 0 {
		return nil, apierr.Invalid("service_ids", "service_ids must name at least one service")
	}
	seen := make(map[uuid.UUID]bool, len(ids))
	out := make([]uuid.UUID, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	if len(out) > maxServices {
		return nil, apierr.Invalid("service_ids", "service_ids must name at most %d services", maxServices)
	}
	sortIDs(out)
	return out, nil
}
