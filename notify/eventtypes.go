package notify

import (
	"time"

	"github.com/google/uuid"
)

// EventTypeInfo describes one event type for GET /api/v1/event-types.
type EventTypeInfo struct {
	Type        string `json:"type"`
	Description string `json:"description"`
	Example     Event  `json:"example"`
}

var (
	exampleTime     = time.Date(2026, 1, 15, 9, 30, 0, 0, time.UTC)
	exampleService  = &ServiceInfo{ID: uuid.MustParse("0193a1b2-0000-7000-8000-000000000001"), Name: "API", Status: "down", PreviousStatus: "operational"}
	exampleDelivery = uuid.MustParse("0193a1b2-0000-7000-8000-0000000000d1")
	exampleIncident = &IncidentInfo{
		ID: uuid.MustParse("0193a1b2-0000-7000-8000-0000000000a1"), Title: "API is down",
		Severity: "critical", Status: "investigating", StartedAt: exampleTime,
	}
)

func example(typ string, data EventData) Event {
	data.OccurredAt = exampleTime
	return Event{ID: "evt_0193a1b2-0000-7000-8000-00000000e001", Type: typ, Timestamp: exampleTime.Add(time.Second), Data: data}
}

func resolvedExample() *IncidentInfo {
	i := *exampleIncident
	at, d := exampleTime.Add(42*time.Minute), int64(42*60)
	i.Status, i.ResolvedAt, i.DurationSeconds = "resolved", &at, &d
	return &i
}

// EventTypes lists every event type with a description and an example envelope.
var EventTypes = []EventTypeInfo{
	{EventServiceStatusChanged, "A service's status changed (webhook, manual override, silence or maintenance).",
		example(EventServiceStatusChanged, EventData{Service: exampleService, Message: "HTTP 500 from /health", Source: "webhook", DeliveryID: &exampleDelivery})},
	{EventIncidentCreated, "An incident was opened: automatically (a service went bad) or by an operator.",
		example(EventIncidentCreated, EventData{Service: exampleService, Incident: exampleIncident, Message: "API is down.", Source: "webhook", DeliveryID: &exampleDelivery})},
	{EventIncidentUpdated, "An open incident changed: its status, severity, title, a timeline message, or its service's status.",
		example(EventIncidentUpdated, EventData{Service: exampleService, Incident: exampleIncident, Message: "We found the cause.", Source: "manual"})},
	{EventIncidentAcknowledged, "Someone acknowledged an incident.",
		example(EventIncidentAcknowledged, EventData{Incident: exampleIncident, Message: "The incident was acknowledged.", Source: "manual"})},
	{EventIncidentResolved, "An incident was resolved: its service recovered (after its delay, by the sweeper) or an operator resolved it.",
		example(EventIncidentResolved, EventData{Service: &ServiceInfo{ID: exampleService.ID, Name: "API", Status: "operational", PreviousStatus: "down"}, Incident: resolvedExample(), Message: "API is operational again.", Source: "sweeper"})},
	{EventPostCreated, "A status-page post was written (for every status change, or by an operator).",
		example(EventPostCreated, EventData{Service: exampleService, Post: &PostInfo{ID: uuid.MustParse("0193a1b2-0000-7000-8000-0000000000b1"), Title: "API is down", Body: "HTTP 500 from /health"}, Source: "webhook"})},
	{EventSLABudgetWarning, "A service has used 80 % of the error budget of its SLA window (30 days); sent once per crossing.",
		example(EventSLABudgetWarning, EventData{Service: exampleService, SLA: &SLAInfo{TargetPercent: 99.9, UptimePercent: 99.92, BudgetUsedPercent: 80.5, Window: "30d"}, Source: "webhook"})},
	{EventSLABreached, "A service's uptime over its SLA window (30 days) fell below its sla_target; sent once per crossing.",
		example(EventSLABreached, EventData{Service: exampleService, SLA: &SLAInfo{TargetPercent: 99.9, UptimePercent: 99.85, BudgetUsedPercent: 150, Window: "30d"}, Source: "webhook"})},
	{EventChannelDisabled, "statusgate disabled a channel (its endpoint answered 410 Gone, or every attempt failed for 5 days); sent to the organization's other channels.",
		example(EventChannelDisabled, EventData{Channel: &ChannelInfo{ID: uuid.MustParse("0193a1b2-0000-7000-8000-0000000000c1"), Name: "ops webhook", Type: "webhook", Reason: "every attempt failed for 5 days"}})},
	{EventTest, "Sent by POST /api/v1/channels/{id}/test to check a channel.",
		example(EventTest, EventData{Message: "This is a test event from statusgate."})},
}

func eventTypeNames() []string {
	out := make([]string, len(EventTypes))
	for i, t := range EventTypes {
		out[i] = t.Type
	}
	return out
}
