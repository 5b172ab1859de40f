package receiver_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/statusgate/statusgate/apitest"
	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/dbtest"
)

// stripeSig is a Stripe-Signature value: t=<ts>,v1=<hex HMAC-SHA256 of "<ts>.<body>">.
func stripeSig(secret string, ts int64, body []byte) string {
	t := strconv.FormatInt(ts, 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(t + "."))
	m.Write(body)
	return "t=" + t + ",v1=" + hex.EncodeToString(m.Sum(nil))
}

// loggedError is the newest log entry's error_code and error_message, read as raw
// JSON so the test sees exactly what the API shows.
func (f *fixture) loggedError(id uuid.UUID, ans inboundAnswer) (code, message string) {
	f.t.Helper()
	list, raw := f.deliveriesRaw(id)
	if len(list) == 0 || list[0].ID != ans.DeliveryID {
		f.t.Fatalf("newest log entry is not the answered delivery %s", ans.DeliveryID)
	}
	var msg *string
	if err := json.Unmarshal(raw[0]["error_message"], &msg); err != nil {
		f.t.Fatalf("error_message of the log entry: %v", err)
	}
	return str(list[0].ErrorCode), str(msg)
}

// accepted checks a delivery passed authentication and was taken.
func accepted(t testing.TB, a apitest.Answer) {
	t.Helper()
	var got inboundAnswer
	a.JSON(t, &got)
	if a.Status != http.StatusOK || (got.Result != "processed" && got.Result != "ignored") {
		t.Fatalf("answer %d %q, want 200 processed or ignored: %s", a.Status, got.Result, a.Body)
	}
}

// The delivery log names the part of the signature that failed; the sender is told
// only signature_invalid, with one message whatever failed.
func TestSignatureFailureIsLoggedNotAnswered(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db, fixtureOptions{})
		_, r := f.fixedReceiver("Payments", map[string]any{"signature": map[string]any{
			"scheme": "stripe", "secrets": []string{"whsec_current", "whsec_next"}}})
		body := []byte(`{"status":"down","message":"Card payments failing"}`)
		now := f.clock.Peek().Unix()
		cases := []struct {
			name    string
			header  map[string]string
			wantLog string
		}{
			{"tampered body", map[string]string{"Stripe-Signature": stripeSig("whsec_current", now, []byte(`{"status":"up"}`))}, "signature mismatch"},
			{"retired secret", map[string]string{"Stripe-Signature": stripeSig("whsec_previous", now, body)}, "signature mismatch"},
			{"expired", map[string]string{"Stripe-Signature": stripeSig("whsec_current", now-400, body)}, "timestamp 400 s in the past, tolerance 300 s"},
			{"future-dated", map[string]string{"Stripe-Signature": stripeSig("whsec_current", now+400, body)}, "timestamp 400 s in the future, tolerance 300 s"},
			{"missing", nil, "signature missing: header Stripe-Signature is absent"},
			{"malformed", map[string]string{"Stripe-Signature": "t=soon,v1=abc"}, "signature malformed: header Stripe-Signature has an invalid timestamp (t must be unix seconds)"},
		}
		var answerMessage string
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				a := f.post(r.Token, body, c.header)
				ans := expect(t, a, http.StatusUnauthorized, "auth_failed", "signature_invalid")
				if answerMessage == "" {
					answerMessage = ans.Error.Message
				}
				if ans.Error.Message != answerMessage {
					t.Fatalf("answer message %q differs from %q: the sender must not learn which part failed", ans.Error.Message, answerMessage)
				}
				for _, leak := range []string{c.wantLog, "mismatch", "tolerance", "Stripe-Signature", "malformed", "missing"} {
					if strings.Contains(string(a.Body), leak) {
						t.Fatalf("answer %s tells the sender %q", a.Body, leak)
					}
				}
				code, msg := f.loggedError(r.ID, ans)
				if code != "signature_invalid" || msg != c.wantLog {
					t.Fatalf("log error = %s %q, want signature_invalid %q", code, msg, c.wantLog)
				}
			})
		}

		// Both active secrets verify during a rotation, past and future within 300 s.
		for _, c := range []struct {
			secret string
			ts     int64
		}{{"whsec_current", now}, {"whsec_next", now}, {"whsec_next", now - 300}, {"whsec_current", now + 300}} {
			a := f.post(r.Token, body, map[string]string{"Stripe-Signature": stripeSig(c.secret, c.ts, body)})
			accepted(t, a)
		}

		// A genuine delivery replayed once its timestamp is past the tolerance is expired.
		sig := stripeSig("whsec_next", f.clock.Peek().Unix(), body)
		a := f.post(r.Token, body, map[string]string{"Stripe-Signature": sig})
		accepted(t, a)
		f.clock.Advance(301 * time.Second)
		ans := expect(t, f.post(r.Token, body, map[string]string{"Stripe-Signature": sig}), http.StatusUnauthorized, "auth_failed", "signature_invalid")
		if _, msg := f.loggedError(r.ID, ans); msg != "timestamp 301 s in the past, tolerance 300 s" {
			t.Fatalf("replayed delivery logged %q, want it expired by 301 s", msg)
		}
	})
}

// Named schemes over HTTP: each reads its sender's own headers, and the receiver's
// tolerance_seconds replaces the default.
func TestNamedSignatureSchemesOverHTTP(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db, fixtureOptions{})
		body := []byte(`{"status":"degraded"}`)
		now := f.clock.Peek().Unix()
		ts := strconv.FormatInt(now, 10)

		_, gh := f.fixedReceiver("Deploys", map[string]any{"signature": map[string]any{"scheme": "github", "secret": "gh-secret"}})
		if gh.Signature == nil || gh.Signature.Header != "X-Hub-Signature-256" {
			t.Fatalf("github receiver signature = %+v, want header X-Hub-Signature-256", gh.Signature)
		}
		a := f.post(gh.Token, body, map[string]string{"X-Hub-Signature-256": "sha256=" + signHex("gh-secret", body)})
		accepted(t, a)
		ans := expect(t, f.post(gh.Token, body, map[string]string{"X-Hub-Signature-256": signHex("gh-secret", body)}), http.StatusUnauthorized, "auth_failed", "signature_invalid")
		if _, msg := f.loggedError(gh.ID, ans); msg != "signature malformed: header X-Hub-Signature-256 holds no sha256=<hex of an HMAC-SHA256>" {
			t.Fatalf("github without prefix logged %q", msg)
		}

		_, sl := f.fixedReceiver("Chat", map[string]any{"signature": map[string]any{"scheme": "slack", "secret": "slack-secret", "tolerance_seconds": 60}})
		slackSig := "v0=" + signHex("slack-secret", []byte("v0:"+ts+":"+string(body)))
		a = f.post(sl.Token, body, map[string]string{"X-Slack-Signature": slackSig, "X-Slack-Request-Timestamp": ts})
		accepted(t, a)
		f.clock.Advance(61 * time.Second)
		ans = expect(t, f.post(sl.Token, body, map[string]string{"X-Slack-Signature": slackSig, "X-Slack-Request-Timestamp": ts}), http.StatusUnauthorized, "auth_failed", "signature_invalid")
		if _, msg := f.loggedError(sl.ID, ans); msg != "timestamp 61 s in the past, tolerance 60 s" {
			t.Fatalf("slack 61 s late logged %q, want the receiver's 60 s tolerance", msg)
		}

		_, sh := f.fixedReceiver("Shop", map[string]any{"signature": map[string]any{"scheme": "shopify", "secret": "shop-secret"}})
		a = f.post(sh.Token, body, map[string]string{"X-Shopify-Hmac-Sha256": b64std(signRaw("shop-secret", body))})
		accepted(t, a)

		_, pd := f.fixedReceiver("Pager", map[string]any{"signature": map[string]any{"scheme": "pagerduty", "secrets": []string{"pd-old", "pd-new"}}})
		a = f.post(pd.Token, body, map[string]string{"X-PagerDuty-Signature": "v1=" + signHex("pd-other", body) + ",v1=" + signHex("pd-new", body)})
		accepted(t, a)
	})
}

// The generic hmac scheme is configured through the API, stored, shown, kept across
// an update, and verifies Convoy's advanced form: "<t>,<body>", SHA-512, base64.
func TestGenericHMACSchemeOverHTTP(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db, fixtureOptions{})
		_, r := f.fixedReceiver("Convoy", map[string]any{"signature": map[string]any{
			"scheme": "hmac", "secret": "convoy-webhook-secret", "header": "X-Convoy-Signature",
			"algorithm": "SHA512", "encoding": "base64", "signed_payload": "{timestamp},{body}", "tolerance_seconds": 600}})
		path := "/api/v1/receivers/" + r.ID.String()
		var shown struct {
			Signature map[string]any `json:"signature"`
		}
		f.srv.Admin(http.MethodGet, path, nil).JSON(t, &shown)
		for k, want := range map[string]any{"scheme": "hmac", "header": "X-Convoy-Signature", "algorithm": "sha512", "encoding": "base64", "signed_payload": "{timestamp},{body}", "tolerance_seconds": float64(600)} {
			if shown.Signature[k] != want {
				t.Fatalf("GET signature.%s = %v, want %v (all: %v)", k, shown.Signature[k], want, shown.Signature)
			}
		}
		if _, ok := shown.Signature["prefix"]; ok {
			t.Fatalf("GET signature shows an unset prefix: %v", shown.Signature)
		}
		body := []byte(`{"status":"down"}`)
		sign := func(ts int64, body []byte) string {
			t := strconv.FormatInt(ts, 10)
			m := hmac.New(sha512.New, []byte("convoy-webhook-secret"))
			m.Write([]byte(t + ","))
			m.Write(body)
			return "v1=" + base64.StdEncoding.EncodeToString(m.Sum(nil)) + ",t=" + t
		}
		now := f.clock.Peek().Unix()
		a := f.post(r.Token, body, map[string]string{"X-Convoy-Signature": sign(now, body)})
		accepted(t, a)

		if a := f.srv.Admin(http.MethodPatch, path, map[string]any{"name": "Convoy renamed"}); a.Status != http.StatusOK {
			t.Fatalf("patch name: %d %s", a.Status, a.Body)
		}
		a = f.post(r.Token, body, map[string]string{"X-Convoy-Signature": sign(now, body)})
		accepted(t, a)
		ans := expect(t, f.post(r.Token, body, map[string]string{"X-Convoy-Signature": sign(now, []byte(`{"status":"up"}`))}), http.StatusUnauthorized, "auth_failed", "signature_invalid")
		if _, msg := f.loggedError(r.ID, ans); msg != "signature mismatch" {
			t.Fatalf("tampered Convoy delivery logged %q", msg)
		}
		ans = expect(t, f.post(r.Token, body, map[string]string{"X-Convoy-Signature": sign(now-601, body)}), http.StatusUnauthorized, "auth_failed", "signature_invalid")
		if _, msg := f.loggedError(r.ID, ans); msg != "timestamp 601 s in the past, tolerance 600 s" {
			t.Fatalf("stale Convoy delivery logged %q", msg)
		}

		// Switching to a named scheme drops the generic description with it.
		if a := f.srv.Admin(http.MethodPatch, path, map[string]any{"signature": map[string]any{"scheme": "github", "secret": "gh"}}); a.Status != http.StatusOK {
			t.Fatalf("patch to github: %d %s", a.Status, a.Body)
		}
		var switched struct {
			Signature map[string]any `json:"signature"`
		}
		f.srv.Admin(http.MethodGet, path, nil).JSON(t, &switched)
		if _, ok := switched.Signature["algorithm"]; ok || switched.Signature["scheme"] != "github" {
			t.Fatalf("signature after switching to github = %v, want no generic fields", switched.Signature)
		}
	})
}

// Signature settings that cannot work are refused on save, naming the field.
func TestSignatureValidationNamesTheField(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db, fixtureOptions{})
		svc := f.createService("Validated")
		cases := []struct {
			name  string
			sig   map[string]any
			field string
		}{
			{"unknown algorithm", map[string]any{"scheme": "hmac", "secret": "x", "algorithm": "md5"}, "signature.algorithm"},
			{"unknown encoding", map[string]any{"scheme": "hmac", "secret": "x", "encoding": "base32"}, "signature.encoding"},
			{"template without body", map[string]any{"scheme": "hmac", "secret": "x", "signed_payload": "{timestamp}"}, "signature.signed_payload"},
			{"timestamp header never signed", map[string]any{"scheme": "hmac", "secret": "x", "timestamp_header": "X-Ts"}, "signature.timestamp_header"},
			{"prefix on a named scheme", map[string]any{"scheme": "github", "secret": "x", "prefix": "sha1="}, "signature.prefix"},
			{"tolerance on an untimed scheme", map[string]any{"scheme": "shopify", "secret": "x", "tolerance_seconds": 60}, "signature.tolerance_seconds"},
			{"empty standard webhooks secret", map[string]any{"scheme": "standard-webhooks", "secret": "whsec_"}, "signature.secret"},
			{"three secrets", map[string]any{"scheme": "stripe", "secrets": []string{"a", "b", "c"}}, "signature.secret"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				a := f.srv.Admin(http.MethodPost, "/api/v1/receivers", map[string]any{"name": "x", "service_id": svc.ID, "signature": c.sig})
				if a.Status != http.StatusUnprocessableEntity || a.ErrorCode(t) != "validation_failed" {
					t.Fatalf("answer %d %s, want 422 validation_failed", a.Status, a.Body)
				}
				if got := validationField(t, a); got != c.field {
					t.Fatalf("error.field = %q, want %q: %s", got, c.field, a.Body)
				}
			})
		}
	})
}
