package rest

import (
	"net/http"
	"testing"
	"time"
)

func TestAddressKeyGroupsIPv6By64(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"203.0.113.7":           "203.0.113.7",
		"2001:db8:1:2:aaaa::1":  "2001:db8:1:2::/64",
		"2001:db8:1:2:bbbb::99": "2001:db8:1:2::/64",
		"::ffff:203.0.113.7":    "::ffff:203.0.113.7",
		"not an ip":             "not an ip",
	}
	for in, want := range cases {
		if got := AddressKey(in); got != want {
			t.Fatalf("AddressKey(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestThrottleSpendsOnlyFailures(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	th := NewThrottle(6, 2) // one failure back every 10 s
	const addr = "2001:db8::1"
	for i := range 2 {
		if blocked, _ := th.Blocked(addr, now); blocked {
			t.Fatalf("blocked before failure %d", i+1)
		}
		th.Fail(addr, now)
	}
	blocked, wait := th.Blocked("2001:db8::2", now) // same /64
	if !blocked || wait != 10*time.Second {
		t.Fatalf("after the burst: blocked %v, wait %s; want blocked for 10s, for the whole /64", blocked, wait)
	}
	if blocked, _ := th.Blocked("203.0.113.7", now); blocked {
		t.Fatal("another address is blocked")
	}
	h := http.Header{}
	th.SetHeaders(h, addr, now.Add(5*time.Second))
	if h.Get("X-RateLimit-Limit") != "2" || h.Get("X-RateLimit-Remaining") != "0" || h.Get("X-RateLimit-Reset") != "15" {
		t.Fatalf("headers %v; want limit 2, remaining 0, reset 15", h)
	}
	if blocked, _ := th.Blocked(addr, now.Add(10*time.Second)); blocked {
		t.Fatal("still blocked after one refill")
	}
	var off *Throttle = NewThrottle(0, 0)
	off.Fail(addr, now)
	if blocked, _ := off.Blocked(addr, now); blocked || off != nil {
		t.Fatal("a throttle with no limit blocks")
	}
}
