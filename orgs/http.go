package orgs

import (
	"net/http"
	"strings"

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
			if Role(p.Role) != RoleAdmin && !isRead(c.Request().Method) {
				return apierr.New(apierr.CodeForbidden, "this API key has the viewer role and can only read")
			}
			c.SetRequest(c.Request().WithContext(rest.WithPrincipal(c.Request().Context(), p)))
			return next(c)
		}
	}
}

func isRead(method string) bool {
	return method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions
}
