package mapping

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha1" // only for the generic scheme, for legacy senders that sign no other way
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Signature schemes a receiver can require. Every HMAC scheme is one entry of
// the schemes table below, verified by one general verifier; only the three
// credential schemes (a secret sent as it is) have their own small checks.
const (
	// SchemeHMACSHA256 is HMAC-SHA256 of the raw body, keyed with the
	// secret's bytes. The header value is hex (any case) or base64 (standard
	// or URL alphabet, padded or not), with an optional "sha256=" prefix: a
	// lenient catch-all for plain senders. The strict GitHub form is
	// SchemeGitHub.
	SchemeHMACSHA256 = "hmac-sha256"
	// SchemeHMACSHA256Timestamped is the header
	// "t=<unix seconds>,v1=<hex or base64>[,v1=...]" with HMAC-SHA256 over
	// "<t>.<raw body>", keyed with the secret's bytes as they are. Items are
	// parsed by key, in any order; v0 and unknown keys are ignored;
	// undecodable v1 values are skipped; any v1 matching any secret wins.
	SchemeHMACSHA256Timestamped = "hmac-sha256-timestamped"
	// SchemeStandardWebhooks is https://www.standardwebhooks.com/: headers
	// webhook-id, webhook-timestamp and webhook-signature ("v1,<base64>"
	// entries, space-separated), HMAC-SHA256 over "<id>.<timestamp>.<body>",
	// keyed with the base64 decoding of the secret after its "whsec_" prefix
	// (padded or not). A "whpk_" secret is an Ed25519 public key and checks
	// the asymmetric "v1a" entries instead. The Svix-branded svix-* headers
	// are accepted when webhook-signature is absent; the three headers
	// always come from one family.
	SchemeStandardWebhooks = "standard-webhooks"
	// SchemeSharedSecret compares a header's value with the secret.
	SchemeSharedSecret = "shared-secret"
	// SchemeBearer compares "Authorization: Bearer <token>" with the secret.
	SchemeBearer = "bearer"
	// SchemeBasic compares "Authorization: Basic ..." credentials with the
	// secret, written "user:password".
	SchemeBasic = "basic"
	// SchemeGitHub is X-Hub-Signature-256: "sha256=<hex>" of the body. The
	// prefix is required, as GitHub always sends it.
	SchemeGitHub = "github"
	// SchemeStripe is Stripe-Signature: "t=<ts>,v1=<hex>[,v1=...]" over
	// "<t>.<body>", keyed with the whole secret string, "whsec_" included.
	SchemeStripe = "stripe"
	// SchemeSlack is X-Slack-Signature: "v0=<hex>" over
	// "v0:<X-Slack-Request-Timestamp>:<body>".
	SchemeSlack = "slack"
	// SchemeShopify is X-Shopify-Hmac-SHA256: base64 of the body's HMAC.
	SchemeShopify = "shopify"
	// SchemeGrafana is X-Grafana-Alerting-Signature: hex of the body's HMAC,
	// or of "<ts>:<body>" when X-Grafana-Alerting-Signature-Timestamp is sent.
	SchemeGrafana = "grafana"
	// SchemePagerDuty is X-PagerDuty-Signature: "v1=<hex>" entries,
	// comma-separated (several during PagerDuty's own secret rotation).
	SchemePagerDuty = "pagerduty"
	// SchemeStatusSentry is X-StatusSentry-Signature:
	// "t=<ts>,v1=<signature>" over "<ts>.<body>".
	SchemeStatusSentry = "statussentry"
	// SchemeUptimera is X-Uptimera-Signature: HMAC-SHA256 of the body, read
	// as leniently as SchemeHMACSHA256.
	SchemeUptimera = "uptimera"
	// SchemeHMAC is the generic scheme, described by SignatureConfig's
	// Algorithm, Encoding, SignedPayload, Prefix and TimestampHeader.
	SchemeHMAC = "hmac"
)

// Defaults of SignatureConfig.
const (
	DefaultSignatureHeader    = "X-Webhook-Signature"
	DefaultSharedSecretHeader = "X-Webhook-Secret"
	DefaultTolerance          = 300 * time.Second
	// MaxTolerance bounds a configured tolerance: a replay window of more
	// than a day is no window.
	MaxTolerance = 24 * time.Hour
	// MaxSecrets is two: the current secret and the next one, during a
	// rotation.
	MaxSecrets = 2
	// DefaultSignedPayload is what the generic scheme signs by default.
	DefaultSignedPayload = "{body}"
	// maxSignedPayload bounds the template; real ones are a dozen characters.
	maxSignedPayload = 100
	// maxPrefix bounds a value prefix such as "sha256=".
	maxPrefix = 32
)

// Placeholders of a signed-payload template.
const (
	placeholderBody      = "{body}"
	placeholderTimestamp = "{timestamp}"
	placeholderID        = "{id}"
)

// encoding is how a MAC is written in a header.
type encoding int

const (
	encHex encoding = iota
	encBase64
	encAny // hex, or base64 in either alphabet, padded or not
)

// layout is how the signature header carries its signature(s).
type layout int

const (
	// layoutList is one or more comma-separated values, each after the
	// scheme's prefix.
	layoutList layout = iota
	// layoutPairs is "t=<ts>,v1=<sig>[,v1=...]", parsed by key.
	layoutPairs
	// layoutVersioned is Standard Webhooks' space-separated "v1,<sig>".
	layoutVersioned
)

// headerNames are the headers one scheme reads; "" means not read.
type headerNames struct {
	signature, timestamp, id string
}

// macSpec describes one HMAC scheme as data.
type macSpec struct {
	algorithm string
	encoding  encoding
	layout    layout
	// prefix precedes each value in layoutList ("sha256=", "v1="); in
	// layoutPairs it is the signature key ("v1").
	prefix         string
	prefixOptional bool
	// signed is the template of the signed string; see SignatureConfig.
	signed string
	// signedWithoutTimestamp, when set, makes the timestamp header optional:
	// without it the request signs this template instead (Grafana).
	signedWithoutTimestamp string
	// headers lists header families; the first is the default, a later one
	// is used when its signature header is present and the first's is not.
	headers []headerNames
	// fixedHeaders refuses a configured header name.
	fixedHeaders bool
	// whsec says the secret is "whsec_" + base64 (or a "whpk_" public key).
	whsec bool
}

// timestamped says whether the scheme signs a timestamp, so a tolerance
// applies to it.
func (m macSpec) timestamped() bool {
	return strings.Contains(m.signed, placeholderTimestamp)
}

// credential is how a credential scheme carries its secret.
type credential int

const (
	credHeader credential = iota + 1
	credBearer
	credBasic
)

// scheme is one entry of the table: an HMAC description or a credential kind.
type scheme struct {
	mac        *macSpec
	credential credential
}

var defaultHeaders = []headerNames{{signature: DefaultSignatureHeader}}

// schemes is the one table of named schemes. SchemeHMAC is absent: its
// description comes from the receiver's configuration (genericSpec).
var schemes = map[string]scheme{
	SchemeHMACSHA256: {mac: &macSpec{algorithm: "sha256", encoding: encAny, layout: layoutList, prefix: "sha256=", prefixOptional: true,
		signed: "{body}", headers: defaultHeaders}},
	SchemeHMACSHA256Timestamped: {mac: &macSpec{algorithm: "sha256", encoding: encAny, layout: layoutPairs, prefix: "v1",
		signed: "{timestamp}.{body}", headers: defaultHeaders}},
	SchemeStandardWebhooks: {mac: &macSpec{algorithm: "sha256", encoding: encBase64, layout: layoutVersioned, prefix: "v1",
		signed: "{id}.{timestamp}.{body}", fixedHeaders: true, whsec: true, headers: []headerNames{
			{signature: "Webhook-Signature", timestamp: "Webhook-Timestamp", id: "Webhook-Id"},
			{signature: "Svix-Signature", timestamp: "Svix-Timestamp", id: "Svix-Id"},
		}}},
	SchemeSharedSecret: {credential: credHeader},
	SchemeBearer:       {credential: credBearer},
	SchemeBasic:        {credential: credBasic},
	SchemeGitHub: {mac: &macSpec{algorithm: "sha256", encoding: encHex, layout: layoutList, prefix: "sha256=",
		signed: "{body}", headers: []headerNames{{signature: "X-Hub-Signature-256"}}}},
	SchemeStripe: {mac: &macSpec{algorithm: "sha256", encoding: encHex, layout: layoutPairs, prefix: "v1",
		signed: "{timestamp}.{body}", headers: []headerNames{{signature: "Stripe-Signature"}}}},
	SchemeSlack: {mac: &macSpec{algorithm: "sha256", encoding: encHex, layout: layoutList, prefix: "v0=",
		signed: "v0:{timestamp}:{body}", headers: []headerNames{{signature: "X-Slack-Signature", timestamp: "X-Slack-Request-Timestamp"}}}},
	SchemeShopify: {mac: &macSpec{algorithm: "sha256", encoding: encBase64, layout: layoutList,
		signed: "{body}", headers: []headerNames{{signature: "X-Shopify-Hmac-Sha256"}}}},
	SchemeGrafana: {mac: &macSpec{algorithm: "sha256", encoding: encHex, layout: layoutList,
		signed: "{timestamp}:{body}", signedWithoutTimestamp: "{body}",
		headers: []headerNames{{signature: "X-Grafana-Alerting-Signature", timestamp: "X-Grafana-Alerting-Signature-Timestamp"}}}},
	SchemePagerDuty: {mac: &macSpec{algorithm: "sha256", encoding: encHex, layout: layoutList, prefix: "v1=",
		signed: "{body}", headers: []headerNames{{signature: "X-Pagerduty-Signature"}}}},
	SchemeStatusSentry: {mac: &macSpec{algorithm: "sha256", encoding: encAny, layout: layoutPairs, prefix: "v1",
		signed: "{timestamp}.{body}", headers: []headerNames{{signature: "X-Statussentry-Signature"}}}},
	SchemeUptimera: {mac: &macSpec{algorithm: "sha256", encoding: encAny, layout: layoutList, prefix: "sha256=", prefixOptional: true,
		signed: "{body}", headers: []headerNames{{signature: "X-Uptimera-Signature"}}}},
}

// SignatureSchemes lists the scheme names SignatureConfig accepts, for
// validation messages and API documentation: the original six first, in
// their original order.
func SignatureSchemes() []string {
	return []string{
		SchemeHMACSHA256,
		SchemeHMACSHA256Timestamped,
		SchemeStandardWebhooks,
		SchemeSharedSecret,
		SchemeBearer,
		SchemeBasic,
		SchemeGitHub,
		SchemeStripe,
		SchemeSlack,
		SchemeShopify,
		SchemeGrafana,
		SchemePagerDuty,
		SchemeStatusSentry,
		SchemeUptimera,
		SchemeHMAC,
	}
}

// Algorithms of the generic scheme.
var algorithms = map[string]func() hash.Hash{"sha256": sha256.New, "sha1": sha1.New, "sha512": sha512.New}

// SignatureConfig is a receiver's signature requirement.
type SignatureConfig struct {
	// Scheme is one of SignatureSchemes.
	Scheme string
	// Secrets holds one secret, or two during a rotation; any match wins.
	Secrets [][]byte
	// Header names the header carrying the signature or secret; "" means
	// the scheme's default. Standard Webhooks, bearer and basic read fixed
	// headers and take none.
	Header string
	// Tolerance bounds the age (and the lead) of a signed timestamp, for the
	// timestamped schemes only; 0 means DefaultTolerance.
	Tolerance time.Duration

	// The generic SchemeHMAC is described by the fields below; every other
	// scheme refuses them.

	// Algorithm is sha256 (the default), sha1 or sha512.
	Algorithm string
	// Encoding of the MAC in the header: hex (the default) or base64
	// (standard alphabet, padded or not).
	Encoding string
	// SignedPayload is a template of the signed string: literal text with
	// the placeholders {body} (required, once) and {timestamp}; "" means
	// "{body}". Examples: "{timestamp}.{body}", "{timestamp},{body}",
	// "v0:{timestamp}:{body}".
	SignedPayload string
	// Prefix precedes each signature in the header ("sha256=", "v1=");
	// required when set. The header may carry several comma-separated.
	Prefix string
	// TimestampHeader names the header with the unix-seconds timestamp. When
	// SignedPayload has {timestamp} and TimestampHeader is "", the timestamp
	// is inside the signature header: "t=<ts>,v1=<sig>[,v1=...]".
	TimestampHeader string
}

// HeaderName is the header that carries the signature or secret, so the
// receiver knows which header to redact in its delivery log.
func (c SignatureConfig) HeaderName() string {
	s, ok := schemes[c.Scheme]
	switch {
	case ok && s.credential == credBearer, ok && s.credential == credBasic:
		return "Authorization"
	case ok && s.mac != nil && s.mac.fixedHeaders:
		return s.mac.headers[0].signature
	case c.Header != "":
		return http.CanonicalHeaderKey(c.Header)
	case ok && s.mac != nil:
		return http.CanonicalHeaderKey(s.mac.headers[0].signature)
	case c.Scheme == SchemeSharedSecret:
		return DefaultSharedSecretHeader
	}
	return DefaultSignatureHeader
}

func (c SignatureConfig) tolerance() time.Duration {
	if c.Tolerance == 0 {
		return DefaultTolerance
	}
	return c.Tolerance
}

// genericSpec describes the SchemeHMAC configuration in the table's terms.
func (c SignatureConfig) genericSpec() macSpec {
	m := macSpec{
		algorithm: strings.ToLower(c.Algorithm), encoding: encHex, layout: layoutList,
		prefix: c.Prefix, signed: c.SignedPayload,
		headers: []headerNames{{signature: DefaultSignatureHeader, timestamp: c.TimestampHeader}},
	}
	if m.algorithm == "" {
		m.algorithm = "sha256"
	}
	if strings.EqualFold(c.Encoding, "base64") {
		m.encoding = encBase64
	}
	if m.signed == "" {
		m.signed = DefaultSignedPayload
	}
	if m.timestamped() && c.TimestampHeader == "" {
		m.layout, m.prefix = layoutPairs, "v1"
	}
	return m
}

// spec returns the HMAC description the configuration verifies with, with
// a configured header in place of the default; nil for credential schemes.
func (c SignatureConfig) spec() *macSpec {
	var m macSpec
	if c.Scheme == SchemeHMAC {
		m = c.genericSpec()
	} else {
		s, ok := schemes[c.Scheme]
		if !ok || s.mac == nil {
			return nil
		}
		m = *s.mac
	}
	if c.Header != "" && !m.fixedHeaders {
		first := m.headers[0]
		first.signature = c.Header
		m.headers = []headerNames{first}
	}
	return &m
}

// Validate checks the configuration when the receiver is saved. The error is
// a *ValidationError whose Field is signature.scheme, signature.secret,
// signature.header, signature.tolerance_seconds or one of the generic
// fields (signature.algorithm, signature.encoding, signature.signed_payload,
// signature.prefix, signature.timestamp_header). Messages never repeat a
// secret.
func (c SignatureConfig) Validate() error {
	s, known := schemes[c.Scheme]
	if !known && c.Scheme != SchemeHMAC {
		return &ValidationError{Field: "signature.scheme", Message: fmt.Sprintf("unknown scheme %q; known schemes: %s", c.Scheme, strings.Join(SignatureSchemes(), ", "))}
	}
	if c.Scheme == SchemeHMAC {
		if err := c.validateGeneric(); err != nil {
			return err
		}
	} else if err := c.refuseGenericFields(); err != nil {
		return err
	}
	switch {
	case len(c.Secrets) == 0:
		return &ValidationError{Field: "signature.secret", Message: "a secret is required"}
	case len(c.Secrets) > MaxSecrets:
		return &ValidationError{Field: "signature.secret", Message: "at most two secrets (the current one and the next) are allowed"}
	}
	m := c.spec()
	for _, sec := range c.Secrets {
		if msg := checkSecret(s.credential, m, sec); msg != "" {
			return &ValidationError{Field: "signature.secret", Message: msg}
		}
	}
	if c.Header != "" {
		if s.credential == credBearer || s.credential == credBasic || (m != nil && m.fixedHeaders) {
			return &ValidationError{Field: "signature.header", Message: fmt.Sprintf("the %s scheme reads fixed headers; leave header empty", c.Scheme)}
		}
		if !validHeaderName(c.Header) {
			return &ValidationError{Field: "signature.header", Message: fmt.Sprintf("%q is not a valid HTTP header name", c.Header)}
		}
	}
	switch {
	case c.Tolerance != 0 && (m == nil || !m.timestamped()):
		return &ValidationError{Field: "signature.tolerance_seconds", Message: fmt.Sprintf("the %s scheme signs no timestamp; leave tolerance unset", c.Scheme)}
	case c.Tolerance < 0:
		return &ValidationError{Field: "signature.tolerance_seconds", Message: "tolerance must not be negative"}
	case c.Tolerance > MaxTolerance:
		return &ValidationError{Field: "signature.tolerance_seconds", Message: fmt.Sprintf("tolerance must be at most %d seconds", int(MaxTolerance/time.Second))}
	}
	return nil
}

func (c SignatureConfig) refuseGenericFields() error {
	for _, f := range []struct{ field, value string }{
		{"algorithm", c.Algorithm}, {"encoding", c.Encoding}, {"signed_payload", c.SignedPayload},
		{"prefix", c.Prefix}, {"timestamp_header", c.TimestampHeader},
	} {
		if f.value != "" {
			return &ValidationError{Field: "signature." + f.field, Message: fmt.Sprintf("only the %s scheme takes %s; the %s scheme defines its own", SchemeHMAC, f.field, c.Scheme)}
		}
	}
	return nil
}

func (c SignatureConfig) validateGeneric() error {
	if _, ok := algorithms[strings.ToLower(c.Algorithm)]; c.Algorithm != "" && !ok {
		return &ValidationError{Field: "signature.algorithm", Message: fmt.Sprintf("algorithm %q must be sha256, sha1 or sha512", c.Algorithm)}
	}
	switch strings.ToLower(c.Encoding) {
	case "", "hex", "base64":
	default:
		return &ValidationError{Field: "signature.encoding", Message: fmt.Sprintf("encoding %q must be hex or base64", c.Encoding)}
	}
	if msg := checkTemplate(c.SignedPayload); msg != "" {
		return &ValidationError{Field: "signature.signed_payload", Message: msg}
	}
	timestamped := strings.Contains(c.SignedPayload, placeholderTimestamp)
	if c.TimestampHeader != "" {
		if !timestamped {
			return &ValidationError{Field: "signature.timestamp_header", Message: "signed_payload has no {timestamp}; a timestamp header would not be signed"}
		}
		if !validHeaderName(c.TimestampHeader) {
			return &ValidationError{Field: "signature.timestamp_header", Message: fmt.Sprintf("%q is not a valid HTTP header name", c.TimestampHeader)}
		}
	}
	if c.Prefix != "" {
		if timestamped && c.TimestampHeader == "" {
			return &ValidationError{Field: "signature.prefix", Message: "with the timestamp inside the signature header (t=<ts>,v1=<sig>) the signature key is v1; leave prefix empty"}
		}
		if len(c.Prefix) > maxPrefix || strings.ContainsAny(c.Prefix, ", \t") || !printableASCII(c.Prefix) {
			return &ValidationError{Field: "signature.prefix", Message: fmt.Sprintf("prefix must be at most %d printable characters without commas or spaces", maxPrefix)}
		}
	}
	return nil
}

// checkTemplate says what is wrong with a signed-payload template, or "".
func checkTemplate(t string) string {
	if t == "" {
		return ""
	}
	if len(t) > maxSignedPayload || !printableASCII(t) {
		return fmt.Sprintf("signed_payload must be at most %d printable ASCII characters", maxSignedPayload)
	}
	if strings.Count(t, placeholderBody) != 1 {
		return "signed_payload must contain {body} exactly once"
	}
	if strings.Count(t, placeholderTimestamp) > 1 {
		return "signed_payload may contain {timestamp} at most once"
	}
	rest := strings.NewReplacer(placeholderBody, "", placeholderTimestamp, "").Replace(t)
	if strings.ContainsAny(rest, "{}") {
		return "signed_payload knows only the placeholders {body} and {timestamp}"
	}
	return ""
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

func checkSecret(cred credential, m *macSpec, s []byte) string {
	if len(s) == 0 {
		return "secret is empty"
	}
	if len(bytes.TrimSpace(s)) != len(s) {
		return "secret starts or ends with whitespace"
	}
	for _, b := range s {
		if b < 0x20 || b == 0x7f {
			return "secret contains a control character"
		}
	}
	switch {
	case m != nil && m.whsec:
		if bytes.HasPrefix(s, []byte("whsk_")) {
			return `a "whsk_" secret is the sender's private signing key; give the "whpk_" public key or the "whsec_" secret`
		}
		if _, ok := standardWebhooksKey(s); !ok {
			return `secret must be "whsec_" followed by base64, or "whpk_" followed by the base64 of an Ed25519 public key`
		}
	case cred == credBasic:
		if !bytes.Contains(s, []byte(":")) {
			return `secret must be "user:password"`
		}
	}
	return ""
}

// ErrSignatureInvalid is what every *SignatureError matches with errors.Is,
// so a caller can answer 401 signature_invalid without a type switch.
var ErrSignatureInvalid = errors.New("signature invalid")

// SignatureKind says which part of a request's proof failed, so the
// delivery log can say it while the sender is told only signature_invalid.
type SignatureKind string

// Kinds of SignatureError.
const (
	// SignatureMissing: no signature, secret or timestamp header was sent.
	SignatureMissing SignatureKind = "missing"
	// SignatureMalformed: a header is there but cannot be read (not the
	// scheme's layout, an undecodable MAC, a timestamp that is no number).
	SignatureMalformed SignatureKind = "malformed"
	// SignatureExpired: correctly signed, but the signed timestamp is older
	// than the tolerance (a replay, or a sender with a slow clock).
	SignatureExpired SignatureKind = "expired"
	// SignatureFuture: correctly signed, but dated further ahead than the
	// tolerance.
	SignatureFuture SignatureKind = "future"
	// SignatureMismatch: readable, but made with none of the secrets, or
	// over other bytes.
	SignatureMismatch SignatureKind = "mismatch"
	// SignatureMisconfigured: the receiver's own configuration is invalid
	// (Validate prevents this on save); verification fails closed.
	SignatureMisconfigured SignatureKind = "misconfigured"
)

// SignatureError says why a request failed authentication, in words an
// operator can act on. Reasons never contain a secret or the expected
// signature.
type SignatureError struct {
	Kind   SignatureKind
	Reason string
	cause  error
}

// Error returns the reason.
func (e *SignatureError) Error() string { return e.Reason }

// Is makes errors.Is(err, ErrSignatureInvalid) true.
func (e *SignatureError) Is(target error) bool { return target == ErrSignatureInvalid }

// Unwrap exposes the *ValidationError when the configuration itself is
// invalid.
func (e *SignatureError) Unwrap() error { return e.cause }

func sigErr(kind SignatureKind, format string, args ...any) error {
	return &SignatureError{Kind: kind, Reason: fmt.Sprintf(format, args...)}
}

// errMismatch is the one reason for a readable signature made with no
// configured secret: which secret or entry came closest is not said.
func errMismatch() error { return sigErr(SignatureMismatch, "signature mismatch") }

// VerifySignature checks one request against the receiver's configuration,
// over the exact raw body, with now as the clock. It returns nil or a
// *SignatureError. An invalid configuration fails closed: the error is a
// *SignatureError of kind misconfigured that unwraps to the
// *ValidationError. Every comparison of secret material is constant-time.
func VerifySignature(cfg SignatureConfig, in Input, now time.Time) error {
	if err := cfg.Validate(); err != nil {
		return &SignatureError{Kind: SignatureMisconfigured, Reason: "signature configuration is invalid: " + err.Error(), cause: err}
	}
	if m := cfg.spec(); m != nil {
		return verifyMAC(cfg, *m, in, now)
	}
	switch schemes[cfg.Scheme].credential {
	case credHeader:
		return verifySharedSecret(cfg, in)
	case credBearer:
		return verifyBearer(cfg, in)
	default: // credBasic; Validate rejected anything else.
		return verifyBasic(cfg, in)
	}
}

// SignHMACSHA256Hex returns the lower-case hex HMAC-SHA256 of body, without
// a "sha256=" prefix: the plain form is what the hmac-sha256 scheme's
// default header carries, and a sender that wants the prefix can add it
// (the verifier accepts both).
func SignHMACSHA256Hex(secret, body []byte) string {
	return hex.EncodeToString(macOf(sha256.New, secret, body))
}

func macOf(h func() hash.Hash, key []byte, parts ...[]byte) []byte {
	m := hmac.New(h, key)
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

// singleHeader returns the one value of a header. Two values are refused:
// which one the sender meant is ambiguous, and an attacker who can add a
// header should not get to choose.
func singleHeader(h http.Header, name string) (string, error) {
	name = http.CanonicalHeaderKey(name)
	vs := h.Values(name)
	switch {
	case len(vs) == 0:
		return "", sigErr(SignatureMissing, "signature missing: header %s is absent", name)
	case len(vs) > 1:
		return "", sigErr(SignatureMalformed, "signature malformed: header %s appears more than once", name)
	}
	v := strings.TrimSpace(vs[0])
	if v == "" {
		return "", sigErr(SignatureMissing, "signature missing: header %s is empty", name)
	}
	return v, nil
}

// decodeMAC reads a MAC of size bytes in the given encoding. For encAny the
// length decides: 2*size characters can only be hex, since base64 of size
// bytes is shorter.
func decodeMAC(s string, enc encoding, size int) ([]byte, bool) {
	s = strings.TrimSpace(s)
	if enc != encBase64 && len(s) == 2*size {
		b, err := hex.DecodeString(s)
		return b, err == nil
	}
	if enc == encHex {
		return nil, false
	}
	encs := []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding}
	if enc == encAny {
		encs = append(encs, base64.URLEncoding, base64.RawURLEncoding)
	}
	for _, e := range encs {
		if b, err := e.DecodeString(s); err == nil && len(b) == size {
			return b, true
		}
	}
	return nil, false
}

// describe names what the scheme expects, for a malformed reason.
func (m macSpec) describe() string {
	enc := map[encoding]string{encHex: "hex", encBase64: "base64", encAny: "hex or base64"}[m.encoding]
	return fmt.Sprintf("%s of an HMAC-%s", enc, strings.ToUpper(m.algorithm))
}

// maxTimestampDigits keeps a timestamp within what time.Unix handles; 12
// digits reach the year 33658.
const maxTimestampDigits = 12

// parseUnixSeconds accepts only plain decimal digits: no sign, no fraction,
// no exponent, so "1614265330.0" and "Infinity" are rejected as the vectors
// require.
func parseUnixSeconds(s string) (int64, bool) {
	if len(s) == 0 || len(s) > maxTimestampDigits || !isDigits(s) {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// checkTolerance is symmetric: a timestamp may be as far ahead as behind.
// Exactly the tolerance is accepted, as in every reference library. It
// counts whole seconds, which also keeps a far-off timestamp from
// overflowing a time.Duration.
func checkTolerance(ts int64, now time.Time, tol time.Duration) error {
	age, limit := now.Unix()-ts, int64(tol/time.Second)
	switch {
	case age > limit:
		return sigErr(SignatureExpired, "timestamp %d s in the past, tolerance %d s", age, limit)
	case age < -limit:
		return sigErr(SignatureFuture, "timestamp %d s in the future, tolerance %d s", -age, limit)
	}
	return nil
}

// pairsHeader is a parsed "t=...,v1=..." value.
type pairsHeader struct {
	t       string   // as sent: it is what the sender signed
	ts      int64    // its value
	sigs    [][]byte // decodable signature values
	anySig  bool     // whether any signature item was present
	problem string   // why the header is unusable, "" if it is usable
}

// parsePairs parses by key, so item order does not matter; key names the
// signature items ("v1"), other keys are ignored.
func parsePairs(v, key string, enc encoding, size int) pairsHeader {
	var h pairsHeader
	seenT := false
	for item := range strings.SplitSeq(v, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok {
			h.problem = "is not t=<timestamp>,v1=<signature>"
			return h
		}
		switch k {
		case "t":
			if seenT {
				h.problem = "has more than one timestamp"
				return h
			}
			seenT = true
			ts, ok := parseUnixSeconds(val)
			if !ok {
				h.problem = "has an invalid timestamp (t must be unix seconds)"
				return h
			}
			h.t, h.ts = val, ts
		case key:
			h.anySig = true
			if sig, ok := decodeMAC(val, enc, size); ok {
				h.sigs = append(h.sigs, sig)
			}
		}
	}
	switch {
	case !seenT:
		h.problem = "has no timestamp (t=)"
	case !h.anySig:
		h.problem = "has no " + key + " signature"
	}
	return h
}

// listSignatures reads comma-separated values after the prefix. Values
// without a required prefix are skipped, like undecodable ones.
func listSignatures(v string, m macSpec, size int) [][]byte {
	var sigs [][]byte
	for item := range strings.SplitSeq(v, ",") {
		item = strings.TrimSpace(item)
		if m.prefix != "" {
			if len(item) >= len(m.prefix) && strings.EqualFold(item[:len(m.prefix)], m.prefix) {
				item = item[len(m.prefix):]
			} else if !m.prefixOptional {
				continue
			}
		}
		if sig, ok := decodeMAC(item, m.encoding, size); ok {
			sigs = append(sigs, sig)
		}
	}
	return sigs
}

// versionedSignatures returns the decodable entries of a Standard Webhooks
// signature value: v1 MACs and v1a Ed25519 signatures, and whether any
// entry of a version this verifier reads was present.
func versionedSignatures(v string, wantV1, wantV1a bool) (macs, eds [][]byte, found bool) {
	for entry := range strings.FieldsSeq(v) {
		version, val, ok := strings.Cut(entry, ",")
		if !ok {
			continue
		}
		switch {
		case version == "v1" && wantV1:
			found = true
			if b, err := base64.StdEncoding.DecodeString(val); err == nil && len(b) == sha256.Size {
				macs = append(macs, b)
			}
		case version == "v1a" && wantV1a:
			found = true
			if b, err := base64.StdEncoding.DecodeString(val); err == nil && len(b) == ed25519.SignatureSize {
				eds = append(eds, b)
			}
		}
	}
	return macs, eds, found
}

// signedMessage fills the template. The template is validated, so {body}
// occurs once.
func signedMessage(tmpl, id, ts string, body []byte) [][]byte {
	before, after, _ := strings.Cut(tmpl, placeholderBody)
	fill := strings.NewReplacer(placeholderID, id, placeholderTimestamp, ts)
	return [][]byte{[]byte(fill.Replace(before)), body, []byte(fill.Replace(after))}
}

// pickHeaders chooses the header family: the first whose signature header
// was sent, else the default (whose absence is then reported).
func pickHeaders(h http.Header, families []headerNames) headerNames {
	for _, f := range families {
		if len(h.Values(f.signature)) > 0 {
			return f
		}
	}
	return families[0]
}

// verifyMAC is the one verifier of every HMAC scheme. It reads the
// headers, checks the MAC before the timestamp's age so the log says
// "expired" only of a genuinely signed request, and tries every secret
// against every signature.
func verifyMAC(cfg SignatureConfig, m macSpec, in Input, now time.Time) error {
	newHash := algorithms[m.algorithm]
	size := newHash().Size()
	names := pickHeaders(in.Header, m.headers)
	sigName := http.CanonicalHeaderKey(names.signature)
	v, err := singleHeader(in.Header, sigName)
	if err != nil {
		return err
	}
	var id, t string
	if names.id != "" {
		if id, err = singleHeader(in.Header, names.id); err != nil {
			return err
		}
	}
	signed := m.signed
	switch {
	case m.timestamped() && m.layout == layoutPairs:
		// read below with the signatures
	case m.timestamped() && m.signedWithoutTimestamp != "" && len(in.Header.Values(names.timestamp)) == 0:
		signed = m.signedWithoutTimestamp
	case m.timestamped():
		if t, err = singleHeader(in.Header, names.timestamp); err != nil {
			return err
		}
	}
	var ts int64
	if t != "" {
		var ok bool
		if ts, ok = parseUnixSeconds(t); !ok {
			return sigErr(SignatureMalformed, "signature malformed: header %s is not unix seconds", http.CanonicalHeaderKey(names.timestamp))
		}
	}

	var sigs, eds [][]byte
	switch m.layout {
	case layoutPairs:
		p := parsePairs(v, m.prefix, m.encoding, size)
		if p.problem != "" {
			return sigErr(SignatureMalformed, "signature malformed: header %s %s", sigName, p.problem)
		}
		t, ts, sigs = p.t, p.ts, p.sigs
	case layoutVersioned:
		keys, pubs := standardWebhooksKeys(cfg.Secrets)
		var found bool
		sigs, eds, found = versionedSignatures(v, len(keys) > 0, len(pubs) > 0)
		if !found {
			return sigErr(SignatureMalformed, "signature malformed: header %s has no %s entry", sigName, map[bool]string{true: "v1a", false: "v1"}[len(keys) == 0])
		}
		if len(sigs) == 0 && len(eds) == 0 {
			return sigErr(SignatureMalformed, "signature malformed: header %s holds no decodable signature", sigName)
		}
		parts := signedMessage(signed, id, t, in.Body)
		ok := anyMatch(newHash, keys, sigs, parts...)
		msg := bytes.Join(parts, nil)
		for _, pub := range pubs {
			for _, sig := range eds {
				// Not constant-time, and need not be: nothing secret is compared.
				ok = ed25519.Verify(pub, msg, sig) || ok
			}
		}
		if !ok {
			return errMismatch()
		}
		return checkTolerance(ts, now, cfg.tolerance())
	default:
		sigs = listSignatures(v, m, size)
	}
	if len(sigs) == 0 {
		want := m.describe()
		switch {
		case m.layout == layoutPairs:
			want = m.prefix + "=<" + want + ">"
		case m.prefix != "" && !m.prefixOptional:
			want = m.prefix + "<" + want + ">"
		}
		return sigErr(SignatureMalformed, "signature malformed: header %s holds no %s", sigName, want)
	}
	if !anyMatch(newHash, cfg.Secrets, sigs, signedMessage(signed, id, t, in.Body)...) {
		return errMismatch()
	}
	if m.timestamped() && signed == m.signed {
		return checkTolerance(ts, now, cfg.tolerance())
	}
	return nil
}

// anyMatch compares every candidate with every key's MAC without stopping
// early, so timing says nothing about which one matched.
func anyMatch(h func() hash.Hash, keys [][]byte, sigs [][]byte, parts ...[]byte) bool {
	ok := false
	for _, key := range keys {
		want := macOf(h, key, parts...)
		for _, sig := range sigs {
			if hmac.Equal(sig, want) {
				ok = true
			}
		}
	}
	return ok
}

// standardWebhooksKey decodes "whsec_<base64>" (the prefix is optional, as
// in the reference libraries; padding too, as in the Python one) or
// "whpk_<base64>", an Ed25519 public key of exactly 32 bytes.
func standardWebhooksKey(secret []byte) ([]byte, bool) {
	s := string(secret)
	if pk, ok := strings.CutPrefix(s, "whpk_"); ok {
		b, err := base64.StdEncoding.DecodeString(pk)
		return b, err == nil && len(b) == ed25519.PublicKeySize
	}
	s = strings.TrimPrefix(s, "whsec_")
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) > 0 {
			return b, true
		}
	}
	return nil, false
}

// standardWebhooksKeys splits validated secrets into HMAC keys and Ed25519
// public keys.
func standardWebhooksKeys(secrets [][]byte) (keys [][]byte, pubs []ed25519.PublicKey) {
	for _, s := range secrets {
		k, _ := standardWebhooksKey(s) // Validate checked it
		if bytes.HasPrefix(s, []byte("whpk_")) {
			pubs = append(pubs, ed25519.PublicKey(k))
		} else {
			keys = append(keys, k)
		}
	}
	return keys, pubs
}

// secretEqual compares in constant time whatever the lengths: hashing both
// sides first hides the secret's length, which ConstantTimeCompare alone
// would reveal.
func secretEqual(got []byte, secrets [][]byte) bool {
	g := sha256.Sum256(got)
	ok := 0
	for _, s := range secrets {
		w := sha256.Sum256(s)
		ok |= subtle.ConstantTimeCompare(g[:], w[:])
	}
	return ok == 1
}

func verifySharedSecret(cfg SignatureConfig, in Input) error {
	name := cfg.HeaderName()
	vs := in.Header.Values(name)
	switch {
	case len(vs) == 0:
		return sigErr(SignatureMissing, "secret missing: header %s is absent", name)
	case len(vs) > 1:
		return sigErr(SignatureMalformed, "secret malformed: header %s appears more than once", name)
	}
	if !secretEqual([]byte(strings.TrimSpace(vs[0])), cfg.Secrets) {
		return sigErr(SignatureMismatch, "secret mismatch: header %s holds another value", name)
	}
	return nil
}

// authorization returns the credentials of an Authorization header of the
// given scheme (matched case-insensitively, as RFC 9110 says).
func authorization(h http.Header, scheme string) (string, error) {
	vs := h.Values("Authorization")
	switch {
	case len(vs) == 0:
		return "", sigErr(SignatureMissing, "credentials missing: header Authorization is absent")
	case len(vs) > 1:
		return "", sigErr(SignatureMalformed, "credentials malformed: header Authorization appears more than once")
	}
	got, cred, ok := strings.Cut(strings.TrimSpace(vs[0]), " ")
	if !ok || !strings.EqualFold(got, scheme) {
		return "", sigErr(SignatureMalformed, "credentials malformed: header Authorization is not %s credentials", scheme)
	}
	return strings.TrimSpace(cred), nil
}

func verifyBearer(cfg SignatureConfig, in Input) error {
	token, err := authorization(in.Header, "Bearer")
	if err != nil {
		return err
	}
	if !secretEqual([]byte(token), cfg.Secrets) {
		return sigErr(SignatureMismatch, "credentials mismatch: bearer token does not match")
	}
	return nil
}

func verifyBasic(cfg SignatureConfig, in Input) error {
	cred, err := authorization(in.Header, "Basic")
	if err != nil {
		return err
	}
	raw, err := base64.StdEncoding.DecodeString(cred)
	if err != nil {
		return sigErr(SignatureMalformed, "credentials malformed: header Authorization is not valid Basic credentials")
	}
	if !secretEqual(raw, cfg.Secrets) {
		return sigErr(SignatureMismatch, "credentials mismatch: basic credentials do not match")
	}
	return nil
}
