package main

import (
	"fmt"
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/statusgate/statusgate/apitest"
	"github.com/statusgate/statusgate/dbtest"
	"github.com/statusgate/statusgate/testclock"
)

// A day of webhooks whose events carry their own times, sent the next morning: the SLA,
// the incidents and the posts must match what the script says happened, computed here
// independently of the gateway's code.
func TestScriptedDay(t *testing.T) {
	day := time.Date(2026, 1, 14, 0, 0, 0, 0, time.UTC)
	script := []struct {
		at     string
		status string
	}{
		{"06:00", "degraded"}, {"06:20", "down"}, {"07:30", "operational"},
		{"12:00", "maintenance"}, {"13:00", "operational"},
		{"18:00", "down"}, {"18:45", "operational"}, {"23:00", "degraded"},
	}
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			clock := testclock.New(day)
			cfg := testConfig(t, dbtest.URL(t, d))
			stdout := &syncBuffer{}
			m := NewMain(cfg, stdout, testLogWriter{t})
			m.NowFunc = clock.Now
			if err := m.Run(t.Context()); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = m.Close() })
			key := keyPattern.FindString(stdout.String())
			api := func(method, path string, body any) apitest.Answer {
				return apitest.Do(t, method, m.URL()+path, key, body)
			}
			svc := api(http.MethodPost, "/api/v1/services", map[string]any{"name": "Checkout", "sla_target": 99.5}).Map(t)
			recv := api(http.MethodPost, "/api/v1/receivers", map[string]any{
				"name": "monitor", "service_id": svc["id"], "timestamp_field": "at",
				"auto_incidents": map[string]any{"enabled": true},
			}).Map(t)

			clock.Set(day.Add(33 * time.Hour)) // the next day, 09:00: every webhook arrives late
			for _, s := range script {
				at, _ := time.Parse("15:04", s.at)
				when := day.Add(time.Duration(at.Hour())*time.Hour + time.Duration(at.Minute())*time.Minute)
				body := fmt.Sprintf(`{"status":%q,"at":%q}`, s.status, when.Format(time.RFC3339))
				a := apitest.Do(t, http.MethodPost, m.URL()+"/api/webhooks/incoming/"+recv["token"].(string), "", body)
				if a.Status != http.StatusOK || a.Map(t)["result"] != "processed" {
					t.Fatalf("%s %s: %d %s", s.at, s.status, a.Status, a.Body)
				}
			}

			// The independent computation, from the script alone.
			var down, degraded, maint float64
			var episodes, recovered int
			var badSince time.Time
			var recoveries []float64
			prev, prevAt := "operational", day
			end := day.Add(24 * time.Hour)
			for i := 0; i <= len(script); i++ {
				next, nextStatus := end, ""
				if i < len(script) {
					at, _ := time.Parse("15:04", script[i].at)
					next = day.Add(time.Duration(at.Hour())*time.Hour + time.Duration(at.Minute())*time.Minute)
					nextStatus = script[i].status
				}
				span := next.Sub(prevAt).Seconds()
				switch prev {
				case "down":
					down += span
				case "degraded":
					degraded += span
				case "maintenance":
					maint += span
				}
				if i == len(script) {
					break
				}
				bad := func(s string) bool { return s == "down" } // degraded counts as up by default
				if !bad(prev) && bad(nextStatus) {
					episodes++
					badSince = next
				}
				if bad(prev) && !bad(nextStatus) {
					recovered++
					recoveries = append(recoveries, next.Sub(badSince).Seconds())
				}
				prev, prevAt = nextStatus, next
			}
			uptime := 100 * (86400 - maint - down) / (86400 - maint)
			var mttr float64
			for _, r := range recoveries {
				mttr += r / float64(len(recoveries))
			}

			sla := api(http.MethodGet, fmt.Sprintf("/api/v1/services/%s/sla?from=%s&to=%s", svc["id"], day.Format(time.RFC3339), end.Format(time.RFC3339)), nil).Map(t)
			checks := []struct {
				field string
				want  float64
			}{
				{"uptime_percent", uptime}, {"downtime_seconds", down}, {"degraded_seconds", degraded},
				{"maintenance_seconds", maint}, {"incident_count", float64(episodes)}, {"mttr_seconds", mttr},
			}
			for _, c := range checks {
				got, ok := sla[c.field].(float64)
				if !ok || math.Abs(got-c.want) > 1e-6 {
					t.Fatalf("sla %s = %v, want %v (report %v)", c.field, sla[c.field], c.want, sla)
				}
			}
			if sla["breached"] != (uptime < 99.5) {
				t.Fatalf("breached = %v with uptime %v and target 99.5", sla["breached"], uptime)
			}

			// Incidents: degraded at 06:00 opened one, down escalated it, operational
			// resolved it after 90 minutes; the 18:00 outage is a second one; the
			// 23:00 degradation a third, still open.
			incs := api(http.MethodGet, "/api/v1/incidents?state=all", nil).Map(t)["incidents"].([]any)
			if len(incs) != 3 {
				t.Fatalf("%d incidents, want 3: %v", len(incs), incs)
			}
			oldest := incs[2].(map[string]any)
			if oldest["severity"] != "major" || oldest["duration_seconds"] != float64(90*60) || oldest["started_at"] != day.Add(6*time.Hour).Format(time.RFC3339) {
				t.Fatalf("first incident = %v, want major (escalated), 5400 s, from 06:00", oldest)
			}
			newest := incs[0].(map[string]any)
			if newest["resolved_at"] != nil || newest["severity"] != "minor" {
				t.Fatalf("last incident = %v, want open and minor", newest)
			}
			posts := api(http.MethodGet, "/api/v1/posts", nil).Map(t)["posts"].([]any)
			if len(posts) != len(script) {
				t.Fatalf("%d posts, want one per change (%d)", len(posts), len(script))
			}
			summary := apitest.Do(t, http.MethodGet, m.URL()+"/api/v1/public/default/summary.json", "", nil).Map(t)
			if ind := summary["status"].(map[string]any)["indicator"]; ind != "minor" {
				t.Fatalf("summary indicator = %v, want minor (degraded)", ind)
			}
		})
	}
}
