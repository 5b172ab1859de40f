package receiver

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm/clause"

	"github.com/statusgate/statusgate/database"
)

// correlationMemory is how long a correlation key remembers its service: longer than
// an alert stays open in any tool we know, so a resolve a week later still lands.
const correlationMemory = 30 * 24 * time.Hour

type correlationRow struct {
	ReceiverID     uuid.UUID
	CorrelationKey string
	ServiceID      uuid.UUID
	SeenAt         time.Time
}

func (correlationRow) TableName() string { return "receiver_correlations" }

// correlate remembers that key named the service (PagerDuty's trigger names it, its
// resolve carries only the dedup_key), and forgets keys older than correlationMemory.
// The caller holds the receiver's row lock.
func (s *Store) correlate(ctx context.Context, receiverID uuid.UUID, key string, serviceID uuid.UUID, at time.Time) error {
	conn := s.db.Conn(ctx)
	if err := conn.Where("receiver_id = ? AND seen_at < ?", receiverID, at.Add(-correlationMemory)).Delete(&correlationRow{}).Error; err != nil {
		return fmt.Errorf("forgetting old correlation keys: %w", err)
	}
	err := conn.Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "receiver_id"}, {Name: "correlation_key"}},
		DoUpdates: clause.AssignmentColumns([]string{"service_id", "seen_at"}),
	}).Create(&correlationRow{ReceiverID: receiverID, CorrelationKey: key, ServiceID: serviceID, SeenAt: at}).Error
	if err != nil {
		return fmt.Errorf("remembering correlation key: %w", err)
	}
	return nil
}

// correlated returns the service an earlier update with the key named.
func (s *Store) correlated(ctx context.Context, receiverID uuid.UUID, key string) (uuid.UUID, bool, error) {
	var row correlationRow
	err := s.db.Conn(ctx).Where("receiver_id = ? AND correlation_key = ?", receiverID, key).Take(&row).Error
	if errors.Is(err, database.ErrNotFound) {
		return uuid.Nil, false, nil
	}
	if err != nil {
		return uuid.Nil, false, fmt.Errorf("looking up correlation key: %w", err)
	}
	return row.ServiceID, true, nil
}
