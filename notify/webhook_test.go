package notify_test

import (
	"testing"
	"time"

	"github.com/statusgate/statusgate/notify"
)

// The signer reproduces the published Standard Webhooks vectors
// (../shared/vectors/signature-vectors.md: sw-v1-official-1 and -2).
func TestSignMatchesPublishedVectors(t *testing.T) {
	cases := []struct {
		name, secret, id string
		ts               int64
		body, want       string
	}{
		{"sw-v1-official-1", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
			`{"test": 2432232314}`, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="},
		{"sw-v1-official-2", "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD", "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk", 1649367553,
			`{"email":"test@example.com","username":"test_user"}`, "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := notify.Sign([]string{c.secret}, c.id, time.Unix(c.ts, 0), []byte(c.body))
			if err != nil {
				t.Fatalf("Sign: %v", err)
			}
			if got != c.want {
				t.Fatalf("signature = %q, want %q", got, c.want)
			}
		})
	}
}

// During a rotation every active secret signs: one space-separated v1 entry each.
func TestSignWithTwoSecrets(t *testing.T) {
	got, err := notify.Sign([]string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"},
		"msg_p5jXN8AQM9LWM0D4loKWxJek", time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`))
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE= v1,"
	if len(got) <= len(want) || got[:len(want)] != want {
		t.Fatalf("signature = %q, want it to start with %q and carry a second entry", got, want)
	}
}

func TestSignRefusesIDWithDot(t *testing.T) {
	if _, err := notify.Sign([]string{notify.NewSecret()}, "evt.1", time.Unix(1, 0), nil); err == nil {
		t.Fatalf("Sign accepted an id with a dot")
	}
}

func TestNormalizeSecret(t *testing.T) {
	cases := []struct {
		in, want string
		ok       bool
	}{
		{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", true},
		{"whsec_AAAAAAAAAAAAAAAAAAAAAA", "whsec_AAAAAAAAAAAAAAAAAAAAAA==", true}, // unpadded, 16 bytes
		{"", "", false},
		{"whsec_", "", false},
		{"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "", false},
		{"whsec_%%%", "", false},
		{"whsec_AAAA", "", false}, // 3 bytes: too short to be a key
	}
	for _, c := range cases {
		got, err := notify.NormalizeSecret(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Fatalf("NormalizeSecret(%q) = %q, %v; want %q, ok=%v", c.in, got, err, c.want, c.ok)
		}
	}
	if s := notify.NewSecret(); len(s) < 30 {
		t.Fatalf("NewSecret() = %q, too short", s)
	} else if _, err := notify.NormalizeSecret(s); err != nil {
		t.Fatalf("a generated secret does not normalize: %v", err)
	}
}
