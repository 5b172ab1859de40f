package receiver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/statusgate/statusgate/apierr"
	"github.com/statusgate/statusgate/database"
)

var errDeliveryNotFound = apierr.NotFound("delivery")

// Replay runs a logged delivery again with the receiver's current configuration, as a
// new delivery that points at the one it replays, and answers what the inbound
// endpoint would have answered. Only deliveries that passed authentication and whose
// payload the log kept exactly can be replayed: an auth_failed one was never the
// sender's, and a truncated or lossy one is not what the sender sent.
//
// The signature is not checked again (it passed when the delivery arrived; the log
// keeps its header redacted). An update without its own event time is dated by the
// original received_at, so replaying an old failure never overrides a newer status.
// Event ids are checked as for any delivery: replaying what was already taken is a
// duplicate. A replay is the operator's doing and does not count as the sender being
// heard from (expect_every_seconds).
func (s *Store) Replay(ctx context.Context, orgID, receiverID, deliveryID uuid.UUID, sourceIP string) (Outcome, error) {
	row, err := s.getRow(ctx, orgID, receiverID, false)
	if err != nil {
		return Outcome{}, err
	}
	recv, err := s.activeOf(row)
	if err != nil {
		return Outcome{}, err
	}
	var logged deliveryRow
	err = s.db.Conn(ctx).Where("id = ? AND receiver_id = ? AND "+keptLog, deliveryID, receiverID, receiverID, receiverID).Take(&logged).Error
	if errors.Is(err, database.ErrNotFound) {
		return Outcome{}, errDeliveryNotFound
	}
	if err != nil {
		return Outcome{}, fmt.Errorf("reading delivery: %w", err)
	}
	if err := replayable(logged); err != nil {
		return Outcome{}, err
	}
	header := http.Header{}
	var stored map[string]string
	if err := json.Unmarshal([]byte(logged.Headers), &stored); err != nil {
		return Outcome{}, fmt.Errorf("delivery %s: stored headers: %w", logged.ID, err)
	}
	for k, v := range stored {
		header.Set(k, v)
	}
	query, err := url.ParseQuery(logged.Query)
	if err != nil {
		return Outcome{}, fmt.Errorf("delivery %s: stored query: %w", logged.ID, err)
	}
	return s.receive(ctx, recv, request{
		body: []byte(logged.Payload), header: header, query: query, sourceIP: sourceIP,
		receivedAt: s.clock(), replayOf: &logged.ID, eventTime: logged.ReceivedAt.UTC(),
	})
}

// replayable says why a logged delivery cannot be replayed, as a 409.
func replayable(d deliveryRow) error {
	switch {
	case d.Result == ResultAuthFailed:
		return apierr.New(apierr.CodeConflict, "delivery %s did not pass authentication, so it is not the sender's and cannot be replayed", d.ID)
	case d.PayloadTruncated:
		return apierr.New(apierr.CodeConflict, "delivery %s was larger than the log keeps; its payload was cut, so it cannot be replayed", d.ID)
	case d.ErrorCode != nil && *d.ErrorCode == apierr.CodePayloadTooLarge:
		// Over the body limit the body is not read to its end, so what the log holds
		// may not be all that was sent; and it is over the limit a replay applies too.
		return apierr.New(apierr.CodeConflict, "delivery %s was over the body size limit and was not read whole; its payload may be cut, so it cannot be replayed", d.ID)
	case d.PayloadLossy:
		return apierr.New(apierr.CodeConflict, "delivery %s carried bytes the log cannot keep as text (not UTF-8, or NUL); its logged payload is not what was sent, so it cannot be replayed", d.ID)
	}
	return nil
}

// UnmappedWord is a raw status word that failed with status_unmapped.
type UnmappedWord struct {
	RawStatus  string    `json:"raw_status"`
	Count      int       `json:"count"`
	LastSeenAt time.Time `json:"last_seen_at"`
}

// Unmapped lists the distinct raw status words that failed with status_unmapped over
// the receiver's log (the newest 50 deliveries), in a delivery or in one of its
// items, most frequent first. Words are told apart as status_mapping matches them
// (case-insensitively, trimmed); each shows its latest spelling.
func (s *Store) Unmapped(ctx context.Context, orgID, receiverID uuid.UUID) ([]UnmappedWord, error) {
	if _, err := s.getRow(ctx, orgID, receiverID, false); err != nil {
		return nil, err
	}
	var rows []deliveryRow
	if err := s.db.Conn(ctx).Select("id", "received_at", "raw_status", "error_code", "items").
		Where("receiver_id = ? AND (error_code = ? OR items IS NOT NULL) AND "+keptLog, receiverID, apierr.CodeStatusUnmapped, receiverID, receiverID).
		Order("received_at DESC, id DESC").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("reading unmapped words: %w", err)
	}
	words := map[string]*UnmappedWord{}
	add := func(raw string, at time.Time) {
		key := strings.ToLower(strings.TrimSpace(raw))
		if key == "" {
			return
		}
		w, ok := words[key]
		if !ok {
			// Rows come newest first: the first spelling seen is the latest.
			w = &UnmappedWord{RawStatus: raw, LastSeenAt: at.UTC()}
			words[key] = w
		}
		w.Count++
	}
	for _, r := range rows {
		if r.Items == nil {
			if r.RawStatus != nil {
				add(*r.RawStatus, r.ReceivedAt)
			}
			continue
		}
		var items []ItemOutcome
		if err := json.Unmarshal([]byte(*r.Items), &items); err != nil {
			return nil, fmt.Errorf("delivery %s: stored items: %w", r.ID, err)
		}
		for _, it := range items {
			if it.Error != nil && it.Error.Code == apierr.CodeStatusUnmapped && it.RawStatus != nil {
				add(*it.RawStatus, r.ReceivedAt)
			}
		}
	}
	out := make([]UnmappedWord, 0, len(words))
	for _, w := range words {
		out = append(out, *w)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		if !a.LastSeenAt.Equal(b.LastSeenAt) {
			return a.LastSeenAt.After(b.LastSeenAt)
		}
		return a.RawStatus < b.RawStatus
	})
	return out, nil
}
