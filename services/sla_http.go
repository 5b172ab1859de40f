package services

import (
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/statusgate/statusgate/apierr"
	"github.com/statusgate/statusgate/rest"
)

// registerSLA adds the history and SLA routes; Register calls it.
func (s *Store) registerSLA(g *echo.Group) {
	g.GET("/services/:id/history", s.handleHistory)
	g.GET("/services/:id/sla", s.handleSLA)
}

// MaxHistoryIntervals caps one /history answer. A longer history answers the oldest
// MaxHistoryIntervals intervals with "truncated": true; the next request starts at
// the last one's started_at (that interval comes again).
const MaxHistoryIntervals = 1000

// DefaultHistoryWindow is what /history covers without from: the 30 days before to.
const DefaultHistoryWindow = 30 * 24 * time.Hour

// HistoryAnswer is the answer of GET /api/v1/services/{id}/history.
type HistoryAnswer struct {
	Service   Ref        `json:"service"`
	From      time.Time  `json:"from"`
	To        time.Time  `json:"to"`
	Intervals []Interval `json:"intervals"`
	Truncated bool       `json:"truncated"`
}

// SLAAnswer is the answer of GET /api/v1/services/{id}/sla: the report and the service.
type SLAAnswer struct {
	Service Ref `json:"service"`
	SLAReport
}

// slaWindows are the named windows of ?window=.
var slaWindows = map[string]time.Duration{
	"24h": 24 * time.Hour,
	"7d":  7 * 24 * time.Hour,
	"30d": 30 * 24 * time.Hour,
	"90d": 90 * 24 * time.Hour,
}

func (s *Store) handleHistory(c echo.Context) error {
	p, id, err := rest.CallerAndID(c, "service")
	if err != nil {
		return err
	}
	from, to, err := historyWindow(c, s.Now())
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	svc, err := s.Get(ctx, p.OrgID, id)
	if err != nil {
		return err
	}
	ivs, err := s.intervals(ctx, svc.ID, from, to, false, MaxHistoryIntervals+1)
	if err != nil {
		return err
	}
	truncated := len(ivs) > MaxHistoryIntervals
	if truncated {
		ivs = ivs[:MaxHistoryIntervals]
	}
	return c.JSON(http.StatusOK, HistoryAnswer{Service: svc.Ref(), From: from, To: to, Intervals: ivs, Truncated: truncated})
}

func (s *Store) handleSLA(c echo.Context) error {
	p, id, err := rest.CallerAndID(c, "service")
	if err != nil {
		return err
	}
	now := s.Now()
	from, to, err := slaWindow(c, now)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	svc, err := s.Get(ctx, p.OrgID, id)
	if err != nil {
		return err
	}
	ivs, err := s.slaIntervals(ctx, svc, from, to)
	if err != nil {
		return err
	}
	rep := ComputeSLA(ivs, from, to, now, svc.DegradedCountsAsDown, svc.SLATarget)
	return c.JSON(http.StatusOK, SLAAnswer{Service: svc.Ref(), SLAReport: rep})
}

// historyWindow reads ?from=&to= of /history: to defaults to now, from to 30 days
// before to.
func historyWindow(c echo.Context, now time.Time) (time.Time, time.Time, error) {
	to := now
	if v := c.QueryParam("to"); v != "" {
		t, err := parseTime("to", v)
		if err != nil {
			return time.Time{}, time.Time{}, err
		}
		to = t
	}
	from := to.Add(-DefaultHistoryWindow)
	if v := c.QueryParam("from"); v != "" {
		t, err := parseTime("from", v)
		if err != nil {
			return time.Time{}, time.Time{}, err
		}
		from = t
	}
	if !from.Before(to) {
		return time.Time{}, time.Time{}, apierr.Invalid("from", "from must be before to")
	}
	return from, to, nil
}

// slaWindow reads ?window= (24h, 7d, 30d or 90d, default 30d, ending now) or
// ?from=&to= (both, RFC 3339); a to in the future is clipped to now.
func slaWindow(c echo.Context, now time.Time) (time.Time, time.Time, error) {
	window, fromStr, toStr := c.QueryParam("window"), c.QueryParam("from"), c.QueryParam("to")
	if fromStr == "" && toStr == "" {
		if window == "" {
			window = "30d"
		}
		d, ok := slaWindows[window]
		if !ok {
			return time.Time{}, time.Time{}, apierr.Invalid("window", "window %q must be one of 24h, 7d, 30d, 90d (or give from and to)", window)
		}
		return now.Add(-d), now, nil
	}
	if window != "" {
		return time.Time{}, time.Time{}, apierr.Invalid("window", "give either window or from and to, not both")
	}
	if fromStr == "" {
		return time.Time{}, time.Time{}, apierr.Invalid("from", "from is required with to")
	}
	if toStr == "" {
		return time.Time{}, time.Time{}, apierr.Invalid("to", "to is required with from")
	}
	from, err := parseTime("from", fromStr)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	to, err := parseTime("to", toStr)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	if !from.Before(to) {
		return time.Time{}, time.Time{}, apierr.Invalid("from", "from must be before to")
	}
	if to.After(now) {
		to = now
	}
	if !from.Before(to) {
		return time.Time{}, time.Time{}, apierr.Invalid("from", "from must be in the past")
	}
	return from, to, nil
}

// parseTime reads an RFC 3339 query value as UTC at the stores' microsecond precision.
func parseTime(field, v string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil && strings.Contains(v, " ") {
		// An unescaped "+01:00" in a query string arrives as " 01:00".
		t, err = time.Parse(time.RFC3339Nano, strings.ReplaceAll(v, " ", "+"))
	}
	if err != nil {
		return time.Time{}, apierr.Invalid(field, "%s %q must be an RFC 3339 time, e.g. 2026-01-15T00:00:00Z", field, v)
	}
	return t.UTC().Truncate(time.Microsecond), nil
}
