package main

import (
	"net/http"
	"testing"
	"time"

	"github.com/statusgate/statusgate/apitest"
	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/dbtest"
	"github.com/statusgate/statusgate/testclock"
)

// Two gateways on one PostgreSQL, both running their workers: a receiver whose sender
// goes silent flips its service once, with one automatic incident, within a sweep of
// the due time, and the sender's next delivery ends it.
func TestSilenceWithTwoInstances(t *testing.T) {
	start := time.Date(2026, 2, 1, 8, 0, 0, 0, time.UTC)
	clock := testclock.New(start)
	url := dbtest.URL(t, database.Postgres)
	var gateways []*Main
	var key string
	for range 2 {
		cfg := testConfig(t, url)
		cfg.SweepInterval = 10 * time.Millisecond
		stdout := &syncBuffer{}
		m := NewMain(cfg, stdout, testLogWriter{t})
		m.NowFunc = clock.Now
		if err := m.Run(t.Context()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = m.Close() })
		gateways = append(gateways, m)
		if key == "" {
			key = keyPattern.FindString(stdout.String()) // only the first start creates the organization
		}
	}
	api := func(method, path string, body any) apitest.Answer {
		return apitest.Do(t, method, gateways[0].URL()+path, key, body)
	}
	svc := api(http.MethodPost, "/api/v1/services", map[string]any{"name": "Nightly backup"}).Map(t)
	recv := api(http.MethodPost, "/api/v1/receivers", map[string]any{
		"name": "backup heartbeat", "service_id": svc["id"], "expect_every_seconds": 3600,
		"auto_incidents": map[string]any{"enabled": true},
	}).Map(t)
	if recv["id"] == nil {
		t.Fatalf("creating receiver: %v", recv)
	}

	// Both instances sweep every 10 ms of real time; the test clock says when it is.
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	status := func() string {
		return api(http.MethodGet, "/api/v1/services/"+svc["id"].(string), nil).Map(t)["status"].(string)
	}

	// That nothing fires before the due time is receiver.TestSilence's to show; here
	// the clock jumps to it and both instances' sweepers race for the receiver.
	clock.Set(start.Add(time.Hour))
	waitFor("the silence", func() bool { return status() == "down" })
	// Give both sweepers twenty more ticks to fire a second time, if they would.
	time.Sleep(200 * time.Millisecond)

	var history struct {
		Intervals []struct {
			Status string `json:"status"`
			Source string `json:"source"`
		} `json:"intervals"`
	}
	api(http.MethodGet, "/api/v1/services/"+svc["id"].(string)+"/history?from="+start.Add(-time.Hour).Format(time.RFC3339)+"&to="+start.Add(2*time.Hour).Format(time.RFC3339), nil).JSON(t, &history)
	silences := 0
	for _, iv := range history.Intervals {
		if iv.Source == "silence" {
			silences++
		}
	}
	if silences != 1 {
		t.Fatalf("history has %d silence intervals, want 1: %+v", silences, history.Intervals)
	}
	var incidents struct {
		Incidents []struct {
			Automatic bool   `json:"automatic"`
			Status    string `json:"status"`
		} `json:"incidents"`
	}
	api(http.MethodGet, "/api/v1/incidents", nil).JSON(t, &incidents)
	if len(incidents.Incidents) != 1 || !incidents.Incidents[0].Automatic {
		t.Fatalf("incidents = %+v, want one automatic incident", incidents.Incidents)
	}

	clock.Set(start.Add(90 * time.Minute))
	a := apitest.Do(t, http.MethodPost, gateways[1].URL()+"/api/webhooks/incoming/"+recv["token"].(string), "", `{"status":"up"}`)
	if a.Status != http.StatusOK || a.Map(t)["result"] != "processed" {
		t.Fatalf("the sender's return answered %d %s", a.Status, a.Body)
	}
	if got := status(); got != "operational" {
		t.Fatalf("status after the sender came back = %s", got)
	}
}
