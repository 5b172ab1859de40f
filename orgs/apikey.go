package orgs

import (
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/statusgate/statusgate/apierr"
)

// APIKey is what the API shows of a key after it was created: never the key itself,
// only its last four characters (Hint), which is enough to tell keys apart.
type APIKey struct {
	ID   uuid.UUID `json:"id"`
	Name string    `json:"name"`
	Role Role      `json:"role"`
	// Prefix is what every statusgate key starts with ("sgk_"), Hint its last four
	// characters: together "sgk_…abcd" is how a list tells keys apart.
	Prefix    string    `json:"prefix"`
	Hint      string    `json:"hint"`
	CreatedAt time.Time `json:"created_at"`
	// LastUsedAt is updated at most once a minute per key (lastUsedEvery), so it is
	// accurate to the minute and reading the API does not write on every request.
	LastUsedAt *time.Time `json:"last_used_at"`
	// ExpiresAt is when the key stops working; nil never.
	ExpiresAt *time.Time `json:"expires_at"`
}

// NewAPIKey is the answer to creating a key: the key itself, shown this once.
type NewAPIKey struct {
	APIKey
	Key string `json:"key"`
}

// KeyInput is a new key's settings. At most one of ExpiresAt and ExpiresInDays.
type KeyInput struct {
	Name string `json:"name"`
	Role Role   `json:"role"`
	// ExpiresAt is an absolute end (RFC 3339), ExpiresInDays one relative to now.
	ExpiresAt     *time.Time `json:"expires_at"`
	ExpiresInDays *int       `json:"expires_in_days"`
}

// MaxKeyDays bounds expires_in_days (ten years): anything longer is "never" in
// practice, and the bound keeps the arithmetic far from overflow.
const MaxKeyDays = 3650

// Validate checks the input against the current time now.
func (in KeyInput) Validate(now time.Time) error {
	if !in.Role.Valid() {
		return apierr.Invalid("role", "role %q must be admin or viewer", in.Role)
	}
	if utf8.RuneCountInString(in.Name) > maxNameLen {
		return apierr.Invalid("name", "name must be at most %d characters", maxNameLen)
	}
	if in.ExpiresAt != nil && in.ExpiresInDays != nil {
		return apierr.Invalid("expires_at", "give expires_at or expires_in_days, not both")
	}
	if in.ExpiresAt != nil && !in.ExpiresAt.After(now) {
		return apierr.Invalid("expires_at", "expires_at must be in the future")
	}
	if d := in.ExpiresInDays; d != nil && (*d < 1 || *d > MaxKeyDays) {
		return apierr.Invalid("expires_in_days", "expires_in_days must be a whole number from 1 to %d", MaxKeyDays)
	}
	return nil
}

// expiry is when a key made now with this input expires, nil for never.
func (in KeyInput) expiry(now time.Time) *time.Time {
	switch {
	case in.ExpiresAt != nil:
		t := in.ExpiresAt.UTC().Truncate(time.Microsecond)
		return &t
	case in.ExpiresInDays != nil:
		t := now.Add(time.Duration(*in.ExpiresInDays) * 24 * time.Hour)
		return &t
	}
	return nil
}
