package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/statusgate/statusgate/apierr"
	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/rest"
	"github.com/statusgate/statusgate/secrets"
)

type channelRow struct {
	ID             uuid.UUID
	OrgID          uuid.UUID
	Name           string
	Type           string
	URL            string
	EventTypes     string
	ServiceIDs     string
	Recipients     string
	RetrySchedule  *string
	Sealed         string
	Enabled        bool
	DisabledReason string
	FailingSince   *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time `gorm:"autoUpdateTime:false"` // set from the injected clock, never by gorm
}

func (channelRow) TableName() string { return "notify_channels" }

// sealedConfig is the part of a channel that is a credential, stored encrypted.
type sealedConfig struct {
	Secrets    []secretEntry     `json:"secrets,omitempty"`
	Headers    map[string]string `json:"headers,omitempty"`
	RoutingKey string            `json:"routing_key,omitempty"`
}

// secretEntry is one signing secret; ExpiresAt is set on the old one by a rotation.
type secretEntry struct {
	Secret    string     `json:"secret"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

type eventRow struct {
	ID        string
	OrgID     uuid.UUID
	Type      string
	Payload   string
	CreatedAt time.Time
}

func (eventRow) TableName() string { return "notify_events" }

type deliveryRow struct {
	ID            uuid.UUID
	EventID       string
	ChannelID     uuid.UUID
	Status        string
	AttemptCount  int
	NextAttemptAt time.Time
	LeaseUntil    *time.Time
	LeasedBy      string
	CreatedAt     time.Time
	UpdatedAt     time.Time `gorm:"autoUpdateTime:false"`
}

func (deliveryRow) TableName() string { return "notify_deliveries" }

type attemptRow struct {
	ID         uuid.UUID
	DeliveryID uuid.UUID
	At         time.Time
	StatusCode int
	Body       string
	DurationMS int64 `gorm:"column:duration_ms"`
	Error      string
	Worker     string
}

func (attemptRow) TableName() string { return "notify_attempts" }

func (r attemptRow) toLog() AttemptLog {
	return AttemptLog{At: r.At.UTC(), StatusCode: r.StatusCode, Body: r.Body, DurationMS: r.DurationMS, Error: r.Error}
}

type markRow struct {
	OrgID     uuid.UUID
	Key       string
	State     string
	UpdatedAt time.Time `gorm:"autoUpdateTime:false"`
}

func (markRow) TableName() string { return "notify_marks" }

// Outbox is the durable outbox and the workers that empty it, and the channels API's
// storage.
type Outbox struct {
	db           *database.DB
	box          *secrets.Box
	notifiers    map[string]Notifier
	now          func() time.Time
	logger       *slog.Logger
	allowPrivate bool
	resolver     Resolver
	workers      int
	lease        time.Duration
	poll         time.Duration
	jitter       func(time.Duration) time.Duration
	retention    time.Duration
	disableAfter time.Duration
	maxRetryWait time.Duration
	workerID     string
	wake         chan struct{}
	stats        stats
	runMu        sync.Mutex
}

// Options configure an Outbox. DB, Box and Notifiers are required.
type Options struct {
	DB  *database.DB
	Box *secrets.Box
	// Notifiers is the registry of channel types: a channel of a type not in it cannot
	// be created.
	Notifiers map[string]Notifier
	NowFunc   func() time.Time
	Logger    *slog.Logger
	// AllowPrivate lets channels point at private and loopback addresses
	// (STATUSGATE_OUTBOUND_ALLOW_PRIVATE); the HTTP client must be built to match.
	AllowPrivate bool
	// Resolver checks URL hosts at create time; net.DefaultResolver when nil.
	Resolver Resolver
	// Workers bounds the attempts in flight in this instance (default 16).
	Workers int
	// Lease is how long a claim holds before another worker may take the delivery
	// over (default 60 s); a live worker renews it every third of that.
	Lease time.Duration
	// PollInterval is how often idle workers look for due deliveries that no local
	// commit announced: retries coming due, other instances' events (default 1 s).
	PollInterval time.Duration
	// JitterFunc spreads a retry delay; ±20 % uniformly when nil. Tests pin it.
	JitterFunc func(time.Duration) time.Duration
	// Retention is how long events and their attempt logs are kept (default 30 days).
	Retention time.Duration
	// DisableAfter is how long every attempt to a channel may fail before the channel
	// is disabled (default 5 days).
	DisableAfter time.Duration
	// MaxRetryAfter clamps an endpoint's Retry-After (default 1 hour).
	MaxRetryAfter time.Duration
	// WorkerID names this instance in leases and attempt logs (default a random id).
	WorkerID string
}

// NewOutbox returns an Outbox.
func NewOutbox(opts Options) *Outbox {
	o := &Outbox{
		db: opts.DB, box: opts.Box, notifiers: opts.Notifiers, now: opts.NowFunc, logger: opts.Logger,
		allowPrivate: opts.AllowPrivate, resolver: opts.Resolver, workers: opts.Workers, lease: opts.Lease,
		poll: opts.PollInterval, jitter: opts.JitterFunc, retention: opts.Retention, disableAfter: opts.DisableAfter,
		maxRetryWait: opts.MaxRetryAfter, workerID: opts.WorkerID, wake: make(chan struct{}, 1),
	}
	if o.now == nil {
		o.now = time.Now
	}
	if o.logger == nil {
		o.logger = slog.New(slog.DiscardHandler)
	}
	if o.workers <= 0 {
		o.workers = 16 // see docs/DECISIONS.md, Fast path: how many a claim takes
	}
	if o.lease <= 0 {
		o.lease = time.Minute
	}
	if o.poll <= 0 {
		o.poll = time.Second
	}
	if o.jitter == nil {
		o.jitter = func(d time.Duration) time.Duration {
			return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
		}
	}
	if o.retention <= 0 {
		o.retention = 30 * 24 * time.Hour
	}
	if o.disableAfter <= 0 {
		o.disableAfter = 5 * 24 * time.Hour
	}
	if o.maxRetryWait <= 0 {
		o.maxRetryWait = time.Hour
	}
	if o.workerID == "" {
		o.workerID = "w-" + uuid.NewString()[:8]
	}
	return o
}

func (o *Outbox) clock() time.Time { return o.now().UTC().Truncate(time.Microsecond) }

var errChannelNotFound = apierr.NotFound("channel")

// NewEventID returns a fresh event id: "evt_" and a time-ordered UUID.
func NewEventID() string { return "evt_" + uuid.Must(uuid.NewV7()).String() }

// Enqueue writes ev to the outbox with one delivery per enabled channel of ev.OrgID
// that wants it (event_types, service_ids), through the transaction ctx carries, so
// the event commits or rolls back with the change that caused it. It fills in ID and
// Timestamp when they are empty. The local workers are woken after the commit.
func (o *Outbox) Enqueue(ctx context.Context, ev Event) error {
	if ev.ID == "" {
		ev.ID = NewEventID()
	}
	now := o.clock()
	if ev.Timestamp.IsZero() {
		ev.Timestamp = now
	}
	ev.Timestamp = ev.Timestamp.UTC()
	if ev.Data.OccurredAt.IsZero() {
		ev.Data.OccurredAt = ev.Timestamp
	}
	ev.Data.OccurredAt = ev.Data.OccurredAt.UTC()
	// Statements, in the change's transaction: SELECT the organization's channels, and
	// only when one wants the event queue it and its deliveries for the transaction's
	// multi-row INSERTs (database.InsertLater). An event no channel
	// wants is never read again (deliveries are what workers and the log read), so an
	// organization without channels pays one SELECT per transaction and keeps no rows.
	chans, err := o.enabledChannels(ctx, ev.OrgID)
	if err != nil {
		return err
	}
	var rows []deliveryRow
	for _, c := range chans {
		if !wants(c, ev) {
			continue
		}
		if a, ok := o.notifiers[c.Type].(accepter); ok && !a.Accepts(ev.Type) {
			continue // e.g. PagerDuty, which pages for incidents only
		}
		rows = append(rows, deliveryRow{
			ID: uuid.Must(uuid.NewV7()), EventID: ev.ID, ChannelID: c.ID, Status: deliveryPending,
			NextAttemptAt: now, CreatedAt: now, UpdatedAt: now,
		})
	}
	if len(rows) == 0 {
		return nil
	}
	payload, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("encoding event: %w", err)
	}
	// The event first: its deliveries' foreign key names it.
	if err := o.db.InsertLater(ctx, &eventRow{ID: ev.ID, OrgID: ev.OrgID, Type: ev.Type, Payload: string(payload), CreatedAt: now}); err != nil {
		return fmt.Errorf("writing event to the outbox: %w", err)
	}
	for i := range rows {
		if err := o.db.InsertLater(ctx, &rows[i]); err != nil {
			return fmt.Errorf("writing deliveries: %w", err)
		}
	}
	database.AfterCommit(ctx, o.Wake)
	return nil
}

// channelsMemo keys an organization's enabled channels in a transaction's memo.
type channelsMemo struct{ orgID uuid.UUID }

// enabledChannels reads what Enqueue needs of orgID's enabled channels, once per
// transaction: a change enqueues two or three events, and a group commit holds many
// changes, each of which read the same rows again (database.Memo). Every write of
// those rows calls forgetChannels.
func (o *Outbox) enabledChannels(ctx context.Context, orgID uuid.UUID) ([]channelRow, error) {
	return database.Memo(ctx, channelsMemo{orgID}, func() ([]channelRow, error) {
		var chans []channelRow
		err := o.db.Conn(ctx).Select("id, type, event_types, service_ids").Where("org_id = ? AND enabled = ?", orgID, true).Find(&chans).Error
		if err != nil {
			return nil, fmt.Errorf("reading channels: %w", err)
		}
		return chans, nil
	})
}

// forgetChannels drops what enabledChannels read of orgID in ctx's transaction.
func forgetChannels(ctx context.Context, orgID uuid.UUID) {
	database.ForgetMemo(ctx, channelsMemo{orgID})
}

// accepter is implemented by notifiers that only mean something for some event
// types; the outbox writes them no delivery of the others.
type accepter interface{ Accepts(eventType string) bool }

// wants reports whether a channel's filters let ev through. Test events are never
// fanned out (they are sent directly by the test endpoint).
func wants(c channelRow, ev Event) bool {
	if ev.Type == EventTest {
		return false
	}
	var types []string
	_ = json.Unmarshal([]byte(c.EventTypes), &types)
	if len(types) > 0 && !slices.Contains(types, ev.Type) {
		return false
	}
	var ids []uuid.UUID
	_ = json.Unmarshal([]byte(c.ServiceIDs), &ids)
	if len(ids) > 0 && ev.Data.Service != nil && !slices.Contains(ids, ev.Data.Service.ID) {
		return false
	}
	return true
}

// Wake tells the local workers that deliveries are due; it never blocks.
func (o *Outbox) Wake() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// Mark records state under key for the organization and returns the state it had
// before ("" when none). Callers that must notify once per crossing (sla.*) compare
// the two inside the transaction of the change; the row lock (PostgreSQL) or the one
// writer (SQLite) keeps concurrent changes from both seeing the old state.
func (o *Outbox) Mark(ctx context.Context, orgID uuid.UUID, key, state string) (string, error) {
	conn := o.db.Conn(ctx)
	var rows []markRow
	if err := o.db.ForUpdate(conn).Where("org_id = ? AND key = ?", orgID, key).Limit(1).Find(&rows).Error; err != nil {
		return "", fmt.Errorf("reading mark: %w", err)
	}
	now := o.clock()
	if len(rows) == 0 {
		if err := conn.Create(&markRow{OrgID: orgID, Key: key, State: state, UpdatedAt: now}).Error; err != nil {
			return "", fmt.Errorf("writing mark: %w", err)
		}
		return "", nil
	}
	if rows[0].State != state {
		if err := conn.Model(&markRow{}).Where("org_id = ? AND key = ?", orgID, key).
			Updates(map[string]any{"state": state, "updated_at": now}).Error; err != nil {
			return "", fmt.Errorf("writing mark: %w", err)
		}
	}
	return rows[0].State, nil
}

// --- channels ---

func (o *Outbox) notifier(typ string) (Notifier, error) {
	n, ok := o.notifiers[typ]
	if !ok {
		names := make([]string, 0, len(o.notifiers))
		for k := range o.notifiers {
			names = append(names, k)
		}
		slices.Sort(names)
		return nil, apierr.Invalid("type", "type %q must be one of %s", typ, strings.Join(names, ", "))
	}
	return n, nil
}

// usesURL reports whether a channel type is configured with an endpoint URL.
func usesURL(typ string) bool { return typ != TypeEmail && typ != TypePagerDuty }

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func (o *Outbox) seal(c sealedConfig) string {
	b, _ := json.Marshal(c)
	return o.box.Seal(b)
}

func (o *Outbox) open(r channelRow) (sealedConfig, error) {
	var c sealedConfig
	if r.Sealed == "" {
		return c, nil
	}
	b, err := o.box.Open(r.Sealed)
	if err != nil {
		return c, fmt.Errorf("opening channel %s secrets: %w", r.ID, err)
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("decoding channel %s secrets: %w", r.ID, err)
	}
	return c, nil
}

// target builds what a Notifier needs, with the secrets still active at now.
func (o *Outbox) target(r channelRow, now time.Time) (Target, error) {
	c, err := o.open(r)
	if err != nil {
		return Target{}, err
	}
	t := Target{ChannelID: r.ID, Name: r.Name, Type: r.Type, URL: r.URL, Headers: c.Headers, RoutingKey: c.RoutingKey}
	for _, s := range c.Secrets {
		if s.ExpiresAt == nil || s.ExpiresAt.After(now) {
			t.Secrets = append(t.Secrets, s.Secret)
		}
	}
	_ = json.Unmarshal([]byte(r.Recipients), &t.Recipients)
	return t, nil
}

func (r channelRow) toChannel(headers map[string]string) Channel {
	ch := Channel{
		ID: r.ID, Name: r.Name, Type: r.Type, URL: r.URL, Enabled: r.Enabled, DisabledReason: r.DisabledReason,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), Headers: map[string]string{},
		EventTypes: []string{}, ServiceIDs: []uuid.UUID{}, Recipients: []string{},
	}
	_ = json.Unmarshal([]byte(r.EventTypes), &ch.EventTypes)
	_ = json.Unmarshal([]byte(r.ServiceIDs), &ch.ServiceIDs)
	_ = json.Unmarshal([]byte(r.Recipients), &ch.Recipients)
	for k := range headers {
		ch.Headers[k] = redactedHeader
	}
	for _, d := range r.schedule() {
		ch.RetrySchedule = append(ch.RetrySchedule, int(d/time.Second))
	}
	return ch
}

// schedule returns the channel's retry delays.
func (r channelRow) schedule() []time.Duration {
	if r.RetrySchedule == nil {
		return DefaultRetrySchedule
	}
	var secs []int
	if err := json.Unmarshal([]byte(*r.RetrySchedule), &secs); err != nil {
		return DefaultRetrySchedule
	}
	out := make([]time.Duration, len(secs))
	for i, s := range secs {
		out[i] = time.Duration(s) * time.Second
	}
	return out
}

// checkTarget runs the type's own validation and, for URL types, the address rule.
func (o *Outbox) checkTarget(ctx context.Context, n Notifier, t Target) error {
	if usesURL(t.Type) && t.URL != "" {
		if err := CheckURL(ctx, "url", t.URL, o.allowPrivate, o.resolver); err != nil {
			return err
		}
	}
	return n.Validate(t)
}

// CreateChannel adds a channel. A webhook channel's answer carries its secret, once.
func (o *Outbox) CreateChannel(ctx context.Context, orgID uuid.UUID, in CreateInput) (Channel, error) {
	if err := in.Validate(); err != nil {
		return Channel{}, err
	}
	n, err := o.notifier(in.Type)
	if err != nil {
		return Channel{}, err
	}
	sc := sealedConfig{Headers: in.Headers, RoutingKey: strings.TrimSpace(in.RoutingKey)}
	secret := ""
	if in.Type == TypeWebhook {
		secret = NewSecret()
		if in.Secret != "" {
			if secret, err = NormalizeSecret(in.Secret); err != nil {
				return Channel{}, err
			}
		}
		sc.Secrets = []secretEntry{{Secret: secret}}
	} else if in.Secret != "" {
		return Channel{}, apierr.Invalid("secret", "only webhook channels have a signing secret")
	}
	now := o.clock()
	row := channelRow{
		ID: uuid.Must(uuid.NewV7()), OrgID: orgID, Name: in.Name, Type: in.Type, URL: in.URL,
		EventTypes: mustJSON(orEmpty(in.EventTypes)), ServiceIDs: mustJSON(orEmpty(in.ServiceIDs)),
		Recipients: mustJSON(orEmpty(in.Recipients)), Sealed: o.seal(sc),
		Enabled: in.Enabled == nil || *in.Enabled, CreatedAt: now, UpdatedAt: now,
	}
	if in.RetrySchedule != nil {
		s := mustJSON(in.RetrySchedule)
		row.RetrySchedule = &s
	}
	t, err := o.target(row, now)
	if err != nil {
		return Channel{}, err
	}
	if err := o.checkTarget(ctx, n, t); err != nil {
		return Channel{}, err
	}
	if err := o.db.Conn(ctx).Create(&row).Error; err != nil {
		return Channel{}, fmt.Errorf("creating channel: %w", err)
	}
	forgetChannels(ctx, orgID)
	ch := row.toChannel(sc.Headers)
	ch.Secret = secret
	return ch, nil
}

// orEmpty stores an empty list as [] rather than null.
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (o *Outbox) channelRow(ctx context.Context, orgID, id uuid.UUID, lock bool) (channelRow, error) {
	q := o.db.Conn(ctx)
	if lock {
		q = o.db.ForUpdate(q)
	}
	var row channelRow
	err := q.Where("id = ? AND org_id = ?", id, orgID).Take(&row).Error
	if errors.Is(err, database.ErrNotFound) {
		return row, errChannelNotFound
	}
	if err != nil {
		return row, fmt.Errorf("reading channel: %w", err)
	}
	return row, nil
}

// GetChannel returns one channel of the organization.
func (o *Outbox) GetChannel(ctx context.Context, orgID, id uuid.UUID) (Channel, error) {
	row, err := o.channelRow(ctx, orgID, id, false)
	if err != nil {
		return Channel{}, err
	}
	sc, err := o.open(row)
	if err != nil {
		return Channel{}, err
	}
	return row.toChannel(sc.Headers), nil
}

// ListChannels returns a page of the organization's channels, oldest first (Limit+1).
func (o *Outbox) ListChannels(ctx context.Context, orgID uuid.UUID, page rest.Page) ([]Channel, error) {
	q := o.db.Conn(ctx).Where("org_id = ?", orgID).Order("id").Limit(page.Limit + 1)
	if page.Cursor != uuid.Nil {
		q = q.Where("id > ?", page.Cursor)
	}
	var rows []channelRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("listing channels: %w", err)
	}
	out := make([]Channel, len(rows))
	for i, r := range rows {
		sc, err := o.open(r)
		if err != nil {
			return nil, err
		}
		out[i] = r.toChannel(sc.Headers)
	}
	return out, nil
}

// UpdateChannel changes a channel. Enabling a channel clears its disabled reason and
// its failure count, so the five-day rule counts afresh.
//
// The new target is checked before the transaction: the address rule resolves the
// URL's host, and a DNS lookup must not hold SQLite's one writer, which every
// inbound delivery waits for. The transaction then takes the row and refuses the
// update (409) if the channel changed since it was read.
func (o *Outbox) UpdateChannel(ctx context.Context, orgID, id uuid.UUID, in UpdateInput) (Channel, error) {
	if err := in.Validate(); err != nil {
		return Channel{}, err
	}
	read, err := o.channelRow(ctx, orgID, id, false)
	if err != nil {
		return Channel{}, err
	}
	row, sc, err := o.applyUpdate(read, in)
	if err != nil {
		return Channel{}, err
	}
	n, err := o.notifier(row.Type)
	if err != nil {
		return Channel{}, err
	}
	t, err := o.target(row, o.clock())
	if err != nil {
		return Channel{}, err
	}
	if err := o.checkTarget(ctx, n, t); err != nil {
		return Channel{}, err
	}
	err = o.db.InTx(ctx, func(ctx context.Context) error {
		locked, err := o.channelRow(ctx, orgID, id, true)
		if err != nil {
			return err
		}
		if !locked.UpdatedAt.Equal(read.UpdatedAt) {
			return apierr.New(apierr.CodeConflict, "the channel changed while this update was checked; read it again and retry")
		}
		row.UpdatedAt = o.clock()
		if err := o.db.Conn(ctx).Select("*").Save(&row).Error; err != nil {
			return fmt.Errorf("updating channel: %w", err)
		}
		forgetChannels(ctx, orgID)
		return nil
	})
	if err != nil {
		return Channel{}, err
	}
	out := row.toChannel(sc.Headers)
	if out.Enabled {
		o.Wake()
	}
	return out, nil
}

// applyUpdate returns row with in applied, and its sealed configuration.
func (o *Outbox) applyUpdate(row channelRow, in UpdateInput) (channelRow, sealedConfig, error) {
	sc, err := o.open(row)
	if err != nil {
		return row, sc, err
	}
	if in.Name != nil {
		row.Name = *in.Name
	}
	if in.URL != nil {
		row.URL = *in.URL
	}
	if in.EventTypes != nil {
		row.EventTypes = mustJSON(orEmpty(*in.EventTypes))
	}
	if in.ServiceIDs != nil {
		row.ServiceIDs = mustJSON(orEmpty(*in.ServiceIDs))
	}
	if in.Recipients != nil {
		row.Recipients = mustJSON(orEmpty(*in.Recipients))
	}
	if in.Headers != nil {
		sc.Headers = *in.Headers
	}
	if in.RoutingKey != nil {
		sc.RoutingKey = strings.TrimSpace(*in.RoutingKey)
	}
	if in.RetrySchedule.Set {
		row.RetrySchedule = nil
		if in.RetrySchedule.Value != nil {
			s := mustJSON(*in.RetrySchedule.Value)
			row.RetrySchedule = &s
		}
	}
	if in.Enabled != nil {
		if *in.Enabled {
			row.DisabledReason, row.FailingSince = "", nil
		}
		row.Enabled = *in.Enabled
	}
	row.Sealed = o.seal(sc)
	return row, sc, nil
}

// DeleteChannel removes a channel with its deliveries and their attempts.
func (o *Outbox) DeleteChannel(ctx context.Context, orgID, id uuid.UUID) error {
	res := o.db.Conn(ctx).Where("id = ? AND org_id = ?", id, orgID).Delete(&channelRow{})
	if res.Error != nil {
		return fmt.Errorf("deleting channel: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return errChannelNotFound
	}
	forgetChannels(ctx, orgID)
	return nil
}

// RotateSecret gives a webhook channel a new signing secret. The old ones keep signing
// for 24 hours, so receivers can switch without dropping a delivery.
func (o *Outbox) RotateSecret(ctx context.Context, orgID, id uuid.UUID) (Channel, error) {
	var out Channel
	err := o.db.InTx(ctx, func(ctx context.Context) error {
		row, err := o.channelRow(ctx, orgID, id, true)
		if err != nil {
			return err
		}
		if row.Type != TypeWebhook {
			return apierr.New(apierr.CodeConflict, "only webhook channels have a signing secret")
		}
		sc, err := o.open(row)
		if err != nil {
			return err
		}
		now := o.clock()
		until := now.Add(24 * time.Hour)
		kept := []secretEntry{{Secret: NewSecret()}}
		for _, s := range sc.Secrets {
			switch {
			case s.ExpiresAt == nil:
				s.ExpiresAt = &until
			case !s.ExpiresAt.After(now):
				continue // expired
			}
			kept = append(kept, s)
		}
		sc.Secrets = kept
		row.Sealed, row.UpdatedAt = o.seal(sc), now
		if err := o.db.Conn(ctx).Model(&channelRow{}).Where("id = ?", row.ID).
			Updates(map[string]any{"sealed": row.Sealed, "updated_at": now}).Error; err != nil {
			return fmt.Errorf("rotating secret: %w", err)
		}
		out = row.toChannel(sc.Headers)
		out.Secret = kept[0].Secret
		return nil
	})
	return out, err
}

// TestChannel sends a test event to the channel now, outside the outbox, and reports
// what the endpoint said. It works on a disabled channel too: that is how an operator
// checks an endpoint before enabling it again.
func (o *Outbox) TestChannel(ctx context.Context, orgID, id uuid.UUID) (TestResult, error) {
	row, err := o.channelRow(ctx, orgID, id, false)
	if err != nil {
		return TestResult{}, err
	}
	n, err := o.notifier(row.Type)
	if err != nil {
		return TestResult{}, err
	}
	now := o.clock()
	t, err := o.target(row, now)
	if err != nil {
		return TestResult{}, err
	}
	ev := Event{ID: NewEventID(), Type: EventTest, Timestamp: now, OrgID: orgID,
		Data: EventData{OccurredAt: now, Message: "This is a test event from statusgate."}}
	a := n.Notify(context.WithoutCancel(ctx), t, ev)
	o.stats.count(a)
	return TestResult{EventID: ev.ID, StatusCode: a.StatusCode, Body: a.Body, DurationMS: a.Duration.Milliseconds(), Error: a.Error, Succeeded: a.Succeeded()}, nil
}

// --- deliveries ---

// ListDeliveries returns a page of the channel's deliveries, newest first (Limit+1),
// each with every attempt; status filters when not empty.
func (o *Outbox) ListDeliveries(ctx context.Context, orgID, channelID uuid.UUID, status string, page rest.Page) ([]Delivery, error) {
	switch status {
	case "", deliveryPending, deliveryOK, deliveryFailed:
	default:
		return nil, apierr.Invalid("status", "status must be pending, succeeded or failed")
	}
	if _, err := o.channelRow(ctx, orgID, channelID, false); err != nil {
		return nil, err
	}
	q := o.db.Conn(ctx).Where("channel_id = ?", channelID).Order("id DESC").Limit(page.Limit + 1)
	if status != "" {
		q = q.Where("status = ?", status)
	}
	if page.Cursor != uuid.Nil {
		q = q.Where("id < ?", page.Cursor)
	}
	var rows []deliveryRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("listing deliveries: %w", err)
	}
	return o.withAttempts(ctx, rows)
}

func (o *Outbox) withAttempts(ctx context.Context, rows []deliveryRow) ([]Delivery, error) {
	out := make([]Delivery, len(rows))
	if len(rows) == 0 {
		return out, nil
	}
	ids := make([]uuid.UUID, len(rows))
	evIDs := make([]string, len(rows))
	for i, r := range rows {
		ids[i], evIDs[i] = r.ID, r.EventID
	}
	var atts []attemptRow
	if err := o.db.Conn(ctx).Where("delivery_id IN ?", ids).Order("at, id").Find(&atts).Error; err != nil {
		return nil, fmt.Errorf("reading attempts: %w", err)
	}
	var evs []eventRow
	if err := o.db.Conn(ctx).Select("id, type").Where("id IN ?", evIDs).Find(&evs).Error; err != nil {
		return nil, fmt.Errorf("reading events: %w", err)
	}
	types := map[string]string{}
	for _, e := range evs {
		types[e.ID] = e.Type
	}
	byDelivery := map[uuid.UUID][]AttemptLog{}
	for _, a := range atts {
		byDelivery[a.DeliveryID] = append(byDelivery[a.DeliveryID], a.toLog())
	}
	for i, r := range rows {
		d := Delivery{
			ID: r.ID, EventID: r.EventID, EventType: types[r.EventID], Status: r.Status, AttemptCount: r.AttemptCount,
			CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), Attempts: byDelivery[r.ID],
		}
		if d.Attempts == nil {
			d.Attempts = []AttemptLog{}
		}
		if r.Status == deliveryPending {
			next := r.NextAttemptAt.UTC()
			d.NextAttemptAt = &next
		}
		out[i] = d
	}
	return out, nil
}

// Replay sends a delivery's event to its channel again, as a new delivery with the
// same event id (receivers that already have it drop it as a duplicate). The original
// delivery and its attempts stay as they were.
func (o *Outbox) Replay(ctx context.Context, orgID, channelID, deliveryID uuid.UUID) (Delivery, error) {
	var row deliveryRow
	err := o.db.InTx(ctx, func(ctx context.Context) error {
		if _, err := o.channelRow(ctx, orgID, channelID, false); err != nil {
			return err
		}
		var orig deliveryRow
		err := o.db.Conn(ctx).Where("id = ? AND channel_id = ?", deliveryID, channelID).Take(&orig).Error
		if errors.Is(err, database.ErrNotFound) {
			return apierr.NotFound("delivery")
		}
		if err != nil {
			return fmt.Errorf("reading delivery: %w", err)
		}
		now := o.clock()
		row = deliveryRow{ID: uuid.Must(uuid.NewV7()), EventID: orig.EventID, ChannelID: channelID, Status: deliveryPending,
			NextAttemptAt: now, CreatedAt: now, UpdatedAt: now}
		if err := o.db.Conn(ctx).Create(&row).Error; err != nil {
			return fmt.Errorf("writing replayed delivery: %w", err)
		}
		database.AfterCommit(ctx, o.Wake)
		return nil
	})
	if err != nil {
		return Delivery{}, err
	}
	out, err := o.withAttempts(ctx, []deliveryRow{row})
	if err != nil {
		return Delivery{}, err
	}
	return out[0], nil
}
