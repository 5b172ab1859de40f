package services_test

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/statusgate/statusgate/mapping"
	"github.com/statusgate/statusgate/services"
)

// t0 is the midnight every ComputeSLA case counts its hours from.
var t0 = time.Date(2026, 1, 14, 0, 0, 0, 0, time.UTC)

// at is t0 plus h hours.
func at(h float64) time.Time { return t0.Add(time.Duration(h * float64(time.Hour))) }

// iv is a closed interval from hour a to hour b.
func iv(st mapping.Status, a, b float64) services.Interval {
	end := at(b)
	return services.Interval{Status: st, StartedAt: at(a), EndedAt: &end}
}

// open is the current interval, started at hour a.
func open(st mapping.Status, a float64) services.Interval {
	return services.Interval{Status: st, StartedAt: at(a)}
}

func ptr[T any](v T) *T { return &v }

func TestComputeSLA(t *testing.T) {
	t.Parallel()
	const (
		op    = mapping.Operational
		deg   = mapping.Degraded
		down  = mapping.Down
		maint = mapping.Maintenance
	)
	tests := []struct {
		name          string
		intervals     []services.Interval
		from, to, now float64 // hours after t0
		degradedDown  bool
		target        *float64
		want          services.SLAReport // From and To are filled from the row when zero
	}{
		{
			name:      "a whole window operational is 100 percent",
			intervals: []services.Interval{iv(op, -5, 30)},
			from:      0, to: 24, now: 48,
			want: services.SLAReport{UptimePercent: 100, OperationalSeconds: 86400, MonitoredSeconds: 86400},
		},
		{
			name:      "a whole window down is 0 percent and no incident starts in it",
			intervals: []services.Interval{iv(op, -20, -10), iv(down, -10, 30), open(op, 30)},
			from:      0, to: 24, now: 48,
			want: services.SLAReport{UptimePercent: 0, DowntimeSeconds: 86400, MonitoredSeconds: 86400},
		},
		{
			name:      "a whole window degraded counts as up by default",
			intervals: []services.Interval{iv(deg, -1, 25)},
			from:      0, to: 24, now: 48,
			want: services.SLAReport{UptimePercent: 100, DegradedSeconds: 86400, MonitoredSeconds: 86400},
		},
		{
			name:      "a whole window degraded counts as down when the service says so",
			intervals: []services.Interval{iv(deg, -1, 25)},
			from:      0, to: 24, now: 48, degradedDown: true,
			want: services.SLAReport{UptimePercent: 0, DegradedSeconds: 86400, MonitoredSeconds: 86400},
		},
		{
			name:      "a whole window in maintenance leaves nothing to measure and is 100 percent",
			intervals: []services.Interval{iv(maint, -1, 25)},
			from:      0, to: 24, now: 48,
			want: services.SLAReport{UptimePercent: 100, MaintenanceSeconds: 86400, MonitoredSeconds: 86400},
		},
		{
			name:      "a window starting inside a down interval counts only its part",
			intervals: []services.Interval{iv(op, 0, 6), iv(down, 6, 7.5), iv(op, 7.5, 12), open(deg, 12)},
			from:      7, to: 15, now: 48,
			want: services.SLAReport{
				UptimePercent: 93.75, DowntimeSeconds: 1800, OperationalSeconds: 16200, DegradedSeconds: 10800,
				MonitoredSeconds: 28800,
			},
		},
		{
			name:      "a window ending inside a down interval counts the incident with its full length",
			intervals: []services.Interval{iv(op, 0, 6), iv(down, 6, 7.5), open(op, 7.5)},
			from:      0, to: 7, now: 48,
			want: services.SLAReport{
				UptimePercent: 100 * 21600.0 / 25200.0, DowntimeSeconds: 3600, OperationalSeconds: 21600,
				MonitoredSeconds: 25200, IncidentCount: 1, MTTRSeconds: ptr(5400.0),
			},
		},
		{
			name:      "a service created inside the window counts from its creation",
			intervals: []services.Interval{iv(op, 6, 12), iv(down, 12, 15), open(op, 15)},
			from:      0, to: 24, now: 48,
			want: services.SLAReport{
				UptimePercent: 100 * 54000.0 / 64800.0, DowntimeSeconds: 10800, OperationalSeconds: 54000,
				MonitoredSeconds: 64800, IncidentCount: 1, MTTRSeconds: ptr(10800.0),
			},
		},
		{
			name:      "maintenance is left out of the denominator",
			intervals: []services.Interval{iv(op, 0, 12), iv(maint, 12, 20), iv(down, 20, 22), open(op, 22)},
			from:      0, to: 24, now: 48,
			want: services.SLAReport{
				UptimePercent: 87.5, DowntimeSeconds: 7200, MaintenanceSeconds: 28800, OperationalSeconds: 50400,
				MonitoredSeconds: 86400, IncidentCount: 1, MTTRSeconds: ptr(7200.0),
			},
		},
		{
			name:      "an open interval runs until now and the window ends there",
			intervals: []services.Interval{iv(op, 0, 10), open(down, 10)},
			from:      0, to: 24, now: 12,
			want: services.SLAReport{
				To:            at(12),
				UptimePercent: 100 * 36000.0 / 43200.0, DowntimeSeconds: 7200, OperationalSeconds: 36000,
				MonitoredSeconds: 43200, IncidentCount: 1, // still down: no MTTR
			},
		},
		{
			name:      "a zero-length window measures nothing and is 100 percent",
			intervals: []services.Interval{iv(op, 0, 5), open(down, 5)},
			from:      5, to: 5, now: 48,
			want: services.SLAReport{UptimePercent: 100},
		},
		{
			name:      "a window entirely after now is zero-length",
			intervals: []services.Interval{open(down, 0)},
			from:      50, to: 60, now: 48,
			want: services.SLAReport{To: at(50), UptimePercent: 100},
		},
		{
			name: "several episodes give the mean time to repair; maintenance ends an episode",
			intervals: []services.Interval{
				iv(op, 0, 1), iv(down, 1, 2), iv(op, 2, 3), iv(down, 3, 3.5), iv(maint, 3.5, 4),
				iv(down, 4, 6), open(op, 6),
			},
			from: 0, to: 24, now: 48,
			want: services.SLAReport{
				UptimePercent: 100 * 72000.0 / 84600.0, DowntimeSeconds: 12600, MaintenanceSeconds: 1800,
				OperationalSeconds: 72000, MonitoredSeconds: 86400, IncidentCount: 3, MTTRSeconds: ptr(4200.0),
			},
		},
		{
			name:      "down then degraded is one episode only when degraded counts as down",
			intervals: []services.Interval{iv(op, 0, 1), iv(down, 1, 2), iv(deg, 2, 3), open(op, 3)},
			from:      0, to: 24, now: 24, degradedDown: true,
			want: services.SLAReport{
				UptimePercent: 100 * 79200.0 / 86400.0, DowntimeSeconds: 3600, DegradedSeconds: 3600,
				OperationalSeconds: 79200, MonitoredSeconds: 86400, IncidentCount: 1, MTTRSeconds: ptr(7200.0),
			},
		},
		{
			name:      "down then degraded ends the episode when degraded counts as up",
			intervals: []services.Interval{iv(op, 0, 1), iv(down, 1, 2), iv(deg, 2, 3), open(op, 3)},
			from:      0, to: 24, now: 24,
			want: services.SLAReport{
				UptimePercent: 100 * 82800.0 / 86400.0, DowntimeSeconds: 3600, DegradedSeconds: 3600,
				OperationalSeconds: 79200, MonitoredSeconds: 86400, IncidentCount: 1, MTTRSeconds: ptr(3600.0),
			},
		},
		{
			name:      "an episode that started before the window is no incident of it",
			intervals: []services.Interval{iv(down, -2, 2), open(op, 2)},
			from:      0, to: 24, now: 24,
			want: services.SLAReport{
				UptimePercent: 100 * 79200.0 / 86400.0, DowntimeSeconds: 7200, OperationalSeconds: 79200,
				MonitoredSeconds: 86400,
			},
		},
		{
			name:      "a zero-length down interval is no incident",
			intervals: []services.Interval{iv(op, 0, 5), iv(down, 5, 5), open(op, 5)},
			from:      0, to: 24, now: 24,
			want: services.SLAReport{UptimePercent: 100, OperationalSeconds: 86400, MonitoredSeconds: 86400},
		},
		{
			name:      "uptime below the target is breached",
			intervals: []services.Interval{iv(op, 0, 6), iv(down, 6, 7.5), iv(op, 7.5, 12), open(deg, 12)},
			from:      7, to: 15, now: 48, target: ptr(99.9),
			want: services.SLAReport{
				UptimePercent: 93.75, DowntimeSeconds: 1800, OperationalSeconds: 16200, DegradedSeconds: 10800,
				MonitoredSeconds: 28800, SLATarget: ptr(99.9), Breached: ptr(true),
			},
		},
		{
			name:      "uptime above the target is not breached",
			intervals: []services.Interval{iv(op, 0, 6), iv(down, 6, 7.5), iv(op, 7.5, 12), open(deg, 12)},
			from:      7, to: 15, now: 48, target: ptr(90.0),
			want: services.SLAReport{
				UptimePercent: 93.75, DowntimeSeconds: 1800, OperationalSeconds: 16200, DegradedSeconds: 10800,
				MonitoredSeconds: 28800, SLATarget: ptr(90.0), Breached: ptr(false),
			},
		},
		{
			name:      "uptime equal to the target is not breached",
			intervals: []services.Interval{open(op, 0)},
			from:      0, to: 24, now: 48, target: ptr(100.0),
			want: services.SLAReport{
				UptimePercent: 100, OperationalSeconds: 86400, MonitoredSeconds: 86400,
				SLATarget: ptr(100.0), Breached: ptr(false),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			want := tt.want
			if want.From.IsZero() {
				want.From = at(tt.from)
			}
			if want.To.IsZero() {
				want.To = at(tt.to)
			}
			got := services.ComputeSLA(tt.intervals, at(tt.from), at(tt.to), at(tt.now), tt.degradedDown, tt.target)
			assertReport(t, got, want)

			reversed := slices.Clone(tt.intervals)
			slices.Reverse(reversed)
			got = services.ComputeSLA(reversed, at(tt.from), at(tt.to), at(tt.now), tt.degradedDown, tt.target)
			assertReport(t, got, want)
		})
	}
}

func TestComputeSLAFollowsAnEpisodePastTheWindow(t *testing.T) {
	t.Parallel()
	// The episode starts at 22:00 and ends at 02:00 the next day: the window counts its
	// two hours of downtime and the incident with its whole four hours.
	ivs := []services.Interval{iv(mapping.Operational, 0, 22), iv(mapping.Down, 22, 26), open(mapping.Operational, 26)}
	got := services.ComputeSLA(ivs, at(0), at(24), at(48), false, nil)
	want := services.SLAReport{
		From: at(0), To: at(24), UptimePercent: 100 * 79200.0 / 86400.0, DowntimeSeconds: 7200,
		OperationalSeconds: 79200, MonitoredSeconds: 86400, IncidentCount: 1, MTTRSeconds: ptr(14400.0),
	}
	assertReport(t, got, want)

	t.Run("without the intervals after the window the episode has not ended", func(t *testing.T) {
		got := services.ComputeSLA(ivs[:2], at(0), at(24), at(48), false, nil)
		want.MTTRSeconds = nil
		assertReport(t, got, want)
	})
}

func TestSLAReportJSON(t *testing.T) {
	t.Parallel()
	rep := services.ComputeSLA([]services.Interval{iv(mapping.Operational, 0, 6), open(mapping.Down, 6)}, at(0), at(12), at(12), false, nil)
	got, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"from":"2026-01-14T00:00:00Z","to":"2026-01-14T12:00:00Z","uptime_percent":50,"downtime_seconds":21600,` +
		`"degraded_seconds":0,"maintenance_seconds":0,"operational_seconds":21600,"monitored_seconds":43200,` +
		`"incident_count":1,"mttr_seconds":null,"sla_target":null,"breached":null}`
	if string(got) != want {
		t.Fatalf("JSON:\n got %s\nwant %s", got, want)
	}
}

func assertReport(t *testing.T, got, want services.SLAReport) {
	t.Helper()
	g, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	w, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	// JSON shows what a client sees, pointers included; floats are written exactly
	// enough to round-trip, so equal text means equal figures.
	if string(g) != string(w) {
		t.Fatalf("report:\n got %s\nwant %s", g, w)
	}
}

// BenchmarkComputeSLA measures a 90-day report over a service that flapped between
// operational and down every hour (2160 intervals).
func BenchmarkComputeSLA(b *testing.B) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const hours = 90 * 24
	ivs := make([]services.Interval, hours)
	for i := range ivs {
		st := mapping.Operational
		if i%2 == 1 {
			st = mapping.Down
		}
		s := start.Add(time.Duration(i) * time.Hour)
		ivs[i] = services.Interval{Status: st, StartedAt: s}
		if i < hours-1 {
			e := s.Add(time.Hour)
			ivs[i].EndedAt = &e
		}
	}
	end := start.Add(hours * time.Hour)
	b.ReportAllocs()
	for b.Loop() {
		rep := services.ComputeSLA(ivs, start, end, end, false, nil)
		if rep.IncidentCount != hours/2 {
			b.Fatalf("incident_count = %d, want %d", rep.IncidentCount, hours/2)
		}
	}
}
