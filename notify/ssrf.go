package notify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"

	"code.dny.dev/ssrf"

	"github.com/statusgate/statusgate/apierr"
)

// guardian classifies addresses by the IANA special-purpose registries (kept current
// by code.dny.dev/ssrf's generator): every IPv4 special prefix (loopback, RFC 1918,
// link-local with the 169.254.169.254 metadata address, CGNAT 100.64/10, this-network,
// multicast, reserved, documentation) and every IPv6 address outside global unicast
// 2000::/3 (loopback, unspecified, unique-local fc00::/7 with AWS's fd00:ec2::254,
// link-local, multicast, IPv4-mapped ::ffff:0:0/96, NAT64 64:ff9b::/96) or in a
// special prefix inside it. Ports are the operator's business; only the address is
// judged.
var guardian = ssrf.New(ssrf.WithAnyPort(), ssrf.WithNetworks("tcp4", "tcp6"))

// ErrForbiddenAddress is the reason an outbound address is refused.
var ErrForbiddenAddress = errors.New("the address is loopback, private, link-local, shared, multicast, reserved or a cloud metadata address")

// CheckAddr reports whether statusgate may send to addr: nil for a public unicast
// address, ErrForbiddenAddress otherwise. It is a pure function, so every address
// class is tested without dialling anything.
func CheckAddr(addr netip.Addr) error {
	if !addr.IsValid() {
		return ErrForbiddenAddress
	}
	addr = addr.WithZone("")
	if err := guardian.SafeAddr(addr); err != nil {
		return fmt.Errorf("%s: %w", addr, ErrForbiddenAddress)
	}
	return nil
}

// Resolver looks up a host's addresses; *net.Resolver is one. Tests inject their own.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// CheckURL validates an outbound endpoint at create and update time: an absolute
// http(s) URL whose host is, or resolves only to, addresses CheckAddr allows (unless
// allowPrivate). Errors are validation errors naming field. The dialer checks the
// address again at connect time, so a DNS answer that changes later gains nothing.
func CheckURL(ctx context.Context, field, raw string, allowPrivate bool, r Resolver) error {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" {
		return apierr.Invalid(field, "%s must be an absolute http:// or https:// URL", field)
	}
	if u.User != nil {
		return apierr.Invalid(field, "%s must not carry a user name or password; use headers for the endpoint's auth", field)
	}
	if allowPrivate {
		return nil
	}
	host := u.Hostname()
	if addr, err := netip.ParseAddr(host); err == nil {
		if CheckAddr(addr) != nil {
			return apierr.Invalid(field, "%s points at %s, a loopback, private, link-local or metadata address statusgate does not send to", field, addr)
		}
		return nil
	}
	if r == nil {
		r = net.DefaultResolver
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	addrs, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil || len(addrs) == 0 {
		return apierr.Invalid(field, "the host of %s (%s) does not resolve", field, host)
	}
	for _, a := range addrs {
		if CheckAddr(a) != nil {
			return apierr.Invalid(field, "the host of %s (%s) resolves to %s, a loopback, private, link-local or metadata address statusgate does not send to", field, host, a.WithZone(""))
		}
	}
	return nil
}

// dialControl refuses, at connect time, an address CheckAddr does not allow: the
// address actually dialled, after DNS, so a rebinding DNS answer cannot reach inside.
func dialControl(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("outbound address %q: %w", address, ErrForbiddenAddress)
	}
	return CheckAddr(ap.Addr())
}

// NewClient returns the HTTP client every HTTP channel type sends with. It never
// follows a redirect (a 3xx is the attempt's answer, and following one would let an
// endpoint point statusgate anywhere), uses no proxy from the environment (a proxy
// would dial for us and skip the address check), and, unless allowPrivate, refuses
// forbidden addresses when it connects. Each attempt's deadline comes from its context.
//
// inFlight is how many attempts can run at once (the outbox's Workers). That many
// connections to one host are kept open between attempts: events usually go to a
// few endpoints (one Slack, one PagerDuty), and with fewer kept, every burst to one
// of them closed the surplus and dialled it again (and TLS-handshook, against a real
// endpoint) on the next.
func NewClient(allowPrivate bool, inFlight int) *http.Client {
	dialer := &net.Dialer{Timeout: AttemptTimeout, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		dialer.Control = dialControl
	}
	inFlight = max(inFlight, 1)
	transport := &http.Transport{
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          max(50, 2*inFlight),
		MaxIdleConnsPerHost:   inFlight,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   AttemptTimeout,
		ResponseHeaderTimeout: AttemptTimeout,
	}
	return &http.Client{
		Transport:     transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
