package mapping

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Signature schemes a receiver can require.
const (
	// SchemeHMACSHA256 is HMAC-SHA256 of the raw body, keyed with the
	// secret's bytes. The header value is hex (any case) or base64 (standard
	// or URL alphabet, padded or not), with an optional "sha256=" prefix.
	// The prefix being optional covers GitHub, StatusPageOne, Shopify and
	// plain senders with one scheme; it also means GitHub's
	// "github-missing-prefix" vector (implementation-defined) is accepted:
	// the prefix carries no secret, so requiring it adds no security.
	SchemeHMACSHA256 = "hmac-sha256"
	// SchemeHMACSHA256Timestamped is the Stripe-style header
	// "t=<unix seconds>,v1=<hex or base64>[,v1=...]" with HMAC-SHA256 over
	// "<t>.<raw body>", keyed with the secret's bytes as they are (a
	// "whsec_" prefix is part of the key, as with Stripe). Items are parsed
	// by key, in any order; v0 and unknown keys are ignored; undecodable v1
	// values are skipped; any v1 matching any secret wins. The timestamp
	// must be within the tolerance in both directions: a future timestamp
	// beyond it is rejected (the "stripe-future-timestamp" vector is
	// implementation-defined; a symmetric window, like Standard Webhooks and
	// Slack, stops a sender with a fast clock from minting signatures that
	// stay valid for long). Exactly the tolerance is accepted.
	SchemeHMACSHA256Timestamped = "hmac-sha256-timestamped"
	// SchemeStandardWebhooks is https://www.standardwebhooks.com/: headers
	// webhook-id, webhook-timestamp and webhook-signature
	// ("v1,<base64>" entries, space-separated), HMAC-SHA256 over
	// "<id>.<timestamp>.<body>", keyed with the base64 decoding of the
	// secret after its "whsec_" prefix (padded or not). The Svix-branded
	// svix-id/svix-timestamp/svix-signature family is accepted when
	// webhook-signature is absent; the three headers always come from one
	// family. Asymmetric "v1a" entries are ignored, like any other version.
	// Tolerance as for the timestamped scheme.
	SchemeStandardWebhooks = "standard-webhooks"
	// SchemeSharedSecret compares a header's value with the secret.
	SchemeSharedSecret = "shared-secret"
	// SchemeBearer compares "Authorization: Bearer <token>" with the secret.
	SchemeBearer = "bearer"
	// SchemeBasic compares "Authorization: Basic ..." credentials with the
	// secret, written "user:password".
	SchemeBasic = "basic"
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
)

// SignatureSchemes lists the scheme names SignatureConfig accepts, for
// validation messages and API documentation.
func SignatureSchemes() []string {
	return []string{
		SchemeHMACSHA256,
		SchemeHMACSHA256Timestamped,
		SchemeStandardWebhooks,
		SchemeSharedSecret,
		SchemeBearer,
		SchemeBasic,
	}
}

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
}

// HeaderName is the header that carries the signature or secret, so the
// receiver knows which header to redact in its delivery log.
func (c SignatureConfig) HeaderName() string {
	switch c.Scheme {
	case SchemeStandardWebhooks:
		return "Webhook-Signature"
	case SchemeBearer, SchemeBasic:
		return "Authorization"
	}
	if c.Header != "" {
		return http.CanonicalHeaderKey(c.Header)
	}
	if c.Scheme == SchemeSharedSecret {
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

func timestamped(scheme string) bool {
	return scheme == SchemeHMACSHA256Timestamped || scheme == SchemeStandardWebhooks
}

// Validate checks the configuration when the receiver is saved. The error is
// a *ValidationError whose Field is signature.scheme, signature.secret,
// signature.header or signature.tolerance_seconds. Messages never repeat a
// secret.
func (c SignatureConfig) Validate() error {
	known := false
	for _, s := range SignatureSchemes() {
		known = known || s == c.Scheme
	}
	if !known {
		return &ValidationError{Field: "signature.scheme", Message: fmt.Sprintf("unknown scheme %q; known schemes: %s", c.Scheme, strings.Join(SignatureSchemes(), ", "))}
	}
	switch {
	case len(c.Secrets) == 0:
		return &ValidationError{Field: "signature.secret", Message: "a secret is required"}
	case len(c.Secrets) > MaxSecrets:
		return &ValidationError{Field: "signature.secret", Message: "at most two secrets (the current one and the next) are allowed"}
	}
	for _, s := range c.Secrets {
		if msg := checkSecret(c.Scheme, s); msg != "" {
			return &ValidationError{Field: "signature.secret", Message: msg}
		}
	}
	if c.Header != "" {
		switch c.Scheme {
		case SchemeStandardWebhooks, SchemeBearer, SchemeBasic:
			return &ValidationError{Field: "signature.header", Message: fmt.Sprintf("the %s scheme reads fixed headers; leave header empty", c.Scheme)}
		}
		if !validHeaderName(c.Header) {
			return &ValidationError{Field: "signature.header", Message: fmt.Sprintf("%q is not a valid HTTP header name", c.Header)}
		}
	}
	switch {
	case c.Tolerance != 0 && !timestamped(c.Scheme):
		return &ValidationError{Field: "signature.tolerance_seconds", Message: fmt.Sprintf("the %s scheme has no timestamp; leave tolerance unset", c.Scheme)}
	case c.Tolerance < 0:
		return &ValidationError{Field: "signature.tolerance_seconds", Message: "tolerance must not be negative"}
	case c.Tolerance > MaxTolerance:
		return &ValidationError{Field: "signature.tolerance_seconds", Message: fmt.Sprintf("tolerance must be at most %d seconds", int(MaxTolerance/time.Second))}
	}
	return nil
}

func checkSecret(scheme string, s []byte) string {
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
	switch scheme {
	case SchemeStandardWebhooks:
		if _, ok := standardWebhooksKey(s); !ok {
			return `secret must be "whsec_" followed by base64`
		}
	case SchemeBasic:
		if !bytes.Contains(s, []byte(":")) {
			return `secret must be "user:password"`
		}
	}
	return ""
}

// ErrSignatureInvalid is what every *SignatureError matches with errors.Is,
// so a caller can answer 401 signature_invalid without a type switch.
var ErrSignatureInvalid = errors.New("signature invalid")

// SignatureError says why a request failed authentication, in words an
// operator can act on. Reasons never contain a secret or the expected
// signature.
type SignatureError struct {
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

func sigErr(format string, args ...any) error {
	return &SignatureError{Reason: fmt.Sprintf(format, args...)}
}

// VerifySignature checks one request against the receiver's configuration,
// over the exact raw body, with now as the clock. It returns nil or a
// *SignatureError. An invalid configuration fails closed: the error is a
// *SignatureError that unwraps to the *ValidationError. Every comparison of
// secret material is constant-time.
func VerifySignature(cfg SignatureConfig, in Input, now time.Time) error {
	if err := cfg.Validate(); err != nil {
		return &SignatureError{Reason: "signature configuration is invalid: " + err.Error(), cause: err}
	}
	switch cfg.Scheme {
	case SchemeHMACSHA256:
		return verifyHMAC(cfg, in)
	case SchemeHMACSHA256Timestamped:
		return verifyTimestamped(cfg, in, now)
	case SchemeStandardWebhooks:
		return verifyStandardWebhooks(cfg, in, now)
	case SchemeSharedSecret:
		return verifySharedSecret(cfg, in)
	case SchemeBearer:
		return verifyBearer(cfg, in)
	default: // SchemeBasic; Validate rejected anything else.
		return verifyBasic(cfg, in)
	}
}

// SignHMACSHA256Hex returns the lower-case hex HMAC-SHA256 of body, without
// a "sha256=" prefix: the plain form is what the hmac-sha256 scheme's
// default header carries, and a sender that wants the prefix can add it
// (the verifier accepts both).
func SignHMACSHA256Hex(secret, body []byte) string {
	return hex.EncodeToString(hmacSHA256(secret, body))
}

func hmacSHA256(key []byte, parts ...[]byte) []byte {
	m := hmac.New(sha256.New, key)
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

// singleHeader returns the one value of a header. Two values are refused:
// which one the sender meant is ambiguous, and an attacker who can add a
// header should not get to choose.
func singleHeader(h http.Header, name string) (string, error) {
	vs := h.Values(name)
	switch {
	case len(vs) == 0:
		return "", sigErr("signature header %s is missing", http.CanonicalHeaderKey(name))
	case len(vs) > 1:
		return "", sigErr("signature header %s appears more than once", http.CanonicalHeaderKey(name))
	}
	v := strings.TrimSpace(vs[0])
	if v == "" {
		return "", sigErr("signature header %s is empty", http.CanonicalHeaderKey(name))
	}
	return v, nil
}

// decodeMAC reads a SHA-256 MAC written in hex or base64, with an optional
// "sha256=" prefix. The length decides: 64 characters can only be hex of 32
// bytes, since base64 of 32 bytes is 43 or 44.
func decodeMAC(s string) ([]byte, bool) {
	s = strings.TrimSpace(s)
	if len(s) >= 7 && strings.EqualFold(s[:7], "sha256=") {
		s = s[7:]
	}
	if len(s) == 2*sha256.Size {
		b, err := hex.DecodeString(s)
		return b, err == nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == sha256.Size {
			return b, true
		}
	}
	return nil, false
}

// anyMatch compares every candidate with every key's MAC without stopping
// early, so timing says nothing about which one matched.
func anyMatch(secrets [][]byte, sigs [][]byte, parts ...[]byte) bool {
	ok := false
	for _, secret := range secrets {
		want := hmacSHA256(secret, parts...)
		for _, sig := range sigs {
			if hmac.Equal(sig, want) {
				ok = true
			}
		}
	}
	return ok
}

func verifyHMAC(cfg SignatureConfig, in Input) error {
	v, err := singleHeader(in.Header, cfg.HeaderName())
	if err != nil {
		return err
	}
	sig, ok := decodeMAC(v)
	if !ok {
		return sigErr("signature is not valid hex or base64 of an HMAC-SHA256")
	}
	if !anyMatch(cfg.Secrets, [][]byte{sig}, in.Body) {
		return sigErr("signature does not match")
	}
	return nil
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

func checkTolerance(ts int64, now time.Time, tol time.Duration) error {
	d := now.Sub(time.Unix(ts, 0))
	if d > tol || d < -tol {
		return sigErr("timestamp is outside the %ds tolerance", int64(tol/time.Second))
	}
	return nil
}

// timestampedHeader is a parsed "t=...,v1=..." value.
type timestampedHeader struct {
	t       string   // as sent: it is what the sender signed
	ts      int64    // its value
	sigs    [][]byte // decodable v1 values
	anyV1   bool     // whether any v1 item was present
	problem string   // why the header is unusable, "" if it is usable
}

// parseTimestampedHeader parses by key, so item order does not matter.
func parseTimestampedHeader(v string) timestampedHeader {
	var h timestampedHeader
	seenT := false
	for item := range strings.SplitSeq(v, ",") {
		key, val, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok {
			h.problem = "is malformed (expected t=<timestamp>,v1=<signature>)"
			return h
		}
		switch key {
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
		case "v1":
			h.anyV1 = true
			if sig, ok := decodeMAC(val); ok {
				h.sigs = append(h.sigs, sig)
			}
		}
	}
	switch {
	case !seenT:
		h.problem = "has no timestamp (t=)"
	case !h.anyV1:
		h.problem = "has no v1 signature"
	}
	return h
}

func verifyTimestamped(cfg SignatureConfig, in Input, now time.Time) error {
	name := cfg.HeaderName()
	v, err := singleHeader(in.Header, name)
	if err != nil {
		return err
	}
	h := parseTimestampedHeader(v)
	if h.problem != "" {
		return sigErr("signature header %s %s", name, h.problem)
	}
	if err := checkTolerance(h.ts, now, cfg.tolerance()); err != nil {
		return err
	}
	if len(h.sigs) == 0 {
		return sigErr("signature is not valid hex or base64 of an HMAC-SHA256")
	}
	if !anyMatch(cfg.Secrets, h.sigs, []byte(h.t), []byte("."), in.Body) {
		return sigErr("signature does not match")
	}
	return nil
}

// standardWebhooksKey decodes "whsec_<base64>" (the prefix is optional, as
// in the reference libraries; padding too, as in the Python one).
func standardWebhooksKey(secret []byte) ([]byte, bool) {
	s := strings.TrimPrefix(string(secret), "whsec_")
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) > 0 {
			return b, true
		}
	}
	return nil, false
}

// parseStandardSignatures returns the decodable v1 entries of a
// webhook-signature value and whether any v1 entry was present.
func parseStandardSignatures(v string) (sigs [][]byte, anyV1 bool) {
	for entry := range strings.FieldsSeq(v) {
		version, val, ok := strings.Cut(entry, ",")
		if !ok || version != "v1" {
			continue
		}
		anyV1 = true
		if b, err := base64.StdEncoding.DecodeString(val); err == nil && len(b) == sha256.Size {
			sigs = append(sigs, b)
		}
	}
	return sigs, anyV1
}

func verifyStandardWebhooks(cfg SignatureConfig, in Input, now time.Time) error {
	family := "Webhook-"
	if len(in.Header.Values("Webhook-Signature")) == 0 && len(in.Header.Values("Svix-Signature")) > 0 {
		family = "Svix-"
	}
	sigHeader, err := singleHeader(in.Header, family+"Signature")
	if err != nil {
		return err
	}
	id, err := singleHeader(in.Header, family+"Id")
	if err != nil {
		return err
	}
	t, err := singleHeader(in.Header, family+"Timestamp")
	if err != nil {
		return err
	}
	ts, ok := parseUnixSeconds(t)
	if !ok {
		return sigErr("signature header %sTimestamp is not unix seconds", family)
	}
	if err := checkTolerance(ts, now, cfg.tolerance()); err != nil {
		return err
	}
	sigs, anyV1 := parseStandardSignatures(sigHeader)
	switch {
	case !anyV1:
		return sigErr("signature header %sSignature has no v1 signature", family)
	case len(sigs) == 0:
		return sigErr("signature is not valid base64 of an HMAC-SHA256")
	}
	keys := make([][]byte, 0, len(cfg.Secrets))
	for _, s := range cfg.Secrets {
		k, _ := standardWebhooksKey(s) // Validate checked it
		keys = append(keys, k)
	}
	if !anyMatch(keys, sigs, []byte(id), []byte("."), []byte(t), []byte("."), in.Body) {
		return sigErr("signature does not match")
	}
	return nil
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
		return sigErr("secret header %s is missing", name)
	case len(vs) > 1:
		return sigErr("secret header %s appears more than once", name)
	}
	if !secretEqual([]byte(strings.TrimSpace(vs[0])), cfg.Secrets) {
		return sigErr("secret in header %s does not match", name)
	}
	return nil
}

// authorization returns the credentials of an Authorization header of the
// given scheme (matched case-insensitively, as RFC 9110 says).
func authorization(h http.Header, scheme string) (string, error) {
	vs := h.Values("Authorization")
	switch {
	case len(vs) == 0:
		return "", sigErr("Authorization header is missing")
	case len(vs) > 1:
		return "", sigErr("Authorization header appears more than once")
	}
	got, cred, ok := strings.Cut(strings.TrimSpace(vs[0]), " ")
	if !ok || !strings.EqualFold(got, scheme) {
		return "", sigErr("Authorization header is not %s credentials", scheme)
	}
	return strings.TrimSpace(cred), nil
}

func verifyBearer(cfg SignatureConfig, in Input) error {
	token, err := authorization(in.Header, "Bearer")
	if err != nil {
		return err
	}
	if !secretEqual([]byte(token), cfg.Secrets) {
		return sigErr("bearer token does not match")
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
		return sigErr("Authorization header is not valid Basic credentials")
	}
	if !secretEqual(raw, cfg.Secrets) {
		return sigErr("basic credentials do not match")
	}
	return nil
}
