// Package testclock is a clock tests move by hand instead of sleeping. Stores take
// its Now as their NowFunc, so SLA figures, incident delays and stale events can be
// checked exactly. It is imported only by tests.
package testclock

import (
	"sync"
	"time"
)

// Clock is a settable clock, safe for concurrent use. It stands still unless a test
// moves it, or ticks by a fixed step on every reading once SetTick is called.
type Clock struct {
	mu   sync.Mutex
	now  time.Time
	tick time.Duration
}

// New returns a clock reading start (in UTC).
func New(start time.Time) *Clock { return &Clock{now: start.UTC()} }

// Now reads the clock (and ticks it, when a tick is set).
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.now
	c.now = c.now.Add(c.tick)
	return t
}

// Peek reads the clock without ticking it.
func (c *Clock) Peek() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set puts the clock at t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t.UTC()
}

// Advance moves the clock on by d and returns the new reading.
func (c *Clock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return c.now
}

// SetTick makes every reading move the clock on by d (0 stops it).
func (c *Clock) SetTick(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tick = d
}
