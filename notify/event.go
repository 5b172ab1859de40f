package notify

import (
	"time"

	"github.com/google/uuid"
)

// Event types. Every type is listed, with a description and an example, by
// GET /api/v1/event-types.
const (
	EventServiceStatusChanged = "service.status_changed"
	EventIncidentCreated      = "incident.created"
	EventIncidentUpdated      = "incident.updated"
	EventIncidentAcknowledged = "incident.acknowledged"
	EventIncidentResolved     = "incident.resolved"
	EventPostCreated          = "post.created"
	EventSLABudgetWarning     = "sla.budget_warning"
	EventSLABreached          = "sla.breached"
	EventChannelDisabled      = "channel.disabled"
	EventTest                 = "test"
)

// Event is one thing that happened, in the envelope every channel receives:
// {"id": "evt_...", "type": "...", "timestamp": "...", "data": {...}}.
type Event struct {
	// ID is "evt_" followed by a time-ordered UUID; it is the webhook-id of every
	// attempt, so receivers can drop duplicates.
	ID string `json:"id"`
	// Type is one of the Event* constants.
	Type string `json:"type"`
	// Timestamp is when statusgate created the event.
	Timestamp time.Time `json:"timestamp"`
	// Data is the type's payload.
	Data EventData `json:"data"`
	// OrgID is the organization whose channels receive the event; not sent.
	OrgID uuid.UUID `json:"-"`
}

// EventData is the body of an event. Fields that do not apply to a type are omitted.
type EventData struct {
	// OccurredAt is when the change happened (the sender's event time where there was
	// one), so a receiver can discard stale events.
	OccurredAt time.Time     `json:"occurred_at"`
	Service    *ServiceInfo  `json:"service,omitempty"`
	Incident   *IncidentInfo `json:"incident,omitempty"`
	Post       *PostInfo     `json:"post,omitempty"`
	SLA        *SLAInfo      `json:"sla,omitempty"`
	Channel    *ChannelInfo  `json:"channel,omitempty"`
	Message    string        `json:"message,omitempty"`
	// Source is what caused the change: webhook, manual, sweeper, silence, maintenance.
	Source string `json:"source,omitempty"`
	// DeliveryID is the inbound delivery that caused it, when one did.
	DeliveryID *uuid.UUID `json:"delivery_id,omitempty"`
	// PageURL is the organization's public status page (STATUSGATE_PUBLIC_URL +
	// /status/<slug>), when it has one. Optional: chat messages and PagerDuty alerts
	// link to it when it is set and say nothing of a page when it is not.
	PageURL string `json:"page_url,omitempty"`
}

// ServiceInfo is the service an event is about.
type ServiceInfo struct {
	ID             uuid.UUID `json:"id"`
	Name           string    `json:"name"`
	Status         string    `json:"status"`
	PreviousStatus string    `json:"previous_status,omitempty"`
}

// IncidentInfo is the incident an event is about.
type IncidentInfo struct {
	ID              uuid.UUID  `json:"id"`
	Title           string     `json:"title"`
	Severity        string     `json:"severity"` // minor, major, critical
	Status          string     `json:"status"`   // investigating, identified, monitoring, resolved
	StartedAt       time.Time  `json:"started_at"`
	ResolvedAt      *time.Time `json:"resolved_at"`
	DurationSeconds *int64     `json:"duration_seconds"`
}

// PostInfo is the status-page post a post.created event announces.
type PostInfo struct {
	ID    uuid.UUID `json:"id"`
	Title string    `json:"title"`
	Body  string    `json:"body"`
}

// SLAInfo is the SLA figure behind an sla.* event.
type SLAInfo struct {
	TargetPercent     float64 `json:"target_percent"`
	UptimePercent     float64 `json:"uptime_percent"`
	BudgetUsedPercent float64 `json:"budget_used_percent"`
	Window            string  `json:"window"`
}

// ChannelInfo is the channel a channel.disabled event is about.
type ChannelInfo struct {
	ID     uuid.UUID `json:"id"`
	Name   string    `json:"name"`
	Type   string    `json:"type"`
	Reason string    `json:"reason"`
}
