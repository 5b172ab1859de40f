package receiver_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/dbtest"
	"github.com/statusgate/statusgate/mapping"
)

// TestPresetsAPI: every preset is listed with its settings and a sample payload,
// and a receiver set to the StatusSentry preset alone turns a three-component body
// into three changed services.
func TestPresetsAPI(t *testing.T) {
	t.Parallel()
	db := dbtest.Open(t, database.SQLite)
	f := newFixture(t, db, fixtureOptions{})
	a := f.srv.Admin(http.MethodGet, "/api/v1/presets", nil)
	var got struct {
		Presets []struct {
			Name        string          `json:"name"`
			Description string          `json:"description"`
			Settings    map[string]any  `json:"settings"`
			Sample      json.RawMessage `json:"sample"`
		} `json:"presets"`
	}
	a.JSON(t, &got)
	if a.Status != http.StatusOK || len(got.Presets) != len(mapping.Presets()) || len(got.Presets) < 22 {
		t.Fatalf("GET /api/v1/presets = %d with %d presets, want 200 with all %d (at least 22)", a.Status, len(got.Presets), len(mapping.Presets()))
	}
	var sentry map[string]any
	for _, p := range got.Presets {
		if p.Name == "" || p.Description == "" || p.Settings == nil {
			t.Fatalf("preset %+v lacks a name, description or settings", p)
		}
		if !json.Valid(p.Sample) || bytes.Equal(p.Sample, []byte("null")) {
			t.Fatalf("preset %s has no sample payload: %s", p.Name, p.Sample)
		}
		if _, ok := p.Settings["name"]; ok {
			t.Fatalf("preset %s repeats its name inside settings", p.Name)
		}
		if p.Name == mapping.PresetStatusSentry {
			sentry = p.Settings
		}
	}
	if sentry == nil || sentry["items_field"] != "data.components" {
		t.Fatalf("statussentry settings = %v, want items_field data.components", sentry)
	}

	names := []string{"API Gateway", "Email Delivery", "Dashboard"}
	for _, n := range names {
		f.createService(n)
	}
	r := f.createReceiver(map[string]any{"name": "sentry", "preset": "statussentry"})
	body := []byte(`{"id":"evt_multi","type":"incident.created","created_at":"2023-10-27T14:30:00Z","data":{
		"incident_id":"inc_1","title":"EU-West","status":"investigating","components":[
		{"id":"c1","name":"API Gateway","status":"degraded_performance"},
		{"id":"c2","name":"Email Delivery","status":"major_outage"},
		{"id":"c3","name":"Dashboard","status":"partial_outage"}]}}`)
	ans := f.post(r.Token, body, nil)
	expect(t, ans, http.StatusOK, "processed", "")
	items := itemsOf(t, ans.Body)
	if len(items) != 3 {
		t.Fatalf("items = %s, want 3", itemSummary(items))
	}
	for i, it := range items {
		if it.Result != "processed" || it.Service == nil || it.Service.Name != names[i] {
			t.Fatalf("item %d = %s, want %s processed", i, itemSummary(items[i:i+1]), names[i])
		}
	}
}
