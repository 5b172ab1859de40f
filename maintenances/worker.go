package maintenances

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
)

// sweepBatch bounds one query of due windows; Sweep loops until none are left.
const sweepBatch = 100

// Sweep starts and ends the windows whose time has come by the store's clock, each
// in its own transaction. Any number of instances may sweep at once: each start and
// end is claimed by a conditional UPDATE, so only one of them acts on it.
func (s *Store) Sweep(ctx context.Context) (started, ended int, err error) {
	now := s.Now()
	var after uuid.UUID
	for {
		var due []maintenanceRow
		if err := s.db.Conn(ctx).Select("id").
			Where("(status = ? AND starts_at <= ?) OR (status = ? AND ends_at <= ?)", StatusScheduled, now, StatusInProgress, now).
			Where("id > ?", after).Order("id").Limit(sweepBatch).Find(&due).Error; err != nil {
			return started, ended, fmt.Errorf("reading due maintenances: %w", err)
		}
		for _, m := range due {
			st, en, err := s.settle(ctx, m.ID, now)
			if err != nil {
				return started, ended, fmt.Errorf("settling maintenance %s: %w", m.ID, err)
			}
			if st {
				started++
			}
			if en {
				ended++
			}
			after = m.ID
		}
		if len(due) < sweepBatch {
			return started, ended, nil
		}
	}
}

// RunSweeper sweeps at once and then every interval until ctx is cancelled. Errors are
// logged and the next tick tries again: a due window stays due until it is acted on.
func (s *Store) RunSweeper(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = 5 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		started, ended, err := s.Sweep(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			s.logger.Error("maintenance sweep failed", slog.String("err", err.Error()))
		case started+ended > 0:
			s.logger.Info("maintenance sweep", slog.Int("started", started), slog.Int("ended", ended))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
