package receiver

import (
	"net/http"
	"sync"
	"time"

	"github.com/google/uuid"
	"golang.org/x/time/rate"

	"github.com/statusgate/statusgate/rest"
)

// limiter gives each receiver a token bucket, so one noisy sender cannot take the
// gateway's whole write capacity. Buckets live in this process: with several
// instances behind a balancer each enforces its own share.
type limiter struct {
	perSecond rate.Limit
	burst     int
	mu        sync.Mutex
	buckets   map[uuid.UUID]*rate.Limiter
}

// newLimiter returns a limiter of perMinute requests with the given burst; perMinute
// 0 turns limiting off.
func newLimiter(perMinute, burst int) *limiter {
	if perMinute <= 0 {
		return nil
	}
	if burst <= 0 {
		burst = perMinute
	}
	return &limiter{perSecond: rate.Limit(float64(perMinute) / 60), burst: burst, buckets: map[uuid.UUID]*rate.Limiter{}}
}

// allow reports whether the receiver may send now, and if not, how long to wait.
func (l *limiter) allow(id uuid.UUID, now time.Time) (bool, time.Duration) {
	if l == nil {
		return true, 0
	}
	l.mu.Lock()
	b, ok := l.buckets[id]
	if !ok {
		b = rate.NewLimiter(l.perSecond, l.burst)
		l.buckets[id] = b
	}
	l.mu.Unlock()
	r := b.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// setHeaders writes the receiver's X-RateLimit-* headers (rest.SetRateLimitHeaders).
func (l *limiter) setHeaders(h http.Header, id uuid.UUID, now time.Time) {
	if l == nil {
		return
	}
	l.mu.Lock()
	b, ok := l.buckets[id]
	l.mu.Unlock()
	if !ok {
		return
	}
	rest.SetRateLimitHeaders(h, l.burst, b.TokensAt(now), float64(l.perSecond))
}
