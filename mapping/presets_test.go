package mapping

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// wantUpdate is what one update of a delivery must come out as.
type wantUpdate struct {
	status  Status
	service string
	ignore  bool
	err     error // errors.Is target of a failing item
}

var (
	down  = func(svc string) wantUpdate { return wantUpdate{status: Down, service: svc} }
	deg   = func(svc string) wantUpdate { return wantUpdate{status: Degraded, service: svc} }
	op    = func(svc string) wantUpdate { return wantUpdate{status: Operational, service: svc} }
	maint = func(svc string) wantUpdate { return wantUpdate{status: Maintenance, service: svc} }
	ign   = func(svc string) wantUpdate { return wantUpdate{ignore: true, service: svc} }
)

// presetCase is one payload of one sender, as a receiver configured with
// nothing but the preset reads it.
type presetCase struct {
	name   string
	preset string
	file   string
	body   []byte // instead of file
	h      http.Header
	q      url.Values
	fixed  bool
	want   []wantUpdate
	// Optional checks of the delivery-level fields; "" skips.
	eventID string
	time    string
	corr    string
	message string
}

func presetCases(t *testing.T) []presetCase {
	gh := func(event string) http.Header { return header("X-GitHub-Event", event, "X-GitHub-Delivery", "d-42") }
	return []presetCase{
		// The existing senders.
		{name: "alert24 degraded", preset: PresetAlert24, file: "alert24-simple.json", fixed: true, want: []wantUpdate{deg("")}},
		{name: "statuspageone down", preset: PresetStatusPageOne, file: "statuspageone-incident.json", want: []wantUpdate{down("API Server")}, time: "2024-01-15T10:30:15Z"},
		{name: "statuspageone up", preset: PresetStatusPageOne, file: "statuspageone-recovery.json", want: []wantUpdate{op("API Server")}},
		{name: "pingara created", preset: PresetPingara, file: "pingara-incident-created.json", want: []wantUpdate{down("API Production")}},
		{name: "pingara resolved", preset: PresetPingara, file: "pingara-incident-resolved.json", want: []wantUpdate{op("API Production")}},
		{name: "uptimera opened", preset: PresetUptimera, file: "uptimera-incident-opened.json", want: []wantUpdate{down("Checkout API")}},
		{name: "uptimera acknowledged", preset: PresetUptimera, file: "uptimera-incident-acknowledged.json", want: []wantUpdate{ign("Checkout API")}},
		{name: "uptimera resolved", preset: PresetUptimera, file: "uptimera-incident-resolved.json", want: []wantUpdate{op("Checkout API")}},
		{name: "statuspage component", preset: PresetStatuspage, file: "statuspage-component-update.json", want: []wantUpdate{down("Email Delivery")}},
		{name: "statuspage incident", preset: PresetStatuspage, file: "statuspage-incident-update.json", want: []wantUpdate{ign("")}},
		{name: "standard webhooks", preset: PresetStandardWebhooks, file: "standard-webhooks-status.json", fixed: true, want: []wantUpdate{deg("")}},

		// StatusSentry: one update per component.
		{name: "statussentry one component", preset: PresetStatusSentry, file: "statussentry-incident-created.json", want: []wantUpdate{deg("API Gateway")},
			eventID: "evt_8a7b9c0d1e2f3g4h", time: "2023-10-27T14:30:00Z", message: "High Latency in EU-West"},
		{name: "statussentry three components are three updates", preset: PresetStatusSentry, file: "statussentry-three-components.json",
			want: []wantUpdate{down("API"), deg("Dashboard"), deg("Webhooks")}, eventID: "evt_3c4d5e6f7a8b9c0d"},
		{name: "statussentry component without a status is ignored, not failed", preset: PresetStatusSentry, file: "statussentry-multi-component.json",
			want: []wantUpdate{op("Dashboard"), deg("API Gateway"), ign("Auth"), down("Webhooks"), down("Billing")}},
		{name: "statussentry resolved without a component status is operational", preset: PresetStatusSentry, file: "statussentry-resolved.json",
			want: []wantUpdate{op("API"), op("Dashboard"), op("Webhooks")}},
		{name: "statussentry test event", preset: PresetStatusSentry, body: []byte(`{"id":"evt_t","type":"test","created_at":"2023-11-02T09:10:00Z","data":{}}`), want: []wantUpdate{ign("")}},

		// GitHub.
		{name: "github deployment success", preset: PresetGitHub, file: "github-deployment-status.json", h: gh("deployment_status"), want: []wantUpdate{op("production")}, eventID: "d-42"},
		{name: "github deployment in progress", preset: PresetGitHub, body: replace(t, "github-deployment-status.json", `"state": "success"`, `"state": "in_progress"`), h: gh("deployment_status"), want: []wantUpdate{maint("production")}},
		{name: "github check run failed", preset: PresetGitHub, file: "github-check-run-completed.json", h: gh("check_run"), want: []wantUpdate{down("e2e-production")},
			time: "2019-05-15T15:24:40Z", message: "3 of 41 end-to-end tests failed"},
		{name: "github check run succeeded", preset: PresetGitHub, body: replace(t, "github-check-run-completed.json", `"conclusion": "failure",
    "started_at"`, `"conclusion": "success",
    "started_at"`), h: gh("check_run"), want: []wantUpdate{op("e2e-production")}},
		{name: "github check run in progress", preset: PresetGitHub, body: replace(t, "github-check-run-completed.json", `"status": "completed",
    "conclusion": "failure"`, `"status": "in_progress",
    "conclusion": null`), h: gh("check_run"), want: []wantUpdate{ign("e2e-production")}},
		{name: "github check run cancelled", preset: PresetGitHub, body: replace(t, "github-check-run-completed.json", `"conclusion": "failure",
    "started_at"`, `"conclusion": "cancelled",
    "started_at"`), h: gh("check_run"), want: []wantUpdate{ign("e2e-production")}},
		{name: "github ping", preset: PresetGitHub, file: "github-ping.json", h: gh("ping"), want: []wantUpdate{ign("")}},
		{name: "github push", preset: PresetGitHub, file: "github-ping.json", h: gh("push"), want: []wantUpdate{ign("")}},

		// Alertmanager and Grafana: one update per alert.
		{name: "alertmanager firing by severity", preset: PresetAlertmanager, file: "alertmanager-firing.json", want: []wantUpdate{down("Checkout API"), deg("Search")},
			time: "2024-03-10T08:15:30.123Z", message: "Checkout API error rate above 5%"},
		{name: "alertmanager resolved", preset: PresetAlertmanager, file: "alertmanager-resolved.json", want: []wantUpdate{op("Checkout API")}, time: "2024-03-10T08:42:00.456Z"},
		{name: "alertmanager watchdog", preset: PresetAlertmanager, file: "alertmanager-watchdog.json", want: []wantUpdate{ign("Watchdog")}},
		{name: "grafana firing", preset: PresetGrafana, file: "grafana-firing.json", want: []wantUpdate{down("Payments")}, time: "2024-05-02T09:20:00Z"},
		{name: "grafana resolved", preset: PresetGrafana, file: "grafana-resolved.json", want: []wantUpdate{op("Payments")}, time: "2024-05-02T09:45:00Z"},
		{name: "grafana test notification", preset: PresetGrafana, file: "grafana-test.json", want: []wantUpdate{ign("")}},
		{name: "grafana legacy alerting", preset: PresetGrafana, fixed: true, body: []byte(`{"title":"[Alerting] CPU","ruleId":1,"ruleName":"CPU","state":"alerting","message":"CPU high"}`), want: []wantUpdate{down("")}},
		{name: "grafana legacy no data", preset: PresetGrafana, fixed: true, body: []byte(`{"title":"[No Data] CPU","ruleId":1,"ruleName":"CPU","state":"no_data"}`), want: []wantUpdate{ign("")}},

		// Better Stack.
		{name: "betterstack started", preset: PresetBetterStack, file: "betterstack-incident-started.json", want: []wantUpdate{down("Marketing site")},
			eventID: "412734:Started", time: "2024-06-11T14:02:11Z", message: "Status 502"},
		{name: "betterstack acknowledged", preset: PresetBetterStack, file: "betterstack-incident-acknowledged.json", want: []wantUpdate{ign("Marketing site")}},
		{name: "betterstack resolved", preset: PresetBetterStack, file: "betterstack-incident-resolved.json", want: []wantUpdate{op("Marketing site")}, time: "2024-06-11T14:31:02Z"},
		{name: "betterstack status page component", preset: PresetBetterStack, file: "betterstack-component-update.json", want: []wantUpdate{down("API")}},
		{name: "betterstack status page incident", preset: PresetBetterStack, file: "betterstack-statuspage-incident.json", want: []wantUpdate{ign("")}},

		// Uptime Kuma.
		{name: "uptime kuma down", preset: PresetUptimeKuma, file: "uptime-kuma-down.json", want: []wantUpdate{down("Billing API")},
			time: "2024-07-01T12:34:56.789Z", eventID: "7:2024-07-01 12:34:56.789", message: "Request failed with status code 503"},
		{name: "uptime kuma up", preset: PresetUptimeKuma, file: "uptime-kuma-up.json", want: []wantUpdate{op("Billing API")}},
		{name: "uptime kuma pending", preset: PresetUptimeKuma, body: replace(t, "uptime-kuma-down.json", `"status": 0`, `"status": 2`), want: []wantUpdate{deg("Billing API")}},
		{name: "uptime kuma maintenance", preset: PresetUptimeKuma, body: replace(t, "uptime-kuma-down.json", `"status": 0`, `"status": 3`), want: []wantUpdate{maint("Billing API")}},
		{name: "uptime kuma test", preset: PresetUptimeKuma, file: "uptime-kuma-test.json", want: []wantUpdate{ign("")}},

		// UptimeRobot, as JSON and as query parameters.
		{name: "uptimerobot down", preset: PresetUptimeRobot, file: "uptimerobot-down.json", want: []wantUpdate{down("Shop")}, time: "2024-06-11T10:40:00Z", message: "Connection Timeout"},
		{name: "uptimerobot up", preset: PresetUptimeRobot, file: "uptimerobot-up.json", want: []wantUpdate{op("Shop")}},
		{name: "uptimerobot ssl expiry", preset: PresetUptimeRobot, file: "uptimerobot-ssl.json", want: []wantUpdate{ign("Shop")}},
		{name: "uptimerobot query parameters", preset: PresetUptimeRobot, body: []byte{},
			q: url.Values{"alertType": {"1"}, "monitorFriendlyName": {"Shop"}, "alertDateTime": {"1718102400"}}, want: []wantUpdate{down("Shop")}, time: "2024-06-11T10:40:00Z"},

		// Pingdom.
		{name: "pingdom down", preset: PresetPingdom, file: "pingdom-down.json", want: []wantUpdate{down("Webshop")}, time: "2024-06-17T08:00:00Z", eventID: "1234567:DOWN:1718611200"},
		{name: "pingdom up", preset: PresetPingdom, file: "pingdom-up.json", want: []wantUpdate{op("Webshop")}},
		{name: "pingdom transaction failing", preset: PresetPingdom, file: "pingdom-transaction-failing.json", want: []wantUpdate{down("Checkout flow")}},
		{name: "pingdom unknown", preset: PresetPingdom, body: replace(t, "pingdom-up.json", `"current_state": "UP"`, `"current_state": "UNKNOWN"`), want: []wantUpdate{ign("Webshop")}},

		// PagerDuty: Events API v2 and V3 webhooks.
		{name: "pagerduty trigger", preset: PresetPagerDuty, file: "pagerduty-trigger.json", want: []wantUpdate{down("Data Pipeline")},
			corr: "disk-prod-datapipe03", time: "2024-08-20T14:42:58.315Z", message: "DISK at 99% on machine prod-datapipe03.example.com"},
		{name: "pagerduty trigger warning", preset: PresetPagerDuty, body: replace(t, "pagerduty-trigger.json", `"severity": "critical"`, `"severity": "warning"`), want: []wantUpdate{deg("Data Pipeline")}},
		{name: "pagerduty trigger info", preset: PresetPagerDuty, body: replace(t, "pagerduty-trigger.json", `"severity": "critical"`, `"severity": "info"`), want: []wantUpdate{ign("Data Pipeline")}},
		{name: "pagerduty resolve by dedup key", preset: PresetPagerDuty, file: "pagerduty-resolve.json", want: []wantUpdate{op("")}, corr: "disk-prod-datapipe03"},
		{name: "pagerduty acknowledge", preset: PresetPagerDuty, file: "pagerduty-acknowledge.json", want: []wantUpdate{ign("")}},
		{name: "pagerduty v3 triggered", preset: PresetPagerDuty, file: "pagerduty-v3-triggered.json", want: []wantUpdate{down("API Service")},
			eventID: "01DEN4HPBQAF2ZVR8LXHD8YOCQ", corr: "PGR0VU2", time: "2024-08-20T14:43:11.123Z"},
		{name: "pagerduty v3 resolved", preset: PresetPagerDuty, body: replace(t, "pagerduty-v3-triggered.json", `"event_type": "incident.triggered"`, `"event_type": "incident.resolved"`), want: []wantUpdate{op("API Service")}},
		{name: "pagerduty v3 annotated", preset: PresetPagerDuty, body: replace(t, "pagerduty-v3-triggered.json", `"event_type": "incident.triggered"`, `"event_type": "incident.annotated"`), want: []wantUpdate{ign("API Service")}},
		{name: "pagerduty v3 ping", preset: PresetPagerDuty, file: "pagerduty-v3-ping.json", want: []wantUpdate{ign("")}},

		// Opsgenie.
		{name: "opsgenie create P2", preset: PresetOpsgenie, file: "opsgenie-create.json", want: []wantUpdate{down("Orders API")}, corr: "orders-api-5xx", time: "2024-06-20T07:53:20.456Z"},
		{name: "opsgenie create P3", preset: PresetOpsgenie, body: replace(t, "opsgenie-create.json", `"priority": "P2"`, `"priority": "P3"`), want: []wantUpdate{deg("Orders API")}},
		{name: "opsgenie create P5", preset: PresetOpsgenie, body: replace(t, "opsgenie-create.json", `"priority": "P2"`, `"priority": "P5"`), want: []wantUpdate{ign("Orders API")}},
		{name: "opsgenie close", preset: PresetOpsgenie, file: "opsgenie-close.json", want: []wantUpdate{op("Orders API")}},
		{name: "opsgenie acknowledge", preset: PresetOpsgenie, file: "opsgenie-acknowledge.json", want: []wantUpdate{ign("Orders API")}},

		// Azure Monitor.
		{name: "azure fired", preset: PresetAzureMonitor, file: "azure-monitor-fired.json", want: []wantUpdate{down("wcus-r2-gen2")}, time: "2024-03-22T13:58:24.3713213Z"},
		{name: "azure resolved", preset: PresetAzureMonitor, file: "azure-monitor-resolved.json", want: []wantUpdate{op("wcus-r2-gen2")}, time: "2024-03-22T14:03:16.2246313Z"},
		{name: "azure sev3 fired", preset: PresetAzureMonitor, body: replace(t, "azure-monitor-fired.json", `"Sev1"`, `"Sev3"`), want: []wantUpdate{deg("wcus-r2-gen2")}},
		{name: "azure verbose", preset: PresetAzureMonitor, file: "azure-monitor-verbose.json", want: []wantUpdate{ign("wcus-r2-gen2")}},

		// updown: the body is an array of events.
		{name: "updown down and an ssl notice", preset: PresetUpdown, file: "updown-events.json", want: []wantUpdate{down("Status page"), ign("Status page")}},
		{name: "updown up", preset: PresetUpdown, file: "updown-up.json", want: []wantUpdate{op("Status page")}, time: "2024-09-02T10:20:00Z"},
		{name: "updown empty array", preset: PresetUpdown, body: []byte(`[]`), want: []wantUpdate{ign("")}},

		// Cachet 3.
		{name: "cachet major outage", preset: PresetCachet, file: "cachet-status-changed.json", want: []wantUpdate{down("Public API")},
			eventID: "9f4c1e2a-6b7d-4f3e-8a1b-2c3d4e5f6a7b", time: "2024-10-05T09:12:00Z"},
		{name: "cachet operational", preset: PresetCachet, file: "cachet-recovered.json", want: []wantUpdate{op("Public API")}},
		{name: "cachet performance issues", preset: PresetCachet, body: replace(t, "cachet-status-changed.json", `"new_status": 4`, `"new_status": 2`), want: []wantUpdate{deg("Public API")}},
		{name: "cachet incident", preset: PresetCachet, file: "cachet-incident-created.json", want: []wantUpdate{ign("API outage")}},

		// Gatus, by body or by query parameters.
		{name: "gatus triggered", preset: PresetGatus, file: "gatus-triggered.json", want: []wantUpdate{down("core_frontend")}, message: "healthcheck failed 3 times in a row"},
		{name: "gatus resolved", preset: PresetGatus, file: "gatus-resolved.json", want: []wantUpdate{op("core_frontend")}},
		{name: "gatus query parameters", preset: PresetGatus, body: nil, q: url.Values{"status": {"TRIGGERED"}, "service": {"core_frontend"}}, want: []wantUpdate{down("core_frontend")}},

		// incident.io.
		{name: "incident.io live major", preset: PresetIncidentIO, file: "incident-io-created.json", fixed: true, h: header("Webhook-Id", "msg_1"),
			want: []wantUpdate{down("")}, eventID: "msg_1", message: "Card payments are failing", time: "2024-11-04T10:02:05Z"},
		{name: "incident.io v1 active major", preset: PresetIncidentIO, body: replace(t, "incident-io-created.json", `"category": "live"`, `"category": "active"`), fixed: true, want: []wantUpdate{down("")}},
		{name: "incident.io live minor", preset: PresetIncidentIO, body: replace(t, "incident-io-created.json", `"name": "Major"`, `"name": "Minor"`), fixed: true, want: []wantUpdate{deg("")}},
		{name: "incident.io closed", preset: PresetIncidentIO, file: "incident-io-closed.json", fixed: true, want: []wantUpdate{op("")}},
		{name: "incident.io triage", preset: PresetIncidentIO, file: "incident-io-triage.json", fixed: true, want: []wantUpdate{ign("")}},
		{name: "incident.io learning", preset: PresetIncidentIO, body: replace(t, "incident-io-closed.json", `"category": "closed"`, `"category": "learning"`), fixed: true, want: []wantUpdate{op("")}},
		{name: "incident.io other event", preset: PresetIncidentIO, fixed: true, body: []byte(`{"event_type":"public_incident.follow_up_created_v1","public_incident.follow_up_created_v1":{"id":"x"}}`), want: []wantUpdate{ign("")}},

		// Datadog.
		{name: "datadog triggered", preset: PresetDatadog, file: "datadog-triggered.json", want: []wantUpdate{down("checkout")}, time: "2024-11-05T13:12:25Z"},
		{name: "datadog recovered", preset: PresetDatadog, file: "datadog-recovered.json", want: []wantUpdate{op("checkout")}},
		{name: "datadog warn", preset: PresetDatadog, body: replace(t, "datadog-triggered.json", `"alert_transition": "Triggered"`, `"alert_transition": "Warn"`), want: []wantUpdate{deg("checkout")}},
		{name: "datadog no data", preset: PresetDatadog, file: "datadog-nodata.json", want: []wantUpdate{ign("checkout")}},

		// statusgate's own outbound events.
		{name: "statusgate status changed", preset: PresetStatusgate, file: "statusgate-status-changed.json", want: []wantUpdate{deg("Search")},
			eventID: "evt_01JD8X2Q3R4S5T6V7W8X9Y0Z1A", time: "2024-11-20T16:01:00.250Z", message: "Search results are slower than usual"},
		{name: "statusgate recovered", preset: PresetStatusgate, body: replace(t, "statusgate-status-changed.json", `"status": "degraded"`, `"status": "operational"`), want: []wantUpdate{op("Search")}},
		{name: "statusgate incident opened", preset: PresetStatusgate, file: "statusgate-incident-opened.json", want: []wantUpdate{ign("Search")}},
		{name: "statusgate test", preset: PresetStatusgate, file: "statusgate-test.json", want: []wantUpdate{ign("")}},
	}
}

// TestPresetPayloads is the preset x payload x outcome table: every status
// right, every informational event ignored and none failed.
func TestPresetPayloads(t *testing.T) {
	t.Parallel()
	for _, tt := range presetCases(t) {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body := tt.body
			if tt.file != "" {
				body = mustRead(t, tt.file)
			}
			rules := Rules{Preset: tt.preset, FixedService: tt.fixed}
			if err := rules.Validate(); err != nil {
				t.Fatalf("Validate() = %v", err)
			}
			x, err := Extract(Input{Body: body, Header: tt.h, Query: tt.q}, rules)
			if err != nil {
				t.Fatalf("Extract error = %v; want nil (no payload of a preset's sender may fail)", err)
			}
			got := x.Updates()
			if len(got) != len(tt.want) {
				t.Fatalf("got %d updates %+v; want %d", len(got), got, len(tt.want))
			}
			for i, w := range tt.want {
				g := got[i]
				if w.err != nil {
					if !errors.Is(g.Err, w.err) {
						t.Fatalf("update %d error = %v; want %v", i, g.Err, w.err)
					}
					continue
				}
				if g.Err != nil || g.Status != w.status || g.Ignore != w.ignore || g.ServiceName != w.service {
					t.Fatalf("update %d = {status %q ignore %v service %q err %v}; want {status %q ignore %v service %q}",
						i, g.Status, g.Ignore, g.ServiceName, g.Err, w.status, w.ignore, w.service)
				}
				if g.Ignore && g.IgnoreReason == "" {
					t.Fatalf("update %d is ignored without a reason", i)
				}
				if !g.Ignore && g.RawStatus == "" {
					t.Fatalf("update %d has status %q but no raw status", i, g.Status)
				}
			}
			if tt.eventID != "" && x.EventID != tt.eventID {
				t.Fatalf("EventID = %q; want %q", x.EventID, tt.eventID)
			}
			if tt.time != "" && !x.EventTime.Equal(mustTime(t, tt.time)) {
				t.Fatalf("EventTime = %v; want %s", x.EventTime, tt.time)
			}
			if tt.corr != "" && x.CorrelationKey != tt.corr {
				t.Fatalf("CorrelationKey = %q; want %q", x.CorrelationKey, tt.corr)
			}
			if tt.message != "" && x.Message != tt.message {
				t.Fatalf("Message = %q; want %q", x.Message, tt.message)
			}
		})
	}
}

// TestPresetItemIDs checks that the items of one delivery never share an
// event id, so a receiver's duplicate check cannot drop a sibling.
func TestPresetItemIDs(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		preset, file string
		want         []string
	}{
		{PresetStatusSentry, "statussentry-three-components.json", []string{"evt_3c4d5e6f7a8b9c0d:comp_api", "evt_3c4d5e6f7a8b9c0d:comp_dashboard", "evt_3c4d5e6f7a8b9c0d:comp_webhooks"}},
		{PresetAlertmanager, "alertmanager-firing.json", []string{"c2a4e5f06b1d9e3a:firing:2024-03-10T08:15:30.123Z", "7f3b2c1d0e9a8b6c:firing:2024-03-10T08:16:00Z"}},
		{PresetUpdown, "updown-events.json", []string{"ngg8:check.down:2024-09-02T10:11:12Z", "ngg8:check.ssl_expiration:2024-09-02T10:11:40Z"}},
	} {
		x, err := Extract(Input{Body: mustRead(t, tt.file)}, Rules{Preset: tt.preset})
		if err != nil {
			t.Fatalf("%s: Extract error = %v", tt.file, err)
		}
		for i, u := range x.Items {
			if u.EventID != tt.want[i] {
				t.Fatalf("%s item %d EventID = %q; want %q", tt.file, i, u.EventID, tt.want[i])
			}
		}
	}
	t.Run("items without their own id take the delivery id and their position", func(t *testing.T) {
		t.Parallel()
		body := []byte(`{"id":"d1","list":[{"status":"down","name":"a"},{"status":"ok","name":"b"}]}`)
		x, err := Extract(Input{Body: body}, Rules{ItemsField: "list", ServiceNameField: "name", EventIDField: "id"})
		if err != nil || len(x.Items) != 2 || x.Items[0].EventID != "d1:0" || x.Items[1].EventID != "d1:1" || x.EventID != "d1" {
			t.Fatalf("Extract = %+v, %v; want item ids d1:0 and d1:1 and delivery id d1", x, err)
		}
	})
}

func TestPresets(t *testing.T) {
	t.Parallel()
	wantNames := []string{
		PresetAlert24, PresetStatusPageOne, PresetPingara, PresetStatusSentry, PresetGitHub, PresetUptimera, PresetStatuspage, PresetStandardWebhooks,
		PresetAlertmanager, PresetGrafana, PresetBetterStack, PresetUptimeKuma, PresetUptimeRobot, PresetPingdom, PresetPagerDuty, PresetOpsgenie,
		PresetAzureMonitor, PresetUpdown, PresetCachet, PresetGatus, PresetIncidentIO, PresetDatadog, PresetStatusgate,
	}
	ps := Presets()
	if len(ps) != len(wantNames) {
		t.Fatalf("len(Presets()) = %d; want %d", len(ps), len(wantNames))
	}
	tested := map[string]bool{}
	for _, c := range presetCases(t) {
		tested[c.preset] = true
	}
	for i, p := range ps {
		t.Run(p.Name+" is complete and valid", func(t *testing.T) {
			t.Parallel()
			if p.Name != wantNames[i] {
				t.Fatalf("Presets()[%d].Name = %q; want %q", i, p.Name, wantNames[i])
			}
			if !tested[p.Name] {
				t.Fatalf("preset %q has no payload in TestPresetPayloads", p.Name)
			}
			if p.Description == "" || p.StatusField == "" {
				t.Fatalf("preset %q has description %q and status field %q; want both set", p.Name, p.Description, p.StatusField)
			}
			if err := (Rules{Preset: p.Name}).Validate(); err != nil {
				t.Fatalf("Rules{Preset: %q}.Validate() = %v; want nil", p.Name, err)
			}
			paths := []string{p.StatusField, p.MessageField, p.ServiceNameField, p.TimestampField}
			for _, l := range [][]string{p.StatusFields, p.MessageFields, p.ServiceNameFields, p.TimestampFields, p.EventIDFields, p.ItemEventIDFields, p.CorrelationFields} {
				paths = append(paths, l...)
			}
			for _, path := range paths {
				if path == "" {
					continue
				}
				if msg := checkSourcePath(path); msg != "" {
					t.Fatalf("preset %q path %q: %s", p.Name, path, msg)
				}
			}
			if p.ItemsField != "" {
				if msg := checkItemsPath(p.ItemsField); msg != "" {
					t.Fatalf("preset %q items path %q: %s", p.Name, p.ItemsField, msg)
				}
			}
			for word, st := range p.StatusMapping {
				if (!st.Valid() && st != Ignored) || word != normalizeWord(word) {
					t.Fatalf("preset %q maps %q to %q; want a normalized word and a valid status", p.Name, word, st)
				}
				if _, both := p.IgnoreStatuses[word]; both {
					t.Fatalf("preset %q both maps and ignores %q", p.Name, word)
				}
			}
			for word, reason := range p.IgnoreStatuses {
				if word != normalizeWord(word) || reason == "" {
					t.Fatalf("preset %q ignores %q with reason %q; want a normalized word and a reason", p.Name, word, reason)
				}
			}
			for _, r := range p.Ignore {
				if (r.Header == "") == (r.Field == "") || r.Reason == "" {
					t.Fatalf("preset %q ignore rule %+v; want exactly one of Header and Field, and a reason", p.Name, r)
				}
				for _, v := range append(append([]string{}, r.Values...), r.Unless...) {
					if v != normalizeWord(v) {
						t.Fatalf("preset %q ignore rule value %q is not normalized", p.Name, v)
					}
				}
			}
			if s := p.Signature.Scheme; s != "" {
				cfg := SignatureConfig{Scheme: s, Header: p.Signature.Header, Secrets: [][]byte{[]byte("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")}}
				if err := cfg.Validate(); err != nil {
					t.Fatalf("preset %q signature defaults %+v: Validate() = %v; want nil", p.Name, p.Signature, err)
				}
			}
			if !json.Valid(p.SamplePayload) {
				t.Fatalf("preset %q sample payload is not JSON: %.80q", p.Name, p.SamplePayload)
			}
			h := http.Header{}
			for k, v := range p.SampleHeader {
				h.Set(k, v)
			}
			x, err := Extract(Input{Body: p.SamplePayload, Header: h}, Rules{Preset: p.Name})
			if err != nil || x.Ignore || !x.Status.Valid() {
				t.Fatalf("preset %q sample reads as %+v, %v; want a status (a sample should show a status change)", p.Name, x, err)
			}
			got, ok := LookupPreset(p.Name)
			if !ok || got.Name != p.Name {
				t.Fatalf("LookupPreset(%q) = %q, %v; want the preset", p.Name, got.Name, ok)
			}
		})
	}
	t.Run("unknown name is not found", func(t *testing.T) {
		t.Parallel()
		if _, ok := LookupPreset("GitHub"); ok {
			t.Fatalf("LookupPreset(%q) found a preset; want none (names are exact)", "GitHub")
		}
	})
	t.Run("returned presets are copies", func(t *testing.T) {
		t.Parallel()
		p, _ := LookupPreset(PresetGitHub)
		p.StatusMapping["success"] = Down
		p.Ignore[0].Values[0] = "push"
		p.Ignore[1].Unless[0] = "push"
		p.IgnoreStatuses["inactive"] = "changed"
		p.StatusFields[0] = "x"
		p.SamplePayload[0] = 'x'
		p.SampleHeader["X-GitHub-Event"] = "push"
		all := Presets()
		all[0].EventIDFields = append(all[0].EventIDFields, "x")
		again, _ := LookupPreset(PresetGitHub)
		if again.StatusMapping["success"] != Operational || again.Ignore[0].Values[0] != "ping" || again.Ignore[1].Unless[0] != "deployment_status" ||
			again.IgnoreStatuses["inactive"] == "changed" || again.StatusFields[0] != "check_run.conclusion" || again.SamplePayload[0] != '{' ||
			again.SampleHeader["X-GitHub-Event"] != "deployment_status" {
			t.Fatalf("changing a returned preset changed the built-in one: %+v", again)
		}
	})
	t.Run("presets marshal with their settings and sample", func(t *testing.T) {
		t.Parallel()
		p, _ := LookupPreset(PresetStatusSentry)
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("json.Marshal(preset) = %v", err)
		}
		for _, want := range []string{`"name":"statussentry"`, `"items_field":"data.components"`, `"sample_payload":{`, `"scheme":"hmac-sha256-timestamped"`} {
			if !strings.Contains(string(b), want) {
				t.Fatalf("marshalled preset %s; want it to contain %s", b, want)
			}
		}
	})
}
