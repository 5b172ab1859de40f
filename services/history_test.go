package services_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/statusgate/statusgate/apierr"
	"github.com/statusgate/statusgate/apitest"
	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/dbtest"
	"github.com/statusgate/statusgate/mapping"
	"github.com/statusgate/statusgate/services"
	"github.com/statusgate/statusgate/testclock"
)

// historyFixture is a service with two days of history, built through Transition
// under a driven clock. The clock ends at 2026-01-15T12:00:00Z.
//
//	2026-01-14 00:00 created operational
//	           06:00 down          (1h30)
//	           07:30 operational
//	           12:00 degraded      (4h)
//	           16:00 operational
//	           18:00 maintenance   (4h)
//	           22:00 operational
//	2026-01-15 10:00 down          (45 min)
//	           10:45 operational   (current)
type historyFixture struct {
	srv   *apitest.Server
	store *services.Store
	clock *testclock.Clock
	svc   services.Service
}

func newHistoryFixture(t *testing.T, db *database.DB) historyFixture {
	t.Helper()
	clock := testclock.New(time.Date(2026, 1, 14, 0, 0, 0, 0, time.UTC))
	store := services.NewStore(db, services.Options{NowFunc: clock.Now})
	srv := apitest.New(t, db, store.Register)
	ctx := context.Background()
	svc, err := store.Create(ctx, srv.Org.ID, services.CreateInput{Name: "Pushmail Email Delivery", SLATarget: ptr(99.9)})
	if err != nil {
		t.Fatalf("creating service: %v", err)
	}
	steps := []struct {
		at      string
		to      mapping.Status
		message string
	}{
		{"2026-01-14T06:00:00Z", mapping.Down, "Mail queue stuck"},
		{"2026-01-14T07:30:00Z", mapping.Operational, ""},
		{"2026-01-14T12:00:00Z", mapping.Degraded, "Slow delivery"},
		{"2026-01-14T16:00:00Z", mapping.Operational, ""},
		{"2026-01-14T18:00:00Z", mapping.Maintenance, "Database upgrade"},
		{"2026-01-14T22:00:00Z", mapping.Operational, ""},
		{"2026-01-15T10:00:00Z", mapping.Down, ""},
		{"2026-01-15T10:45:00Z", mapping.Operational, ""},
	}
	for _, st := range steps {
		clock.Set(mustTime(t, st.at))
		if _, err := store.Transition(ctx, services.TransitionInput{
			OrgID: srv.Org.ID, ServiceID: svc.ID, To: st.to, Message: st.message, Source: services.SourceManual,
		}); err != nil {
			t.Fatalf("transition to %s at %s: %v", st.to, st.at, err)
		}
	}
	clock.Set(mustTime(t, "2026-01-15T12:00:00Z"))
	return historyFixture{srv: srv, store: store, clock: clock, svc: svc}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("bad test time %q: %v", s, err)
	}
	return v
}

func TestHistoryAPI(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		f := newHistoryFixture(t, db)
		path := "/api/v1/services/" + f.svc.ID.String() + "/history"

		t.Run("without a window it answers the last 30 days", func(t *testing.T) {
			a := f.srv.Admin(http.MethodGet, path, nil)
			if a.Status != http.StatusOK {
				t.Fatalf("status %d, want 200: %s", a.Status, a.Body)
			}
			assertGolden(t, "history-default.json", a.Body)
		})
		t.Run("a window answers the intervals overlapping it, unclipped", func(t *testing.T) {
			a := f.srv.Admin(http.MethodGet, path+"?from=2026-01-14T07:00:00Z&to=2026-01-14T13:00:00Z", nil)
			var got services.HistoryAnswer
			a.JSON(t, &got)
			want := []string{"down 2026-01-14T06:00:00Z", "operational 2026-01-14T07:30:00Z", "degraded 2026-01-14T12:00:00Z"}
			if a.Status != http.StatusOK || !equal(summarize(got.Intervals), want) {
				t.Fatalf("got %d %v, want 200 %v", a.Status, summarize(got.Intervals), want)
			}
			if got.Intervals[0].Message != "Mail queue stuck" || got.Intervals[0].EndedAt == nil ||
				!got.Intervals[0].EndedAt.Equal(mustTime(t, "2026-01-14T07:30:00Z")) {
				t.Fatalf("first interval = %+v, want the down interval ending 07:30 with its message", got.Intervals[0])
			}
			if !got.From.Equal(mustTime(t, "2026-01-14T07:00:00Z")) || !got.To.Equal(mustTime(t, "2026-01-14T13:00:00Z")) ||
				got.Service.ID != f.svc.ID || got.Truncated {
				t.Fatalf("answer = %+v, want the asked window and the service", got)
			}
		})
		t.Run("an interval ending exactly at from is left out", func(t *testing.T) {
			var got services.HistoryAnswer
			f.srv.Admin(http.MethodGet, path+"?from=2026-01-14T07:30:00Z&to=2026-01-14T12:00:00Z", nil).JSON(t, &got)
			want := []string{"operational 2026-01-14T07:30:00Z"}
			if !equal(summarize(got.Intervals), want) {
				t.Fatalf("got %v, want %v", summarize(got.Intervals), want)
			}
		})
		t.Run("the store method answers the same intervals", func(t *testing.T) {
			ivs, err := f.store.History(context.Background(), f.srv.Org.ID, f.svc.ID,
				mustTime(t, "2026-01-15T10:30:00Z"), mustTime(t, "2026-01-16T00:00:00Z"))
			if err != nil {
				t.Fatal(err)
			}
			want := []string{"down 2026-01-15T10:00:00Z", "operational 2026-01-15T10:45:00Z"}
			if !equal(summarize(ivs), want) || ivs[1].EndedAt != nil {
				t.Fatalf("got %v (last ended_at %v), want %v with the last still open", summarize(ivs), ivs[len(ivs)-1].EndedAt, want)
			}
		})
		t.Run("from not before to is a validation error naming from", func(t *testing.T) {
			a := f.srv.Admin(http.MethodGet, path+"?from=2026-01-14T07:00:00Z&to=2026-01-14T07:00:00Z", nil)
			assertInvalid(t, a, "from")
		})
		t.Run("a time that is not RFC 3339 is a validation error naming it", func(t *testing.T) {
			assertInvalid(t, f.srv.Admin(http.MethodGet, path+"?to=yesterday", nil), "to")
		})
		t.Run("another organization sees not found", func(t *testing.T) {
			key := otherOrgKey(t, f.srv)
			a := f.srv.Do(http.MethodGet, path, key, nil)
			if a.Status != http.StatusNotFound || a.ErrorCode(t) != "not_found" {
				t.Fatalf("got %d %s, want 404 not_found", a.Status, a.Body)
			}
			_, err := f.store.History(context.Background(), uuid.Must(uuid.NewV7()), f.svc.ID, time.Time{}, f.clock.Now())
			if apierr.CodeOf(err) != apierr.CodeNotFound {
				t.Fatalf("History for another org: err %v, want not_found", err)
			}
		})
	})
}

func TestSLAAPI(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		f := newHistoryFixture(t, db)
		path := "/api/v1/services/" + f.svc.ID.String() + "/sla"

		sla := func(t *testing.T, query string) services.SLAAnswer {
			t.Helper()
			a := f.srv.Admin(http.MethodGet, path+query, nil)
			if a.Status != http.StatusOK {
				t.Fatalf("GET sla%s: %d, want 200: %s", query, a.Status, a.Body)
			}
			var got services.SLAAnswer
			a.JSON(t, &got)
			if got.Service != f.svc.Ref() {
				t.Fatalf("service = %+v, want %+v", got.Service, f.svc.Ref())
			}
			return got
		}

		t.Run("the last 24 hours", func(t *testing.T) {
			got := sla(t, "?window=24h")
			assertReport(t, got.SLAReport, services.SLAReport{
				From: mustTime(t, "2026-01-14T12:00:00Z"), To: mustTime(t, "2026-01-15T12:00:00Z"),
				UptimePercent: 96.25, DowntimeSeconds: 2700, DegradedSeconds: 14400, MaintenanceSeconds: 14400,
				OperationalSeconds: 54900, MonitoredSeconds: 86400, IncidentCount: 1, MTTRSeconds: ptr(2700.0),
				SLATarget: ptr(99.9), Breached: ptr(true),
			})
		})
		t.Run("7 days count only from the service's creation", func(t *testing.T) {
			got := sla(t, "?window=7d")
			assertReport(t, got.SLAReport, services.SLAReport{
				From: mustTime(t, "2026-01-08T12:00:00Z"), To: mustTime(t, "2026-01-15T12:00:00Z"),
				UptimePercent: 92.96875, DowntimeSeconds: 8100, DegradedSeconds: 14400, MaintenanceSeconds: 14400,
				OperationalSeconds: 92700, MonitoredSeconds: 129600, IncidentCount: 2, MTTRSeconds: ptr(4050.0),
				SLATarget: ptr(99.9), Breached: ptr(true),
			})
		})
		t.Run("the default window is 30 days", func(t *testing.T) {
			got := sla(t, "")
			if want := mustTime(t, "2025-12-16T12:00:00Z"); !got.From.Equal(want) || got.MonitoredSeconds != 129600 {
				t.Fatalf("from %s monitored %v, want from %s monitored 129600", got.From, got.MonitoredSeconds, want)
			}
		})
		t.Run("a window starting and ending inside intervals is clipped exactly", func(t *testing.T) {
			got := sla(t, "?from=2026-01-14T07:00:00Z&to=2026-01-14T15:00:00Z")
			assertReport(t, got.SLAReport, services.SLAReport{
				From: mustTime(t, "2026-01-14T07:00:00Z"), To: mustTime(t, "2026-01-14T15:00:00Z"),
				UptimePercent: 93.75, DowntimeSeconds: 1800, DegradedSeconds: 10800,
				OperationalSeconds: 16200, MonitoredSeconds: 28800, SLATarget: ptr(99.9), Breached: ptr(true),
			})
		})
		t.Run("an incident running past the window counts with its full length", func(t *testing.T) {
			got := sla(t, "?from=2026-01-14T00:00:00Z&to=2026-01-14T07:00:00Z")
			if got.IncidentCount != 1 || got.MTTRSeconds == nil || *got.MTTRSeconds != 5400 || got.DowntimeSeconds != 3600 {
				t.Fatalf("incident_count %d mttr %v downtime %v, want 1, 5400, 3600", got.IncidentCount, got.MTTRSeconds, got.DowntimeSeconds)
			}
		})
		t.Run("a to in the future is clipped to now", func(t *testing.T) {
			got := sla(t, "?from=2026-01-15T00:00:00Z&to=2026-01-16T00:00:00Z")
			assertReport(t, got.SLAReport, services.SLAReport{
				From: mustTime(t, "2026-01-15T00:00:00Z"), To: mustTime(t, "2026-01-15T12:00:00Z"),
				UptimePercent: 93.75, DowntimeSeconds: 2700, OperationalSeconds: 40500, MonitoredSeconds: 43200,
				IncidentCount: 1, MTTRSeconds: ptr(2700.0), SLATarget: ptr(99.9), Breached: ptr(true),
			})
		})
		t.Run("degraded counts as down once the service says so", func(t *testing.T) {
			a := f.srv.Admin(http.MethodPatch, "/api/v1/services/"+f.svc.ID.String(), `{"degraded_counts_as_down": true, "sla_target": null}`)
			if a.Status != http.StatusOK {
				t.Fatalf("patch: %d %s", a.Status, a.Body)
			}
			t.Cleanup(func() {
				f.srv.Admin(http.MethodPatch, "/api/v1/services/"+f.svc.ID.String(), `{"degraded_counts_as_down": false, "sla_target": 99.9}`)
			})
			got := sla(t, "?window=7d")
			assertReport(t, got.SLAReport, services.SLAReport{
				From: mustTime(t, "2026-01-08T12:00:00Z"), To: mustTime(t, "2026-01-15T12:00:00Z"),
				UptimePercent: 80.46875, DowntimeSeconds: 8100, DegradedSeconds: 14400, MaintenanceSeconds: 14400,
				OperationalSeconds: 92700, MonitoredSeconds: 129600, IncidentCount: 3, MTTRSeconds: ptr(7500.0),
			})
		})
		t.Run("bad windows are validation errors naming the field", func(t *testing.T) {
			for _, tc := range []struct{ query, field string }{
				{"?window=1y", "window"},
				{"?window=7d&from=2026-01-14T00:00:00Z&to=2026-01-15T00:00:00Z", "window"},
				{"?from=2026-01-14T00:00:00Z", "to"},
				{"?to=2026-01-14T00:00:00Z", "from"},
				{"?from=14.01.2026&to=2026-01-15T00:00:00Z", "from"},
				{"?from=2026-01-14T00:00:00Z&to=soon", "to"},
				{"?from=2026-01-15T00:00:00Z&to=2026-01-14T00:00:00Z", "from"},
				{"?from=2026-02-01T00:00:00Z&to=2026-03-01T00:00:00Z", "from"}, // entirely in the future
			} {
				assertInvalid(t, f.srv.Admin(http.MethodGet, path+tc.query, nil), tc.field)
			}
		})
		t.Run("another organization sees not found", func(t *testing.T) {
			a := f.srv.Do(http.MethodGet, path, otherOrgKey(t, f.srv), nil)
			if a.Status != http.StatusNotFound || a.ErrorCode(t) != "not_found" {
				t.Fatalf("got %d %s, want 404 not_found", a.Status, a.Body)
			}
		})
	})
}

func TestDailyUptime(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		f := newHistoryFixture(t, db)
		ctx := context.Background()

		t.Run("days before creation have no data and today runs until now", func(t *testing.T) {
			days, err := f.store.DailyUptime(ctx, f.srv.Org.ID, f.svc.ID, 3)
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.Marshal(days)
			if err != nil {
				t.Fatal(err)
			}
			want := `[` +
				`{"date":"2026-01-13","worst":null,"uptime_percent":null,"downtime_seconds":0,"degraded_seconds":0,"maintenance_seconds":0,"monitored_seconds":0,"incident_count":0},` +
				`{"date":"2026-01-14","worst":"down","uptime_percent":92.5,"downtime_seconds":5400,"degraded_seconds":14400,"maintenance_seconds":14400,"monitored_seconds":86400,"incident_count":1},` +
				`{"date":"2026-01-15","worst":"down","uptime_percent":93.75,"downtime_seconds":2700,"degraded_seconds":0,"maintenance_seconds":0,"monitored_seconds":43200,"incident_count":1}` +
				`]`
			if string(got) != want {
				t.Fatalf("days:\n got %s\nwant %s", got, want)
			}
			var back []services.Day
			if err := json.Unmarshal(got, &back); err != nil || len(back) != 3 || !back[1].Date.Equal(mustTime(t, "2026-01-14T00:00:00Z")) || back[0].Worst != "" {
				t.Fatalf("round trip: %v %+v", err, back)
			}
		})
		t.Run("worst is the most severe status of the day", func(t *testing.T) {
			// A day that held only operational and maintenance is worst maintenance.
			f.clock.Set(mustTime(t, "2026-01-16T09:00:00Z"))
			t.Cleanup(func() { f.clock.Set(mustTime(t, "2026-01-15T12:00:00Z")) })
			if _, err := f.store.Transition(ctx, services.TransitionInput{
				OrgID: f.srv.Org.ID, ServiceID: f.svc.ID, To: mapping.Maintenance, Source: services.SourceManual,
			}); err != nil {
				t.Fatal(err)
			}
			f.clock.Set(mustTime(t, "2026-01-17T06:00:00Z"))
			days, err := f.store.DailyUptime(ctx, f.srv.Org.ID, f.svc.ID, 2)
			if err != nil {
				t.Fatal(err)
			}
			if len(days) != 2 || days[0].Worst != mapping.Maintenance || days[0].UptimePercent == nil || *days[0].UptimePercent != 100 ||
				days[0].MaintenanceSeconds != 54000 || days[1].Worst != mapping.Maintenance || days[1].MonitoredSeconds != 21600 {
				t.Fatalf("days = %+v, want 2026-01-16 and 2026-01-17 worst maintenance, 100%%, 54000 s and 21600 s monitored", days)
			}
		})
		t.Run("days out of range is a validation error", func(t *testing.T) {
			for _, n := range []int{0, services.MaxDays + 1} {
				_, err := f.store.DailyUptime(ctx, f.srv.Org.ID, f.svc.ID, n)
				if e, ok := apierr.As(err); !ok || e.Field != "days" {
					t.Fatalf("days=%d: err %v, want validation_failed on days", n, err)
				}
			}
		})
		t.Run("another organization sees not found", func(t *testing.T) {
			_, err := f.store.DailyUptime(ctx, uuid.Must(uuid.NewV7()), f.svc.ID, 3)
			if apierr.CodeOf(err) != apierr.CodeNotFound {
				t.Fatalf("err %v, want not_found", err)
			}
		})
	})
}

func summarize(ivs []services.Interval) []string {
	out := make([]string, len(ivs))
	for i, iv := range ivs {
		out[i] = string(iv.Status) + " " + iv.StartedAt.Format(time.RFC3339)
	}
	return out
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func assertInvalid(t *testing.T, a apitest.Answer, field string) {
	t.Helper()
	if a.Status != http.StatusUnprocessableEntity || a.ErrorCode(t) != "validation_failed" {
		t.Fatalf("got %d %s, want 422 validation_failed", a.Status, a.Body)
	}
	if got, _ := a.Map(t)["error"].(map[string]any)["field"].(string); got != field {
		t.Fatalf("error.field = %q, want %q (%s)", got, field, a.Body)
	}
}

func otherOrgKey(t *testing.T, srv *apitest.Server) string {
	t.Helper()
	_, key, err := srv.Orgs.CreateOrg(context.Background(), "other-"+uuid.NewString()[:8], "Other")
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// assertGolden compares a JSON answer with testdata/<name> after replacing the ids
// that change on every run; UPDATE_GOLDEN=1 rewrites the file.
func assertGolden(t *testing.T, name string, body []byte) {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("answer is not JSON: %v\n%s", err, body)
	}
	if svc, ok := v["service"].(map[string]any); ok {
		svc["id"] = "SERVICE_ID"
	}
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", name)
	if os.Getenv("UPDATE_GOLDEN") == "1" {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (UPDATE_GOLDEN=1 writes it): %v", err)
	}
	if string(got) != string(want) {
		t.Fatalf("answer differs from %s:\n got %s\nwant %s", path, got, want)
	}
}

func TestHistoryIsCappedAt1000Intervals(t *testing.T) {
	// Seconds per store: -short leaves it out on a developer's machine, never in CI.
	if testing.Short() && os.Getenv("CI") != "true" {
		t.Skip("-short: this test writes 1000 status changes per store, which takes seconds (CI=true always runs it)")
	}
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		t.Parallel() // each store has its own database; the writes take seconds
		clock := testclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
		store := services.NewStore(db, services.Options{NowFunc: clock.Now})
		srv := apitest.New(t, db, store.Register)
		ctx := context.Background()
		svc, err := store.Create(ctx, srv.Org.ID, services.CreateInput{Name: "Flappy"})
		if err != nil {
			t.Fatal(err)
		}
		for i := 1; i <= services.MaxHistoryIntervals; i++ { // 1001 intervals with the first
			clock.Set(clock.Now().Add(time.Minute))
			to := mapping.Down
			if i%2 == 0 {
				to = mapping.Operational
			}
			if _, err := store.Transition(ctx, services.TransitionInput{OrgID: srv.Org.ID, ServiceID: svc.ID, To: to, Source: services.SourceManual}); err != nil {
				t.Fatal(err)
			}
		}
		// Later than the last change: the current interval must start before "to".
		clock.Set(clock.Now().Add(time.Minute))
		var got services.HistoryAnswer
		a := srv.Admin(http.MethodGet, "/api/v1/services/"+svc.ID.String()+"/history", nil)
		a.JSON(t, &got)
		last := got.Intervals[len(got.Intervals)-1]
		if !got.Truncated || len(got.Intervals) != services.MaxHistoryIntervals || !last.StartedAt.Equal(time.Date(2026, 1, 1, 16, 39, 0, 0, time.UTC)) {
			t.Fatalf("got %d intervals (truncated %v, last from %s), want the oldest 1000, truncated, the last from 16:39",
				len(got.Intervals), got.Truncated, last.StartedAt)
		}
	})
}

// The lifetime figure is the SLA from the service's creation until now: the fixture's
// 36 hours, 4 of them maintenance and 2h15 down.
func TestLifetimeSLA(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		f := newHistoryFixture(t, db)
		svc, err := f.store.Get(context.Background(), f.srv.Org.ID, f.svc.ID)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := f.store.LifetimeSLA(context.Background(), svc)
		if err != nil {
			t.Fatal(err)
		}
		if !rep.From.Equal(svc.CreatedAt) || !rep.To.Equal(mustTime(t, "2026-01-15T12:00:00Z")) {
			t.Fatalf("window = %s..%s, want creation..now", rep.From, rep.To)
		}
		if rep.UptimePercent != 92.96875 || rep.MonitoredSeconds != 129600 || rep.DowntimeSeconds != 8100 || rep.IncidentCount != 2 {
			t.Fatalf("lifetime = %+v, want 92.96875%% over 129600 s with 8100 s down and 2 incidents", rep)
		}
	})
}
