package services

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/statusgate/statusgate/apierr"
	"github.com/statusgate/statusgate/mapping"
)

// Interval is one stretch of time a service spent in one status: a row of its status
// history. Transition closes the current interval and opens the next at the same
// instant, so a service's intervals tile the time since its creation.
type Interval struct {
	Status    mapping.Status `json:"status"`
	StartedAt time.Time      `json:"started_at"`
	// EndedAt is nil for the current interval, which lasts until now.
	EndedAt *time.Time `json:"ended_at"`
	// Source says what caused the change: "created", "manual" or "webhook".
	Source  string `json:"source"`
	Message string `json:"message"`
}

func (r historyRow) toInterval() Interval {
	iv := Interval{
		Status: mapping.Status(r.Status), StartedAt: r.StartedAt.UTC(),
		Source: r.Source, Message: r.Message,
	}
	if r.EndedAt != nil {
		end := r.EndedAt.UTC()
		iv.EndedAt = &end
	}
	return iv
}

// History returns the service's intervals that overlap [from, to) (started before to,
// and ended after from or still current), oldest first. They are not clipped to the
// window: the first may start before from and the last may end after to. A service of
// another organization is not found.
func (s *Store) History(ctx context.Context, orgID, serviceID uuid.UUID, from, to time.Time) ([]Interval, error) {
	if _, err := s.Get(ctx, orgID, serviceID); err != nil {
		return nil, err
	}
	return s.intervals(ctx, serviceID, from, to, false, 0)
}

// intervals loads the service's intervals that started before to and end after from
// (or at from too, when endingAtFrom is set, so an SLA computation can tell whether an
// episode began before the window), oldest first; at most limit when limit > 0.
func (s *Store) intervals(ctx context.Context, serviceID uuid.UUID, from, to time.Time, endingAtFrom bool, limit int) ([]Interval, error) {
	endCond := "(ended_at IS NULL OR ended_at > ?)"
	if endingAtFrom {
		endCond = "(ended_at IS NULL OR ended_at >= ?)"
	}
	q := s.db.Conn(ctx).Where("service_id = ? AND started_at < ?", serviceID, to.UTC()).
		Where(endCond, from.UTC()).
		Order("started_at, id")
	if limit > 0 {
		q = q.Limit(limit)
	}
	var rows []historyRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("reading status history: %w", err)
	}
	out := make([]Interval, len(rows))
	for i, r := range rows {
		out[i] = r.toInterval()
	}
	return out, nil
}

// slaIntervals loads what ComputeSLA needs for the window [from, end) of svc: the
// intervals of the window and, when the last of them closes a bad episode after it,
// the first not-bad interval that follows, so the episode's full length is known.
func (s *Store) slaIntervals(ctx context.Context, svc Service, from, end time.Time) ([]Interval, error) {
	ivs, err := s.intervals(ctx, svc.ID, from, end, true, 0)
	if err != nil {
		return nil, err
	}
	if len(ivs) == 0 {
		return ivs, nil
	}
	last := ivs[len(ivs)-1]
	bad := []string{string(mapping.Down)}
	if svc.DegradedCountsAsDown {
		bad = append(bad, string(mapping.Degraded))
	}
	if last.EndedAt == nil || !slices.Contains(bad, string(last.Status)) {
		return ivs, nil
	}
	var next []historyRow
	err = s.db.Conn(ctx).
		Where("service_id = ? AND started_at >= ? AND status NOT IN ?", svc.ID, last.EndedAt.UTC(), bad).
		Where("(ended_at IS NULL OR ended_at > started_at)").
		Order("started_at, id").Limit(1).Find(&next).Error
	if err != nil {
		return nil, fmt.Errorf("reading the end of a bad episode: %w", err)
	}
	for _, r := range next {
		// The bad intervals between last and this one are left out: ComputeSLA only
		// needs the moment the episode ended, and they lie outside the window.
		ivs = append(ivs, r.toInterval())
	}
	return ivs, nil
}

// Day is one UTC day of a service's availability, for the public status page's bars.
// Its JSON is {"date": "2026-01-15", "worst": "down" or null, "uptime_percent": 99.5 or
// null, "downtime_seconds", "degraded_seconds", "maintenance_seconds",
// "monitored_seconds", "incident_count"}.
type Day struct {
	// Date is the day's UTC midnight.
	Date time.Time
	// Worst is the most severe status (by mapping.Status.Severity) the service held
	// during the day's monitored part, "" when the service did not exist that day.
	Worst mapping.Status
	// UptimePercent follows ComputeSLA; nil when nothing of the day was monitored.
	UptimePercent      *float64
	DowntimeSeconds    float64
	DegradedSeconds    float64
	MaintenanceSeconds float64
	MonitoredSeconds   float64
	// IncidentCount is the number of bad episodes that started that day.
	IncidentCount int
}

type dayJSON struct {
	Date               string          `json:"date"`
	Worst              *mapping.Status `json:"worst"`
	UptimePercent      *float64        `json:"uptime_percent"`
	DowntimeSeconds    float64         `json:"downtime_seconds"`
	DegradedSeconds    float64         `json:"degraded_seconds"`
	MaintenanceSeconds float64         `json:"maintenance_seconds"`
	MonitoredSeconds   float64         `json:"monitored_seconds"`
	IncidentCount      int             `json:"incident_count"`
}

const dateLayout = "2006-01-02"

// MarshalJSON writes the date as "2026-01-15" and an empty Worst as null.
func (d Day) MarshalJSON() ([]byte, error) {
	out := dayJSON{
		Date: d.Date.UTC().Format(dateLayout), UptimePercent: d.UptimePercent,
		DowntimeSeconds: d.DowntimeSeconds, DegradedSeconds: d.DegradedSeconds,
		MaintenanceSeconds: d.MaintenanceSeconds, MonitoredSeconds: d.MonitoredSeconds,
		IncidentCount: d.IncidentCount,
	}
	if d.Worst != "" {
		w := d.Worst
		out.Worst = &w
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (d *Day) UnmarshalJSON(b []byte) error {
	var in dayJSON
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	date, err := time.Parse(dateLayout, in.Date)
	if err != nil {
		return fmt.Errorf("day date: %w", err)
	}
	*d = Day{
		Date: date, UptimePercent: in.UptimePercent, DowntimeSeconds: in.DowntimeSeconds,
		DegradedSeconds: in.DegradedSeconds, MaintenanceSeconds: in.MaintenanceSeconds,
		MonitoredSeconds: in.MonitoredSeconds, IncidentCount: in.IncidentCount,
	}
	if in.Worst != nil {
		d.Worst = *in.Worst
	}
	return nil
}

// MaxDays is the most days DailyUptime answers for.
const MaxDays = 366

// DailyUptime returns exactly days entries, oldest first, the last being today (UTC,
// measured up to now), each computed with ComputeSLA from one history query. A
// service of another organization is not found; days outside 1..MaxDays is a
// validation error naming "days".
func (s *Store) DailyUptime(ctx context.Context, orgID, serviceID uuid.UUID, days int) ([]Day, error) {
	if days < 1 || days > MaxDays {
		return nil, apierr.Invalid("days", "days must be a whole number from 1 to %d", MaxDays)
	}
	svc, err := s.Get(ctx, orgID, serviceID)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	today := now.Truncate(24 * time.Hour) // UTC midnight: Now is in UTC
	first := today.AddDate(0, 0, -(days - 1))
	ivs, err := s.intervals(ctx, svc.ID, first, now, true, 0)
	if err != nil {
		return nil, err
	}
	out := make([]Day, days)
	lo := 0
	for i := range out {
		from := first.AddDate(0, 0, i)
		to := from.AddDate(0, 0, 1)
		// Each day needs only the intervals that reach its start or lie in it: whether
		// an episode began that day shows in the first of them, and a Day has no MTTR.
		for lo < len(ivs) && ivs[lo].EndedAt != nil && ivs[lo].EndedAt.Before(from) {
			lo++
		}
		hi := lo
		for hi < len(ivs) && ivs[hi].StartedAt.Before(to) {
			hi++
		}
		day := ivs[lo:hi]
		rep := ComputeSLA(day, from, to, now, svc.DegradedCountsAsDown, nil)
		d := Day{
			Date: from, Worst: worstStatus(day, from, rep.To, now),
			DowntimeSeconds: rep.DowntimeSeconds, DegradedSeconds: rep.DegradedSeconds,
			MaintenanceSeconds: rep.MaintenanceSeconds, MonitoredSeconds: rep.MonitoredSeconds,
			IncidentCount: rep.IncidentCount,
		}
		if rep.MonitoredSeconds > 0 {
			uptime := rep.UptimePercent
			d.UptimePercent = &uptime
		}
		out[i] = d
	}
	return out, nil
}

// LifetimeSLA measures svc's availability over the whole time it has existed, from its
// creation until now, with ComputeSLA: the public page's "uptime since" figure. svc
// is a service this store returned (its id, creation time and SLA settings are used).
func (s *Store) LifetimeSLA(ctx context.Context, svc Service) (SLAReport, error) {
	now := s.Now()
	ivs, err := s.slaIntervals(ctx, svc, svc.CreatedAt, now)
	if err != nil {
		return SLAReport{}, err
	}
	return ComputeSLA(ivs, svc.CreatedAt, now, now, svc.DegradedCountsAsDown, svc.SLATarget), nil
}
