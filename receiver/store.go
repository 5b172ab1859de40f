package receiver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/statusgate/statusgate/apierr"
	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/mapping"
	"github.com/statusgate/statusgate/rest"
	"github.com/statusgate/statusgate/secrets"
	"github.com/statusgate/statusgate/services"
)

type receiverRow struct {
	ID                        uuid.UUID
	OrgID                     uuid.UUID
	Name                      string
	ServiceID                 *uuid.UUID
	ServiceNameField          string
	StatusField               string
	StatusFields              string // JSON list, when status_field is a list
	MessageField              string
	EventIDField              string
	TimestampField            string
	StatusMapping             string
	Preset                    string
	SignatureScheme           string
	SignatureHeader           string
	SignatureSecrets          string
	SignatureToleranceSeconds int
	SignatureParams           string // HMACParams as JSON, "" for a named scheme
	AutoIncidentsEnabled      bool
	AutoIncidentsSeverity     string
	AutoIncidentsOpenAfter    int
	ItemsField                string
	ExpectEverySeconds        int
	SilenceStatus             string
	LastValidDeliveryAt       *time.Time
	SilenceDueAt              *time.Time
	SilencedAt                *time.Time
	Enabled                   bool
	TokenHash                 string
	TokenHint                 string
	CreatedAt                 time.Time
	UpdatedAt                 time.Time `gorm:"autoUpdateTime:false"` // set from the injected clock, never by gorm
}

func (receiverRow) TableName() string { return "receivers" }

// Store keeps receivers and their delivery logs.
type Store struct {
	db        *database.DB
	services  *services.Store
	box       *secrets.Box
	publicURL string
	now       func() time.Time
	tokens    *tokenSet // enabled receivers' token hashes (guard.go)
	prunes    pruneCounter
	// batchLocks locks a batch's receivers and fixed services at once (PostgreSQL).
	batchLocks *batchLocker
}

// StoreConfig is what a Store needs.
type StoreConfig struct {
	DB       *database.DB
	Services *services.Store
	// Box encrypts the signature secrets, which must be read back to verify.
	Box *secrets.Box
	// PublicURL is the base of the receiver URLs handed out.
	PublicURL string
	NowFunc   func() time.Time
}

// NewStore returns a Store.
func NewStore(cfg StoreConfig) *Store {
	now := cfg.NowFunc
	if now == nil {
		now = time.Now
	}
	return &Store{db: cfg.DB, services: cfg.Services, box: cfg.Box, publicURL: strings.TrimRight(cfg.PublicURL, "/"), now: now, tokens: newTokenSet(cfg.DB, now), batchLocks: &batchLocker{db: cfg.DB}}
}

func (s *Store) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

var errReceiverNotFound = apierr.NotFound("receiver")

// URLFor returns the absolute URL a sender posts to.
func (s *Store) URLFor(token string) string {
	return s.publicURL + "/api/webhooks/incoming/" + token
}

// settingsFromCreate validates a create input into settings.
func settingsFromCreate(in CreateInput) (settings, error) {
	words, err := normalizeMapping(in.StatusMapping)
	if err != nil {
		return settings{}, err
	}
	paths, err := in.StatusField.normalized()
	if err != nil {
		return settings{}, err
	}
	st := settings{
		Name:      in.Name,
		ServiceID: in.ServiceID,
		Rules: mapping.Rules{
			MessageField:     strings.TrimSpace(in.MessageField),
			ServiceNameField: strings.TrimSpace(in.ServiceNameField), EventIDField: strings.TrimSpace(in.EventIDField),
			TimestampField: strings.TrimSpace(in.TimestampField), StatusMapping: words,
			Preset: strings.ToLower(strings.TrimSpace(in.Preset)), ItemsField: strings.TrimSpace(in.ItemsField),
		},
		Signature: in.Signature,
		Silence:   Silence{ExpectEverySeconds: in.ExpectEverySeconds, Status: mapping.Status(strings.ToLower(strings.TrimSpace(in.SilenceStatus)))},
		Enabled:   in.Enabled == nil || *in.Enabled,
	}
	if in.AutoIncidents != nil {
		st.AutoIncidents = *in.AutoIncidents
	}
	setStatusPaths(&st.Rules, paths)
	return st, st.validate()
}

// checkService makes sure a fixed target service belongs to the organization.
func (s *Store) checkService(ctx context.Context, orgID uuid.UUID, id *uuid.UUID) error {
	if id == nil {
		return nil
	}
	if _, err := s.services.Get(ctx, orgID, *id); err != nil {
		if apierr.CodeOf(err) == apierr.CodeNotFound {
			return apierr.Invalid("service_id", "service_id %s names no service of this organization", id)
		}
		return err
	}
	return nil
}

// Create adds a receiver with a fresh token. The answer is the only one that shows the
// token, the URL and the signature secrets.
func (s *Store) Create(ctx context.Context, orgID uuid.UUID, in CreateInput) (Receiver, error) {
	st, err := settingsFromCreate(in)
	if err != nil {
		return Receiver{}, err
	}
	if err := s.checkService(ctx, orgID, st.ServiceID); err != nil {
		return Receiver{}, err
	}
	defer s.tokens.beginChange()()
	now := s.clock()
	token := secrets.RandomToken(TokenLength)
	row := receiverRow{ID: uuid.Must(uuid.NewV7()), OrgID: orgID, TokenHash: secrets.Hash(token), TokenHint: secrets.Hint(token), CreatedAt: now, UpdatedAt: now}
	s.applySettings(&row, st)
	row.SilenceDueAt = silenceDue(row, now)
	if err := s.db.Conn(ctx).Create(&row).Error; err != nil {
		return Receiver{}, fmt.Errorf("creating receiver: %w", err)
	}
	return s.revealed(row, token)
}

// applySettings copies validated settings into a row, sealing the secrets.
func (s *Store) applySettings(row *receiverRow, st settings) {
	row.Name, row.ServiceID = st.Name, st.ServiceID
	r := st.Rules
	row.ServiceNameField, row.StatusField, row.MessageField = r.ServiceNameField, r.StatusField, r.MessageField
	row.StatusFields = "[]"
	if len(r.StatusFields) > 0 {
		list, _ := json.Marshal(r.StatusFields)
		row.StatusFields = string(list)
	}
	row.EventIDField, row.TimestampField, row.Preset = r.EventIDField, r.TimestampField, r.Preset
	words, _ := json.Marshal(r.StatusMapping)
	row.StatusMapping = string(words)
	row.SignatureScheme, row.SignatureHeader, row.SignatureSecrets, row.SignatureToleranceSeconds = "", "", "", 0
	row.SignatureParams = ""
	if sig := st.Signature; sig != nil {
		cfg := sig.config()
		list, _ := json.Marshal(sig.secretList())
		row.SignatureScheme, row.SignatureHeader = cfg.Scheme, cfg.Header
		row.SignatureSecrets = s.box.Seal(list)
		row.SignatureToleranceSeconds = sig.ToleranceSeconds
		row.SignatureParams = paramsJSON(sig.normalized())
	}
	a := st.AutoIncidents
	row.AutoIncidentsEnabled, row.AutoIncidentsSeverity, row.AutoIncidentsOpenAfter = a.Enabled, a.Severity, a.OpenAfterSeconds
	row.ItemsField = r.ItemsField
	row.ExpectEverySeconds, row.SilenceStatus = st.Silence.ExpectEverySeconds, string(st.Silence.Status)
	row.Enabled = st.Enabled
}

// silenceDue is when the receiver's sender counts as silent if nothing valid arrives
// after from; nil when the receiver expects nothing.
func silenceDue(row receiverRow, from time.Time) *time.Time {
	if row.ExpectEverySeconds <= 0 {
		return nil
	}
	due := from.Add(time.Duration(row.ExpectEverySeconds) * time.Second)
	return &due
}

// settingsOf reads a row back into settings (secrets decrypted), for an update.
func (s *Store) settingsOf(row receiverRow) (settings, error) {
	st := settings{
		Name: row.Name, ServiceID: row.ServiceID, Enabled: row.Enabled,
		AutoIncidents: AutoIncidents{Enabled: row.AutoIncidentsEnabled, Severity: row.AutoIncidentsSeverity, OpenAfterSeconds: row.AutoIncidentsOpenAfter},
		Silence:       Silence{ExpectEverySeconds: row.ExpectEverySeconds, Status: mapping.Status(row.SilenceStatus)},
	}
	rules, err := rulesOf(row)
	if err != nil {
		return settings{}, err
	}
	st.Rules = rules
	if row.SignatureScheme != "" {
		list, err := s.secretsOf(row)
		if err != nil {
			return settings{}, err
		}
		st.Signature = &SignatureInput{Scheme: row.SignatureScheme, Header: row.SignatureHeader, Secrets: list, ToleranceSeconds: row.SignatureToleranceSeconds, HMACParams: paramsOf(row)}
	}
	return st, nil
}

func rulesOf(row receiverRow) (mapping.Rules, error) {
	words := map[string]mapping.Status{}
	if err := json.Unmarshal([]byte(row.StatusMapping), &words); err != nil {
		return mapping.Rules{}, fmt.Errorf("receiver %s: stored status_mapping: %w", row.ID, err)
	}
	var paths []string
	if row.StatusFields != "" {
		if err := json.Unmarshal([]byte(row.StatusFields), &paths); err != nil {
			return mapping.Rules{}, fmt.Errorf("receiver %s: stored status_fields: %w", row.ID, err)
		}
	}
	return mapping.Rules{
		StatusField: row.StatusField, StatusFields: paths, MessageField: row.MessageField, ServiceNameField: row.ServiceNameField,
		EventIDField: row.EventIDField, TimestampField: row.TimestampField, StatusMapping: words, Preset: row.Preset,
		ItemsField: row.ItemsField, FixedService: row.ServiceID != nil,
	}, nil
}

func (s *Store) secretsOf(row receiverRow) ([]string, error) {
	if row.SignatureSecrets == "" {
		return nil, nil
	}
	plain, err := s.box.Open(row.SignatureSecrets)
	if err != nil {
		return nil, fmt.Errorf("receiver %s: %w", row.ID, err)
	}
	var list []string
	if err := json.Unmarshal(plain, &list); err != nil {
		return nil, fmt.Errorf("receiver %s: stored secrets: %w", row.ID, err)
	}
	return list, nil
}

// toReceiver is the API view of a row: no token, no secrets.
func toReceiver(row receiverRow) Receiver {
	words := map[string]mapping.Status{}
	_ = json.Unmarshal([]byte(row.StatusMapping), &words)
	r := Receiver{
		ID: row.ID, orgID: row.OrgID, Name: row.Name, ServiceID: row.ServiceID, ServiceNameField: row.ServiceNameField,
		MessageField: row.MessageField, EventIDField: row.EventIDField,
		TimestampField: row.TimestampField, StatusMapping: words, Preset: row.Preset, Enabled: row.Enabled,
		AutoIncidents: services.IncidentPolicy{Enabled: row.AutoIncidentsEnabled, Severity: row.AutoIncidentsSeverity, OpenAfterSeconds: row.AutoIncidentsOpenAfter},
		ItemsField:    row.ItemsField, ExpectEverySeconds: row.ExpectEverySeconds, SilenceStatus: mapping.Status(row.SilenceStatus),
		LastValidDeliveryAt: utcPtr(row.LastValidDeliveryAt), SilencedAt: utcPtr(row.SilencedAt),
		TokenHint: row.TokenHint, CreatedAt: row.CreatedAt.UTC(), UpdatedAt: row.UpdatedAt.UTC(),
	}
	// Show the paths a delivery is really read with: the receiver's own, else its
	// preset's, else the defaults.
	preset, _ := mapping.LookupPreset(row.Preset)
	if rules, err := rulesOf(row); err == nil {
		r.StatusField = statusPaths(rules)
	}
	if len(r.StatusField) == 0 {
		r.StatusField = statusPaths(mapping.Rules{StatusField: preset.StatusField})
		for _, p := range preset.StatusFields {
			r.StatusField = append(r.StatusField, p)
		}
	}
	if len(r.StatusField) == 0 {
		r.StatusField = PathList{mapping.DefaultStatusField}
	}
	r.MessageField = firstNonEmpty(r.MessageField, preset.MessageField, mapping.DefaultMessageField)
	r.TimestampField = firstNonEmpty(r.TimestampField, preset.TimestampField)
	r.ItemsField = firstNonEmpty(r.ItemsField, preset.ItemsField)
	if row.ServiceID == nil {
		r.ServiceNameField = firstNonEmpty(r.ServiceNameField, preset.ServiceNameField)
	}
	if row.SignatureScheme != "" {
		cfg := mapping.SignatureConfig{Scheme: row.SignatureScheme, Header: row.SignatureHeader}
		r.Signature = &Signature{Scheme: row.SignatureScheme, Header: cfg.HeaderName(), ToleranceSeconds: row.SignatureToleranceSeconds, HMACParams: paramsOf(row)}
	}
	return r
}

// revealed is the view of a row that create and rotate-token answer with.
func (s *Store) revealed(row receiverRow, token string) (Receiver, error) {
	r := toReceiver(row)
	r.Token, r.URL = token, s.URLFor(token)
	if r.Signature != nil {
		list, err := s.secretsOf(row)
		if err != nil {
			return Receiver{}, err
		}
		r.Signature.Secrets, r.Signature.SecretCount = list, len(list)
	}
	return r, nil
}

func (s *Store) getRow(ctx context.Context, orgID, id uuid.UUID, lock bool) (receiverRow, error) {
	var row receiverRow
	q := s.db.Conn(ctx)
	if lock {
		q = s.db.ForUpdate(q)
	}
	err := q.Where("id = ? AND org_id = ?", id, orgID).Take(&row).Error
	if errors.Is(err, database.ErrNotFound) {
		return row, errReceiverNotFound
	}
	if err != nil {
		return row, fmt.Errorf("reading receiver: %w", err)
	}
	return row, nil
}

// Get returns one receiver of the organization.
func (s *Store) Get(ctx context.Context, orgID, id uuid.UUID) (Receiver, error) {
	row, err := s.getRow(ctx, orgID, id, false)
	if err != nil {
		return Receiver{}, err
	}
	return s.withSecretCount(row), nil
}

func (s *Store) withSecretCount(row receiverRow) Receiver {
	r := toReceiver(row)
	if r.Signature != nil {
		if list, err := s.secretsOf(row); err == nil {
			r.Signature.SecretCount = len(list)
		}
	}
	return r
}

// List returns a page of the organization's receivers, oldest first: up to
// page.Limit+1 of them, the extra one telling rest.ListAnswer that a next page exists.
func (s *Store) List(ctx context.Context, orgID uuid.UUID, page rest.Page) ([]Receiver, error) {
	q := s.db.Conn(ctx).Where("org_id = ?", orgID).Order("id").Limit(page.Limit + 1)
	if page.Cursor != uuid.Nil {
		q = q.Where("id > ?", page.Cursor)
	}
	var rows []receiverRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("listing receivers: %w", err)
	}
	out := make([]Receiver, len(rows))
	for i, r := range rows {
		out[i] = s.withSecretCount(r)
	}
	return out, nil
}

// Update changes a receiver's settings; its token stays.
func (s *Store) Update(ctx context.Context, orgID, id uuid.UUID, in UpdateInput) (Receiver, error) {
	defer s.tokens.beginChange()()
	var out Receiver
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		row, err := s.getRow(ctx, orgID, id, true)
		if err != nil {
			return err
		}
		st, err := s.settingsOf(row)
		if err != nil {
			return err
		}
		if err := mergeUpdate(&st, in); err != nil {
			return err
		}
		if err := st.validate(); err != nil {
			return err
		}
		if in.ServiceID != nil {
			if err := s.checkService(ctx, orgID, st.ServiceID); err != nil {
				return err
			}
		}
		before := row
		s.applySettings(&row, st)
		row.UpdatedAt = s.clock()
		restartSilenceWait(before, &row, row.UpdatedAt)
		if err := s.db.Conn(ctx).Select("*").Save(&row).Error; err != nil {
			return fmt.Errorf("updating receiver: %w", err)
		}
		out = s.withSecretCount(row)
		return nil
	})
	return out, err
}

// mergeUpdate lays the given fields of an update over the current settings.
func mergeUpdate(st *settings, in UpdateInput) error {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = strings.TrimSpace(*src)
		}
	}
	if in.Name != nil {
		st.Name = *in.Name
	}
	if in.ServiceID != nil {
		st.ServiceID, st.Rules.ServiceNameField = in.ServiceID, ""
	}
	if in.ServiceNameField != nil {
		set(&st.Rules.ServiceNameField, in.ServiceNameField)
		if st.Rules.ServiceNameField != "" && in.ServiceID == nil {
			st.ServiceID = nil
		}
	}
	if in.StatusField != nil {
		paths, err := in.StatusField.normalized()
		if err != nil {
			return err
		}
		setStatusPaths(&st.Rules, paths)
	}
	set(&st.Rules.MessageField, in.MessageField)
	set(&st.Rules.EventIDField, in.EventIDField)
	set(&st.Rules.TimestampField, in.TimestampField)
	if in.Preset != nil {
		st.Rules.Preset = strings.ToLower(strings.TrimSpace(*in.Preset))
	}
	if in.StatusMapping != nil {
		words, err := normalizeMapping(*in.StatusMapping)
		if err != nil {
			return err
		}
		st.Rules.StatusMapping = words
	}
	if in.Signature.Set {
		st.Signature = in.Signature.Value
	}
	if in.AutoIncidents != nil {
		st.AutoIncidents = *in.AutoIncidents
	}
	if in.Enabled != nil {
		st.Enabled = *in.Enabled
	}
	set(&st.Rules.ItemsField, in.ItemsField)
	if in.ExpectEverySeconds != nil {
		st.Silence.ExpectEverySeconds = *in.ExpectEverySeconds
	}
	if in.SilenceStatus != nil {
		st.Silence.Status = mapping.Status(strings.ToLower(strings.TrimSpace(*in.SilenceStatus)))
	}
	return nil
}

// restartSilenceWait starts the wait for the sender anew when an update changes what
// it waits for (the interval, the service, enabling): a receiver enabled after a week
// must not go silent on the next sweep. Turning expect_every_seconds off ends a
// silence; the service keeps its status until the sender or an operator changes it.
func restartSilenceWait(before receiverRow, row *receiverRow, now time.Time) {
	if row.ExpectEverySeconds == 0 {
		row.SilenceDueAt, row.SilencedAt = nil, nil
		return
	}
	sameService := before.ServiceID != nil && row.ServiceID != nil && *before.ServiceID == *row.ServiceID
	if before.ExpectEverySeconds != row.ExpectEverySeconds || before.Enabled != row.Enabled || !sameService {
		row.SilenceDueAt = silenceDue(*row, now)
	}
	if !sameService {
		// The new service was never silenced by this receiver.
		row.SilencedAt = nil
	}
}

// Delete removes a receiver and its delivery log.
func (s *Store) Delete(ctx context.Context, orgID, id uuid.UUID) error {
	defer s.tokens.beginChange()()
	res := s.db.Conn(ctx).Where("id = ? AND org_id = ?", id, orgID).Delete(&receiverRow{})
	if res.Error != nil {
		return fmt.Errorf("deleting receiver: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return errReceiverNotFound
	}
	return nil
}

// RotateToken gives the receiver a new token at once; the old one stops working.
func (s *Store) RotateToken(ctx context.Context, orgID, id uuid.UUID) (Receiver, error) {
	defer s.tokens.beginChange()()
	token := secrets.RandomToken(TokenLength)
	var out Receiver
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		row, err := s.getRow(ctx, orgID, id, true)
		if err != nil {
			return err
		}
		row.TokenHash, row.TokenHint, row.UpdatedAt = secrets.Hash(token), secrets.Hint(token), s.clock()
		if err := s.db.Conn(ctx).Model(&receiverRow{}).Where("id = ?", row.ID).
			Updates(map[string]any{"token_hash": row.TokenHash, "token_hint": row.TokenHint, "updated_at": row.UpdatedAt}).Error; err != nil {
			return fmt.Errorf("rotating token: %w", err)
		}
		out, err = s.revealed(row, token)
		return err
	})
	return out, err
}

// active is a receiver as the inbound path needs it.
type active struct {
	row       receiverRow
	rules     mapping.Rules
	signature *mapping.SignatureConfig
	gen       uint64 // the token set's generation it was cached at; 0: not cached
}

// errUnknownToken answers a token no enabled receiver has.
var errUnknownToken = apierr.New(apierr.CodeNotFound, "no receiver has this token, or it is disabled")

// activeByHash finds the enabled receiver whose token has the hash, through the
// cache of receiver configurations: a hit costs no statement, a miss one (SELECT
// receivers by token_hash), whose answer is cached.
func (s *Store) activeByHash(ctx context.Context, hash string) (active, error) {
	a, ok, gen := s.tokens.config(hash)
	if ok {
		return a, nil
	}
	var row receiverRow
	err := s.db.Conn(ctx).Where("token_hash = ?", hash).Take(&row).Error
	if errors.Is(err, database.ErrNotFound) || (err == nil && !row.Enabled) {
		return active{}, errUnknownToken
	}
	if err != nil {
		return active{}, fmt.Errorf("looking up receiver token: %w", err)
	}
	if a, err = s.activeOf(row); err != nil {
		return active{}, err
	}
	return s.tokens.remember(hash, a, gen), nil
}

// sameConfig reports whether two reads of a receiver agree on everything a delivery
// is evaluated with: all but the fields deliveries and the silence sweep write
// (last_valid_delivery_at, silence_due_at, silenced_at).
func sameConfig(a, b receiverRow) bool {
	if !a.CreatedAt.Equal(b.CreatedAt) || !a.UpdatedAt.Equal(b.UpdatedAt) ||
		(a.ServiceID == nil) != (b.ServiceID == nil) || (a.ServiceID != nil && *a.ServiceID != *b.ServiceID) {
		return false
	}
	for _, r := range []*receiverRow{&a, &b} {
		r.CreatedAt, r.UpdatedAt, r.ServiceID = time.Time{}, time.Time{}, nil
		r.LastValidDeliveryAt, r.SilenceDueAt, r.SilencedAt = nil, nil, nil
	}
	return a == b
}

func (s *Store) activeOf(row receiverRow) (active, error) {
	rules, err := rulesOf(row)
	if err != nil {
		return active{}, err
	}
	a := active{row: row, rules: rules}
	if row.SignatureScheme != "" {
		list, err := s.secretsOf(row)
		if err != nil {
			return active{}, err
		}
		in := SignatureInput{Scheme: row.SignatureScheme, Header: row.SignatureHeader, Secrets: list, ToleranceSeconds: row.SignatureToleranceSeconds, HMACParams: paramsOf(row)}
		cfg := in.config()
		a.signature = &cfg
	}
	return a, nil
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// paramsJSON is the signature_params column: "" when there are none.
func paramsJSON(p HMACParams) string {
	if p == (HMACParams{}) {
		return ""
	}
	data, _ := json.Marshal(p)
	return string(data)
}

// paramsOf reads signature_params back. A value that does not decode leaves the
// params empty, so the generic scheme fails closed on its defaults' signatures
// rather than the receiver failing to load.
func paramsOf(row receiverRow) HMACParams {
	var p HMACParams
	if row.SignatureParams != "" {
		_ = json.Unmarshal([]byte(row.SignatureParams), &p)
	}
	return p
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
