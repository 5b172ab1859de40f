package mapping

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// vector is one entry of testdata/signature-vectors.json.
type vector struct {
	ID         string            `json:"id"`
	Secret     string            `json:"secret"`
	Payload    string            `json:"payload"`
	Headers    map[string]string `json:"headers"`
	Now        *int64            `json:"now"`
	Expect     string            `json:"expect"`
	Statusgate struct {
		Scheme string `json:"scheme"`
		Header string `json:"header"`
		Expect string `json:"expect"`
		Why    string `json:"why"`
	} `json:"statusgate"`
}

func TestSignatureVectors(t *testing.T) {
	t.Parallel()
	var vectors []vector
	if err := json.Unmarshal(mustRead(t, "signature-vectors.json"), &vectors); err != nil {
		t.Fatalf("decode signature-vectors.json: %v", err)
	}
	if len(vectors) < 40 {
		t.Fatalf("signature-vectors.json holds %d vectors; want the full set of at least 40", len(vectors))
	}
	for _, v := range vectors {
		want := v.Statusgate.Expect
		t.Run(v.ID+" is "+want, func(t *testing.T) {
			t.Parallel()
			if v.Expect != "implementation-defined" && v.Expect != want {
				t.Fatalf("vector %s expects %q but statusgate.expect is %q", v.ID, v.Expect, want)
			}
			h := http.Header{}
			for k, val := range v.Headers {
				h.Set(k, val)
			}
			now := time.Unix(1700000000, 0)
			if v.Now != nil {
				now = time.Unix(*v.Now, 0)
			}
			cfg := SignatureConfig{Scheme: v.Statusgate.Scheme, Header: v.Statusgate.Header, Secrets: [][]byte{[]byte(v.Secret)}}
			err := VerifySignature(cfg, Input{Body: []byte(v.Payload), Header: h}, now)
			switch want {
			case "valid":
				if err != nil {
					t.Fatalf("VerifySignature = %v; want nil", err)
				}
			case "invalid":
				if !errors.Is(err, ErrSignatureInvalid) {
					t.Fatalf("VerifySignature = %v; want ErrSignatureInvalid", err)
				}
				if strings.Contains(err.Error(), v.Secret) {
					t.Fatalf("VerifySignature reason %q contains the secret", err)
				}
			default:
				t.Fatalf("vector %s has statusgate.expect %q; want valid or invalid", v.ID, want)
			}
		})
	}
}

func TestSignHMACSHA256Hex(t *testing.T) {
	t.Parallel()
	got := SignHMACSHA256Hex([]byte("It's a Secret to Everybody"), []byte("Hello, World!"))
	want := "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
	if got != want {
		t.Fatalf("SignHMACSHA256Hex = %q; want %q (GitHub's published vector)", got, want)
	}
}

func rawMAC(secret string, parts ...string) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	for _, p := range parts {
		m.Write([]byte(p))
	}
	return m.Sum(nil)
}

type sigCase struct {
	name       string
	cfg        SignatureConfig
	h          http.Header
	body       string
	now        time.Time
	wantReason string // "" means valid
}

func runSigCases(t *testing.T, cases []sigCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := VerifySignature(tt.cfg, Input{Body: []byte(tt.body), Header: tt.h}, tt.now)
			if tt.wantReason == "" {
				if err != nil {
					t.Fatalf("VerifySignature = %v; want nil", err)
				}
				return
			}
			var se *SignatureError
			if !errors.As(err, &se) || !errors.Is(err, ErrSignatureInvalid) {
				t.Fatalf("VerifySignature = %#v; want a *SignatureError matching ErrSignatureInvalid", err)
			}
			if se.Reason != tt.wantReason {
				t.Fatalf("VerifySignature reason = %q; want %q", se.Reason, tt.wantReason)
			}
			for _, s := range tt.cfg.Secrets {
				if strings.Contains(se.Reason, string(s)) {
					t.Fatalf("reason %q contains a secret", se.Reason)
				}
				if mac := hex.EncodeToString(rawMAC(string(s), tt.body)); strings.Contains(strings.ToLower(se.Reason), mac) {
					t.Fatalf("reason %q contains the expected signature", se.Reason)
				}
			}
		})
	}
}

func TestVerifyHMACSHA256(t *testing.T) {
	t.Parallel()
	const body = `{"status":"degraded","message":"Email delivery delays"}`
	secret, next := "s3cret-current", "s3cret-next"
	mac := rawMAC(secret, body)
	hx := hex.EncodeToString(mac)
	cfg := SignatureConfig{Scheme: SchemeHMACSHA256, Secrets: [][]byte{[]byte(secret)}}
	rotating := SignatureConfig{Scheme: SchemeHMACSHA256, Secrets: [][]byte{[]byte(secret), []byte(next)}}
	sig := func(v string) http.Header { return header("X-Webhook-Signature", v) }
	runSigCases(t, []sigCase{
		{name: "lower-case hex is accepted", cfg: cfg, h: sig(hx), body: body},
		{name: "upper-case hex is accepted", cfg: cfg, h: sig(strings.ToUpper(hx)), body: body},
		{name: "sha256 prefix is accepted", cfg: cfg, h: sig("sha256=" + hx), body: body},
		{name: "upper-case prefix is accepted", cfg: cfg, h: sig("SHA256=" + hx), body: body},
		{name: "surrounding spaces are accepted", cfg: cfg, h: sig("  " + hx + " "), body: body},
		{name: "standard base64 is accepted", cfg: cfg, h: sig(base64.StdEncoding.EncodeToString(mac)), body: body},
		{name: "unpadded base64 is accepted", cfg: cfg, h: sig(base64.RawStdEncoding.EncodeToString(mac)), body: body},
		{name: "URL base64 is accepted", cfg: cfg, h: sig(base64.URLEncoding.EncodeToString(mac)), body: body},
		{name: "unpadded URL base64 is accepted", cfg: cfg, h: sig(base64.RawURLEncoding.EncodeToString(mac)), body: body},
		{name: "prefixed base64 is accepted", cfg: cfg, h: sig("sha256=" + base64.StdEncoding.EncodeToString(mac)), body: body},
		{name: "header name is case-insensitive", cfg: cfg, h: http.Header{"X-Webhook-Signature": {hx}}, body: body},
		{name: "custom header is used", cfg: SignatureConfig{Scheme: SchemeHMACSHA256, Header: "x-custom-sig", Secrets: cfg.Secrets}, h: header("X-Custom-Sig", hx), body: body},
		{name: "current secret matches during rotation", cfg: rotating, h: sig(hx), body: body},
		{name: "next secret matches during rotation", cfg: rotating, h: sig(SignHMACSHA256Hex([]byte(next), []byte(body))), body: body},
		{name: "a third secret does not match during rotation", cfg: rotating, h: sig(SignHMACSHA256Hex([]byte("old"), []byte(body))), body: body, wantReason: "signature does not match"},
		{name: "missing header is refused", cfg: cfg, h: header(), body: body, wantReason: "signature header X-Webhook-Signature is missing"},
		{name: "nil header is refused", cfg: cfg, body: body, wantReason: "signature header X-Webhook-Signature is missing"},
		{name: "signature in the wrong header is refused", cfg: cfg, h: header("X-Hub-Signature-256", hx), body: body, wantReason: "signature header X-Webhook-Signature is missing"},
		{name: "empty header is refused", cfg: cfg, h: sig(""), body: body, wantReason: "signature header X-Webhook-Signature is empty"},
		{name: "repeated header is refused", cfg: cfg, h: header("X-Webhook-Signature", hx, "X-Webhook-Signature", hx), body: body, wantReason: "signature header X-Webhook-Signature appears more than once"},
		{name: "non-hex characters are refused", cfg: cfg, h: sig(strings.Repeat("z", 64)), body: body, wantReason: "signature is not valid hex or base64 of an HMAC-SHA256"},
		{name: "truncated hex is refused", cfg: cfg, h: sig(hx[:63]), body: body, wantReason: "signature is not valid hex or base64 of an HMAC-SHA256"},
		{name: "SHA-1 length is refused", cfg: cfg, h: sig("sha1=01dc10d0c83e72ed246219cdd91669667fe2ca59"), body: body, wantReason: "signature is not valid hex or base64 of an HMAC-SHA256"},
		{name: "prefix alone is refused", cfg: cfg, h: sig("sha256="), body: body, wantReason: "signature is not valid hex or base64 of an HMAC-SHA256"},
		{name: "wrong secret is refused", cfg: SignatureConfig{Scheme: SchemeHMACSHA256, Secrets: [][]byte{[]byte("other")}}, h: sig(hx), body: body, wantReason: "signature does not match"},
		{name: "changed body is refused", cfg: cfg, h: sig(hx), body: body + "\n", wantReason: "signature does not match"},
		{name: "last nibble changed is refused", cfg: cfg, h: sig(hx[:63] + string("0123456789abcdef"[(strings.IndexByte("0123456789abcdef", hx[63])+1)%16])), body: body, wantReason: "signature does not match"},
	})
}

// stripeHeader signs like the timestamped scheme's senders do.
func stripeHeader(secret, body string, ts int64) string {
	t := strconv.FormatInt(ts, 10)
	return "t=" + t + ",v1=" + hex.EncodeToString(rawMAC(secret, t, ".", body))
}

func TestVerifyTimestamped(t *testing.T) {
	t.Parallel()
	const body = `{"id":"evt_1","type":"incident.created"}`
	const secret = "whsec_statussentry"
	ts := int64(1698416400)
	at := func(d int64) time.Time { return time.Unix(ts+d, 0) }
	cfg := SignatureConfig{Scheme: SchemeHMACSHA256Timestamped, Header: "X-StatusSentry-Signature", Secrets: [][]byte{[]byte(secret)}}
	short := cfg
	short.Tolerance = 60 * time.Second
	rotating := cfg
	rotating.Secrets = [][]byte{[]byte("whsec_old"), []byte(secret)}
	good := stripeHeader(secret, body, ts)
	v1 := strings.TrimPrefix(good, "t="+strconv.FormatInt(ts, 10)+",")
	sig := func(v string) http.Header { return header("X-StatusSentry-Signature", v) }
	runSigCases(t, []sigCase{
		{name: "fresh signature is accepted", cfg: cfg, h: sig(good), body: body, now: at(0)},
		{name: "exactly 300s old is accepted", cfg: cfg, h: sig(good), body: body, now: at(300)},
		{name: "301s old is refused", cfg: cfg, h: sig(good), body: body, now: at(301), wantReason: "timestamp is outside the 300s tolerance"},
		{name: "exactly 300s in the future is accepted", cfg: cfg, h: sig(good), body: body, now: at(-300)},
		{name: "301s in the future is refused", cfg: cfg, h: sig(good), body: body, now: at(-301), wantReason: "timestamp is outside the 300s tolerance"},
		{name: "an hour in the future is refused", cfg: cfg, h: sig(good), body: body, now: at(-3600), wantReason: "timestamp is outside the 300s tolerance"},
		{name: "custom tolerance boundary is accepted", cfg: short, h: sig(good), body: body, now: at(60)},
		{name: "custom tolerance is enforced", cfg: short, h: sig(good), body: body, now: at(61), wantReason: "timestamp is outside the 60s tolerance"},
		{name: "timestamp after the signature is accepted", cfg: cfg, h: sig(v1 + ",t=" + strconv.FormatInt(ts, 10)), body: body, now: at(0)},
		{name: "spaces around items are accepted", cfg: cfg, h: sig("t=" + strconv.FormatInt(ts, 10) + ", " + v1), body: body, now: at(0)},
		{name: "base64 v1 is accepted", cfg: cfg, h: sig("t=" + strconv.FormatInt(ts, 10) + ",v1=" + base64.StdEncoding.EncodeToString(rawMAC(secret, strconv.FormatInt(ts, 10), ".", body))), body: body, now: at(0)},
		{name: "one good v1 among bad ones is accepted", cfg: cfg, h: sig("t=" + strconv.FormatInt(ts, 10) + ",v1=" + strings.Repeat("ab", 32) + "," + v1 + ",v1=junk"), body: body, now: at(0)},
		{name: "second secret matches during rotation", cfg: rotating, h: sig(good), body: body, now: at(0)},
		{name: "unknown keys are ignored", cfg: cfg, h: sig(good + ",v0=abc,scheme=x"), body: body, now: at(0)},
		{name: "missing header is refused", cfg: cfg, h: header(), body: body, now: at(0), wantReason: "signature header X-Statussentry-Signature is missing"},
		{name: "default header is X-Webhook-Signature", cfg: SignatureConfig{Scheme: SchemeHMACSHA256Timestamped, Secrets: cfg.Secrets}, h: header("X-Webhook-Signature", good), body: body, now: at(0)},
		{name: "missing timestamp is refused", cfg: cfg, h: sig(v1), body: body, now: at(0), wantReason: "signature header X-Statussentry-Signature has no timestamp (t=)"},
		{name: "missing v1 is refused", cfg: cfg, h: sig("t=" + strconv.FormatInt(ts, 10)), body: body, now: at(0), wantReason: "signature header X-Statussentry-Signature has no v1 signature"},
		{name: "item without equals is refused", cfg: cfg, h: sig(good + ",v1"), body: body, now: at(0), wantReason: "signature header X-Statussentry-Signature is malformed (expected t=<timestamp>,v1=<signature>)"},
		{name: "two timestamps are refused", cfg: cfg, h: sig(good + ",t=" + strconv.FormatInt(ts, 10)), body: body, now: at(0), wantReason: "signature header X-Statussentry-Signature has more than one timestamp"},
		{name: "negative timestamp is refused", cfg: cfg, h: sig("t=-5," + v1), body: body, now: at(0), wantReason: "signature header X-Statussentry-Signature has an invalid timestamp (t must be unix seconds)"},
		{name: "fractional timestamp is refused", cfg: cfg, h: sig("t=" + strconv.FormatInt(ts, 10) + ".0," + v1), body: body, now: at(0), wantReason: "signature header X-Statussentry-Signature has an invalid timestamp (t must be unix seconds)"},
		{name: "huge timestamp is refused", cfg: cfg, h: sig("t=99999999999999999999," + v1), body: body, now: at(0), wantReason: "signature header X-Statussentry-Signature has an invalid timestamp (t must be unix seconds)"},
		{name: "only undecodable v1 values are refused", cfg: cfg, h: sig("t=" + strconv.FormatInt(ts, 10) + ",v1=nothex"), body: body, now: at(0), wantReason: "signature is not valid hex or base64 of an HMAC-SHA256"},
		{name: "wrong secret is refused", cfg: SignatureConfig{Scheme: SchemeHMACSHA256Timestamped, Header: "X-StatusSentry-Signature", Secrets: [][]byte{[]byte("other")}}, h: sig(good), body: body, now: at(0), wantReason: "signature does not match"},
		{name: "changed timestamp is refused", cfg: cfg, h: sig("t=" + strconv.FormatInt(ts+1, 10) + "," + v1), body: body, now: at(0), wantReason: "signature does not match"},
		{name: "changed body is refused", cfg: cfg, h: sig(good), body: body + " ", now: at(0), wantReason: "signature does not match"},
	})
}

func TestVerifyStandardWebhooks(t *testing.T) {
	t.Parallel()
	// sw-v1-official-1 from the vectors, reused for the cases the vectors
	// do not cover.
	const (
		secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
		body   = `{"test": 2432232314}`
		id     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
		ts     = "1614265330"
		sig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	)
	now := time.Unix(1614265330, 0)
	cfg := SignatureConfig{Scheme: SchemeStandardWebhooks, Secrets: [][]byte{[]byte(secret)}}
	bare := SignatureConfig{Scheme: SchemeStandardWebhooks, Secrets: [][]byte{[]byte(strings.TrimPrefix(secret, "whsec_"))}}
	rotating := SignatureConfig{Scheme: SchemeStandardWebhooks, Secrets: [][]byte{[]byte("whsec_" + base64.StdEncoding.EncodeToString([]byte("another key of 24 bytes!"))), []byte(secret)}}
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	unpadded := SignatureConfig{Scheme: SchemeStandardWebhooks, Secrets: [][]byte{[]byte("whsec_" + base64.RawStdEncoding.EncodeToString(key[:23]))}}
	unpaddedSig := "v1," + base64.StdEncoding.EncodeToString(func() []byte {
		m := hmac.New(sha256.New, key[:23])
		m.Write([]byte(id + "." + ts + "." + body))
		return m.Sum(nil)
	}())
	std := func(sigv string) http.Header {
		return header("Webhook-Id", id, "Webhook-Timestamp", ts, "Webhook-Signature", sigv)
	}
	runSigCases(t, []sigCase{
		{name: "official vector is accepted", cfg: cfg, h: std(sig), body: body, now: now},
		{name: "secret without the whsec prefix is accepted", cfg: bare, h: std(sig), body: body, now: now},
		{name: "unpadded secret is accepted", cfg: unpadded, h: std(unpaddedSig), body: body, now: now},
		{name: "second secret matches during rotation", cfg: rotating, h: std(sig), body: body, now: now},
		{name: "svix headers are accepted", cfg: cfg, h: header("Svix-Id", id, "Svix-Timestamp", ts, "Svix-Signature", sig), body: body, now: now},
		{name: "mixed header families are refused", cfg: cfg, h: header("Svix-Id", id, "Webhook-Timestamp", ts, "Webhook-Signature", sig), body: body, now: now, wantReason: "signature header Webhook-Id is missing"},
		{name: "missing signature is refused", cfg: cfg, h: header("Webhook-Id", id, "Webhook-Timestamp", ts), body: body, now: now, wantReason: "signature header Webhook-Signature is missing"},
		{name: "missing timestamp is refused", cfg: cfg, h: header("Webhook-Id", id, "Webhook-Signature", sig), body: body, now: now, wantReason: "signature header Webhook-Timestamp is missing"},
		{name: "non-integer timestamp is refused", cfg: cfg, h: header("Webhook-Id", id, "Webhook-Timestamp", "1614265330.0", "Webhook-Signature", sig), body: body, now: now, wantReason: "signature header Webhook-Timestamp is not unix seconds"},
		{name: "no v1 entry is refused", cfg: cfg, h: std("v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg=="), body: body, now: now, wantReason: "signature header Webhook-Signature has no v1 signature"},
		{name: "undecodable v1 entries are refused", cfg: cfg, h: std("v1,g0hM9"), body: body, now: now, wantReason: "signature is not valid base64 of an HMAC-SHA256"},
		{name: "stale timestamp is refused before the signature is checked", cfg: cfg, h: std(sig), body: body, now: now.Add(301 * time.Second), wantReason: "timestamp is outside the 300s tolerance"},
		{name: "wrong signature is refused", cfg: cfg, h: std("v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="), body: body, now: now, wantReason: "signature does not match"},
	})
}

func TestVerifySecretSchemes(t *testing.T) {
	t.Parallel()
	const body = `{"event":"incident.created"}`
	shared := SignatureConfig{Scheme: SchemeSharedSecret, Header: "X-Pingara-Secret", Secrets: [][]byte{[]byte("pingara-secret")}}
	sharedDefault := SignatureConfig{Scheme: SchemeSharedSecret, Secrets: [][]byte{[]byte("pingara-secret"), []byte("next-secret")}}
	bearer := SignatureConfig{Scheme: SchemeBearer, Secrets: [][]byte{[]byte("tok_123")}}
	basic := SignatureConfig{Scheme: SchemeBasic, Secrets: [][]byte{[]byte("pingara:p4ss:word")}}
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	runSigCases(t, []sigCase{
		{name: "shared secret is accepted", cfg: shared, h: header("X-Pingara-Secret", "pingara-secret"), body: body},
		{name: "shared secret default header is accepted", cfg: sharedDefault, h: header("X-Webhook-Secret", "pingara-secret"), body: body},
		{name: "shared secret rotation accepts the next secret", cfg: sharedDefault, h: header("X-Webhook-Secret", "next-secret"), body: body},
		{name: "shared secret wrong value is refused", cfg: shared, h: header("X-Pingara-Secret", "pingara-secreT"), body: body, wantReason: "secret in header X-Pingara-Secret does not match"},
		{name: "shared secret prefix is refused", cfg: shared, h: header("X-Pingara-Secret", "pingara"), body: body, wantReason: "secret in header X-Pingara-Secret does not match"},
		{name: "shared secret empty value is refused", cfg: shared, h: header("X-Pingara-Secret", ""), body: body, wantReason: "secret in header X-Pingara-Secret does not match"},
		{name: "shared secret missing header is refused", cfg: shared, h: header(), body: body, wantReason: "secret header X-Pingara-Secret is missing"},
		{name: "shared secret repeated header is refused", cfg: shared, h: header("X-Pingara-Secret", "x", "X-Pingara-Secret", "pingara-secret"), body: body, wantReason: "secret header X-Pingara-Secret appears more than once"},
		{name: "bearer token is accepted", cfg: bearer, h: header("Authorization", "Bearer tok_123"), body: body},
		{name: "bearer scheme word is case-insensitive", cfg: bearer, h: header("Authorization", "bearer tok_123"), body: body},
		{name: "bearer wrong token is refused", cfg: bearer, h: header("Authorization", "Bearer tok_124"), body: body, wantReason: "bearer token does not match"},
		{name: "bearer without token is refused", cfg: bearer, h: header("Authorization", "Bearer"), body: body, wantReason: "Authorization header is not Bearer credentials"},
		{name: "basic credentials for bearer are refused", cfg: bearer, h: header("Authorization", "Basic "+b64("tok_123")), body: body, wantReason: "Authorization header is not Bearer credentials"},
		{name: "bearer missing header is refused", cfg: bearer, h: header(), body: body, wantReason: "Authorization header is missing"},
		{name: "bearer repeated header is refused", cfg: bearer, h: header("Authorization", "Bearer x", "Authorization", "Bearer tok_123"), body: body, wantReason: "Authorization header appears more than once"},
		{name: "basic credentials are accepted", cfg: basic, h: header("Authorization", "Basic "+b64("pingara:p4ss:word")), body: body},
		{name: "basic wrong password is refused", cfg: basic, h: header("Authorization", "Basic "+b64("pingara:p4ss")), body: body, wantReason: "basic credentials do not match"},
		{name: "basic bad base64 is refused", cfg: basic, h: header("Authorization", "Basic !!!"), body: body, wantReason: "Authorization header is not valid Basic credentials"},
		{name: "bearer for basic is refused", cfg: basic, h: header("Authorization", "Bearer pingara:p4ss:word"), body: body, wantReason: "Authorization header is not Basic credentials"},
	})
}

func TestSignatureConfigValidate(t *testing.T) {
	t.Parallel()
	s := func(v ...string) [][]byte {
		out := make([][]byte, len(v))
		for i, x := range v {
			out[i] = []byte(x)
		}
		return out
	}
	tests := []struct {
		name      string
		cfg       SignatureConfig
		wantField string
	}{
		{name: "hmac with one secret is valid", cfg: SignatureConfig{Scheme: SchemeHMACSHA256, Secrets: s("a")}},
		{name: "hmac with two secrets is valid", cfg: SignatureConfig{Scheme: SchemeHMACSHA256, Secrets: s("a", "b"), Header: "X-Hub-Signature-256"}},
		{name: "timestamped with a tolerance is valid", cfg: SignatureConfig{Scheme: SchemeHMACSHA256Timestamped, Secrets: s("a"), Tolerance: time.Minute}},
		{name: "standard webhooks with a tolerance is valid", cfg: SignatureConfig{Scheme: SchemeStandardWebhooks, Secrets: s("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), Tolerance: MaxTolerance}},
		{name: "basic with user and password is valid", cfg: SignatureConfig{Scheme: SchemeBasic, Secrets: s("u:p")}},
		{name: "empty scheme is refused", cfg: SignatureConfig{Secrets: s("a")}, wantField: "signature.scheme"},
		{name: "unknown scheme is refused", cfg: SignatureConfig{Scheme: "hmac-sha1", Secrets: s("a")}, wantField: "signature.scheme"},
		{name: "no secret is refused", cfg: SignatureConfig{Scheme: SchemeHMACSHA256}, wantField: "signature.secret"},
		{name: "three secrets are refused", cfg: SignatureConfig{Scheme: SchemeHMACSHA256, Secrets: s("a", "b", "c")}, wantField: "signature.secret"},
		{name: "empty secret is refused", cfg: SignatureConfig{Scheme: SchemeHMACSHA256, Secrets: s("a", "")}, wantField: "signature.secret"},
		{name: "padded secret is refused", cfg: SignatureConfig{Scheme: SchemeBearer, Secrets: s(" a")}, wantField: "signature.secret"},
		{name: "secret with a newline is refused", cfg: SignatureConfig{Scheme: SchemeSharedSecret, Secrets: s("a\nb")}, wantField: "signature.secret"},
		{name: "standard webhooks secret that is not base64 is refused", cfg: SignatureConfig{Scheme: SchemeStandardWebhooks, Secrets: s("whsec_!!!")}, wantField: "signature.secret"},
		{name: "standard webhooks bare prefix is refused", cfg: SignatureConfig{Scheme: SchemeStandardWebhooks, Secrets: s("whsec_")}, wantField: "signature.secret"},
		{name: "basic secret without a colon is refused", cfg: SignatureConfig{Scheme: SchemeBasic, Secrets: s("pingarauser")}, wantField: "signature.secret"},
		{name: "invalid header name is refused", cfg: SignatureConfig{Scheme: SchemeHMACSHA256, Secrets: s("a"), Header: "X Sig"}, wantField: "signature.header"},
		{name: "header for bearer is refused", cfg: SignatureConfig{Scheme: SchemeBearer, Secrets: s("a"), Header: "X-Token"}, wantField: "signature.header"},
		{name: "header for standard webhooks is refused", cfg: SignatureConfig{Scheme: SchemeStandardWebhooks, Secrets: s("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), Header: "X-Sig"}, wantField: "signature.header"},
		{name: "tolerance for an untimed scheme is refused", cfg: SignatureConfig{Scheme: SchemeHMACSHA256, Secrets: s("a"), Tolerance: time.Minute}, wantField: "signature.tolerance_seconds"},
		{name: "negative tolerance is refused", cfg: SignatureConfig{Scheme: SchemeHMACSHA256Timestamped, Secrets: s("a"), Tolerance: -time.Second}, wantField: "signature.tolerance_seconds"},
		{name: "tolerance over a day is refused", cfg: SignatureConfig{Scheme: SchemeHMACSHA256Timestamped, Secrets: s("a"), Tolerance: MaxTolerance + time.Second}, wantField: "signature.tolerance_seconds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.cfg.Validate()
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("Validate() = %v; want nil", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Field != tt.wantField {
				t.Fatalf("Validate() = %#v; want *ValidationError on %q", err, tt.wantField)
			}
			for _, sec := range tt.cfg.Secrets {
				// "whsec_" alone is the prefix the message names on purpose.
				if len(sec) > 1 && string(sec) != "whsec_" && strings.Contains(ve.Message, string(sec)) {
					t.Fatalf("Validate() message %q repeats a secret", ve.Message)
				}
			}
			verr := VerifySignature(tt.cfg, Input{Body: []byte("{}")}, time.Unix(0, 0))
			var vve *ValidationError
			if !errors.Is(verr, ErrSignatureInvalid) || !errors.As(verr, &vve) || vve.Field != tt.wantField {
				t.Fatalf("VerifySignature with an invalid config = %v; want ErrSignatureInvalid wrapping the *ValidationError", verr)
			}
		})
	}
}

func TestSignatureConfigHeaderName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		cfg  SignatureConfig
		want string
	}{
		{SignatureConfig{Scheme: SchemeHMACSHA256}, "X-Webhook-Signature"},
		{SignatureConfig{Scheme: SchemeHMACSHA256, Header: "x-hub-signature-256"}, "X-Hub-Signature-256"},
		{SignatureConfig{Scheme: SchemeHMACSHA256Timestamped}, "X-Webhook-Signature"},
		{SignatureConfig{Scheme: SchemeSharedSecret}, "X-Webhook-Secret"},
		{SignatureConfig{Scheme: SchemeStandardWebhooks}, "Webhook-Signature"},
		{SignatureConfig{Scheme: SchemeBearer}, "Authorization"},
		{SignatureConfig{Scheme: SchemeBasic}, "Authorization"},
	}
	for _, tt := range tests {
		t.Run(tt.cfg.Scheme+" header is "+tt.want, func(t *testing.T) {
			t.Parallel()
			if got := tt.cfg.HeaderName(); got != tt.want {
				t.Fatalf("HeaderName() = %q; want %q", got, tt.want)
			}
		})
	}
}
