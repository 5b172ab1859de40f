package orgs

import (
	"net/url"
	"regexp"
	"strings"
	"time"
	// The binary carries its own time zone database, so validating and showing an
	// organization's time zone does not depend on the host (or a distroless image)
	// having /usr/share/zoneinfo.
	_ "time/tzdata"
	"unicode/utf8"

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

// DefaultTimeZone is an organization's time zone until it sets one.
const DefaultTimeZone = "Etc/UTC"

// Organization is a tenant: every service, receiver and key belongs to exactly one.
// The profile fields (display name to time zone) are what its public page shows; an
// empty one is not set.
type Organization struct {
	ID   uuid.UUID `json:"id"`
	Slug string    `json:"slug"`
	Name string    `json:"name"`
	// DisplayName is the name the public page shows; Name when empty.
	DisplayName string `json:"display_name"`
	// PageTitle is the status page's <title> and feed title; "<name> status" when empty.
	PageTitle string `json:"page_title"`
	// LogoURL is an http(s) image shown beside the name.
	LogoURL string `json:"logo_url"`
	// SupportURL is where the page's "Contact support" link points (http(s) or mailto:).
	SupportURL string `json:"support_url"`
	// TimeZone is the IANA zone the page writes times in.
	TimeZone  string    `json:"time_zone"`
	CreatedAt time.Time `json:"created_at"`
}

// Location is the organization's time zone, UTC when unset or unknown (a zone that
// validated when it was set is always known: the binary carries its own database).
func (o Organization) Location() *time.Location {
	if o.TimeZone == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(o.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

var slugPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// ValidateSlug checks that a slug can stand in a URL path (/status/{slug}).
func ValidateSlug(slug string) error {
	if !slugPattern.MatchString(slug) {
		return apierr.Invalid("slug", "slug %q must be 1-63 characters of a-z, 0-9 and '-', starting with a letter or digit", slug)
	}
	return nil
}

// OrgUpdate is a PATCH of the organization's profile: nil leaves a field as it is,
// "" clears it (time_zone: back to UTC).
type OrgUpdate struct {
	DisplayName *string `json:"display_name"`
	PageTitle   *string `json:"page_title"`
	LogoURL     *string `json:"logo_url"`
	SupportURL  *string `json:"support_url"`
	TimeZone    *string `json:"time_zone"`
}

// Limits on the profile's fields: enough for any real name or address, small enough
// that a page cannot be made to carry a novel in its header.
const (
	maxNameLen = 100
	maxURLLen  = 2048
)

// Validate checks every field given, naming the first bad one.
func (u OrgUpdate) Validate() error {
	if err := validateText("display_name", u.DisplayName, maxNameLen); err != nil {
		return err
	}
	if err := validateText("page_title", u.PageTitle, maxNameLen); err != nil {
		return err
	}
	if err := validateURL("logo_url", u.LogoURL, "http", "https"); err != nil {
		return err
	}
	if err := validateURL("support_url", u.SupportURL, "http", "https", "mailto"); err != nil {
		return err
	}
	if u.TimeZone != nil && *u.TimeZone != "" {
		tz := *u.TimeZone
		// "Local" would be whatever zone the server happens to run in.
		if _, err := time.LoadLocation(tz); err != nil || tz == "Local" {
			return apierr.Invalid("time_zone", "time_zone %q is not an IANA time zone name such as Europe/Berlin or UTC", tz)
		}
	}
	return nil
}

// apply returns org with the update's fields set.
func (u OrgUpdate) apply(org Organization) Organization {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = strings.TrimSpace(*v)
		}
	}
	set(&org.DisplayName, u.DisplayName)
	set(&org.PageTitle, u.PageTitle)
	set(&org.LogoURL, u.LogoURL)
	set(&org.SupportURL, u.SupportURL)
	set(&org.TimeZone, u.TimeZone)
	if org.TimeZone == "" {
		org.TimeZone = DefaultTimeZone
	}
	return org
}

func validateText(field string, v *string, max int) error {
	if v == nil {
		return nil
	}
	s := strings.TrimSpace(*v)
	if utf8.RuneCountInString(s) > max {
		return apierr.Invalid(field, "%s must be at most %d characters", field, max)
	}
	if strings.ContainsFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return apierr.Invalid(field, "%s must be one line of text without control characters", field)
	}
	return nil
}

// validateURL accepts an absolute URL with one of the schemes (and a host, unless
// mailto). Anything else (javascript:, data:, a relative path) could run or load
// what the operator did not mean on every visitor's page.
func validateURL(field string, v *string, schemes ...string) error {
	if v == nil || strings.TrimSpace(*v) == "" {
		return nil
	}
	s := strings.TrimSpace(*v)
	want := strings.Join(schemes, ", ")
	if len(s) > maxURLLen {
		return apierr.Invalid(field, "%s must be at most %d characters", field, maxURLLen)
	}
	u, err := url.Parse(s)
	if err != nil || strings.ContainsAny(s, " \t\r\n") {
		return apierr.Invalid(field, "%s is not a valid URL", field)
	}
	scheme := strings.ToLower(u.Scheme)
	ok := false
	for _, sc := range schemes {
		ok = ok || scheme == sc
	}
	if !ok {
		return apierr.Invalid(field, "%s must be an absolute URL with the scheme %s", field, want)
	}
	if scheme == "mailto" {
		if u.Opaque == "" || !strings.Contains(u.Opaque, "@") {
			return apierr.Invalid(field, "%s: mailto: needs an address", field)
		}
		return nil
	}
	if u.Host == "" || u.User != nil {
		return apierr.Invalid(field, "%s must be an absolute URL with a host and no user name or password", field)
	}
	return nil
}
