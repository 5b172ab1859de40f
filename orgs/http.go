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

// Register adds the API key and organization routes to the authenticated /api/v1
// group. Writes are admin-only through RequireKey, like every other write.
func (s *Store) Register(g *echo.Group) {
	g.GET("/api-keys", s.handleListKeys)
	g.POST("/api-keys", s.handleCreateKey)
	g.DELETE("/api-keys/:id", s.handleRevokeKey)
	g.GET("/organization", s.handleGetOrg)
	g.PATCH("/organization", s.handleUpdateOrg)
}

func (s *Store) handleListKeys(c echo.Context) error {
	p, err := rest.Caller(c)
	if err != nil {
		return err
	}
	page, err := rest.ParsePage(c)
	if err != nil {
		return err
	}
	list, err := s.ListKeys(c.Request().Context(), p.OrgID, page)
	if err != nil {
		return err
	}
	return rest.ListAnswer(c, "api_keys", page, list, func(k APIKey) uuid.UUID { return k.ID })
}

func (s *Store) handleCreateKey(c echo.Context) error {
	p, err := rest.Caller(c)
	if err != nil {
		return err
	}
	var in KeyInput
	if err := rest.Bind(c, &in); err != nil {
		return err
	}
	key, err := s.AddKey(c.Request().Context(), p.OrgID, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, key)
}

func (s *Store) handleRevokeKey(c echo.Context) error {
	p, id, err := rest.CallerAndID(c, "API key")
	if err != nil {
		return err
	}
	if err := s.RevokeKey(c.Request().Context(), p.OrgID, id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Store) handleGetOrg(c echo.Context) error {
	p, err := rest.Caller(c)
	if err != nil {
		return err
	}
	org, err := s.GetOrg(c.Request().Context(), p.OrgID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, org)
}

func (s *Store) handleUpdateOrg(c echo.Context) error {
	p, err := rest.Caller(c)
	if err != nil {
		return err
	}
	var in OrgUpdate
	if err := rest.Bind(c, &in); err != nil {
		return err
	}
	org, err := s.UpdateOrg(c.Request().Context(), p.OrgID, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, org)
}
