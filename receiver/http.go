package receiver

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/statusgate/statusgate/apierr"
	"github.com/statusgate/statusgate/rest"
)

// Handler serves the receivers API and the inbound endpoint.
type Handler struct {
	store        *Store
	maxBodyBytes int64
	limiter      *limiter
	failures     *rest.Throttle // per source address: unknown tokens, bad signatures
	now          func() time.Time
	logger       *slog.Logger
	observe      func(Observation)
}

// HandlerConfig configures a Handler.
type HandlerConfig struct {
	Store *Store
	// MaxBodyBytes caps an inbound body (default 1 MiB); larger ones fail with 413.
	MaxBodyBytes int64
	// RatePerMinute and RateBurst limit each receiver; RatePerMinute 0 turns it off.
	RatePerMinute int
	RateBurst     int
	// FailuresPerMinute and FailureBurst limit, per source address, the requests
	// that answer 404 (unknown token) or 401 (bad signature); past them the address
	// gets 429. Zero means DefaultFailuresPerMinute and DefaultFailureBurst; a
	// negative FailuresPerMinute turns it off.
	FailuresPerMinute int
	FailureBurst      int
	NowFunc           func() time.Time
	Logger            *slog.Logger
	// ObserveFunc, when set, hears of every inbound request once it is answered.
	ObserveFunc func(Observation)
}

// NewHandler returns a Handler.
func NewHandler(cfg HandlerConfig) *Handler {
	h := &Handler{store: cfg.Store, maxBodyBytes: cfg.MaxBodyBytes, limiter: newLimiter(cfg.RatePerMinute, cfg.RateBurst), now: cfg.NowFunc, logger: cfg.Logger, observe: cfg.ObserveFunc}
	h.failures = newFailureThrottle(cfg.FailuresPerMinute, cfg.FailureBurst)
	if h.maxBodyBytes <= 0 {
		h.maxBodyBytes = 1 << 20
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.logger == nil {
		h.logger = slog.New(slog.DiscardHandler)
	}
	return h
}

// Register adds the receivers routes to the authenticated /api/v1 group.
func (h *Handler) Register(g *echo.Group) {
	g.POST("/receivers", h.handleCreate)
	g.GET("/receivers", h.handleList)
	g.GET("/receivers/:id", h.handleGet)
	g.PATCH("/receivers/:id", h.handleUpdate)
	g.DELETE("/receivers/:id", h.handleDelete)
	g.POST("/receivers/:id/rotate-token", h.handleRotateToken)
	g.GET("/receivers/:id/deliveries", h.handleDeliveries)
	g.POST("/receivers/:id/test", h.handleDryRun)
	g.POST("/receivers/:id/deliveries/:delivery_id/replay", h.handleReplay)
	g.GET("/receivers/:id/unmapped", h.handleUnmapped)
	g.GET("/presets", h.handlePresets)
}

// RegisterInbound adds the senders' endpoint, which authenticates by token alone.
func (h *Handler) RegisterInbound(e *echo.Echo) {
	e.POST("/api/webhooks/incoming/:token", h.handleIncoming, h.observeInbound)
}

func (h *Handler) handleIncoming(c echo.Context) error {
	ctx := c.Request().Context()
	now := h.now().UTC().Truncate(time.Microsecond)
	addr, header := c.RealIP(), c.Response().Header()
	recv, err := h.lookup(c, c.Param("token"), addr, now)
	if err != nil {
		h.failures.SetHeaders(header, addr, now)
		return h.retryLater(ctx, err, "receiver lookup failed")
	}
	ok, wait := h.limiter.allow(recv.row.ID, now)
	h.limiter.setHeaders(header, recv.row.ID, now)
	if !ok {
		c.Set(rateScopeKey, "receiver")
		secs := rest.RetryAfterSeconds(wait)
		header.Set("Retry-After", strconv.Itoa(secs))
		return apierr.New(apierr.CodeRateLimited, "this receiver is over its rate limit; retry after %d seconds", secs)
	}
	body, tooLarge, err := readBody(c.Request(), h.maxBodyBytes)
	if err != nil {
		return apierr.New(apierr.CodeInvalidJSON, "the request body could not be read: %v", err)
	}
	if err := h.refuseUnsignedWhenThrottled(c, recv, body, addr, now); err != nil {
		return err
	}
	out, err := h.store.receive(ctx, recv, request{
		body: body, tooLarge: tooLarge, header: c.Request().Header, query: c.QueryParams(), sourceIP: addr, receivedAt: now,
	})
	if errors.Is(err, errUnknownToken) {
		// Disabled, rotated or deleted elsewhere, found so by the locked read.
		h.failures.Fail(addr, now)
	}
	if err != nil {
		return h.retryLater(ctx, err, "webhook delivery not stored", slog.String("receiver_id", recv.row.ID.String()))
	}
	if out.Result == ResultAuthFailed {
		h.failures.Fail(addr, now)
	}
	level, code := slog.LevelInfo, ""
	if out.Error != nil {
		level, code = slog.LevelWarn, out.Error.Code
	}
	h.logger.Log(ctx, level, "webhook delivery", slog.String("receiver_id", recv.row.ID.String()),
		slog.String("delivery_id", out.DeliveryID.String()), slog.String("result", out.Result),
		slog.String("reason", deref(out.Reason)), slog.String("error_code", code), slog.String("new_status", deref(out.NewStatus)))
	c.Set(outcomeKey, out)
	return c.JSON(out.HTTPStatus(), out)
}

// retryLater turns an internal failure of the inbound path into 503 unavailable with
// Retry-After, logging the cause for the operator. Nothing was committed, and senders
// retry on any non-2xx; a 500 would read as permanent. Errors meant for the sender
// (an unknown token, say) pass through unchanged.
func (h *Handler) retryLater(ctx context.Context, err error, msg string, attrs ...any) error {
	if _, ok := apierr.As(err); ok {
		return err
	}
	h.logger.ErrorContext(ctx, msg, append(attrs, slog.Any("err", err))...)
	return apierr.New(apierr.CodeUnavailable, "the delivery could not be stored and nothing was changed; retry later")
}

func (h *Handler) handleCreate(c echo.Context) error {
	p, err := rest.Caller(c)
	if err != nil {
		return err
	}
	var in CreateInput
	if err := rest.Bind(c, &in); err != nil {
		return err
	}
	r, err := h.store.Create(c.Request().Context(), p.OrgID, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, r)
}

func (h *Handler) handleList(c echo.Context) error {
	p, err := rest.Caller(c)
	if err != nil {
		return err
	}
	page, err := rest.ParsePage(c)
	if err != nil {
		return err
	}
	list, err := h.store.List(c.Request().Context(), p.OrgID, page)
	if err != nil {
		return err
	}
	return rest.ListAnswer(c, "receivers", page, list, func(x Receiver) uuid.UUID { return x.ID })
}

func (h *Handler) handleGet(c echo.Context) error {
	p, id, err := rest.CallerAndID(c, "receiver")
	if err != nil {
		return err
	}
	r, err := h.store.Get(c.Request().Context(), p.OrgID, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

func (h *Handler) handleUpdate(c echo.Context) error {
	p, id, err := rest.CallerAndID(c, "receiver")
	if err != nil {
		return err
	}
	var in UpdateInput
	if err := rest.Bind(c, &in); err != nil {
		return err
	}
	r, err := h.store.Update(c.Request().Context(), p.OrgID, id, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

func (h *Handler) handleDelete(c echo.Context) error {
	p, id, err := rest.CallerAndID(c, "receiver")
	if err != nil {
		return err
	}
	if err := h.store.Delete(c.Request().Context(), p.OrgID, id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (h *Handler) handleRotateToken(c echo.Context) error {
	p, id, err := rest.CallerAndID(c, "receiver")
	if err != nil {
		return err
	}
	r, err := h.store.RotateToken(c.Request().Context(), p.OrgID, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

func (h *Handler) handleDeliveries(c echo.Context) error {
	p, id, err := rest.CallerAndID(c, "receiver")
	if err != nil {
		return err
	}
	list, err := h.store.Deliveries(c.Request().Context(), p.OrgID, id, c.QueryParam("result"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"deliveries": list})
}

func (h *Handler) handleDryRun(c echo.Context) error {
	p, id, err := rest.CallerAndID(c, "receiver")
	if err != nil {
		return err
	}
	body, tooLarge, err := readBody(c.Request(), h.maxBodyBytes)
	if err != nil {
		return apierr.New(apierr.CodeInvalidJSON, "the request body could not be read: %v", err)
	}
	res, err := h.store.DryRun(c.Request().Context(), p.OrgID, id, body, tooLarge, c.Request().Header, h.now())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}
