package rest

import (
	"context"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/statusgate/statusgate/apierr"
)

// Principal is the authenticated caller of an admin request. It lives here, not in
// orgs, so that every domain handler can learn who is asking without importing the
// package that holds the keys: orgs authenticates and stores it, handlers read it.
type Principal struct {
	OrgID   uuid.UUID
	OrgSlug string
	// Role is the key's role as orgs names it ("admin" or "viewer"). orgs' middleware
	// has already refused writes to viewers by the time a handler runs.
	Role  string
	KeyID uuid.UUID
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p. Only the authentication middleware calls it.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the caller the authentication middleware stored, if any.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// errNoCaller answers a request that reached a handler without a principal: a wiring
// bug (a route outside the authenticated group), answered as a missing key rather
// than with another organization's data. Same code and message as orgs' refusal.
var errNoCaller = apierr.New(apierr.CodeUnauthorized, "missing or invalid API key; send Authorization: Bearer <api key>")

// Caller returns the principal the authentication middleware stored. Handlers behind
// it call this first.
func Caller(c echo.Context) (Principal, error) {
	p, ok := PrincipalFrom(c.Request().Context())
	if !ok {
		return Principal{}, errNoCaller
	}
	return p, nil
}

// CallerAndID returns the caller and the route's :id parameter; an id that is not a
// UUID answers not found for kind, as an unknown one would.
func CallerAndID(c echo.Context, kind string) (Principal, uuid.UUID, error) {
	p, err := Caller(c)
	if err != nil {
		return Principal{}, uuid.Nil, err
	}
	id, err := PathID(c, "id", kind)
	return p, id, err
}
