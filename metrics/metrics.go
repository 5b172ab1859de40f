package metrics

import (
	"context"
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
	}
	r.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.deliveries, m.latency, m.unknownTokens, m.rateLimited, m.transitions,
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

// OutboxStats is what the outbox reports of itself: this instance's attempt counts
// since start, and the backlog shared by every instance.
type OutboxStats struct {
	Succeeded, Failed, ChannelsDisabled int64
	Pending, Due                        int64
	OldestDue                           time.Duration
}

// Outbox exports the outbox's figures, read once per scrape by read.
func (m *Metrics) Outbox(read func(ctx context.Context) (OutboxStats, error)) {
	m.registry.MustRegister(&outboxCollector{read: read})
}

var (
	descAttempts = prometheus.NewDesc(namespace+"_outbound_attempts_total",
		"Outbound delivery attempts made by this instance since start, by outcome (succeeded, failed: any attempt that did not deliver).", []string{"outcome"}, nil)
	descDisabled = prometheus.NewDesc(namespace+"_channels_disabled_total",
		"Channels this instance disabled (410 Gone, or five days of failures) since start.", nil, nil)
	descBacklog = prometheus.NewDesc(namespace+"_outbox_backlog",
		"Outbound deliveries waiting for an attempt, across every instance; due: those whose attempt is due now.", []string{"state"}, nil)
	descOldest = prometheus.NewDesc(namespace+"_outbox_oldest_age_seconds",
		"How long the oldest due outbound delivery has waited past its attempt time (0 when nothing is due).", nil, nil)
)

// outboxCollector reads the outbox once per scrape, so one scrape costs one look at
// the backlog however many series it fills.
type outboxCollector struct {
	read func(ctx context.Context) (OutboxStats, error)
}

func (c *outboxCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descAttempts
	ch <- descDisabled
	ch <- descBacklog
	ch <- descOldest
}

func (c *outboxCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	st, err := c.read(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(descBacklog, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(descAttempts, prometheus.CounterValue, float64(st.Succeeded), "succeeded")
	ch <- prometheus.MustNewConstMetric(descAttempts, prometheus.CounterValue, float64(st.Failed), "failed")
	ch <- prometheus.MustNewConstMetric(descDisabled, prometheus.CounterValue, float64(st.ChannelsDisabled))
	ch <- prometheus.MustNewConstMetric(descBacklog, prometheus.GaugeValue, float64(st.Pending), "pending")
	ch <- prometheus.MustNewConstMetric(descBacklog, prometheus.GaugeValue, float64(st.Due), "due")
	ch <- prometheus.MustNewConstMetric(descOldest, prometheus.GaugeValue, st.OldestDue.Seconds())
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

// Counter exports a count kept elsewhere (one that only grows, such as group
// commit's commits), read at scrape time.
func (m *Metrics) Counter(name, help string, read func() float64) {
	m.registry.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: namespace, Name: name, Help: help}, read))
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
