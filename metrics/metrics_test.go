package metrics

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape reads /metrics as Prometheus would, with its own text parser.
func scrape(t *testing.T, h http.Handler, auth string) (int, map[string]*dto.MetricFamily) {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, nil
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("the Prometheus text parser refuses /metrics: %v", err)
	}
	return resp.StatusCode, families
}

func counterValue(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	t.Helper()
	fam, ok := fams[name]
	if !ok {
		t.Fatalf("no metric %s", name)
	}
	for _, m := range fam.GetMetric() {
		match := true
		for _, lp := range m.GetLabel() {
			if want, ok := labels[lp.GetName()]; ok && want != lp.GetValue() {
				match = false
			}
		}
		if match {
			if c := m.GetCounter(); c != nil {
				return c.GetValue()
			}
			if g := m.GetGauge(); g != nil {
				return g.GetValue()
			}
			if h := m.GetHistogram(); h != nil {
				return float64(h.GetSampleCount())
			}
		}
	}
	t.Fatalf("no %s with labels %v", name, labels)
	return 0
}

func TestScrapeShowsWhatWasRecorded(t *testing.T) {
	m := New()
	m.ObserveDelivery("processed", "", 3*time.Millisecond)
	m.ObserveDelivery("processed", "", 4*time.Millisecond)
	m.ObserveDelivery("failed", "status_unmapped", time.Millisecond)
	m.UnknownToken()
	m.RateLimited("source_address")
	m.Transition("down", "webhook")
	m.Outbox(func(context.Context) (OutboxStats, error) {
		return OutboxStats{Succeeded: 3, Failed: 2, Pending: 7, Due: 4, OldestDue: 90 * time.Second}, nil
	})
	m.Gauge("incidents_open", "Open incidents.", func() float64 { return 5 })

	code, fams := scrape(t, m.Handler(""), "")
	if code != http.StatusOK {
		t.Fatalf("GET /metrics = %d", code)
	}
	checks := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"statusgate_inbound_deliveries_total", map[string]string{"result": "processed", "reason": ""}, 2},
		{"statusgate_inbound_deliveries_total", map[string]string{"result": "failed", "reason": "status_unmapped"}, 1},
		{"statusgate_inbound_request_duration_seconds", map[string]string{"result": "processed"}, 2},
		{"statusgate_inbound_unknown_tokens_total", nil, 1},
		{"statusgate_rate_limited_total", map[string]string{"scope": "source_address"}, 1},
		{"statusgate_status_transitions_total", map[string]string{"to": "down", "source": "webhook"}, 1},
		{"statusgate_outbound_attempts_total", map[string]string{"outcome": "succeeded"}, 3},
		{"statusgate_outbound_attempts_total", map[string]string{"outcome": "failed"}, 2},
		{"statusgate_outbox_backlog", map[string]string{"state": "pending"}, 7},
		{"statusgate_outbox_backlog", map[string]string{"state": "due"}, 4},
		{"statusgate_outbox_oldest_age_seconds", nil, 90},
		{"statusgate_incidents_open", nil, 5},
	}
	for _, c := range checks {
		if got := counterValue(t, fams, c.name, c.labels); got != c.want {
			t.Fatalf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if _, ok := fams["go_goroutines"]; !ok {
		t.Fatal("no Go runtime metrics")
	}
}

func TestTokenProtectsTheEndpoint(t *testing.T) {
	m := New()
	h := m.Handler("s3cret")
	if code, _ := scrape(t, h, ""); code != http.StatusUnauthorized {
		t.Fatalf("without the token: %d, want 401", code)
	}
	if code, _ := scrape(t, h, "Bearer wrong"); code != http.StatusUnauthorized {
		t.Fatalf("with a wrong token: %d, want 401", code)
	}
	if code, _ := scrape(t, h, "Bearer s3cret"); code != http.StatusOK {
		t.Fatalf("with the token: %d, want 200", code)
	}
}
