package orgs

import (
	"time"

	"github.com/labstack/echo/v4"

	"github.com/statusgate/statusgate/apierr"
	"github.com/statusgate/statusgate/rest"
)

// Defaults of the admin API's bad-key limit per source address: an operator who
// pastes a wrong key learns it from 10 answers; a brute force then gets one guess
// every 6 s, against keys of ~238 bits.
const (
	DefaultBadKeysPerMinute = 10
	DefaultBadKeyBurst      = 10
)

// ThrottleBadKeys goes in front of RequireKey. Every 401 it sees spends one of the
// source address's failures (t); an address with none left gets 429 rate_limited
// with Retry-After before its key is even looked at, so a guess costs neither a hash
// nor a query. A nil t throttles nothing. now is the clock (time.Now when nil).
func ThrottleBadKeys(t *rest.Throttle, now func() time.Time) echo.MiddlewareFunc {
	if now == nil {
		now = time.Now
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			addr, at := c.RealIP(), now()
			if blocked, wait := t.Blocked(addr, at); blocked {
				return rest.TooManyFailures(c, wait)
			}
			err := next(c)
			if apierr.CodeOf(err) == apierr.CodeUnauthorized {
				t.Fail(addr, at)
			}
			return err
		}
	}
}
