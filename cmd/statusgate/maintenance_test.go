package main

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/statusgate/statusgate/apitest"
	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/dbtest"
	"github.com/statusgate/statusgate/testclock"
)

// Two gateways on one PostgreSQL, both sweeping: a maintenance window starts and ends
// on its own, once, and either instance's page lists it before and while it runs.
func TestMaintenanceWindowOnTwoInstances(t *testing.T) {
	start := time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)
	clock := testclock.New(start)
	cfg := testConfig(t, dbtest.URL(t, database.Postgres))
	cfg.SweepInterval = 20 * time.Millisecond
	cfg.OutboundAllowPrivate = true // the channel's endpoint listens on loopback
	var instances []*Main
	var key string
	for i := range 2 {
		stdout := &syncBuffer{}
		m := NewMain(cfg, stdout, testLogWriter{t})
		m.NowFunc = clock.Now
		if err := m.Run(t.Context()); err != nil {
			t.Fatalf("starting instance %d: %v", i, err)
		}
		t.Cleanup(func() { _ = m.Close() })
		if k := keyPattern.FindString(stdout.String()); k != "" {
			key = k
		}
		instances = append(instances, m)
	}
	a, b := instances[0], instances[1]
	api := func(m *Main, method, path string, body any) apitest.Answer {
		return apitest.Do(t, method, m.URL()+path, key, body)
	}
	svc := api(a, http.MethodPost, "/api/v1/services", map[string]any{"name": "Checkout"}).Map(t)["id"].(string)
	var secret string
	got := make(chan outboundRequest, 32)
	ep := swVerifier(t, &secret, got)
	secret = api(a, http.MethodPost, "/api/v1/channels", map[string]any{"name": "ops", "type": "webhook", "url": ep.URL}).Map(t)["secret"].(string)
	token := api(a, http.MethodPost, "/api/v1/receivers", map[string]any{"name": "monitor", "service_id": svc}).Map(t)["token"].(string)
	created := api(a, http.MethodPost, "/api/v1/maintenances", map[string]any{
		"title": "Database upgrade", "service_ids": []string{svc},
		"starts_at": start.Add(time.Hour), "ends_at": start.Add(2 * time.Hour),
	})
	if created.Status != http.StatusCreated {
		t.Fatalf("creating the window: %d %s", created.Status, created.Body)
	}
	id := created.Map(t)["id"].(string)

	// summaryStatus is the window's status in an instance's summary.json, "" when absent.
	summaryStatus := func(m *Main) string {
		var sum struct {
			ScheduledMaintenances []struct{ ID, Status string } `json:"scheduled_maintenances"`
		}
		apitest.Do(t, http.MethodGet, m.URL()+"/status/default/api/v2/summary.json", "", nil).JSON(t, &sum)
		for _, sm := range sum.ScheduledMaintenances {
			if sm.ID == id {
				return sm.Status
			}
		}
		return ""
	}
	// await waits for the sweepers (real goroutines on their own tickers, which the
	// test clock cannot drive) to bring the window to a status.
	await := func(want string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			got := api(b, http.MethodGet, "/api/v1/maintenances/"+id, nil).Map(t)["status"]
			if got == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the window is %v, still not %s", got, want)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	for _, m := range instances {
		if got := summaryStatus(m); got != "scheduled" {
			t.Fatalf("summary.json lists the window as %q before it starts, want scheduled", got)
		}
	}

	clock.Set(start.Add(time.Hour))
	await("in_progress")
	for _, m := range instances {
		if got := summaryStatus(m); got != "in_progress" {
			t.Fatalf("summary.json lists the window as %q while it runs, want in_progress", got)
		}
		page := string(apitest.Do(t, http.MethodGet, m.URL()+"/status/default", "", nil).Body)
		if !strings.Contains(page, `id="maintenance-`+id+`" data-status="in_progress"`) {
			t.Fatalf("the page does not show the running window:\n%s", page)
		}
	}
	delivery := apitest.Do(t, http.MethodPost, b.URL()+"/api/webhooks/incoming/"+token, "", `{"status":"down"}`).Map(t)
	if delivery["reason"] != "maintenance" {
		t.Fatalf("a down during the window = %v, want held (reason maintenance)", delivery)
	}

	clock.Set(start.Add(2 * time.Hour))
	await("completed")
	if got := api(a, http.MethodGet, "/api/v1/services/"+svc, nil).Map(t)["status"]; got != "down" {
		t.Fatalf("after the window the service is %v, want down (held during it)", got)
	}
	// What notify sent: the two changes, from source maintenance, and their posts;
	// the held delivery sent nothing. Events are told apart by id, as at-least-once
	// delivery may repeat one.
	events := map[string]map[string]any{}
	for len(events) < 4 {
		r := next(t, got)
		events[r.id] = r.body
	}
	var changes []string
	for _, ev := range events {
		data := ev["data"].(map[string]any)
		if ev["type"] == "service.status_changed" {
			service := data["service"].(map[string]any)
			changes = append(changes, fmt.Sprint(data["source"], ":", service["previous_status"], "->", service["status"]))
		}
	}
	slices.Sort(changes)
	if want := []string{"maintenance:maintenance->down", "maintenance:operational->maintenance"}; !slices.Equal(changes, want) {
		t.Fatalf("status changes sent = %q, want %q (events %v)", changes, want, events)
	}
	var posts struct {
		Posts []struct{ Title string } `json:"posts"`
	}
	api(a, http.MethodGet, "/api/v1/posts", nil).JSON(t, &posts)
	var titles []string
	for _, p := range posts.Posts {
		titles = append(titles, p.Title)
	}
	if len(titles) != 2 || !strings.Contains(strings.Join(titles, "|"), "Checkout is under maintenance") || !strings.Contains(strings.Join(titles, "|"), "Checkout is down") {
		t.Fatalf("posts = %q, want exactly one maintenance post and one down post", titles)
	}
}
