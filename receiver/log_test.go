package receiver_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/dbtest"
	"github.com/statusgate/statusgate/receiver"
)

// TestDeliveryLog: what an operator reads in GET /api/v1/receivers/{id}/deliveries.
func TestDeliveryLog(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		t.Parallel()
		f := newFixture(t, db, fixtureOptions{})
		const secret = "log-secret"
		svc, r := f.fixedReceiver("Logged", map[string]any{"signature": map[string]any{"scheme": "hmac-sha256", "secret": secret}})

		const sent = 60
		for i := range sent {
			status := "down"
			if i%2 == 1 {
				status = "operational"
			}
			body := []byte(fmt.Sprintf(`{"status":%q,"n":%d}`, status, i))
			a := f.post(r.Token, body, map[string]string{
				"X-Webhook-Signature": signHex(secret, body),
				"Authorization":       "Bearer sender-credential",
				"X-Request-Note":      fmt.Sprintf("note-%d", i),
			})
			expect(t, a, http.StatusOK, "processed", "")
			f.clock.Advance(time.Second)
		}

		list, raw := f.deliveriesRaw(r.ID)
		t.Run("keeps exactly the newest 50, newest first", func(t *testing.T) {
			if len(list) != receiver.KeepDeliveries {
				t.Fatalf("log has %d entries, want %d", len(list), receiver.KeepDeliveries)
			}
			for k, d := range list {
				n := sent - 1 - k
				var p struct {
					N int `json:"n"`
				}
				if err := json.Unmarshal([]byte(d.Payload), &p); err != nil || p.N != n {
					t.Fatalf("entry %d: payload %q, want counter %d", k, d.Payload, n)
				}
				if want := clockStart.Add(time.Duration(n) * time.Second); !d.ReceivedAt.Equal(want) {
					t.Fatalf("entry %d: received_at %s, want %s", k, d.ReceivedAt, want)
				}
			}
		})

		t.Run("every field of the contract is present", func(t *testing.T) {
			for _, field := range []string{"id", "received_at", "source_ip", "result", "reason", "error_code", "raw_status",
				"mapped_status", "previous_status", "new_status", "service_id", "payload", "headers"} {
				if _, ok := raw[0][field]; !ok {
					t.Fatalf("log entry has no %q: %v", field, raw[0])
				}
			}
			var at string
			if err := json.Unmarshal(raw[0]["received_at"], &at); err != nil || !strings.HasSuffix(at, "Z") {
				t.Fatalf("received_at = %s, want RFC 3339 UTC", raw[0]["received_at"])
			}
			d := list[0]
			if d.SourceIP != "127.0.0.1" || d.Result != "processed" || d.ServiceID == nil || *d.ServiceID != svc.ID ||
				str(d.RawStatus) != "operational" || str(d.MappedStatus) != "operational" ||
				str(d.PreviousStatus) != "down" || str(d.NewStatus) != "operational" || d.Reason != nil || d.ErrorCode != nil {
				t.Fatalf("newest entry = %+v, want processed down->operational from 127.0.0.1", d)
			}
		})

		t.Run("credentials are redacted, other headers kept", func(t *testing.T) {
			h := list[0].Headers
			want := map[string]string{
				"X-Webhook-Signature": "[redacted]",
				"Authorization":       "[redacted]",
				"Content-Type":        "application/json",
				"X-Request-Note":      "note-59",
			}
			for k, v := range want {
				if h[k] != v {
					t.Fatalf("logged header %s = %q, want %q (all: %v)", k, h[k], v, h)
				}
			}
			a := f.srv.Admin(http.MethodGet, "/api/v1/receivers/"+r.ID.String()+"/deliveries", nil)
			if strings.Contains(string(a.Body), "sender-credential") || strings.Contains(string(a.Body), secret) {
				t.Fatalf("delivery log shows a credential: %s", a.Body)
			}
		})

		t.Run("payload is kept byte for byte", func(t *testing.T) {
			body := "{\n  \"status\" :\t\"DOWN\" , \"msg\": \"h\u00e9llo \u2713 \\u00e9\",\"n\":1.50e+1 }\r\n"
			ans := expect(t, f.post(r.Token, []byte(body), map[string]string{"X-Webhook-Signature": signHex(secret, []byte(body))}), http.StatusOK, "processed", "")
			d := f.lastDelivery(r.ID, ans)
			if d.Payload != body || d.PayloadTruncated {
				t.Fatalf("logged payload = %q (truncated %v), want %q", d.Payload, d.PayloadTruncated, body)
			}
		})

		t.Run("a 70 KiB payload is logged cut to 64 KiB", func(t *testing.T) {
			_, big := f.fixedReceiver("Big", nil)
			body := `{"status":"down","pad":"` + strings.Repeat("x", 70<<10) + `"}`
			ans := expect(t, f.post(big.Token, []byte(body), nil), http.StatusOK, "processed", "")
			d := f.lastDelivery(big.ID, ans)
			if len(d.Payload) != receiver.MaxLoggedPayload || d.Payload != body[:receiver.MaxLoggedPayload] || !d.PayloadTruncated {
				t.Fatalf("logged payload %d bytes (truncated %v), want the first %d bytes and payload_truncated", len(d.Payload), d.PayloadTruncated, receiver.MaxLoggedPayload)
			}
		})

		t.Run("bytes that are not UTF-8 do not break the log", func(t *testing.T) {
			_, bin := f.fixedReceiver("Binary", nil)
			bodies := []string{
				"{\"status\":\"down\",\"m\":\"\xff\xfe\xc3\"}",
				"{\"status\":\"down\"}\x00",
				"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03",
			}
			for _, body := range bodies {
				ans := expect(t, f.post(bin.Token, []byte(body), nil), http.StatusBadRequest, "failed", "invalid_json")
				d := f.lastDelivery(bin.ID, ans)
				if !utf8.ValidString(d.Payload) || strings.ContainsRune(d.Payload, 0) || d.Payload == "" {
					t.Fatalf("logged payload %q for body %q, want valid UTF-8 text without NUL", d.Payload, body)
				}
				if str(d.ErrorCode) != "invalid_json" {
					t.Fatalf("log error_code = %s, want invalid_json", str(d.ErrorCode))
				}
			}
			if n := len(f.deliveries(bin.ID)); n != len(bodies) {
				t.Fatalf("log has %d entries, want %d", n, len(bodies))
			}
		})
	})
}

// The log is pruned in the background (PruneLogs), not by the deliveries, yet every
// reader sees exactly the newest 50: the list, its result filter, and replay.
func TestDeliveryLogPrunedInBatchesShowsExactlyTheNewest(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		t.Parallel()
		f := newFixture(t, db, fixtureOptions{})
		_, r := f.fixedReceiver("Lazily pruned", nil)
		physical := func() int64 {
			var n int64
			if err := db.Conn(ctx()).Table("deliveries").Where("receiver_id = ?", r.ID).Count(&n).Error; err != nil {
				t.Fatal(err)
			}
			return n
		}
		var ids []inboundAnswer
		send := func(n int) {
			for range n {
				status := []string{"down", "operational"}[len(ids)%2]
				ids = append(ids, expect(t, f.post(r.Token, []byte(fmt.Sprintf(`{"status":%q}`, status)), nil), http.StatusOK, "processed", ""))
				f.clock.Advance(time.Second)
			}
		}
		send(receiver.KeepDeliveries + 3)
		if got := physical(); got != int64(len(ids)) {
			t.Fatalf("the table holds %d rows after %d deliveries; no delivery prunes, so want all", got, len(ids))
		}
		list := f.deliveries(r.ID)
		if len(list) != receiver.KeepDeliveries || list[len(list)-1].ID != ids[3].DeliveryID || list[0].ID != ids[len(ids)-1].DeliveryID {
			t.Fatalf("log shows %d entries from %s to %s, want the newest %d", len(list), list[len(list)-1].ID, list[0].ID, receiver.KeepDeliveries)
		}
		a := f.srv.Admin(http.MethodGet, "/api/v1/receivers/"+r.ID.String()+"/deliveries?result=processed", nil)
		var filtered struct {
			Deliveries []delivery `json:"deliveries"`
		}
		a.JSON(t, &filtered)
		if len(filtered.Deliveries) != receiver.KeepDeliveries {
			t.Fatalf("?result=processed shows %d entries, want the %d kept", len(filtered.Deliveries), receiver.KeepDeliveries)
		}
		replay := f.srv.Admin(http.MethodPost, "/api/v1/receivers/"+r.ID.String()+"/deliveries/"+ids[0].DeliveryID.String()+"/replay", nil)
		if replay.Status != http.StatusNotFound {
			t.Fatalf("replay of an evicted delivery: %d %s, want 404", replay.Status, replay.Body)
		}
		if n, err := f.store.PruneLogs(ctx()); err != nil || n != 3 {
			t.Fatalf("PruneLogs = %d, %v; want the 3 oldest deleted", n, err)
		}
		if got := physical(); got != receiver.KeepDeliveries {
			t.Fatalf("the table holds %d rows after the prune, want %d", got, receiver.KeepDeliveries)
		}
		if n, err := f.store.PruneLogs(ctx()); err != nil || n != 0 {
			t.Fatalf("a second PruneLogs = %d, %v; want nothing due", n, err)
		}
		if list := f.deliveries(r.ID); len(list) != receiver.KeepDeliveries || list[0].ID != ids[len(ids)-1].DeliveryID {
			t.Fatalf("after the prune the log shows %d entries, want the newest %d", len(list), receiver.KeepDeliveries)
		}
	})
}

// PruneLogs goes through the due parts a few receivers at a time: every one of
// them is pruned in one pass, each to exactly its newest 50.
func TestPruneLogsPrunesEveryDueReceiver(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		t.Parallel()
		f := newFixture(t, db, fixtureOptions{})
		const receivers = 5 // more than one grouped function prunes
		var ids []uuid.UUID
		var tokens []string
		answers := make([][]inboundAnswer, receivers)
		for i := range receivers {
			_, r := f.fixedReceiver(fmt.Sprintf("Pruned %d", i), nil)
			ids, tokens = append(ids, r.ID), append(tokens, r.Token)
		}
		// Round robin, as under load: each receiver's rows lie among the others'.
		for n := range receiver.KeepDeliveries + receivers {
			for i, token := range tokens {
				if n < receiver.KeepDeliveries+1+i {
					status := []string{"down", "operational"}[n%2]
					answers[i] = append(answers[i], expect(t, f.post(token, []byte(fmt.Sprintf(`{"status":%q}`, status)), nil), http.StatusOK, "processed", ""))
				}
			}
		}
		n, err := f.store.PruneLogs(ctx())
		if want := 1 + 2 + 3 + 4 + 5; err != nil || n != want {
			t.Fatalf("PruneLogs = %d, %v; want the %d rows beyond each receiver's newest %d", n, err, want, receiver.KeepDeliveries)
		}
		for i, id := range ids {
			var kept []string
			if err := db.Conn(ctx()).Table("deliveries").Where("receiver_id = ?", id).Order("received_at, id").Pluck("id", &kept).Error; err != nil {
				t.Fatal(err)
			}
			newest := answers[i][len(answers[i])-receiver.KeepDeliveries:]
			if len(kept) != receiver.KeepDeliveries || kept[0] != newest[0].DeliveryID.String() || kept[len(kept)-1] != newest[len(newest)-1].DeliveryID.String() {
				t.Fatalf("receiver %s holds %d rows after the prune, want its newest %d", id, len(kept), receiver.KeepDeliveries)
			}
		}
	})
}
