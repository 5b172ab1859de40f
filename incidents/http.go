package incidents

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/statusgate/statusgate/orgs"
	"github.com/statusgate/statusgate/rest"
)

// Register adds the incidents routes to the authenticated /api/v1 group.
func (s *Store) Register(g *echo.Group) {
	g.POST("/incidents", s.handleCreate)
	g.GET("/incidents", s.handleList)
	g.GET("/incidents/:id", s.handleGet)
	g.PATCH("/incidents/:id", s.handleUpdate)
	g.POST("/incidents/:id/acknowledge", s.handleAcknowledge)
}

func (s *Store) handleCreate(c echo.Context) error {
	p, err := orgs.Caller(c)
	if err != nil {
		return err
	}
	var in CreateInput
	if err := rest.Bind(c, &in); err != nil {
		return err
	}
	inc, err := s.Create(c.Request().Context(), p.OrgID, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, inc)
}

func (s *Store) handleList(c echo.Context) error {
	p, err := orgs.Caller(c)
	if err != nil {
		return err
	}
	page, err := rest.ParsePage(c)
	if err != nil {
		return err
	}
	list, err := s.List(c.Request().Context(), p.OrgID, ListFilter{State: c.QueryParam("status")}, page)
	if err != nil {
		return err
	}
	var next *string
	if len(list) > 0 {
		next = rest.NextCursor(page, len(list), list[len(list)-1].ID)
	}
	return c.JSON(http.StatusOK, map[string]any{"incidents": list, "next_cursor": next})
}

func (s *Store) handleGet(c echo.Context) error {
	p, err := orgs.Caller(c)
	if err != nil {
		return err
	}
	id, err := rest.PathID(c, "id", "incident")
	if err != nil {
		return err
	}
	inc, err := s.Get(c.Request().Context(), p.OrgID, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, inc)
}

func (s *Store) handleUpdate(c echo.Context) error {
	p, err := orgs.Caller(c)
	if err != nil {
		return err
	}
	id, err := rest.PathID(c, "id", "incident")
	if err != nil {
		return err
	}
	var in UpdateInput
	if err := rest.Bind(c, &in); err != nil {
		return err
	}
	inc, err := s.Update(c.Request().Context(), p.OrgID, id, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, inc)
}

// handleAcknowledge takes no body: acknowledging says only "someone is on it".
func (s *Store) handleAcknowledge(c echo.Context) error {
	p, err := orgs.Caller(c)
	if err != nil {
		return err
	}
	id, err := rest.PathID(c, "id", "incident")
	if err != nil {
		return err
	}
	inc, err := s.Acknowledge(c.Request().Context(), p.OrgID, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, inc)
}
