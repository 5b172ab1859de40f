package apierr

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"
)

// Body is the JSON shape of every error answer.
type Body struct {
	Error *Error `json:"error"`
}

// UnavailableFunc reports whether an error means the database cannot be reached,
// which answers 503 with Retry-After rather than a 500.
type UnavailableFunc func(error) bool

// Handler returns Echo's HTTPErrorHandler: the one place errors become HTTP answers.
// Errors that are not *Error become a generic 500 whose full chain goes to the log,
// never to the client.
func Handler(logger *slog.Logger, unavailable UnavailableFunc) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		apiErr := Translate(err, unavailable)
		status := HTTPStatus(apiErr.Code)
		req := c.Request()
		attrs := []any{
			slog.String("method", req.Method),
			slog.String("path", c.Path()),
			slog.Int("status", status),
			slog.String("code", apiErr.Code),
		}
		switch {
		case status >= 500:
			logger.Error("request failed", append(attrs, slog.Any("err", err))...)
		case status >= 400:
			logger.Debug("request rejected", append(attrs, slog.String("message", apiErr.Message))...)
		}
		if status == http.StatusServiceUnavailable || status == http.StatusTooManyRequests {
			if c.Response().Header().Get("Retry-After") == "" {
				c.Response().Header().Set("Retry-After", "5")
			}
		}
		var writeErr error
		if req.Method == http.MethodHead {
			writeErr = c.NoContent(status)
		} else {
			writeErr = c.JSON(status, Body{Error: apiErr})
		}
		if writeErr != nil {
			logger.Debug("writing error answer", slog.Any("err", writeErr))
		}
	}
}

// Translate turns any error into the *Error a client may see.
func Translate(err error, unavailable UnavailableFunc) *Error {
	if e, ok := As(err); ok {
		return e
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		return fromEcho(he)
	}
	if unavailable != nil && unavailable(err) {
		return New(CodeUnavailable, "the database is unavailable; try again shortly")
	}
	if errors.Is(err, context.Canceled) {
		// The client went away; nobody reads this answer, but keep it honest.
		return New(CodeUnavailable, "the request was cancelled")
	}
	return New(CodeInternal, "internal error")
}

// fromEcho keeps Echo's own errors (routing, body binding) in our answer shape.
func fromEcho(he *echo.HTTPError) *Error {
	msg := http.StatusText(he.Code)
	if m, ok := he.Message.(string); ok && m != "" {
		msg = m
	}
	switch he.Code {
	case http.StatusNotFound:
		return New(CodeNotFound, "no such route")
	case http.StatusMethodNotAllowed:
		return New(CodeMethodNotAllowed, "method not allowed on this route")
	case http.StatusRequestEntityTooLarge:
		return New(CodePayloadTooLarge, "request body too large")
	case http.StatusUnauthorized:
		return New(CodeUnauthorized, "%s", msg)
	case http.StatusUnsupportedMediaType:
		return New(CodeUnsupportedMedia, "%s", msg)
	case http.StatusBadRequest:
		return New(CodeInvalidJSON, "%s", msg)
	}
	if he.Code >= 500 {
		return New(CodeInternal, "internal error")
	}
	return New(CodeValidationFailed, "%s", msg)
}
