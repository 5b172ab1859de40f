package notify_test

import (
	"context"
	"errors"
	"net/netip"
	"testing"

	"github.com/statusgate/statusgate/apierr"
	"github.com/statusgate/statusgate/notify"
)

// Every address class the outbound rule forbids, as a pure function: nothing here
// dials.
func TestCheckAddrClasses(t *testing.T) {
	forbidden := map[string]string{
		"127.0.0.1":              "IPv4 loopback",
		"127.255.0.9":            "IPv4 loopback range",
		"::1":                    "IPv6 loopback",
		"10.1.2.3":               "RFC 1918 10/8",
		"172.16.0.1":             "RFC 1918 172.16/12",
		"172.31.255.254":         "RFC 1918 172.16/12 end",
		"192.168.1.1":            "RFC 1918 192.168/16",
		"169.254.10.20":          "IPv4 link-local",
		"169.254.169.254":        "cloud metadata (AWS, GCP, Azure)",
		"fd00:ec2::254":          "AWS IPv6 metadata",
		"100.64.0.1":             "CGNAT 100.64/10",
		"100.127.255.254":        "CGNAT end",
		"fc00::1":                "unique-local fc00::/7",
		"fd12:3456::1":           "unique-local fd",
		"fe80::1":                "IPv6 link-local",
		"0.0.0.0":                "IPv4 unspecified",
		"::":                     "IPv6 unspecified",
		"224.0.0.1":              "IPv4 multicast",
		"ff02::1":                "IPv6 multicast",
		"255.255.255.255":        "broadcast",
		"::ffff:127.0.0.1":       "IPv4-mapped loopback",
		"::ffff:10.0.0.1":        "IPv4-mapped private",
		"::ffff:169.254.169.254": "IPv4-mapped metadata",
		"64:ff9b::a00:1":         "NAT64-translated 10.0.0.1",
		"64:ff9b::7f00:1":        "NAT64-translated 127.0.0.1",
		"64:ff9b::a9fe:a9fe":     "NAT64-translated metadata",
		"fe80::1%eth0":           "link-local with a zone",
	}
	for addr, class := range forbidden {
		a := netip.MustParseAddr(addr)
		if err := notify.CheckAddr(a); !errors.Is(err, notify.ErrForbiddenAddress) {
			t.Fatalf("CheckAddr(%s) (%s) = %v, want ErrForbiddenAddress", addr, class, err)
		}
	}
	for _, addr := range []string{"93.184.216.34", "1.1.1.1", "8.8.8.8", "2606:4700:4700::1111", "2a00:1450:4001:82b::200e"} {
		if err := notify.CheckAddr(netip.MustParseAddr(addr)); err != nil {
			t.Fatalf("CheckAddr(%s) = %v, want nil for a public address", addr, err)
		}
	}
}

// fakeResolver answers every lookup with fixed addresses: CheckURL is judged without DNS.
type fakeResolver map[string][]netip.Addr

func (r fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if a, ok := r[host]; ok {
		return a, nil
	}
	return nil, errors.New("no such host")
}

func TestCheckURL(t *testing.T) {
	r := fakeResolver{
		"hooks.example.com": {netip.MustParseAddr("93.184.216.34")},
		"rebind.example":    {netip.MustParseAddr("93.184.216.34"), netip.MustParseAddr("10.0.0.5")},
		"meta.example":      {netip.MustParseAddr("169.254.169.254")},
	}
	cases := []struct {
		url          string
		allowPrivate bool
		ok           bool
	}{
		{"https://hooks.example.com/x", false, true},
		{"http://93.184.216.34:8080/x", false, true},
		{"https://rebind.example/", false, false}, // one private answer is enough to refuse
		{"https://meta.example/latest", false, false},
		{"http://169.254.169.254/latest/meta-data", false, false},
		{"http://[::ffff:10.0.0.1]/", false, false},
		{"http://127.0.0.1:9000/", false, false},
		{"http://127.0.0.1:9000/", true, true},
		{"https://nowhere.example/", false, false},
		{"ftp://hooks.example.com/", false, false},
		{"hooks.example.com/x", false, false},
		{"https://user:pw@hooks.example.com/", false, false},
	}
	for _, c := range cases {
		err := notify.CheckURL(context.Background(), "url", c.url, c.allowPrivate, r)
		if (err == nil) != c.ok {
			t.Fatalf("CheckURL(%q, allowPrivate=%v) = %v, want ok=%v", c.url, c.allowPrivate, err, c.ok)
		}
		if err != nil {
			if e, ok := apierr.As(err); !ok || e.Code != apierr.CodeValidationFailed || e.Field != "url" {
				t.Fatalf("CheckURL(%q) error = %#v, want validation_failed naming url", c.url, err)
			}
		}
	}
}
