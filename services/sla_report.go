package services

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// SLA measures a service's availability over [from, to) exactly as
// GET /api/v1/services/{id}/sla does, reading through the transaction ctx carries (a
// ChangeFunc sees the change it is told about).
func (s *Store) SLA(ctx context.Context, orgID, serviceID uuid.UUID, from, to time.Time) (SLAReport, error) {
	svc, err := s.Get(ctx, orgID, serviceID)
	if err != nil {
		return SLAReport{}, err
	}
	ivs, err := s.slaIntervals(ctx, svc, from, to)
	if err != nil {
		return SLAReport{}, err
	}
	return ComputeSLA(ivs, from, to, s.Now(), svc.DegradedCountsAsDown, svc.SLATarget), nil
}
