// Package metrics holds statusgate's Prometheus metrics: their definitions and help
// text (the documentation of record, listed in METRICS.md), the recording methods the
// wiring in cmd/statusgate calls from the domain packages' hooks, and the /metrics
// handler.
//
// Domain packages do not import it: they expose hooks (an observer func, a Stats
// method) and cmd/statusgate connects those to a *Metrics. That keeps the import table
// of DESIGN.md intact and lets tests count without a registry.
package metrics
