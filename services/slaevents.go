package services

import (
	"context"
	"slices"
	"time"

	"github.com/google/uuid"
)

// SLACrossingKind names a threshold of a service's SLA that its rolling window crossed.
type SLACrossingKind string

// The two thresholds notify announces (sla.budget_warning and sla.breached).
const (
	// BudgetWarning: BudgetWarningPercent of the window's error budget is used.
	BudgetWarning SLACrossingKind = "budget_warning"
	// Breached: the window's uptime fell below the target.
	Breached SLACrossingKind = "breached"
)

// BudgetWarningPercent is how much of the error budget is used when BudgetWarning
// fires.
const BudgetWarningPercent = 80.0

// SLAWatch is what SLACrossings watches: a service's target over a rolling window.
type SLAWatch struct {
	// Target is the service's sla_target in percent.
	Target float64
	// Window is the length of the rolling window ending at each instant (30 days for
	// the SLA report's default).
	Window time.Duration
	// DegradedCountsAsDown is the service's setting, as ComputeSLA takes it.
	DegradedCountsAsDown bool
}

// SLACrossing is one moment a threshold was crossed from below.
type SLACrossing struct {
	Kind SLACrossingKind
	// At is the first microsecond at which the threshold holds.
	At time.Time
	// Report is the window [At-Window, At) as ComputeSLA measures it at At.
	Report SLAReport
	// BudgetUsedPercent is the share of the window's error budget used at At (over 100
	// once breached); nil for a target of 100, whose budget is zero.
	BudgetUsedPercent *float64
}

// BudgetUsed returns the share of the error budget, in percent, that an uptime uses
// against a target: 100 * (100 - uptime) / (100 - target). A target of 100 has no
// budget to share, so ok is false.
func BudgetUsed(uptimePercent, target float64) (used float64, ok bool) {
	if target >= 100 {
		return 0, false
	}
	return 100 * (100 - uptimePercent) / (100 - target), true
}

// SLACrossings returns, oldest first, each moment in (from, to] at which the rolling
// window of w.Window ending then crossed a threshold from below: BudgetWarning when
// BudgetWarningPercent of its error budget became used, Breached when its uptime fell
// below w.Target. It is a pure function, as ComputeSLA is, and agrees with it: a
// crossing is the first microsecond at which ComputeSLA over [At-Window, At) reports
// the threshold held, having not held just before.
//
// Each crossing is reported once: a threshold that still holds is not reported again
// until the window has recovered above it and falls again. The state at from is the
// starting point, so calls over consecutive spans (from, to], (to, next] never report
// one crossing twice nor miss one. intervals must cover [from-Window, to) (History's
// intervals overlapping it, oldest first); the current interval (EndedAt nil) is taken
// to last until to, the caller's now. A target of 100 warns and breaches at the first
// bad moment. Crossings happen while nothing changes (an outage uses budget by the
// minute, an old one slides out of the window), so a caller that only looks at status
// changes learns of them late: run it from a sweep as well.
//
// Between two consecutive instants where an interval starts or ends or where one of
// those instants leaves the window, the window's bad and counted times grow or shrink
// linearly, so its uptime is monotonic there and each threshold flips at most once;
// SLACrossings evaluates the window at those instants and finds a flip by bisection to
// the microsecond.
func SLACrossings(intervals []Interval, w SLAWatch, from, to time.Time) []SLACrossing {
	from, to = from.UTC().Truncate(time.Microsecond), to.UTC().Truncate(time.Microsecond)
	if w.Window <= 0 || !to.After(from) || w.Target < 0 || w.Target > 100 {
		return nil
	}
	if !slices.IsSortedFunc(intervals, compareStart) {
		intervals = slices.Clone(intervals)
		slices.SortStableFunc(intervals, compareStart)
	}
	at := func(t time.Time) windowState { return stateAt(intervals, w, t) }

	// The instants where the window's slope can change.
	points := []time.Time{from, to}
	add := func(t time.Time) {
		t = t.UTC().Truncate(time.Microsecond)
		if t.After(from) && t.Before(to) {
			points = append(points, t)
		}
	}
	for _, iv := range intervals {
		add(iv.StartedAt)
		add(iv.StartedAt.Add(w.Window))
		if iv.EndedAt != nil {
			add(*iv.EndedAt)
			add(iv.EndedAt.Add(w.Window))
		}
	}
	slices.SortFunc(points, time.Time.Compare)
	points = slices.CompactFunc(points, time.Time.Equal)

	var out []SLACrossing
	prev := at(from)
	for _, p := range points[1:] {
		cur := at(p)
		for _, kind := range []SLACrossingKind{BudgetWarning, Breached} {
			if prev.holds(kind) || !cur.holds(kind) {
				continue
			}
			out = append(out, firstHolding(at, kind, prev.at, cur))
		}
		prev = cur
	}
	// Within one segment the warning comes before (or with) the breach; across kinds
	// the order is by time.
	slices.SortStableFunc(out, func(a, b SLACrossing) int { return a.At.Compare(b.At) })
	return out
}

// windowState is the rolling window ending at one instant.
type windowState struct {
	at       time.Time
	report   SLAReport
	used     float64 // budget used, percent; meaningful when usedOK
	usedOK   bool
	warning  bool
	breached bool
}

func (s windowState) holds(kind SLACrossingKind) bool {
	if kind == BudgetWarning {
		return s.warning
	}
	return s.breached
}

func stateAt(intervals []Interval, w SLAWatch, t time.Time) windowState {
	target := w.Target
	rep := ComputeSLA(intervals, t.Add(-w.Window), t, t, w.DegradedCountsAsDown, &target)
	s := windowState{at: t, report: rep, breached: rep.Breached != nil && *rep.Breached}
	s.used, s.usedOK = BudgetUsed(rep.UptimePercent, w.Target)
	// Nothing bad, nothing used: a perfect window never warns, whatever the target.
	s.warning = rep.UptimePercent < 100 && (!s.usedOK || s.used >= BudgetWarningPercent)
	return s
}

// firstHolding bisects (lo, hi.at] for the first microsecond at which kind holds,
// knowing it does not at lo and does at hi.
func firstHolding(at func(time.Time) windowState, kind SLACrossingKind, lo time.Time, hi windowState) SLACrossing {
	for hi.at.Sub(lo) > time.Microsecond {
		mid := lo.Add(hi.at.Sub(lo) / 2).Truncate(time.Microsecond)
		if s := at(mid); s.holds(kind) {
			hi = s
		} else {
			lo = mid
		}
	}
	c := SLACrossing{Kind: kind, At: hi.at, Report: hi.report}
	if hi.usedOK {
		used := hi.used
		c.BudgetUsedPercent = &used
	}
	return c
}

// SLACrossingsBetween loads what SLACrossings needs for one service of the
// organization and answers its crossings in (from, to] over a rolling window of
// window; to is clipped to the store's clock. A service without an sla_target has
// none. Inside a transaction (a ChangeFunc's ctx) it sees the change being made.
func (s *Store) SLACrossingsBetween(ctx context.Context, orgID, serviceID uuid.UUID, window time.Duration, from, to time.Time) ([]SLACrossing, error) {
	svc, err := s.Get(ctx, orgID, serviceID)
	if err != nil {
		return nil, err
	}
	if now := s.Now(); to.After(now) {
		to = now
	}
	if svc.SLATarget == nil || window <= 0 || !to.After(from) {
		return nil, nil
	}
	ivs, err := s.intervals(ctx, svc.ID, from.Add(-window), to, false, 0)
	if err != nil {
		return nil, err
	}
	w := SLAWatch{Target: *svc.SLATarget, Window: window, DegradedCountsAsDown: svc.DegradedCountsAsDown}
	return SLACrossings(ivs, w, from, to), nil
}
