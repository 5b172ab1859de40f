package receiver

import (
	"context"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/statusgate/statusgate/apierr"
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
	ev, err := s.evaluate(ctx, recv, request{body: body, tooLarge: tooLarge, header: header, receivedAt: now.UTC()}, false)
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
	case ex.Ignore:
		res.Result, res.Reason = ResultIgnored, strPtr(ReasonEventIgnored)
		return res, nil
	}
	svc := ev.service
	res.Service = &services.Ref{ID: svc.ID, Name: svc.Name}
	res.PreviousStatus, res.NewStatus = statusPtr(svc.Status), statusPtr(svc.Status)
	duplicate := false
	if ex.EventID != "" {
		if duplicate, err = s.seenEvent(ctx, row.ID, ex.EventID); err != nil {
			return DryRunResult{}, err
		}
	}
	if duplicate {
		res.Result, res.Reason = ResultIgnored, strPtr(ReasonDuplicate)
		return res, nil
	}
	// The same rule Transition applies, so a dry run cannot disagree with a delivery.
	switch services.Decide(services.DecisionOf(*svc), ex.Status, ex.EventTime, now).Kind {
	case services.Stale:
		res.Result, res.Reason = ResultIgnored, strPtr(ReasonStale)
	case services.Unchanged:
		res.Result, res.Reason = ResultIgnored, strPtr(ReasonUnchanged)
	case services.Held:
		res.Result, res.Reason = ResultIgnored, strPtr(ReasonMaintenance)
	default:
		res.Result, res.NewStatus, res.WouldChange = ResultProcessed, statusPtr(ex.Status), true
	}
	return res, nil
}
