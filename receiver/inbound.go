package receiver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/statusgate/statusgate/apierr"
	"github.com/statusgate/statusgate/mapping"
	"github.com/statusgate/statusgate/services"
)

// Outcome is the answer to one inbound delivery.
type Outcome struct {
	Result         string        `json:"result"`
	DeliveryID     uuid.UUID     `json:"delivery_id"`
	Service        *services.Ref `json:"service"`
	RawStatus      *string       `json:"raw_status"`
	MappedStatus   *string       `json:"mapped_status"`
	PreviousStatus *string       `json:"previous_status"`
	NewStatus      *string       `json:"new_status"`
	Reason         *string       `json:"reason,omitempty"`
	Error          *apierr.Error `json:"error,omitempty"`
}

// HTTPStatus is the status code the outcome answers with: 200 for processed and
// ignored, the error code's status otherwise.
func (o Outcome) HTTPStatus() int {
	if o.Error != nil {
		return apierr.HTTPStatus(o.Error.Code)
	}
	return http.StatusOK
}

// request is one inbound request as read off the wire.
type request struct {
	body       []byte
	tooLarge   bool
	header     http.Header
	sourceIP   string
	receivedAt time.Time
}

// readBody reads at most limit bytes. A larger body is not read to the end: only what
// the log keeps of it, and tooLarge says so.
func readBody(r *http.Request, limit int64) (body []byte, tooLarge bool, err error) {
	if r.ContentLength > limit {
		body, err = io.ReadAll(io.LimitReader(r.Body, MaxLoggedPayload+1))
		return body, true, err
	}
	body, err = io.ReadAll(io.LimitReader(r.Body, limit+1))
	if int64(len(body)) > limit {
		return body, true, err
	}
	return body, false, err
}

// signatureInvalidMessage is all a sender is told of a failed signature check: which
// part failed (missing, malformed, expired, future, mismatch) is the operator's to
// read in the delivery log, not a forger's to probe.
const signatureInvalidMessage = "the request's signature or credentials did not verify"

// evaluation is what a payload would do, worked out without writing anything: the
// shared first half of a real delivery and a dry run.
type evaluation struct {
	failure    *apierr.Error // set when the delivery fails
	authFailed bool
	logMessage string // the log's error_message when it must say more than failure
	extraction mapping.Extraction
	service    *services.Service
}

// evaluate checks the signature (when checkSignature), extracts and maps the payload
// and finds the target service.
func (s *Store) evaluate(ctx context.Context, recv active, req request, checkSignature bool) (evaluation, error) {
	in := mapping.Input{Body: req.body, Header: req.header}
	if req.tooLarge {
		return evaluation{failure: apierr.New(apierr.CodePayloadTooLarge, "request body is larger than the limit")}, nil
	}
	if checkSignature && recv.signature != nil {
		if err := mapping.VerifySignature(*recv.signature, in, req.receivedAt); err != nil {
			// The log says which part failed; the sender learns only that it did.
			ev := evaluation{authFailed: true, failure: apierr.New(apierr.CodeSignatureInvalid, "%s", signatureInvalidMessage), logMessage: err.Error()}
			return ev, nil
		}
	}
	ex, err := mapping.Extract(in, recv.rules)
	ev := evaluation{extraction: ex}
	var unmapped *mapping.UnmappedError
	switch {
	case errors.Is(err, mapping.ErrInvalidJSON):
		ev.failure = apierr.New(apierr.CodeInvalidJSON, "body is not JSON: %v", err)
	case errors.Is(err, mapping.ErrStatusMissing):
		ev.failure = apierr.New(apierr.CodeStatusMissing, "%v", err)
	case errors.As(err, &unmapped):
		ev.failure = apierr.New(apierr.CodeStatusUnmapped, "%s", unmapped.Error())
		ev.extraction.RawStatus = unmapped.Raw
	case errors.Is(err, mapping.ErrServiceNameMissing):
		ev.failure = apierr.New(apierr.CodeServiceUnknown, "%v", err)
	case err != nil:
		return ev, fmt.Errorf("extracting payload: %w", err)
	}
	if ev.failure != nil || ex.Ignore {
		return ev, nil
	}
	svc, err := s.targetService(ctx, recv, ex.ServiceName)
	if errors.Is(err, services.ErrNoSuchName) {
		ev.failure = apierr.New(apierr.CodeServiceUnknown, "no service is named %q; create it or fix service_name_field", ex.ServiceName)
		return ev, nil
	}
	if err != nil {
		return ev, err
	}
	ev.service = &svc
	return ev, nil
}

func (s *Store) targetService(ctx context.Context, recv active, name string) (services.Service, error) {
	if recv.row.ServiceID != nil {
		return s.services.Get(ctx, recv.row.OrgID, *recv.row.ServiceID)
	}
	return s.services.FindByName(ctx, recv.row.OrgID, name)
}

// receive handles one delivery to recv end to end and returns its outcome once the
// log row (and any status change) is committed.
func (s *Store) receive(ctx context.Context, recv active, req request) (Outcome, error) {
	ev, err := s.evaluate(ctx, recv, req, true)
	if err != nil {
		return Outcome{}, err
	}
	ex := ev.extraction
	out := Outcome{DeliveryID: uuid.Must(uuid.NewV7()), RawStatus: strPtr(ex.RawStatus), MappedStatus: statusPtr(ex.Status)}
	payload, truncated := loggablePayload(req.body, req.tooLarge)
	row := deliveryRow{
		ID: out.DeliveryID, ReceiverID: recv.row.ID, ReceivedAt: req.receivedAt, SourceIP: req.sourceIP,
		RawStatus: out.RawStatus, MappedStatus: out.MappedStatus, EventID: strPtr(ex.EventID),
		Payload: payload, PayloadTruncated: truncated, Headers: headersJSON(req.header, recv),
	}
	if ev.service != nil {
		out.Service = &services.Ref{ID: ev.service.ID, Name: ev.service.Name}
		row.ServiceID = &ev.service.ID
	}
	err = s.db.InTx(ctx, func(ctx context.Context) error {
		// One delivery of a receiver at a time: its log prunes in order and an event
		// id is checked and remembered atomically.
		if _, err := s.getRow(ctx, recv.row.OrgID, recv.row.ID, true); err != nil {
			return err
		}
		switch {
		case ev.failure != nil:
			out.Result, out.Error = ResultFailed, ev.failure
			if ev.authFailed {
				out.Result = ResultAuthFailed
			}
		case ex.Ignore:
			out.Result, out.Reason = ResultIgnored, strPtr(ReasonEventIgnored)
			row.ErrorMessage = strPtr(ex.IgnoreReason)
		default:
			if err := s.apply(ctx, recv, ev, &out); err != nil {
				return err
			}
		}
		row.Result, row.Reason, row.PreviousStatus, row.NewStatus = out.Result, out.Reason, out.PreviousStatus, out.NewStatus
		if out.Error != nil {
			row.ErrorCode, row.ErrorMessage = &out.Error.Code, &out.Error.Message
		}
		if ev.logMessage != "" {
			row.ErrorMessage = &ev.logMessage
		}
		return s.insertDelivery(ctx, row)
	})
	if err != nil {
		if _, ok := apierr.As(err); !ok {
			s.recordUnstored(ctx, recv, row)
		}
		return Outcome{}, err
	}
	return out, nil
}

// recordUnstored logs, best effort and in a transaction of its own, a delivery whose
// transaction failed, so an operator sees why the sender was told to retry. When the
// database itself is down this fails too, and the sender's retry is the record.
func (s *Store) recordUnstored(ctx context.Context, recv active, row deliveryRow) {
	code, msg := apierr.CodeUnavailable, "the delivery could not be stored and nothing was changed; the sender was told to retry"
	row.Result, row.Reason, row.ErrorCode, row.ErrorMessage = ResultFailed, nil, &code, &msg
	row.PreviousStatus, row.NewStatus = nil, nil
	_ = s.db.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.getRow(ctx, recv.row.OrgID, recv.row.ID, true); err != nil {
			return err
		}
		return s.insertDelivery(ctx, row)
	})
}

// apply is the status-changing part of a delivery, inside its transaction.
func (s *Store) apply(ctx context.Context, recv active, ev evaluation, out *Outcome) error {
	ex, svc := ev.extraction, ev.service
	out.PreviousStatus, out.NewStatus = statusPtr(svc.Status), statusPtr(svc.Status)
	if ex.EventID != "" {
		seen, err := s.seenEvent(ctx, recv.row.ID, ex.EventID)
		if err != nil {
			return err
		}
		if seen {
			out.Result, out.Reason = ResultIgnored, strPtr(ReasonDuplicate)
			return nil
		}
	}
	res, err := s.services.Transition(ctx, services.TransitionInput{
		OrgID: recv.row.OrgID, ServiceID: svc.ID, To: ex.Status, Message: ex.Message,
		Source: services.SourceWebhook, ReceiverID: &recv.row.ID, DeliveryID: &out.DeliveryID,
		EventTime: ex.EventTime, Incidents: recv.policy(),
	})
	if apierr.CodeOf(err) == apierr.CodeNotFound {
		// Deleted since it was looked up. A 404 would tell the sender its URL is gone.
		out.Result, out.Error = ResultFailed, apierr.New(apierr.CodeServiceUnknown, "service %q no longer exists", svc.Name)
		out.PreviousStatus, out.NewStatus = nil, nil
		return nil
	}
	if err != nil {
		return err
	}
	if ex.EventID != "" {
		// Remembered only once taken, so a retry of a failed delivery is processed.
		if err := s.rememberEvent(ctx, recv.row.ID, ex.EventID, s.clock()); err != nil {
			return err
		}
	}
	out.PreviousStatus, out.NewStatus = statusPtr(res.Previous), statusPtr(res.New)
	switch {
	case res.Changed:
		out.Result = ResultProcessed
	case res.Stale:
		out.Result, out.Reason = ResultIgnored, strPtr(ReasonStale)
	default:
		out.Result, out.Reason = ResultIgnored, strPtr(ReasonUnchanged)
	}
	return nil
}

func (a active) policy() services.IncidentPolicy {
	return services.IncidentPolicy{Enabled: a.row.AutoIncidentsEnabled, Severity: a.row.AutoIncidentsSeverity, OpenAfterSeconds: a.row.AutoIncidentsOpenAfter}
}

func headersJSON(h http.Header, recv active) string {
	sigHeader := ""
	if recv.signature != nil {
		sigHeader = recv.signature.HeaderName()
	}
	data, _ := json.Marshal(redactedHeaders(h, sigHeader))
	return string(data)
}
