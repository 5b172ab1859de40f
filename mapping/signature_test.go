package mapping

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"hash"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// vector is one entry of testdata/signature-vectors.json, a verbatim copy of
// the authoritative JSON block of shared/vectors/signature-vectors.md.
type vector struct {
	ID        string            `json:"id"`
	Scheme    string            `json:"scheme"`
	Secret    string            `json:"secret"`
	PublicKey string            `json:"public_key"`
	Payload   string            `json:"payload"`
	Headers   map[string]string `json:"headers"`
	Now       *int64            `json:"now"`
	Expect    string            `json:"expect"`
	// Convoy's generic vectors describe the configuration instead.
	Advanced  bool   `json:"advanced"`
	Hash      string `json:"hash"`
	Encoding  string `json:"encoding"`
	Header    string `json:"header"`
	Tolerance int64  `json:"tolerance"`
}

// implementationDefined records statusgate's choice for the vectors whose
// publishers leave the answer open (see docs/DECISIONS.md, Signatures).
var implementationDefined = map[string]string{
	// GitHub always sends the prefix; a value without it is not GitHub's.
	"github-missing-prefix": "invalid",
	// The tolerance is symmetric: a sender's fast clock must not mint
	// signatures that stay valid for an hour.
	"stripe-future-timestamp": "invalid",
}

// vectorKinds pins which part fails for vectors that stand for one kind.
var vectorKinds = map[string]SignatureKind{
	"sw-v1-neg-missing-webhook-id":        SignatureMissing,
	"sw-v1-neg-missing-webhook-timestamp": SignatureMissing,
	"sw-v1-neg-missing-webhook-signature": SignatureMissing,
	"sw-v1-neg-partial-sig":               SignatureMalformed,
	"sw-v1-neg-ts-float":                  SignatureMalformed,
	"sw-v1-neg-one-char-changed":          SignatureMismatch,
	"sw-v1-ts-age-301-rejected":           SignatureExpired,
	"sw-v1-ts-future-301-rejected":        SignatureFuture,
	"stripe-neg-empty-header":             SignatureMissing,
	"stripe-neg-bad-header-1":             SignatureMalformed,
	"stripe-neg-v0-only":                  SignatureMalformed,
	"stripe-neg-fake-sig":                 SignatureMalformed,
	"stripe-age-301-rejected":             SignatureExpired,
	"stripe-future-timestamp":             SignatureFuture,
	"github-missing-prefix":               SignatureMalformed,
	"github-neg-wrong-secret":             SignatureMismatch,
	"slack-age-301-rejected":              SignatureExpired,
	"slack-future-301-rejected":           SignatureFuture,
	"slack-neg-body-tampered":             SignatureMismatch,
	"shopify-neg-body-tampered":           SignatureMismatch,
	"convoy-advanced_expired":             SignatureExpired,
	"convoy-advanced_t_infinity":          SignatureMalformed,
	"convoy-advanced_missing_timestamp":   SignatureMalformed,
	"convoy-advanced_numeric_signature":   SignatureMalformed,
	"convoy-simple_tamper":                SignatureMismatch,
}

// convoyHeader is where the generic-scheme vectors put their value.
const convoyHeader = "X-Convoy-Signature"

// config is the receiver configuration a vector is verified with.
func (v vector) config() SignatureConfig {
	secret := v.Secret
	if v.PublicKey != "" {
		secret = v.PublicKey
	}
	cfg := SignatureConfig{Scheme: v.Scheme, Secrets: [][]byte{[]byte(secret)}}
	if v.Scheme == "convoy-generic-hmac" {
		cfg = SignatureConfig{Scheme: SchemeHMAC, Secrets: cfg.Secrets, Header: convoyHeader,
			Algorithm: strings.ToLower(v.Hash), Encoding: v.Encoding}
		if v.Advanced {
			cfg.SignedPayload = "{timestamp},{body}"
			// Convoy isolates the HMAC from the clock with a 100-year
			// tolerance; statusgate caps it at a day, which still covers
			// the vectors' one hour.
			cfg.Tolerance = min(time.Duration(v.Tolerance)*time.Second, MaxTolerance)
		}
	}
	return cfg
}

func (v vector) request() Input {
	h := http.Header{}
	for k, val := range v.Headers {
		h.Set(k, val)
	}
	if v.Scheme == "convoy-generic-hmac" {
		h.Set(convoyHeader, v.Header)
	}
	return Input{Body: []byte(v.Payload), Header: h}
}

// TestSignatureVectors runs every published vector, by id, with the clock
// pinned to the vector's now; each valid one is run again as the second of
// two secrets, as during a rotation.
func TestSignatureVectors(t *testing.T) {
	t.Parallel()
	var vectors []vector
	if err := json.Unmarshal(mustRead(t, "signature-vectors.json"), &vectors); err != nil {
		t.Fatalf("decode signature-vectors.json: %v", err)
	}
	if len(vectors) != 66 {
		t.Fatalf("signature-vectors.json holds %d vectors; want all 66 of shared/vectors", len(vectors))
	}
	for _, v := range vectors {
		want := v.Expect
		if want == "implementation-defined" {
			want = implementationDefined[v.ID]
		}
		t.Run(v.ID+" is "+want, func(t *testing.T) {
			t.Parallel()
			now := time.Unix(1700000000, 0)
			if v.Now != nil {
				now = time.Unix(*v.Now, 0)
			}
			cfg := v.config()
			if err := cfg.Validate(); err != nil {
				t.Fatalf("vector %s: configuration %+v is invalid: %v", v.ID, cfg, err)
			}
			err := VerifySignature(cfg, v.request(), now)
			switch want {
			case "valid":
				if err != nil {
					t.Fatalf("VerifySignature = %v; want nil", err)
				}
				rotating := cfg
				rotating.Secrets = [][]byte{[]byte("the-other-active-secret"), cfg.Secrets[0]}
				if v.Scheme == SchemeStandardWebhooks {
					rotating.Secrets[0] = []byte("whsec_" + base64.StdEncoding.EncodeToString([]byte("another key of 24 bytes!")))
				}
				if err := VerifySignature(rotating, v.request(), now); err != nil {
					t.Fatalf("VerifySignature with the secret second of two = %v; want nil", err)
				}
			case "invalid":
				var se *SignatureError
				if !errors.As(err, &se) || !errors.Is(err, ErrSignatureInvalid) {
					t.Fatalf("VerifySignature = %v; want a *SignatureError", err)
				}
				if kind, ok := vectorKinds[v.ID]; ok && se.Kind != kind {
					t.Fatalf("VerifySignature kind = %q (%s); want %q", se.Kind, se.Reason, kind)
				}
				if se.Kind == SignatureMisconfigured {
					t.Fatalf("VerifySignature = %v; a vector must fail on the request, not the configuration", err)
				}
				if strings.Contains(err.Error(), v.Secret) {
					t.Fatalf("VerifySignature reason %q contains the secret", err)
				}
			default:
				t.Fatalf("vector %s expects %q and statusgate records no choice for it", v.ID, v.Expect)
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
		{name: "a third secret does not match during rotation", cfg: rotating, h: sig(SignHMACSHA256Hex([]byte("old"), []byte(body))), body: body, wantReason: "signature mismatch"},
		{name: "missing header is refused", cfg: cfg, h: header(), body: body, wantReason: "signature missing: header X-Webhook-Signature is absent"},
		{name: "nil header is refused", cfg: cfg, body: body, wantReason: "signature missing: header X-Webhook-Signature is absent"},
		{name: "signature in the wrong header is refused", cfg: cfg, h: header("X-Hub-Signature-256", hx), body: body, wantReason: "signature missing: header X-Webhook-Signature is absent"},
		{name: "empty header is refused", cfg: cfg, h: sig(""), body: body, wantReason: "signature missing: header X-Webhook-Signature is empty"},
		{name: "repeated header is refused", cfg: cfg, h: header("X-Webhook-Signature", hx, "X-Webhook-Signature", hx), body: body, wantReason: "signature malformed: header X-Webhook-Signature appears more than once"},
		{name: "non-hex characters are refused", cfg: cfg, h: sig(strings.Repeat("z", 64)), body: body, wantReason: "signature malformed: header X-Webhook-Signature holds no hex or base64 of an HMAC-SHA256"},
		{name: "truncated hex is refused", cfg: cfg, h: sig(hx[:63]), body: body, wantReason: "signature malformed: header X-Webhook-Signature holds no hex or base64 of an HMAC-SHA256"},
		{name: "SHA-1 length is refused", cfg: cfg, h: sig("sha1=01dc10d0c83e72ed246219cdd91669667fe2ca59"), body: body, wantReason: "signature malformed: header X-Webhook-Signature holds no hex or base64 of an HMAC-SHA256"},
		{name: "prefix alone is refused", cfg: cfg, h: sig("sha256="), body: body, wantReason: "signature malformed: header X-Webhook-Signature holds no hex or base64 of an HMAC-SHA256"},
		{name: "wrong secret is refused", cfg: SignatureConfig{Scheme: SchemeHMACSHA256, Secrets: [][]byte{[]byte("other")}}, h: sig(hx), body: body, wantReason: "signature mismatch"},
		{name: "changed body is refused", cfg: cfg, h: sig(hx), body: body + "\n", wantReason: "signature mismatch"},
		{name: "last nibble changed is refused", cfg: cfg, h: sig(hx[:63] + string("0123456789abcdef"[(strings.IndexByte("0123456789abcdef", hx[63])+1)%16])), body: body, wantReason: "signature mismatch"},
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
		{name: "301s old is refused", cfg: cfg, h: sig(good), body: body, now: at(301), wantReason: "timestamp 301 s in the past, tolerance 300 s"},
		{name: "exactly 300s in the future is accepted", cfg: cfg, h: sig(good), body: body, now: at(-300)},
		{name: "301s in the future is refused", cfg: cfg, h: sig(good), body: body, now: at(-301), wantReason: "timestamp 301 s in the future, tolerance 300 s"},
		{name: "an hour in the future is refused", cfg: cfg, h: sig(good), body: body, now: at(-3600), wantReason: "timestamp 3600 s in the future, tolerance 300 s"},
		{name: "custom tolerance boundary is accepted", cfg: short, h: sig(good), body: body, now: at(60)},
		{name: "custom tolerance is enforced", cfg: short, h: sig(good), body: body, now: at(61), wantReason: "timestamp 61 s in the past, tolerance 60 s"},
		{name: "timestamp after the signature is accepted", cfg: cfg, h: sig(v1 + ",t=" + strconv.FormatInt(ts, 10)), body: body, now: at(0)},
		{name: "spaces around items are accepted", cfg: cfg, h: sig("t=" + strconv.FormatInt(ts, 10) + ", " + v1), body: body, now: at(0)},
		{name: "base64 v1 is accepted", cfg: cfg, h: sig("t=" + strconv.FormatInt(ts, 10) + ",v1=" + base64.StdEncoding.EncodeToString(rawMAC(secret, strconv.FormatInt(ts, 10), ".", body))), body: body, now: at(0)},
		{name: "one good v1 among bad ones is accepted", cfg: cfg, h: sig("t=" + strconv.FormatInt(ts, 10) + ",v1=" + strings.Repeat("ab", 32) + "," + v1 + ",v1=junk"), body: body, now: at(0)},
		{name: "second secret matches during rotation", cfg: rotating, h: sig(good), body: body, now: at(0)},
		{name: "unknown keys are ignored", cfg: cfg, h: sig(good + ",v0=abc,scheme=x"), body: body, now: at(0)},
		{name: "missing header is refused", cfg: cfg, h: header(), body: body, now: at(0), wantReason: "signature missing: header X-Statussentry-Signature is absent"},
		{name: "default header is X-Webhook-Signature", cfg: SignatureConfig{Scheme: SchemeHMACSHA256Timestamped, Secrets: cfg.Secrets}, h: header("X-Webhook-Signature", good), body: body, now: at(0)},
		{name: "missing timestamp is refused", cfg: cfg, h: sig(v1), body: body, now: at(0), wantReason: "signature malformed: header X-Statussentry-Signature has no timestamp (t=)"},
		{name: "missing v1 is refused", cfg: cfg, h: sig("t=" + strconv.FormatInt(ts, 10)), body: body, now: at(0), wantReason: "signature malformed: header X-Statussentry-Signature has no v1 signature"},
		{name: "item without equals is refused", cfg: cfg, h: sig(good + ",v1"), body: body, now: at(0), wantReason: "signature malformed: header X-Statussentry-Signature is not t=<timestamp>,v1=<signature>"},
		{name: "two timestamps are refused", cfg: cfg, h: sig(good + ",t=" + strconv.FormatInt(ts, 10)), body: body, now: at(0), wantReason: "signature malformed: header X-Statussentry-Signature has more than one timestamp"},
		{name: "negative timestamp is refused", cfg: cfg, h: sig("t=-5," + v1), body: body, now: at(0), wantReason: "signature malformed: header X-Statussentry-Signature has an invalid timestamp (t must be unix seconds)"},
		{name: "fractional timestamp is refused", cfg: cfg, h: sig("t=" + strconv.FormatInt(ts, 10) + ".0," + v1), body: body, now: at(0), wantReason: "signature malformed: header X-Statussentry-Signature has an invalid timestamp (t must be unix seconds)"},
		{name: "huge timestamp is refused", cfg: cfg, h: sig("t=99999999999999999999," + v1), body: body, now: at(0), wantReason: "signature malformed: header X-Statussentry-Signature has an invalid timestamp (t must be unix seconds)"},
		{name: "only undecodable v1 values are refused", cfg: cfg, h: sig("t=" + strconv.FormatInt(ts, 10) + ",v1=nothex"), body: body, now: at(0), wantReason: "signature malformed: header X-Statussentry-Signature holds no v1=<hex or base64 of an HMAC-SHA256>"},
		{name: "wrong secret is refused", cfg: SignatureConfig{Scheme: SchemeHMACSHA256Timestamped, Header: "X-StatusSentry-Signature", Secrets: [][]byte{[]byte("other")}}, h: sig(good), body: body, now: at(0), wantReason: "signature mismatch"},
		{name: "changed timestamp is refused", cfg: cfg, h: sig("t=" + strconv.FormatInt(ts+1, 10) + "," + v1), body: body, now: at(0), wantReason: "signature mismatch"},
		{name: "changed body is refused", cfg: cfg, h: sig(good), body: body + " ", now: at(0), wantReason: "signature mismatch"},
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
		{name: "mixed header families are refused", cfg: cfg, h: header("Svix-Id", id, "Webhook-Timestamp", ts, "Webhook-Signature", sig), body: body, now: now, wantReason: "signature missing: header Webhook-Id is absent"},
		{name: "missing signature is refused", cfg: cfg, h: header("Webhook-Id", id, "Webhook-Timestamp", ts), body: body, now: now, wantReason: "signature missing: header Webhook-Signature is absent"},
		{name: "missing timestamp is refused", cfg: cfg, h: header("Webhook-Id", id, "Webhook-Signature", sig), body: body, now: now, wantReason: "signature missing: header Webhook-Timestamp is absent"},
		{name: "non-integer timestamp is refused", cfg: cfg, h: header("Webhook-Id", id, "Webhook-Timestamp", "1614265330.0", "Webhook-Signature", sig), body: body, now: now, wantReason: "signature malformed: header Webhook-Timestamp is not unix seconds"},
		{name: "no v1 entry is refused", cfg: cfg, h: std("v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg=="), body: body, now: now, wantReason: "signature malformed: header Webhook-Signature has no v1 entry"},
		{name: "undecodable v1 entries are refused", cfg: cfg, h: std("v1,g0hM9"), body: body, now: now, wantReason: "signature malformed: header Webhook-Signature holds no decodable signature"},
		{name: "a genuine signature with a stale timestamp is expired", cfg: cfg, h: std(sig), body: body, now: now.Add(301 * time.Second), wantReason: "timestamp 301 s in the past, tolerance 300 s"},
		{name: "a forged signature with a stale timestamp is a mismatch", cfg: cfg, h: std("v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="), body: body, now: now.Add(301 * time.Second), wantReason: "signature mismatch"},
		{name: "wrong signature is refused", cfg: cfg, h: std("v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="), body: body, now: now, wantReason: "signature mismatch"},
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
		{name: "shared secret wrong value is refused", cfg: shared, h: header("X-Pingara-Secret", "pingara-secreT"), body: body, wantReason: "secret mismatch: header X-Pingara-Secret holds another value"},
		{name: "shared secret prefix is refused", cfg: shared, h: header("X-Pingara-Secret", "pingara"), body: body, wantReason: "secret mismatch: header X-Pingara-Secret holds another value"},
		{name: "shared secret empty value is refused", cfg: shared, h: header("X-Pingara-Secret", ""), body: body, wantReason: "secret mismatch: header X-Pingara-Secret holds another value"},
		{name: "shared secret missing header is refused", cfg: shared, h: header(), body: body, wantReason: "secret missing: header X-Pingara-Secret is absent"},
		{name: "shared secret repeated header is refused", cfg: shared, h: header("X-Pingara-Secret", "x", "X-Pingara-Secret", "pingara-secret"), body: body, wantReason: "secret malformed: header X-Pingara-Secret appears more than once"},
		{name: "bearer token is accepted", cfg: bearer, h: header("Authorization", "Bearer tok_123"), body: body},
		{name: "bearer scheme word is case-insensitive", cfg: bearer, h: header("Authorization", "bearer tok_123"), body: body},
		{name: "bearer wrong token is refused", cfg: bearer, h: header("Authorization", "Bearer tok_124"), body: body, wantReason: "credentials mismatch: bearer token does not match"},
		{name: "bearer without token is refused", cfg: bearer, h: header("Authorization", "Bearer"), body: body, wantReason: "credentials malformed: header Authorization is not Bearer credentials"},
		{name: "basic credentials for bearer are refused", cfg: bearer, h: header("Authorization", "Basic "+b64("tok_123")), body: body, wantReason: "credentials malformed: header Authorization is not Bearer credentials"},
		{name: "bearer missing header is refused", cfg: bearer, h: header(), body: body, wantReason: "credentials missing: header Authorization is absent"},
		{name: "bearer repeated header is refused", cfg: bearer, h: header("Authorization", "Bearer x", "Authorization", "Bearer tok_123"), body: body, wantReason: "credentials malformed: header Authorization appears more than once"},
		{name: "basic credentials are accepted", cfg: basic, h: header("Authorization", "Basic "+b64("pingara:p4ss:word")), body: body},
		{name: "basic wrong password is refused", cfg: basic, h: header("Authorization", "Basic "+b64("pingara:p4ss")), body: body, wantReason: "credentials mismatch: basic credentials do not match"},
		{name: "basic bad base64 is refused", cfg: basic, h: header("Authorization", "Basic !!!"), body: body, wantReason: "credentials malformed: header Authorization is not valid Basic credentials"},
		{name: "bearer for basic is refused", cfg: basic, h: header("Authorization", "Bearer pingara:p4ss:word"), body: body, wantReason: "credentials malformed: header Authorization is not Basic credentials"},
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
		{name: "generic hmac with defaults is valid", cfg: SignatureConfig{Scheme: SchemeHMAC, Secrets: s("a")}},
		{name: "generic hmac fully described is valid", cfg: SignatureConfig{Scheme: SchemeHMAC, Secrets: s("a", "b"), Header: "X-Sig", Algorithm: "sha512", Encoding: "base64", SignedPayload: "v0:{timestamp}:{body}", Prefix: "v0=", TimestampHeader: "X-Ts", Tolerance: time.Minute}},
		{name: "generic hmac with pairs is valid", cfg: SignatureConfig{Scheme: SchemeHMAC, Secrets: s("a"), SignedPayload: "{timestamp},{body}"}},
		{name: "generic unknown algorithm is refused", cfg: SignatureConfig{Scheme: SchemeHMAC, Secrets: s("a"), Algorithm: "md5"}, wantField: "signature.algorithm"},
		{name: "generic unknown encoding is refused", cfg: SignatureConfig{Scheme: SchemeHMAC, Secrets: s("a"), Encoding: "base32"}, wantField: "signature.encoding"},
		{name: "generic template without body is refused", cfg: SignatureConfig{Scheme: SchemeHMAC, Secrets: s("a"), SignedPayload: "{timestamp}"}, wantField: "signature.signed_payload"},
		{name: "generic template with body twice is refused", cfg: SignatureConfig{Scheme: SchemeHMAC, Secrets: s("a"), SignedPayload: "{body}{body}"}, wantField: "signature.signed_payload"},
		{name: "generic template with an unknown placeholder is refused", cfg: SignatureConfig{Scheme: SchemeHMAC, Secrets: s("a"), SignedPayload: "{id}.{body}"}, wantField: "signature.signed_payload"},
		{name: "generic timestamp header without a signed timestamp is refused", cfg: SignatureConfig{Scheme: SchemeHMAC, Secrets: s("a"), TimestampHeader: "X-Ts"}, wantField: "signature.timestamp_header"},
		{name: "generic invalid timestamp header is refused", cfg: SignatureConfig{Scheme: SchemeHMAC, Secrets: s("a"), SignedPayload: "{timestamp}.{body}", TimestampHeader: "X Ts"}, wantField: "signature.timestamp_header"},
		{name: "generic prefix with pairs is refused", cfg: SignatureConfig{Scheme: SchemeHMAC, Secrets: s("a"), SignedPayload: "{timestamp}.{body}", Prefix: "v1="}, wantField: "signature.prefix"},
		{name: "generic prefix with a comma is refused", cfg: SignatureConfig{Scheme: SchemeHMAC, Secrets: s("a"), Prefix: "a,b"}, wantField: "signature.prefix"},
		{name: "generic tolerance without a timestamp is refused", cfg: SignatureConfig{Scheme: SchemeHMAC, Secrets: s("a"), Tolerance: time.Minute}, wantField: "signature.tolerance_seconds"},
		{name: "algorithm for a named scheme is refused", cfg: SignatureConfig{Scheme: SchemeGitHub, Secrets: s("a"), Algorithm: "sha1"}, wantField: "signature.algorithm"},
		{name: "signed payload for a named scheme is refused", cfg: SignatureConfig{Scheme: SchemeStripe, Secrets: s("a"), SignedPayload: "{body}"}, wantField: "signature.signed_payload"},
		{name: "slack with a tolerance is valid", cfg: SignatureConfig{Scheme: SchemeSlack, Secrets: s("a"), Tolerance: time.Minute}},
		{name: "tolerance for shopify is refused", cfg: SignatureConfig{Scheme: SchemeShopify, Secrets: s("a"), Tolerance: time.Minute}, wantField: "signature.tolerance_seconds"},
		{name: "standard webhooks public key is valid", cfg: SignatureConfig{Scheme: SchemeStandardWebhooks, Secrets: s("whpk_1SiA4o9hyqTCpIqC5V9HUakiiaeACeqfZTInDBbOir4=")}},
		{name: "standard webhooks private key is refused", cfg: SignatureConfig{Scheme: SchemeStandardWebhooks, Secrets: s("whsk_6Xb/dCcHpPea21PS1N9VY/NZW723CEc77N4rJCubMbfVKIDij2HKpMKkioLlX0dRqSKJp4AJ6p9lMicMFs6Kvg==")}, wantField: "signature.secret"},
		{name: "standard webhooks short public key is refused", cfg: SignatureConfig{Scheme: SchemeStandardWebhooks, Secrets: s("whpk_AAAA")}, wantField: "signature.secret"},
		{name: "stripe empty secret is refused", cfg: SignatureConfig{Scheme: SchemeStripe, Secrets: s("")}, wantField: "signature.secret"},
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
		{SignatureConfig{Scheme: SchemeGitHub}, "X-Hub-Signature-256"},
		{SignatureConfig{Scheme: SchemeGitHub, Header: "x-proxy-sig"}, "X-Proxy-Sig"},
		{SignatureConfig{Scheme: SchemeStripe}, "Stripe-Signature"},
		{SignatureConfig{Scheme: SchemeSlack}, "X-Slack-Signature"},
		{SignatureConfig{Scheme: SchemeShopify}, "X-Shopify-Hmac-Sha256"},
		{SignatureConfig{Scheme: SchemeGrafana}, "X-Grafana-Alerting-Signature"},
		{SignatureConfig{Scheme: SchemePagerDuty}, "X-Pagerduty-Signature"},
		{SignatureConfig{Scheme: SchemeStatusSentry}, "X-Statussentry-Signature"},
		{SignatureConfig{Scheme: SchemeUptimera}, "X-Uptimera-Signature"},
		{SignatureConfig{Scheme: SchemeHMAC}, "X-Webhook-Signature"},
		{SignatureConfig{Scheme: SchemeHMAC, Header: "X-Convoy-Signature"}, "X-Convoy-Signature"},
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

// macWith signs msg with HMAC over the named hash.
func macWith(h func() hash.Hash, secret, msg string) []byte {
	m := hmac.New(h, []byte(secret))
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// TestVerifyNamedSchemes covers the named schemes' cases the published
// vectors leave out.
func TestVerifyNamedSchemes(t *testing.T) {
	t.Parallel()
	const body = `{"event":{"event_type":"incident.triggered"}}`
	const secret = "named-secret"
	ts := int64(1700000000)
	tss := strconv.FormatInt(ts, 10)
	now := time.Unix(ts, 0)
	hx := func(msg string) string { return hex.EncodeToString(rawMAC(secret, msg)) }
	cfg := func(scheme string) SignatureConfig {
		return SignatureConfig{Scheme: scheme, Secrets: [][]byte{[]byte(secret)}}
	}
	rotating := func(scheme string) SignatureConfig {
		return SignatureConfig{Scheme: scheme, Secrets: [][]byte{[]byte("retiring-secret"), []byte(secret)}}
	}
	other := hex.EncodeToString(rawMAC("retiring-secret-2", body))
	runSigCases(t, []sigCase{
		{name: "pagerduty single v1 is accepted", cfg: cfg(SchemePagerDuty), h: header("X-PagerDuty-Signature", "v1="+hx(body)), body: body, now: now},
		{name: "pagerduty one good v1 among several is accepted", cfg: cfg(SchemePagerDuty), h: header("X-PagerDuty-Signature", "v1="+other+", v1="+hx(body)), body: body, now: now},
		{name: "pagerduty rotation accepts the second secret", cfg: rotating(SchemePagerDuty), h: header("X-PagerDuty-Signature", "v1="+hx(body)), body: body, now: now},
		{name: "pagerduty value without v1= is refused", cfg: cfg(SchemePagerDuty), h: header("X-PagerDuty-Signature", hx(body)), body: body, now: now, wantReason: "signature malformed: header X-Pagerduty-Signature holds no v1=<hex of an HMAC-SHA256>"},
		{name: "pagerduty none matching is refused", cfg: cfg(SchemePagerDuty), h: header("X-PagerDuty-Signature", "v1="+other), body: body, now: now, wantReason: "signature mismatch"},
		{name: "grafana body signature is accepted", cfg: cfg(SchemeGrafana), h: header("X-Grafana-Alerting-Signature", hx(body)), body: body, now: now},
		{name: "grafana timestamped signature is accepted", cfg: cfg(SchemeGrafana), h: header("X-Grafana-Alerting-Signature", hx(tss+":"+body), "X-Grafana-Alerting-Signature-Timestamp", tss), body: body, now: now},
		{name: "grafana body signature with a timestamp header is refused", cfg: cfg(SchemeGrafana), h: header("X-Grafana-Alerting-Signature", hx(body), "X-Grafana-Alerting-Signature-Timestamp", tss), body: body, now: now, wantReason: "signature mismatch"},
		{name: "grafana stale timestamp is expired", cfg: cfg(SchemeGrafana), h: header("X-Grafana-Alerting-Signature", hx(tss+":"+body), "X-Grafana-Alerting-Signature-Timestamp", tss), body: body, now: now.Add(400 * time.Second), wantReason: "timestamp 400 s in the past, tolerance 300 s"},
		{name: "grafana base64 is refused", cfg: cfg(SchemeGrafana), h: header("X-Grafana-Alerting-Signature", base64.StdEncoding.EncodeToString(rawMAC(secret, body))), body: body, now: now, wantReason: "signature malformed: header X-Grafana-Alerting-Signature holds no hex of an HMAC-SHA256"},
		{name: "statussentry pairs are accepted", cfg: cfg(SchemeStatusSentry), h: header("X-StatusSentry-Signature", "t="+tss+",v1="+hx(tss+"."+body)), body: body, now: now},
		{name: "statussentry future timestamp is refused", cfg: cfg(SchemeStatusSentry), h: header("X-StatusSentry-Signature", "t="+tss+",v1="+hx(tss+"."+body)), body: body, now: now.Add(-301 * time.Second), wantReason: "timestamp 301 s in the future, tolerance 300 s"},
		{name: "statussentry default header is its own", cfg: cfg(SchemeStatusSentry), h: header("X-Webhook-Signature", "t="+tss+",v1="+hx(tss+"."+body)), body: body, now: now, wantReason: "signature missing: header X-Statussentry-Signature is absent"},
		{name: "uptimera plain hex is accepted", cfg: cfg(SchemeUptimera), h: header("X-Uptimera-Signature", hx(body)), body: body, now: now},
		{name: "uptimera prefixed hex is accepted", cfg: cfg(SchemeUptimera), h: header("X-Uptimera-Signature", "sha256="+hx(body)), body: body, now: now},
		{name: "uptimera base64 is accepted", cfg: cfg(SchemeUptimera), h: header("X-Uptimera-Signature", base64.StdEncoding.EncodeToString(rawMAC(secret, body))), body: body, now: now},
		{name: "github rotation accepts the second secret", cfg: rotating(SchemeGitHub), h: header("X-Hub-Signature-256", "sha256="+hx(body)), body: body, now: now},
		{name: "github SHA-1 header is not read", cfg: cfg(SchemeGitHub), h: header("X-Hub-Signature", "sha1="+hex.EncodeToString(macWith(sha1.New, secret, body))), body: body, now: now, wantReason: "signature missing: header X-Hub-Signature-256 is absent"},
		{name: "github configured header is read", cfg: SignatureConfig{Scheme: SchemeGitHub, Header: "X-Proxy-Signature", Secrets: [][]byte{[]byte(secret)}}, h: header("X-Proxy-Signature", "sha256="+hx(body)), body: body, now: now},
		{name: "slack missing timestamp header is refused", cfg: cfg(SchemeSlack), h: header("X-Slack-Signature", "v0="+hx("v0:"+tss+":"+body)), body: body, now: now, wantReason: "signature missing: header X-Slack-Request-Timestamp is absent"},
		{name: "stripe two v1 of two secrets is accepted", cfg: rotating(SchemeStripe), h: header("Stripe-Signature", "t="+tss+",v1="+hex.EncodeToString(rawMAC("retiring-secret", tss+"."+body))+",v1="+hx(tss+"."+body)), body: body, now: now},
		{name: "stripe base64 v1 is refused", cfg: cfg(SchemeStripe), h: header("Stripe-Signature", "t="+tss+",v1="+base64.StdEncoding.EncodeToString(rawMAC(secret, tss+"."+body))), body: body, now: now, wantReason: "signature malformed: header Stripe-Signature holds no v1=<hex of an HMAC-SHA256>"},
	})
}

// TestVerifyGenericHMAC covers the generic scheme's fields beyond Convoy's
// vectors.
func TestVerifyGenericHMAC(t *testing.T) {
	t.Parallel()
	const body = `{"state":"alerting"}`
	const secret = "generic-secret"
	ts := int64(1700000000)
	tss := strconv.FormatInt(ts, 10)
	now := time.Unix(ts, 0)
	s := [][]byte{[]byte(secret)}
	sha1Legacy := SignatureConfig{Scheme: SchemeHMAC, Secrets: s, Header: "X-Hub-Signature", Algorithm: "sha1", Prefix: "sha1="}
	ownTS := SignatureConfig{Scheme: SchemeHMAC, Secrets: s, Header: "X-Sig", TimestampHeader: "X-Sig-Timestamp", SignedPayload: "{timestamp}.{body}", Prefix: "v1=", Tolerance: time.Minute}
	slackLike := SignatureConfig{Scheme: SchemeHMAC, Secrets: s, Header: "X-Sig", TimestampHeader: "X-Ts", SignedPayload: "v0:{timestamp}:{body}", Prefix: "v0="}
	b512 := SignatureConfig{Scheme: SchemeHMAC, Secrets: s, Algorithm: "SHA512", Encoding: "base64"}
	sig := hex.EncodeToString(rawMAC(secret, tss+"."+body))
	runSigCases(t, []sigCase{
		{name: "sha1 with a prefix is accepted", cfg: sha1Legacy, h: header("X-Hub-Signature", "sha1="+hex.EncodeToString(macWith(sha1.New, secret, body))), body: body, now: now},
		{name: "sha1 without its prefix is refused", cfg: sha1Legacy, h: header("X-Hub-Signature", hex.EncodeToString(macWith(sha1.New, secret, body))), body: body, now: now, wantReason: "signature malformed: header X-Hub-Signature holds no sha1=<hex of an HMAC-SHA1>"},
		{name: "sha256 in a sha1 scheme is refused", cfg: sha1Legacy, h: header("X-Hub-Signature", "sha1="+hex.EncodeToString(rawMAC(secret, body))), body: body, now: now, wantReason: "signature malformed: header X-Hub-Signature holds no sha1=<hex of an HMAC-SHA1>"},
		{name: "timestamp header is signed", cfg: ownTS, h: header("X-Sig", "v1="+sig, "X-Sig-Timestamp", tss), body: body, now: now},
		{name: "timestamp header tolerance is the configured one", cfg: ownTS, h: header("X-Sig", "v1="+sig, "X-Sig-Timestamp", tss), body: body, now: now.Add(61 * time.Second), wantReason: "timestamp 61 s in the past, tolerance 60 s"},
		{name: "missing timestamp header is refused", cfg: ownTS, h: header("X-Sig", "v1="+sig), body: body, now: now, wantReason: "signature missing: header X-Sig-Timestamp is absent"},
		{name: "changed timestamp header is a mismatch", cfg: ownTS, h: header("X-Sig", "v1="+sig, "X-Sig-Timestamp", strconv.FormatInt(ts+1, 10)), body: body, now: now, wantReason: "signature mismatch"},
		{name: "non-numeric timestamp header is refused", cfg: ownTS, h: header("X-Sig", "v1="+sig, "X-Sig-Timestamp", "soon"), body: body, now: now, wantReason: "signature malformed: header X-Sig-Timestamp is not unix seconds"},
		{name: "literal prefix in the template is signed", cfg: slackLike, h: header("X-Sig", "v0="+hex.EncodeToString(rawMAC(secret, "v0:"+tss+":"+body)), "X-Ts", tss), body: body, now: now},
		{name: "sha512 base64 is accepted", cfg: b512, h: header("X-Webhook-Signature", base64.StdEncoding.EncodeToString(macWith(sha512.New, secret, body))), body: body, now: now},
		{name: "sha512 unpadded base64 is accepted", cfg: b512, h: header("X-Webhook-Signature", base64.RawStdEncoding.EncodeToString(macWith(sha512.New, secret, body))), body: body, now: now},
		{name: "sha512 hex in a base64 scheme is refused", cfg: b512, h: header("X-Webhook-Signature", hex.EncodeToString(macWith(sha512.New, secret, body))), body: body, now: now, wantReason: "signature malformed: header X-Webhook-Signature holds no base64 of an HMAC-SHA512"},
	})
}

func TestSignatureKinds(t *testing.T) {
	t.Parallel()
	cfg := SignatureConfig{Scheme: SchemeStripe, Secrets: [][]byte{[]byte("k")}}
	body := "{}"
	good := stripeHeader("k", body, 1000)
	tests := []struct {
		name string
		h    http.Header
		now  int64
		want SignatureKind
	}{
		{"no header", header(), 1000, SignatureMissing},
		{"garbage", header("Stripe-Signature", "garbage"), 1000, SignatureMalformed},
		{"old", header("Stripe-Signature", good), 1400, SignatureExpired},
		{"ahead", header("Stripe-Signature", good), 600, SignatureFuture},
		{"forged", header("Stripe-Signature", stripeHeader("other", body, 1000)), 1000, SignatureMismatch},
		{"forged and old", header("Stripe-Signature", stripeHeader("other", body, 1000)), 1400, SignatureMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is "+string(tt.want), func(t *testing.T) {
			t.Parallel()
			err := VerifySignature(cfg, Input{Body: []byte(body), Header: tt.h}, time.Unix(tt.now, 0))
			var se *SignatureError
			if !errors.As(err, &se) || se.Kind != tt.want {
				t.Fatalf("VerifySignature = %#v; want kind %q", err, tt.want)
			}
		})
	}
	bad := SignatureConfig{Scheme: "nope"}
	var se *SignatureError
	if err := VerifySignature(bad, Input{}, time.Unix(0, 0)); !errors.As(err, &se) || se.Kind != SignatureMisconfigured {
		t.Fatalf("VerifySignature with an unknown scheme = %v; want kind misconfigured", err)
	}
}
