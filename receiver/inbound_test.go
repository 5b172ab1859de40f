package receiver_test

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/dbtest"
	"github.com/statusgate/statusgate/mapping"
)

// TestInboundResults walks one fixed-service receiver through every row of API.md's
// inbound table that a payload decides.
func TestInboundResults(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		t.Parallel()
		f := newFixture(t, db, fixtureOptions{maxBodyBytes: 2048})
		svc, r := f.fixedReceiver("Pushmail Email Delivery", nil)

		t.Run("status change is processed with previous and new status", func(t *testing.T) {
			ans := expect(t, f.post(r.Token, []byte(`{"status":"major","message":"Mail queue stuck"}`), nil), http.StatusOK, "processed", "")
			if ans.Service == nil || ans.Service.ID != svc.ID || ans.Service.Name != "Pushmail Email Delivery" {
				t.Fatalf("service = %+v, want {%s Pushmail Email Delivery}", ans.Service, svc.ID)
			}
			if str(ans.RawStatus) != "major" || str(ans.MappedStatus) != "down" || str(ans.PreviousStatus) != "operational" || str(ans.NewStatus) != "down" {
				t.Fatalf("raw/mapped/previous/new = %s/%s/%s/%s, want major/down/operational/down",
					str(ans.RawStatus), str(ans.MappedStatus), str(ans.PreviousStatus), str(ans.NewStatus))
			}
			if ans.DeliveryID.String() == "00000000-0000-0000-0000-000000000000" {
				t.Fatalf("delivery_id is empty")
			}
			if got := f.getService(svc.ID).Status; got != mapping.Down {
				t.Fatalf("service status after processed delivery = %s, want down", got)
			}
			d := f.lastDelivery(r.ID, ans)
			if d.Result != "processed" || d.Reason != nil || d.ErrorCode != nil || str(d.PreviousStatus) != "operational" ||
				str(d.NewStatus) != "down" || d.ServiceID == nil || *d.ServiceID != svc.ID || str(d.RawStatus) != "major" {
				t.Fatalf("log entry = %+v, want processed operational->down for the service", d)
			}
		})

		t.Run("same status is ignored as unchanged", func(t *testing.T) {
			ans := expect(t, f.post(r.Token, []byte(`{"status":"outage"}`), nil), http.StatusOK, "ignored", "")
			if str(ans.Reason) != "unchanged" || str(ans.PreviousStatus) != "down" || str(ans.NewStatus) != "down" {
				t.Fatalf("reason/previous/new = %s/%s/%s, want unchanged/down/down", str(ans.Reason), str(ans.PreviousStatus), str(ans.NewStatus))
			}
			d := f.lastDelivery(r.ID, ans)
			if d.Result != "ignored" || str(d.Reason) != "unchanged" {
				t.Fatalf("log entry result/reason = %s/%s, want ignored/unchanged", d.Result, str(d.Reason))
			}
		})

		t.Run("body that is not JSON fails with 400 invalid_json", func(t *testing.T) {
			for _, body := range []string{"", "nope", `{"status":"down"`, `"down"`, `42`, `{"status":"down"} trailing`} {
				ans := expect(t, f.post(r.Token, []byte(body), nil), http.StatusBadRequest, "failed", "invalid_json")
				d := f.lastDelivery(r.ID, ans)
				if d.Result != "failed" || str(d.ErrorCode) != "invalid_json" || d.Payload != body {
					t.Fatalf("body %q: log entry result/error_code/payload = %s/%s/%q, want failed/invalid_json/the body", body, d.Result, str(d.ErrorCode), d.Payload)
				}
			}
		})

		t.Run("absent or empty status fails with 422 status_missing", func(t *testing.T) {
			for _, body := range []string{`{}`, `{"message":"hi"}`, `{"status":null}`, `{"status":""}`, `{"status":"   "}`} {
				ans := expect(t, f.post(r.Token, []byte(body), nil), http.StatusUnprocessableEntity, "failed", "status_missing")
				if d := f.lastDelivery(r.ID, ans); str(d.ErrorCode) != "status_missing" {
					t.Fatalf("body %s: log error_code = %s, want status_missing", body, str(d.ErrorCode))
				}
			}
		})

		t.Run("unknown status word fails with 422 status_unmapped naming it", func(t *testing.T) {
			ans := expect(t, f.post(r.Token, []byte(`{"status":"purple"}`), nil), http.StatusUnprocessableEntity, "failed", "status_unmapped")
			if !strings.Contains(ans.Error.Message, "purple") || str(ans.RawStatus) != "purple" || ans.MappedStatus != nil {
				t.Fatalf("answer = %+v (message %q), want raw_status purple, no mapped_status, message naming it", ans, ans.Error.Message)
			}
			d := f.lastDelivery(r.ID, ans)
			if str(d.ErrorCode) != "status_unmapped" || str(d.RawStatus) != "purple" {
				t.Fatalf("log entry error_code/raw_status = %s/%s, want status_unmapped/purple", str(d.ErrorCode), str(d.RawStatus))
			}
		})

		t.Run("body over the limit fails with 413 payload_too_large", func(t *testing.T) {
			big := []byte(`{"status":"operational","pad":"` + strings.Repeat("x", 3000-32) + `"}`)
			if len(big) < 2900 {
				t.Fatalf("test body is %d bytes, want about 3000", len(big))
			}
			ans := expect(t, f.post(r.Token, big, nil), http.StatusRequestEntityTooLarge, "failed", "payload_too_large")
			d := f.lastDelivery(r.ID, ans)
			// Refused, but short enough for the log to keep whole: nothing was cut.
			if str(d.ErrorCode) != "payload_too_large" || d.PayloadTruncated || d.Payload != string(big) {
				t.Fatalf("Content-Length body: log error_code/truncated = %s/%v, payload %d bytes, want payload_too_large, not truncated, the whole body",
					str(d.ErrorCode), d.PayloadTruncated, len(d.Payload))
			}
			// Without Content-Length the limit is found while reading.
			ans = expect(t, f.postReader(r.Token, iotest.HalfReader(bytes.NewReader(big)), nil), http.StatusRequestEntityTooLarge, "failed", "payload_too_large")
			d = f.lastDelivery(r.ID, ans)
			if str(d.ErrorCode) != "payload_too_large" || d.PayloadTruncated || d.Payload != string(big) {
				t.Fatalf("chunked body: log error_code/truncated = %s/%v, payload %d bytes, want payload_too_large, not truncated, the whole body",
					str(d.ErrorCode), d.PayloadTruncated, len(d.Payload))
			}
			// Exactly at the limit is accepted.
			exact := []byte(`{"status":"down","pad":"` + strings.Repeat("y", 2048-26) + `"}`)
			if len(exact) != 2048 {
				t.Fatalf("test body is %d bytes, want 2048", len(exact))
			}
			expect(t, f.post(r.Token, exact, nil), http.StatusOK, "ignored", "")
		})

		t.Run("failures change nothing", func(t *testing.T) {
			if got := f.getService(svc.ID).Status; got != mapping.Down {
				t.Fatalf("service status = %s, want down (set by the one processed delivery)", got)
			}
		})
	})
}

// TestInboundDuplicateAndStale covers the two ignore reasons that need sender data:
// a repeated event id and an event older than the last change.
func TestInboundDuplicateAndStale(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		t.Parallel()
		f := newFixture(t, db, fixtureOptions{})
		svc, r := f.fixedReceiver("Billing", map[string]any{"event_id_field": "id", "timestamp_field": "ts"})

		expect(t, f.post(r.Token, []byte(`{"status":"down","id":"evt-1"}`), nil), http.StatusOK, "processed", "")
		t.Run("same event id twice is ignored as duplicate", func(t *testing.T) {
			for _, body := range []string{`{"status":"down","id":"evt-1"}`, `{"status":"operational","id":"evt-1"}`} {
				ans := expect(t, f.post(r.Token, []byte(body), nil), http.StatusOK, "ignored", "")
				if str(ans.Reason) != "duplicate" {
					t.Fatalf("%s: reason %s, want duplicate", body, str(ans.Reason))
				}
				if d := f.lastDelivery(r.ID, ans); str(d.Reason) != "duplicate" {
					t.Fatalf("log reason = %s, want duplicate", str(d.Reason))
				}
			}
			if got := f.getService(svc.ID).Status; got != mapping.Down {
				t.Fatalf("service status = %s after a duplicate saying operational, want down", got)
			}
		})

		t.Run("event older than the one behind the status is ignored as stale", func(t *testing.T) {
			// The sender's clock lags ours by a day; its events are compared with
			// each other, never with our clock.
			f.clock.Advance(10 * time.Minute)
			newer := clockStart.Add(-24 * time.Hour).Format(time.RFC3339)
			expect(t, f.post(r.Token, []byte(`{"status":"operational","id":"evt-2","ts":"`+newer+`"}`), nil), http.StatusOK, "processed", "")
			// An event the sender dated three minutes before that one arrives late.
			older := clockStart.Add(-24*time.Hour - 3*time.Minute).Format(time.RFC3339)
			ans := expect(t, f.post(r.Token, []byte(`{"status":"down","id":"evt-3","ts":"`+older+`"}`), nil), http.StatusOK, "ignored", "")
			if str(ans.Reason) != "stale" || str(ans.PreviousStatus) != "operational" || str(ans.NewStatus) != "operational" {
				t.Fatalf("reason/previous/new = %s/%s/%s, want stale/operational/operational", str(ans.Reason), str(ans.PreviousStatus), str(ans.NewStatus))
			}
			if d := f.lastDelivery(r.ID, ans); d.Result != "ignored" || str(d.Reason) != "stale" {
				t.Fatalf("log result/reason = %s/%s, want ignored/stale", d.Result, str(d.Reason))
			}
			if got := f.getService(svc.ID).Status; got != mapping.Operational {
				t.Fatalf("service status = %s after a stale down, want operational", got)
			}
		})
	})
}

// TestInboundServiceUnknown: a dynamic receiver whose payload names no service.
func TestInboundServiceUnknown(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		t.Parallel()
		f := newFixture(t, db, fixtureOptions{})
		f.createService("API Gateway")
		r := f.createReceiver(map[string]any{"name": "many", "service_name_field": "service_name"})
		for _, body := range []string{`{"service_name":"Nope","status":"down"}`, `{"status":"down"}`, `{"service_name":"","status":"down"}`} {
			ans := expect(t, f.post(r.Token, []byte(body), nil), http.StatusUnprocessableEntity, "failed", "service_unknown")
			if d := f.lastDelivery(r.ID, ans); str(d.ErrorCode) != "service_unknown" || d.ServiceID != nil {
				t.Fatalf("%s: log error_code/service_id = %s/%v, want service_unknown/null", body, str(d.ErrorCode), d.ServiceID)
			}
		}
	})
}

// TestInboundNotFound: unknown, malformed and disabled tokens answer 404 and are
// logged nowhere.
func TestInboundNotFound(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		t.Parallel()
		f := newFixture(t, db, fixtureOptions{})
		_, r := f.fixedReceiver("Search", nil)
		first := expect(t, f.post(r.Token, []byte(`{"status":"down"}`), nil), http.StatusOK, "processed", "")
		body := []byte(`{"status":"operational"}`)

		tokens := map[string]string{
			"unknown token":                strings.Repeat("A", 64),
			"token of another length (63)": r.Token[:63],
			"token of another length (65)": r.Token + "a",
			"token with a dash":            r.Token[:63] + "-",
			"short token":                  "abc",
			"token in other case":          strings.ToUpper(r.Token[:32]) + strings.ToLower(r.Token[32:]),
		}
		if tokens["token in other case"] == r.Token {
			delete(tokens, "token in other case")
		}
		for name, tok := range tokens {
			t.Run(name+" answers 404", func(t *testing.T) {
				expectNotFound(t, f.post(tok, body, nil))
			})
		}

		t.Run("disabled receiver answers 404", func(t *testing.T) {
			a := f.srv.Admin(http.MethodPatch, "/api/v1/receivers/"+r.ID.String(), map[string]any{"enabled": false})
			if a.Status != http.StatusOK {
				t.Fatalf("disable: %d %s", a.Status, a.Body)
			}
			expectNotFound(t, f.post(r.Token, body, nil))
		})

		t.Run("nothing was logged", func(t *testing.T) {
			list := f.deliveries(r.ID)
			if len(list) != 1 || list[0].ID != first.DeliveryID {
				t.Fatalf("log has %d entries, want only the first delivery %s", len(list), first.DeliveryID)
			}
		})

		t.Run("re-enabled receiver takes deliveries again", func(t *testing.T) {
			a := f.srv.Admin(http.MethodPatch, "/api/v1/receivers/"+r.ID.String(), map[string]any{"enabled": true})
			if a.Status != http.StatusOK {
				t.Fatalf("enable: %d %s", a.Status, a.Body)
			}
			expect(t, f.post(r.Token, body, nil), http.StatusOK, "processed", "")
		})
	})
}

// TestInboundRateLimited: over its rate a receiver answers 429 with Retry-After and
// logs nothing.
func TestInboundRateLimited(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		t.Parallel()
		f := newFixture(t, db, fixtureOptions{ratePerMinute: 2})
		_, r := f.fixedReceiver("Queue", nil)
		expect(t, f.post(r.Token, []byte(`{"status":"down"}`), nil), http.StatusOK, "processed", "")
		expect(t, f.post(r.Token, []byte(`{"status":"operational"}`), nil), http.StatusOK, "processed", "")

		a := f.post(r.Token, []byte(`{"status":"down"}`), nil)
		if a.Status != http.StatusTooManyRequests || a.ErrorCode(t) != "rate_limited" {
			t.Fatalf("third delivery in a minute: %d %s, want 429 rate_limited", a.Status, a.Body)
		}
		// 2 a minute refills one every 30 seconds; the clock has not moved.
		if got := a.Header.Get("Retry-After"); got != "30" {
			t.Fatalf("Retry-After = %q, want 30", got)
		}
		if strings.Contains(string(a.Body), `"result"`) {
			t.Fatalf("429 answer carries a delivery result: %s", a.Body)
		}
		if n := len(f.deliveries(r.ID)); n != 2 {
			t.Fatalf("log has %d entries, want 2 (the 429 is not logged)", n)
		}

		f.clock.Advance(30 * time.Second)
		expect(t, f.post(r.Token, []byte(`{"status":"down"}`), nil), http.StatusOK, "processed", "")
	})
}

// TestInboundSignatures: hmac-sha256 in every accepted encoding, every way to fail,
// a custom header and two secrets during a rotation.
func TestInboundSignatures(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		t.Parallel()
		f := newFixture(t, db, fixtureOptions{})
		const secret = "s3cret"
		svc, r := f.fixedReceiver("Signed", map[string]any{"signature": map[string]any{"scheme": "hmac-sha256", "secret": secret}})
		body := []byte(`{"status":"down","message":"signed"}`)
		mac := signRaw(secret, body)
		hexSig := signHex(secret, body)

		rejected := map[string]map[string]string{
			"missing signature":         nil,
			"empty signature":           {"X-Webhook-Signature": ""},
			"malformed signature":       {"X-Webhook-Signature": "not a signature!!"},
			"wrong secret":              {"X-Webhook-Signature": signHex("other", body)},
			"signature of another body": {"X-Webhook-Signature": signHex(secret, []byte(`{"status":"up"}`))},
			"truncated signature":       {"X-Webhook-Signature": hexSig[:32]},
			"signature in other header": {"X-Signature": hexSig},
			"wrong prefix":              {"X-Webhook-Signature": "sha1=" + hexSig},
		}
		for name, h := range rejected {
			t.Run(name+" answers 401", func(t *testing.T) {
				ans := expect(t, f.post(r.Token, body, h), http.StatusUnauthorized, "auth_failed", "signature_invalid")
				d := f.lastDelivery(r.ID, ans)
				if d.Result != "auth_failed" || str(d.ErrorCode) != "signature_invalid" {
					t.Fatalf("log result/error_code = %s/%s, want auth_failed/signature_invalid", d.Result, str(d.ErrorCode))
				}
				if v, ok := d.Headers["X-Webhook-Signature"]; ok && v != "[redacted]" {
					t.Fatalf("logged signature header = %q, want [redacted]", v)
				}
			})
		}
		if got := f.getService(svc.ID).Status; got != mapping.Operational {
			t.Fatalf("service status after rejected deliveries = %s, want operational", got)
		}

		accepted := map[string]string{
			"lower-case hex":        hexSig,
			"upper-case hex":        strings.ToUpper(hexSig),
			"sha256= prefix":        "sha256=" + hexSig,
			"base64":                b64std(mac),
			"unpadded URL base64":   b64url(mac),
			"sha256= prefix base64": "sha256=" + b64std(mac),
		}
		for name, sig := range accepted {
			t.Run(name+" is accepted", func(t *testing.T) {
				a := f.post(r.Token, body, map[string]string{"X-Webhook-Signature": sig})
				if a.Status != http.StatusOK {
					t.Fatalf("answer %d %s, want 200", a.Status, a.Body)
				}
			})
		}
		if got := f.getService(svc.ID).Status; got != mapping.Down {
			t.Fatalf("service status after signed deliveries = %s, want down", got)
		}

		t.Run("custom header is the one verified and redacted", func(t *testing.T) {
			_, rc := f.fixedReceiver("Custom header", map[string]any{"signature": map[string]any{"scheme": "hmac-sha256", "secret": secret, "header": "X-Pushmail-Check"}})
			expect(t, f.post(rc.Token, body, map[string]string{"X-Webhook-Signature": hexSig}), http.StatusUnauthorized, "auth_failed", "signature_invalid")
			ans := expect(t, f.post(rc.Token, body, map[string]string{"X-Pushmail-Check": hexSig}), http.StatusOK, "processed", "")
			if v := f.lastDelivery(rc.ID, ans).Headers["X-Pushmail-Check"]; v != "[redacted]" {
				t.Fatalf("logged X-Pushmail-Check = %q, want [redacted]", v)
			}
		})

		t.Run("both secrets of a rotation are accepted", func(t *testing.T) {
			_, rr := f.fixedReceiver("Rotating", map[string]any{"signature": map[string]any{"scheme": "hmac-sha256", "secrets": []string{"old-secret", "new-secret"}}})
			if rr.Signature == nil || len(rr.Signature.Secrets) != 2 {
				t.Fatalf("create answer signature = %+v, want both secrets shown", rr.Signature)
			}
			expect(t, f.post(rr.Token, body, map[string]string{"X-Webhook-Signature": signHex("old-secret", body)}), http.StatusOK, "processed", "")
			expect(t, f.post(rr.Token, body, map[string]string{"X-Webhook-Signature": signHex("new-secret", body)}), http.StatusOK, "ignored", "")
			expect(t, f.post(rr.Token, body, map[string]string{"X-Webhook-Signature": signHex("third-secret", body)}), http.StatusUnauthorized, "auth_failed", "signature_invalid")
		})

		t.Run("bearer scheme", func(t *testing.T) {
			_, rb := f.fixedReceiver("Bearer", map[string]any{"signature": map[string]any{"scheme": "bearer", "secret": "tok-123"}})
			expect(t, f.post(rb.Token, body, map[string]string{"Authorization": "Bearer tok-12"}), http.StatusUnauthorized, "auth_failed", "signature_invalid")
			ans := expect(t, f.post(rb.Token, body, map[string]string{"Authorization": "Bearer tok-123"}), http.StatusOK, "processed", "")
			if v := f.lastDelivery(rb.ID, ans).Headers["Authorization"]; v != "[redacted]" {
				t.Fatalf("logged Authorization = %q, want [redacted]", v)
			}
		})
	})
}

// TestInboundVocabulary: the default words through HTTP, a receiver's own words,
// nested paths and services named in the payload.
func TestInboundVocabulary(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		t.Parallel()
		f := newFixture(t, db, fixtureOptions{})

		t.Run("words match case-insensitively and trimmed", func(t *testing.T) {
			_, r := f.fixedReceiver("Words", nil)
			for _, c := range []struct{ raw, want string }{
				{" DOWN ", "down"}, {"Healthy", "operational"}, {"\tPartial\n", "degraded"}, {"Under_Maintenance", "maintenance"}, {"OK", "operational"},
			} {
				body := fmt.Sprintf(`{"status":%q}`, c.raw)
				ans := expect(t, f.post(r.Token, []byte(body), nil), http.StatusOK, "processed", "")
				if str(ans.MappedStatus) != c.want || str(ans.NewStatus) != c.want {
					t.Fatalf("status %q: mapped/new = %s/%s, want %s", c.raw, str(ans.MappedStatus), str(ans.NewStatus), c.want)
				}
			}
		})

		t.Run("receiver's own mapping overrides the defaults", func(t *testing.T) {
			_, r := f.fixedReceiver("Own words", map[string]any{"status_mapping": map[string]string{"green": "operational", "down": "degraded"}})
			for _, c := range []struct{ raw, want, result string }{
				{"down", "degraded", "processed"},
				{" GREEN ", "operational", "processed"},
				{"major", "down", "processed"},
			} {
				ans := expect(t, f.post(r.Token, []byte(fmt.Sprintf(`{"status":%q}`, c.raw)), nil), http.StatusOK, c.result, "")
				if str(ans.MappedStatus) != c.want {
					t.Fatalf("status %q: mapped %s, want %s", c.raw, str(ans.MappedStatus), c.want)
				}
			}
		})

		t.Run("nested paths read status and message", func(t *testing.T) {
			svc, r := f.fixedReceiver("Database", map[string]any{"status_field": "data.attributes.current_status", "message_field": "data.attributes.description"})
			ans := expect(t, f.post(r.Token, readTestdata(t, "alert24-nested.json"), nil), http.StatusOK, "processed", "")
			if str(ans.RawStatus) != "major" || str(ans.NewStatus) != "down" {
				t.Fatalf("raw/new = %s/%s, want major/down", str(ans.RawStatus), str(ans.NewStatus))
			}
			ivs, err := f.svc.History(ctx(), f.srv.Org.ID, svc.ID, clockStart.Add(-time.Hour), clockStart.Add(time.Hour))
			if err != nil {
				t.Fatalf("history: %v", err)
			}
			if last := ivs[len(ivs)-1]; last.Message != "Database connectivity issues" || last.Source != "webhook" {
				t.Fatalf("last interval = %+v, want the payload's message from a webhook", last)
			}
		})

		t.Run("service named in the payload is matched case-insensitively", func(t *testing.T) {
			svc := f.createService("api gateway")
			r := f.createReceiver(map[string]any{"name": "dynamic", "service_name_field": "service_name"})
			ans := expect(t, f.post(r.Token, readTestdata(t, "alert24-dynamic.json"), nil), http.StatusOK, "processed", "")
			if ans.Service == nil || ans.Service.ID != svc.ID || ans.Service.Name != "api gateway" {
				t.Fatalf("service = %+v, want {%s api gateway}", ans.Service, svc.ID)
			}
			if got := f.getService(svc.ID).Status; got != mapping.Down {
				t.Fatalf("service status = %s, want down", got)
			}
		})
	})
}

// TestInboundPresets posts the senders' published samples, unchanged, to receivers
// configured with the matching preset and signature.
func TestInboundPresets(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		t.Parallel()
		f := newFixture(t, db, fixtureOptions{})

		t.Run("statuspageone incident then recovery", func(t *testing.T) {
			svc := f.createService("API Server")
			const secret = "spo-secret"
			r := f.createReceiver(map[string]any{"name": "spo", "preset": "statuspageone",
				"signature": map[string]any{"scheme": "hmac-sha256", "secret": secret, "header": "X-StatusPageOne-Signature"}})
			incident := readTestdata(t, "statuspageone-incident.json")
			sign := func(b []byte) map[string]string {
				return map[string]string{"X-StatusPageOne-Signature": "sha256=" + signHex(secret, b)}
			}
			expect(t, f.post(r.Token, incident, map[string]string{"X-StatusPageOne-Signature": "sha256=" + signHex("nope", incident)}),
				http.StatusUnauthorized, "auth_failed", "signature_invalid")
			ans := expect(t, f.post(r.Token, incident, sign(incident)), http.StatusOK, "processed", "")
			if ans.Service == nil || ans.Service.ID != svc.ID || str(ans.RawStatus) != "DOWN" || str(ans.NewStatus) != "down" {
				t.Fatalf("incident answer = %+v, want API Server down from DOWN", ans)
			}
			if d := f.lastDelivery(r.ID, ans); d.Headers["X-Statuspageone-Signature"] != "[redacted]" {
				t.Fatalf("logged headers = %v, want the signature header redacted", d.Headers)
			}
			// StatusPageOne retries the same alert verbatim.
			dup := expect(t, f.post(r.Token, incident, sign(incident)), http.StatusOK, "ignored", "")
			if str(dup.Reason) != "duplicate" {
				t.Fatalf("retried incident: reason %s, want duplicate", str(dup.Reason))
			}
			recovery := readTestdata(t, "statuspageone-recovery.json")
			ans = expect(t, f.post(r.Token, recovery, sign(recovery)), http.StatusOK, "processed", "")
			if str(ans.PreviousStatus) != "down" || str(ans.NewStatus) != "operational" {
				t.Fatalf("recovery previous/new = %s/%s, want down/operational", str(ans.PreviousStatus), str(ans.NewStatus))
			}
		})

		t.Run("pingara with its shared secret header", func(t *testing.T) {
			svc := f.createService("API Production")
			r := f.createReceiver(map[string]any{"name": "pingara", "preset": "pingara",
				"signature": map[string]any{"scheme": "shared-secret", "secret": "pg-secret", "header": "X-Pingara-Secret"}})
			created := readTestdata(t, "pingara-incident-created.json")
			expect(t, f.post(r.Token, created, map[string]string{"X-Pingara-Secret": "pg-secre"}), http.StatusUnauthorized, "auth_failed", "signature_invalid")
			expect(t, f.post(r.Token, created, nil), http.StatusUnauthorized, "auth_failed", "signature_invalid")
			ans := expect(t, f.post(r.Token, created, map[string]string{"X-Pingara-Secret": "pg-secret"}), http.StatusOK, "processed", "")
			if ans.Service == nil || ans.Service.ID != svc.ID || str(ans.NewStatus) != "down" {
				t.Fatalf("incident.created answer = %+v, want API Production down", ans)
			}
			if d := f.lastDelivery(r.ID, ans); d.Headers["X-Pingara-Secret"] != "[redacted]" {
				t.Fatalf("logged X-Pingara-Secret = %q, want [redacted]", d.Headers["X-Pingara-Secret"])
			}
			ans = expect(t, f.post(r.Token, readTestdata(t, "pingara-incident-resolved.json"), map[string]string{"X-Pingara-Secret": "pg-secret"}), http.StatusOK, "processed", "")
			if str(ans.NewStatus) != "operational" {
				t.Fatalf("incident.resolved new_status %s, want operational", str(ans.NewStatus))
			}
		})

		t.Run("github ping is ignored, deployment_status processed", func(t *testing.T) {
			svc := f.createService("production")
			const secret = "gh-secret"
			r := f.createReceiver(map[string]any{"name": "github", "preset": "github",
				"signature": map[string]any{"scheme": "hmac-sha256", "secret": secret, "header": "X-Hub-Signature-256"}})
			ping := readTestdata(t, "github-ping.json")
			ans := expect(t, f.post(r.Token, ping, map[string]string{
				"X-GitHub-Event": "ping", "X-GitHub-Delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
				"X-Hub-Signature-256": "sha256=" + signHex(secret, ping),
			}), http.StatusOK, "ignored", "")
			if ans.Reason == nil {
				t.Fatalf("ping answer has no reason: %+v", ans)
			}
			// Put the environment down by hand so the deployment's success is a change.
			a := f.srv.Admin(http.MethodPut, "/api/v1/services/"+svc.ID.String()+"/status", map[string]any{"status": "down"})
			if a.Status != http.StatusOK {
				t.Fatalf("set status: %d %s", a.Status, a.Body)
			}
			deploy := readTestdata(t, "github-deployment-status.json")
			h := map[string]string{
				"X-GitHub-Event": "deployment_status", "X-GitHub-Delivery": "8e5f2f20-cc78-11e3-9f4a-1c2d3e4f5a6b",
				"X-Hub-Signature-256": "sha256=" + signHex(secret, deploy),
			}
			ans = expect(t, f.post(r.Token, deploy, h), http.StatusOK, "processed", "")
			if ans.Service == nil || ans.Service.ID != svc.ID || str(ans.RawStatus) != "success" || str(ans.PreviousStatus) != "down" || str(ans.NewStatus) != "operational" {
				t.Fatalf("deployment_status answer = %+v, want production down->operational from success", ans)
			}
			if d := f.lastDelivery(r.ID, ans); d.Headers["X-Hub-Signature-256"] != "[redacted]" {
				t.Fatalf("logged X-Hub-Signature-256 = %q, want [redacted]", d.Headers["X-Hub-Signature-256"])
			}
			// A redelivery carries the same X-GitHub-Delivery.
			dup := expect(t, f.post(r.Token, deploy, h), http.StatusOK, "ignored", "")
			if str(dup.Reason) != "duplicate" {
				t.Fatalf("redelivery reason %s, want duplicate", str(dup.Reason))
			}
		})

		t.Run("statussentry with a timestamped signature", func(t *testing.T) {
			svc := f.createService("API Gateway")
			const secret = "ss-secret"
			r := f.createReceiver(map[string]any{"name": "sentry", "preset": "statussentry",
				"signature": map[string]any{"scheme": "hmac-sha256-timestamped", "secret": secret, "header": "X-StatusSentry-Signature"}})
			body := readTestdata(t, "statussentry-incident-created.json")
			sign := func(ts int64, key string) map[string]string {
				signed := append([]byte(fmt.Sprintf("%d.", ts)), body...)
				return map[string]string{"X-StatusSentry-Signature": fmt.Sprintf("t=%d,v1=%s", ts, signHex(key, signed))}
			}
			now := f.clock.Peek().Unix()
			expect(t, f.post(r.Token, body, sign(now-3600, secret)), http.StatusUnauthorized, "auth_failed", "signature_invalid")
			expect(t, f.post(r.Token, body, sign(now, "wrong")), http.StatusUnauthorized, "auth_failed", "signature_invalid")
			ans := expect(t, f.post(r.Token, body, sign(now, secret)), http.StatusOK, "processed", "")
			if ans.Service == nil || ans.Service.ID != svc.ID || str(ans.RawStatus) != "degraded_performance" || str(ans.NewStatus) != "degraded" {
				t.Fatalf("answer = %+v, want API Gateway degraded from degraded_performance", ans)
			}
			dup := expect(t, f.post(r.Token, body, sign(now+1, secret)), http.StatusOK, "ignored", "")
			if str(dup.Reason) != "duplicate" {
				t.Fatalf("redelivered event reason %s, want duplicate", str(dup.Reason))
			}
		})
	})
}
