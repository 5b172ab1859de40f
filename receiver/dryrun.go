package receiver

import (
	"context"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/statusgate/statusgate/apierr"
	"github.com/statusgate/statusgate/mapping"
	"github.com/statusgate/statusgate/services"
)

// Signature states a dry run reports.
const (
	SignatureNotConfigured = "not_configured"
	SignatureNotChecked    = "not_checked"
)

// DryRunResult says what a real delivery of a sample payload would do.
type DryRunResult struct {
	// Result, Reason, Error and HTTPStatus are what the sender would be answered.
	Result     string        `json:"result"`
	Reason     *string       `json:"reason"`
	Error      *apierr.Error `json:"error"`
	HTTPStatus int           `json:"http_status"`
	// Signature is not_configured, or not_checked: a dry run comes with the
	// operator's API key, not the sender's signature, so it is never verified here.
	Signature      string        `json:"signature"`
	RawStatus      *string       `json:"raw_status"`
	MappedStatus   *string       `json:"mapped_status"`
	Message        *string       `json:"message"`
	ServiceName    *string       `json:"service_name"`
	EventID        *string       `json:"event_id"`
	EventTime      *time.Time    `json:"event_time"`
	Service        *services.Ref `json:"service"`
	PreviousStatus *string       `json:"previous_status"`
	NewStatus      *string       `json:"new_status"`
	WouldChange    bool          `json:"would_change"`
	// Items is what each item would do, for a receiver with items_field; the fields
	// above are then those of the first item that would change, else the first.
	Items []ItemOutcome `json:"items,omitempty"`
}

// DryRun works out what a delivery of body to the receiver would do, and changes and
// logs nothing.
func (s *Store) DryRun(ctx context.Context, orgID, id uuid.UUID, body []byte, tooLarge bool, header http.Header, now time.Time) (DryRunResult, error) {
	row, err := s.getRow(ctx, orgID, id, false)
	if err != nil {
		return DryRunResult{}, err
	}
	recv, err := s.activeOf(row)
	if err != nil {
		return DryRunResult{}, err
	}
	ev, err := s.evaluate(ctx, recv, request{body: body, tooLarge: tooLarge, header: header, receivedAt: now.UTC()}, false, false)
	if err != nil {
		return DryRunResult{}, err
	}
	ex := ev.extraction
	res := DryRunResult{
		Signature: SignatureNotConfigured, RawStatus: strPtr(ex.RawStatus), MappedStatus: statusPtr(ex.Status),
		Message: strPtr(ex.Message), ServiceName: strPtr(ex.ServiceName), EventID: strPtr(ex.EventID), HTTPStatus: http.StatusOK,
	}
	if recv.signature != nil {
		res.Signature = SignatureNotChecked
	}
	if !ex.EventTime.IsZero() {
		t := ex.EventTime.UTC()
		res.EventTime = &t
	}
	switch {
	case ev.failure != nil:
		res.Result, res.Error, res.HTTPStatus = ResultFailed, ev.failure, apierr.HTTPStatus(ev.failure.Code)
		return res, nil
	case ev.items != nil:
		return s.dryRunItems(ctx, row.ID, ev, res)
	case ex.Ignore:
		reason, _ := ignoreReason(ex.IgnoreReason)
		res.Result, res.Reason = ResultIgnored, &reason
		return res, nil
	}
	svc := ev.service
	res.Service = &services.Ref{ID: svc.ID, Name: svc.Name}
	w, err := s.wouldApply(ctx, row.ID, *svc, ex.Status, ex.EventID, ex.EventTime)
	if err != nil {
		return DryRunResult{}, err
	}
	res.Result, res.Reason, res.PreviousStatus, res.NewStatus = w.result, w.reason, w.previous, w.newState
	res.WouldChange = w.result == ResultProcessed
	return res, nil
}

// wouldApply is applyUpdate's decision without its writes: duplicate, stale,
// unchanged or a change. It reads each service as it is, so two items of one
// service are each judged against the stored status.
func (s *Store) wouldApply(ctx context.Context, receiverID uuid.UUID, svc services.Service, to mapping.Status, eventID string, eventTime time.Time) (applied, error) {
	w := applied{previous: statusPtr(svc.Status), newState: statusPtr(svc.Status)}
	duplicate := false
	if eventID != "" {
		var err error
		if duplicate, err = s.seenEvent(ctx, receiverID, eventID); err != nil {
			return w, err
		}
	}
	if duplicate {
		w.result, w.reason = ResultIgnored, strPtr(ReasonDuplicate)
		return w, nil
	}
	// The same rule Transition applies, so a dry run cannot disagree with a delivery.
	switch services.Decide(services.DecisionOf(svc), to, eventTime, s.clock()).Kind {
	case services.Stale:
		w.result, w.reason = ResultIgnored, strPtr(ReasonStale)
	case services.Unchanged:
		w.result, w.reason = ResultIgnored, strPtr(ReasonUnchanged)
	case services.Held:
		w.result, w.reason = ResultIgnored, strPtr(ReasonMaintenance)
	default:
		w.result, w.newState = ResultProcessed, statusPtr(to)
	}
	return w, nil
}

// dryRunItems is the dry run of a multi-item payload, judged as applyItems applies it.
func (s *Store) dryRunItems(ctx context.Context, receiverID uuid.UUID, ev evaluation, res DryRunResult) (DryRunResult, error) {
	items, groups := planItems(ev)
	for _, g := range groups {
		u := ev.items[g.decider].update
		w, err := s.wouldApply(ctx, receiverID, g.service, u.Status, u.EventID, orTime(u.EventTime, ev.extraction.EventTime))
		if err != nil {
			return DryRunResult{}, err
		}
		d := &items[g.decider]
		d.Result, d.Reason, d.PreviousStatus, d.NewStatus = w.result, w.reason, w.previous, w.newState
		for _, i := range g.others {
			items[i].Result, items[i].Reason = ResultIgnored, strPtr(ReasonSuperseded)
			items[i].PreviousStatus, items[i].NewStatus = w.previous, w.newState
		}
	}
	var out Outcome
	summarizeItems(&out, items)
	res.Items, res.Result, res.Reason, res.Error = out.Items, out.Result, out.Reason, out.Error
	res.Service, res.RawStatus, res.MappedStatus = out.Service, out.RawStatus, out.MappedStatus
	res.PreviousStatus, res.NewStatus, res.WouldChange = out.PreviousStatus, out.NewStatus, out.Result == ResultProcessed
	if out.Error != nil {
		res.HTTPStatus = apierr.HTTPStatus(out.Error.Code)
	}
	return res, nil
}
