package receiver

import (
	"time"

	"github.com/labstack/echo/v4"

	"github.com/statusgate/statusgate/apierr"
)

// Observation is what the inbound endpoint tells its observer about one request, so
// the wiring can count it (metrics) without the receiver knowing who listens.
type Observation struct {
	// Result is processed, ignored, failed or auth_failed for a delivery that reached a
	// receiver; "" otherwise.
	Result string
	// Reason is the ignored reason or the error code of a delivery; "" for processed.
	Reason string
	// UnknownToken is set for a request whose token no enabled receiver has.
	UnknownToken bool
	// RateLimited names the limit a 429 came from: "receiver" or "source_address".
	RateLimited string
	// Unavailable is set for a 503: nothing could be stored.
	Unavailable bool
	// Took is the time from the request's arrival at the handler to its answer.
	Took time.Duration
}

// Context keys the inbound handler leaves its outcome under for observeInbound.
const (
	outcomeKey   = "statusgate.receiver.outcome"
	rateScopeKey = "statusgate.receiver.rate_scope"
)

// observeInbound reports each inbound request to the configured observer once the
// handler has decided its answer.
func (h *Handler) observeInbound(next echo.HandlerFunc) echo.HandlerFunc {
	if h.observe == nil {
		return next
	}
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		o := Observation{Took: time.Since(start)}
		if out, ok := c.Get(outcomeKey).(Outcome); ok {
			o.Result = out.Result
			switch {
			case out.Error != nil:
				o.Reason = out.Error.Code
			case out.Reason != nil:
				o.Reason = *out.Reason
			}
		}
		switch apierr.CodeOf(err) {
		case apierr.CodeNotFound:
			o.UnknownToken = true
		case apierr.CodeRateLimited:
			o.RateLimited = "source_address"
			if scope, ok := c.Get(rateScopeKey).(string); ok {
				o.RateLimited = scope
			}
		case apierr.CodeUnavailable:
			o.Unavailable = true
		}
		h.observe(o)
		return err
	}
}
