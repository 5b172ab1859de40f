package maintenances

import (
	"context"
	"fmt"

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
