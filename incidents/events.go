package incidents

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/statusgate/statusgate/mapping"
	"github.com/statusgate/statusgate/services"
)

// Event is what an EventFunc is told: one entry was added to an incident's timeline
// (or an incident's title or severity changed without one), inside the transaction
// that made the change.
type Event struct {
	OrgID uuid.UUID
	// Kind is the timeline entry's kind (KindOpened, KindEscalated, KindStatusChange,
	// KindUpdate, KindAcknowledged, KindResolved).
	Kind string
	// Incident is the incident as it is after the change; its Service carries only
	// the id (the caller asks services for the rest) and Updates is empty.
	Incident Incident
	// ServiceID is the incident's service, nil for an incident about no service.
	ServiceID *uuid.UUID
	// Service is that service as it is in the transaction, when the status change
	// that caused the event carried it; nil otherwise, and the caller reads it.
	Service *services.Service
	// ServiceStatus is the service status the entry records, when it records one.
	ServiceStatus *mapping.Status
	Message       string
	At            time.Time
	// Source is what caused it: webhook, manual (an operator through the API), sweeper
	// (a delay ran out) or the Source of the status change that caused it.
	Source string
	// DeliveryID is the inbound delivery behind the change, when one was.
	DeliveryID *uuid.UUID
}

// EventFunc reacts to an incident event inside the transaction of the change: if it
// returns an error, the change rolls back.
type EventFunc func(ctx context.Context, ev Event) error

type causeKey struct{}

type cause struct {
	source     string
	deliveryID *uuid.UUID
	// service is the service whose status change this is, as it now is; nil for
	// causes that are not a change.
	service *services.Service
}

// withCause records in ctx what is changing incidents, for the events it causes.
func withCause(ctx context.Context, c cause) context.Context {
	return context.WithValue(ctx, causeKey{}, c)
}

// emit tells the EventFunc about a change of incident id. Without an EventFunc it
// costs nothing; with one, one read of the incident row.
func (s *Store) emit(ctx context.Context, id uuid.UUID, kind string, serviceStatus *mapping.Status, message string, at time.Time) error {
	if s.onEvent == nil {
		return nil
	}
	var row incidentRow
	if err := s.db.Conn(ctx).Where("id = ?", id).Take(&row).Error; err != nil {
		return fmt.Errorf("reading incident for its event: %w", err)
	}
	return s.emitRow(ctx, row, kind, serviceStatus, message, at)
}

// emitRow is emit for a caller that holds the incident as it now is in the
// transaction, as the automatic paths do: every change of a service opens or
// resolves one, and the read emit makes was a statement of each.
func (s *Store) emitRow(ctx context.Context, row incidentRow, kind string, serviceStatus *mapping.Status, message string, at time.Time) error {
	if s.onEvent == nil {
		return nil
	}
	c, ok := ctx.Value(causeKey{}).(cause)
	if !ok {
		c = cause{source: "manual"}
	}
	inc := Incident{
		ID: row.ID, Title: row.Title, Status: row.Status, Severity: row.Severity, Automatic: row.Automatic,
		StartedAt: row.StartedAt.UTC(), ResolvedAt: utcPtr(row.ResolvedAt), DurationSeconds: row.DurationSeconds,
		AcknowledgedAt: utcPtr(row.AcknowledgedAt), CreatedAt: row.CreatedAt.UTC(), UpdatedAt: row.UpdatedAt.UTC(),
	}
	if row.Impact != nil {
		st := mapping.Status(*row.Impact)
		inc.Impact = &st
	}
	ev := Event{
		OrgID: row.OrgID, Kind: kind, Incident: inc, ServiceID: row.ServiceID, ServiceStatus: serviceStatus,
		Message: message, At: at, Source: c.source, DeliveryID: c.deliveryID,
	}
	// The changing service is the incident's on every automatic path: handing it on
	// spares the caller a read per event.
	if c.service != nil && row.ServiceID != nil && *row.ServiceID == c.service.ID {
		ev.Service = c.service
	}
	return s.onEvent(ctx, ev)
}
