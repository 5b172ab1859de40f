package receiver

import (
	"log/slog"
	"net/http"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/statusgate/statusgate/rest"
)

func (h *Handler) handleReplay(c echo.Context) error {
	p, id, err := rest.CallerAndID(c, "receiver")
	if err != nil {
		return err
	}
	deliveryID, err := uuid.Parse(c.Param("delivery_id"))
	if err != nil {
		return errDeliveryNotFound
	}
	out, err := h.store.Replay(c.Request().Context(), p.OrgID, id, deliveryID, c.RealIP())
	if err != nil {
		// Like the inbound path: nothing was committed, so the operator may try again.
		return h.retryLater(c.Request().Context(), err, "replay not stored", slog.String("receiver_id", id.String()))
	}
	h.logger.InfoContext(c.Request().Context(), "webhook delivery replayed", slog.String("receiver_id", id.String()),
		slog.String("delivery_id", out.DeliveryID.String()), slog.String("replay_of", deliveryID.String()),
		slog.String("result", out.Result))
	return c.JSON(out.HTTPStatus(), out)
}

func (h *Handler) handleUnmapped(c echo.Context) error {
	p, id, err := rest.CallerAndID(c, "receiver")
	if err != nil {
		return err
	}
	list, err := h.store.Unmapped(c.Request().Context(), p.OrgID, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"unmapped": list})
}
