package maintenances_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/dbtest"
	"github.com/statusgate/statusgate/maintenances"
)

// A window starts and ends on its own, once; it is listed before and while it runs; a
// sender's "down" while it runs is held, and the service ends the window down.
func TestWindowStartsAndEndsOnItsOwn(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		svc := f.service(t, "Checkout")
		other := f.service(t, "Search")
		token := f.receiverToken(t, svc)

		m := f.create(t, time.Hour, 2*time.Hour, svc)
		id := m.ID.String()
		if m.Status != maintenances.StatusScheduled || m.StartedAt != nil || len(m.Services) != 1 || m.Services[0].Name != "Checkout" {
			t.Fatalf("created = %+v, want scheduled, not started, about Checkout", m)
		}

		// Before: listed as scheduled everywhere, nothing held yet.
		for _, file := range []string{"summary.json", "scheduled-maintenances.json", "scheduled-maintenances/upcoming.json"} {
			if got := f.publicList(t, file)[id]; got != "scheduled" {
				t.Fatalf("%s lists the window as %q, want scheduled", file, got)
			}
		}
		if got := f.publicList(t, "scheduled-maintenances/active.json"); len(got) != 0 {
			t.Fatalf("active.json = %v before the start, want none", got)
		}
		if page := f.page(t); !strings.Contains(page, `id="maintenance-`+id+`"`) || !strings.Contains(page, "Database upgrade") {
			t.Fatalf("the page does not show the scheduled window:\n%s", page)
		}
		f.clock.Advance(59 * time.Minute)
		f.sweep(t, 0, 0)
		f.wantState(t, svc, "operational", "")

		// The start: once, however often it is swept.
		f.clock.Advance(time.Minute)
		f.sweep(t, 1, 0)
		f.sweep(t, 0, 0)
		f.wantState(t, svc, "maintenance", "operational")
		f.wantState(t, other, "operational", "")
		if got := f.get(t, id); got.Status != maintenances.StatusInProgress || got.StartedAt == nil || !got.StartedAt.Equal(start.Add(time.Hour)) {
			t.Fatalf("running window = %+v, want in_progress, started at %s", got, start.Add(time.Hour))
		}
		for _, file := range []string{"summary.json", "scheduled-maintenances.json", "scheduled-maintenances/active.json"} {
			if got := f.publicList(t, file)[id]; got != "in_progress" {
				t.Fatalf("%s lists the window as %q while it runs, want in_progress", file, got)
			}
		}
		if got := f.publicList(t, "scheduled-maintenances/upcoming.json"); len(got) != 0 {
			t.Fatalf("upcoming.json = %v while it runs, want none", got)
		}
		if page := f.page(t); !strings.Contains(page, `id="maintenance-`+id+`" data-status="in_progress"`) {
			t.Fatalf("the page does not show the window in progress:\n%s", page)
		}

		// A sender's down is held and remembered underneath.
		f.clock.Advance(10 * time.Minute)
		if got := f.send(t, token, "down"); got["result"] != "ignored" || got["reason"] != "maintenance" || got["new_status"] != "maintenance" {
			t.Fatalf("delivery during the window = %v, want ignored, reason maintenance, still maintenance", got)
		}
		f.wantState(t, svc, "maintenance", "down")

		// The end: once, to the status the sender last reported.
		f.clock.Set(start.Add(2 * time.Hour))
		f.sweep(t, 0, 1)
		f.sweep(t, 0, 0)
		f.wantState(t, svc, "down", "")
		if got := f.get(t, id); got.Status != maintenances.StatusCompleted || got.EndedAt == nil || !got.EndedAt.Equal(start.Add(2*time.Hour)) {
			t.Fatalf("ended window = %+v, want completed at %s", got, start.Add(2*time.Hour))
		}
		if got := f.publicList(t, "summary.json"); len(got) != 0 {
			t.Fatalf("summary.json lists %v after the end, want none", got)
		}
		if got := f.publicList(t, "scheduled-maintenances.json")[id]; got != "completed" {
			t.Fatalf("scheduled-maintenances.json lists the window as %q after the end, want completed", got)
		}
		titles := f.postTitles(t)
		if count(titles, "Checkout is under maintenance") != 1 || count(titles, "Checkout is down") != 1 {
			t.Fatalf("posts = %q, want one maintenance post and one down post for Checkout", titles)
		}

		// The SLA left the window out: one maintenance interval of exactly one hour.
		a := f.srv.Admin(http.MethodGet, "/api/v1/services/"+svc+"/history?from="+start.Format(time.RFC3339)+"&to="+start.Add(3*time.Hour).Format(time.RFC3339), nil)
		var hist struct {
			Intervals []struct {
				Status    string     `json:"status"`
				StartedAt time.Time  `json:"started_at"`
				EndedAt   *time.Time `json:"ended_at"`
				Source    string     `json:"source"`
			} `json:"intervals"`
		}
		a.JSON(t, &hist)
		var maint []string
		for _, iv := range hist.Intervals {
			if iv.Status == "maintenance" {
				maint = append(maint, iv.Source)
				if iv.EndedAt == nil || iv.EndedAt.Sub(iv.StartedAt) != time.Hour {
					t.Fatalf("maintenance interval %+v, want one hour long", iv)
				}
			}
		}
		if len(maint) != 1 || maint[0] != "maintenance" {
			t.Fatalf("maintenance intervals by source %v, want one from maintenance: %s", maint, a.Body)
		}
	})
}

// Nothing reported during a window: the service ends it in the status it had before.
func TestWindowEndsInTheStatusBefore(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		up, degraded := f.service(t, "API"), f.service(t, "Mail")
		f.send(t, f.receiverToken(t, degraded), "degraded")
		f.create(t, time.Minute, time.Hour, up, degraded)
		f.clock.Advance(time.Minute)
		f.sweep(t, 1, 0)
		f.wantState(t, up, "maintenance", "operational")
		f.wantState(t, degraded, "maintenance", "degraded")
		f.clock.Advance(time.Hour)
		f.sweep(t, 0, 1)
		f.wantState(t, up, "operational", "")
		f.wantState(t, degraded, "degraded", "")
	})
}

// A manual status or a CI push of maintenance during a window is held like a sender's;
// without a window, a CI push of maintenance works as it always has.
func TestManualAndCIPushes(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		svc := f.service(t, "Deployer")
		token := f.receiverToken(t, svc)
		if got := f.send(t, token, "maintenance"); got["result"] != "processed" || got["new_status"] != "maintenance" {
			t.Fatalf("CI push of maintenance without a window = %v, want processed", got)
		}
		f.wantState(t, svc, "maintenance", "")
		f.send(t, token, "operational")

		f.create(t, 0, time.Hour, svc) // starts at once
		f.wantState(t, svc, "maintenance", "operational")
		a := f.srv.Admin(http.MethodPut, "/api/v1/services/"+svc+"/status", map[string]any{"status": "degraded"})
		if got := a.Map(t); a.Status != http.StatusOK || got["changed"] != false || got["held"] != true {
			t.Fatalf("manual status during the window = %d %v, want changed false, held true", a.Status, got)
		}
		f.wantState(t, svc, "maintenance", "degraded")
		// The receiver's dry run says what a delivery would get: held.
		recvs := f.srv.Admin(http.MethodGet, "/api/v1/receivers", nil).Map(t)["receivers"].([]any)
		dry := f.srv.Admin(http.MethodPost, "/api/v1/receivers/"+recvs[0].(map[string]any)["id"].(string)+"/test", `{"status":"down"}`)
		if got := dry.Map(t); dry.Status != http.StatusOK || got["result"] != "ignored" || got["reason"] != "maintenance" {
			t.Fatalf("dry run during the window = %d %v, want ignored, reason maintenance", dry.Status, got)
		}
		f.wantState(t, svc, "maintenance", "degraded")
		if got := f.send(t, token, "maintenance"); got["result"] != "ignored" || got["reason"] != "maintenance" {
			t.Fatalf("CI push of maintenance during the window = %v, want held", got)
		}
		f.wantState(t, svc, "maintenance", "maintenance")
		f.clock.Advance(time.Hour)
		f.sweep(t, 0, 1)
		// The CI said maintenance last: the service stays there until it says otherwise.
		f.wantState(t, svc, "maintenance", "")
		if got := f.send(t, token, "operational"); got["result"] != "processed" {
			t.Fatalf("CI push of operational after the window = %v, want processed", got)
		}
	})
}

func TestCancel(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		svc := f.service(t, "Checkout")

		t.Run("a scheduled window never starts", func(t *testing.T) {
			m := f.create(t, time.Hour, 2*time.Hour, svc)
			got := decode(t, f.patch(t, m.ID.String(), map[string]any{"status": "cancelled"}), http.StatusOK)
			if got.Status != maintenances.StatusCancelled || got.StartedAt != nil {
				t.Fatalf("cancelled = %+v, want cancelled, never started", got)
			}
			if list := f.publicList(t, "scheduled-maintenances.json"); len(list) != 0 {
				t.Fatalf("public list after the cancel = %v, want none", list)
			}
			f.clock.Set(start.Add(90 * time.Minute))
			f.sweep(t, 0, 0)
			f.wantState(t, svc, "operational", "")
			if a := f.patch(t, m.ID.String(), map[string]any{"title": "Again"}); a.Status != http.StatusConflict {
				t.Fatalf("editing a cancelled window: %d %s, want 409", a.Status, a.Body)
			}
		})
		t.Run("a running window ends at once and restores", func(t *testing.T) {
			m := f.create(t, 90*time.Minute, 5*time.Hour, svc) // starts now
			f.wantState(t, svc, "maintenance", "operational")
			f.clock.Advance(time.Minute)
			got := decode(t, f.patch(t, m.ID.String(), map[string]any{"status": "cancelled"}), http.StatusOK)
			if got.Status != maintenances.StatusCancelled || got.EndedAt == nil || !got.EndedAt.Equal(f.clock.Peek()) {
				t.Fatalf("cancelled = %+v, want cancelled, ended now", got)
			}
			f.wantState(t, svc, "operational", "")
		})
		t.Run("DELETE ends a running window and removes it", func(t *testing.T) {
			m := f.create(t, 0, 5*time.Hour, svc)
			f.wantState(t, svc, "maintenance", "operational")
			if a := f.srv.Admin(http.MethodDelete, "/api/v1/maintenances/"+m.ID.String(), nil); a.Status != http.StatusNoContent {
				t.Fatalf("DELETE: %d %s, want 204", a.Status, a.Body)
			}
			f.wantState(t, svc, "operational", "")
			if a := f.srv.Admin(http.MethodGet, "/api/v1/maintenances/"+m.ID.String(), nil); a.Status != http.StatusNotFound {
				t.Fatalf("GET after DELETE: %d, want 404", a.Status)
			}
		})
	})
}

func TestEditRunningWindow(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		svc, other := f.service(t, "Checkout"), f.service(t, "Search")
		m := f.create(t, 0, time.Hour, svc)
		id := m.ID.String()

		// Longer: the old end passes without ending it.
		got := decode(t, f.patch(t, id, map[string]any{"ends_at": start.Add(3 * time.Hour), "title": "Longer upgrade"}), http.StatusOK)
		if got.Status != maintenances.StatusInProgress || !got.EndsAt.Equal(start.Add(3*time.Hour)) || got.Title != "Longer upgrade" {
			t.Fatalf("extended = %+v, want in_progress until %s", got, start.Add(3*time.Hour))
		}
		f.clock.Advance(2 * time.Hour)
		f.sweep(t, 0, 0)
		f.wantState(t, svc, "maintenance", "operational")

		// What a running window cannot change.
		if a := f.patch(t, id, map[string]any{"starts_at": start.Add(time.Minute)}); a.Status != http.StatusConflict {
			t.Fatalf("moving the start of a running window: %d %s, want 409", a.Status, a.Body)
		}
		if a := f.patch(t, id, map[string]any{"service_ids": []string{svc, other}}); a.Status != http.StatusConflict {
			t.Fatalf("changing the services of a running window: %d %s, want 409", a.Status, a.Body)
		}
		if a := f.patch(t, id, map[string]any{"service_ids": []string{svc}}); a.Status != http.StatusOK {
			t.Fatalf("repeating the services of a running window: %d %s, want 200", a.Status, a.Body)
		}

		// Shorter, to a time already past: it ends now.
		got = decode(t, f.patch(t, id, map[string]any{"ends_at": start.Add(90 * time.Minute)}), http.StatusOK)
		if got.Status != maintenances.StatusCompleted || got.EndedAt == nil || !got.EndedAt.Equal(f.clock.Peek()) {
			t.Fatalf("shortened into the past = %+v, want completed now", got)
		}
		f.wantState(t, svc, "operational", "")
	})
}

// Two windows over one service: the first to end leaves it held by the other.
func TestOverlappingWindows(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		svc := f.service(t, "Checkout")
		f.create(t, time.Minute, 2*time.Hour, svc)
		f.create(t, time.Hour, 3*time.Hour, svc)
		f.clock.Advance(time.Minute)
		f.sweep(t, 1, 0)
		f.clock.Set(start.Add(time.Hour))
		f.sweep(t, 1, 0)
		f.wantState(t, svc, "maintenance", "operational")
		f.clock.Set(start.Add(2 * time.Hour))
		f.sweep(t, 0, 1)
		f.wantState(t, svc, "maintenance", "operational")
		f.clock.Set(start.Add(3 * time.Hour))
		f.sweep(t, 0, 1)
		f.wantState(t, svc, "operational", "")
		if n := count(f.postTitles(t), "Checkout is under maintenance"); n != 1 {
			t.Fatalf("%d maintenance posts, want 1 for two overlapping windows", n)
		}
	})
}

// A window whose whole span passed while no instance ran completes without touching
// its services.
func TestMissedWindowCompletesQuietly(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		svc := f.service(t, "Checkout")
		m := f.create(t, time.Minute, time.Hour, svc)
		f.clock.Advance(2 * time.Hour)
		f.sweep(t, 0, 1)
		f.wantState(t, svc, "operational", "")
		if got := f.get(t, m.ID.String()); got.Status != maintenances.StatusCompleted {
			t.Fatalf("missed window = %+v, want completed", got)
		}
		if n := count(f.postTitles(t), "under maintenance"); n != 0 {
			t.Fatalf("%d maintenance posts for a missed window, want 0", n)
		}
	})
}

func TestValidation(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		svc := f.service(t, "Checkout")
		body := func(change map[string]any) map[string]any {
			b := map[string]any{
				"title": "Upgrade", "service_ids": []string{svc},
				"starts_at": start.Add(time.Hour), "ends_at": start.Add(2 * time.Hour),
			}
			for k, v := range change {
				if v == nil {
					delete(b, k)
				} else {
					b[k] = v
				}
			}
			return b
		}
		tests := []struct {
			name  string
			body  map[string]any
			field string
		}{
			{"ends before it starts", body(map[string]any{"ends_at": start.Add(30 * time.Minute)}), "ends_at"},
			{"ends when it starts", body(map[string]any{"ends_at": start.Add(time.Hour)}), "ends_at"},
			{"ends in the past", body(map[string]any{"starts_at": start.Add(-2 * time.Hour), "ends_at": start.Add(-time.Hour)}), "ends_at"},
			{"unknown service", body(map[string]any{"service_ids": []string{svc, "0193a4b2-0000-7000-8000-000000000000"}}), "service_ids"},
			{"no services", body(map[string]any{"service_ids": []string{}}), "service_ids"},
			{"no title", body(map[string]any{"title": "  "}), "title"},
			{"no start", body(map[string]any{"starts_at": nil}), "starts_at"},
			{"no end", body(map[string]any{"ends_at": nil}), "ends_at"},
			{"a status at create", body(map[string]any{"status": "in_progress"}), "status"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				wantInvalid(t, f.srv.Admin(http.MethodPost, "/api/v1/maintenances", tt.body), tt.field)
			})
		}

		m := f.create(t, time.Hour, 2*time.Hour, svc)
		t.Run("a PATCH ending before the start", func(t *testing.T) {
			wantInvalid(t, f.patch(t, m.ID.String(), map[string]any{"ends_at": start.Add(30 * time.Minute)}), "ends_at")
		})
		t.Run("a PATCH to an unknown service", func(t *testing.T) {
			wantInvalid(t, f.patch(t, m.ID.String(), map[string]any{"service_ids": []string{"0193a4b2-0000-7000-8000-000000000000"}}), "service_ids")
		})
		t.Run("a PATCH to a status the times decide", func(t *testing.T) {
			wantInvalid(t, f.patch(t, m.ID.String(), map[string]any{"status": "in_progress"}), "status")
		})
		t.Run("completing a window that has not started", func(t *testing.T) {
			wantInvalid(t, f.patch(t, m.ID.String(), map[string]any{"status": "completed"}), "status")
		})

		t.Run("a viewer reads but cannot write", func(t *testing.T) {
			key := f.srv.ViewerKey
			if a := f.srv.Do(http.MethodGet, "/api/v1/maintenances", key, nil); a.Status != http.StatusOK {
				t.Fatalf("viewer GET list: %d %s", a.Status, a.Body)
			}
			if a := f.srv.Do(http.MethodGet, "/api/v1/maintenances/"+m.ID.String(), key, nil); a.Status != http.StatusOK {
				t.Fatalf("viewer GET: %d %s", a.Status, a.Body)
			}
			for _, req := range []struct{ method, path string }{
				{http.MethodPost, "/api/v1/maintenances"},
				{http.MethodPatch, "/api/v1/maintenances/" + m.ID.String()},
				{http.MethodDelete, "/api/v1/maintenances/" + m.ID.String()},
			} {
				a := f.srv.Do(req.method, req.path, key, body(nil))
				if a.Status != http.StatusForbidden || a.ErrorCode(t) != "forbidden" {
					t.Fatalf("viewer %s %s: %d %s, want 403 forbidden", req.method, req.path, a.Status, a.Body)
				}
			}
			if got := f.get(t, m.ID.String()); got.Status != maintenances.StatusScheduled || got.Title != "Database upgrade" {
				t.Fatalf("after the viewer's attempts = %+v, want it unchanged", got)
			}
		})
		t.Run("list", func(t *testing.T) {
			a := f.srv.Admin(http.MethodGet, "/api/v1/maintenances", nil)
			var list struct {
				Maintenances []maintenances.Maintenance `json:"maintenances"`
				NextCursor   *string                    `json:"next_cursor"`
			}
			a.JSON(t, &list)
			if len(list.Maintenances) != 1 || list.Maintenances[0].ID != m.ID || list.NextCursor != nil {
				t.Fatalf("list = %s, want the one window and no next page", a.Body)
			}
		})
	})
}
