package orgs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/statusgate/statusgate/apierr"
	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/rest"
	"github.com/statusgate/statusgate/secrets"
)

// keyPrefix marks statusgate API keys so secret scanners and people can tell them apart.
const keyPrefix = "sgk_"

type orgRow struct {
	ID          uuid.UUID
	Slug        string
	Name        string
	DisplayName string
	PageTitle   string
	LogoURL     string
	SupportURL  string
	TimeZone    string
	CreatedAt   time.Time
}

func (orgRow) TableName() string { return "organizations" }

func (r orgRow) toOrganization() Organization {
	return Organization{
		ID: r.ID, Slug: r.Slug, Name: r.Name,
		DisplayName: r.DisplayName, PageTitle: r.PageTitle, LogoURL: r.LogoURL,
		SupportURL: r.SupportURL, TimeZone: r.TimeZone, CreatedAt: r.CreatedAt.UTC(),
	}
}

type keyRow struct {
	ID         uuid.UUID
	OrgID      uuid.UUID
	Role       string
	Name       string
	KeyHash    string
	Hint       string
	CreatedAt  time.Time
	LastUsedAt *time.Time
	ExpiresAt  *time.Time
}

func (keyRow) TableName() string { return "api_keys" }

func (r keyRow) toAPIKey() APIKey {
	return APIKey{
		ID: r.ID, Name: r.Name, Role: Role(r.Role), Prefix: keyPrefix, Hint: r.Hint,
		CreatedAt: r.CreatedAt.UTC(), LastUsedAt: utcPtr(r.LastUsedAt), ExpiresAt: utcPtr(r.ExpiresAt),
	}
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// Store keeps organizations and API keys.
type Store struct {
	db  *database.DB
	now func() time.Time
}

// NewStore returns a Store; nowFunc is the clock (time.Now when nil).
func NewStore(db *database.DB, nowFunc func() time.Time) *Store {
	if nowFunc == nil {
		nowFunc = time.Now
	}
	return &Store{db: db, now: nowFunc}
}

func (s *Store) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// Bootstrap creates the organization "default" and one admin key when the database has
// no organization yet. It returns the key only when it made one.
func (s *Store) Bootstrap(ctx context.Context) (key string, err error) {
	err = s.db.InTx(ctx, func(ctx context.Context) error {
		var n int64
		if err := s.db.Conn(ctx).Model(&orgRow{}).Count(&n).Error; err != nil {
			return fmt.Errorf("counting organizations: %w", err)
		}
		if n > 0 {
			return nil
		}
		_, key, err = s.createOrg(ctx, DefaultSlug, "Default")
		return err
	})
	if errors.Is(err, database.ErrDuplicate) {
		// Another instance bootstrapped at the same moment; its key was printed there.
		return "", nil
	}
	return key, err
}

// CreateOrg creates an organization and its first admin key.
func (s *Store) CreateOrg(ctx context.Context, slug, name string) (Organization, string, error) {
	if err := ValidateSlug(slug); err != nil {
		return Organization{}, "", err
	}
	if name == "" {
		name = slug
	}
	var (
		org Organization
		key string
	)
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var err error
		org, key, err = s.createOrg(ctx, slug, name)
		return err
	})
	if errors.Is(err, database.ErrDuplicate) {
		return Organization{}, "", apierr.New(apierr.CodeConflict, "organization %q already exists", slug)
	}
	return org, key, err
}

func (s *Store) createOrg(ctx context.Context, slug, name string) (Organization, string, error) {
	row := orgRow{ID: uuid.Must(uuid.NewV7()), Slug: slug, Name: name, TimeZone: DefaultTimeZone, CreatedAt: s.clock()}
	if err := s.db.Conn(ctx).Create(&row).Error; err != nil {
		return Organization{}, "", fmt.Errorf("creating organization %q: %w", slug, err)
	}
	key, err := s.createKey(ctx, row.ID, KeyInput{Role: RoleAdmin, Name: "bootstrap"})
	return row.toOrganization(), key.Key, err
}

// CreateKey makes a new API key that never expires for the organization with the
// given slug and returns it; only its hash is stored, so this is the one time it can
// be read.
func (s *Store) CreateKey(ctx context.Context, orgSlug string, role Role, name string) (string, error) {
	if !role.Valid() {
		return "", apierr.Invalid("role", "role %q must be admin or viewer", role)
	}
	org, err := s.OrgBySlug(ctx, orgSlug)
	if err != nil {
		return "", err
	}
	key, err := s.AddKey(ctx, org.ID, KeyInput{Role: role, Name: name})
	return key.Key, err
}

// AddKey makes a new API key for the organization. The answer is the only place the
// key itself ever appears.
func (s *Store) AddKey(ctx context.Context, orgID uuid.UUID, in KeyInput) (NewAPIKey, error) {
	if err := in.Validate(s.clock()); err != nil {
		return NewAPIKey{}, err
	}
	return s.createKey(ctx, orgID, in)
}

func (s *Store) createKey(ctx context.Context, orgID uuid.UUID, in KeyInput) (NewAPIKey, error) {
	key := keyPrefix + secrets.RandomToken(40)
	now := s.clock()
	row := keyRow{
		ID: uuid.Must(uuid.NewV7()), OrgID: orgID, Role: string(in.Role), Name: in.Name,
		KeyHash: secrets.Hash(key), Hint: secrets.Hint(key), CreatedAt: now, ExpiresAt: in.expiry(now),
	}
	if err := s.db.Conn(ctx).Create(&row).Error; err != nil {
		return NewAPIKey{}, fmt.Errorf("creating API key: %w", err)
	}
	return NewAPIKey{APIKey: row.toAPIKey(), Key: key}, nil
}

// ListKeys returns a page of the organization's keys, oldest first (Limit+1 of them,
// as rest.ListAnswer expects), expired ones included so they can be revoked.
func (s *Store) ListKeys(ctx context.Context, orgID uuid.UUID, page rest.Page) ([]APIKey, error) {
	q := s.db.Conn(ctx).Where("org_id = ?", orgID)
	if page.Cursor != uuid.Nil {
		q = q.Where("id > ?", page.Cursor)
	}
	var rows []keyRow
	if err := q.Order("id").Limit(page.Limit + 1).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("listing API keys: %w", err)
	}
	out := make([]APIKey, len(rows))
	for i, r := range rows {
		out[i] = r.toAPIKey()
	}
	return out, nil
}

// ErrLastAdminKey refuses to revoke the only admin key of an organization that still
// works, which would leave nobody able to manage it through the API.
var ErrLastAdminKey = apierr.New(apierr.CodeConflict, "this is the organization's last working admin key; create another admin key before revoking it (statusgate apikey create can always make one)")

// RevokeKey deletes one of the organization's keys. Every request reads its key from
// the database, so the key answers 401 from the next request on, on every instance.
func (s *Store) RevokeKey(ctx context.Context, orgID, id uuid.UUID) error {
	return s.db.InTx(ctx, func(ctx context.Context) error {
		// The organization's row serializes revocations, so two admins revoking the
		// last two admin keys at once cannot both succeed.
		var org orgRow
		if err := s.db.ForUpdate(s.db.Conn(ctx)).Where("id = ?", orgID).Take(&org).Error; err != nil {
			return fmt.Errorf("locking organization: %w", err)
		}
		var row keyRow
		err := s.db.Conn(ctx).Where("id = ? AND org_id = ?", id, orgID).Take(&row).Error
		if errors.Is(err, database.ErrNotFound) {
			return apierr.NotFound("API key")
		}
		if err != nil {
			return fmt.Errorf("reading API key: %w", err)
		}
		if Role(row.Role) == RoleAdmin && !row.expired(s.clock()) {
			var others int64
			err := s.db.Conn(ctx).Model(&keyRow{}).
				Where("org_id = ? AND id <> ? AND role = ? AND (expires_at IS NULL OR expires_at > ?)", orgID, id, string(RoleAdmin), s.clock()).
				Count(&others).Error
			if err != nil {
				return fmt.Errorf("counting admin keys: %w", err)
			}
			if others == 0 {
				return ErrLastAdminKey
			}
		}
		if err := s.db.Conn(ctx).Where("id = ? AND org_id = ?", id, orgID).Delete(&keyRow{}).Error; err != nil {
			return fmt.Errorf("revoking API key: %w", err)
		}
		return nil
	})
}

func (r keyRow) expired(now time.Time) bool { return r.ExpiresAt != nil && !now.Before(*r.ExpiresAt) }

// GetOrg returns the organization with the given id.
func (s *Store) GetOrg(ctx context.Context, id uuid.UUID) (Organization, error) {
	var row orgRow
	err := s.db.Conn(ctx).Where("id = ?", id).Take(&row).Error
	if errors.Is(err, database.ErrNotFound) {
		return Organization{}, apierr.NotFound("organization")
	}
	if err != nil {
		return Organization{}, fmt.Errorf("reading organization: %w", err)
	}
	return row.toOrganization(), nil
}

// UpdateOrg changes the organization's profile.
func (s *Store) UpdateOrg(ctx context.Context, id uuid.UUID, in OrgUpdate) (Organization, error) {
	if err := in.Validate(); err != nil {
		return Organization{}, err
	}
	var org Organization
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var row orgRow
		err := s.db.ForUpdate(s.db.Conn(ctx)).Where("id = ?", id).Take(&row).Error
		if errors.Is(err, database.ErrNotFound) {
			return apierr.NotFound("organization")
		}
		if err != nil {
			return fmt.Errorf("reading organization: %w", err)
		}
		org = in.apply(row.toOrganization())
		err = s.db.Conn(ctx).Model(&orgRow{}).Where("id = ?", id).Updates(map[string]any{
			"display_name": org.DisplayName, "page_title": org.PageTitle, "logo_url": org.LogoURL,
			"support_url": org.SupportURL, "time_zone": org.TimeZone,
		}).Error
		if err != nil {
			return fmt.Errorf("updating organization: %w", err)
		}
		return nil
	})
	return org, err
}

// OrgBySlug returns the organization with the given slug.
func (s *Store) OrgBySlug(ctx context.Context, slug string) (Organization, error) {
	var row orgRow
	err := s.db.Conn(ctx).Where("slug = ?", slug).Take(&row).Error
	if errors.Is(err, database.ErrNotFound) {
		return Organization{}, apierr.NotFound("organization")
	}
	if err != nil {
		return Organization{}, fmt.Errorf("reading organization: %w", err)
	}
	return row.toOrganization(), nil
}

// ErrUnauthorized answers a missing or unknown API key.
var ErrUnauthorized = apierr.New(apierr.CodeUnauthorized, "missing or invalid API key; send Authorization: Bearer <api key>")

// lastUsedEvery is how stale last_used_at may get: a key's request writes it only
// when it is older than this, so a busy key costs one write a minute, not one a request.
const lastUsedEvery = time.Minute

// Authenticate returns the principal an API key stands for. It reads the database on
// every call (one indexed query; no cache to invalidate), so a revoked key is refused
// at once on every instance, and an expired one from the moment it expires.
func (s *Store) Authenticate(ctx context.Context, key string) (rest.Principal, error) {
	var row struct {
		KeyID      uuid.UUID
		OrgID      uuid.UUID
		Slug       string
		Role       string
		ExpiresAt  *time.Time
		LastUsedAt *time.Time
	}
	err := s.db.Conn(ctx).Table("api_keys").
		Select("api_keys.id AS key_id, api_keys.org_id, organizations.slug, api_keys.role, api_keys.expires_at, api_keys.last_used_at").
		Joins("JOIN organizations ON organizations.id = api_keys.org_id").
		Where("api_keys.key_hash = ?", secrets.Hash(key)).
		Take(&row).Error
	if errors.Is(err, database.ErrNotFound) {
		return rest.Principal{}, ErrUnauthorized
	}
	if err != nil {
		return rest.Principal{}, fmt.Errorf("authenticating API key: %w", err)
	}
	now := s.clock()
	if row.ExpiresAt != nil && !now.Before(*row.ExpiresAt) {
		return rest.Principal{}, apierr.New(apierr.CodeUnauthorized, "this API key expired at %s; create a new one", row.ExpiresAt.UTC().Format(time.RFC3339))
	}
	if row.LastUsedAt == nil || now.Sub(*row.LastUsedAt) >= lastUsedEvery {
		// The condition repeats the check in SQL so instances racing on one key
		// write once between them.
		err := s.db.Conn(ctx).Model(&keyRow{}).
			Where("id = ? AND (last_used_at IS NULL OR last_used_at <= ?)", row.KeyID, now.Add(-lastUsedEvery)).
			Update("last_used_at", now).Error
		if err != nil {
			return rest.Principal{}, fmt.Errorf("recording the API key's last use: %w", err)
		}
	}
	return rest.Principal{OrgID: row.OrgID, OrgSlug: row.Slug, Role: row.Role, KeyID: row.KeyID}, nil
}
