package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/statusgate/statusgate/apitest"
)

// At debug every request gets one access-log line naming its route, never the token in
// its URL; a panic is logged through slog with its stack and answered 500.
func TestAccessLogAndPanicsGoThroughSlog(t *testing.T) {
	cfg := testConfig(t, "sqlite://"+t.TempDir()+"/log.db")
	cfg.LogFormat = "json"
	logs := &syncBuffer{}
	m := NewMain(cfg, &syncBuffer{}, logs)
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })

	token := strings.Repeat("Q", 64)
	if a := apitest.Do(t, http.MethodPost, m.URL()+"/api/webhooks/incoming/"+token, "", json.RawMessage(`{"status":"down"}`)); a.Status != http.StatusNotFound {
		t.Fatalf("unknown token = %d", a.Status)
	}
	m.echo.GET("/boom", func(echo.Context) error { panic("kaboom") })
	if a := apitest.Do(t, http.MethodGet, m.URL()+"/boom", "", nil); a.Status != http.StatusInternalServerError {
		t.Fatalf("panicking route = %d, want 500", a.Status)
	}

	var sawInbound, sawPanic bool
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		if strings.Contains(line, token) {
			t.Fatalf("a log line carries the token: %s", line)
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		switch rec["msg"] {
		case "request":
			if rec["route"] == "/api/webhooks/incoming/:token" && rec["status"] == float64(http.StatusNotFound) {
				sawInbound = true
			}
		case "panic while serving a request":
			sawPanic = rec["panic"] == "kaboom" && strings.Contains(rec["stack"].(string), "goroutine")
		}
	}
	if !sawInbound || !sawPanic {
		t.Fatalf("access line for the inbound 404: %v, panic with stack: %v\n%s", sawInbound, sawPanic, logs.String())
	}
}
