package orgs

import (
	"regexp"
	"time"

	"github.com/google/uuid"

	"github.com/statusgate/statusgate/apierr"
)

// Role is what an API key may do.
type Role string

// The two roles: admin reads and writes, viewer only reads.
const (
	RoleAdmin  Role = "admin"
	RoleViewer Role = "viewer"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == RoleAdmin || r == RoleViewer }

// DefaultSlug is the organization the first start creates.
const DefaultSlug = "default"

// Organization is a tenant: every service, receiver and key belongs to exactly one.
type Organization struct {
	ID        uuid.UUID `json:"id"`
	Slug      string    `json:"slug"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

var slugPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// ValidateSlug checks that a slug can stand in a URL path (/status/{slug}).
func ValidateSlug(slug string) error {
	if !slugPattern.MatchString(slug) {
		return apierr.Invalid("slug", "slug %q must be 1-63 characters of a-z, 0-9 and '-', starting with a letter or digit", slug)
	}
	return nil
}
