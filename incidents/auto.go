package incidents

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/statusgate/statusgate/apierr"
	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/mapping"
	"github.com/statusgate/statusgate/services"
)

// Pending actions.
const (
	actionOpen    = "open"
	actionResolve = "resolve"
)

// pendingRow is an automatic incident waiting out its delay: for actionOpen, the
// service has been bad since Since; for actionResolve, the open incident's service has
// been operational since Since. At most one per service.
type pendingRow struct {
	ServiceID        uuid.UUID `gorm:"primaryKey"`
	OrgID            uuid.UUID
	Action           string
	IncidentID       *uuid.UUID
	Since            time.Time
	DueAt            time.Time
	Status           string // the service's latest status
	PeakStatus       string // the worst status since Since
	Severity         string // the receiver's configured severity, "" for the default
	OpenAfterSeconds int
	Message          string // the latest change's message
}

func (pendingRow) TableName() string { return "incident_pending" }

// bad reports whether a status opens an incident. Maintenance is planned, so it never
// does.
func bad(st mapping.Status) bool { return st == mapping.Degraded || st == mapping.Down }

// severityFor is the severity an automatic incident gets for a status: the receiver's
// configured one when it names one, else the default for the status.
func severityFor(st mapping.Status, configured string) string {
	if ValidSeverity(configured) {
		return configured
	}
	return DefaultSeverity(st)
}

func autoTitle(name string, st mapping.Status) string { return fmt.Sprintf("%s is %s", name, st) }

func orSentence(msg, sentence string) string {
	if m := strings.TrimSpace(msg); m != "" {
		return m
	}
	return sentence
}

// HandleChange is the services.ChangeFunc that drives automatic incidents. It runs in
// the transaction of the status change (Transition holds the service's row lock), so
// whatever it writes commits or rolls back with the change.
//
//   - With an open automatic incident for the service, every change adds a timeline
//     entry, whatever its source: a worse bad status escalates it (kind escalated,
//     severity raised, never lowered), operational resolves it (after the delay it
//     was opened with), anything else is a status_change.
//   - Without one, a bad status (degraded, down) opens one when the change carries an
//     enabled policy: at once, or once the service has stayed bad for
//     OpenAfterSeconds. Maintenance and operational open none and cancel a wait.
//
// It reads only what the service's marks (services.Service.IncidentWatch and
// WaitWatch) say may exist: an open automatic incident, a wait. A mark goes on in
// the transaction that opens the incident or starts the wait, and both go off only
// when a change without a policy finds neither, always under the service's lock. So
// a change of a receiver with a policy and no delay never reads incident_pending,
// and one without a policy reads nothing once nothing is left to follow.
func (s *Store) HandleChange(ctx context.Context, ch services.Change) error {
	svc := ch.Service
	if !ch.Incidents.Enabled && !svc.IncidentWatch && !svc.WaitWatch {
		return nil
	}
	ctx = withCause(ctx, cause{source: ch.Source, deliveryID: ch.DeliveryID, service: &ch.Service})
	var open *incidentRow
	var pending *pendingRow
	var err error
	if svc.IncidentWatch {
		if open, err = s.openAuto(ctx, svc.ID); err != nil {
			return err
		}
	}
	if svc.WaitWatch {
		if pending, err = s.pending(ctx, svc.ID); err != nil {
			return err
		}
	}
	switch {
	case open != nil:
		err = s.followChange(ctx, *open, pending, ch)
	case pending == nil && !ch.Incidents.Enabled:
		err = s.services.WatchIncidents(ctx, svc.ID, false, false) // nothing to follow, nothing to open
	default:
		err = s.maybeOpen(ctx, pending, ch)
	}
	if err != nil {
		return fmt.Errorf("automatic incident of service %s: %w", svc.ID, err)
	}
	return nil
}

// watch turns a mark of svc on (incident, wait) before an incident is opened or a
// wait started; svc is the service as this transaction last read or marked it.
func (s *Store) watch(ctx context.Context, svc services.Service, incident, wait bool) error {
	incident, wait = incident || svc.IncidentWatch, wait || svc.WaitWatch
	if incident == svc.IncidentWatch && wait == svc.WaitWatch {
		return nil
	}
	return s.services.WatchIncidents(ctx, svc.ID, incident, wait)
}

// followChange records a change on the service's open automatic incident.
func (s *Store) followChange(ctx context.Context, inc incidentRow, pending *pendingRow, ch services.Change) error {
	name := ch.Service.Name
	if ch.To == mapping.Operational {
		if inc.OpenAfterSeconds <= 0 {
			if err := s.deletePending(ctx, pending); err != nil {
				return err
			}
			return s.resolveAuto(ctx, inc, ch.At, orSentence(ch.Message, fmt.Sprintf("%s is operational again.", name)), ch.At)
		}
		delay := time.Duration(inc.OpenAfterSeconds) * time.Second
		p := pendingRow{
			ServiceID: ch.Service.ID, OrgID: ch.Service.OrgID, Action: actionResolve, IncidentID: &inc.ID,
			Since: ch.At, DueAt: ch.At.Add(delay), Status: string(ch.To), PeakStatus: string(ch.To),
			OpenAfterSeconds: inc.OpenAfterSeconds, Message: ch.Message,
		}
		if err := s.watch(ctx, ch.Service, false, true); err != nil {
			return err
		}
		if err := s.putPending(ctx, pending, p); err != nil {
			return err
		}
		msg := orSentence(ch.Message, fmt.Sprintf("%s is operational; the incident resolves if it stays so for %s.", name, delay))
		if err := s.touch(ctx, inc.ID, map[string]any{}, ch.At); err != nil {
			return err
		}
		return s.addUpdate(ctx, inc.ID, KindStatusChange, inc.Status, &ch.To, msg, ch.At)
	}
	// Any other status means the service is not (or no longer) back: a waiting
	// resolution is off.
	if err := s.deletePending(ctx, pending); err != nil {
		return err
	}
	kind, changes := KindStatusChange, map[string]any{}
	if bad(ch.To) && ch.To.Severity() > ch.From.Severity() {
		kind = KindEscalated
		configured := ""
		if ch.Incidents.Enabled {
			configured = ch.Incidents.Severity
		}
		if sev := worseSeverity(inc.Severity, severityFor(ch.To, configured)); sev != inc.Severity {
			changes["severity"] = sev
		}
		impact := mapping.Status("")
		if inc.Impact != nil {
			impact = mapping.Status(*inc.Impact)
		}
		if ch.To.Severity() > impact.Severity() {
			changes["impact"] = string(ch.To)
			// Keep a title we wrote in step with the impact; an operator's title stays.
			if inc.Title == autoTitle(ch.Service.Name, impact) {
				changes["title"] = autoTitle(ch.Service.Name, ch.To)
			}
		}
	}
	if err := s.touch(ctx, inc.ID, changes, ch.At); err != nil {
		return err
	}
	msg := orSentence(ch.Message, fmt.Sprintf("%s changed from %s to %s.", name, ch.From, ch.To))
	return s.addUpdate(ctx, inc.ID, kind, inc.Status, &ch.To, msg, ch.At)
}

// maybeOpen handles a change of a service that has no open automatic incident.
func (s *Store) maybeOpen(ctx context.Context, pending *pendingRow, ch services.Change) error {
	if pending != nil && pending.Action == actionResolve {
		// Its incident was resolved by hand; nothing is left to resolve.
		if err := s.deletePending(ctx, pending); err != nil {
			return err
		}
		pending = nil
	}
	if !bad(ch.To) {
		// The service is no longer bad before the delay ran out: the flap pages no one.
		return s.deletePending(ctx, pending)
	}
	if pending != nil {
		// Still bad, still waiting: the wait counts from the first bad moment.
		p := *pending
		p.Status = string(ch.To)
		if ch.To.Severity() > mapping.Status(p.PeakStatus).Severity() {
			p.PeakStatus = string(ch.To)
		}
		if strings.TrimSpace(ch.Message) != "" {
			p.Message = ch.Message
		}
		return s.putPending(ctx, pending, p)
	}
	if !ch.Incidents.Enabled {
		return nil
	}
	if ch.Incidents.OpenAfterSeconds <= 0 {
		if err := s.watch(ctx, ch.Service, true, false); err != nil {
			return err
		}
		_, err := s.openAutoIncident(ctx, ch.Service.OrgID, ch.Service.ID, ch.Service.Name, ch.To, ch.To,
			ch.Incidents.Severity, 0, ch.At, ch.Message, ch.At)
		return err
	}
	if err := s.watch(ctx, ch.Service, false, true); err != nil {
		return err
	}
	delay := time.Duration(ch.Incidents.OpenAfterSeconds) * time.Second
	return s.putPending(ctx, nil, pendingRow{
		ServiceID: ch.Service.ID, OrgID: ch.Service.OrgID, Action: actionOpen, Since: ch.At, DueAt: ch.At.Add(delay),
		Status: string(ch.To), PeakStatus: string(ch.To), Severity: ch.Incidents.Severity,
		OpenAfterSeconds: ch.Incidents.OpenAfterSeconds, Message: ch.Message,
	})
}

// openAutoIncident writes an automatic incident that started at since, with its
// "opened" entry. The unique index on open automatic incidents makes a second one for
// the same service fail rather than exist.
func (s *Store) openAutoIncident(ctx context.Context, orgID, serviceID uuid.UUID, name string, status, peak mapping.Status,
	configured string, openAfter int, since time.Time, message string, now time.Time) (incidentRow, error) {
	impact := string(peak)
	row := incidentRow{
		ID: uuid.Must(uuid.NewV7()), OrgID: orgID, ServiceID: &serviceID, Title: autoTitle(name, peak),
		Status: StatusInvestigating, Severity: severityFor(peak, configured), Automatic: true, Impact: &impact,
		OpenAfterSeconds: openAfter, StartedAt: since, CreatedAt: now, UpdatedAt: now,
	}
	err := s.db.Insert(ctx, &row)
	if errors.Is(err, database.ErrDuplicate) {
		return row, fmt.Errorf("opening incident: %w", errAutoAlreadyOpen)
	}
	if err != nil {
		return row, fmt.Errorf("opening incident: %w", err)
	}
	msg := orSentence(message, fmt.Sprintf("%s is %s.", name, status))
	return row, s.addUpdateOf(ctx, row, KindOpened, &status, msg, since)
}

// resolveAuto resolves an automatic incident as of at: the moment its service became
// operational.
func (s *Store) resolveAuto(ctx context.Context, inc incidentRow, at time.Time, message string, now time.Time) error {
	duration := durationSeconds(inc.StartedAt, at)
	if err := s.touch(ctx, inc.ID, map[string]any{
		"status": StatusResolved, "resolved_at": at, "duration_seconds": duration,
	}, now); err != nil {
		return err
	}
	inc.Status, inc.ResolvedAt, inc.DurationSeconds, inc.UpdatedAt = StatusResolved, &at, &duration, now
	operational := mapping.Operational
	return s.addUpdateOf(ctx, inc, KindResolved, &operational, message, at)
}

// touch writes changes to an incident and moves its updated_at, by hand rather than
// with gorm's Updates: every change of a watched service runs it on the writer.
func (s *Store) touch(ctx context.Context, id uuid.UUID, changes map[string]any, now time.Time) error {
	changes["updated_at"] = now
	if _, err := s.db.Update(ctx, "incidents", changes, "id = ?", id); err != nil {
		return fmt.Errorf("updating incident: %w", err)
	}
	return nil
}

// openAutoSQL reads a service's open automatic incident through
// incidents_one_open_auto, locking it on PostgreSQL. automatic is written out, not
// bound: a store can use a partial index only where it can prove the index's
// predicate from the query's text, and PostgreSQL's generic plan for automatic = ?
// read every open incident of every organization instead. It is written by hand,
// not with gorm, because every change of a watched service runs it on the writer.
var openAutoSQL = map[database.Dialect]string{
	database.SQLite: "SELECT " + database.Columns(incidentRow{}, "") +
		" FROM incidents WHERE service_id = ? AND automatic = 1 AND resolved_at IS NULL LIMIT 1",
	database.Postgres: "SELECT " + database.Columns(incidentRow{}, "") +
		" FROM incidents WHERE service_id = ? AND automatic AND resolved_at IS NULL LIMIT 1 FOR " + database.LockStrength,
}

// openAuto returns the service's open automatic incident, locked, or nil.
func (s *Store) openAuto(ctx context.Context, serviceID uuid.UUID) (*incidentRow, error) {
	var row incidentRow
	err := s.db.QueryRow(ctx, openAutoSQL[s.db.Dialect()], serviceID).Scan(database.ScanInto(&row)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading open automatic incident: %w", err)
	}
	return &row, nil
}

// pending returns the service's pending row, or nil.
func (s *Store) pending(ctx context.Context, serviceID uuid.UUID) (*pendingRow, error) {
	var rows []pendingRow
	if err := s.db.ForUpdate(s.db.Conn(ctx)).Where("service_id = ?", serviceID).Limit(1).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("reading pending incident: %w", err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return &rows[0], nil
}

// putPending replaces the service's pending row (old, when there is one) with p.
func (s *Store) putPending(ctx context.Context, old *pendingRow, p pendingRow) error {
	if err := s.deletePending(ctx, old); err != nil {
		return err
	}
	if err := s.db.Conn(ctx).Create(&p).Error; err != nil {
		return fmt.Errorf("writing pending incident: %w", err)
	}
	return nil
}

func (s *Store) deletePending(ctx context.Context, p *pendingRow) error {
	if p == nil {
		return nil
	}
	if err := s.db.Conn(ctx).Where("service_id = ?", p.ServiceID).Delete(&pendingRow{}).Error; err != nil {
		return fmt.Errorf("deleting pending incident: %w", err)
	}
	return nil
}

// deletePendingFor drops a waiting resolution of an incident an operator resolved.
func (s *Store) deletePendingFor(ctx context.Context, incidentID uuid.UUID) error {
	if err := s.db.Conn(ctx).Where("incident_id = ?", incidentID).Delete(&pendingRow{}).Error; err != nil {
		return fmt.Errorf("deleting pending resolution: %w", err)
	}
	return nil
}

// sweepBatch bounds one query of due rows; Sweep loops until none are left.
const sweepBatch = 100

// Sweep opens and resolves the automatic incidents whose delay has run out by the
// store's clock, each service in its own transaction. Any number of instances may
// sweep at once: each takes the service's row lock (the lock Transition takes) and
// re-reads the pending row under it, so only one of them acts on it, and the unique
// index on open automatic incidents backs that up.
func (s *Store) Sweep(ctx context.Context) (opened, resolved int, err error) {
	now := s.Now()
	for {
		var due []pendingRow
		if err := s.db.Conn(ctx).Select("service_id, org_id").Where("due_at <= ?", now).
			Order("due_at, service_id").Limit(sweepBatch).Find(&due).Error; err != nil {
			return opened, resolved, fmt.Errorf("reading due incidents: %w", err)
		}
		for _, p := range due {
			action, err := s.sweepOne(ctx, p.OrgID, p.ServiceID, now)
			if err != nil {
				return opened, resolved, err
			}
			switch action {
			case actionOpen:
				opened++
			case actionResolve:
				resolved++
			}
		}
		if len(due) < sweepBatch {
			return opened, resolved, nil
		}
	}
}

// sweepOne acts on one service's due pending row and reports what it did ("" when
// another instance got there first or there was nothing left to do).
func (s *Store) sweepOne(ctx context.Context, orgID, serviceID uuid.UUID, now time.Time) (string, error) {
	done := ""
	ctx = withCause(ctx, cause{source: "sweeper"})
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		svc, err := s.services.Lock(ctx, orgID, serviceID)
		if apierr.CodeOf(err) == apierr.CodeNotFound {
			return nil // deleted; its pending row went with it
		}
		if err != nil {
			return err
		}
		p, err := s.pending(ctx, serviceID)
		if err != nil || p == nil || p.DueAt.After(now) {
			return err
		}
		if err := s.deletePending(ctx, p); err != nil {
			return err
		}
		open, err := s.openAuto(ctx, serviceID)
		if err != nil {
			return err
		}
		status := svc.Status
		switch p.Action {
		case actionOpen:
			if open != nil || !bad(status) {
				return nil
			}
			if err := s.watch(ctx, svc, true, false); err != nil {
				return err
			}
			if _, err := s.openAutoIncident(ctx, p.OrgID, serviceID, svc.Name, status, mapping.Status(p.PeakStatus),
				p.Severity, p.OpenAfterSeconds, p.Since, p.Message, now); err != nil {
				return err
			}
		case actionResolve:
			if open == nil || status != mapping.Operational {
				return nil
			}
			delay := time.Duration(p.OpenAfterSeconds) * time.Second
			if err := s.resolveAuto(ctx, *open, p.Since, fmt.Sprintf("%s stayed operational for %s.", svc.Name, delay), now); err != nil {
				return err
			}
		default:
			return nil
		}
		done = p.Action
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("sweeping incidents of service %s: %w", serviceID, err)
	}
	return done, nil
}
