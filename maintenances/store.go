package maintenances

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/statusgate/statusgate/apierr"
	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/rest"
	"github.com/statusgate/statusgate/services"
)

type maintenanceRow struct {
	ID        uuid.UUID
	OrgID     uuid.UUID
	Title     string
	Message   string
	Status    string
	StartsAt  time.Time
	EndsAt    time.Time
	StartedAt *time.Time
	EndedAt   *time.Time
	CreatedAt time.Time
	UpdatedAt time.Time `gorm:"autoUpdateTime:false"` // set from the injected clock, never by gorm
}

func (maintenanceRow) TableName() string { return "maintenances" }

type serviceLinkRow struct {
	MaintenanceID uuid.UUID `gorm:"primaryKey"`
	ServiceID     uuid.UUID `gorm:"primaryKey"`
}

func (serviceLinkRow) TableName() string { return "maintenance_services" }

// toMaintenance is the one conversion of a row, with its services' ids and the names
// of those that still exist.
func (r maintenanceRow) toMaintenance(ids []uuid.UUID, names map[uuid.UUID]string) Maintenance {
	m := Maintenance{
		ID: r.ID, OrgID: r.OrgID, Title: r.Title, Message: r.Message, Status: r.Status,
		ServiceIDs: []uuid.UUID{}, Services: []services.Ref{},
		StartsAt: r.StartsAt.UTC(), EndsAt: r.EndsAt.UTC(), StartedAt: utcPtr(r.StartedAt), EndedAt: utcPtr(r.EndedAt),
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
	for _, id := range ids {
		m.ServiceIDs = append(m.ServiceIDs, id)
		if name, ok := names[id]; ok {
			m.Services = append(m.Services, services.Ref{ID: id, Name: name})
		}
	}
	return m
}

// Store keeps maintenance windows and starts and ends them.
type Store struct {
	db       *database.DB
	services *services.Store
	now      func() time.Time
}

// Options configure a Store.
type Options struct {
	// NowFunc is the clock; time.Now when nil. Tests move it to start and end windows.
	NowFunc func() time.Time
}

// NewStore returns a Store that changes services through svcs.
func NewStore(db *database.DB, svcs *services.Store, opts Options) *Store {
	now := opts.NowFunc
	if now == nil {
		now = time.Now
	}
	return &Store{db: db, services: svcs, now: now}
}

// Now returns the store's clock reading, in UTC at the stores' microsecond precision.
func (s *Store) Now() time.Time { return stored(s.now()) }

var errNotFound = apierr.NotFound("maintenance")

// Create adds a window. One whose start has come starts in the same transaction, so
// its services are in maintenance when the answer says in_progress.
func (s *Store) Create(ctx context.Context, orgID uuid.UUID, in CreateInput) (Maintenance, error) {
	if err := in.Validate(); err != nil {
		return Maintenance{}, err
	}
	now := s.Now()
	if !in.EndsAt.After(now) {
		return Maintenance{}, apierr.Invalid("ends_at", "ends_at must be in the future")
	}
	row := maintenanceRow{
		ID: uuid.Must(uuid.NewV7()), OrgID: orgID, Title: in.Title, Message: in.Message, Status: StatusScheduled,
		StartsAt: in.StartsAt, EndsAt: in.EndsAt, CreatedAt: now, UpdatedAt: now,
	}
	var out Maintenance
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		if err := s.checkServices(ctx, orgID, in.ServiceIDs); err != nil {
			return err
		}
		if err := s.db.Conn(ctx).Create(&row).Error; err != nil {
			return err
		}
		if err := s.link(ctx, row.ID, in.ServiceIDs); err != nil {
			return err
		}
		if _, _, err := s.settle(ctx, row.ID, now); err != nil {
			return err
		}
		var err error
		out, err = s.get(ctx, orgID, row.ID)
		return err
	})
	if err != nil {
		return Maintenance{}, wrap("creating maintenance", err)
	}
	return out, nil
}

// checkServices answers 422 naming service_ids when one of them is not a service of
// the organization.
func (s *Store) checkServices(ctx context.Context, orgID uuid.UUID, ids []uuid.UUID) error {
	for _, id := range ids {
		_, err := s.services.Get(ctx, orgID, id)
		if apierr.CodeOf(err) == apierr.CodeNotFound {
			return apierr.Invalid("service_ids", "service_ids: %s is not a service of this organization", id)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) link(ctx context.Context, id uuid.UUID, serviceIDs []uuid.UUID) error {
	if err := s.db.Conn(ctx).Where("maintenance_id = ?", id).Delete(&serviceLinkRow{}).Error; err != nil {
		return fmt.Errorf("unlinking services: %w", err)
	}
	links := make([]serviceLinkRow, len(serviceIDs))
	for i, sid := range serviceIDs {
		links[i] = serviceLinkRow{MaintenanceID: id, ServiceID: sid}
	}
	if err := s.db.Conn(ctx).Create(&links).Error; err != nil {
		return fmt.Errorf("linking services: %w", err)
	}
	return nil
}

// Get returns one window of the organization.
func (s *Store) Get(ctx context.Context, orgID, id uuid.UUID) (Maintenance, error) {
	m, err := s.get(ctx, orgID, id)
	if err != nil {
		return Maintenance{}, wrap("reading maintenance", err)
	}
	return m, nil
}

func (s *Store) get(ctx context.Context, orgID, id uuid.UUID) (Maintenance, error) {
	var row maintenanceRow
	err := s.db.Conn(ctx).Where("id = ? AND org_id = ?", id, orgID).Take(&row).Error
	if errors.Is(err, database.ErrNotFound) {
		return Maintenance{}, errNotFound
	}
	if err != nil {
		return Maintenance{}, err
	}
	list, err := s.withServices(ctx, []maintenanceRow{row})
	if err != nil {
		return Maintenance{}, err
	}
	return list[0], nil
}

// withServices converts rows, reading their services' ids and names in two queries.
func (s *Store) withServices(ctx context.Context, rows []maintenanceRow) ([]Maintenance, error) {
	ids := make([]uuid.UUID, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	var links []serviceLinkRow
	if len(ids) > 0 {
		if err := s.db.Conn(ctx).Where("maintenance_id IN ?", ids).Order("maintenance_id, service_id").Find(&links).Error; err != nil {
			return nil, fmt.Errorf("reading maintenance services: %w", err)
		}
	}
	byWindow := map[uuid.UUID][]uuid.UUID{}
	var all []uuid.UUID
	for _, l := range links {
		byWindow[l.MaintenanceID] = append(byWindow[l.MaintenanceID], l.ServiceID)
		all = append(all, l.ServiceID)
	}
	names, err := s.services.Names(ctx, all)
	if err != nil {
		return nil, err
	}
	out := make([]Maintenance, len(rows))
	for i, r := range rows {
		out[i] = r.toMaintenance(byWindow[r.ID], names)
	}
	return out, nil
}

// List returns a page of the organization's windows, oldest created first: up to
// page.Limit+1 of them, the extra one telling rest.ListAnswer that a next page exists.
func (s *Store) List(ctx context.Context, orgID uuid.UUID, page rest.Page) ([]Maintenance, error) {
	q := s.db.Conn(ctx).Where("org_id = ?", orgID).Order("id").Limit(page.Limit + 1)
	if page.Cursor != uuid.Nil {
		q = q.Where("id > ?", page.Cursor)
	}
	var rows []maintenanceRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("listing maintenances: %w", err)
	}
	return s.withServices(ctx, rows)
}

// ListRecent returns what a status page shows: the organization's scheduled and
// running windows and those completed since the given time, at most limit, latest
// start first. Cancelled windows are left out.
func (s *Store) ListRecent(ctx context.Context, orgID uuid.UUID, since time.Time, limit int) ([]Maintenance, error) {
	var rows []maintenanceRow
	err := s.db.Conn(ctx).Where("org_id = ?", orgID).
		Where("status IN ? OR (status = ? AND ended_at >= ?)", []string{StatusScheduled, StatusInProgress}, StatusCompleted, since.UTC()).
		Order("starts_at DESC, id DESC").Limit(limit).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("listing recent maintenances: %w", err)
	}
	return s.withServices(ctx, rows)
}

// Update changes a window. A scheduled one may change everything; a running one its
// title, message and ends_at (an ends_at that has passed ends it now) or be ended by
// status; one that is over, nothing.
func (s *Store) Update(ctx context.Context, orgID, id uuid.UUID, in UpdateInput) (Maintenance, error) {
	if err := in.Validate(); err != nil {
		return Maintenance{}, err
	}
	var out Maintenance
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		now := s.Now()
		row, err := s.lockRow(ctx, orgID, id)
		if err != nil {
			return err
		}
		if in.ServiceIDs != nil && row.Status == StatusInProgress {
			// Its services are held; changing them would need holds and releases
			// mid-window, which ending it and scheduling another says more plainly.
			current, err := s.serviceIDs(ctx, row.ID)
			if err != nil {
				return err
			}
			if !slices.Equal(current, *in.ServiceIDs) {
				return apierr.New(apierr.CodeConflict, "service_ids of a running maintenance cannot change; end it and schedule another")
			}
		}
		if err := applyUpdate(&row, in, now); err != nil {
			return err
		}
		if in.ServiceIDs != nil && row.Status == StatusScheduled {
			if err := s.checkServices(ctx, orgID, *in.ServiceIDs); err != nil {
				return err
			}
			if err := s.link(ctx, row.ID, *in.ServiceIDs); err != nil {
				return err
			}
		}
		row.UpdatedAt = now
		if err := s.db.Conn(ctx).Model(&maintenanceRow{}).Where("id = ?", row.ID).Updates(map[string]any{
			"title": row.Title, "message": row.Message, "starts_at": row.StartsAt, "ends_at": row.EndsAt, "updated_at": now,
		}).Error; err != nil {
			return fmt.Errorf("updating maintenance: %w", err)
		}
		if in.Status != nil && *in.Status != row.Status {
			if err := s.end(ctx, row, *in.Status, now); err != nil {
				return err
			}
		}
		if _, _, err := s.settle(ctx, row.ID, now); err != nil {
			return err
		}
		out, err = s.get(ctx, orgID, row.ID)
		return err
	})
	if err != nil {
		return Maintenance{}, wrap("updating maintenance", err)
	}
	return out, nil
}

// applyUpdate checks an update against the window's state and applies its fields to
// the row; a status change is left to the caller.
func applyUpdate(row *maintenanceRow, in UpdateInput, now time.Time) error {
	switch row.Status {
	case StatusCompleted, StatusCancelled:
		return apierr.New(apierr.CodeConflict, "the maintenance is %s; it can no longer change", row.Status)
	case StatusInProgress:
		if in.StartsAt != nil && !in.StartsAt.Equal(row.StartsAt) {
			return apierr.New(apierr.CodeConflict, "starts_at of a running maintenance cannot change")
		}
	}
	if in.Status != nil && *in.Status != row.Status {
		switch {
		case *in.Status == StatusCancelled:
		case *in.Status == StatusCompleted && row.Status == StatusInProgress:
		default:
			return apierr.Invalid("status", "a %s maintenance can be set to cancelled%s, not %s", row.Status,
				map[bool]string{true: " or completed", false: ""}[row.Status == StatusInProgress], *in.Status)
		}
	}
	if in.Title != nil {
		row.Title = *in.Title
	}
	if in.Message != nil {
		row.Message = *in.Message
	}
	if in.StartsAt != nil {
		row.StartsAt = *in.StartsAt
	}
	if in.EndsAt != nil {
		row.EndsAt = *in.EndsAt
	}
	if err := validateSpan(row.StartsAt, row.EndsAt); err != nil {
		return err
	}
	if row.Status == StatusScheduled && (in.StartsAt != nil || in.EndsAt != nil) && !row.EndsAt.After(now) {
		return apierr.Invalid("ends_at", "ends_at must be in the future")
	}
	return nil
}

func sortIDs(ids []uuid.UUID) {
	slices.SortFunc(ids, func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) })
}

// Delete removes a window; a running one ends first, so its services are restored.
func (s *Store) Delete(ctx context.Context, orgID, id uuid.UUID) error {
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		row, err := s.lockRow(ctx, orgID, id)
		if err != nil {
			return err
		}
		if row.Status == StatusInProgress {
			if err := s.end(ctx, row, StatusCancelled, s.Now()); err != nil {
				return err
			}
		}
		return s.db.Conn(ctx).Where("id = ?", row.ID).Delete(&maintenanceRow{}).Error
	})
	return wrap("deleting maintenance", err)
}

func (s *Store) lockRow(ctx context.Context, orgID, id uuid.UUID) (maintenanceRow, error) {
	var row maintenanceRow
	err := s.db.ForUpdate(s.db.Conn(ctx)).Where("id = ? AND org_id = ?", id, orgID).Take(&row).Error
	if errors.Is(err, database.ErrNotFound) {
		return row, errNotFound
	}
	if err != nil {
		return row, fmt.Errorf("locking maintenance: %w", err)
	}
	return row, nil
}

// end ends a scheduled or running window now with the given status (completed or
// cancelled), claimed by a conditional UPDATE; a running one releases its services.
func (s *Store) end(ctx context.Context, row maintenanceRow, status string, now time.Time) error {
	res := s.db.Conn(ctx).Model(&maintenanceRow{}).
		Where("id = ? AND status IN ?", row.ID, []string{StatusScheduled, StatusInProgress}).
		Updates(map[string]any{"status": status, "ended_at": now, "updated_at": now})
	if res.Error != nil {
		return fmt.Errorf("ending maintenance: %w", res.Error)
	}
	if res.RowsAffected == 0 || row.Status != StatusInProgress {
		return nil
	}
	return s.release(ctx, row)
}

// settle starts and ends the window id as its times and the clock say, each at most
// once: the conditional UPDATEs claim the start and the end, and only the claimer
// changes the services. A window whose end has passed before it started (every
// instance was down throughout) completes without touching its services, which
// would otherwise show a maintenance of no length.
func (s *Store) settle(ctx context.Context, id uuid.UUID, now time.Time) (started, ended bool, err error) {
	err = s.db.InTx(ctx, func(ctx context.Context) error {
		res := s.db.Conn(ctx).Model(&maintenanceRow{}).
			Where("id = ? AND status = ? AND starts_at <= ? AND ends_at <= ?", id, StatusScheduled, now, now).
			Updates(map[string]any{"status": StatusCompleted, "started_at": now, "ended_at": now, "updated_at": now})
		if res.Error != nil {
			return fmt.Errorf("completing a missed maintenance: %w", res.Error)
		}
		if res.RowsAffected > 0 {
			ended = true
			return nil
		}
		res = s.db.Conn(ctx).Model(&maintenanceRow{}).
			Where("id = ? AND status = ? AND starts_at <= ?", id, StatusScheduled, now).
			Updates(map[string]any{"status": StatusInProgress, "started_at": now, "updated_at": now})
		if res.Error != nil {
			return fmt.Errorf("starting maintenance: %w", res.Error)
		}
		if res.RowsAffected > 0 {
			started = true
			if err := s.hold(ctx, id); err != nil {
				return err
			}
		}
		var row maintenanceRow
		if err := s.db.Conn(ctx).Where("id = ?", id).Take(&row).Error; err != nil {
			return fmt.Errorf("rereading maintenance: %w", err)
		}
		res = s.db.Conn(ctx).Model(&maintenanceRow{}).
			Where("id = ? AND status = ? AND ends_at <= ?", id, StatusInProgress, now).
			Updates(map[string]any{"status": StatusCompleted, "ended_at": now, "updated_at": now})
		if res.Error != nil {
			return fmt.Errorf("completing maintenance: %w", res.Error)
		}
		if res.RowsAffected > 0 {
			ended = true
			return s.release(ctx, row)
		}
		return nil
	})
	return started, ended, err
}

// serviceIDs are the window's services in id order, the order they are locked in.
func (s *Store) serviceIDs(ctx context.Context, id uuid.UUID) ([]uuid.UUID, error) {
	var links []serviceLinkRow
	if err := s.db.Conn(ctx).Where("maintenance_id = ?", id).Find(&links).Error; err != nil {
		return nil, fmt.Errorf("reading maintenance services: %w", err)
	}
	ids := make([]uuid.UUID, len(links))
	for i, l := range links {
		ids[i] = l.ServiceID
	}
	sortIDs(ids)
	return ids, nil
}

// hold puts the window's services into maintenance.
func (s *Store) hold(ctx context.Context, id uuid.UUID) error {
	var row maintenanceRow
	if err := s.db.Conn(ctx).Where("id = ?", id).Take(&row).Error; err != nil {
		return fmt.Errorf("rereading maintenance: %w", err)
	}
	ids, err := s.serviceIDs(ctx, id)
	if err != nil {
		return err
	}
	msg := row.Message
	if msg == "" {
		msg = fmt.Sprintf("Planned maintenance: %s.", row.Title)
	}
	for _, sid := range ids {
		if _, err := s.services.Transition(ctx, services.TransitionInput{
			OrgID: row.OrgID, ServiceID: sid, Hold: services.HoldStart, Message: msg, Source: services.SourceMaintenance,
		}); err != nil && apierr.CodeOf(err) != apierr.CodeNotFound {
			return fmt.Errorf("starting maintenance of service %s: %w", sid, err)
		}
	}
	return nil
}

// release moves the window's services back to the status underneath, except those
// another running window still holds. Each service's row lock is taken (by Lock)
// before the other windows are read, so a window starting at the same moment on
// another instance is either seen running or holds the service after this releases it.
func (s *Store) release(ctx context.Context, row maintenanceRow) error {
	ids, err := s.serviceIDs(ctx, row.ID)
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("Planned maintenance %q is over.", row.Title)
	for _, sid := range ids {
		if _, err := s.services.Lock(ctx, row.OrgID, sid); apierr.CodeOf(err) == apierr.CodeNotFound {
			continue
		} else if err != nil {
			return err
		}
		var others int64
		if err := s.db.Conn(ctx).Table("maintenance_services AS ms").
			Joins("JOIN maintenances m ON m.id = ms.maintenance_id").
			Where("ms.service_id = ? AND m.status = ? AND m.id <> ?", sid, StatusInProgress, row.ID).
			Count(&others).Error; err != nil {
			return fmt.Errorf("reading other maintenances of service %s: %w", sid, err)
		}
		if others > 0 {
			continue
		}
		if _, err := s.services.Transition(ctx, services.TransitionInput{
			OrgID: row.OrgID, ServiceID: sid, Hold: services.HoldRelease, Message: msg, Source: services.SourceMaintenance,
		}); err != nil {
			return fmt.Errorf("ending maintenance of service %s: %w", sid, err)
		}
	}
	return nil
}

// wrap keeps client-visible errors as they are and wraps the rest.
func wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := apierr.As(err); ok {
		return err
	}
	return fmt.Errorf("%s: %w", what, err)
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
