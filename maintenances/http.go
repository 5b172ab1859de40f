package maintenances

import (
	"net/http"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/statusgate/statusgate/rest"
)

// Register adds the maintenance routes to the authenticated /api/v1 group; viewers
// are refused the writes before a handler runs.
func (s *Store) Register(g *echo.Group) {
	g.POST("/maintenances", s.handleCreate)
	g.GET("/maintenances", s.handleList)
	g.GET("/maintenances/:id", s.handleGet)
	g.PATCH("/maintenances/:id", s.handleUpdate)
	g.DELETE("/maintenances/:id", s.handleDelete)
}

func (s *Store) handleCreate(c echo.Context) error {
	p, err := rest.Caller(c)
	if err != nil {
		return err
	}
	var in CreateInput
	if err := rest.Bind(c, &in); err != nil {
		return err
	}
	m, err := s.Create(c.Request().Context(), p.OrgID, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, m)
}

func (s *Store) handleList(c echo.Context) error {
	p, err := rest.Caller(c)
	if err != nil {
		return err
	}
	page, err := rest.ParsePage(c)
	if err != nil {
		return err
	}
	list, err := s.List(c.Request().Context(), p.OrgID, page)
	if err != nil {
		return err
	}
	return rest.ListAnswer(c, "maintenances", page, list, func(m Maintenance) uuid.UUID { return m.ID })
}

func (s *Store) handleGet(c echo.Context) error {
	p, id, err := rest.CallerAndID(c, "maintenance")
	if err != nil {
		return err
	}
	m, err := s.Get(c.Request().Context(), p.OrgID, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, m)
}

func (s *Store) handleUpdate(c echo.Context) error {
	p, id, err := rest.CallerAndID(c, "maintenance")
	if err != nil {
		return err
	}
	var in UpdateInput
	if err := rest.Bind(c, &in); err != nil {
		return err
	}
	m, err := s.Update(c.Request().Context(), p.OrgID, id, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, m)
}

func (s *Store) handleDelete(c echo.Context) error {
	p, id, err := rest.CallerAndID(c, "maintenance")
	if err != nil {
		return err
	}
	if err := s.Delete(c.Request().Context(), p.OrgID, id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
