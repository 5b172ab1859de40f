package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/statusgate/statusgate/apitest"
	"github.com/statusgate/statusgate/database"
)

// /metrics is scraped and parsed by Prometheus's own text parser, and shows a status
// change made through the API.
func TestMetricsEndpointIsScrapable(t *testing.T) {
	m, key := startWithKey(t, database.SQLite)
	svc := apitest.Do(t, http.MethodPost, m.URL()+"/api/v1/services", key, map[string]any{"name": "Mail"})
	var created struct{ ID string }
	svc.JSON(t, &created)
	id := created.ID
	if a := apitest.Do(t, http.MethodPut, m.URL()+"/api/v1/services/"+id+"/status", key, map[string]any{"status": "down"}); a.Status != http.StatusOK {
		t.Fatalf("manual status change = %d %s", a.Status, a.Body)
	}
	if a := apitest.Do(t, http.MethodPost, m.URL()+"/api/v1/incidents", key, map[string]any{"title": "Mail is slow", "service_id": id}); a.Status != http.StatusCreated {
		t.Fatalf("creating an incident = %d %s", a.Status, a.Body)
	}
	// One processed delivery, one unmapped word, one unknown token.
	recv := apitest.Do(t, http.MethodPost, m.URL()+"/api/v1/receivers", key, map[string]any{"name": "Mail status", "service_id": id})
	var created2 struct{ URL string }
	recv.JSON(t, &created2)
	hook := strings.Replace(created2.URL, "http://localhost:8080", m.URL(), 1)
	for body, want := range map[string]int{`{"status":"operational"}`: http.StatusOK, `{"status":"purple"}`: http.StatusUnprocessableEntity} {
		if a := apitest.Do(t, http.MethodPost, hook, "", json.RawMessage(body)); a.Status != want {
			t.Fatalf("POST %s = %d %s, want %d", body, a.Status, a.Body, want)
		}
	}
	if a := apitest.Do(t, http.MethodPost, m.URL()+"/api/webhooks/incoming/"+strings.Repeat("x", 64), "", json.RawMessage(`{"status":"down"}`)); a.Status != http.StatusNotFound {
		t.Fatalf("unknown token = %d", a.Status)
	}
	resp, err := http.Get(m.URL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parsing /metrics: %v", err)
	}
	for _, name := range []string{"go_goroutines", "go_sql_max_open_connections", "statusgate_status_transitions_total", "statusgate_incidents_open",
		"statusgate_outbound_attempts_total", "statusgate_outbox_backlog", "statusgate_outbox_oldest_age_seconds"} {
		if _, ok := fams[name]; !ok {
			t.Fatalf("/metrics has no %s", name)
		}
	}
	var downManual float64
	for _, mt := range fams["statusgate_status_transitions_total"].GetMetric() {
		labels := map[string]string{}
		for _, l := range mt.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		if labels["to"] == "down" && labels["source"] == "manual" {
			downManual = mt.GetCounter().GetValue()
		}
	}
	if open := fams["statusgate_incidents_open"].GetMetric()[0].GetGauge().GetValue(); open != 1 {
		t.Fatalf("incidents_open = %v, want 1", open)
	}
	value := func(name string, labels map[string]string) float64 {
		for _, mt := range fams[name].GetMetric() {
			match := true
			for _, l := range mt.GetLabel() {
				if want, ok := labels[l.GetName()]; ok && want != l.GetValue() {
					match = false
				}
			}
			if match {
				if c := mt.GetCounter(); c != nil {
					return c.GetValue()
				}
				return float64(mt.GetHistogram().GetSampleCount())
			}
		}
		return 0
	}
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"statusgate_inbound_deliveries_total", map[string]string{"result": "processed"}, 1},
		{"statusgate_inbound_deliveries_total", map[string]string{"result": "failed", "reason": "status_unmapped"}, 1},
		{"statusgate_inbound_request_duration_seconds", map[string]string{"result": "failed"}, 1},
		{"statusgate_inbound_unknown_tokens_total", nil, 1},
	} {
		if got := value(c.name, c.labels); got != c.want {
			t.Fatalf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	// Both deliveries were written through group commit; other work (an outbox
	// claim, a prune) may share or add commits, so only the bounds are exact.
	commits, writes := value("statusgate_group_commits_total", nil), value("statusgate_group_commit_writes_total", nil)
	if commits < 1 || writes < 2 || writes < commits {
		t.Fatalf("group commits = %v holding %v writes, want at least 1 holding the 2 deliveries", commits, writes)
	}
	if failed := value("statusgate_group_commit_failures_total", nil); failed != 0 {
		t.Fatalf("group commit failures = %v, want 0", failed)
	}
	if downManual != 1 {
		t.Fatalf("transitions to down by manual = %v, want 1", downManual)
	}
}

func TestMetricsOnTheirOwnListenerWithAToken(t *testing.T) {
	cfg := testConfig(t, "sqlite://"+t.TempDir()+"/m.db")
	cfg.MetricsListen, cfg.MetricsToken = "127.0.0.1:0", "scrape-me"
	m, _ := startMain(t, cfg)
	if a := apitest.Do(t, http.MethodGet, m.URL()+"/metrics", "", nil); a.Status != http.StatusNotFound {
		t.Fatalf("/metrics on the public listener = %d, want 404 when it has its own", a.Status)
	}
	url := "http://" + m.metricsAddr.String() + "/metrics"
	if a := apitest.Do(t, http.MethodGet, url, "", nil); a.Status != http.StatusUnauthorized {
		t.Fatalf("without the token = %d, want 401", a.Status)
	}
	if a := apitest.Do(t, http.MethodGet, url, "scrape-me", nil); a.Status != http.StatusOK {
		t.Fatalf("with the token = %d, want 200", a.Status)
	}
}
