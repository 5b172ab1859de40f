package mapping

import (
	"embed"
	"encoding/json"
	"maps"
	"path"
	"slices"
)

// SignatureDefaults is what a preset suggests for the receiver's signature
// configuration; the receiver still supplies the secret. An empty Scheme
// means the sender does not sign and the receiver's token is the only
// authentication.
type SignatureDefaults struct {
	Scheme string `json:"scheme"`
	Header string `json:"header,omitempty"`
}

// IgnoreRule marks deliveries that are valid but carry no status by design
// (a GitHub ping, a Statuspage incident notice). Answering them "ignored"
// instead of 422 matters because senders disable endpoints that keep failing.
// Rules are checked on the whole delivery, before the status is read.
type IgnoreRule struct {
	// Header is the request header to inspect; set exactly one of Header
	// and Field.
	Header string `json:"header,omitempty"`
	// Field is the path to inspect: a body path, or header:/query:.
	Field string `json:"field,omitempty"`
	// Values are the values (matched case-insensitively, trimmed) that mean
	// "ignore".
	Values []string `json:"values,omitempty"`
	// Unless are the only values that do not mean "ignore": every other
	// value does (GitHub sends dozens of event kinds; two carry a status).
	Unless []string `json:"unless,omitempty"`
	// Missing ignores the delivery when the field is absent or null (an
	// Uptime Kuma test notification has no heartbeat).
	Missing bool `json:"missing,omitempty"`
	// Reason is the human sentence Extraction.IgnoreReason carries. With
	// none of Values, Unless and Missing, the field being present is enough.
	Reason string `json:"reason"`
}

// Preset is a sender's known payload layout, so an operator picks a name
// instead of writing paths. A preset sits between the package defaults and
// the receiver's explicit Rules: the receiver's fields and words win. Each
// single field is tried before its list of further paths (StatusField, then
// StatusFields); a receiver's own field replaces both.
type Preset struct {
	Name        string `json:"name"`
	Description string `json:"description"`

	StatusField       string   `json:"status_field"`
	StatusFields      []string `json:"status_fields,omitempty"`
	MessageField      string   `json:"message_field,omitempty"`
	MessageFields     []string `json:"message_fields,omitempty"`
	ServiceNameField  string   `json:"service_name_field,omitempty"`
	ServiceNameFields []string `json:"service_name_fields,omitempty"`
	// ItemsField is the path of the array whose elements are one update
	// each; the other paths are then relative to an element (root: reaches
	// the whole body).
	ItemsField string `json:"items_field,omitempty"`
	// EventIDFields are joined with ":" into the event id. Several paths
	// exist because some senders have no per-delivery id and the id must be
	// built (monitor + event + time); when any of them is absent the
	// delivery has no event id, so a partial id can never collide with
	// another event's. They are read on the whole body.
	EventIDFields []string `json:"event_id_fields,omitempty"`
	// ItemEventIDFields are an item's own id parts, relative to the element;
	// see Update.EventID.
	ItemEventIDFields []string `json:"item_event_id_fields,omitempty"`
	EventIDHeader     string   `json:"event_id_header,omitempty"`
	TimestampField    string   `json:"timestamp_field,omitempty"`
	TimestampFields   []string `json:"timestamp_fields,omitempty"`
	// CorrelationFields find Update.CorrelationKey.
	CorrelationFields []string `json:"correlation_fields,omitempty"`
	// StatusMapping holds the sender's words, normalized (lower case); a
	// value may be Ignored.
	StatusMapping map[string]Status `json:"status_mapping,omitempty"`
	// IgnoreStatuses are status words (normalized) that mean "no change",
	// with the reason; a receiver's own StatusMapping entry for the same
	// word takes precedence.
	IgnoreStatuses map[string]string `json:"ignore_statuses,omitempty"`
	// Ignore are header or body conditions checked before the status is
	// read.
	Ignore []IgnoreRule `json:"ignore,omitempty"`

	Signature SignatureDefaults `json:"signature"`

	// SampleHeader are the request headers the sample is sent with (the
	// event kind, for GitHub); SamplePayload is a real body of the sender,
	// the one under testdata/ the preset's tests read.
	SampleHeader  map[string]string `json:"sample_header,omitempty"`
	SamplePayload json.RawMessage   `json:"sample_payload"`
	sampleFile    string
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
	PresetAlertmanager     = "alertmanager"
	PresetGrafana          = "grafana"
	PresetBetterStack      = "betterstack"
	PresetUptimeKuma       = "uptime-kuma"
	PresetUptimeRobot      = "uptimerobot"
	PresetPingdom          = "pingdom"
	PresetPagerDuty        = "pagerduty"
	PresetOpsgenie         = "opsgenie"
	PresetAzureMonitor     = "azure-monitor"
	PresetUpdown           = "updown"
	PresetCachet           = "cachet"
	PresetGatus            = "gatus"
	PresetIncidentIO       = "incident-io"
	PresetDatadog          = "datadog"
	PresetStatusgate       = "statusgate"
)

// Scheme names of the signature table that have no constant of their own
// here, written as the strings a receiver stores.
const (
	schemeGitHub    = "github"
	schemeGrafana   = "grafana"
	schemePagerDuty = "pagerduty"
)

// statuspageWords are the component statuses of Atlassian Statuspage, which
// StatusSentry, Better Stack and others copy.
var statuspageWords = map[string]Status{
	"operational":          Operational,
	"degraded_performance": Degraded,
	"partial_outage":       Degraded,
	"major_outage":         Down,
	"under_maintenance":    Maintenance,
}

func withIgnores(base map[string]string, more map[string]string) map[string]string {
	out := maps.Clone(base)
	maps.Copy(out, more)
	return out
}

func withWords(base map[string]Status, more map[string]Status) map[string]Status {
	out := maps.Clone(base)
	maps.Copy(out, more)
	return out
}

// alertWords is the vocabulary of Prometheus-style alerts (Alertmanager,
// Grafana): a firing alert's severity label when it has one, else its state.
// "none" and "info" are what Watchdog and informational alerts carry.
var alertWords = map[string]Status{
	"firing":   Down,
	"resolved": Operational,
	"critical": Down,
	"page":     Down,
	"high":     Down,
	"error":    Down,
	"major":    Down,
	"warning":  Degraded,
	"warn":     Degraded,
	"minor":    Degraded,
	"medium":   Degraded,
	"low":      Degraded,
}

var alertIgnores = map[string]string{
	"none":          "alert of severity none (a Watchdog or heartbeat alert) says nothing about a service",
	"info":          "informational alert; it does not change a service's status",
	"informational": "informational alert; it does not change a service's status",
}

// firingSeverity is a status path that yields labels.severity only while the
// alert fires (a resolved alert keeps its severity label, and must read as
// resolved); gjson reads it by wrapping the element in an array and querying
// that. The same device picks a severity for PagerDuty triggers, Opsgenie
// creates and Azure Monitor fired alerts.
const firingSeverity = `[@this]|#(status=="firing").labels.severity`

// builtin is built once; Extract reads it without copying, and the exported
// accessors hand out deep copies so no caller can change it.
var builtin = initPresets()

func presetTable() []Preset {
	return []Preset{
		{
			Name:         PresetAlert24,
			Description:  "Alert24-style native push: status and message at the top level (the layout statusgate assumes without a preset).",
			StatusField:  "status",
			MessageField: "message",
			Signature:    SignatureDefaults{Scheme: SchemeHMACSHA256, Header: "X-Webhook-Signature"},
			sampleFile:   "alert24-simple.json",
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
			sampleFile:     "statuspageone-incident.json",
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
			Signature:  SignatureDefaults{Scheme: SchemeSharedSecret, Header: "X-Pingara-Secret"},
			sampleFile: "pingara-incident-created.json",
		},
		{
			Name:        PresetStatusSentry,
			Description: "StatusSentry events: each of data.components is one update naming its own service; an event without components is read by its type.",
			ItemsField:  "data.components",
			StatusField: "status",
			// An element without a status falls back to the event type:
			// incident.resolved says the component is operational again, other
			// events name a component without saying how it is.
			StatusFields:      []string{"root:type"},
			MessageField:      "root:data.title",
			ServiceNameField:  "name",
			EventIDFields:     []string{"id"},
			ItemEventIDFields: []string{"id"},
			TimestampField:    "root:created_at",
			StatusMapping: withWords(statuspageWords, map[string]Status{
				"incident.resolved":     Operational,
				"maintenance.started":   Maintenance,
				"maintenance.completed": Operational,
			}),
			IgnoreStatuses: map[string]string{
				"incident.created":      "StatusSentry incident event without a component status",
				"incident.updated":      "StatusSentry incident event without a component status",
				"maintenance.scheduled": "StatusSentry maintenance scheduled for later; nothing changes yet",
			},
			Ignore: []IgnoreRule{
				{Field: "type", Values: []string{"test", "ping", "webhook.test"}, Reason: "StatusSentry test event"},
			},
			Signature:  SignatureDefaults{Scheme: SchemeHMACSHA256Timestamped, Header: "X-StatusSentry-Signature"},
			sampleFile: "statussentry-multi-component.json",
		},
		{
			Name:        PresetGitHub,
			Description: "GitHub deployment_status and check_run events: a deployment's state per environment, a finished check's conclusion per check name; ping and every other event kind are ignored.",
			StatusField: "deployment_status.state",
			// A check run has a conclusion only once completed; while queued
			// or running the ignore rule below answers it.
			StatusFields:      []string{"check_run.conclusion"},
			MessageField:      "deployment_status.description",
			MessageFields:     []string{"check_run.output.title"},
			ServiceNameField:  "deployment_status.environment",
			ServiceNameFields: []string{"check_run.name"},
			EventIDHeader:     "X-GitHub-Delivery",
			TimestampField:    "deployment_status.updated_at",
			TimestampFields:   []string{"check_run.completed_at"},
			// A deployment under way is planned work on the service, the same
			// thing a pipeline says when it marks a service "maintenance" before
			// a deploy; calling it degraded or down would page people for a
			// routine release.
			StatusMapping: map[string]Status{
				"success":         Operational,
				"failure":         Down,
				"error":           Down,
				"timed_out":       Down,
				"startup_failure": Down,
				"pending":         Maintenance,
				"queued":          Maintenance,
				"in_progress":     Maintenance,
			},
			IgnoreStatuses: map[string]string{
				"inactive":        "GitHub marked an older deployment inactive; the environment did not change",
				"cancelled":       "GitHub check run cancelled; it says nothing about the service",
				"skipped":         "GitHub check run skipped; it says nothing about the service",
				"neutral":         "GitHub check run ended neutral; it says nothing about the service",
				"stale":           "GitHub marked the check run stale; it says nothing about the service",
				"action_required": "GitHub check run waits for an action; it says nothing about the service yet",
			},
			Ignore: []IgnoreRule{
				{Header: "X-GitHub-Event", Values: []string{"ping"}, Reason: "GitHub ping event"},
				{Header: "X-GitHub-Event", Unless: []string{"deployment_status", "check_run"}, Reason: "GitHub event kind that carries no deployment or check status"},
				{Field: "check_run.status", Values: []string{"queued", "in_progress", "requested", "waiting", "pending"}, Reason: "GitHub check run not finished yet"},
			},
			Signature:    SignatureDefaults{Scheme: SchemeHMACSHA256, Header: "X-Hub-Signature-256"},
			sampleFile:   "github-deployment-status.json",
			SampleHeader: map[string]string{"X-GitHub-Event": "deployment_status"},
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
			Signature:  SignatureDefaults{Scheme: SchemeHMACSHA256, Header: "X-Uptimera-Signature"},
			sampleFile: "uptimera-incident-opened.json",
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
			sampleFile: "statuspage-component-update.json",
		},
		{
			Name:           PresetStandardWebhooks,
			Description:    "Standard Webhooks envelope (type, timestamp, data): status at data.status, signed with webhook-signature.",
			StatusField:    "data.status",
			MessageField:   "data.message",
			EventIDHeader:  "Webhook-Id",
			TimestampField: "timestamp",
			Signature:      SignatureDefaults{Scheme: SchemeStandardWebhooks},
			sampleFile:     "standard-webhooks-status.json",
		},
		{
			Name:        PresetAlertmanager,
			Description: "Prometheus Alertmanager webhook_config: each of alerts is one update; a firing alert is as bad as its severity label (down when it has none), a resolved one operational.",
			ItemsField:  "alerts",
			StatusField: firingSeverity,
			// Status "firing" or "resolved"; the group's own status when the
			// body has no alerts array.
			StatusFields:      []string{"status"},
			MessageField:      "annotations.summary",
			MessageFields:     []string{"annotations.description", "annotations.message", "labels.alertname"},
			ServiceNameField:  "labels.service",
			ServiceNameFields: []string{"labels.alertname"},
			// An alert's fingerprint is stable over its life, so its state and
			// start tell its firing from its resolution and from a later
			// firing; a repeated notification repeats all three.
			ItemEventIDFields: []string{"fingerprint", "status", "startsAt"},
			TimestampField:    `[@this]|#(status=="resolved").endsAt`,
			TimestampFields:   []string{"startsAt"},
			StatusMapping:     alertWords,
			IgnoreStatuses:    alertIgnores,
			Signature:         SignatureDefaults{Scheme: SchemeBearer},
			sampleFile:        "alertmanager-firing.json",
		},
		{
			Name:        PresetGrafana,
			Description: "Grafana Alerting webhook contact point: each of alerts is one update, as for Alertmanager; the contact point's test notification is ignored; legacy alerts are read by state.",
			ItemsField:  "alerts",
			StatusField: firingSeverity,
			// "status" of an alert; "state" of a legacy (pre-8) notification,
			// which has no alerts array.
			StatusFields:      []string{"status", "state"},
			MessageField:      "annotations.summary",
			MessageFields:     []string{"annotations.description", "labels.alertname", "message", "title"},
			ServiceNameField:  "labels.service",
			ServiceNameFields: []string{"labels.alertname", "ruleName"},
			ItemEventIDFields: []string{"fingerprint", "status", "startsAt"},
			TimestampField:    `[@this]|#(status=="resolved").endsAt`,
			TimestampFields:   []string{"startsAt"},
			StatusMapping: withWords(alertWords, map[string]Status{
				"alerting": Down,
				"ok":       Operational,
			}),
			IgnoreStatuses: withIgnores(alertIgnores, map[string]string{
				"pending": "Grafana alert pending; it has not fired yet",
				"no_data": "Grafana alert without data; it says nothing about the service",
				"paused":  "Grafana alert paused",
			}),
			Ignore: []IgnoreRule{
				{Field: "commonLabels.alertname", Values: []string{"testalert"}, Reason: "Grafana contact point test notification"},
			},
			Signature:  SignatureDefaults{Scheme: schemeGrafana, Header: "X-Grafana-Alerting-Signature"},
			sampleFile: "grafana-firing.json",
		},
		{
			Name:        PresetBetterStack,
			Description: "Better Stack: Uptime incident webhooks (data.attributes.status Started, Acknowledged, Resolved) and status page subscriber webhooks (component updates; incident and maintenance notices are ignored).",
			StatusField: "data.attributes.status",
			StatusFields: []string{"component_update.new_status",
				"component.status"},
			MessageField:      "data.attributes.cause",
			ServiceNameField:  "data.attributes.name",
			ServiceNameFields: []string{"component.name"},
			EventIDFields:     []string{"data.id", "data.attributes.status"},
			TimestampField:    "data.attributes.resolved_at",
			TimestampFields:   []string{"data.attributes.started_at", "component_update.created_at"},
			StatusMapping: withWords(statuspageWords, map[string]Status{
				"started":  Down,
				"resolved": Operational,
				"downtime": Down,
				"degraded": Degraded,
			}),
			IgnoreStatuses: map[string]string{
				"acknowledged": "Better Stack incident acknowledged; the monitor's status did not change",
			},
			Ignore: []IgnoreRule{
				{Field: "event_type", Values: []string{"incident", "maintenance"}, Reason: "Better Stack status page incident or maintenance notice; only component updates carry a status"},
			},
			sampleFile: "betterstack-incident-started.json",
		},
		{
			Name:             PresetUptimeKuma,
			Description:      "Uptime Kuma webhook notification: heartbeat.status 0 down, 1 up, 2 pending (degraded), 3 maintenance, per monitor; test and certificate notices carry no heartbeat and are ignored.",
			StatusField:      "heartbeat.status",
			MessageField:     "heartbeat.msg",
			MessageFields:    []string{"msg"},
			ServiceNameField: "monitor.name",
			// Uptime Kuma sends no event id; a monitor's beat at one instant
			// is one event.
			EventIDFields:  []string{"heartbeat.monitorID", "heartbeat.time"},
			TimestampField: "heartbeat.time",
			StatusMapping: map[string]Status{
				"0": Down,
				"1": Operational,
				"2": Degraded,
				"3": Maintenance,
			},
			Ignore: []IgnoreRule{
				{Field: "heartbeat", Missing: true, Reason: "Uptime Kuma notification without a heartbeat (a test or certificate notice)"},
			},
			sampleFile: "uptime-kuma-down.json",
		},
		{
			Name:        PresetUptimeRobot,
			Description: "UptimeRobot webhook alert contact with its *variables* as JSON or as query parameters: alertType 1 down, 2 up; SSL-expiry and other notices are ignored.",
			StatusField: "alertType",
			StatusFields: []string{"alertTypeFriendlyName", "query:alertType",
				"query:alertTypeFriendlyName"},
			MessageField:      "alertDetails",
			MessageFields:     []string{"query:alertDetails"},
			ServiceNameField:  "monitorFriendlyName",
			ServiceNameFields: []string{"query:monitorFriendlyName"},
			EventIDFields:     []string{"monitorID", "alertType", "alertDateTime"},
			TimestampField:    "alertDateTime",
			TimestampFields:   []string{"query:alertDateTime"},
			StatusMapping: map[string]Status{
				"1":    Down,
				"2":    Operational,
				"down": Down,
				"up":   Operational,
			},
			IgnoreStatuses: map[string]string{
				"3":          "UptimeRobot SSL certificate notice; the monitor's status did not change",
				"ssl expiry": "UptimeRobot SSL certificate notice; the monitor's status did not change",
				"98":         "UptimeRobot monitor started; it has not been checked yet",
				"99":         "UptimeRobot monitor paused",
				"started":    "UptimeRobot monitor started; it has not been checked yet",
				"paused":     "UptimeRobot monitor paused",
			},
			sampleFile: "uptimerobot-down.json",
		},
		{
			Name:             PresetPingdom,
			Description:      "Pingdom state-change webhooks: current_state UP/DOWN (SUCCESS/FAILING for transaction checks) per check.",
			StatusField:      "current_state",
			MessageField:     "long_description",
			MessageFields:    []string{"description"},
			ServiceNameField: "check_name",
			EventIDFields:    []string{"check_id", "current_state", "state_changed_timestamp"},
			TimestampField:   "state_changed_timestamp",
			TimestampFields:  []string{"state_changed_utc_time"},
			StatusMapping: map[string]Status{
				"up":               Operational,
				"down":             Down,
				"success":          Operational,
				"failing":          Down,
				"unconfirmed_down": Degraded,
			},
			IgnoreStatuses: map[string]string{
				"unknown": "Pingdom check state unknown (paused or not yet checked)",
				"paused":  "Pingdom check paused",
			},
			sampleFile: "pingdom-down.json",
		},
		{
			Name:        PresetPagerDuty,
			Description: "PagerDuty Events API v2 (trigger by severity, acknowledge ignored, resolve by dedup_key alone) and PagerDuty V3 webhooks (incident.triggered, incident.resolved; the rest ignored).",
			// A trigger is as bad as its severity; a resolve or acknowledge is
			// its action; a V3 webhook is its event type.
			StatusField:   `[@this]|#(event_action=="trigger").payload.severity`,
			StatusFields:  []string{"event_action", "event.event_type"},
			MessageField:  "payload.summary",
			MessageFields: []string{"event.data.title"},
			// payload.component names the part that broke when the sender sets
			// it; payload.source (required) is the host otherwise.
			ServiceNameField:  "payload.component",
			ServiceNameFields: []string{"payload.source", "event.data.service.summary"},
			// A resolve carries only dedup_key: the receiver finds the service
			// its trigger named by it.
			CorrelationFields: []string{"dedup_key", "event.data.id"},
			EventIDFields:     []string{"event.id"},
			TimestampField:    "payload.timestamp",
			TimestampFields:   []string{"event.occurred_at"},
			StatusMapping: map[string]Status{
				"critical":           Down,
				"error":              Down,
				"warning":            Degraded,
				"trigger":            Down,
				"resolve":            Operational,
				"incident.triggered": Down,
				"incident.reopened":  Down,
				"incident.resolved":  Operational,
			},
			IgnoreStatuses: map[string]string{
				"info":                  "PagerDuty event of severity info; it does not change a service's status",
				"acknowledge":           "PagerDuty alert acknowledged; the service's status did not change",
				"incident.acknowledged": "PagerDuty incident acknowledged; the service's status did not change",
			},
			Ignore: []IgnoreRule{
				{Field: "event.event_type", Unless: []string{"incident.triggered", "incident.reopened", "incident.resolved", "incident.acknowledged"}, Reason: "PagerDuty webhook event that carries no incident status (a ping, a note, a reassignment)"},
			},
			Signature:  SignatureDefaults{Scheme: schemePagerDuty, Header: "X-PagerDuty-Signature"},
			sampleFile: "pagerduty-trigger.json",
		},
		{
			Name:              PresetOpsgenie,
			Description:       "Opsgenie outgoing webhook integration: Create (by priority P1-P4; P5 ignored) and Close per alert entity; every other action is ignored.",
			StatusField:       `[@this]|#(action=="Create").alert.priority`,
			StatusFields:      []string{"action"},
			MessageField:      "alert.message",
			ServiceNameField:  "alert.entity",
			ServiceNameFields: []string{"alert.source"},
			CorrelationFields: []string{"alert.alias"},
			EventIDFields:     []string{"alert.alertId", "action", "alert.updatedAt"},
			TimestampField:    "alert.updatedAt",
			TimestampFields:   []string{"alert.createdAt"},
			StatusMapping: map[string]Status{
				"p1":     Down,
				"p2":     Down,
				"p3":     Degraded,
				"p4":     Degraded,
				"create": Down,
				"close":  Operational,
			},
			IgnoreStatuses: map[string]string{
				"p5": "Opsgenie alert of priority P5 (informational)",
			},
			Ignore: []IgnoreRule{
				{Field: "action", Unless: []string{"create", "close"}, Reason: "Opsgenie alert action that does not change the alert's state (acknowledge, note, assignment, ...)"},
			},
			sampleFile: "opsgenie-create.json",
		},
		{
			Name:              PresetAzureMonitor,
			Description:       "Azure Monitor common alert schema: a fired alert is as bad as its severity (Sev0/Sev1 down, Sev2/Sev3 degraded, Sev4 ignored), a resolved one operational, per target resource.",
			StatusField:       `[@this]|#(data.essentials.monitorCondition=="Fired").data.essentials.severity`,
			StatusFields:      []string{"data.essentials.monitorCondition"},
			MessageField:      "data.essentials.description",
			MessageFields:     []string{"data.essentials.alertRule"},
			ServiceNameField:  "data.essentials.configurationItems.0",
			ServiceNameFields: []string{"data.essentials.alertRule"},
			EventIDFields:     []string{"data.essentials.alertId", "data.essentials.monitorCondition"},
			TimestampField:    `[@this]|#(data.essentials.monitorCondition=="Resolved").data.essentials.resolvedDateTime`,
			TimestampFields:   []string{"data.essentials.firedDateTime"},
			StatusMapping: map[string]Status{
				"sev0":     Down,
				"sev1":     Down,
				"sev2":     Degraded,
				"sev3":     Degraded,
				"fired":    Down,
				"resolved": Operational,
			},
			IgnoreStatuses: map[string]string{
				"sev4": "Azure Monitor alert of severity Sev4 (verbose)",
			},
			sampleFile: "azure-monitor-fired.json",
		},
		{
			Name:              PresetUpdown,
			Description:       "updown.io webhooks: the body is an array of events, each one update (check.down, check.up, check.performance_drop); SSL notices are ignored.",
			ItemsField:        "@this",
			StatusField:       "event",
			MessageField:      "description",
			ServiceNameField:  "check.alias",
			ServiceNameFields: []string{"check.url"},
			ItemEventIDFields: []string{"check.token", "event", "time"},
			TimestampField:    "time",
			StatusMapping: map[string]Status{
				"check.down":             Down,
				"check.up":               Operational,
				"check.performance_drop": Degraded,
			},
			IgnoreStatuses: map[string]string{
				"check.ssl_invalid":    "updown SSL certificate notice; the check's status did not change",
				"check.ssl_valid":      "updown SSL certificate notice; the check's status did not change",
				"check.ssl_expiration": "updown SSL certificate notice; the check's status did not change",
				"check.ssl_renewed":    "updown SSL certificate notice; the check's status did not change",
			},
			sampleFile: "updown-events.json",
		},
		{
			Name:              PresetCachet,
			Description:       "Cachet 3 webhooks: component_status_changed by the new status number (1 operational, 2 performance issues, 3 partial outage, 4 major outage); every other event is ignored.",
			StatusField:       "data.changes.new_status",
			StatusFields:      []string{"data.new_status", "data.status"},
			ServiceNameField:  "data.name",
			ServiceNameFields: []string{"data.component_id"},
			EventIDFields:     []string{"id"},
			TimestampField:    "created_at",
			StatusMapping: map[string]Status{
				"1": Operational,
				"2": Degraded,
				"3": Degraded,
				"4": Down,
			},
			IgnoreStatuses: map[string]string{
				"0": "Cachet component status unknown",
				"5": "Cachet component status unknown",
			},
			Ignore: []IgnoreRule{
				{Field: "event", Unless: []string{"component_status_changed"}, Reason: "Cachet event that carries no component status change"},
			},
			// Cachet signs with spatie/laravel-webhook-server: hex
			// HMAC-SHA256 of the body in the Signature header.
			Signature:  SignatureDefaults{Scheme: SchemeHMACSHA256, Header: "Signature"},
			sampleFile: "cachet-status-changed.json",
		},
		{
			Name:              PresetGatus,
			Description:       `Gatus custom alert provider with body {"status":"[ALERT_TRIGGERED_OR_RESOLVED]","service":"[ENDPOINT_NAME]","group":"[ENDPOINT_GROUP]","message":"[ALERT_DESCRIPTION]","url":"[ENDPOINT_URL]"} (or the same names as query parameters): TRIGGERED down, RESOLVED operational.`,
			StatusField:       "status",
			StatusFields:      []string{"alert"},
			MessageField:      "message",
			MessageFields:     []string{"description"},
			ServiceNameField:  "service",
			ServiceNameFields: []string{"endpoint", "name"},
			StatusMapping: map[string]Status{
				"triggered": Down,
				"resolved":  Operational,
			},
			sampleFile: "gatus-triggered.json",
		},
		{
			Name:        PresetIncidentIO,
			Description: "incident.io public incident webhooks (public_incident.*_v2): a live (in v1: active) incident is as bad as its severity (Minor degraded, Major and Critical down), a closed or post-incident one operational; triage and declined incidents are ignored.",
			// The status category is "live" in the v2 API and "active" in
			// v1; a live incident is as bad as its severity.
			StatusField: `public_incident\.*|[@this]|#(incident_status.category=="live").severity.name`,
			StatusFields: []string{`public_incident\.*|[@this]|#(incident_status.category=="active").severity.name`,
				`public_incident\.*.incident_status.category`},
			MessageField: `public_incident\.*.name`,
			// incident.io incidents name no component; a receiver with a
			// fixed service is the usual set-up, else the custom field paths
			// of your own account.
			EventIDHeader:   "Webhook-Id",
			TimestampField:  `public_incident\.*.updated_at`,
			TimestampFields: []string{`public_incident\.*.created_at`},
			StatusMapping: map[string]Status{
				"minor":         Degraded,
				"major":         Down,
				"critical":      Down,
				"live":          Down,
				"active":        Down,
				"post-incident": Operational,
				"learning":      Operational,
				"closed":        Operational,
			},
			IgnoreStatuses: map[string]string{
				"triage":   "incident.io incident in triage; not yet confirmed",
				"declined": "incident.io incident declined",
				"merged":   "incident.io incident merged into another",
				"canceled": "incident.io incident canceled",
				"paused":   "incident.io incident paused",
			},
			Ignore: []IgnoreRule{
				{Field: "event_type", Unless: []string{"public_incident.incident_created_v2", "public_incident.incident_updated_v2", "public_incident.incident_status_updated_v2"}, Reason: "incident.io event that carries no public incident status"},
			},
			Signature:  SignatureDefaults{Scheme: SchemeStandardWebhooks},
			sampleFile: "incident-io-created.json",
		},
		{
			Name:              PresetDatadog,
			Description:       `Datadog webhook integration with a payload carrying its variables: {"alert_transition":"$ALERT_TRANSITION","alert_type":"$ALERT_TYPE","alert_id":"$ALERT_ID","title":"$EVENT_TITLE","body":"$EVENT_MSG","date":"$DATE","id":"$ID","service":"$HOSTNAME"}.`,
			StatusField:       "alert_transition",
			StatusFields:      []string{"alert_type", "transition"},
			MessageField:      "title",
			MessageFields:     []string{"body"},
			ServiceNameField:  "service",
			ServiceNameFields: []string{"alert_scope", "hostname"},
			EventIDFields:     []string{"id"},
			TimestampField:    "date",
			TimestampFields:   []string{"last_updated"},
			StatusMapping: map[string]Status{
				"triggered":    Down,
				"re-triggered": Down,
				"recovered":    Operational,
				"warn":         Degraded,
				"re-warn":      Degraded,
				"error":        Down,
				"warning":      Degraded,
				"success":      Operational,
			},
			IgnoreStatuses: map[string]string{
				"no data":    "Datadog monitor without data; it says nothing about the service",
				"re-no data": "Datadog monitor without data; it says nothing about the service",
				"renotify":   "Datadog renotification; the monitor's status did not change",
				"info":       "Datadog informational event",
				"muted":      "Datadog monitor muted",
				"unmuted":    "Datadog monitor unmuted",
			},
			sampleFile: "datadog-triggered.json",
		},
		{
			Name:             PresetStatusgate,
			Description:      "statusgate's own outbound webhooks: service.status_changed carries the new status per service; incident, post and test events are ignored.",
			StatusField:      "data.service.status",
			MessageField:     "data.message",
			MessageFields:    []string{"data.post.title"},
			ServiceNameField: "data.service.name",
			EventIDFields:    []string{"id"},
			EventIDHeader:    "Webhook-Id",
			TimestampField:   "data.occurred_at",
			TimestampFields:  []string{"timestamp"},
			Ignore: []IgnoreRule{
				{Field: "type", Unless: []string{"service.status_changed"}, Reason: "statusgate event that carries no service status (incident, post or test)"},
			},
			Signature:  SignatureDefaults{Scheme: SchemeStandardWebhooks},
			sampleFile: "statusgate-status-changed.json",
		},
	}
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
	for _, l := range []*[]string{&p.StatusFields, &p.MessageFields, &p.ServiceNameFields, &p.EventIDFields,
		&p.ItemEventIDFields, &p.TimestampFields, &p.CorrelationFields} {
		*l = slices.Clone(*l)
	}
	p.SampleHeader = maps.Clone(p.SampleHeader)
	p.SamplePayload = slices.Clone(p.SamplePayload)
	p.StatusMapping = maps.Clone(p.StatusMapping)
	p.IgnoreStatuses = maps.Clone(p.IgnoreStatuses)
	p.Ignore = slices.Clone(p.Ignore)
	for i := range p.Ignore {
		p.Ignore[i].Values = slices.Clone(p.Ignore[i].Values)
		p.Ignore[i].Unless = slices.Clone(p.Ignore[i].Unless)
	}
	return p
}

// samples holds every preset's sample payload, so GET /api/v1/presets can
// show what each sender posts; they are the fixtures the preset tests read.
//
//go:embed testdata/alert24-simple.json
//go:embed testdata/alertmanager-firing.json
//go:embed testdata/azure-monitor-fired.json
//go:embed testdata/betterstack-incident-started.json
//go:embed testdata/cachet-status-changed.json
//go:embed testdata/datadog-triggered.json
//go:embed testdata/gatus-triggered.json
//go:embed testdata/github-deployment-status.json
//go:embed testdata/grafana-firing.json
//go:embed testdata/incident-io-created.json
//go:embed testdata/opsgenie-create.json
//go:embed testdata/pagerduty-trigger.json
//go:embed testdata/pingara-incident-created.json
//go:embed testdata/pingdom-down.json
//go:embed testdata/standard-webhooks-status.json
//go:embed testdata/statusgate-status-changed.json
//go:embed testdata/statuspage-component-update.json
//go:embed testdata/statuspageone-incident.json
//go:embed testdata/statussentry-multi-component.json
//go:embed testdata/updown-events.json
//go:embed testdata/uptime-kuma-down.json
//go:embed testdata/uptimera-incident-opened.json
//go:embed testdata/uptimerobot-down.json
var samples embed.FS

// initPresets builds the table and attaches each preset's sample.
func initPresets() []Preset {
	ps := presetTable()
	for i := range ps {
		if ps[i].sampleFile == "" {
			continue
		}
		// A name missing from the embed list leaves the sample empty;
		// TestPresets fails on that.
		if b, err := samples.ReadFile(path.Join("testdata", ps[i].sampleFile)); err == nil {
			ps[i].SamplePayload = json.RawMessage(b)
		}
	}
	return ps
}
