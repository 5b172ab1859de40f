package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/statusgate/statusgate/apitest"
	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/dbtest"
	"github.com/statusgate/statusgate/testclock"
)

// outboundRequest is one request a test endpoint received, already verified.
type outboundRequest struct {
	id   string
	body map[string]any
}

// swVerifier is a Standard Webhooks receiver written from the spec for the tests:
// it answers 401 to a request whose signature does not verify and hands the valid
// ones to got.
func swVerifier(t *testing.T, secret *string, got chan<- outboundRequest) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		id, ts, sigs := r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp"), r.Header.Get("webhook-signature")
		key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(*secret, "whsec_"))
		if err != nil || id == "" || ts == "" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		if _, err := strconv.ParseInt(ts, 10, 64); err != nil {
			http.Error(w, "bad timestamp", http.StatusBadRequest)
			return
		}
		mac := hmac.New(sha256.New, key)
		fmt.Fprintf(mac, "%s.%s.", id, ts)
		mac.Write(body)
		want := mac.Sum(nil)
		ok := false
		for _, entry := range strings.Fields(sigs) {
			if v, s, found := strings.Cut(entry, ","); found && v == "v1" {
				if b, err := base64.StdEncoding.DecodeString(s); err == nil && hmac.Equal(b, want) {
					ok = true
				}
			}
		}
		if !ok {
			t.Errorf("request %s: signature %q does not verify", id, sigs)
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil || m["id"] != id {
			t.Errorf("request %s: body %s is not the envelope of its webhook-id", id, body)
		}
		w.WriteHeader(http.StatusNoContent)
		got <- outboundRequest{id: id, body: m}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// next waits for the endpoint's next verified request (the workers deliver after
// commit, woken by it); a minute without one fails the test.
func next(t *testing.T, got <-chan outboundRequest) outboundRequest {
	t.Helper()
	select {
	case r := <-got:
		return r
	case <-time.After(time.Minute):
		t.Fatalf("no event reached the endpoint")
		return outboundRequest{}
	}
}

// A webhook that changes a status reaches the channel's endpoint as signed events,
// together with the automatic incident it opened; the SLA breach it causes is sent
// once, not again on the next change while it stays breached.
func TestOutboundEndToEnd(t *testing.T) {
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			clock := testclock.New(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
			m, do := startOutbound(t, d, clock, nil)

			var secret string
			got := make(chan outboundRequest, 32)
			ep := swVerifier(t, &secret, got)
			svc := do(http.MethodPost, "/api/v1/services", map[string]any{"name": "Checkout", "sla_target": 99.9}, http.StatusCreated)
			recv := do(http.MethodPost, "/api/v1/receivers", map[string]any{
				"name": "monitor", "service_id": svc["id"], "auto_incidents": map[string]any{"enabled": true},
			}, http.StatusCreated)
			ch := do(http.MethodPost, "/api/v1/channels", map[string]any{"name": "ops", "type": "webhook", "url": ep.URL}, http.StatusCreated)
			secret = ch["secret"].(string)
			push := func(status string) {
				t.Helper()
				a := apitest.Do(t, http.MethodPost, m.URL()+"/api/webhooks/incoming/"+recv["token"].(string), "", `{"status": "`+status+`", "message": "probe says `+status+`"}`)
				if a.Status != http.StatusOK || a.Map(t)["result"] != "processed" {
					t.Fatalf("push %s = %d %s", status, a.Status, a.Body)
				}
			}

			clock.Advance(time.Hour)
			push("down")
			byType := map[string]map[string]any{}
			for range 3 {
				r := next(t, got)
				byType[r.body["type"].(string)] = r.body
			}
			changed := byType["service.status_changed"]
			if changed == nil || byType["incident.created"] == nil || byType["post.created"] == nil {
				t.Fatalf("events after going down = %v, want status_changed, incident.created, post.created", keys(byType))
			}
			data := changed["data"].(map[string]any)
			service := data["service"].(map[string]any)
			if service["id"] != svc["id"] || service["status"] != "down" || service["previous_status"] != "operational" ||
				data["source"] != "webhook" || data["delivery_id"] == nil || data["message"] != "probe says down" ||
				data["page_url"] != m.Config.PublicURL+"/status/default" {
				t.Fatalf("service.status_changed data = %v", data)
			}
			if inc := byType["incident.created"]["data"].(map[string]any)["incident"].(map[string]any); inc["status"] != "investigating" {
				t.Fatalf("incident.created incident = %v", inc)
			}
			// An incident event names its service as the change left it.
			wantService := func(typ, status string) {
				t.Helper()
				got := byType[typ]["data"].(map[string]any)["service"].(map[string]any)
				if got["id"] != svc["id"] || got["name"] != "Checkout" || got["status"] != status {
					t.Fatalf("%s service = %v, want Checkout %s", typ, got, status)
				}
			}
			wantService("incident.created", "down")

			// One minute down in 61 monitored minutes is far below 99.9 %.
			clock.Advance(time.Minute)
			push("operational")
			byType = map[string]map[string]any{}
			for range 4 {
				r := next(t, got)
				byType[r.body["type"].(string)] = r.body
			}
			for _, typ := range []string{"service.status_changed", "post.created", "incident.resolved", "sla.breached"} {
				if byType[typ] == nil {
					t.Fatalf("events after recovering = %v, want %s", keys(byType), typ)
				}
			}
			wantService("incident.resolved", "operational")
			sla := byType["sla.breached"]["data"].(map[string]any)["sla"].(map[string]any)
			if sla["target_percent"] != 99.9 || sla["uptime_percent"].(float64) >= 99.9 || sla["window"] != "30d" {
				t.Fatalf("sla.breached sla = %v", sla)
			}

			// Still breached after the next change: no second sla.breached. Deliveries
			// are written in the change's transaction, so the log is complete when the
			// push has been answered.
			clock.Advance(time.Minute)
			push("degraded")
			for range 3 {
				next(t, got)
			}
			list := do(http.MethodGet, "/api/v1/channels/"+ch["id"].(string)+"/deliveries?limit=200", nil, http.StatusOK)
			count := map[string]int{}
			for _, d := range list["deliveries"].([]any) {
				count[d.(map[string]any)["event_type"].(string)]++
			}
			if count["sla.breached"] != 1 || count["sla.budget_warning"] != 0 || count["service.status_changed"] != 3 {
				t.Fatalf("deliveries by type = %v, want one sla.breached and three status changes", count)
			}

			// An operator's post is announced too.
			do(http.MethodPost, "/api/v1/posts", map[string]any{"title": "Planned work", "body": "Tonight 22:00", "service_id": svc["id"]}, http.StatusCreated)
			r := next(t, got)
			data = r.body["data"].(map[string]any)
			if r.body["type"] != "post.created" || data["source"] != "manual" || data["post"].(map[string]any)["title"] != "Planned work" {
				t.Fatalf("after a manual post the endpoint got %v", r.body)
			}
		})
	}
}

func keys(m map[string]map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// One statusgate follows another's services: the upstream's webhook channel points at
// a downstream receiver with the statusgate preset and the channel's secret; an
// operator's change upstream moves the downstream service of the same name, and the
// upstream's other events (the post it wrote) change nothing.
func TestStatusgateFollowsStatusgate(t *testing.T) {
	start := func() (*Main, string) {
		cfg := testConfig(t, dbtest.URL(t, database.SQLite))
		cfg.OutboundAllowPrivate = true // the downstream listens on loopback
		m, stdout := startMain(t, cfg)
		return m, keyPattern.FindString(stdout.String())
	}
	upstream, upKey := start()
	downstream, downKey := start()
	call := func(m *Main, key, method, path string, body any, want int) map[string]any {
		t.Helper()
		a := apitest.Do(t, method, m.URL()+path, key, body)
		if a.Status != want {
			t.Fatalf("%s %s = %d %s, want %d", method, path, a.Status, a.Body, want)
		}
		return a.Map(t)
	}
	secret := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	upSvc := call(upstream, upKey, http.MethodPost, "/api/v1/services", map[string]any{"name": "Checkout"}, http.StatusCreated)
	downSvc := call(downstream, downKey, http.MethodPost, "/api/v1/services", map[string]any{"name": "checkout"}, http.StatusCreated)
	recv := call(downstream, downKey, http.MethodPost, "/api/v1/receivers", map[string]any{
		"name": "upstream statusgate", "preset": "statusgate", "signature": map[string]any{"secret": secret},
	}, http.StatusCreated)
	call(upstream, upKey, http.MethodPost, "/api/v1/channels", map[string]any{
		"name": "downstream", "type": "webhook", "secret": secret,
		"url": downstream.URL() + "/api/webhooks/incoming/" + recv["token"].(string),
	}, http.StatusCreated)

	call(upstream, upKey, http.MethodPut, "/api/v1/services/"+upSvc["id"].(string)+"/status", map[string]any{"status": "down", "message": "card processor unreachable"}, http.StatusOK)
	deadline := time.Now().Add(time.Minute)
	for {
		got := call(downstream, downKey, http.MethodGet, "/api/v1/services/"+downSvc["id"].(string), nil, http.StatusOK)
		if got["status"] == "down" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("downstream service is %v a minute after the upstream went down", got["status"])
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Both upstream events (status change and post) arrived; only one moved a status.
	for {
		log := call(downstream, downKey, http.MethodGet, "/api/v1/receivers/"+recv["id"].(string)+"/deliveries", nil, http.StatusOK)
		results := map[string]int{}
		for _, d := range log["deliveries"].([]any) {
			results[d.(map[string]any)["result"].(string)]++
		}
		if results["processed"] == 1 && results["ignored"] == 1 && len(results) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("downstream delivery log = %v, want one processed and one ignored", results)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// An outage uses up the error budget while nothing changes: the SLA sweep sends
// sla.breached without waiting for the next status change, and only once.
func TestSLABreachWhileNothingChanges(t *testing.T) {
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			clock := testclock.New(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
			m, do := startOutbound(t, d, clock, nil)
			var secret string
			got := make(chan outboundRequest, 32)
			ep := swVerifier(t, &secret, got)
			svc := do(http.MethodPost, "/api/v1/services", map[string]any{"name": "Checkout", "sla_target": 99.9}, http.StatusCreated)
			ch := do(http.MethodPost, "/api/v1/channels", map[string]any{"name": "ops", "type": "webhook", "url": ep.URL,
				"event_types": []string{"sla.breached", "sla.budget_warning"}}, http.StatusCreated)
			secret = ch["secret"].(string)

			clock.Advance(time.Hour)
			do(http.MethodPut, "/api/v1/services/"+svc["id"].(string)+"/status", map[string]any{"status": "down"}, http.StatusOK)
			sweep := func() {
				t.Helper()
				if err := m.bridge.sweepSLA(context.Background()); err != nil {
					t.Fatalf("SLA sweep: %v", err)
				}
			}
			sweep() // just went down: 60 minutes up, none down, nothing to say
			// One minute down in 61 monitored minutes is far below 99.9 %.
			clock.Advance(time.Minute)
			sweep()
			r := next(t, got)
			if r.body["type"] != "sla.breached" {
				t.Fatalf("after a minute down with no change the endpoint got %v, want sla.breached", r.body["type"])
			}
			data := r.body["data"].(map[string]any)
			if data["source"] != "sweeper" || data["service"].(map[string]any)["status"] != "down" {
				t.Fatalf("sla.breached data = %v", data)
			}
			clock.Advance(time.Minute)
			sweep()
			list := do(http.MethodGet, "/api/v1/channels/"+ch["id"].(string)+"/deliveries", nil, http.StatusOK)
			if n := len(list["deliveries"].([]any)); n != 1 {
				t.Fatalf("after sweeping again while still breached the channel has %d deliveries, want 1", n)
			}
		})
	}
}

// apiFunc calls the admin API with the bootstrap key and fails the test unless the
// answer has the wanted status.
type apiFunc func(method, path string, body any, want int) map[string]any

// startOutbound starts a gateway that may send to loopback, on clock when it is not
// nil, after edit has adjusted its configuration, and returns it with an API caller.
func startOutbound(t *testing.T, d database.Dialect, clock *testclock.Clock, edit func(*Config)) (*Main, apiFunc) {
	t.Helper()
	cfg := testConfig(t, dbtest.URL(t, d))
	cfg.OutboundAllowPrivate = true
	if edit != nil {
		edit(&cfg)
	}
	stdout := &syncBuffer{}
	m := NewMain(cfg, stdout, testLogWriter{t})
	if clock != nil {
		m.NowFunc = clock.Now
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatalf("starting gateway: %v", err)
	}
	t.Cleanup(func() { _ = m.Close() })
	key := keyPattern.FindString(stdout.String())
	return m, func(method, path string, body any, want int) map[string]any {
		t.Helper()
		a := apitest.Do(t, method, m.URL()+path, key, body)
		if a.Status != want {
			t.Fatalf("%s %s = %d %s, want %d", method, path, a.Status, a.Body, want)
		}
		return a.Map(t)
	}
}
