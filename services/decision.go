package services

import (
	"time"

	"github.com/statusgate/statusgate/mapping"
)

// DecisionKind says whether a requested status is a change, nothing new, or too old.
type DecisionKind int

// The three outcomes of Decide.
const (
	// Changed: the service moves to the requested status.
	Changed DecisionKind = iota + 1
	// Unchanged: the service already has the requested status.
	Unchanged
	// Stale: the event is older than the one behind the current status, so it says
	// nothing about now, whatever status it carries.
	Stale
)

// String names the kind as the delivery log does ("changed", "unchanged", "stale").
func (k DecisionKind) String() string {
	switch k {
	case Changed:
		return "changed"
	case Unchanged:
		return "unchanged"
	case Stale:
		return "stale"
	}
	return "unknown"
}

// DecisionInput is what Decide needs to know of a service before the request: the
// three columns of its row that the stale rule and the dating of a change read.
type DecisionInput struct {
	Status          mapping.Status
	StatusChangedAt time.Time
	// StatusEventAt is the sender's time of the event behind the current status (or of
	// a later event that confirmed it); nil after a change without a sender time.
	StatusEventAt *time.Time
}

// DecisionOf returns the part of a service that Decide reads.
func DecisionOf(s Service) DecisionInput {
	return DecisionInput{Status: s.Status, StatusChangedAt: s.StatusChangedAt, StatusEventAt: s.StatusEventAt}
}

// Decision is what a request to put a service into a status amounts to. Transition
// applies it; the receiver's dry run only reports it.
type Decision struct {
	Kind DecisionKind
	// At dates a change: when the new status interval starts. Zero unless Changed.
	At time.Time
	// Mark is the service's new StatusEventAt when MoveMark is set: the event time of
	// the change or of a newer event that confirmed the status, or nil when a change
	// came without a sender time.
	Mark *time.Time
	// MoveMark says the service's StatusEventAt must be set to Mark.
	MoveMark bool
}

// Decide is the one rule that says whether a status request changes a service, and
// when. It is a pure function; Transition runs it under the service's row lock.
//
//   - Stale: eventTime is set, the service has a mark, and eventTime is before it. Sender
//     times are compared with each other only, never with our clock, so a sender whose
//     clock lags is never silenced.
//   - Unchanged: the service already has the status. A newer event time than the mark
//     (or the first one) moves the mark, so an older event that arrives after it is
//     still recognised as stale.
//   - Changed: dated by eventTime when there is one and it is before now (a monitor's
//     retry 30 minutes late must not shorten the outage in the SLA), else by now;
//     never before StatusChangedAt, so the history never holds an interval that ends
//     before it starts. The mark becomes eventTime, or nil without one: comparing a
//     sender's clock with ours would silence a sender whose clock lags, which is worse
//     than letting one late retry through.
//
// Times are taken in UTC at microsecond precision, what the stores keep. A zero
// eventTime means the request carries no sender time (a manual override, an untimed
// sender).
func Decide(before DecisionInput, to mapping.Status, eventTime, now time.Time) Decision {
	timed := !eventTime.IsZero()
	eventAt := eventTime.UTC().Truncate(time.Microsecond)
	mark := before.StatusEventAt
	if timed && mark != nil && eventAt.Before(*mark) {
		return Decision{Kind: Stale}
	}
	if before.Status == to {
		if timed && (mark == nil || eventAt.After(*mark)) {
			return Decision{Kind: Unchanged, Mark: &eventAt, MoveMark: true}
		}
		return Decision{Kind: Unchanged}
	}
	at := now.UTC().Truncate(time.Microsecond)
	if timed && eventAt.Before(at) {
		at = eventAt
	}
	if at.Before(before.StatusChangedAt) {
		at = before.StatusChangedAt.UTC()
	}
	d := Decision{Kind: Changed, At: at, MoveMark: true}
	if timed {
		d.Mark = &eventAt
	}
	return d
}
