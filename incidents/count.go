package incidents

import (
	"context"
	"fmt"
)

// CountOpen returns how many incidents are open across every organization, for the
// metrics gauge that a scrape reads.
func (s *Store) CountOpen(ctx context.Context) (int64, error) {
	var n int64
	if err := s.db.Conn(ctx).Model(&incidentRow{}).Where("status <> ?", StatusResolved).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("counting open incidents: %w", err)
	}
	return n, nil
}
