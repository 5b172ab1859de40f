package services

import (
	"time"

	"github.com/statusgate/statusgate/mapping"
)

// DecisionKind says whether a requested status is a change, nothing new, or too old.
type DecisionKind int

// The outcomes of Decide.
const (
	// Changed: the service moves to the requested status.
	Changed DecisionKind = iota + 1
	// Unchanged: the service already has the requested status.
	Unchanged
	// Stale: the event is older than the one behind the current status, so it says
	// nothing about now, whatever status it carries.
	Stale
	// Held: a maintenance window holds the service in maintenance. The request
	// changes nothing now; its status is remembered as the one underneath
	// (Decision.Underlying), which the service takes when the window ends.
	Held
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
	case Held:
		return "held"
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
	// Underlying is the status a maintenance window holds underneath, "" when no
	// window holds the service.
	Underlying mapping.Status
}

// DecisionOf returns the part of a service that Decide reads.
func DecisionOf(s Service) DecisionInput {
	in := DecisionInput{Status: s.Status, StatusChangedAt: s.StatusChangedAt, StatusEventAt: s.StatusEventAt}
	if s.UnderlyingStatus != nil {
		in.Underlying = *s.UnderlyingStatus
	}
	return in
}

// Hold says what a request does to a maintenance window's hold on a service.
type Hold int

// The kinds of request.
const (
	// HoldNone is every ordinary request (a sender, an operator, a CI push): it
	// changes the service as always, unless a window holds it, when it is Held.
	HoldNone Hold = iota
	// HoldStart is a window starting: the service goes to maintenance and its status
	// before is remembered underneath. A service already held stays as it is.
	HoldStart
	// HoldRelease is a window ending: the service goes to the status underneath and
	// is held no more. A service not held stays as it is.
	HoldRelease
)

// Request is what a status request asks for.
type Request struct {
	// To is the requested status; a HoldStart or HoldRelease decides its own.
	To mapping.Status
	// EventTime is the sender's time of the event, zero when unknown.
	EventTime time.Time
	Hold      Hold
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
	// To is the service's status after the decision: the requested one for an
	// ordinary change, maintenance or the status underneath for a hold.
	To mapping.Status
	// Underlying is the service's new status underneath a hold ("" for none) when
	// MoveUnderlying is set.
	Underlying     mapping.Status
	MoveUnderlying bool
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
//
// While a maintenance window holds the service, Decide answers Held (or Stale) for
// every request; see DecideRequest.
func Decide(before DecisionInput, to mapping.Status, eventTime, now time.Time) Decision {
	return DecideRequest(before, Request{To: to, EventTime: eventTime}, now)
}

// DecideRequest is Decide for any request, including a maintenance window's start
// and end: the one place where a window's hold on a service is decided.
//
//   - A window starting (HoldStart) puts a service that is not held into maintenance,
//     dated now, and remembers its status before as the one underneath. A service
//     already held (another window) is Unchanged, and so is a service already in
//     maintenance (a CI push), which becomes held all the same.
//   - While held, an ordinary request that is not stale is Held: the service stays in
//     maintenance and the requested status becomes the one underneath. Its event time
//     moves the mark as a confirmation would, so an older retry is still stale later.
//   - A window ending (HoldRelease) moves the service to the status underneath, dated
//     now, and ends the hold; the status it had anyway is Unchanged. A service that is
//     not held is Unchanged.
//
// A window's start and end are untimed but keep the sender's mark: the sender's
// times still describe the status underneath, and comparing them with the next
// report is what makes that report stale or not.
func DecideRequest(before DecisionInput, req Request, now time.Time) Decision {
	held := before.Underlying != ""
	switch req.Hold {
	case HoldStart:
		if held {
			return Decision{Kind: Unchanged, To: before.Status}
		}
		d := Decision{Kind: Unchanged, To: before.Status, Underlying: before.Status, MoveUnderlying: true}
		if before.Status != mapping.Maintenance {
			d.Kind, d.To, d.At = Changed, mapping.Maintenance, changeTime(before, time.Time{}, now)
		}
		return d
	case HoldRelease:
		if !held {
			return Decision{Kind: Unchanged, To: before.Status}
		}
		d := Decision{Kind: Unchanged, To: before.Underlying, MoveUnderlying: true}
		if before.Status != before.Underlying {
			d.Kind, d.At = Changed, changeTime(before, time.Time{}, now)
		}
		return d
	}
	d := decide(before, req.To, req.EventTime, now)
	if !held || d.Kind == Stale {
		return d
	}
	// Held: nothing changes but the status underneath and, like a confirmation, the
	// mark.
	h := Decision{Kind: Held, To: before.Status, Underlying: req.To, MoveUnderlying: req.To != before.Underlying}
	if timed := !req.EventTime.IsZero(); timed {
		eventAt := req.EventTime.UTC().Truncate(time.Microsecond)
		if before.StatusEventAt == nil || eventAt.After(*before.StatusEventAt) {
			h.Mark, h.MoveMark = &eventAt, true
		}
	}
	return h
}

// changeTime dates a change: by the sender's time when there is one before now, else
// now; never before the current interval starts.
func changeTime(before DecisionInput, eventTime, now time.Time) time.Time {
	at := now.UTC().Truncate(time.Microsecond)
	if !eventTime.IsZero() {
		if eventAt := eventTime.UTC().Truncate(time.Microsecond); eventAt.Before(at) {
			at = eventAt
		}
	}
	if at.Before(before.StatusChangedAt) {
		at = before.StatusChangedAt.UTC()
	}
	return at
}

// decide is the rule for a service no window holds.
func decide(before DecisionInput, to mapping.Status, eventTime, now time.Time) Decision {
	timed := !eventTime.IsZero()
	eventAt := eventTime.UTC().Truncate(time.Microsecond)
	mark := before.StatusEventAt
	if timed && mark != nil && eventAt.Before(*mark) {
		return Decision{Kind: Stale, To: before.Status}
	}
	if before.Status == to {
		if timed && (mark == nil || eventAt.After(*mark)) {
			return Decision{Kind: Unchanged, To: to, Mark: &eventAt, MoveMark: true}
		}
		return Decision{Kind: Unchanged, To: to}
	}
	d := Decision{Kind: Changed, To: to, At: changeTime(before, eventTime, now), MoveMark: true}
	if timed {
		d.Mark = &eventAt
	}
	return d
}
