package receiver

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm/clause"

	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/mapping"
	"github.com/statusgate/statusgate/services"
)

// SourceSilence is the status-history source of a change the silence sweeper made.
const SourceSilence = "silence"

// silenceBatch bounds one query of due receivers; SweepSilence loops until none are left.
const silenceBatch = 100

// heardFrom records, inside a valid delivery's transaction (the receiver row locked),
// that the sender is alive: the silence wait starts again and a silence ends. The
// delivery itself moves the service out of the silence status, as any delivery does.
// Only receivers that expect deliveries pay for this write; a replay is not the sender.
func (s *Store) heardFrom(ctx context.Context, row receiverRow, req request) error {
	if row.ExpectEverySeconds <= 0 || req.replayOf != nil {
		return nil
	}
	err := s.db.Conn(ctx).Model(&receiverRow{}).Where("id = ?", row.ID).Updates(map[string]any{
		"last_valid_delivery_at": req.receivedAt, "silence_due_at": silenceDue(row, req.receivedAt), "silenced_at": nil,
	}).Error
	if err != nil {
		return fmt.Errorf("recording the sender as heard from: %w", err)
	}
	return nil
}

// SweepSilence puts the service of every receiver whose sender has been silent for
// expect_every_seconds into the receiver's silence_status, by the store's clock, each
// receiver in its own transaction, and reports how many it silenced.
//
// Any number of instances may sweep at once. Each claims a receiver by taking its row
// lock (FOR UPDATE SKIP LOCKED on PostgreSQL: a receiver another instance or a
// delivery holds is left to them) and re-reading under it that the receiver is still
// due and not yet silenced, then sets silenced_at in the same transaction as the
// change, so a receiver is silenced once per silence. Lock order is the deliveries':
// receiver, then service.
func (s *Store) SweepSilence(ctx context.Context) (int, error) {
	now := s.clock()
	silenced := 0
	for {
		var due []receiverRow
		if err := s.db.Conn(ctx).Select("id").Where(dueForSilence, now, true).
			Order("silence_due_at, id").Limit(silenceBatch).Find(&due).Error; err != nil {
			return silenced, fmt.Errorf("reading silent receivers: %w", err)
		}
		claimed := 0
		for _, r := range due {
			ok, err := s.silenceOne(ctx, r.ID, now)
			if err != nil {
				return silenced, err
			}
			if ok {
				silenced++
				claimed++
			}
		}
		// A batch in which another instance took every receiver is left to it.
		if len(due) < silenceBatch || claimed == 0 {
			return silenced, nil
		}
	}
}

// dueForSilence selects receivers whose wait ran out (by the clock given first) and
// that are not yet silenced; only fixed-service receivers have a due time.
const dueForSilence = "silenced_at IS NULL AND silence_due_at <= ? AND enabled = ? AND service_id IS NOT NULL"

// silenceOne silences one receiver's service unless another instance, or a delivery,
// got there first.
func (s *Store) silenceOne(ctx context.Context, id uuid.UUID, now time.Time) (bool, error) {
	done := false
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var row receiverRow
		q := s.db.Conn(ctx).Where("id = ?", id).Where(dueForSilence, now, true)
		if s.db.Dialect() == database.Postgres {
			q = q.Clauses(clause.Locking{Strength: database.LockStrength, Options: "SKIP LOCKED"})
		}
		res := q.Limit(1).Find(&row)
		if res.Error != nil {
			return fmt.Errorf("claiming receiver: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return nil
		}
		if err := s.db.Conn(ctx).Model(&receiverRow{}).Where("id = ?", id).Update("silenced_at", now).Error; err != nil {
			return fmt.Errorf("marking receiver silenced: %w", err)
		}
		// Only the incident policy is needed: building the receiver's active form
		// would decrypt its signature secrets, and one that fails would stop the sweep.
		_, err := s.services.Transition(ctx, services.TransitionInput{
			OrgID: row.OrgID, ServiceID: *row.ServiceID, To: mapping.Status(row.SilenceStatus),
			Message: silenceMessage(row, now), Source: SourceSilence, ReceiverID: &row.ID,
			Incidents: active{row: row}.policy(),
		})
		if err != nil {
			return err
		}
		done = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("silencing receiver %s: %w", id, err)
	}
	return done, nil
}

// silenceMessage is the post's body: who went silent, and since when.
func silenceMessage(row receiverRow, now time.Time) string {
	wait := time.Duration(row.ExpectEverySeconds) * time.Second
	if row.LastValidDeliveryAt == nil {
		return fmt.Sprintf("The sender went silent: receiver %q expects a delivery every %s and has had none since it started waiting.", row.Name, wait)
	}
	return fmt.Sprintf("The sender went silent: receiver %q expects a delivery every %s; the last arrived %s ago, at %s.",
		row.Name, wait, now.Sub(*row.LastValidDeliveryAt).Truncate(time.Second), row.LastValidDeliveryAt.UTC().Format(time.RFC3339))
}
