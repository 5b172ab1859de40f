package services_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/statusgate/statusgate/apierr"
	"github.com/statusgate/statusgate/apitest"
	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/dbtest"
	"github.com/statusgate/statusgate/mapping"
	"github.com/statusgate/statusgate/services"
	"github.com/statusgate/statusgate/testclock"
)

// tiles builds a history that tiles time from its first step on: each step starts
// when the one before ends, the last is current.
type step struct {
	status mapping.Status
	start  time.Time
}

func tiles(steps ...step) []services.Interval {
	out := make([]services.Interval, len(steps))
	for i, s := range steps {
		out[i] = services.Interval{Status: s.status, StartedAt: s.start}
		if i+1 < len(steps) {
			end := steps[i+1].start
			out[i].EndedAt = &end
		}
	}
	return out
}

func TestSLACrossings(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	const us = time.Microsecond
	// Target 75 over 4 hours: a budget of one hour of a fully counted window, whose
	// thresholds (48 minutes used, more than 60) are exact in floating point.
	watch := services.SLAWatch{Target: 75, Window: 4 * time.Hour}
	longAgo := at(-10 * time.Hour)

	// Two outages of 70 minutes, the second starting while the first still slides out.
	twoOutages := tiles(
		step{mapping.Operational, longAgo}, step{mapping.Down, t0}, step{mapping.Operational, at(70 * time.Minute)},
		step{mapping.Down, at(5 * time.Hour)}, step{mapping.Operational, at(6*time.Hour + 10*time.Minute)},
	)
	twoOutagesWant := []string{
		"budget_warning at +48m0s", "breached at +1h0m0.000001s",
		"budget_warning at +5h48m0s", "breached at +6h0m0.000001s",
	}

	tests := []struct {
		name      string
		intervals []services.Interval
		watch     services.SLAWatch
		from, to  time.Time
		want      []string
	}{
		{
			name:      "an outage warns at 80 % of the budget and breaches just past it",
			intervals: tiles(step{mapping.Operational, longAgo}, step{mapping.Down, t0}),
			watch:     watch, from: t0, to: at(3 * time.Hour),
			want: []string{"budget_warning at +48m0s", "breached at +1h0m0.000001s"},
		},
		{
			name:      "a threshold that still holds is not reported again",
			intervals: tiles(step{mapping.Operational, longAgo}, step{mapping.Down, t0}),
			watch:     watch, from: at(3 * time.Hour), to: at(5 * time.Hour),
		},
		{
			name:      "a window that recovered crosses again",
			intervals: twoOutages, watch: watch, from: t0, to: at(8 * time.Hour),
			want: twoOutagesWant,
		},
		{
			name:      "a short outage crosses nothing",
			intervals: tiles(step{mapping.Operational, longAgo}, step{mapping.Down, t0}, step{mapping.Operational, at(47 * time.Minute)}),
			watch:     watch, from: t0, to: at(8 * time.Hour),
		},
		{
			name: "maintenance is left out of the window's count",
			intervals: tiles(step{mapping.Operational, longAgo}, step{mapping.Maintenance, at(-2 * time.Hour)},
				step{mapping.Down, t0}),
			watch: watch, from: t0, to: at(time.Hour),
			// 2 hours counted: 24 minutes is 80 % of a 30-minute budget.
			want: []string{"budget_warning at +24m0s", "breached at +30m0.000001s"},
		},
		{
			name:      "degraded uses no budget by default",
			intervals: tiles(step{mapping.Operational, longAgo}, step{mapping.Degraded, t0}),
			watch:     watch, from: t0, to: at(3 * time.Hour),
		},
		{
			name:      "degraded uses budget when it counts as down",
			intervals: tiles(step{mapping.Operational, longAgo}, step{mapping.Degraded, t0}),
			watch:     services.SLAWatch{Target: 75, Window: 4 * time.Hour, DegradedCountsAsDown: true},
			from:      t0, to: at(3 * time.Hour),
			want: []string{"budget_warning at +48m0s", "breached at +1h0m0.000001s"},
		},
		{
			name: "a young service's window counts from its creation",
			// Created at t0, down from 10 minutes: uptime is 10/(10+x) minutes.
			intervals: tiles(step{mapping.Operational, t0}, step{mapping.Down, at(10 * time.Minute)}),
			watch:     watch, from: t0, to: at(time.Hour),
			want: []string{"budget_warning at +12m30s", "breached at +13m20.000001s"},
		},
		{
			name:      "a target of 100 warns and breaches at the first bad microsecond",
			intervals: tiles(step{mapping.Operational, longAgo}, step{mapping.Down, t0}),
			watch:     services.SLAWatch{Target: 100, Window: 4 * time.Hour},
			from:      at(-time.Hour), to: at(time.Hour),
			want: []string{"budget_warning at +1µs", "breached at +1µs"},
		},
		{
			name:      "a crossing exactly at from belongs to the span before",
			intervals: tiles(step{mapping.Operational, longAgo}, step{mapping.Down, t0}),
			watch:     watch, from: at(48 * time.Minute), to: at(3 * time.Hour),
			want: []string{"breached at +1h0m0.000001s"},
		},
		{
			name:      "a crossing exactly at to is in the span",
			intervals: tiles(step{mapping.Operational, longAgo}, step{mapping.Down, t0}),
			watch:     watch, from: t0, to: at(48 * time.Minute),
			want: []string{"budget_warning at +48m0s"},
		},
		{
			name:      "no window, no crossings",
			intervals: tiles(step{mapping.Operational, longAgo}, step{mapping.Down, t0}),
			watch:     services.SLAWatch{Target: 75}, from: t0, to: at(3 * time.Hour),
		},
		{
			name:      "an empty span has no crossings",
			intervals: tiles(step{mapping.Operational, longAgo}, step{mapping.Down, t0}),
			watch:     watch, from: at(time.Hour), to: at(time.Hour),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := describeCrossings(t0, services.SLACrossings(tt.intervals, tt.watch, tt.from, tt.to))
			if strings.Join(got, "; ") != strings.Join(tt.want, "; ") {
				t.Fatalf("crossings = %q, want %q", got, tt.want)
			}
		})
	}

	t.Run("consecutive spans report each crossing once", func(t *testing.T) {
		var got []string
		edges := []time.Time{t0, at(48 * time.Minute), at(time.Hour + us), at(5*time.Hour + 30*time.Minute), at(8 * time.Hour)}
		for i := 1; i < len(edges); i++ {
			got = append(got, describeCrossings(t0, services.SLACrossings(twoOutages, watch, edges[i-1], edges[i]))...)
		}
		if strings.Join(got, "; ") != strings.Join(twoOutagesWant, "; ") {
			t.Fatalf("crossings over spans = %q, want %q", got, twoOutagesWant)
		}
	})
	t.Run("a crossing agrees with ComputeSLA just before and at it", func(t *testing.T) {
		ivs := tiles(step{mapping.Operational, t0}, step{mapping.Down, at(10 * time.Minute)})
		for _, c := range services.SLACrossings(ivs, watch, t0, at(time.Hour)) {
			before := services.ComputeSLA(ivs, c.At.Add(-us-watch.Window), c.At.Add(-us), c.At.Add(-us), false, &watch.Target)
			if c.Report.UptimePercent != services.ComputeSLA(ivs, c.At.Add(-watch.Window), c.At, c.At, false, &watch.Target).UptimePercent {
				t.Fatalf("%s: the crossing's report is not ComputeSLA's at %s", c.Kind, c.At)
			}
			switch c.Kind {
			case services.Breached:
				if !*c.Report.Breached || *before.Breached {
					t.Fatalf("breach at %s: breached %v, a microsecond before %v; want true then false", c.At, *c.Report.Breached, *before.Breached)
				}
			case services.BudgetWarning:
				used, _ := services.BudgetUsed(before.UptimePercent, watch.Target)
				if *c.BudgetUsedPercent < services.BudgetWarningPercent || used >= services.BudgetWarningPercent {
					t.Fatalf("warning at %s: %v %% used, %v %% a microsecond before", c.At, *c.BudgetUsedPercent, used)
				}
			}
		}
	})
	t.Run("the budget used is reported", func(t *testing.T) {
		cs := services.SLACrossings(tiles(step{mapping.Operational, longAgo}, step{mapping.Down, t0}), watch, t0, at(time.Hour))
		if len(cs) != 1 || cs[0].BudgetUsedPercent == nil || *cs[0].BudgetUsedPercent != 80 || cs[0].Report.UptimePercent != 80 {
			t.Fatalf("crossings = %+v, want one warning at 80 %% used, 80 %% uptime", cs)
		}
		cs = services.SLACrossings(tiles(step{mapping.Operational, longAgo}, step{mapping.Down, t0}),
			services.SLAWatch{Target: 100, Window: time.Hour}, t0, at(time.Hour))
		if len(cs) != 2 || cs[0].BudgetUsedPercent != nil {
			t.Fatalf("target 100: crossings = %+v, want two without a budget share", cs)
		}
	})
}

func TestBudgetUsed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		uptime, target float64
		want           float64
		ok             bool
	}{
		{100, 99.5, 0, true},
		{99.75, 99.5, 50, true},
		{99.5, 99.5, 100, true},
		{99, 99.5, 200, true},
		{80, 75, 80, true},
		{99, 100, 0, false},
	}
	for _, tt := range tests {
		got, ok := services.BudgetUsed(tt.uptime, tt.target)
		if got != tt.want || ok != tt.ok {
			t.Fatalf("BudgetUsed(%v, %v) = %v, %v; want %v, %v", tt.uptime, tt.target, got, ok, tt.want, tt.ok)
		}
	}
}

func describeCrossings(t0 time.Time, cs []services.SLACrossing) []string {
	var out []string
	for _, c := range cs {
		out = append(out, fmt.Sprintf("%s at +%s", c.Kind, c.At.Sub(t0)))
	}
	return out
}

func TestSLACrossingsBetween(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		clock := testclock.New(t0.Add(-10 * time.Hour))
		store := services.NewStore(db, services.Options{NowFunc: clock.Now})
		srv := apitest.New(t, db, store.Register)
		ctx := context.Background()
		svc, err := store.Create(ctx, srv.Org.ID, services.CreateInput{Name: "API", SLATarget: ptr(75.0)})
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		untargeted, err := store.Create(ctx, srv.Org.ID, services.CreateInput{Name: "Web"})
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		clock.Set(t0)
		for _, id := range []uuid.UUID{svc.ID, untargeted.ID} {
			if _, err := store.Transition(ctx, services.TransitionInput{OrgID: srv.Org.ID, ServiceID: id, To: mapping.Down, Source: services.SourceManual}); err != nil {
				t.Fatalf("transition: %v", err)
			}
		}
		clock.Set(t0.Add(50 * time.Minute))

		t.Run("the window so far, clipped to now", func(t *testing.T) {
			cs, err := store.SLACrossingsBetween(ctx, srv.Org.ID, svc.ID, 4*time.Hour, t0, t0.Add(3*time.Hour))
			if err != nil {
				t.Fatalf("SLACrossingsBetween: %v", err)
			}
			got, want := strings.Join(describeCrossings(t0, cs), "; "), "budget_warning at +48m0s"
			if got != want {
				t.Fatalf("crossings = %q, want %q (the breach at +1h is after now)", got, want)
			}
		})
		t.Run("a service without a target has none", func(t *testing.T) {
			cs, err := store.SLACrossingsBetween(ctx, srv.Org.ID, untargeted.ID, 4*time.Hour, t0, t0.Add(3*time.Hour))
			if err != nil || len(cs) != 0 {
				t.Fatalf("SLACrossingsBetween = %v, %v; want none", cs, err)
			}
		})
		t.Run("another organization's service is not found", func(t *testing.T) {
			_, err := store.SLACrossingsBetween(ctx, uuid.New(), svc.ID, 4*time.Hour, t0, t0.Add(3*time.Hour))
			if apierr.CodeOf(err) != apierr.CodeNotFound {
				t.Fatalf("err = %v, want not_found", err)
			}
		})
	})
}
