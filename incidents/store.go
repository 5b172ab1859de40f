package incidents

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/statusgate/statusgate/apierr"
	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/mapping"
	"github.com/statusgate/statusgate/rest"
	"github.com/statusgate/statusgate/services"
)

type incidentRow struct {
	ID               uuid.UUID
	OrgID            uuid.UUID
	ServiceID        *uuid.UUID
	Title            string
	Status           string
	Severity         string
	Automatic        bool
	Impact           *string
	OpenAfterSeconds int
	StartedAt        time.Time
	ResolvedAt       *time.Time
	DurationSeconds  *int64
	AcknowledgedAt   *time.Time
	CreatedAt        time.Time
	UpdatedAt        time.Time `gorm:"autoUpdateTime:false"` // set from the injected clock, never by gorm
}

func (incidentRow) TableName() string { return "incidents" }

type updateRow struct {
	ID            uuid.UUID
	IncidentID    uuid.UUID
	Kind          string
	Status        string
	ServiceStatus *string
	Message       string
	PostedAt      time.Time
}

func (updateRow) TableName() string { return "incident_updates" }

func (r updateRow) toUpdate() Update {
	u := Update{ID: r.ID, Status: r.Status, Message: r.Message, At: r.PostedAt.UTC(), Kind: r.Kind}
	if r.ServiceStatus != nil {
		st := mapping.Status(*r.ServiceStatus)
		u.ServiceStatus = &st
	}
	return u
}

// Store keeps incidents and their timelines. What it needs of a service (that it
// exists, its name and status, its row lock) it asks services for; it never reads the
// services table itself.
type Store struct {
	db       *database.DB
	services *services.Store
	now      func() time.Time
	onEvent  EventFunc
}

// Options configure a Store.
type Options struct {
	// NowFunc is the clock; time.Now when nil. Tests move it to make delays pass.
	NowFunc func() time.Time
	// OnEvent, when set, runs inside the transaction of every change of an incident
	// (opened, updated, acknowledged, resolved; automatic, swept or manual), so the
	// notify outbox commits with it.
	OnEvent EventFunc
}

// NewStore returns a Store that asks svcs about services. Wire its HandleChange into
// svcs (services.Store.AddChangeFunc) so every status change reaches it.
func NewStore(db *database.DB, svcs *services.Store, opts Options) *Store {
	now := opts.NowFunc
	if now == nil {
		now = time.Now
	}
	return &Store{db: db, services: svcs, now: now, onEvent: opts.OnEvent}
}

// Now returns the store's clock reading, in UTC at the stores' microsecond precision.
func (s *Store) Now() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

var (
	errIncidentNotFound = apierr.NotFound("incident")
	errAutoAlreadyOpen  = apierr.New(apierr.CodeConflict, "another automatic incident is already open for this service; update that one instead")
)

// Create writes an operator's incident and its first timeline entry.
func (s *Store) Create(ctx context.Context, orgID uuid.UUID, in CreateInput) (Incident, error) {
	if err := in.Validate(); err != nil {
		return Incident{}, err
	}
	now := s.Now()
	row := incidentRow{
		ID: uuid.Must(uuid.NewV7()), OrgID: orgID, ServiceID: in.ServiceID, Title: in.Title,
		Status: in.Status, Severity: in.Severity, StartedAt: now, CreatedAt: now, UpdatedAt: now,
	}
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		if in.ServiceID != nil {
			if _, err := s.services.Get(ctx, orgID, *in.ServiceID); err != nil {
				if apierr.CodeOf(err) == apierr.CodeNotFound {
					return apierr.Invalid("service_id", "service_id %s names no service of this organization", in.ServiceID)
				}
				return err
			}
		}
		if err := s.db.Conn(ctx).Create(&row).Error; err != nil {
			return fmt.Errorf("writing incident: %w", err)
		}
		return s.addUpdate(ctx, row.ID, KindOpened, row.Status, nil, in.Message, now)
	})
	if err != nil {
		return Incident{}, err
	}
	return s.Get(ctx, orgID, row.ID)
}

// Get returns one incident of the organization with its timeline.
func (s *Store) Get(ctx context.Context, orgID, id uuid.UUID) (Incident, error) {
	list, err := s.load(ctx, s.db.Conn(ctx).Where("org_id = ? AND id = ?", orgID, id))
	if err != nil {
		return Incident{}, err
	}
	if len(list) == 0 {
		return Incident{}, errIncidentNotFound
	}
	return list[0], nil
}

// List returns a page of the organization's incidents, newest first (by the time they
// started): up to page.Limit+1 of them, the extra one telling rest.ListAnswer that a
// next page exists.
func (s *Store) List(ctx context.Context, orgID uuid.UUID, f ListFilter, page rest.Page) ([]Incident, error) {
	q := s.db.Conn(ctx).Where("org_id = ?", orgID)
	switch f.State {
	case "open":
		q = q.Where("resolved_at IS NULL")
	case "resolved":
		q = q.Where("resolved_at IS NOT NULL")
	case "", "all":
	default:
		return nil, apierr.Invalid("state", "state %q must be open, resolved or all", f.State)
	}
	if page.Cursor != uuid.Nil {
		var cur incidentRow
		err := s.db.Conn(ctx).Select("started_at, id").Where("id = ? AND org_id = ?", page.Cursor, orgID).Take(&cur).Error
		if errors.Is(err, database.ErrNotFound) {
			return nil, apierr.Invalid("cursor", "cursor is not one this API handed out")
		}
		if err != nil {
			return nil, fmt.Errorf("reading cursor: %w", err)
		}
		q = q.Where("(started_at < ? OR (started_at = ? AND id < ?))", cur.StartedAt, cur.StartedAt, cur.ID)
	}
	return s.load(ctx, q.Limit(page.Limit+1))
}

// ListOpen returns every open incident of the organization with its timeline, newest
// first.
func (s *Store) ListOpen(ctx context.Context, orgID uuid.UUID) ([]Incident, error) {
	return s.load(ctx, s.db.Conn(ctx).Where("org_id = ? AND resolved_at IS NULL", orgID))
}

// ListRecent returns the organization's open incidents and those resolved at or after
// since, with their timelines, newest first.
func (s *Store) ListRecent(ctx context.Context, orgID uuid.UUID, since time.Time) ([]Incident, error) {
	return s.load(ctx, s.db.Conn(ctx).Where("org_id = ? AND (resolved_at IS NULL OR resolved_at >= ?)", orgID, since.UTC()))
}

// load runs q over incidents, newest first, and fills in service names and timelines.
func (s *Store) load(ctx context.Context, q *gorm.DB) ([]Incident, error) {
	var rows []incidentRow
	if err := q.Order("started_at DESC, id DESC").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("listing incidents: %w", err)
	}
	if len(rows) == 0 {
		return []Incident{}, nil
	}
	ids := make([]uuid.UUID, len(rows))
	var serviceIDs []uuid.UUID
	for i, r := range rows {
		ids[i] = r.ID
		if r.ServiceID != nil {
			serviceIDs = append(serviceIDs, *r.ServiceID)
		}
	}
	names, err := s.services.Names(ctx, serviceIDs)
	if err != nil {
		return nil, fmt.Errorf("reading incident services: %w", err)
	}
	var ups []updateRow
	if err := s.db.Conn(ctx).Where("incident_id IN ?", ids).Order("posted_at, id").Find(&ups).Error; err != nil {
		return nil, fmt.Errorf("reading incident timelines: %w", err)
	}
	byIncident := map[uuid.UUID][]Update{}
	for _, u := range ups {
		byIncident[u.IncidentID] = append(byIncident[u.IncidentID], u.toUpdate())
	}
	out := make([]Incident, len(rows))
	for i, r := range rows {
		inc := Incident{
			ID: r.ID, Title: r.Title, Status: r.Status, Severity: r.Severity, Automatic: r.Automatic,
			StartedAt: r.StartedAt.UTC(), ResolvedAt: utcPtr(r.ResolvedAt), DurationSeconds: r.DurationSeconds,
			AcknowledgedAt: utcPtr(r.AcknowledgedAt), Updates: byIncident[r.ID],
			CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
		}
		if inc.Updates == nil {
			inc.Updates = []Update{}
		}
		if r.ServiceID != nil {
			inc.Service = &services.Ref{ID: *r.ServiceID, Name: names[*r.ServiceID]}
		}
		if r.Impact != nil {
			st := mapping.Status(*r.Impact)
			inc.Impact = &st
		}
		out[i] = inc
	}
	return out, nil
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// Update changes an incident. A status change, a message or both add one timeline
// entry; resolving sets resolved_at and duration_seconds; moving a resolved incident
// back to an open status re-opens it and clears both.
func (s *Store) Update(ctx context.Context, orgID, id uuid.UUID, in UpdateInput) (Incident, error) {
	if err := in.Validate(); err != nil {
		return Incident{}, err
	}
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		row, err := s.lockIncident(ctx, orgID, id)
		if err != nil {
			return err
		}
		now := s.Now()
		changes := map[string]any{}
		if in.Title != nil && *in.Title != row.Title {
			changes["title"] = *in.Title
		}
		if in.Severity != nil && *in.Severity != row.Severity {
			changes["severity"] = *in.Severity
		}
		kind := ""
		if in.Message != nil && *in.Message != "" {
			kind = KindUpdate
		}
		status := row.Status
		if in.Status != nil && *in.Status != row.Status {
			status = *in.Status
			changes["status"] = status
			kind = KindStatusChange
			switch {
			case status == StatusResolved:
				kind = KindResolved
				changes["resolved_at"], changes["duration_seconds"] = now, durationSeconds(row.StartedAt, now)
				if err := s.deletePendingFor(ctx, row.ID); err != nil {
					return err
				}
			case row.Status == StatusResolved:
				changes["resolved_at"], changes["duration_seconds"] = nil, nil
			}
		}
		if len(changes) == 0 && kind == "" {
			return nil
		}
		changes["updated_at"] = now
		err = s.db.Conn(ctx).Model(&incidentRow{}).Where("id = ?", row.ID).Updates(changes).Error
		if errors.Is(err, database.ErrDuplicate) {
			return errAutoAlreadyOpen
		}
		if err != nil {
			return fmt.Errorf("updating incident: %w", err)
		}
		if kind == "" {
			// A title or severity change without a message leaves no timeline entry,
			// but it is still news to whoever follows the incident.
			return s.emit(ctx, row.ID, KindUpdate, nil, "", now)
		}
		msg := ""
		if in.Message != nil {
			msg = *in.Message
		}
		return s.addUpdate(ctx, row.ID, kind, status, nil, msg, now)
	})
	if err != nil {
		return Incident{}, err
	}
	return s.Get(ctx, orgID, id)
}

// Acknowledge marks an incident as seen by someone. It is idempotent: a second call
// keeps the first time and adds no second timeline entry.
func (s *Store) Acknowledge(ctx context.Context, orgID, id uuid.UUID) (Incident, error) {
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		row, err := s.lockIncident(ctx, orgID, id)
		if err != nil {
			return err
		}
		if row.AcknowledgedAt != nil {
			return nil
		}
		now := s.Now()
		if err := s.db.Conn(ctx).Model(&incidentRow{}).Where("id = ?", row.ID).
			Updates(map[string]any{"acknowledged_at": now, "updated_at": now}).Error; err != nil {
			return fmt.Errorf("acknowledging incident: %w", err)
		}
		return s.addUpdate(ctx, row.ID, KindAcknowledged, row.Status, nil, "The incident was acknowledged.", now)
	})
	if err != nil {
		return Incident{}, err
	}
	return s.Get(ctx, orgID, id)
}

// lockIncident reads and locks an incident for a change. An automatic incident's
// service row is locked first, in the order Transition takes them, so an operator's
// change and a status change of the same service wait for each other instead of
// deadlocking or opening a second automatic incident.
func (s *Store) lockIncident(ctx context.Context, orgID, id uuid.UUID) (incidentRow, error) {
	var row incidentRow
	err := s.db.Conn(ctx).Select("id, automatic, service_id").Where("id = ? AND org_id = ?", id, orgID).Take(&row).Error
	if errors.Is(err, database.ErrNotFound) {
		return row, errIncidentNotFound
	}
	if err != nil {
		return row, fmt.Errorf("reading incident: %w", err)
	}
	if row.Automatic && row.ServiceID != nil {
		if _, err := s.services.Lock(ctx, orgID, *row.ServiceID); err != nil && apierr.CodeOf(err) != apierr.CodeNotFound {
			return row, err
		}
	}
	err = s.db.ForUpdate(s.db.Conn(ctx)).Where("id = ? AND org_id = ?", id, orgID).Take(&row).Error
	if errors.Is(err, database.ErrNotFound) {
		return row, errIncidentNotFound
	}
	if err != nil {
		return row, fmt.Errorf("locking incident: %w", err)
	}
	return row, nil
}

func (s *Store) addUpdate(ctx context.Context, incidentID uuid.UUID, kind, status string, serviceStatus *mapping.Status, message string, at time.Time) error {
	if err := s.writeUpdate(ctx, incidentID, kind, status, serviceStatus, message, at); err != nil {
		return err
	}
	return s.emit(ctx, incidentID, kind, serviceStatus, message, at)
}

// addUpdateOf is addUpdate for a caller that holds the incident as it now is.
func (s *Store) addUpdateOf(ctx context.Context, inc incidentRow, kind string, serviceStatus *mapping.Status, message string, at time.Time) error {
	if err := s.writeUpdate(ctx, inc.ID, kind, inc.Status, serviceStatus, message, at); err != nil {
		return err
	}
	return s.emitRow(ctx, inc, kind, serviceStatus, message, at)
}

func (s *Store) writeUpdate(ctx context.Context, incidentID uuid.UUID, kind, status string, serviceStatus *mapping.Status, message string, at time.Time) error {
	row := updateRow{ID: uuid.Must(uuid.NewV7()), IncidentID: incidentID, Kind: kind, Status: status, Message: message, PostedAt: at}
	if serviceStatus != nil {
		st := string(*serviceStatus)
		row.ServiceStatus = &st
	}
	if err := s.db.InsertLater(ctx, &row); err != nil {
		return fmt.Errorf("writing incident timeline entry: %w", err)
	}
	return nil
}

func durationSeconds(from, to time.Time) int64 {
	d := int64(to.Sub(from) / time.Second)
	if d < 0 {
		return 0
	}
	return d
}
