package metrics

import (
	"crypto/subtle"
	"database/sql"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

const namespace = "statusgate"

// Metrics is the gateway's registry and the counters the wiring records into.
type Metrics struct {
	registry *prometheus.Registry

	deliveries    *prometheus.CounterVec
	latency       *prometheus.HistogramVec
	unknownTokens prometheus.Counter
	rateLimited   *prometheus.CounterVec
	transitions   *prometheus.CounterVec
	attempts      *prometheus.CounterVec
}

// New returns a registry with the Go runtime and process collectors and every
// statusgate metric registered.
func New() *Metrics {
	r := prometheus.NewRegistry()
	m := &Metrics{
		registry: r,
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "inbound_deliveries_total",
			Help: "Inbound webhook deliveries that reached a receiver, by result (processed, ignored, failed, auth_failed) and reason or error code.",
		}, []string{"result", "reason"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "inbound_request_duration_seconds",
			Help:    "Time from reading an inbound request to its answer, by result (including 503 unavailable).",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"result"}),
		unknownTokens: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "inbound_unknown_tokens_total",
			Help: "Inbound requests whose token no enabled receiver has (answered 404, logged nowhere else).",
		}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "rate_limited_total",
			Help: "Requests answered 429, by what limited them (receiver, source_address, api_key).",
		}, []string{"scope"}),
		transitions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "status_transitions_total",
			Help: "Service status changes, by new status and source (webhook, manual, sweeper, silence, maintenance).",
		}, []string{"to", "source"}),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "outbound_attempts_total",
			Help: "Outbound delivery attempts, by channel type and outcome (succeeded, failed, retry_later, gone).",
		}, []string{"channel_type", "outcome"}),
	}
	r.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.deliveries, m.latency, m.unknownTokens, m.rateLimited, m.transitions, m.attempts,
	)
	return m
}

// ObserveDelivery counts one inbound delivery that reached a receiver. reason is the
// ignored reason or the error code; "" when there is none.
func (m *Metrics) ObserveDelivery(result, reason string, took time.Duration) {
	m.deliveries.WithLabelValues(result, reason).Inc()
	m.latency.WithLabelValues(result).Observe(took.Seconds())
}

// ObserveUnavailable counts an inbound request answered 503 because nothing could be
// stored.
func (m *Metrics) ObserveUnavailable(took time.Duration) {
	m.latency.WithLabelValues("unavailable").Observe(took.Seconds())
}

// UnknownToken counts a request for a token no enabled receiver has.
func (m *Metrics) UnknownToken() { m.unknownTokens.Inc() }

// RateLimited counts a 429; scope says which limit.
func (m *Metrics) RateLimited(scope string) { m.rateLimited.WithLabelValues(scope).Inc() }

// Transition counts one status change.
func (m *Metrics) Transition(to, source string) { m.transitions.WithLabelValues(to, source).Inc() }

// OutboundAttempt counts one outbound attempt.
func (m *Metrics) OutboundAttempt(channelType, outcome string) {
	m.attempts.WithLabelValues(channelType, outcome).Inc()
}

// DBStats exports the database pool's statistics (open, in use, idle, waits).
func (m *Metrics) DBStats(db *sql.DB) {
	m.registry.MustRegister(collectors.NewDBStatsCollector(db, "statusgate"))
}

// Gauge exports a value read at scrape time, such as the open incidents or the outbox
// backlog, so the figure is never stale and nothing has to keep it current.
func (m *Metrics) Gauge(name, help string, read func() float64) {
	m.registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: namespace, Name: name, Help: help}, read))
}

// Handler serves the registry in the Prometheus text format. With a token, a scrape
// must send Authorization: Bearer <token>.
func (m *Metrics) Handler(token string) http.Handler {
	h := promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
	if token == "" {
		return h
	}
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := []byte(strings.TrimSpace(r.Header.Get("Authorization")))
		if subtle.ConstantTimeCompare(got, want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":{"code":"unauthorized","message":"send Authorization: Bearer <metrics token>"}}`))
			return
		}
		h.ServeHTTP(w, r)
	})
}
