package services

import (
	"context"
	"fmt"
)

// WithSLATarget returns every service, of every organization, that has an SLA target:
// the ones whose error budget a sweep watches while nothing changes.
func (s *Store) WithSLATarget(ctx context.Context) ([]Service, error) {
	var rows []serviceRow
	if err := s.db.Conn(ctx).Where("sla_target IS NOT NULL").Order("id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("listing services with an SLA target: %w", err)
	}
	out := make([]Service, len(rows))
	for i, r := range rows {
		out[i] = r.toService()
	}
	return out, nil
}
