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
	ID        uuid.UUID
	Slug      string
	Name      string
	CreatedAt time.Time
}

func (orgRow) TableName() string { return "organizations" }

func (r orgRow) toOrganization() Organization {
	return Organization{ID: r.ID, Slug: r.Slug, Name: r.Name, CreatedAt: r.CreatedAt.UTC()}
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
}

func (keyRow) TableName() string { return "api_keys" }

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
	row := orgRow{ID: uuid.Must(uuid.NewV7()), Slug: slug, Name: name, CreatedAt: s.clock()}
	if err := s.db.Conn(ctx).Create(&row).Error; err != nil {
		return Organization{}, "", fmt.Errorf("creating organization %q: %w", slug, err)
	}
	key, err := s.createKey(ctx, row.ID, RoleAdmin, "bootstrap")
	return row.toOrganization(), key, err
}

// CreateKey makes a new API key for the organization with the given slug and returns
// it; only its hash is stored, so this is the one time it can be read.
func (s *Store) CreateKey(ctx context.Context, orgSlug string, role Role, name string) (string, error) {
	if !role.Valid() {
		return "", apierr.Invalid("role", "role %q must be admin or viewer", role)
	}
	org, err := s.OrgBySlug(ctx, orgSlug)
	if err != nil {
		return "", err
	}
	return s.createKey(ctx, org.ID, role, name)
}

func (s *Store) createKey(ctx context.Context, orgID uuid.UUID, role Role, name string) (string, error) {
	key := keyPrefix + secrets.RandomToken(40)
	row := keyRow{
		ID: uuid.Must(uuid.NewV7()), OrgID: orgID, Role: string(role), Name: name,
		KeyHash: secrets.Hash(key), Hint: secrets.Hint(key), CreatedAt: s.clock(),
	}
	if err := s.db.Conn(ctx).Create(&row).Error; err != nil {
		return "", fmt.Errorf("creating API key: %w", err)
	}
	return key, nil
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

// Authenticate returns the principal an API key stands for.
func (s *Store) Authenticate(ctx context.Context, key string) (rest.Principal, error) {
	var row struct {
		KeyID uuid.UUID
		OrgID uuid.UUID
		Slug  string
		Role  string
	}
	err := s.db.Conn(ctx).Table("api_keys").
		Select("api_keys.id AS key_id, api_keys.org_id, organizations.slug, api_keys.role").
		Joins("JOIN organizations ON organizations.id = api_keys.org_id").
		Where("api_keys.key_hash = ?", secrets.Hash(key)).
		Take(&row).Error
	if errors.Is(err, database.ErrNotFound) {
		return rest.Principal{}, ErrUnauthorized
	}
	if err != nil {
		return rest.Principal{}, fmt.Errorf("authenticating API key: %w", err)
	}
	return rest.Principal{OrgID: row.OrgID, OrgSlug: row.Slug, Role: row.Role, KeyID: row.KeyID}, nil
}
