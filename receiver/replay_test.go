package receiver_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/dbtest"
	"github.com/statusgate/statusgate/mapping"
)

func (f *fixture) replay(receiverID, deliveryID uuid.UUID) (inboundAnswer, []byte, int) {
	f.t.Helper()
	a := f.srv.Admin(http.MethodPost, "/api/v1/receivers/"+receiverID.String()+"/deliveries/"+deliveryID.String()+"/replay", nil)
	var ans inboundAnswer
	a.JSON(f.t, &ans)
	return ans, a.Body, a.Status
}

func (f *fixture) patchReceiver(id uuid.UUID, body map[string]any) {
	f.t.Helper()
	if a := f.srv.Admin(http.MethodPatch, "/api/v1/receivers/"+id.String(), body); a.Status != http.StatusOK {
		f.t.Fatalf("patching receiver: %d %s", a.Status, a.Body)
	}
}

// TestReplay: a failed delivery replayed after the operator fixed the mapping is
// processed, as a new delivery that points at the original; what cannot be replayed
// answers 409 with a reason.
func TestReplay(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		t.Parallel()
		f := newFixture(t, db, fixtureOptions{maxBodyBytes: 4096})
		svc, r := f.fixedReceiver("Replayed", map[string]any{"timestamp_field": "ts"})

		failed := expect(t, f.post(r.Token, []byte(`{"status":"purple"}`), nil), http.StatusUnprocessableEntity, "failed", "status_unmapped")
		queried, err := sendWebhook(f.inboundURL(r.Token)+"?status=mauve&message=From+CI", bytes.NewReader(nil), nil)
		if err != nil {
			t.Fatal(err)
		}
		queryFailed := expect(t, queried, http.StatusUnprocessableEntity, "failed", "status_unmapped")

		t.Run("replay before the fix fails again the same way", func(t *testing.T) {
			ans, body, status := f.replay(r.ID, failed.DeliveryID)
			if status != http.StatusUnprocessableEntity || ans.Result != "failed" || ans.Error == nil || ans.Error.Code != "status_unmapped" {
				t.Fatalf("replay answered %d %s, want 422 failed status_unmapped", status, body)
			}
		})

		f.patchReceiver(r.ID, map[string]any{"status_mapping": map[string]string{"purple": "down", "mauve": "maintenance"}})
		f.clock.Advance(time.Minute)

		t.Run("replay after the fix is processed and points at the original", func(t *testing.T) {
			ans, body, status := f.replay(r.ID, failed.DeliveryID)
			if status != http.StatusOK || ans.Result != "processed" || str(ans.NewStatus) != "down" {
				t.Fatalf("replay answered %d %s, want 200 processed to down", status, body)
			}
			if !strings.Contains(string(body), `"replay_of":"`+failed.DeliveryID.String()+`"`) {
				t.Fatalf("replay answer does not point at %s: %s", failed.DeliveryID, body)
			}
			if got := f.getService(svc.ID).Status; got != mapping.Down {
				t.Fatalf("status after replay = %s, want down", got)
			}
			a := f.srv.Admin(http.MethodGet, "/api/v1/receivers/"+r.ID.String()+"/deliveries", nil)
			var log struct {
				Deliveries []struct {
					ID       uuid.UUID  `json:"id"`
					Result   string     `json:"result"`
					ReplayOf *uuid.UUID `json:"replay_of"`
				} `json:"deliveries"`
			}
			a.JSON(t, &log)
			if d := log.Deliveries[0]; d.ID != ans.DeliveryID || d.Result != "processed" || d.ReplayOf == nil || *d.ReplayOf != failed.DeliveryID {
				t.Fatalf("newest log entry = %+v, want the replay (%s) of %s", d, ans.DeliveryID, failed.DeliveryID)
			}
		})

		t.Run("a replay reads the logged query parameters", func(t *testing.T) {
			ans, body, status := f.replay(r.ID, queryFailed.DeliveryID)
			if status != http.StatusOK || ans.Result != "processed" || str(ans.NewStatus) != "maintenance" {
				t.Fatalf("replay answered %d %s, want 200 processed to maintenance", status, body)
			}
		})

		t.Run("a replay is dated by the original event, so a newer status stays", func(t *testing.T) {
			_, r2 := f.fixedReceiver("Stale replay", map[string]any{"timestamp_field": "ts"})
			old := expect(t, f.post(r2.Token, []byte(`{"status":"teal"}`), nil), http.StatusUnprocessableEntity, "failed", "status_unmapped")
			later := f.clock.Advance(time.Hour).Format(time.RFC3339)
			expect(t, f.post(r2.Token, []byte(`{"status":"operational","ts":"`+later+`"}`), nil), http.StatusOK, "ignored", "")
			f.patchReceiver(r2.ID, map[string]any{"status_mapping": map[string]string{"teal": "down"}})
			ans, body, status := f.replay(r2.ID, old.DeliveryID)
			if status != http.StatusOK || ans.Result != "ignored" || str(ans.Reason) != "stale" {
				t.Fatalf("replay of an older event answered %d %s, want 200 ignored stale", status, body)
			}
		})

		t.Run("what cannot be replayed answers 409", func(t *testing.T) {
			_, signed := f.fixedReceiver("Signed", map[string]any{"signature": map[string]any{"scheme": "hmac-sha256", "secret": "s3cret"}})
			authFailed := expect(t, f.post(signed.Token, []byte(`{"status":"down"}`), map[string]string{"X-Webhook-Signature": "sha256=00"}), http.StatusUnauthorized, "auth_failed", "signature_invalid")
			tooLarge := expect(t, f.post(r.Token, bytes.Repeat([]byte(" "), 5000), nil), http.StatusRequestEntityTooLarge, "failed", "payload_too_large")
			lossy := expect(t, f.post(r.Token, []byte("{\"status\":\"down\xff\"}"), nil), http.StatusBadRequest, "failed", "invalid_json")
			for name, c := range map[string]struct {
				receiver, delivery uuid.UUID
				says               string
			}{
				"auth_failed": {signed.ID, authFailed.DeliveryID, "authentication"},
				"truncated":   {r.ID, tooLarge.DeliveryID, "cut"},
				"lossy":       {r.ID, lossy.DeliveryID, "not UTF-8"},
			} {
				a := f.srv.Admin(http.MethodPost, "/api/v1/receivers/"+c.receiver.String()+"/deliveries/"+c.delivery.String()+"/replay", nil)
				if a.Status != http.StatusConflict || a.ErrorCode(t) != "conflict" || !strings.Contains(string(a.Body), c.says) {
					t.Fatalf("%s: replay answered %d %s, want 409 conflict saying %q", name, a.Status, a.Body, c.says)
				}
			}
		})

		t.Run("an unknown delivery, or another receiver's, is 404", func(t *testing.T) {
			_, other := f.fixedReceiver("Other", nil)
			for _, path := range []string{
				"/api/v1/receivers/" + r.ID.String() + "/deliveries/" + uuid.NewString() + "/replay",
				"/api/v1/receivers/" + r.ID.String() + "/deliveries/not-a-uuid/replay",
				"/api/v1/receivers/" + other.ID.String() + "/deliveries/" + failed.DeliveryID.String() + "/replay",
			} {
				if a := f.srv.Admin(http.MethodPost, path, nil); a.Status != http.StatusNotFound || a.ErrorCode(t) != "not_found" {
					t.Fatalf("POST %s answered %d %s, want 404", path, a.Status, a.Body)
				}
			}
			if a := f.srv.Do(http.MethodPost, "/api/v1/receivers/"+r.ID.String()+"/deliveries/"+failed.DeliveryID.String()+"/replay", f.srv.ViewerKey, nil); a.Status != http.StatusForbidden {
				t.Fatalf("replay with a viewer key answered %d, want 403", a.Status)
			}
		})
	})
}

// TestUnmappedWords: the words that failed with status_unmapped, in a delivery or an
// item, counted case-insensitively, most frequent first.
func TestUnmappedWords(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		t.Parallel()
		f := newFixture(t, db, fixtureOptions{})
		_, r := f.fixedReceiver("Words", nil)
		f.createService("Comp A")
		multi := f.createReceiver(map[string]any{"name": "Multi words", "items_field": "items", "service_name_field": "name"})
		empty := f.srv.Admin(http.MethodGet, "/api/v1/receivers/"+multi.ID.String()+"/unmapped", nil)
		if empty.Status != http.StatusOK || strings.TrimSpace(string(empty.Body)) != `{"unmapped":[]}` {
			t.Fatalf("unmapped of a fresh receiver = %d %s, want {\"unmapped\":[]}", empty.Status, empty.Body)
		}

		for _, w := range []string{"purple", "Purple ", "teal", "PURPLE"} {
			f.clock.Advance(time.Second)
			expect(t, f.post(r.Token, []byte(`{"status":"`+w+`"}`), nil), http.StatusUnprocessableEntity, "failed", "status_unmapped")
		}
		expect(t, f.post(r.Token, []byte(`{"status":"down"}`), nil), http.StatusOK, "processed", "")
		last := f.clock.Advance(time.Second)
		expect(t, f.post(multi.Token, []byte(`{"items":[{"name":"Comp A","status":"down"},{"name":"Comp A","status":"mauve"}]}`), nil), http.StatusOK, "processed", "")

		a := f.srv.Admin(http.MethodGet, "/api/v1/receivers/"+r.ID.String()+"/unmapped", nil)
		var got struct {
			Unmapped []struct {
				RawStatus  string    `json:"raw_status"`
				Count      int       `json:"count"`
				LastSeenAt time.Time `json:"last_seen_at"`
			} `json:"unmapped"`
		}
		a.JSON(t, &got)
		if len(got.Unmapped) != 2 || got.Unmapped[0].RawStatus != "PURPLE" || got.Unmapped[0].Count != 3 || got.Unmapped[1].RawStatus != "teal" || got.Unmapped[1].Count != 1 {
			t.Fatalf("unmapped = %s, want PURPLE x3 then teal x1", a.Body)
		}
		if !got.Unmapped[0].LastSeenAt.Equal(last.Add(-time.Second)) {
			t.Fatalf("PURPLE last_seen_at = %s, want %s", got.Unmapped[0].LastSeenAt, last.Add(-time.Second))
		}
		a = f.srv.Admin(http.MethodGet, "/api/v1/receivers/"+multi.ID.String()+"/unmapped", nil)
		if body := string(a.Body); !strings.Contains(body, `"raw_status":"mauve","count":1`) {
			t.Fatalf("unmapped of the multi-item receiver = %s, want mauve x1", body)
		}
	})
}
