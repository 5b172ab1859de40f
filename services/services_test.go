package services_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/statusgate/statusgate/apitest"
	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/dbtest"
	"github.com/statusgate/statusgate/mapping"
	"github.com/statusgate/statusgate/services"
)

func newServer(t *testing.T, db *database.DB) (*apitest.Server, *services.Store) {
	t.Helper()
	store := services.NewStore(db, services.Options{})
	return apitest.New(t, db, store.Register), store
}

func TestServicesAPI(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		srv, _ := newServer(t, db)

		created := srv.Admin(http.MethodPost, "/api/v1/services", map[string]any{"name": "Pushmail Email Delivery", "sla_target": 99.9})
		if created.Status != http.StatusCreated {
			t.Fatalf("create: status %d, want 201: %s", created.Status, created.Body)
		}
		var svc services.Service
		created.JSON(t, &svc)
		if svc.Status != mapping.Operational || svc.Name != "Pushmail Email Delivery" || !svc.Public {
			t.Fatalf("new service = %+v, want operational, public, named", svc)
		}

		t.Run("name is unique case-insensitively", func(t *testing.T) {
			a := srv.Admin(http.MethodPost, "/api/v1/services", map[string]any{"name": "  pushmail email DELIVERY "})
			if a.Status != http.StatusConflict || a.ErrorCode(t) != "conflict" {
				t.Fatalf("duplicate name: %d %s, want 409 conflict", a.Status, a.Body)
			}
		})
		t.Run("validation names the field", func(t *testing.T) {
			a := srv.Admin(http.MethodPost, "/api/v1/services", map[string]any{"name": "x", "sla_target": 101})
			if a.Status != http.StatusUnprocessableEntity || a.ErrorCode(t) != "validation_failed" {
				t.Fatalf("bad sla_target: %d %s, want 422 validation_failed", a.Status, a.Body)
			}
			if f, _ := a.Map(t)["error"].(map[string]any)["field"].(string); f != "sla_target" {
				t.Fatalf("error.field = %q, want sla_target", f)
			}
			a = srv.Admin(http.MethodPost, "/api/v1/services", map[string]any{"name": "x", "colour": "red"})
			if a.Status != http.StatusUnprocessableEntity {
				t.Fatalf("unknown field: %d %s, want 422", a.Status, a.Body)
			}
			a = srv.Admin(http.MethodPost, "/api/v1/services", `{"name":`)
			if a.Status != http.StatusBadRequest || a.ErrorCode(t) != "invalid_json" {
				t.Fatalf("broken JSON: %d %s, want 400 invalid_json", a.Status, a.Body)
			}
		})
		t.Run("patch clears sla_target with null", func(t *testing.T) {
			a := srv.Admin(http.MethodPatch, "/api/v1/services/"+svc.ID.String(), `{"sla_target": null, "description": "mail"}`)
			var got services.Service
			a.JSON(t, &got)
			if a.Status != http.StatusOK || got.SLATarget != nil || got.Description != "mail" || got.Name != svc.Name {
				t.Fatalf("patch: %d %+v, want sla_target cleared, description set, name kept", a.Status, got)
			}
		})
		t.Run("manual status goes through Transition and writes a post", func(t *testing.T) {
			a := srv.Admin(http.MethodPut, "/api/v1/services/"+svc.ID.String()+"/status", map[string]any{"status": " DOWN ", "message": "Mail queue stuck"})
			m := a.Map(t)
			if a.Status != http.StatusOK || m["previous_status"] != "operational" || m["new_status"] != "down" || m["changed"] != true {
				t.Fatalf("set status: %d %v", a.Status, m)
			}
			posts := srv.Admin(http.MethodGet, "/api/v1/posts", nil).Map(t)["posts"].([]any)
			if len(posts) != 1 {
				t.Fatalf("posts = %v, want one", posts)
			}
			p := posts[0].(map[string]any)
			if p["body"] != "Mail queue stuck" || p["to_status"] != "down" || p["from_status"] != "operational" {
				t.Fatalf("post = %v", p)
			}
			a = srv.Admin(http.MethodPut, "/api/v1/services/"+svc.ID.String()+"/status", map[string]any{"status": "purple"})
			if a.Status != http.StatusUnprocessableEntity || a.ErrorCode(t) != "validation_failed" {
				t.Fatalf("bad status: %d %s", a.Status, a.Body)
			}
		})
		t.Run("viewer reads but cannot write", func(t *testing.T) {
			if a := srv.Do(http.MethodGet, "/api/v1/services", srv.ViewerKey, nil); a.Status != http.StatusOK {
				t.Fatalf("viewer list: %d", a.Status)
			}
			a := srv.Do(http.MethodPost, "/api/v1/services", srv.ViewerKey, map[string]any{"name": "y"})
			if a.Status != http.StatusForbidden || a.ErrorCode(t) != "forbidden" {
				t.Fatalf("viewer create: %d %s, want 403 forbidden", a.Status, a.Body)
			}
		})
		t.Run("no key or a wrong key is unauthorized", func(t *testing.T) {
			for _, key := range []string{"", "sgk_nope"} {
				a := srv.Do(http.MethodGet, "/api/v1/services", key, nil)
				if a.Status != http.StatusUnauthorized || a.ErrorCode(t) != "unauthorized" {
					t.Fatalf("key %q: %d %s, want 401 unauthorized", key, a.Status, a.Body)
				}
			}
		})
		t.Run("another organization sees not found", func(t *testing.T) {
			_, otherKey, err := srv.Orgs.CreateOrg(context.Background(), "other", "Other")
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range []string{http.MethodGet, http.MethodPatch, http.MethodDelete} {
				a := srv.Do(m, "/api/v1/services/"+svc.ID.String(), otherKey, map[string]any{})
				if a.Status != http.StatusNotFound || a.ErrorCode(t) != "not_found" {
					t.Fatalf("%s as other org: %d %s, want 404", m, a.Status, a.Body)
				}
			}
			list := srv.Do(http.MethodGet, "/api/v1/services", otherKey, nil).Map(t)["services"].([]any)
			if len(list) != 0 {
				t.Fatalf("other org lists %d services, want 0", len(list))
			}
		})
		t.Run("paging walks every service once", func(t *testing.T) {
			for i := 0; i < 4; i++ {
				srv.Admin(http.MethodPost, "/api/v1/services", map[string]any{"name": fmt.Sprintf("svc-%d", i)})
			}
			seen := map[string]bool{}
			cursor := ""
			for pages := 0; ; pages++ {
				m := srv.Admin(http.MethodGet, "/api/v1/services?limit=2"+cursor, nil).Map(t)
				for _, s := range m["services"].([]any) {
					id := s.(map[string]any)["id"].(string)
					if seen[id] {
						t.Fatalf("service %s on two pages", id)
					}
					seen[id] = true
				}
				if m["next_cursor"] == nil {
					break
				}
				cursor = "&cursor=" + m["next_cursor"].(string)
				if pages > 5 {
					t.Fatal("paging does not end")
				}
			}
			if len(seen) != 5 {
				t.Fatalf("paged through %d services, want 5", len(seen))
			}
			full := srv.Admin(http.MethodGet, "/api/v1/services?limit=5", nil).Map(t)
			if n := len(full["services"].([]any)); n != 5 || full["next_cursor"] != nil {
				t.Fatalf("a page holding exactly the last 5: %d services, next_cursor %v; want 5 and null", n, full["next_cursor"])
			}
		})
		t.Run("delete", func(t *testing.T) {
			if a := srv.Admin(http.MethodDelete, "/api/v1/services/"+svc.ID.String(), nil); a.Status != http.StatusNoContent {
				t.Fatalf("delete: %d %s", a.Status, a.Body)
			}
			if a := srv.Admin(http.MethodGet, "/api/v1/services/"+svc.ID.String(), nil); a.Status != http.StatusNotFound {
				t.Fatalf("get after delete: %d", a.Status)
			}
		})
	})
}

// Concurrent transitions of one service must serialize: every history interval starts
// in the status the previous one was in, and the intervals chain without gaps.
func TestTransitionSerializesConcurrentChanges(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		store := services.NewStore(db, services.Options{})
		orgID := dbtest.Org(t, db)
		svc, err := store.Create(ctx, orgID, services.CreateInput{Name: "api"})
		if err != nil {
			t.Fatal(err)
		}
		const n = 60
		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			changed int
		)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				to := mapping.Down
				if i%2 == 1 {
					to = mapping.Operational
				}
				res, err := store.Transition(ctx, services.TransitionInput{OrgID: orgID, ServiceID: svc.ID, To: to, Source: services.SourceManual})
				if err != nil {
					t.Errorf("transition %d: %v", i, err)
					return
				}
				if res.Changed {
					if res.Previous == res.New {
						t.Errorf("changed from %s to itself", res.Previous)
					}
					mu.Lock()
					changed++
					mu.Unlock()
				}
			}(i)
		}
		wg.Wait()
		var rows []struct {
			Status    string
			StartedAt time.Time
			EndedAt   *time.Time
		}
		if err := db.Conn(ctx).Table("status_history").Where("service_id = ?", svc.ID).Order("started_at, id").Find(&rows).Error; err != nil {
			t.Fatal(err)
		}
		if len(rows) != changed+1 {
			t.Fatalf("history has %d rows, want %d (creation + %d changes)", len(rows), changed+1, changed)
		}
		for i := 1; i < len(rows); i++ {
			if rows[i].Status == rows[i-1].Status {
				t.Fatalf("history row %d repeats status %s", i, rows[i].Status)
			}
			if rows[i-1].EndedAt == nil || !rows[i-1].EndedAt.Equal(rows[i].StartedAt) {
				t.Fatalf("interval %d ends at %v, next starts at %v", i-1, rows[i-1].EndedAt, rows[i].StartedAt)
			}
		}
		if rows[len(rows)-1].EndedAt != nil {
			t.Fatal("the current interval is closed")
		}
		got, _ := store.Get(ctx, orgID, svc.ID)
		if string(got.Status) != rows[len(rows)-1].Status {
			t.Fatalf("service is %s but history ends in %s", got.Status, rows[len(rows)-1].Status)
		}
	})
}

func TestTransitionIgnoresStaleEvents(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		now := time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)
		store := services.NewStore(db, services.Options{NowFunc: func() time.Time { return now }})
		orgID := dbtest.Org(t, db)
		svc, _ := store.Create(ctx, orgID, services.CreateInput{Name: "api"})
		move := func(to mapping.Status, senderTime time.Time) services.TransitionResult {
			t.Helper()
			res, err := store.Transition(ctx, services.TransitionInput{OrgID: orgID, ServiceID: svc.ID, To: to, EventTime: senderTime})
			if err != nil {
				t.Fatal(err)
			}
			return res
		}
		// The sender's clock lags ours by an hour: its events still count, because
		// they are compared with each other, not with our clock.
		lag := now.Add(-time.Hour)
		if res := move(mapping.Down, lag); !res.Changed || res.Stale {
			t.Fatalf("first timed event from a lagging sender: %+v, want changed", res)
		}
		if res := move(mapping.Operational, lag.Add(-time.Second)); !res.Stale || res.Changed {
			t.Fatalf("event a second older than the one behind the status: %+v, want stale", res)
		}
		if res := move(mapping.Down, lag.Add(time.Minute)); res.Stale || res.Changed {
			t.Fatalf("newer event confirming down: %+v, want unchanged", res)
		}
		if res := move(mapping.Operational, lag.Add(30*time.Second)); !res.Stale {
			t.Fatalf("event older than the confirmation: %+v, want stale", res)
		}
		if res := move(mapping.Operational, time.Time{}); !res.Changed {
			t.Fatalf("untimed change: %+v, want changed", res)
		}
		if res := move(mapping.Down, lag); res.Stale || !res.Changed {
			t.Fatalf("timed event after an untimed change: %+v, want changed (the mark was cleared)", res)
		}
	})
}

// A change is dated when the sender says it happened, within what keeps the history
// consistent: not before the current interval began, not in the future.
func TestTransitionDatesChangesByEventTime(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		created := time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC)
		clock := created
		store := services.NewStore(db, services.Options{NowFunc: func() time.Time { return clock }})
		orgID := dbtest.Org(t, db)
		svc, _ := store.Create(ctx, orgID, services.CreateInput{Name: "api"})
		move := func(to mapping.Status, event time.Time) time.Time {
			t.Helper()
			res, err := store.Transition(ctx, services.TransitionInput{OrgID: orgID, ServiceID: svc.ID, To: to, EventTime: event})
			if err != nil || !res.Changed {
				t.Fatalf("transition to %s: %+v, %v", to, res, err)
			}
			return res.Service.StatusChangedAt
		}
		clock = created.Add(24 * time.Hour)
		if got, want := move(mapping.Down, created.Add(6*time.Hour)), created.Add(6*time.Hour); !got.Equal(want) {
			t.Fatalf("late-arriving event dated %v, want the sender's %v", got, want)
		}
		if got, want := move(mapping.Operational, created.Add(30*time.Hour)), clock; !got.Equal(want) {
			t.Fatalf("event from the future dated %v, want now %v", got, want)
		}
		clock = clock.Add(time.Hour)
		if got, want := move(mapping.Degraded, time.Time{}), clock; !got.Equal(want) {
			t.Fatalf("untimed change dated %v, want now %v", got, want)
		}
		if got, want := move(mapping.Down, created.Add(time.Hour)), clock; !got.Equal(want) {
			t.Fatalf("event older than the current interval dated %v, want its start %v", got, want)
		}
		report := services.ComputeSLA(mustHistory(t, store, orgID, svc.ID, created, clock), created, created.Add(24*time.Hour), clock, false, nil)
		if report.DowntimeSeconds != 18*3600 {
			t.Fatalf("downtime over the first day = %vs, want 64800 (down from 06:00 as the sender said)", report.DowntimeSeconds)
		}
	})
}

func mustHistory(t *testing.T, store *services.Store, orgID, id uuid.UUID, from, to time.Time) []services.Interval {
	t.Helper()
	h, err := store.History(context.Background(), orgID, id, from, to)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// position and group are settings like any other: set at create, changed by PATCH,
// read back by GET, validated with the field named.
func TestServiceOrderAndGroup(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		srv, _ := newServer(t, db)
		a := srv.Admin(http.MethodPost, "/api/v1/services", map[string]any{"name": "API", "position": 3, "group": "  Core  "})
		if a.Status != http.StatusCreated {
			t.Fatalf("create: %d %s", a.Status, a.Body)
		}
		var svc services.Service
		a.JSON(t, &svc)
		if svc.Position != 3 || svc.Group != "Core" {
			t.Fatalf("created position/group = %d %q, want 3 \"Core\" (trimmed)", svc.Position, svc.Group)
		}
		a = srv.Admin(http.MethodPost, "/api/v1/services", map[string]any{"name": "Web"})
		var plain services.Service
		a.JSON(t, &plain)
		if a.Status != http.StatusCreated || plain.Position != 0 || plain.Group != "" {
			t.Fatalf("default position/group: %d %s", a.Status, a.Body)
		}

		a = srv.Admin(http.MethodPatch, "/api/v1/services/"+svc.ID.String(), map[string]any{"position": 7})
		var got services.Service
		a.JSON(t, &got)
		if a.Status != http.StatusOK || got.Position != 7 || got.Group != "Core" {
			t.Fatalf("patch position: %d %s, want 7 and the group kept", a.Status, a.Body)
		}
		a = srv.Admin(http.MethodPatch, "/api/v1/services/"+svc.ID.String(), map[string]any{"group": ""})
		a.JSON(t, &got)
		if a.Status != http.StatusOK || got.Group != "" || got.Position != 7 {
			t.Fatalf("patch group \"\": %d %s, want the group cleared", a.Status, a.Body)
		}
		srv.Admin(http.MethodPatch, "/api/v1/services/"+svc.ID.String(), map[string]any{"group": "Edge"})
		srv.Admin(http.MethodGet, "/api/v1/services/"+svc.ID.String(), nil).JSON(t, &got)
		if got.Group != "Edge" || got.Position != 7 {
			t.Fatalf("get after patch = %+v, want group Edge, position 7", got)
		}

		for _, tc := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"name": "x", "position": -1}, "position"},
			{map[string]any{"name": "x", "position": 1_000_001}, "position"},
			{map[string]any{"name": "x", "group": strings.Repeat("g", 101)}, "group"},
			{map[string]any{"name": "x", "group": "a\nb"}, "group"},
		} {
			a := srv.Admin(http.MethodPost, "/api/v1/services", tc.body)
			if a.Status != http.StatusUnprocessableEntity || a.ErrorCode(t) != "validation_failed" {
				t.Fatalf("create %v: %d %s, want 422", tc.body, a.Status, a.Body)
			}
			if f, _ := a.Map(t)["error"].(map[string]any)["field"].(string); f != tc.field {
				t.Fatalf("create %v: error.field = %q, want %s", tc.body, f, tc.field)
			}
		}
		a = srv.Admin(http.MethodPatch, "/api/v1/services/"+svc.ID.String(), map[string]any{"position": -5})
		if a.Status != http.StatusUnprocessableEntity {
			t.Fatalf("patch position -5: %d %s, want 422", a.Status, a.Body)
		}
	})
}
