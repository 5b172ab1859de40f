package incidents

import (
	"net/http"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

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
	p, err := rest.Caller(c)
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
	p, err := rest.Caller(c)
	if err != nil {
		return err
	}
	page, err := rest.ParsePage(c)
	if err != nil {
		return err
	}
	list, err := s.List(c.Request().Context(), p.OrgID, ListFilter{State: c.QueryParam("state")}, page)
	if err != nil {
		return err
	}
	return rest.ListAnswer(c, "incidents", page, list, func(x Incident) uuid.UUID { return x.ID })
}

func (s *Store) handleGet(c echo.Context) error {
	p, id, err := rest.CallerAndID(c, "incident")
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
	p, id, err := rest.CallerAndID(c, "incident")
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
	p, id, err := rest.CallerAndID(c, "incident")
	if err != nil {
		return err
	}
	inc, err := s.Acknowledge(c.Request().Context(), p.OrgID, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, inc)
}
