package services

import (
	"slices"
	"time"

	"github.com/statusgate/statusgate/mapping"
)

// SLAReport is a service's availability over one window, as ComputeSLA measures it.
// Durations are float64 seconds at the stores' microsecond precision (e.g. 5400.25).
type SLAReport struct {
	// From is the start of the window; To is the end actually measured: the asked end,
	// or now when the asked end is later (never before From).
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// UptimePercent is not rounded; it is 100 when nothing but maintenance (or nothing
	// at all) was measured.
	UptimePercent float64 `json:"uptime_percent"`
	// DowntimeSeconds is time spent down only; DegradedSeconds is reported apart from
	// it even when degraded counts as down (see ComputeSLA).
	DowntimeSeconds    float64 `json:"downtime_seconds"`
	DegradedSeconds    float64 `json:"degraded_seconds"`
	MaintenanceSeconds float64 `json:"maintenance_seconds"`
	OperationalSeconds float64 `json:"operational_seconds"`
	// MonitoredSeconds is the part of the window in which the service existed (the sum
	// of the four above).
	MonitoredSeconds float64 `json:"monitored_seconds"`
	// IncidentCount is the number of bad episodes that started inside the window.
	IncidentCount int `json:"incident_count"`
	// MTTRSeconds is the mean full length of those episodes that have ended; nil when
	// none has.
	MTTRSeconds *float64 `json:"mttr_seconds"`
	// SLATarget is the service's target in percent, nil when it has none.
	SLATarget *float64 `json:"sla_target"`
	// Breached is UptimePercent < SLATarget; nil when there is no target.
	Breached *bool `json:"breached"`
}

// ComputeSLA measures a service's availability over the window [from, to) from its
// status intervals (oldest first, as History returns them; an unsorted slice is sorted
// on a copy). It does no I/O: the caller loads the intervals and passes its clock's
// reading as now. The result's durations are in seconds, as float64.
//
// The window is clipped: its end is min(to, now) (never before from), and every
// interval is cut exactly to the window, an open interval (EndedAt nil) running until
// now. Then, with every duration being time inside the clipped window:
//
//	monitored       = down + degraded + maintenance + operational
//	                  (time covered by intervals: before its creation a service has
//	                  none, so a service created inside the window counts from then)
//	bad             = down                   when degradedCountsAsDown is false
//	                = down + degraded        when degradedCountsAsDown is true
//	uptime_percent  = 100 * (monitored - maintenance - bad) / (monitored - maintenance)
//	                = 100                    when monitored - maintenance = 0
//	breached        = uptime_percent < target (nil when target is nil)
//
// A bad episode is a maximal run of consecutive bad intervals (down, or degraded when
// it counts as down); it ends when the service enters any status that is not bad,
// maintenance included, so down, maintenance, down is two episodes. incident_count is
// the number of episodes whose first bad interval starts inside the window
// (from <= start < clipped end). mttr_seconds is the mean full length (start to the
// first not-bad status) of those of them that have ended, including any part after
// the window when the intervals that follow are passed in; an episode still under way
// (or whose end is not among the intervals) counts in incident_count but not in
// mttr_seconds. An interval of zero length (two changes at the same instant) takes no
// time and neither starts nor ends an episode.
func ComputeSLA(intervals []Interval, from, to, now time.Time, degradedCountsAsDown bool, target *float64) SLAReport {
	end := to
	if now.Before(end) {
		end = now
	}
	if end.Before(from) {
		end = from
	}
	if !slices.IsSortedFunc(intervals, compareStart) {
		intervals = slices.Clone(intervals)
		slices.SortStableFunc(intervals, compareStart)
	}
	isBad := func(st mapping.Status) bool {
		return st == mapping.Down || (degradedCountsAsDown && st == mapping.Degraded)
	}

	var (
		byStatus       [4]time.Duration // by Severity
		monitored      time.Duration
		incidents      int
		repairedCount  int
		repairedTotal  time.Duration
		inEpisode      bool
		episodeCounted bool
		episodeStart   time.Time
	)
	for _, iv := range intervals {
		ivEnd := now
		if iv.EndedAt != nil {
			ivEnd = *iv.EndedAt
		}
		if !ivEnd.After(iv.StartedAt) {
			continue
		}

		bad := isBad(iv.Status)
		switch {
		case bad && !inEpisode:
			inEpisode, episodeStart = true, iv.StartedAt
			episodeCounted = !episodeStart.Before(from) && episodeStart.Before(end)
			if episodeCounted {
				incidents++
			}
		case !bad && inEpisode:
			inEpisode = false
			if episodeCounted {
				repairedCount++
				repairedTotal += iv.StartedAt.Sub(episodeStart)
			}
		}

		start, stop := iv.StartedAt, ivEnd
		if start.Before(from) {
			start = from
		}
		if stop.After(end) {
			stop = end
		}
		if stop.After(start) {
			d := stop.Sub(start)
			monitored += d
			// Transition never writes another word; were one there, it would be
			// counted as up (severity 0) rather than dropped from the sums.
			byStatus[max(iv.Status.Severity(), 0)] += d
		}
	}

	bad := byStatus[mapping.Down.Severity()]
	if degradedCountsAsDown {
		bad += byStatus[mapping.Degraded.Severity()]
	}
	denominator := monitored - byStatus[mapping.Maintenance.Severity()]
	uptime := 100.0
	if denominator > 0 {
		// In whole microseconds, 100 * good stays an exact float64 for windows up to
		// about 1000 days, so the percentage is the correctly rounded exact ratio.
		good := (denominator - bad) / time.Microsecond
		uptime = float64(100*good) / float64(denominator/time.Microsecond)
	}

	rep := SLAReport{
		From:               from,
		To:                 end,
		UptimePercent:      uptime,
		DowntimeSeconds:    byStatus[mapping.Down.Severity()].Seconds(),
		DegradedSeconds:    byStatus[mapping.Degraded.Severity()].Seconds(),
		MaintenanceSeconds: byStatus[mapping.Maintenance.Severity()].Seconds(),
		OperationalSeconds: byStatus[mapping.Operational.Severity()].Seconds(),
		MonitoredSeconds:   monitored.Seconds(),
		IncidentCount:      incidents,
		SLATarget:          target,
	}
	if repairedCount > 0 {
		mttr := repairedTotal.Seconds() / float64(repairedCount)
		rep.MTTRSeconds = &mttr
	}
	if target != nil {
		breached := uptime < *target
		rep.Breached = &breached
	}
	return rep
}

func compareStart(a, b Interval) int { return a.StartedAt.Compare(b.StartedAt) }

// worstStatus returns the most severe status held for a positive time inside
// [from, end), or "" when no interval covers any of it.
func worstStatus(intervals []Interval, from, end, now time.Time) mapping.Status {
	var worst mapping.Status
	for _, iv := range intervals {
		ivEnd := now
		if iv.EndedAt != nil {
			ivEnd = *iv.EndedAt
		}
		start, stop := iv.StartedAt, ivEnd
		if start.Before(from) {
			start = from
		}
		if stop.After(end) {
			stop = end
		}
		if !stop.After(start) {
			continue
		}
		if worst == "" || iv.Status.Severity() > worst.Severity() {
			worst = iv.Status
		}
	}
	return worst
}
