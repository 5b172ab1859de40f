package receiver

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/statusgate/statusgate/apierr"
	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/mapping"
	"github.com/statusgate/statusgate/services"
)

// Outcome is the answer to one inbound delivery. For a delivery read with
// items_field, Items holds each item's outcome and the top-level fields are those of
// the first item that changed a status, else of the first item.
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
	Items          []ItemOutcome `json:"items,omitempty"`
	// ReplayOf is the logged delivery this one replays.
	ReplayOf *uuid.UUID `json:"replay_of,omitempty"`
}

// ItemOutcome is what one item of a multi-item delivery did.
type ItemOutcome struct {
	Result         string        `json:"result"`
	Reason         *string       `json:"reason"`
	Service        *services.Ref `json:"service"`
	RawStatus      *string       `json:"raw_status"`
	MappedStatus   *string       `json:"mapped_status"`
	PreviousStatus *string       `json:"previous_status"`
	NewStatus      *string       `json:"new_status"`
	Error          *apierr.Error `json:"error"`
}

// HTTPStatus is the status code the outcome answers with: 200 for processed and
// ignored, the error code's status otherwise.
func (o Outcome) HTTPStatus() int {
	if o.Error != nil {
		return apierr.HTTPStatus(o.Error.Code)
	}
	return http.StatusOK
}

// request is one inbound request as read off the wire, or a logged one replayed.
type request struct {
	body       []byte
	tooLarge   bool
	header     http.Header
	query      url.Values
	sourceIP   string
	receivedAt time.Time
	// replayOf is the logged delivery this request replays. Its signature passed
	// when it arrived (the log keeps no signature to check again), and a replay is
	// the operator's doing, so it does not count as the sender being heard from.
	replayOf *uuid.UUID
	// eventTime dates an update whose payload carries no time of its own; set for a
	// replay (the original received_at), so the stale rule holds for it.
	eventTime time.Time
}

// readBody reads at most limit bytes. A larger body is not read to the end, only its
// first MaxLoggedPayload+1 bytes, what the log keeps of it; tooLarge says so. A body
// declared too large with "Expect: 100-continue" is not read at all: Go's server
// sends "100 Continue" on the first read, and inviting an upload only to refuse it
// wastes the sender's bandwidth, so the 413 goes out first.
func readBody(r *http.Request, limit int64) (body []byte, tooLarge bool, err error) {
	if r.ContentLength > limit {
		if strings.EqualFold(strings.TrimSpace(r.Header.Get("Expect")), "100-continue") {
			return nil, true, nil
		}
		body, err = io.ReadAll(io.LimitReader(r.Body, MaxLoggedPayload+1))
		return body, true, err
	}
	body, err = io.ReadAll(io.LimitReader(r.Body, limit+1))
	if int64(len(body)) > limit {
		if err == nil && len(body) <= MaxLoggedPayload {
			// Enough for the log to tell a body it keeps whole from one it cut.
			more, merr := io.ReadAll(io.LimitReader(r.Body, int64(MaxLoggedPayload+1-len(body))))
			body, err = append(body, more...), merr
		}
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
	// items is set, one per element, when the receiver reads items_field.
	items []itemEvaluation
	// lockService says the update's service is the receiver's fixed one, left to
	// be read once, under its lock, in the delivery's transaction.
	lockService bool
}

// itemEvaluation is one item of a multi-item delivery: its update, and either its
// failure or (unless it is ignored) its target service.
type itemEvaluation struct {
	update  mapping.Update
	failure *apierr.Error
	service *services.Service
}

// evaluate checks the signature (when checkSignature), extracts and maps the payload
// and finds the target service, or each item's. With lockLater, a receiver's fixed
// service is not read here but marked lockService, for the delivery's transaction.
func (s *Store) evaluate(ctx context.Context, recv active, req request, checkSignature, lockLater bool) (evaluation, error) {
	in := mapping.Input{Body: req.body, Header: req.header, Query: req.query}
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
	if ex.Items != nil {
		// Every item failed when err is set; each item's own error tells which way.
		return ev, s.evaluateItems(ctx, recv, &ev)
	}
	failure, raw, err := failureOf(err)
	if err != nil {
		return ev, fmt.Errorf("extracting payload: %w", err)
	}
	if failure != nil {
		ev.failure = failure
		if raw != "" {
			ev.extraction.RawStatus = raw
		}
		return ev, nil
	}
	if ex.Ignore {
		return ev, nil
	}
	if lockLater && recv.row.ServiceID != nil {
		ev.lockService = true
		return ev, nil
	}
	svc, failure, err := s.serviceFor(ctx, recv, ex.ServiceName, ex.CorrelationKey, ex.ServiceFromCorrelation)
	if err != nil {
		return ev, err
	}
	ev.service, ev.failure = svc, failure
	return ev, nil
}

// serviceFor finds an update's target: the receiver's fixed service, the service the
// update names, or the one an earlier update with the same correlation key named. A
// name or key that finds nothing is the update's failure.
func (s *Store) serviceFor(ctx context.Context, recv active, name, correlationKey string, byCorrelation bool) (*services.Service, *apierr.Error, error) {
	if byCorrelation && recv.row.ServiceID == nil {
		id, ok, err := s.correlated(ctx, recv.row.ID, correlationKey)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			return nil, apierr.New(apierr.CodeServiceUnknown, "the update names no service and no earlier update with the key %q named one", correlationKey), nil
		}
		svc, err := s.services.Get(ctx, recv.row.OrgID, id)
		if apierr.CodeOf(err) == apierr.CodeNotFound {
			return nil, apierr.New(apierr.CodeServiceUnknown, "the service the key %q was first sent for no longer exists", correlationKey), nil
		}
		if err != nil {
			return nil, nil, err
		}
		return &svc, nil, nil
	}
	svc, err := s.targetService(ctx, recv, name)
	if errors.Is(err, services.ErrNoSuchName) {
		return nil, unknownService(name), nil
	}
	if err != nil {
		return nil, nil, err
	}
	return &svc, nil, nil
}

// failureOf turns what mapping reports into the delivery's failure (and, for an
// unmapped word, the word); an error it does not know is an internal one.
func failureOf(err error) (*apierr.Error, string, error) {
	var unmapped *mapping.UnmappedError
	switch {
	case err == nil:
		return nil, "", nil
	case errors.Is(err, mapping.ErrInvalidJSON):
		return apierr.New(apierr.CodeInvalidJSON, "body is not JSON: %v", err), "", nil
	case errors.Is(err, mapping.ErrStatusMissing):
		return apierr.New(apierr.CodeStatusMissing, "%v", err), "", nil
	case errors.As(err, &unmapped):
		return apierr.New(apierr.CodeStatusUnmapped, "%s", unmapped.Error()), unmapped.Raw, nil
	case errors.Is(err, mapping.ErrServiceNameMissing):
		return apierr.New(apierr.CodeServiceUnknown, "%v", err), "", nil
	}
	return nil, "", err
}

func unknownService(name string) *apierr.Error {
	return apierr.New(apierr.CodeServiceUnknown, "no service is named %q; create it or fix service_name_field", name)
}

// evaluateItems finds each item's service, looking every name up once.
func (s *Store) evaluateItems(ctx context.Context, recv active, ev *evaluation) error {
	byName := map[string]*services.Service{}
	ev.items = make([]itemEvaluation, 0, len(ev.extraction.Items))
	for i, u := range ev.extraction.Items {
		it := itemEvaluation{update: u}
		failure, raw, err := failureOf(u.Err)
		switch {
		case err != nil:
			return fmt.Errorf("extracting item %d: %w", i, err)
		case failure != nil:
			it.failure = failure
			if raw != "" {
				it.update.RawStatus = raw
			}
		case u.Ignore:
		case u.ServiceFromCorrelation:
			if it.service, it.failure, err = s.serviceFor(ctx, recv, "", u.CorrelationKey, true); err != nil {
				return err
			}
		default:
			key := strings.ToLower(strings.TrimSpace(u.ServiceName))
			svc, seen := byName[key]
			if !seen {
				if svc, it.failure, err = s.serviceFor(ctx, recv, u.ServiceName, "", false); err != nil {
					return err
				}
				byName[key] = svc
			}
			if svc == nil {
				it.failure = unknownService(u.ServiceName)
			}
			it.service = svc
		}
		ev.items = append(ev.items, it)
	}
	return nil
}

func (s *Store) targetService(ctx context.Context, recv active, name string) (services.Service, error) {
	if recv.row.ServiceID != nil {
		return s.services.Get(ctx, recv.row.OrgID, *recv.row.ServiceID)
	}
	return s.services.FindByName(ctx, recv.row.OrgID, name)
}

// receiveOnce is one attempt of receive.
//
// The statements of a delivery to a receiver with a fixed service, on the unchanged
// path: none before the transaction (the receiver comes from the token set's cache),
// then the receiver FOR UPDATE (PostgreSQL only, see lockReceiver), the service FOR
// UPDATE, and the batch's shared INSERT of log rows and its COMMIT. Each is named
// where it is issued.
func (s *Store) receiveOnce(ctx context.Context, recv active, req request) (Outcome, error) {
	ev, err := s.evaluate(ctx, recv, req, req.replayOf == nil, true)
	if err != nil {
		return Outcome{}, err
	}
	ex := ev.extraction
	out := Outcome{DeliveryID: uuid.Must(uuid.NewV7()), RawStatus: strPtr(ex.RawStatus), MappedStatus: statusPtr(ex.Status), ReplayOf: req.replayOf}
	payload, truncated := loggablePayload(req.body, req.tooLarge)
	row := deliveryRow{
		ID: out.DeliveryID, ReceiverID: recv.row.ID, ReceivedAt: req.receivedAt, SourceIP: req.sourceIP,
		RawStatus: out.RawStatus, MappedStatus: out.MappedStatus, EventID: strPtr(ex.EventID),
		Payload: payload, PayloadTruncated: truncated, Headers: headersJSON(req.header, recv),
		Query: loggedQuery(req.query), PayloadLossy: payload != string(req.body) && !truncated, ReplayOf: req.replayOf,
	}
	if ev.service != nil {
		out.Service = &services.Ref{ID: ev.service.ID, Name: ev.service.Name}
		row.ServiceID = &ev.service.ID
	}
	start, startRow := out, row
	// Group commit: this delivery shares its transaction, and its fsync, with the
	// others arriving now; it is answered once that commits. On PostgreSQL the
	// batch locks the receivers and fixed services of its deliveries in one
	// statement (batchLocker), and this one takes its rows from there.
	groupCtx := ctx
	// A delivery that changes nothing (a failure, an ignored word) still locks its
	// receiver; it takes the lock from the batch's statement too, with the fixed
	// service it does not need: a statement of its own per delivery cost PostgreSQL's
	// failure path a round trip each.
	if recv.row.ServiceID != nil && s.db.Dialect() == database.Postgres {
		groupCtx = database.WithPrefetch(ctx, s.batchLocks, lockKey{receiverID: recv.row.ID, orgID: recv.row.OrgID, serviceID: *recv.row.ServiceID})
	}
	err = s.db.InGroupTx(groupCtx, func(ctx context.Context) error {
		out, row = start, startRow // a run after a lost deadlock starts afresh
		locked, svc, err := s.lockForDelivery(ctx, recv, ev.lockService)
		if err != nil {
			return err
		}
		if svc != nil {
			// The fixed service's one read, under its lock, which Transition takes as
			// its own.
			ev.service = svc
			out.Service, row.ServiceID = &services.Ref{ID: svc.ID, Name: svc.Name}, &svc.ID
		}
		switch {
		case ev.failure != nil:
			out.Result, out.Error = ResultFailed, ev.failure
			if ev.authFailed {
				out.Result = ResultAuthFailed
			}
		case ev.items != nil:
			if err := s.applyItems(ctx, recv, ev, req, &out); err != nil {
				return err
			}
			items, _ := json.Marshal(out.Items)
			row.Items = strPtr(string(items))
			row.RawStatus, row.MappedStatus = out.RawStatus, out.MappedStatus
			row.ServiceID = nil
			if out.Service != nil {
				row.ServiceID = &out.Service.ID
			}
		case ex.Ignore:
			reason, msg := ignoreReason(ex.IgnoreReason)
			out.Result, out.Reason = ResultIgnored, &reason
			row.ErrorMessage = strPtr(msg)
		default:
			if err := s.apply(ctx, recv, ev, req, &out); err != nil {
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
		// Statements: the log row, queued for the batch's INSERT (PruneLogs trims the
		// log later), and UPDATE the receiver's heard-from fields only when it
		// expects deliveries.
		if err := s.insertDelivery(ctx, row); err != nil {
			return err
		}
		if out.Result == ResultProcessed || out.Result == ResultIgnored {
			return s.heardFrom(ctx, locked, req)
		}
		return nil
	})
	if errors.Is(err, errStaleConfig) {
		return Outcome{}, err
	}
	if err != nil {
		if _, ok := apierr.As(err); !ok {
			s.recordUnstored(ctx, recv, row, ev.authFailed)
		}
		return Outcome{}, err
	}
	return out, nil
}

// lockReceiver makes sure the configuration recv was evaluated with (perhaps from
// the cache) is still the receiver's, and returns the receiver as committed.
//
// On PostgreSQL, where other instances write, that is the statement SELECT the
// receiver FOR UPDATE, which also holds one delivery of a receiver at a time, so an
// event id is checked and remembered atomically. On SQLite this process is the only
// writer and transactions run one at a time, so a receiver the token set vouches
// for costs no statement; one it does not (a change is under way, or the delivery
// was not evaluated from the cache) is read as on PostgreSQL.
func (s *Store) lockReceiver(ctx context.Context, recv active) (receiverRow, error) {
	if s.db.Dialect() == database.SQLite && s.tokens.current(recv.gen) {
		return recv.row, nil
	}
	locked, err := s.getRow(ctx, recv.row.OrgID, recv.row.ID, true)
	if err != nil {
		return receiverRow{}, err
	}
	if !sameConfig(locked, recv.row) {
		return receiverRow{}, errStaleConfig
	}
	return locked, nil
}

// lockForDelivery is lockReceiver and, withService, the receiver's fixed service
// read and locked as services.Lock does. On PostgreSQL both come in one statement
// (lockBoth): a round trip each was most of an unchanged delivery's time in its
// batch. A delivery that needs only its receiver takes it from the batch's lock
// too, when the batch took one for it. Should either row be gone, the two
// statements of the other stores say which.
func (s *Store) lockForDelivery(ctx context.Context, recv active, withService bool) (receiverRow, *services.Service, error) {
	if withService && s.db.Dialect() == database.Postgres {
		locked, svc, err := s.lockBoth(ctx, recv)
		if err == nil && !sameConfig(locked, recv.row) {
			err = errStaleConfig
		}
		if err == nil {
			return locked, &svc, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return receiverRow{}, nil, err
		}
	}
	if both, ok := database.Prefetched(ctx).(lockedBoth); ok && !withService {
		if !sameConfig(both.row, recv.row) {
			return receiverRow{}, nil, errStaleConfig
		}
		return both.row, nil, nil
	}
	locked, err := s.lockReceiver(ctx, recv)
	if err != nil || !withService {
		return locked, nil, err
	}
	svc, err := s.services.Lock(ctx, recv.row.OrgID, *recv.row.ServiceID)
	if err != nil {
		return receiverRow{}, nil, err
	}
	return locked, &svc, nil
}

// lockBothSQL reads a receiver and the service it was evaluated with (its cached
// service_id: should the row name another now, sameConfig sends the delivery round
// again) and, on PostgreSQL, locks both.
var lockBothSQL = map[database.Dialect]string{
	database.SQLite:   selectBothSQL,
	database.Postgres: selectBothSQL + " FOR " + database.LockStrength + " OF r, s",
}

// bothColumns are what lockBoth and batchLocker read of a receiver r and its service
// s, in the order scanBoth scans them.
var bothColumns = database.Columns(receiverRow{}, "r") + ", " + services.LockColumns("s")

var selectBothSQL = "SELECT " + bothColumns +
	" FROM receivers r, services s WHERE r.id = ? AND r.org_id = ? AND s.id = ? AND s.org_id = ?"

// scanBoth scans one row of bothColumns (from an *sql.Row or *sql.Rows).
func scanBoth(row interface{ Scan(dest ...any) error }) (lockedBoth, error) {
	var r receiverRow
	var svc services.LockedRow
	if err := row.Scan(append(database.ScanInto(&r), svc.Dest()...)...); err != nil {
		return lockedBoth{}, err
	}
	return lockedBoth{row: r, svc: svc.Service()}, nil
}

// lockBoth runs lockBothSQL for recv, unless its batch locked both rows for it
// already (batchLocker); sql.ErrNoRows when either row is gone.
func (s *Store) lockBoth(ctx context.Context, recv active) (receiverRow, services.Service, error) {
	if both, ok := database.Prefetched(ctx).(lockedBoth); ok {
		return both.row, both.svc, nil
	}
	both, err := scanBoth(s.db.QueryRow(ctx, lockBothSQL[s.db.Dialect()], recv.row.ID, recv.row.OrgID, *recv.row.ServiceID, recv.row.OrgID))
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		err = fmt.Errorf("locking the receiver and its service: %w", err)
	}
	return both.row, both.svc, err
}

// lockKey names the rows a delivery to a fixed service reads and locks first: its
// receiver and that service, in the receiver's organization.
type lockKey struct{ receiverID, orgID, serviceID uuid.UUID }

// lockedBoth is the receiver and service batchLocker read for one delivery.
type lockedBoth struct {
	row receiverRow
	svc services.Service
}

// batchLocker is the database.Prefetcher of deliveries to fixed services on
// PostgreSQL. It locks the receivers and services of a batch's deliveries in one
// statement, as lockBoth locks one pair: a round trip per delivery was most of an
// unchanged delivery's time in its batch. Rows are locked in receiver id order, so
// two batches lock shared rows in the same order. A delivery whose receiver or
// service an earlier delivery of the batch also names gets nothing (that delivery
// may change them first) and locks its own at its turn, as does one whose rows
// are gone or in another organization, so that lockForDelivery's two statements
// say which.
type batchLocker struct{ db *database.DB }

// The rows are joined on their ids alone, and Prefetch checks their organizations:
// with org_id in the join, org_id = r.org_id = s.org_id let the planner reach the
// services through their (org_id, name_key) index, and on tables not yet analyzed
// (every new database, until autovacuum gets to it) it did, reading every service
// of the organization for each delivery.
var lockBatchSQL = "SELECT " + bothColumns +
	" FROM unnest(CAST(? AS uuid[]), CAST(? AS uuid[])) AS k(rid, sid)" +
	" JOIN receivers r ON r.id = k.rid JOIN services s ON s.id = k.sid" +
	" ORDER BY r.id FOR " + database.LockStrength + " OF r, s"

// Prefetch implements database.Prefetcher; keys are lockKeys, values lockedBoths.
func (b *batchLocker) Prefetch(ctx context.Context, keys []any) ([]any, error) {
	named := map[uuid.UUID]bool{}
	first := make([]bool, len(keys))
	var receiverIDs, serviceIDs []uuid.UUID
	for i, k := range keys {
		key := k.(lockKey)
		if named[key.receiverID] || named[key.serviceID] {
			continue
		}
		named[key.receiverID], named[key.serviceID], first[i] = true, true, true
		receiverIDs, serviceIDs = append(receiverIDs, key.receiverID), append(serviceIDs, key.serviceID)
	}
	rows, err := b.db.Query(ctx, lockBatchSQL, receiverIDs, serviceIDs)
	if err != nil {
		return nil, fmt.Errorf("locking the batch's receivers and services: %w", err)
	}
	defer rows.Close()
	locked := make(map[uuid.UUID]lockedBoth, len(receiverIDs))
	for rows.Next() {
		both, err := scanBoth(rows)
		if err != nil {
			return nil, fmt.Errorf("reading the batch's receivers and services: %w", err)
		}
		locked[both.row.ID] = both
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("locking the batch's receivers and services: %w", err)
	}
	values := make([]any, len(keys))
	for i, k := range keys {
		key := k.(lockKey)
		both, ok := locked[key.receiverID]
		if ok && first[i] && both.row.OrgID == key.orgID && both.svc.OrgID == key.orgID {
			values[i] = both
		}
	}
	return values, nil
}

// errStaleConfig says a delivery was evaluated with a receiver configuration that
// changed before the receiver's lock was taken (through another instance, or
// between the cache read and the lock).
var errStaleConfig = errors.New("the receiver changed while the delivery was evaluated")

// receive handles one delivery to recv end to end and returns its outcome once the
// log row (and any status change) is committed. A delivery evaluated with a
// configuration that turned out stale is handled again with the receiver as it now
// is: gone, disabled or given another token means the sender's token no longer
// works (404), at once and on every instance.
func (s *Store) receive(ctx context.Context, recv active, req request) (Outcome, error) {
	for attempt := 1; ; attempt++ {
		out, err := s.receiveOnce(ctx, recv, req)
		if errors.Is(err, errReceiverNotFound) && req.replayOf == nil {
			// Deleted, perhaps through another instance: the token is gone here too.
			s.tokens.invalidate()
			s.tokens.forget(recv.row.TokenHash)
			return Outcome{}, errUnknownToken
		}
		if !errors.Is(err, errStaleConfig) {
			return out, err
		}
		if attempt == 3 {
			return Outcome{}, fmt.Errorf("receiver %s: %w three times over", recv.row.ID, err)
		}
		// Changed elsewhere: whatever else this process cached may be too.
		hash := recv.row.TokenHash
		s.tokens.invalidate()
		row, err := s.getRow(ctx, recv.row.OrgID, recv.row.ID, false)
		if errors.Is(err, errReceiverNotFound) || (err == nil && req.replayOf == nil && (!row.Enabled || row.TokenHash != hash)) {
			s.tokens.forget(hash)
			return Outcome{}, errUnknownToken
		}
		if err != nil {
			return Outcome{}, err
		}
		if recv, err = s.activeOf(row); err != nil {
			return Outcome{}, err
		}
	}
}

// ignoreReason is the log's reason for an update mapping ignored, and the sentence
// that says why: ignored_value when the status word is mapped to "ignore",
// event_ignored for a preset's informational event.
func ignoreReason(mappingReason string) (reason, message string) {
	if mappingReason == ReasonIgnoredValue {
		return ReasonIgnoredValue, "the status value is mapped to ignore"
	}
	return ReasonEventIgnored, mappingReason
}

// recordUnstored logs, best effort and in a transaction of its own, a delivery whose
// transaction failed, so an operator sees why the sender was told to retry. When the
// database itself is down this fails too, and the sender's retry is the record. A
// delivery whose signature failed stays auth_failed, so it can never be replayed.
func (s *Store) recordUnstored(ctx context.Context, recv active, row deliveryRow, authFailed bool) {
	code, msg := apierr.CodeUnavailable, "the delivery could not be stored and nothing was changed; the sender was told to retry"
	row.Result, row.Reason, row.ErrorCode, row.ErrorMessage = ResultFailed, nil, &code, &msg
	if authFailed {
		row.Result = ResultAuthFailed
	}
	row.PreviousStatus, row.NewStatus, row.Items = nil, nil, nil
	_ = s.db.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.getRow(ctx, recv.row.OrgID, recv.row.ID, true); err != nil {
			return err
		}
		return s.insertDelivery(ctx, row)
	})
}

// update is one status update bound for one service, from a whole payload or one item.
type update struct {
	service   services.Service
	status    mapping.Status
	message   string
	eventID   string // the key remembered against retries; "" when the sender gave none
	eventTime time.Time
	// correlationKey, when set, is remembered as naming this service, for a later
	// update that carries only the key.
	correlationKey string
	// locked says service was read under services.Lock in this transaction.
	locked bool
}

// applied is what an update did to its service.
type applied struct {
	result             string
	reason             *string
	failure            *apierr.Error
	previous, newState *string
}

// apply is the status-changing part of a one-update delivery, inside its transaction.
func (s *Store) apply(ctx context.Context, recv active, ev evaluation, req request, out *Outcome) error {
	ex := ev.extraction
	res, err := s.applyUpdate(ctx, recv, out.DeliveryID, update{
		service: *ev.service, status: ex.Status, message: ex.Message, eventID: ex.EventID,
		eventTime: orTime(ex.EventTime, req.eventTime), correlationKey: correlationToKeep(recv, ex.Updates()[0]),
		locked: ev.lockService,
	}, nil)
	if err != nil {
		return err
	}
	out.Result, out.Reason, out.Error, out.PreviousStatus, out.NewStatus = res.result, res.reason, res.failure, res.previous, res.newState
	return nil
}

// applyUpdate checks the update's event id, runs services.Transition and remembers
// the event id once it is taken. taken holds the keys this delivery already
// remembered, so two items of one delivery never collide with each other.
func (s *Store) applyUpdate(ctx context.Context, recv active, deliveryID uuid.UUID, u update, taken map[string]bool) (applied, error) {
	svc := u.service
	out := applied{previous: statusPtr(svc.Status), newState: statusPtr(svc.Status)}
	if u.eventID != "" && !taken[u.eventID] {
		// Statement, only for a payload with an event id: SELECT count(*) of it.
		seen, err := s.seenEvent(ctx, recv.row.ID, u.eventID)
		if err != nil {
			return out, err
		}
		if seen {
			out.result, out.reason = ResultIgnored, strPtr(ReasonDuplicate)
			return out, nil
		}
	}
	in := services.TransitionInput{
		OrgID: recv.row.OrgID, ServiceID: svc.ID, To: u.status, Message: u.message,
		Source: services.SourceWebhook, ReceiverID: &recv.row.ID, DeliveryID: &deliveryID,
		EventTime: u.eventTime, Incidents: recv.policy(),
	}
	if u.locked {
		in.Locked = &svc
	}
	res, err := s.services.Transition(ctx, in)
	if apierr.CodeOf(err) == apierr.CodeNotFound {
		// Deleted since it was looked up. A 404 would tell the sender its URL is gone.
		return applied{result: ResultFailed, failure: apierr.New(apierr.CodeServiceUnknown, "service %q no longer exists", svc.Name)}, nil
	}
	if err != nil {
		return out, err
	}
	if u.correlationKey != "" {
		if err := s.correlate(ctx, recv.row.ID, u.correlationKey, svc.ID, s.clock()); err != nil {
			return out, err
		}
	}
	if u.eventID != "" && !taken[u.eventID] {
		// Remembered only once taken, so a retry of a failed delivery is processed.
		if err := s.rememberEvent(ctx, recv.row.ID, u.eventID, s.clock()); err != nil {
			return out, err
		}
		if taken != nil {
			taken[u.eventID] = true
		}
	}
	out.previous, out.newState = statusPtr(res.Previous), statusPtr(res.New)
	switch {
	case res.Changed:
		out.result = ResultProcessed
	case res.Stale:
		out.result, out.reason = ResultIgnored, strPtr(ReasonStale)
	case res.Held:
		out.result, out.reason = ResultIgnored, strPtr(ReasonMaintenance)
	default:
		out.result, out.reason = ResultIgnored, strPtr(ReasonUnchanged)
	}
	return out, nil
}

// correlationToKeep is the update's correlation key when it names its service itself,
// so a later update with only the key finds the service; "" otherwise.
func correlationToKeep(recv active, u mapping.Update) string {
	if recv.row.ServiceID != nil || u.ServiceFromCorrelation {
		return ""
	}
	return u.CorrelationKey
}

func orTime(t, fallback time.Time) time.Time {
	if t.IsZero() {
		return fallback
	}
	return t
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

// loggedQuery is the request's query string as the log keeps it, for a replay to read:
// parameters whose names say they carry a credential are redacted like headers.
func loggedQuery(q url.Values) string {
	if len(q) == 0 {
		return ""
	}
	out := make(url.Values, len(q))
	for k, vs := range q {
		if sensitiveHeader(k) {
			vs = []string{"[redacted]"}
		}
		out[k] = vs
	}
	return out.Encode()
}
