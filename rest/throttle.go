package rest

import (
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"

	"github.com/statusgate/statusgate/apierr"
)

// Throttle counts failures (an unknown token, a bad signature, a bad API key) per
// source address in a token bucket, so that guessing costs the guesser time: an
// address may fail burst times at once, then perMinute times a minute. Successes
// cost nothing, so an honest client behind the same address is not slowed by
// another's mistakes until it fails itself. Buckets live in this process.
type Throttle struct {
	perSecond rate.Limit
	burst     int
	mu        sync.Mutex
	buckets   map[string]*rate.Limiter
}

// maxThrottled bounds the addresses a Throttle remembers. Past it, buckets that have
// refilled (they hold no penalty) are forgotten; if none has, all are, which an
// attacker needs this many addresses to cause.
const maxThrottled = 50_000

// NewThrottle returns a Throttle of burst failures at once and perMinute after that;
// perMinute 0 or less returns nil, which allows everything.
func NewThrottle(perMinute, burst int) *Throttle {
	if perMinute <= 0 {
		return nil
	}
	if burst <= 0 {
		burst = perMinute
	}
	return &Throttle{perSecond: rate.Limit(float64(perMinute) / 60), burst: burst, buckets: map[string]*rate.Limiter{}}
}

// AddressKey is the unit a Throttle counts: the IP, or its /64 for IPv6, since one
// host commonly holds a whole /64 and could otherwise change address per guess.
func AddressKey(ip string) string {
	parsed := net.ParseIP(ip)
	if parsed == nil || parsed.To4() != nil {
		return ip
	}
	return parsed.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

func (t *Throttle) bucket(addr string, now time.Time) *rate.Limiter {
	key := AddressKey(addr)
	t.mu.Lock()
	defer t.mu.Unlock()
	b, ok := t.buckets[key]
	if !ok {
		if len(t.buckets) >= maxThrottled {
			t.forgetIdle(now)
		}
		b = rate.NewLimiter(t.perSecond, t.burst)
		t.buckets[key] = b
	}
	return b
}

func (t *Throttle) forgetIdle(now time.Time) {
	for k, b := range t.buckets {
		if b.TokensAt(now) >= float64(t.burst) {
			delete(t.buckets, k)
		}
	}
	if len(t.buckets) >= maxThrottled {
		clear(t.buckets)
	}
}

// Blocked reports whether addr has no failure left, and if so how long until it has.
func (t *Throttle) Blocked(addr string, now time.Time) (bool, time.Duration) {
	if t == nil {
		return false, 0
	}
	tokens := t.tokens(addr, now)
	if tokens >= 1 {
		return false, 0
	}
	return true, time.Duration((1 - tokens) / float64(t.perSecond) * float64(time.Second))
}

// Fail spends one of addr's failures.
func (t *Throttle) Fail(addr string, now time.Time) {
	if t == nil {
		return
	}
	t.bucket(addr, now).AllowN(now, 1)
}

// SetHeaders writes addr's X-RateLimit-* headers (see SetRateLimitHeaders).
func (t *Throttle) SetHeaders(h http.Header, addr string, now time.Time) {
	if t == nil {
		return
	}
	SetRateLimitHeaders(h, t.burst, t.tokens(addr, now), float64(t.perSecond))
}

// tokens is what addr's bucket holds now, without making one: an address that has
// not failed has a full bucket, and reading it must not fill the map with every
// address that merely sends.
func (t *Throttle) tokens(addr string, now time.Time) float64 {
	key := AddressKey(addr)
	t.mu.Lock()
	b, ok := t.buckets[key]
	t.mu.Unlock()
	if !ok {
		return float64(t.burst)
	}
	return b.TokensAt(now)
}

// SetRateLimitHeaders writes the state of a token bucket of burst tokens refilling at
// perSecond that holds tokens now: X-RateLimit-Limit is the burst (what may be sent at
// once), X-RateLimit-Remaining the whole tokens left, X-RateLimit-Reset the seconds
// until the bucket is full again (a delta, as in the IETF RateLimit draft, so no
// clock needs to agree with ours).
func SetRateLimitHeaders(h http.Header, burst int, tokens, perSecond float64) {
	tokens = math.Max(0, math.Min(tokens, float64(burst)))
	reset := 0
	if perSecond > 0 {
		reset = int(math.Ceil((float64(burst) - tokens) / perSecond))
	}
	h.Set("X-RateLimit-Limit", strconv.Itoa(burst))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(int(math.Floor(tokens))))
	h.Set("X-RateLimit-Reset", strconv.Itoa(reset))
}

// RetryAfterSeconds rounds a wait up to whole seconds, at least one.
func RetryAfterSeconds(d time.Duration) int {
	return int(math.Max(1, math.Ceil(d.Seconds())))
}

// TooManyFailures answers 429 rate_limited with Retry-After, for an address that
// has used up its failures.
func TooManyFailures(c echo.Context, wait time.Duration) error {
	secs := RetryAfterSeconds(wait)
	c.Response().Header().Set("Retry-After", strconv.Itoa(secs))
	return apierr.New(apierr.CodeRateLimited, "too many failed attempts from this address; retry after %d seconds", secs)
}
