package receiver_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/dbtest"
	"github.com/statusgate/statusgate/mapping"
)

// itemAnswer is one entry of an answer's or a log entry's items.
type itemAnswer struct {
	Result  string `json:"result"`
	Reason  *string
	Service *struct {
		ID   uuid.UUID `json:"id"`
		Name string    `json:"name"`
	} `json:"service"`
	RawStatus      *string `json:"raw_status"`
	MappedStatus   *string `json:"mapped_status"`
	PreviousStatus *string `json:"previous_status"`
	NewStatus      *string `json:"new_status"`
	Error          *struct {
		Code string `json:"code"`
	} `json:"error"`
}

// itemsOf reads the items of an inbound answer.
func itemsOf(t testing.TB, body []byte) []itemAnswer {
	t.Helper()
	var a struct {
		Items []itemAnswer `json:"items"`
	}
	if err := json.Unmarshal(body, &a); err != nil {
		t.Fatalf("answer is not JSON: %v\n%s", err, body)
	}
	return a.Items
}

// logItems reads the items of the newest log entry.
func (f *fixture) logItems(receiverID uuid.UUID) []itemAnswer {
	f.t.Helper()
	a := f.srv.Admin(http.MethodGet, "/api/v1/receivers/"+receiverID.String()+"/deliveries", nil)
	var log struct {
		Deliveries []struct {
			Items []itemAnswer `json:"items"`
		} `json:"deliveries"`
	}
	a.JSON(f.t, &log)
	if len(log.Deliveries) == 0 {
		f.t.Fatalf("delivery log is empty")
	}
	return log.Deliveries[0].Items
}

func itemSummary(items []itemAnswer) string {
	var b bytes.Buffer
	for _, it := range items {
		name, code := "-", "-"
		if it.Service != nil {
			name = it.Service.Name
		}
		if it.Error != nil {
			code = it.Error.Code
		}
		fmt.Fprintf(&b, "[%s %s %s->%s %s %s]", name, it.Result, str(it.PreviousStatus), str(it.NewStatus), str(it.Reason), code)
	}
	return b.String()
}

// TestItemsFanOut: one body that lists several components changes several services
// in one delivery, the answer and the log show each item, and the delivery's result
// follows the rule in DECISIONS.md (processed if any changed, failed only if all did).
func TestItemsFanOut(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		t.Parallel()
		f := newFixture(t, db, fixtureOptions{})
		api, mail, web := f.createService("API Gateway"), f.createService("Email"), f.createService("Website")
		r := f.createReceiver(map[string]any{
			"name": "StatusSentry", "items_field": "data.components", "status_field": "status",
			"service_name_field": "name", "message_field": "root:data.title", "event_id_field": "id",
			"status_mapping": map[string]string{"degraded_performance": "degraded", "major_outage": "down", "ack": "ignore"},
		})
		if got := f.srv.Admin(http.MethodGet, "/api/v1/receivers/"+r.ID.String(), nil).Map(t)["items_field"]; got != "data.components" {
			t.Fatalf("items_field read back = %v, want data.components", got)
		}

		t.Run("three components change three services in one delivery", func(t *testing.T) {
			body := []byte(`{"id":"evt_1","data":{"title":"EU incident","components":[
				{"name":"API Gateway","status":"degraded_performance"},
				{"name":"email","status":"major_outage"},
				{"name":"Website","status":"major_outage"}]}}`)
			a := f.post(r.Token, body, nil)
			ans := expect(t, a, http.StatusOK, "processed", "")
			items := itemsOf(t, a.Body)
			want := "[API Gateway processed operational->degraded <null> -][Email processed operational->down <null> -][Website processed operational->down <null> -]"
			if got := itemSummary(items); got != want {
				t.Fatalf("items = %s\nwant    %s", got, want)
			}
			if ans.Service == nil || ans.Service.ID != api.ID || str(ans.NewStatus) != "degraded" {
				t.Fatalf("top-level service/new = %+v/%s, want the first changed item's (API Gateway, degraded)", ans.Service, str(ans.NewStatus))
			}
			for id, want := range map[uuid.UUID]mapping.Status{api.ID: mapping.Degraded, mail.ID: mapping.Down, web.ID: mapping.Down} {
				if got := f.getService(id).Status; got != want {
					t.Fatalf("service %s status = %s, want %s", id, got, want)
				}
			}
			if got := itemSummary(f.logItems(r.ID)); got != want {
				t.Fatalf("log items = %s\nwant        %s", got, want)
			}
		})

		t.Run("a retry of the same event is a duplicate for every item", func(t *testing.T) {
			body := []byte(`{"id":"evt_1","data":{"components":[{"name":"API Gateway","status":"operational"},{"name":"Email","status":"operational"}]}}`)
			a := f.post(r.Token, body, nil)
			expect(t, a, http.StatusOK, "ignored", "")
			if got := itemSummary(itemsOf(t, a.Body)); got != "[API Gateway ignored degraded->degraded duplicate -][Email ignored down->down duplicate -]" {
				t.Fatalf("items = %s, want both duplicates", got)
			}
		})

		t.Run("processed when one item changes and another fails", func(t *testing.T) {
			body := []byte(`{"data":{"components":[{"name":"Nope","status":"operational"},{"name":"API Gateway","status":"operational"},{"name":"Email","status":"purple"}]}}`)
			a := f.post(r.Token, body, nil)
			expect(t, a, http.StatusOK, "processed", "")
			want := "[- failed <null>-><null> <null> service_unknown][API Gateway processed degraded->operational <null> -][- failed <null>-><null> <null> status_unmapped]"
			if got := itemSummary(itemsOf(t, a.Body)); got != want {
				t.Fatalf("items = %s\nwant    %s", got, want)
			}
		})

		t.Run("ignored when nothing changed and nothing failed", func(t *testing.T) {
			body := []byte(`{"data":{"components":[{"name":"API Gateway","status":"ack"},{"name":"Email","status":"major_outage"}]}}`)
			a := f.post(r.Token, body, nil)
			ans := expect(t, a, http.StatusOK, "ignored", "")
			if got := itemSummary(itemsOf(t, a.Body)); got != "[- ignored <null>-><null> ignored_value -][Email ignored down->down unchanged -]" {
				t.Fatalf("items = %s", got)
			}
			if str(ans.Reason) != "ignored_value" {
				t.Fatalf("reason = %s, want the first item's (ignored_value)", str(ans.Reason))
			}
		})

		t.Run("ignored, not failed, when nothing changed and one item failed", func(t *testing.T) {
			body := []byte(`{"data":{"components":[{"name":"Email","status":"major_outage"},{"name":"Nope","status":"down"}]}}`)
			expect(t, f.post(r.Token, body, nil), http.StatusOK, "ignored", "")
		})

		t.Run("failed with the first item's code only when every item failed", func(t *testing.T) {
			body := []byte(`{"data":{"components":[{"name":"Nope","status":"down"},{"name":"Email","status":"purple"}]}}`)
			a := f.post(r.Token, body, nil)
			ans := expect(t, a, http.StatusUnprocessableEntity, "failed", "service_unknown")
			if ans.Service != nil {
				t.Fatalf("failed answer names service %+v, want null", ans.Service)
			}
			if got := itemSummary(f.logItems(r.ID)); got != "[- failed <null>-><null> <null> service_unknown][- failed <null>-><null> <null> status_unmapped]" {
				t.Fatalf("log items = %s", got)
			}
		})

		t.Run("several items of one service: the most severe is applied once", func(t *testing.T) {
			fixed, fr := f.fixedReceiver("Alert group", map[string]any{"items_field": "alerts", "event_id_field": "group"})
			body := []byte(`{"group":"g1","alerts":[{"status":"operational"},{"status":"down"},{"status":"degraded"}]}`)
			a := f.post(fr.Token, body, nil)
			expect(t, a, http.StatusOK, "processed", "")
			want := "[Alert group ignored operational->down superseded -][Alert group processed operational->down <null> -][Alert group ignored operational->down superseded -]"
			if got := itemSummary(itemsOf(t, a.Body)); got != want {
				t.Fatalf("items = %s\nwant    %s", got, want)
			}
			if got := f.getService(fixed.ID).Status; got != mapping.Down {
				t.Fatalf("status = %s, want down", got)
			}
			a = f.post(fr.Token, body, nil)
			if ans := expect(t, a, http.StatusOK, "ignored", ""); str(ans.Reason) != "duplicate" {
				t.Fatalf("retry reason = %s, want duplicate (the deciding item's)", str(ans.Reason))
			}
			for _, it := range itemsOf(t, a.Body) {
				if str(it.Reason) != "duplicate" && str(it.Reason) != "superseded" {
					t.Fatalf("retry items = %s, want duplicates (and superseded), nothing applied", itemSummary(itemsOf(t, a.Body)))
				}
			}
			if got := f.getService(fixed.ID).Status; got != mapping.Down {
				t.Fatalf("status after retry = %s, want still down", got)
			}
		})

		t.Run("an empty items array is ignored", func(t *testing.T) {
			expect(t, f.post(r.Token, []byte(`{"data":{"components":[]}}`), nil), http.StatusOK, "ignored", "")
		})
	})
}

// TestRetryBurstEndsOnNewestEvent: duplicates and out-of-order retries of three events
// arrive at once; whatever order they are taken in, every answer is 200 and the final
// status is the newest event's, for a one-update receiver and a multi-item one.
func TestRetryBurstEndsOnNewestEvent(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		t.Parallel()
		f := newFixture(t, db, fixtureOptions{})
		f.clock.Set(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
		f.clock.SetTick(time.Microsecond)
		single, rs := f.fixedReceiver("Single", map[string]any{"event_id_field": "id", "timestamp_field": "ts"})
		a, b := f.createService("Multi A"), f.createService("Multi B")
		rm := f.createReceiver(map[string]any{
			"name": "Multi", "items_field": "components", "service_name_field": "name",
			"event_id_field": "id", "timestamp_field": "root:ts",
		})
		// Oldest to newest; the newest is the last.
		events := []struct{ id, ts, single, a, b string }{
			{"e1", "2026-03-01T11:00:00Z", "down", "down", "degraded"},
			{"e2", "2026-03-01T11:05:00Z", "operational", "operational", "down"},
			{"e3", "2026-03-01T11:10:00.250+0000", "degraded", "maintenance", "operational"},
		}
		var bodies []struct {
			token string
			body  []byte
		}
		for copyN := 0; copyN < 3; copyN++ {
			for _, e := range events {
				bodies = append(bodies,
					struct {
						token string
						body  []byte
					}{rs.Token, []byte(fmt.Sprintf(`{"id":%q,"ts":%q,"status":%q}`, e.id, e.ts, e.single))},
					struct {
						token string
						body  []byte
					}{rm.Token, []byte(fmt.Sprintf(`{"id":%q,"ts":%q,"components":[{"name":"Multi A","status":%q},{"name":"Multi B","status":%q}]}`, e.id, e.ts, e.a, e.b))},
				)
			}
		}
		var wg sync.WaitGroup
		answers := make([]int, len(bodies))
		start := make(chan struct{})
		for i := range bodies {
			// Newest first, then the older ones, so stale retries really arrive late.
			j := len(bodies) - 1 - i
			wg.Go(func() {
				<-start
				ans, err := sendWebhook(f.inboundURL(bodies[j].token), bytes.NewReader(bodies[j].body), nil)
				if err != nil {
					t.Errorf("posting: %v", err)
				}
				answers[j] = ans.Status
			})
		}
		close(start)
		wg.Wait()
		for i, st := range answers {
			if st != http.StatusOK {
				t.Fatalf("delivery %d answered %d, want 200", i, st)
			}
		}
		for id, want := range map[uuid.UUID]mapping.Status{single.ID: mapping.Degraded, a.ID: mapping.Maintenance, b.ID: mapping.Operational} {
			if got := f.getService(id).Status; got != want {
				t.Fatalf("service %s ends %s, want the newest event's %s", id, got, want)
			}
		}
	})
}

// TestQueryParameterUpdate: an empty body with ?status=&message= is a valid update,
// so a CI job needs only curl.
func TestQueryParameterUpdate(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		t.Parallel()
		f := newFixture(t, db, fixtureOptions{})
		svc, r := f.fixedReceiver("Deploys", nil)
		a, err := sendWebhook(f.inboundURL(r.Token)+"?status=maintenance&message=Deploying", bytes.NewReader(nil), nil)
		if err != nil {
			t.Fatal(err)
		}
		ans := expect(t, a, http.StatusOK, "processed", "")
		if str(ans.NewStatus) != "maintenance" || f.getService(svc.ID).Status != mapping.Maintenance {
			t.Fatalf("new status = %s, want maintenance", str(ans.NewStatus))
		}
	})
}

// TestIgnoreMappingValue: a word mapped to "ignore" is ignored with reason
// ignored_value, never failed.
func TestIgnoreMappingValue(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		t.Parallel()
		f := newFixture(t, db, fixtureOptions{})
		svc, r := f.fixedReceiver("Acked", map[string]any{"status_mapping": map[string]string{"Acknowledged": "IGNORE"}})
		ans := expect(t, f.post(r.Token, []byte(`{"status":"acknowledged"}`), nil), http.StatusOK, "ignored", "")
		if str(ans.Reason) != "ignored_value" {
			t.Fatalf("reason = %s, want ignored_value", str(ans.Reason))
		}
		if d := f.lastDelivery(r.ID, ans); str(d.Reason) != "ignored_value" || d.Result != "ignored" {
			t.Fatalf("log result/reason = %s/%s, want ignored/ignored_value", d.Result, str(d.Reason))
		}
		if got := f.getService(svc.ID).Status; got != mapping.Operational {
			t.Fatalf("status = %s, want unchanged operational", got)
		}
		a := f.srv.Admin(http.MethodPatch, "/api/v1/receivers/"+r.ID.String(), map[string]any{"status_mapping": map[string]string{"x": "sometimes"}})
		if a.Status != http.StatusUnprocessableEntity || a.ErrorCode(t) != "validation_failed" {
			t.Fatalf("mapping to %q answered %d %s, want 422 validation_failed", "sometimes", a.Status, a.Body)
		}
	})
}

// TestStatusFieldList: status_field may be a list of paths tried in order, and reads
// back in the form it was given.
func TestStatusFieldList(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		t.Parallel()
		f := newFixture(t, db, fixtureOptions{})
		svc, r := f.fixedReceiver("Paths", map[string]any{"status_field": []string{"check.conclusion", " state "}})
		var got struct {
			StatusField any `json:"status_field"`
		}
		f.srv.Admin(http.MethodGet, "/api/v1/receivers/"+r.ID.String(), nil).JSON(t, &got)
		if list, ok := got.StatusField.([]any); !ok || len(list) != 2 || list[0] != "check.conclusion" || list[1] != "state" {
			t.Fatalf("status_field read back = %#v, want [check.conclusion state]", got.StatusField)
		}
		expect(t, f.post(r.Token, []byte(`{"state":"down"}`), nil), http.StatusOK, "processed", "")
		expect(t, f.post(r.Token, []byte(`{"check":{"conclusion":"operational"},"state":"down"}`), nil), http.StatusOK, "processed", "")
		if got := f.getService(svc.ID).Status; got != mapping.Operational {
			t.Fatalf("status = %s, want the first path's operational", got)
		}
		f.patchReceiver(r.ID, map[string]any{"status_field": "state"})
		f.srv.Admin(http.MethodGet, "/api/v1/receivers/"+r.ID.String(), nil).JSON(t, &got)
		if got.StatusField != "state" {
			t.Fatalf("status_field after PATCH = %#v, want \"state\"", got.StatusField)
		}
		for _, bad := range []any{[]string{"a", ""}, 42, []string{"a..b", "c"}} {
			a := f.srv.Admin(http.MethodPatch, "/api/v1/receivers/"+r.ID.String(), map[string]any{"status_field": bad})
			if a.Status != http.StatusUnprocessableEntity || a.ErrorCode(t) != "validation_failed" {
				t.Fatalf("status_field %v answered %d %s, want 422 validation_failed", bad, a.Status, a.Body)
			}
		}
	})
}

// TestCorrelationKey: a PagerDuty resolve carries only its dedup_key; it reaches the
// service its trigger named, and a key nothing named fails service_unknown.
func TestCorrelationKey(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		t.Parallel()
		f := newFixture(t, db, fixtureOptions{})
		svc := f.createService("Data Pipeline")
		r := f.createReceiver(map[string]any{"name": "pagerduty", "preset": "pagerduty"})
		expect(t, f.post(r.Token, []byte(`{"dedup_key":"never-triggered","event_action":"resolve"}`), nil), http.StatusUnprocessableEntity, "failed", "service_unknown")
		expect(t, f.post(r.Token, readTestdata(t, "pagerduty-trigger.json"), nil), http.StatusOK, "processed", "")
		if got := f.getService(svc.ID).Status; got != mapping.Down {
			t.Fatalf("after the trigger status = %s, want down", got)
		}
		ans := expect(t, f.post(r.Token, readTestdata(t, "pagerduty-resolve.json"), nil), http.StatusOK, "processed", "")
		if ans.Service == nil || ans.Service.ID != svc.ID || f.getService(svc.ID).Status != mapping.Operational {
			t.Fatalf("the resolve went to %+v, want Data Pipeline back to operational", ans.Service)
		}
	})
}

// TestDryRunItems: the dry run of a multi-item payload says what each item would do
// and changes nothing.
func TestDryRunItems(t *testing.T) {
	t.Parallel()
	db := dbtest.Open(t, database.SQLite)
	f := newFixture(t, db, fixtureOptions{})
	a, b := f.createService("Dry A"), f.createService("Dry B")
	r := f.createReceiver(map[string]any{"name": "dry", "items_field": "#", "service_name_field": "svc"})
	ans := f.srv.Admin(http.MethodPost, "/api/v1/receivers/"+r.ID.String()+"/test",
		[]byte(`[{"svc":"Dry A","status":"down"},{"svc":"Dry B","status":"operational"},{"svc":"Dry A","status":"degraded"},{"svc":"Nope","status":"down"}]`))
	var got struct {
		Result      string       `json:"result"`
		WouldChange bool         `json:"would_change"`
		HTTPStatus  int          `json:"http_status"`
		Items       []itemAnswer `json:"items"`
	}
	ans.JSON(t, &got)
	want := "[Dry A processed operational->down <null> -][Dry B ignored operational->operational unchanged -][Dry A ignored operational->down superseded -][- failed <null>-><null> <null> service_unknown]"
	if ans.Status != http.StatusOK || got.Result != "processed" || !got.WouldChange || got.HTTPStatus != 200 || itemSummary(got.Items) != want {
		t.Fatalf("dry run = %d %s\nitems %s\nwant  %s", ans.Status, ans.Body, itemSummary(got.Items), want)
	}
	for _, id := range []uuid.UUID{a.ID, b.ID} {
		if st := f.getService(id).Status; st != mapping.Operational {
			t.Fatalf("a dry run changed service %s to %s", id, st)
		}
	}
	if n := len(f.deliveries(r.ID)); n != 0 {
		t.Fatalf("a dry run logged %d deliveries", n)
	}
}
