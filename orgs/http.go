package orgs

import (
	"net/http"
	"strings"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/statusgate/statusgate/apierr"
	"github.com/statusgate/statusgate/rest"
)

// RequireKey is the admin API's authentication: it reads "Authorization: Bearer <key>",
// stores the caller in the request context, and lets only admin keys write.
func (s *Store) RequireKey() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			scheme, key, ok := strings.Cut(c.Request().Header.Get("Authorization"), " ")
			if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(key) == "" {
				return ErrUnauthorized
			}
			p, err := s.Authenticate(c.Request().Context(), strings.TrimSpace(key))
			if err != nil {
				return err
			}
			if p.Role != RoleAdmin && !isRead(c.Request().Method) {
				return apierr.New(apierr.CodeForbidden, "this API key has the viewer role and can only read")
			}
			c.SetRequest(c.Request().WithContext(WithPrincipal(c.Request().Context(), p)))
			return next(c)
		}
	}
}

func isRead(method string) bool {
	return method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions
}

// Caller returns the principal RequireKey stored. Handlers behind RequireKey call it;
// a missing principal is a wiring bug and answers 401 rather than leaking data.
func Caller(c echo.Context) (Principal, error) {
	p, ok := FromContext(c.Request().Context())
	if !ok {
		return Principal{}, ErrUnauthorized
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
	id, err := rest.PathID(c, "id", kind)
	return p, id, err
}
