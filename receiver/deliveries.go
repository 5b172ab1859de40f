package receiver

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/statusgate/statusgate/apierr"
	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/mapping"
)

// The delivery log's limits.
const (
	// KeepDeliveries is how many deliveries each receiver keeps, newest first, of
	// those that came from someone holding its credentials.
	KeepDeliveries = 50
	// KeepUnverified is how many it keeps, on a bound of their own, of those that did
	// not prove where they came from: auth_failed, and payload_too_large, which is
	// refused before a signature can be checked. Anyone who knows a receiver's URL
	// can send these, so they must never evict the deliveries of the real sender;
	// 20 are enough to see what is knocking.
	KeepUnverified = 20
	// MaxLoggedPayload caps the payload kept per delivery; longer ones are cut and
	// marked payload_truncated.
	MaxLoggedPayload = 64 << 10
	// eventMemory is how long an event id is remembered for duplicate detection: longer
	// than any sender's retry schedule we know (Uptimera's 30 minutes, Pingara's 42).
	eventMemory = 7 * 24 * time.Hour
)

// Delivery results.
const (
	ResultProcessed  = "processed"
	ResultIgnored    = "ignored"
	ResultFailed     = "failed"
	ResultAuthFailed = "auth_failed"
)

// Reasons an ignored delivery gives.
const (
	ReasonUnchanged    = "unchanged"
	ReasonDuplicate    = "duplicate"
	ReasonStale        = "stale"
	ReasonEventIgnored = "event_ignored"
	// ReasonMaintenance: a maintenance window holds the service; the status is
	// remembered underneath and taken when the window ends.
	ReasonMaintenance = "maintenance"
)

// Delivery is one request that reached a receiver, as the log shows it.
type Delivery struct {
	ID               uuid.UUID         `json:"id"`
	ReceivedAt       time.Time         `json:"received_at"`
	SourceIP         string            `json:"source_ip"`
	Result           string            `json:"result"`
	Reason           *string           `json:"reason"`
	ErrorCode        *string           `json:"error_code"`
	ErrorMessage     *string           `json:"error_message"`
	RawStatus        *string           `json:"raw_status"`
	MappedStatus     *string           `json:"mapped_status"`
	PreviousStatus   *string           `json:"previous_status"`
	NewStatus        *string           `json:"new_status"`
	ServiceID        *uuid.UUID        `json:"service_id"`
	EventID          *string           `json:"event_id"`
	Payload          string            `json:"payload"`
	PayloadTruncated bool              `json:"payload_truncated"`
	Headers          map[string]string `json:"headers"`
	// Items is each item's outcome, for a receiver with items_field; else null.
	Items []ItemOutcome `json:"items"`
	// ReplayOf is the delivery this one replays; null for one a sender made.
	ReplayOf *uuid.UUID `json:"replay_of"`
}

type deliveryRow struct {
	ID               uuid.UUID
	ReceiverID       uuid.UUID
	ReceivedAt       time.Time
	SourceIP         string
	Result           string
	Reason           *string
	ErrorCode        *string
	ErrorMessage     *string
	RawStatus        *string
	MappedStatus     *string
	PreviousStatus   *string
	NewStatus        *string
	ServiceID        *uuid.UUID
	EventID          *string
	Payload          string
	PayloadTruncated bool
	Headers          string
	Items            *string
	ReplayOf         *uuid.UUID
	Query            string
	PayloadLossy     bool
}

func (deliveryRow) TableName() string { return "deliveries" }

func (r deliveryRow) toDelivery() Delivery {
	d := Delivery{
		ID: r.ID, ReceivedAt: r.ReceivedAt.UTC(), SourceIP: r.SourceIP, Result: r.Result, Reason: r.Reason,
		ErrorCode: r.ErrorCode, ErrorMessage: r.ErrorMessage, RawStatus: r.RawStatus, MappedStatus: r.MappedStatus,
		PreviousStatus: r.PreviousStatus, NewStatus: r.NewStatus, ServiceID: r.ServiceID, EventID: r.EventID,
		Payload: r.Payload, PayloadTruncated: r.PayloadTruncated, Headers: map[string]string{},
	}
	_ = json.Unmarshal([]byte(r.Headers), &d.Headers)
	if r.Items != nil {
		_ = json.Unmarshal([]byte(*r.Items), &d.Items)
	}
	d.ReplayOf = r.ReplayOf
	return d
}

type eventRow struct {
	ReceiverID uuid.UUID
	EventID    string
	SeenAt     time.Time
}

func (eventRow) TableName() string { return "receiver_events" }

// unverifiedRow is the SQL condition of a row counted against KeepUnverified.
const unverifiedRow = `(result = 'auth_failed' OR COALESCE(error_code, '') = 'payload_too_large')`

// unverified says whether a row counts against KeepUnverified rather than
// KeepDeliveries; it is unverifiedRow in Go.
func (r deliveryRow) unverified() bool {
	return r.Result == ResultAuthFailed || (r.ErrorCode != nil && *r.ErrorCode == apierr.CodePayloadTooLarge)
}

// pruneEvery is how many deliveries of one part of a receiver's log this process
// writes before that part is due for pruning. Pruning is never done by a delivery:
// inside the receiver's lock it cost a DELETE each time (on PostgreSQL, 0.8-1.2 ms
// over the dead rows the deletes leave), so PruneLogs does it in the background, for
// every part that is due, a few at a time. The table holds up to pruneEvery
// more rows per part, plus what arrives between two passes. The readers never see
// them: every query of the log reads through keptLog, which is exactly the newest
// KeepDeliveries and the newest KeepUnverified, as if each delivery had pruned.
// As many as the log keeps: a prune's DELETE reads the kept rows each time, so on
// SQLite's one writer pruning after 16 cost 7 % of the unchanged path's throughput.
const pruneEvery = KeepDeliveries

// maxPrunesPerPass bounds one PruneLogs pass; what is left waits for the next.
const maxPrunesPerPass = 256

// keptLog is the SQL condition of the rows of a receiver's log that are kept: the
// newest KeepDeliveries of the verified part and the newest KeepUnverified of the
// other. It takes the receiver id twice.
var keptLog = `id IN (SELECT id FROM (SELECT id FROM deliveries WHERE receiver_id = ? AND NOT ` + unverifiedRow +
	` ORDER BY received_at DESC, id DESC LIMIT ` + strconv.Itoa(KeepDeliveries) + `) kept_verified
	UNION ALL SELECT id FROM (SELECT id FROM deliveries WHERE receiver_id = ? AND ` + unverifiedRow +
	` ORDER BY received_at DESC, id DESC LIMIT ` + strconv.Itoa(KeepUnverified) + `) kept_unverified)`

// pruneCounter counts, per receiver and part of its log, the deliveries written
// since that part was last due, and holds the parts that are due.
type pruneCounter struct {
	mu  sync.Mutex
	n   map[pruneKey]int
	due map[pruneKey]struct{}
}

type pruneKey struct {
	receiverID uuid.UUID
	unverified bool
}

// count counts one delivery, once it is committed.
func (p *pruneCounter) count(k pruneKey) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.n == nil {
		p.n, p.due = map[pruneKey]int{}, map[pruneKey]struct{}{}
	}
	p.n[k]++
	if p.n[k] < pruneEvery {
		return
	}
	delete(p.n, k)
	p.due[k] = struct{}{}
}

// take removes up to max due parts and returns them.
func (p *pruneCounter) take(max int) []pruneKey {
	p.mu.Lock()
	defer p.mu.Unlock()
	keys := make([]pruneKey, 0, min(max, len(p.due)))
	for k := range p.due {
		if len(keys) == max {
			break
		}
		keys = append(keys, k)
		delete(p.due, k)
	}
	return keys
}

// giveBack marks parts due again after a pass that could not prune them.
func (p *pruneCounter) giveBack(keys []pruneKey) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, k := range keys {
		p.due[k] = struct{}{}
	}
}

// insertDelivery writes one log row (statement: INSERT); once it commits, it counts
// towards its part's next prune.
func (s *Store) insertDelivery(ctx context.Context, row deliveryRow) error {
	// Every delivery runs this: a group commit writes its batch's rows in one INSERT.
	if err := s.db.InsertLater(ctx, &row); err != nil {
		return fmt.Errorf("writing delivery log: %w", err)
	}
	database.AfterCommit(ctx, func() { s.prunes.count(pruneKey{row.ReceiverID, row.unverified()}) })
	return nil
}

// PruneLogs deletes what keptLog no longer shows of every part of a receiver's log
// that is due (see pruneEvery), and reports how many rows it deleted. The gateway
// runs it every second. Deliveries go on meanwhile: a row committed after a DELETE
// began is not one it sees, and keptLog keeps the newest whatever the DELETE has not
// reached yet.
//
// The work goes through group commit a little at a time, so each piece rides in a
// batch of deliveries and shares its commit. On SQLite's one writer a pass in one
// transaction of its own held every delivery back while it ran: under load 200
// receivers fell due together and the pass took 100-130 ms, which was the whole of
// the unchanged path's p99.
func (s *Store) PruneLogs(ctx context.Context) (int, error) {
	keys := s.prunes.take(maxPrunesPerPass)
	if len(keys) == 0 {
		return 0, nil
	}
	prune := s.prunePartByPart
	if s.db.Dialect() == database.SQLite {
		prune = s.pruneInTableOrder
	}
	deleted, err := prune(ctx, keys)
	if err != nil {
		// A part pruned already finds nothing the next time.
		s.prunes.giveBack(keys)
	}
	return deleted, err
}

// prunesPerTx is how many parts one grouped function of prunePartByPart prunes:
// each is a statement over about pruneEvery rows, so a batch that carries one is
// barely slower.
const prunesPerTx = 2

// prunePartByPart deletes the rows keptLog no longer shows of each part, one DELETE
// a part, prunesPerTx parts to a grouped function.
func (s *Store) prunePartByPart(ctx context.Context, keys []pruneKey) (int, error) {
	deleted := 0
	for len(keys) > 0 {
		chunk := keys[:min(prunesPerTx, len(keys))]
		n := 0
		err := s.db.InGroupTx(ctx, func(ctx context.Context) error {
			n = 0 // a run after a lost deadlock starts afresh
			conn := s.db.Conn(ctx)
			for _, k := range chunk {
				part, keep := k.condition()
				res := conn.Exec(`DELETE FROM deliveries WHERE receiver_id = ? AND `+part+` AND id NOT IN (
				SELECT id FROM deliveries WHERE receiver_id = ? AND `+part+` ORDER BY received_at DESC, id DESC LIMIT ?)`,
					k.receiverID, k.receiverID, keep)
				if res.Error != nil {
					return fmt.Errorf("pruning the delivery log of receiver %s: %w", k.receiverID, res.Error)
				}
				n += int(res.RowsAffected)
			}
			return nil
		})
		if err != nil {
			return deleted, err
		}
		deleted += n
		keys = keys[len(chunk):]
	}
	return deleted, nil
}

// doomedRow is a log row keptLog no longer shows, as SQLite stores it.
type doomedRow struct {
	RowID int64  `gorm:"column:rowid"`
	ID    string `gorm:"column:id"`
}

// rowsPerDelete bounds the rows one grouped DELETE of pruneInTableOrder removes:
// about as long as prunesPerTx parts pruned one by one.
const rowsPerDelete = 128

// pruneInTableOrder is SQLite's prune: it first reads the doomed rows of every part,
// then deletes them in the order of the table, rowsPerDelete at a time. A receiver's
// rows lie far apart in the table, among everyone else's that arrived at the same
// time, so deleting part after part dirtied a page, and wrote a WAL frame at the
// next commit, for nearly every row. The parts that fall due together were written
// together, so in the table's order one page holds several doomed rows, of many
// receivers, and is written once.
//
// The DELETE names each row by rowid and id both: between the read and the delete a
// row may go (its receiver deleted) and SQLite may give its rowid to a new row, whose
// id is new.
func (s *Store) pruneInTableOrder(ctx context.Context, keys []pruneKey) (int, error) {
	// The doomed rows are read beside the writer, not in a group transaction: a
	// read there held up each batch it rode in (a tenth of the unchanged path's
	// writer time went to it). A row that a committed snapshot shows behind the
	// newest of its part stays behind them, since only this prune deletes a log row
	// that its receiver still has.
	var doomed []doomedRow
	reader := s.db.Reader(ctx)
	for _, k := range keys {
		part, keep := k.condition()
		var rows []doomedRow
		err := reader.Raw(`SELECT rowid, id FROM deliveries WHERE receiver_id = ? AND `+part+
			` ORDER BY received_at DESC, id DESC LIMIT -1 OFFSET ?`, k.receiverID, keep).Scan(&rows).Error
		if err != nil {
			return 0, fmt.Errorf("reading what to prune of the delivery log of receiver %s: %w", k.receiverID, err)
		}
		doomed = append(doomed, rows...)
	}
	sort.Slice(doomed, func(i, j int) bool { return doomed[i].RowID < doomed[j].RowID })
	deleted := 0
	for len(doomed) > 0 {
		chunk := doomed[:min(rowsPerDelete, len(doomed))]
		rowIDs, ids := make([]int64, len(chunk)), make([]string, len(chunk))
		for i, d := range chunk {
			rowIDs[i], ids[i] = d.RowID, d.ID
		}
		rowIDsJSON, _ := json.Marshal(rowIDs)
		idsJSON, _ := json.Marshal(ids)
		n := 0
		err := s.db.InGroupTx(ctx, func(ctx context.Context) error {
			res := s.db.Conn(ctx).Exec(`DELETE FROM deliveries WHERE rowid IN (SELECT value FROM json_each(?))
				AND id IN (SELECT value FROM json_each(?))`, string(rowIDsJSON), string(idsJSON))
			if res.Error != nil {
				return fmt.Errorf("pruning the delivery log: %w", res.Error)
			}
			n = int(res.RowsAffected)
			return nil
		})
		if err != nil {
			return deleted, err
		}
		deleted += n
		doomed = doomed[len(chunk):]
	}
	return deleted, nil
}

// condition is the SQL condition of the part's rows, and how many of them the log
// keeps.
func (k pruneKey) condition() (string, int) {
	if k.unverified {
		return unverifiedRow, KeepUnverified
	}
	return "NOT " + unverifiedRow, KeepDeliveries
}

// validResult reports whether result is one a delivery can have.
func validResult(result string) bool {
	switch result {
	case ResultProcessed, ResultIgnored, ResultFailed, ResultAuthFailed:
		return true
	}
	return false
}

// Deliveries returns the receiver's log, newest first: everything it keeps, or only
// the deliveries with the given result when result is not "".
func (s *Store) Deliveries(ctx context.Context, orgID, receiverID uuid.UUID, result string) ([]Delivery, error) {
	if result != "" && !validResult(result) {
		return nil, apierr.Invalid("result", "result %q must be one of processed, ignored, failed, auth_failed", result)
	}
	if _, err := s.getRow(ctx, orgID, receiverID, false); err != nil {
		return nil, err
	}
	q := s.db.Conn(ctx).Where("receiver_id = ? AND "+keptLog, receiverID, receiverID, receiverID)
	if result != "" {
		q = q.Where("result = ?", result)
	}
	var rows []deliveryRow
	if err := q.Order("received_at DESC, id DESC").Limit(KeepDeliveries + KeepUnverified).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("reading delivery log: %w", err)
	}
	out := make([]Delivery, len(rows))
	for i, r := range rows {
		out[i] = r.toDelivery()
	}
	return out, nil
}

// seenEvent reports whether the receiver has already taken the event (a sender's
// retry). The caller holds the receiver's row lock, so a check followed by
// rememberEvent cannot race another delivery of the same event.
func (s *Store) seenEvent(ctx context.Context, receiverID uuid.UUID, eventID string) (bool, error) {
	var n int64
	if err := s.db.Conn(ctx).Model(&eventRow{}).Where("receiver_id = ? AND event_id = ?", receiverID, eventID).Count(&n).Error; err != nil {
		return false, fmt.Errorf("checking event id: %w", err)
	}
	return n > 0, nil
}

// rememberEvent records an event the receiver took, and forgets those older than
// eventMemory.
func (s *Store) rememberEvent(ctx context.Context, receiverID uuid.UUID, eventID string, at time.Time) error {
	conn := s.db.Conn(ctx)
	if err := conn.Where("receiver_id = ? AND seen_at < ?", receiverID, at.Add(-eventMemory)).Delete(&eventRow{}).Error; err != nil {
		return fmt.Errorf("forgetting old event ids: %w", err)
	}
	if err := conn.Create(&eventRow{ReceiverID: receiverID, EventID: eventID, SeenAt: at}).Error; err != nil {
		return fmt.Errorf("remembering event id: %w", err)
	}
	return nil
}

// redactedHeaders returns the request's headers for the log, every credential
// replaced by "[redacted]": the configured signature header, Authorization, cookies,
// and any header whose name says it carries a signature, secret, token or key.
func redactedHeaders(h http.Header, signatureHeader string) map[string]string {
	out := make(map[string]string, len(h))
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := strings.Join(h[k], ", ")
		if sensitiveHeader(k) || (signatureHeader != "" && strings.EqualFold(k, signatureHeader)) {
			v = "[redacted]"
		}
		out[k] = v
	}
	return out
}

func sensitiveHeader(name string) bool {
	n := strings.ToLower(name)
	switch n {
	case "authorization", "proxy-authorization", "cookie", "set-cookie":
		return true
	}
	for _, word := range []string{"signature", "secret", "token", "auth", "api-key", "apikey", "password", "hmac"} {
		if strings.Contains(n, word) {
			return true
		}
	}
	return false
}

// loggablePayload keeps the body as received, cut at MaxLoggedPayload, and says
// whether anything was cut. readBody reads a too-large body as far as the log keeps
// it plus one byte, so more than MaxLoggedPayload bytes is the only cut, except a
// too-large body it never read at all (Expect: 100-continue), which comes as none.
// The log is a text column, so bytes that are not UTF-8 (and NUL, which PostgreSQL
// text refuses) become U+FFFD; the answer and processing always use the raw bytes.
func loggablePayload(body []byte, tooLarge bool) (string, bool) {
	truncated := len(body) > MaxLoggedPayload || (tooLarge && len(body) == 0)
	if len(body) > MaxLoggedPayload {
		body = body[:MaxLoggedPayload]
	}
	s := string(body)
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	}
	return s, truncated
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func statusPtr(s mapping.Status) *string { return strPtr(string(s)) }
