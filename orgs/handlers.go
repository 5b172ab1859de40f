package orgs

import (
	"net/http"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/statusgate/statusgate/rest"
)

// The admin API's own routes for keys and the organization live here; http.go holds
// the authentication middleware every admin route runs behind.

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
