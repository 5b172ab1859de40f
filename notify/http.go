package notify

import (
	"context"
	"net/http"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/statusgate/statusgate/rest"
)

// OrgFunc returns the organization of an authenticated request. notify imports no
// domain package, so cmd/statusgate hands it the API-key middleware's answer; the
// middleware has already refused writes from viewer keys.
type OrgFunc func(c echo.Context) (uuid.UUID, error)

// Handler serves the channels API.
type Handler struct {
	outbox *Outbox
	org    OrgFunc
}

// NewHandler returns a Handler.
func NewHandler(o *Outbox, org OrgFunc) *Handler { return &Handler{outbox: o, org: org} }

// Register adds the channels routes to the authenticated /api/v1 group.
func (h *Handler) Register(g *echo.Group) {
	g.GET("/event-types", h.handleEventTypes)
	g.POST("/channels", h.handleCreate)
	g.GET("/channels", h.handleList)
	g.GET("/channels/:id", h.handleGet)
	g.PATCH("/channels/:id", h.handleUpdate)
	g.DELETE("/channels/:id", h.handleDelete)
	g.POST("/channels/:id/rotate-secret", h.handleRotate)
	g.POST("/channels/:id/test", h.handleTest)
	g.GET("/channels/:id/deliveries", h.handleDeliveries)
	g.POST("/channels/:id/deliveries/:delivery_id/replay", h.handleReplay)
}

func (h *Handler) orgAndID(c echo.Context) (uuid.UUID, uuid.UUID, error) {
	org, err := h.org(c)
	if err != nil {
		return uuid.Nil, uuid.Nil, err
	}
	id, err := rest.PathID(c, "id", "channel")
	return org, id, err
}

func (h *Handler) handleEventTypes(c echo.Context) error {
	if _, err := h.org(c); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"event_types": EventTypes})
}

func (h *Handler) handleCreate(c echo.Context) error {
	org, err := h.org(c)
	if err != nil {
		return err
	}
	var in CreateInput
	if err := rest.Bind(c, &in); err != nil {
		return err
	}
	ch, err := h.outbox.CreateChannel(c.Request().Context(), org, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, ch)
}

func (h *Handler) handleList(c echo.Context) error {
	org, err := h.org(c)
	if err != nil {
		return err
	}
	page, err := rest.ParsePage(c)
	if err != nil {
		return err
	}
	list, err := h.outbox.ListChannels(c.Request().Context(), org, page)
	if err != nil {
		return err
	}
	return rest.ListAnswer(c, "channels", page, list, func(ch Channel) uuid.UUID { return ch.ID })
}

func (h *Handler) handleGet(c echo.Context) error {
	org, id, err := h.orgAndID(c)
	if err != nil {
		return err
	}
	ch, err := h.outbox.GetChannel(c.Request().Context(), org, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ch)
}

func (h *Handler) handleUpdate(c echo.Context) error {
	org, id, err := h.orgAndID(c)
	if err != nil {
		return err
	}
	var in UpdateInput
	if err := rest.Bind(c, &in); err != nil {
		return err
	}
	ch, err := h.outbox.UpdateChannel(c.Request().Context(), org, id, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ch)
}

func (h *Handler) handleDelete(c echo.Context) error {
	org, id, err := h.orgAndID(c)
	if err != nil {
		return err
	}
	if err := h.outbox.DeleteChannel(c.Request().Context(), org, id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (h *Handler) handleRotate(c echo.Context) error {
	org, id, err := h.orgAndID(c)
	if err != nil {
		return err
	}
	ch, err := h.outbox.RotateSecret(c.Request().Context(), org, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ch)
}

func (h *Handler) handleTest(c echo.Context) error {
	org, id, err := h.orgAndID(c)
	if err != nil {
		return err
	}
	// The attempt has its own 10 s deadline; a client that hangs up does not cut it.
	res, err := h.outbox.TestChannel(context.WithoutCancel(c.Request().Context()), org, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

func (h *Handler) handleDeliveries(c echo.Context) error {
	org, id, err := h.orgAndID(c)
	if err != nil {
		return err
	}
	page, err := rest.ParsePage(c)
	if err != nil {
		return err
	}
	list, err := h.outbox.ListDeliveries(c.Request().Context(), org, id, c.QueryParam("status"), page)
	if err != nil {
		return err
	}
	return rest.ListAnswer(c, "deliveries", page, list, func(d Delivery) uuid.UUID { return d.ID })
}

func (h *Handler) handleReplay(c echo.Context) error {
	org, id, err := h.orgAndID(c)
	if err != nil {
		return err
	}
	did, err := rest.PathID(c, "delivery_id", "delivery")
	if err != nil {
		return err
	}
	d, err := h.outbox.Replay(c.Request().Context(), org, id, did)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, d)
}
