package mapping

import (
	"maps"
	"slices"
)

// SignatureDefaults is what a preset suggests for the receiver's signature
// configuration; the receiver still supplies the secret. An empty Scheme
// means the sender does not sign and the receiver's token is the only
// authentication.
type SignatureDefaults struct {
	Scheme string
	Header string
}

// IgnoreRule marks deliveries that are valid but carry no status by design
// (a GitHub ping, a Statuspage incident notice). Answering them "ignored"
// instead of 422 matters because senders disable endpoints that keep failing.
type IgnoreRule struct {
	// Header is the request header to inspect; set exactly one of Header
	// and Field.
	Header string
	// Field is the gjson path to inspect in the body.
	Field string
	// Values are the values (matched case-insensitively, trimmed) that mean
	// "ignore"; empty means the header or field being present is enough.
	Values []string
	// Reason is the human sentence Extraction.IgnoreReason carries.
	Reason string
}

// Preset is a sender's known payload layout, so an operator picks a name
// instead of writing paths. A preset sits between the package defaults and
// the receiver's explicit Rules: the receiver's fields and words win.
type Preset struct {
	Name        string
	Description string

	StatusField      string
	MessageField     string
	ServiceNameField string
	// EventIDFields are joined with ":" into the event id. Several paths
	// exist because some senders have no per-delivery id and the id must be
	// built (monitor + event + time); when any of them is absent the
	// delivery has no event id, so a partial id can never collide with
	// another event's.
	EventIDFields  []string
	EventIDHeader  string
	TimestampField string
	// StatusMapping holds the sender's words, normalized (lower case).
	StatusMapping map[string]Status
	// IgnoreStatuses are status words (normalized) that mean "no change",
	// with the reason; a receiver's own StatusMapping entry for the same
	// word takes precedence.
	IgnoreStatuses map[string]string
	// Ignore are header or body conditions checked before the status is
	// read.
	Ignore []IgnoreRule

	Signature SignatureDefaults
}

// Preset names, as stored in a receiver's configuration.
const (
	PresetAlert24          = "alert24"
	PresetStatusPageOne    = "statuspageone"
	PresetPingara          = "pingara"
	PresetStatusSentry     = "statussentry"
	PresetGitHub           = "github"
	PresetUptimera         = "uptimera"
	PresetStatuspage       = "statuspage"
	PresetStandardWebhooks = "standard-webhooks"
	PresetStatusgate       = "statusgate"
)

// builtin is built once; Extract reads it without copying, and the exported
// accessors hand out deep copies so no caller can change it.
var builtin = []Preset{
	{
		Name:         PresetAlert24,
		Description:  "Alert24-style native push: status and message at the top level (the layout statusgate assumes without a preset).",
		StatusField:  "status",
		MessageField: "message",
		Signature:    SignatureDefaults{Scheme: SchemeHMACSHA256, Header: "X-Webhook-Signature"},
	},
	{
		Name:             PresetStatusPageOne,
		Description:      "StatusPageOne monitor alerts: check_result.status UP/DOWN, one service per monitor.",
		StatusField:      "check_result.status",
		MessageField:     "check_result.error_message",
		ServiceNameField: "monitor.name",
		// StatusPageOne sends no event id; a monitor's check at one instant
		// is one event, and retries repeat it verbatim.
		EventIDFields:  []string{"monitor.id", "check_result.timestamp"},
		TimestampField: "check_result.timestamp",
		StatusMapping:  map[string]Status{"up": Operational, "down": Down},
		Signature:      SignatureDefaults{Scheme: SchemeHMACSHA256, Header: "X-StatusPageOne-Signature"},
	},
	{
		Name:             PresetPingara,
		Description:      "Pingara alert webhooks: the event name is the status (incident.created, incident.resolved, monitor.degraded, monitor.recovered).",
		StatusField:      "event",
		MessageField:     "incident.errorMessage",
		ServiceNameField: "monitor.name",
		// incident.id alone would make "resolved" a duplicate of "created",
		// and monitor.* events carry no incident; monitor + event + time is
		// present in every Pingara event and stable across its retries.
		EventIDFields:  []string{"monitor.id", "event", "timestamp"},
		TimestampField: "timestamp",
		StatusMapping: map[string]Status{
			"incident.created":  Down,
			"incident.resolved": Operational,
			"monitor.degraded":  Degraded,
			"monitor.recovered": Operational,
		},
		Signature: SignatureDefaults{Scheme: SchemeSharedSecret, Header: "X-Pingara-Secret"},
	},
	{
		Name:             PresetStatusSentry,
		Description:      "StatusSentry events: one status per component; the worst component wins.",
		StatusField:      "data.components.#.status",
		MessageField:     "data.title",
		ServiceNameField: "data.components.#.name",
		EventIDFields:    []string{"id"},
		TimestampField:   "created_at",
		StatusMapping: map[string]Status{
			"operational":          Operational,
			"degraded_performance": Degraded,
			"partial_outage":       Degraded,
			"major_outage":         Down,
			"under_maintenance":    Maintenance,
		},
		Signature: SignatureDefaults{Scheme: SchemeHMACSHA256Timestamped, Header: "X-StatusSentry-Signature"},
	},
	{
		Name:             PresetGitHub,
		Description:      "GitHub deployment_status events: a deployment's state per environment.",
		StatusField:      "deployment_status.state",
		MessageField:     "deployment_status.description",
		ServiceNameField: "deployment_status.environment",
		EventIDHeader:    "X-GitHub-Delivery",
		TimestampField:   "deployment_status.updated_at",
		// A deployment under way is planned work on the service, the same
		// thing a pipeline says when it marks a service "maintenance" before
		// a deploy; calling it degraded or down would page people for a
		// routine release.
		StatusMapping: map[string]Status{
			"success":     Operational,
			"failure":     Down,
			"error":       Down,
			"pending":     Maintenance,
			"queued":      Maintenance,
			"in_progress": Maintenance,
		},
		IgnoreStatuses: map[string]string{
			"inactive": "GitHub marked an older deployment inactive; the environment did not change",
		},
		Ignore: []IgnoreRule{
			{Header: "X-GitHub-Event", Values: []string{"ping"}, Reason: "GitHub ping event"},
		},
		Signature: SignatureDefaults{Scheme: SchemeHMACSHA256, Header: "X-Hub-Signature-256"},
	},
	{
		Name:             PresetUptimera,
		Description:      "Uptimera incident webhooks: incident.opened, incident.acknowledged (no change), incident.resolved.",
		StatusField:      "event",
		MessageField:     "incident.cause",
		ServiceNameField: "monitor.name",
		// The incident id is stable for the incident's whole life, so the
		// event name is needed to tell its opening from its resolution.
		EventIDFields:  []string{"incident.id", "event"},
		TimestampField: "occurred_at",
		StatusMapping: map[string]Status{
			"incident.opened":   Down,
			"incident.resolved": Operational,
		},
		IgnoreStatuses: map[string]string{
			"incident.acknowledged": "Uptimera incident acknowledged; the monitor's status did not change",
		},
		Signature: SignatureDefaults{Scheme: SchemeHMACSHA256, Header: "X-Uptimera-Signature"},
	},
	{
		Name:             PresetStatuspage,
		Description:      "Atlassian Statuspage subscriber webhooks: component updates carry a status; incident updates are ignored.",
		StatusField:      "component_update.new_status",
		ServiceNameField: "component.name",
		EventIDFields:    []string{"component_update.id"},
		TimestampField:   "component_update.created_at",
		StatusMapping: map[string]Status{
			"operational":          Operational,
			"degraded_performance": Degraded,
			"partial_outage":       Degraded,
			"major_outage":         Down,
			"under_maintenance":    Maintenance,
		},
		Ignore: []IgnoreRule{
			{Field: "incident", Reason: "Statuspage incident update; only component updates carry a status"},
		},
		// Statuspage does not sign its webhooks: the token URL is the
		// authentication.
	},
	{
		Name:           PresetStandardWebhooks,
		Description:    "Standard Webhooks envelope (type, timestamp, data): status at data.status, signed with webhook-signature.",
		StatusField:    "data.status",
		MessageField:   "data.message",
		EventIDHeader:  "Webhook-Id",
		TimestampField: "timestamp",
		Signature:      SignatureDefaults{Scheme: SchemeStandardWebhooks},
	},
	{
		Name:        PresetStatusgate,
		Description: "Another statusgate's webhook channel: service.status_changed events (the service's status and name), signed the Standard Webhooks way; its other event types are ignored.",
		StatusField: "data.service.status",
		// The upstream's own message, else nothing: its post title repeats the status.
		MessageField:     "data.message",
		ServiceNameField: "data.service.name",
		// The event id is the same on every retry and replay upstream.
		EventIDFields:  []string{"id"},
		TimestampField: "data.occurred_at",
		Ignore: []IgnoreRule{{
			Field: "type",
			// Only status changes move a status; incident and post events carry the
			// service too, but repeating them here would count one change twice.
			Values: []string{"incident.created", "incident.updated", "incident.acknowledged", "incident.resolved",
				"post.created", "sla.budget_warning", "sla.breached", "channel.disabled", "test"},
			Reason: "statusgate event that is not a status change",
		}},
		Signature: SignatureDefaults{Scheme: SchemeStandardWebhooks},
	},
}

// Presets returns every built-in preset, in a stable order, as copies the
// caller may keep or change.
func Presets() []Preset {
	out := make([]Preset, len(builtin))
	for i, p := range builtin {
		out[i] = p.clone()
	}
	return out
}

// LookupPreset finds a preset by its exact name (names are lower case, as
// stored); the result is a copy.
func LookupPreset(name string) (Preset, bool) {
	p, ok := lookupPreset(name)
	if !ok {
		return Preset{}, false
	}
	return p.clone(), true
}

func lookupPreset(name string) (Preset, bool) {
	for _, p := range builtin {
		if p.Name == name {
			return p, true
		}
	}
	return Preset{}, false
}

func presetNames() []string {
	names := make([]string, len(builtin))
	for i, p := range builtin {
		names[i] = p.Name
	}
	return names
}

func (p Preset) clone() Preset {
	p.EventIDFields = slices.Clone(p.EventIDFields)
	p.StatusMapping = maps.Clone(p.StatusMapping)
	p.IgnoreStatuses = maps.Clone(p.IgnoreStatuses)
	p.Ignore = slices.Clone(p.Ignore)
	for i := range p.Ignore {
		p.Ignore[i].Values = slices.Clone(p.Ignore[i].Values)
	}
	return p
}
