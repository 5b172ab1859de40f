package services_test

import (
	"testing"
	"time"

	"github.com/statusgate/statusgate/mapping"
	"github.com/statusgate/statusgate/services"
)

func TestDecide(t *testing.T) {
	t.Parallel()
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return base.Add(d) }
	ptr := func(tm time.Time) *time.Time { return &tm }
	now := at(time.Hour)
	none := time.Time{}

	// The service has been down since base, behind an event its sender dated base-1m.
	down := services.DecisionInput{Status: mapping.Down, StatusChangedAt: base, StatusEventAt: ptr(at(-time.Minute))}
	// The same, after a manual override: no mark.
	downUnmarked := services.DecisionInput{Status: mapping.Down, StatusChangedAt: base}

	tests := []struct {
		name      string
		before    services.DecisionInput
		to        mapping.Status
		eventTime time.Time
		want      services.Decision
	}{
		{
			name: "an older event is stale whatever its status", before: down, to: mapping.Operational,
			eventTime: at(-2 * time.Minute), want: services.Decision{Kind: services.Stale},
		},
		{
			name: "an older event with the same status is stale, not unchanged", before: down, to: mapping.Down,
			eventTime: at(-2 * time.Minute), want: services.Decision{Kind: services.Stale},
		},
		{
			name: "an event one microsecond older than the mark is stale", before: down, to: mapping.Operational,
			eventTime: at(-time.Minute - time.Microsecond), want: services.Decision{Kind: services.Stale},
		},
		{
			name: "an event below the stores' precision is not older than the mark", before: down, to: mapping.Down,
			eventTime: at(-time.Minute + 500*time.Nanosecond), want: services.Decision{Kind: services.Unchanged},
		},
		{
			name: "an untimed request is never stale", before: down, to: mapping.Operational,
			eventTime: none, want: services.Decision{Kind: services.Changed, At: now, MoveMark: true},
		},
		{
			name: "without a mark nothing is stale", before: downUnmarked, to: mapping.Operational,
			eventTime: at(-24 * time.Hour), want: services.Decision{Kind: services.Changed, At: base, Mark: ptr(at(-24 * time.Hour)), MoveMark: true},
		},
		{
			name: "the same status at the mark's time changes nothing", before: down, to: mapping.Down,
			eventTime: at(-time.Minute), want: services.Decision{Kind: services.Unchanged},
		},
		{
			name: "the same status, untimed, changes nothing", before: down, to: mapping.Down,
			eventTime: none, want: services.Decision{Kind: services.Unchanged},
		},
		{
			name: "a newer event confirming the status moves the mark", before: down, to: mapping.Down,
			eventTime: at(30 * time.Minute), want: services.Decision{Kind: services.Unchanged, Mark: ptr(at(30 * time.Minute)), MoveMark: true},
		},
		{
			name: "the first timed event confirming an unmarked status sets the mark", before: downUnmarked, to: mapping.Down,
			eventTime: at(-time.Hour), want: services.Decision{Kind: services.Unchanged, Mark: ptr(at(-time.Hour)), MoveMark: true},
		},
		{
			name: "a timed change is dated by the sender", before: down, to: mapping.Operational,
			eventTime: at(20 * time.Minute), want: services.Decision{Kind: services.Changed, At: at(20 * time.Minute), Mark: ptr(at(20 * time.Minute)), MoveMark: true},
		},
		{
			name: "a change dated after now is dated now but keeps the sender's mark", before: down, to: mapping.Operational,
			eventTime: at(2 * time.Hour), want: services.Decision{Kind: services.Changed, At: now, Mark: ptr(at(2 * time.Hour)), MoveMark: true},
		},
		{
			name: "a change dated before the current interval starts with it", before: down, to: mapping.Operational,
			eventTime: at(-30 * time.Second), want: services.Decision{Kind: services.Changed, At: base, Mark: ptr(at(-30 * time.Second)), MoveMark: true},
		},
		{
			name: "an untimed change is dated now and clears the mark", before: down, to: mapping.Maintenance,
			eventTime: none, want: services.Decision{Kind: services.Changed, At: now, MoveMark: true},
		},
		{
			name:   "a clock behind the current interval dates the change at its start",
			before: services.DecisionInput{Status: mapping.Down, StatusChangedAt: at(2 * time.Hour)}, to: mapping.Operational,
			eventTime: none, want: services.Decision{Kind: services.Changed, At: at(2 * time.Hour), MoveMark: true},
		},
		{
			name: "times in another zone compare and come back in UTC", before: down, to: mapping.Degraded,
			eventTime: at(10 * time.Minute).In(time.FixedZone("CET", 3600)),
			want:      services.Decision{Kind: services.Changed, At: at(10 * time.Minute), Mark: ptr(at(10 * time.Minute)), MoveMark: true},
		},
		{
			name: "sub-microsecond event times are cut to what the stores keep", before: down, to: mapping.Degraded,
			eventTime: at(10*time.Minute + 999*time.Nanosecond),
			want:      services.Decision{Kind: services.Changed, At: at(10 * time.Minute), Mark: ptr(at(10 * time.Minute)), MoveMark: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := services.Decide(tt.before, tt.to, tt.eventTime, now)
			if !sameDecision(got, tt.want) {
				t.Fatalf("Decide = %s, want %s", describe(got), describe(tt.want))
			}
			if got.Kind == services.Changed && got.At.Location() != time.UTC {
				t.Fatalf("At is in %s, want UTC", got.At.Location())
			}
			if got.Mark != nil && got.Mark.Location() != time.UTC {
				t.Fatalf("Mark is in %s, want UTC", got.Mark.Location())
			}
		})
	}
}

func sameDecision(a, b services.Decision) bool {
	if a.Kind != b.Kind || !a.At.Equal(b.At) || a.MoveMark != b.MoveMark || (a.Mark == nil) != (b.Mark == nil) {
		return false
	}
	return a.Mark == nil || a.Mark.Equal(*b.Mark)
}

func describe(d services.Decision) string {
	mark := "nil"
	if d.Mark != nil {
		mark = d.Mark.Format(time.RFC3339Nano)
	}
	return d.Kind.String() + " at " + d.At.Format(time.RFC3339Nano) + " mark " + mark + map[bool]string{true: " (moved)", false: ""}[d.MoveMark]
}

// TestDecideHold is the table of a maintenance window's hold on a service: its start,
// the requests it holds, and its end.
func TestDecideHold(t *testing.T) {
	t.Parallel()
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return base.Add(d) }
	ptr := func(tm time.Time) *time.Time { return &tm }
	now := at(time.Hour)
	mark := ptr(at(-time.Minute))

	free := func(st mapping.Status) services.DecisionInput {
		return services.DecisionInput{Status: st, StatusChangedAt: base, StatusEventAt: mark}
	}
	held := func(under mapping.Status) services.DecisionInput {
		return services.DecisionInput{Status: mapping.Maintenance, StatusChangedAt: base, StatusEventAt: mark, Underlying: under}
	}
	tests := []struct {
		name   string
		before services.DecisionInput
		req    services.Request
		want   services.Decision
	}{
		{
			name: "a start puts an operational service into maintenance and remembers operational", before: free(mapping.Operational),
			req:  services.Request{Hold: services.HoldStart},
			want: services.Decision{Kind: services.Changed, At: now, To: mapping.Maintenance, Underlying: mapping.Operational, MoveUnderlying: true},
		},
		{
			name: "a start remembers a down service as down", before: free(mapping.Down),
			req:  services.Request{Hold: services.HoldStart},
			want: services.Decision{Kind: services.Changed, At: now, To: mapping.Maintenance, Underlying: mapping.Down, MoveUnderlying: true},
		},
		{
			name: "a start on a service a CI push put in maintenance holds it without a change", before: free(mapping.Maintenance),
			req:  services.Request{Hold: services.HoldStart},
			want: services.Decision{Kind: services.Unchanged, To: mapping.Maintenance, Underlying: mapping.Maintenance, MoveUnderlying: true},
		},
		{
			name: "a second window's start leaves a held service as it is", before: held(mapping.Down),
			req:  services.Request{Hold: services.HoldStart},
			want: services.Decision{Kind: services.Unchanged, To: mapping.Maintenance},
		},
		{
			name: "a sender's down while held is held and remembered", before: held(mapping.Operational),
			req:  services.Request{To: mapping.Down},
			want: services.Decision{Kind: services.Held, To: mapping.Maintenance, Underlying: mapping.Down, MoveUnderlying: true},
		},
		{
			name: "the status already underneath is held without a move", before: held(mapping.Down),
			req:  services.Request{To: mapping.Down},
			want: services.Decision{Kind: services.Held, To: mapping.Maintenance, Underlying: mapping.Down},
		},
		{
			name: "a CI push of maintenance while held is held too", before: held(mapping.Operational),
			req:  services.Request{To: mapping.Maintenance},
			want: services.Decision{Kind: services.Held, To: mapping.Maintenance, Underlying: mapping.Maintenance, MoveUnderlying: true},
		},
		{
			name: "a newer timed report while held moves the mark", before: held(mapping.Operational),
			req:  services.Request{To: mapping.Degraded, EventTime: at(10 * time.Minute)},
			want: services.Decision{Kind: services.Held, To: mapping.Maintenance, Underlying: mapping.Degraded, MoveUnderlying: true, Mark: ptr(at(10 * time.Minute)), MoveMark: true},
		},
		{
			name: "an older report while held is stale, not remembered", before: held(mapping.Operational),
			req:  services.Request{To: mapping.Down, EventTime: at(-2 * time.Minute)},
			want: services.Decision{Kind: services.Stale, To: mapping.Maintenance},
		},
		{
			name: "the end goes to the status underneath and keeps the mark", before: held(mapping.Down),
			req:  services.Request{Hold: services.HoldRelease},
			want: services.Decision{Kind: services.Changed, At: now, To: mapping.Down, MoveUnderlying: true},
		},
		{
			name: "the end with maintenance underneath ends the hold without a change", before: held(mapping.Maintenance),
			req:  services.Request{Hold: services.HoldRelease},
			want: services.Decision{Kind: services.Unchanged, To: mapping.Maintenance, MoveUnderlying: true},
		},
		{
			name: "the end of a service that is not held changes nothing", before: free(mapping.Degraded),
			req:  services.Request{Hold: services.HoldRelease},
			want: services.Decision{Kind: services.Unchanged, To: mapping.Degraded},
		},
		{
			name: "a service not held behaves as without windows", before: free(mapping.Operational),
			req:  services.Request{To: mapping.Maintenance},
			want: services.Decision{Kind: services.Changed, At: now, To: mapping.Maintenance, MoveMark: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := services.DecideRequest(tt.before, tt.req, now)
			if !sameDecision(got, tt.want) || got.To != tt.want.To || got.Underlying != tt.want.Underlying || got.MoveUnderlying != tt.want.MoveUnderlying {
				t.Fatalf("DecideRequest = %s to %q underlying %q (moved %v), want %s to %q underlying %q (moved %v)",
					describe(got), got.To, got.Underlying, got.MoveUnderlying, describe(tt.want), tt.want.To, tt.want.Underlying, tt.want.MoveUnderlying)
			}
		})
	}
}
