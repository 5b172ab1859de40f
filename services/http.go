package services

import (
	"net/http"
	"strings"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/statusgate/statusgate/apierr"
	"github.com/statusgate/statusgate/mapping"
	"github.com/statusgate/statusgate/rest"
)

// Register adds the services and posts routes to the authenticated /api/v1 group.
func (s *Store) Register(g *echo.Group) {
	g.POST("/services", s.handleCreate)
	g.GET("/services", s.handleList)
	g.GET("/services/:id", s.handleGet)
	g.PATCH("/services/:id", s.handleUpdate)
	g.DELETE("/services/:id", s.handleDelete)
	g.PUT("/services/:id/status", s.handleSetStatus)
	g.GET("/posts", s.handleListPosts)
	g.POST("/posts", s.handleCreatePost)
	s.registerSLA(g)
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
	svc, err := s.Create(c.Request().Context(), p.OrgID, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, svc)
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
	return rest.ListAnswer(c, "services", page, list, func(x Service) uuid.UUID { return x.ID })
}

func (s *Store) handleGet(c echo.Context) error {
	p, id, err := rest.CallerAndID(c, "service")
	if err != nil {
		return err
	}
	svc, err := s.Get(c.Request().Context(), p.OrgID, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, svc)
}

func (s *Store) handleUpdate(c echo.Context) error {
	p, id, err := rest.CallerAndID(c, "service")
	if err != nil {
		return err
	}
	var in UpdateInput
	if err := rest.Bind(c, &in); err != nil {
		return err
	}
	svc, err := s.Update(c.Request().Context(), p.OrgID, id, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, svc)
}

func (s *Store) handleDelete(c echo.Context) error {
	p, id, err := rest.CallerAndID(c, "service")
	if err != nil {
		return err
	}
	if err := s.Delete(c.Request().Context(), p.OrgID, id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// StatusInput is the body of PUT /api/v1/services/{id}/status.
type StatusInput struct {
	Status  string `json:"status"`
	Message string `json:"message"`
}

// StatusAnswer is what a manual status change answers.
type StatusAnswer struct {
	Service        Service        `json:"service"`
	PreviousStatus mapping.Status `json:"previous_status"`
	NewStatus      mapping.Status `json:"new_status"`
	Changed        bool           `json:"changed"`
	// Held says a maintenance window holds the service: the status is remembered as
	// underlying_status and taken when the window ends.
	Held bool `json:"held"`
}

func (s *Store) handleSetStatus(c echo.Context) error {
	p, id, err := rest.CallerAndID(c, "service")
	if err != nil {
		return err
	}
	var in StatusInput
	if err := rest.Bind(c, &in); err != nil {
		return err
	}
	to, ok := mapping.ParseStatus(in.Status)
	if !ok {
		return apierr.Invalid("status", "status %q must be one of operational, degraded, down, maintenance", strings.TrimSpace(in.Status))
	}
	res, err := s.Transition(c.Request().Context(), TransitionInput{
		OrgID: p.OrgID, ServiceID: id, To: to, Message: in.Message, Source: SourceManual,
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, StatusAnswer{Service: res.Service, PreviousStatus: res.Previous, NewStatus: res.New, Changed: res.Changed, Held: res.Held})
}

func (s *Store) handleListPosts(c echo.Context) error {
	p, err := rest.Caller(c)
	if err != nil {
		return err
	}
	page, err := rest.ParsePage(c)
	if err != nil {
		return err
	}
	posts, err := s.ListPosts(c.Request().Context(), p.OrgID, PostFilter{}, page)
	if err != nil {
		return err
	}
	return rest.ListAnswer(c, "posts", page, posts, func(x Post) uuid.UUID { return x.ID })
}

func (s *Store) handleCreatePost(c echo.Context) error {
	p, err := rest.Caller(c)
	if err != nil {
		return err
	}
	var in PostInput
	if err := rest.Bind(c, &in); err != nil {
		return err
	}
	post, err := s.CreatePost(c.Request().Context(), p.OrgID, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, post)
}
