package services

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/statusgate/statusgate/apierr"
	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/mapping"
	"github.com/statusgate/statusgate/rest"
)

type serviceRow struct {
	ID                   uuid.UUID
	OrgID                uuid.UUID
	Name                 string
	NameKey              string
	Description          string
	Status               string
	StatusChangedAt      time.Time
	StatusEventAt        *time.Time
	UnderlyingStatus     *string
	Public               bool
	SLATarget            *float64 `gorm:"column:sla_target"`
	DegradedCountsAsDown bool
	Position             int
	GroupName            string
	IncidentWatch        bool
	WaitWatch            bool
	CreatedAt            time.Time
	UpdatedAt            time.Time `gorm:"autoUpdateTime:false"` // set from the injected clock, never by gorm
}

func (serviceRow) TableName() string { return "services" }

// lockServiceSQL reads every column of serviceRow, in ScanInto's order, for lockRow;
// on PostgreSQL it also takes the row lock (SQLite's writer is one at a time anyway).
var lockServiceSQL = map[database.Dialect]string{
	database.SQLite:   selectServiceSQL,
	database.Postgres: selectServiceSQL + " FOR " + database.LockStrength,
}

var selectServiceSQL = "SELECT " + database.Columns(serviceRow{}, "") + " FROM services WHERE id = ? AND org_id = ?"

// LockColumns is the column list of a service row that LockedRow.Dest scans,
// qualified by alias, for a statement of another package that reads and locks a
// service along with its own row: the receiver locks itself and its service in one
// round trip.
func LockColumns(alias string) string { return database.Columns(serviceRow{}, alias) }

// LockedRow receives a service row read by such a statement.
type LockedRow struct{ row serviceRow }

// Dest is the scan destinations of LockColumns, in its order.
func (l *LockedRow) Dest() []any { return database.ScanInto(&l.row) }

// Service is the row read, to hand to Transition as TransitionInput.Locked.
func (l *LockedRow) Service() Service { return l.row.toService() }

func (r serviceRow) toService() Service {
	return Service{
		ID: r.ID, OrgID: r.OrgID, Name: r.Name, Description: r.Description,
		Status: mapping.Status(r.Status), StatusChangedAt: r.StatusChangedAt.UTC(), StatusEventAt: utcPtr(r.StatusEventAt),
		UnderlyingStatus: statusPtr(r.UnderlyingStatus),
		Public:           r.Public, SLATarget: r.SLATarget, DegradedCountsAsDown: r.DegradedCountsAsDown,
		Position: r.Position, Group: r.GroupName, IncidentWatch: r.IncidentWatch, WaitWatch: r.WaitWatch,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
}

// rowOf is toService backwards, for a service read under Lock and handed back.
func rowOf(v Service) serviceRow {
	var underlying mapping.Status
	if v.UnderlyingStatus != nil {
		underlying = *v.UnderlyingStatus
	}
	return serviceRow{
		UnderlyingStatus: nullStatus(underlying),
		ID:               v.ID, OrgID: v.OrgID, Name: v.Name, NameKey: nameKey(v.Name), Description: v.Description,
		Status: string(v.Status), StatusChangedAt: v.StatusChangedAt, StatusEventAt: v.StatusEventAt,
		Public: v.Public, SLATarget: v.SLATarget, DegradedCountsAsDown: v.DegradedCountsAsDown,
		Position: v.Position, GroupName: v.Group, IncidentWatch: v.IncidentWatch, WaitWatch: v.WaitWatch, CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt,
	}
}

type historyRow struct {
	ID         uuid.UUID
	ServiceID  uuid.UUID
	Status     string
	StartedAt  time.Time
	EndedAt    *time.Time
	Source     string
	ReceiverID *uuid.UUID
	DeliveryID *uuid.UUID
	Message    string
}

func (historyRow) TableName() string { return "status_history" }

// Store keeps services, their history and their posts.
type Store struct {
	db          *database.DB
	now         func() time.Time
	changeFuncs []ChangeFunc
	postFuncs   []PostFunc
	cache       rowCache // lockRow's rows, on SQLite
}

// Options configure a Store.
type Options struct {
	// NowFunc is the clock; time.Now when nil. Tests drive it to check SLA figures.
	NowFunc func() time.Time
	// ChangeFuncs run, in order, inside the transaction of every status change.
	ChangeFuncs []ChangeFunc
	// PostFuncs run inside the transaction of every operator's post (the posts a
	// status change writes are in its Change).
	PostFuncs []PostFunc
}

// NewStore returns a Store.
func NewStore(db *database.DB, opts Options) *Store {
	now := opts.NowFunc
	if now == nil {
		now = time.Now
	}
	return &Store{db: db, now: now, changeFuncs: append([]ChangeFunc(nil), opts.ChangeFuncs...), postFuncs: opts.PostFuncs}
}

// AddChangeFunc appends fn to the ChangeFuncs, for a package that needs the Store
// itself and so cannot exist before it (incidents asks it about services). It is
// wiring: call it before the store serves, never concurrently with Transition.
func (s *Store) AddChangeFunc(fn ChangeFunc) { s.changeFuncs = append(s.changeFuncs, fn) }

// Now returns the store's clock reading, in UTC at the stores' microsecond precision.
func (s *Store) Now() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

var errServiceNotFound = apierr.NotFound("service")

// ErrNameTaken answers a second service with the same name in one organization.
func errNameTaken(name string) error {
	return apierr.New(apierr.CodeConflict, "a service named %q already exists", name)
}

// Create adds a service; it starts operational, and its history starts with it.
func (s *Store) Create(ctx context.Context, orgID uuid.UUID, in CreateInput) (Service, error) {
	if err := in.Validate(); err != nil {
		return Service{}, err
	}
	now := s.Now()
	row := serviceRow{
		ID: uuid.Must(uuid.NewV7()), OrgID: orgID, Name: in.Name, NameKey: nameKey(in.Name),
		Description: in.Description, Status: string(mapping.Operational), StatusChangedAt: now,
		Public: in.Public == nil || *in.Public, SLATarget: in.SLATarget,
		DegradedCountsAsDown: in.DegradedCountsAsDown, Position: in.Position, GroupName: in.Group,
		CreatedAt: now, UpdatedAt: now,
	}
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		if err := s.db.Conn(ctx).Create(&row).Error; err != nil {
			return err
		}
		return s.db.Conn(ctx).Create(&historyRow{
			ID: uuid.Must(uuid.NewV7()), ServiceID: row.ID, Status: row.Status,
			StartedAt: now, Source: "created",
		}).Error
	})
	if errors.Is(err, database.ErrDuplicate) {
		return Service{}, errNameTaken(in.Name)
	}
	if err != nil {
		return Service{}, fmt.Errorf("creating service: %w", err)
	}
	return row.toService(), nil
}

// Get returns one service of the organization.
func (s *Store) Get(ctx context.Context, orgID, id uuid.UUID) (Service, error) {
	var row serviceRow
	err := s.db.Conn(ctx).Where("id = ? AND org_id = ?", id, orgID).Take(&row).Error
	if errors.Is(err, database.ErrNotFound) {
		return Service{}, errServiceNotFound
	}
	if err != nil {
		return Service{}, fmt.Errorf("reading service: %w", err)
	}
	return row.toService(), nil
}

// ErrNoSuchName is returned by FindByName when no service has the name.
var ErrNoSuchName = errors.New("no service with that name")

// FindByName returns the organization's service with the given name, compared
// case-insensitively and ignoring outer spaces.
func (s *Store) FindByName(ctx context.Context, orgID uuid.UUID, name string) (Service, error) {
	var row serviceRow
	err := s.db.Conn(ctx).Where("org_id = ? AND name_key = ?", orgID, nameKey(name)).Take(&row).Error
	if errors.Is(err, database.ErrNotFound) {
		return Service{}, ErrNoSuchName
	}
	if err != nil {
		return Service{}, fmt.Errorf("finding service by name: %w", err)
	}
	return row.toService(), nil
}

// Lock reads one service of the organization and locks its row until the caller's
// transaction ends: the lock Transition takes, so whoever holds it and a status change
// of the same service wait for each other. It must run inside database.DB.InTx; take
// it before any lock of another package's rows (after the receiver's), in the order
// Transition does.
func (s *Store) Lock(ctx context.Context, orgID, id uuid.UUID) (Service, error) {
	if !s.db.InTransaction(ctx) {
		return Service{}, errors.New("services.Lock outside a transaction locks nothing")
	}
	row, err := s.lockRow(ctx, orgID, id)
	if err != nil {
		return Service{}, err
	}
	return row.toService(), nil
}

// lockRow reads and locks a service row; a missing one is errServiceNotFound. On
// SQLite a row no statement has written since it was last read comes from the
// cache (rowCache).
func (s *Store) lockRow(ctx context.Context, orgID, id uuid.UUID) (serviceRow, error) {
	writes, counted := s.db.WriteCount(serviceRow{}.TableName())
	if counted {
		if row, ok := s.cache.get(id, writes); ok && row.OrgID == orgID {
			return row, nil
		}
	}
	// Every delivery to a fixed service runs this, so it skips gorm (database.QueryRow).
	var row serviceRow
	err := s.db.QueryRow(ctx, lockServiceSQL[s.db.Dialect()], id, orgID).Scan(database.ScanInto(&row)...)
	if errors.Is(err, sql.ErrNoRows) {
		return row, errServiceNotFound
	}
	if err != nil {
		return row, fmt.Errorf("locking service: %w", err)
	}
	if counted {
		s.cache.keepAfterCommit(ctx, row, writes)
	}
	return row, nil
}

// WatchIncidents sets the service's incident marks (Service.IncidentWatch and
// WaitWatch) in the caller's transaction, which holds the service's lock. Only
// incidents calls it.
func (s *Store) WatchIncidents(ctx context.Context, id uuid.UUID, incident, wait bool) error {
	err := s.db.Conn(ctx).Model(&serviceRow{}).Where("id = ?", id).
		Updates(map[string]any{"incident_watch": incident, "wait_watch": wait}).Error
	if err != nil {
		return fmt.Errorf("marking what incidents watch of the service: %w", err)
	}
	return nil
}

// Names returns the names of the services with the given ids, in one query; an id
// that names no service is left out. Callers scope the ids to an organization.
func (s *Store) Names(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]string, error) {
	out := make(map[uuid.UUID]string, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var rows []serviceRow
	if err := s.db.Conn(ctx).Select("id, name").Where("id IN ?", ids).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("reading service names: %w", err)
	}
	for _, r := range rows {
		out[r.ID] = r.Name
	}
	return out, nil
}

// List returns a page of the organization's services, oldest first: up to
// page.Limit+1 of them, the extra one telling rest.ListAnswer that a next page exists.
func (s *Store) List(ctx context.Context, orgID uuid.UUID, page rest.Page) ([]Service, error) {
	q := s.db.Conn(ctx).Where("org_id = ?", orgID).Order("id").Limit(page.Limit + 1)
	if page.Cursor != uuid.Nil {
		q = q.Where("id > ?", page.Cursor)
	}
	var rows []serviceRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("listing services: %w", err)
	}
	out := make([]Service, len(rows))
	for i, r := range rows {
		out[i] = r.toService()
	}
	return out, nil
}

// ListPublic returns every public service of the organization in the page's order:
// by position, then by name (the id breaks a tie, so the order never flickers).
// Grouping is the page's business; this is the order it groups from.
func (s *Store) ListPublic(ctx context.Context, orgID uuid.UUID) ([]Service, error) {
	var rows []serviceRow
	if err := s.db.Conn(ctx).Where("org_id = ? AND public = ?", orgID, true).Order("position, name_key, id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("listing public services: %w", err)
	}
	out := make([]Service, len(rows))
	for i, r := range rows {
		out[i] = r.toService()
	}
	return out, nil
}

// Update changes a service's settings (never its status: that is Transition's job).
func (s *Store) Update(ctx context.Context, orgID, id uuid.UUID, in UpdateInput) (Service, error) {
	if err := in.Validate(); err != nil {
		return Service{}, err
	}
	var out Service
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var row serviceRow
		err := s.db.ForUpdate(s.db.Conn(ctx)).Where("id = ? AND org_id = ?", id, orgID).Take(&row).Error
		if errors.Is(err, database.ErrNotFound) {
			return errServiceNotFound
		}
		if err != nil {
			return err
		}
		if in.Name != nil {
			row.Name, row.NameKey = *in.Name, nameKey(*in.Name)
		}
		if in.Description != nil {
			row.Description = *in.Description
		}
		if in.Public != nil {
			row.Public = *in.Public
		}
		if in.SLATarget.Set {
			row.SLATarget = in.SLATarget.Value
		}
		if in.DegradedCountsAsDown != nil {
			row.DegradedCountsAsDown = *in.DegradedCountsAsDown
		}
		if in.Position != nil {
			row.Position = *in.Position
		}
		if in.Group != nil {
			row.GroupName = *in.Group
		}
		row.UpdatedAt = s.Now()
		if err := s.db.Conn(ctx).Select("*").Save(&row).Error; err != nil {
			return err
		}
		out = row.toService()
		return nil
	})
	if errors.Is(err, database.ErrDuplicate) {
		return Service{}, errNameTaken(*in.Name)
	}
	if err != nil {
		if _, ok := apierr.As(err); ok {
			return Service{}, err
		}
		return Service{}, fmt.Errorf("updating service: %w", err)
	}
	return out, nil
}

// Delete removes a service with its history and posts. A service that receivers still
// target cannot be deleted: the answer names the conflict instead of silently breaking
// those integrations.
func (s *Store) Delete(ctx context.Context, orgID, id uuid.UUID) error {
	res := s.db.Conn(ctx).Where("id = ? AND org_id = ?", id, orgID).Delete(&serviceRow{})
	if errors.Is(res.Error, database.ErrForeignKey) {
		return apierr.New(apierr.CodeConflict, "receivers still send to this service; delete them or point them at another service first")
	}
	if res.Error != nil {
		return fmt.Errorf("deleting service: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return errServiceNotFound
	}
	return nil
}

// Transition is the one place a service's status changes. It locks the service row
// (concurrent webhooks for one service wait for each other), and when the status
// really changes it closes the open history interval, opens the next one, writes the
// status-page post and runs the ChangeFuncs, all in one transaction. Whether it is a
// change, nothing, stale or held by a maintenance window, and when a change is dated,
// is DecideRequest's to say; Transition only applies the decision.
func (s *Store) Transition(ctx context.Context, in TransitionInput) (TransitionResult, error) {
	if in.Hold == HoldNone && !in.To.Valid() {
		return TransitionResult{}, apierr.Invalid("status", "status %q must be one of operational, degraded, down, maintenance", in.To)
	}
	var res TransitionResult
	if in.Locked != nil && (in.Locked.ID != in.ServiceID || in.Locked.OrgID != in.OrgID || !s.db.InTransaction(ctx)) {
		return TransitionResult{}, errors.New("services.Transition: Locked is not the service being changed, or not locked in this transaction")
	}
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		// Statement: SELECT the service FOR UPDATE, unless the caller holds it
		// (in.Locked): its status is read once, under its lock.
		var row serviceRow
		if in.Locked != nil {
			row = rowOf(*in.Locked)
		} else {
			var err error
			if row, err = s.lockRow(ctx, in.OrgID, in.ServiceID); err != nil {
				return err
			}
		}
		before := row.toService()
		res = TransitionResult{Service: before, Previous: before.Status, New: before.Status}
		d := DecideRequest(DecisionOf(before), Request{To: in.To, EventTime: in.EventTime, Hold: in.Hold}, s.Now())
		// What changes on the row besides a new status: the sender's mark and the
		// status underneath a hold.
		cols := map[string]any{}
		if d.MoveMark {
			cols["status_event_at"] = d.Mark
		}
		if d.MoveUnderlying {
			cols["underlying_status"] = nullStatus(d.Underlying)
		}
		if d.Kind != Changed {
			res.Stale, res.Held = d.Kind == Stale, d.Kind == Held
			if len(cols) == 0 {
				return nil
			}
			// Statement, only when the mark or the held status moves: UPDATE services.
			if err := s.db.Conn(ctx).Model(&serviceRow{}).Where("id = ?", row.ID).Updates(cols).Error; err != nil {
				return fmt.Errorf("recording event time or held status: %w", err)
			}
			// The row is locked and holds what was written: no need to read it again.
			if d.MoveMark {
				row.StatusEventAt = d.Mark
			}
			if d.MoveUnderlying {
				row.UnderlyingStatus = nullStatus(d.Underlying)
			}
			res.Service = row.toService()
			return nil
		}
		// A change: the service row and its history (writeChange), the post (INSERT)
		// and whatever the ChangeFuncs write (incidents, the outbox).
		at := d.At
		cols["status"], cols["status_changed_at"], cols["updated_at"] = string(d.To), at, at
		row.Status, row.StatusChangedAt, row.UpdatedAt = string(d.To), at, at
		if d.MoveMark {
			row.StatusEventAt = d.Mark
		}
		if d.MoveUnderlying {
			row.UnderlyingStatus = nullStatus(d.Underlying)
		}
		ch := Change{
			Service: row.toService(), From: before.Status, To: d.To, At: at, Message: in.Message,
			Source: in.Source, ReceiverID: in.ReceiverID, DeliveryID: in.DeliveryID, Incidents: in.Incidents,
		}
		if err := s.writeChange(ctx, cols, ch); err != nil {
			return err
		}
		post := changePost(ch)
		if err := s.insertPost(ctx, post); err != nil {
			return err
		}
		ch.PostID, ch.PostTitle, ch.PostBody = post.ID, post.Title, post.Body
		for _, fn := range s.changeFuncs {
			if err := fn(ctx, ch); err != nil {
				return err
			}
		}
		res = TransitionResult{Service: ch.Service, Previous: ch.From, New: ch.To, Changed: true}
		return nil
	})
	if err != nil {
		return TransitionResult{}, err
	}
	return res, nil
}

// nullStatus is a status column's value: NULL for "".
func nullStatus(st mapping.Status) *string {
	if st == "" {
		return nil
	}
	v := string(st)
	return &v
}

// writeChange writes a change to the service row (cols) and its history: it closes
// the open interval and opens the one for the new status. On PostgreSQL that is one
// statement (changeSQL), where it was three round trips in turn inside the batch's
// transaction, which waits on each; on SQLite a statement costs no round trip, and
// the three stay apart.
func (s *Store) writeChange(ctx context.Context, cols map[string]any, ch Change) error {
	h := historyRow{
		ID: uuid.Must(uuid.NewV7()), ServiceID: ch.Service.ID, Status: string(ch.To), StartedAt: ch.At,
		Source: ch.Source, ReceiverID: ch.ReceiverID, DeliveryID: ch.DeliveryID, Message: ch.Message,
	}
	if s.db.Dialect() == database.Postgres {
		q, args := changeSQL(cols, h)
		if _, err := s.db.Exec(ctx, q, args...); err != nil {
			return fmt.Errorf("updating service status and history: %w", err)
		}
		return nil
	}
	// SQLite: three statements without gorm, whose building, callbacks and
	// reflection over a map of columns cost as much of the one writer's CPU as
	// SQLite's work on them.
	if _, err := s.db.Update(ctx, "services", cols, "id = ?", h.ServiceID); err != nil {
		return fmt.Errorf("updating service status: %w", err)
	}
	if _, err := s.db.Exec(ctx, closeIntervalSQL, h.StartedAt, h.ServiceID); err != nil {
		return fmt.Errorf("closing status interval: %w", err)
	}
	if err := s.db.Insert(ctx, &h); err != nil {
		return fmt.Errorf("recording status interval: %w", err)
	}
	return nil
}

const closeIntervalSQL = "UPDATE status_history SET ended_at = ? WHERE service_id = ? AND ended_at IS NULL"

// changeSQL is writeChange's statement on PostgreSQL: the service's UPDATE and the
// open interval's in CTEs, and the new interval's INSERT. The INSERT reads its row
// from a count of the closed intervals, so the old interval is closed before the new
// one goes into status_history_one_open (the sub-statements of one WITH run in no
// given order otherwise), and its values are cast, since a SELECT list does not take
// its types from the INSERT's columns.
func changeSQL(cols map[string]any, h historyRow) (string, []any) {
	set, args := database.SetClause(cols)
	q := "WITH svc AS (UPDATE services SET " + set + " WHERE id = ?)," +
		" closed AS (UPDATE status_history SET ended_at = ? WHERE service_id = ? AND ended_at IS NULL RETURNING 1)" +
		" INSERT INTO status_history (id, service_id, status, started_at, source, receiver_id, delivery_id, message)" +
		" SELECT CAST(? AS uuid), CAST(? AS uuid), CAST(? AS text), CAST(? AS timestamptz), CAST(? AS text), CAST(? AS uuid), CAST(? AS uuid), CAST(? AS text)" +
		" FROM (SELECT count(*) FROM closed) AS c"
	args = append(args, h.ServiceID, h.StartedAt, h.ServiceID,
		h.ID, h.ServiceID, h.Status, h.StartedAt, h.Source, h.ReceiverID, h.DeliveryID, h.Message)
	return q, args
}

func statusPtr(s *string) *mapping.Status {
	if s == nil {
		return nil
	}
	st := mapping.Status(*s)
	return &st
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
