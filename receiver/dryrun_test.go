package receiver_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/dbtest"
	"github.com/statusgate/statusgate/mapping"
)

// dryRunAnswer is the answer of POST /api/v1/receivers/{id}/test.
type dryRunAnswer struct {
	Result     string  `json:"result"`
	Reason     *string `json:"reason"`
	HTTPStatus int     `json:"http_status"`
	Error      *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
	Signature    string     `json:"signature"`
	RawStatus    *string    `json:"raw_status"`
	MappedStatus *string    `json:"mapped_status"`
	Message      *string    `json:"message"`
	ServiceName  *string    `json:"service_name"`
	EventID      *string    `json:"event_id"`
	EventTime    *time.Time `json:"event_time"`
	Service      *struct {
		ID   uuid.UUID `json:"id"`
		Name string    `json:"name"`
	} `json:"service"`
	PreviousStatus *string `json:"previous_status"`
	NewStatus      *string `json:"new_status"`
	WouldChange    bool    `json:"would_change"`
}

func (f *fixture) dryRun(t *testing.T, id uuid.UUID, body string) dryRunAnswer {
	t.Helper()
	a := f.srv.Admin(http.MethodPost, "/api/v1/receivers/"+id.String()+"/test", body)
	if a.Status != http.StatusOK {
		t.Fatalf("dry run: %d %s, want 200", a.Status, a.Body)
	}
	var got dryRunAnswer
	a.JSON(t, &got)
	return got
}

// TestDryRun: the dry run says what a delivery would do and does none of it.
func TestDryRun(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		t.Parallel()
		f := newFixture(t, db, fixtureOptions{})
		svc, r := f.fixedReceiver("Checkout", map[string]any{
			"event_id_field": "id", "timestamp_field": "ts",
			"signature": map[string]any{"scheme": "hmac-sha256", "secret": "dry"},
		})
		dyn := f.createReceiver(map[string]any{"name": "dynamic", "service_name_field": "service_name"})
		before := f.getService(svc.ID)

		t.Run("a change is reported as processed, would_change", func(t *testing.T) {
			got := f.dryRun(t, r.ID, `{"status":" Major ","message":"Payments failing","id":"evt-9","ts":"2019-05-02T10:00:00Z"}`)
			if got.Result != "processed" || !got.WouldChange || got.HTTPStatus != 200 || got.Error != nil {
				t.Fatalf("dry run = %+v, want processed, would_change, 200", got)
			}
			if str(got.RawStatus) != "Major" || str(got.MappedStatus) != "down" || str(got.Message) != "Payments failing" ||
				str(got.EventID) != "evt-9" || got.EventTime == nil || !got.EventTime.Equal(time.Date(2019, 5, 2, 10, 0, 0, 0, time.UTC)) {
				t.Fatalf("extracted values = %+v, want Major/down/Payments failing/evt-9/2019-05-02T10:00:00Z", got)
			}
			if got.Service == nil || got.Service.ID != svc.ID || got.Service.Name != "Checkout" ||
				str(got.PreviousStatus) != "operational" || str(got.NewStatus) != "down" {
				t.Fatalf("target = %+v previous/new %s/%s, want Checkout operational->down", got.Service, str(got.PreviousStatus), str(got.NewStatus))
			}
			if got.Signature != "not_checked" {
				t.Fatalf("signature = %q, want not_checked (a dry run carries no sender signature)", got.Signature)
			}
		})

		t.Run("the same status is reported as ignored unchanged", func(t *testing.T) {
			got := f.dryRun(t, r.ID, `{"status":"up"}`)
			if got.Result != "ignored" || str(got.Reason) != "unchanged" || got.WouldChange || str(got.MappedStatus) != "operational" {
				t.Fatalf("dry run = %+v, want ignored unchanged, no change", got)
			}
		})

		t.Run("failures are reported with the answer a sender would get", func(t *testing.T) {
			for _, c := range []struct {
				body, code string
				status     int
			}{
				{`{"status":"purple"}`, "status_unmapped", 422},
				{`{"status":""}`, "status_missing", 422},
				{`nope`, "invalid_json", 400},
			} {
				got := f.dryRun(t, r.ID, c.body)
				if got.Result != "failed" || got.Error == nil || got.Error.Code != c.code || got.Error.Message == "" || got.HTTPStatus != c.status || got.WouldChange {
					t.Fatalf("dry run of %s = %+v, want failed %s %d", c.body, got, c.code, c.status)
				}
			}
			got := f.dryRun(t, dyn.ID, `{"service_name":"Nope","status":"down"}`)
			if got.Result != "failed" || got.Error == nil || got.Error.Code != "service_unknown" || str(got.ServiceName) != "Nope" {
				t.Fatalf("dry run with an unknown service = %+v, want failed service_unknown naming Nope", got)
			}
			got = f.dryRun(t, dyn.ID, `{"service_name":"  checkout ","status":"degraded"}`)
			if got.Result != "processed" || got.Service == nil || got.Service.ID != svc.ID || !got.WouldChange {
				t.Fatalf("dry run naming checkout = %+v, want the Checkout service, would change", got)
			}
		})

		t.Run("nothing changed and nothing was logged", func(t *testing.T) {
			after := f.getService(svc.ID)
			if after.Status != mapping.Operational || !after.StatusChangedAt.Equal(before.StatusChangedAt) {
				t.Fatalf("service after dry runs = %s since %s, want operational since %s", after.Status, after.StatusChangedAt, before.StatusChangedAt)
			}
			for _, id := range []uuid.UUID{r.ID, dyn.ID} {
				if n := len(f.deliveries(id)); n != 0 {
					t.Fatalf("delivery log has %d entries after dry runs, want 0", n)
				}
			}
			// The dry run did not remember evt-9: a real delivery of it is processed.
			body := []byte(`{"status":"down","id":"evt-9"}`)
			expect(t, f.post(r.Token, body, map[string]string{"X-Webhook-Signature": signHex("dry", body)}), http.StatusOK, "processed", "")
		})

		t.Run("a seen event id is reported as duplicate", func(t *testing.T) {
			got := f.dryRun(t, r.ID, `{"status":"operational","id":"evt-9"}`)
			if got.Result != "ignored" || str(got.Reason) != "duplicate" || got.WouldChange {
				t.Fatalf("dry run of a seen event = %+v, want ignored duplicate", got)
			}
		})
	})
}
