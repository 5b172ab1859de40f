package mapping

import (
	"errors"
	"net/url"
	"testing"
)

// TestExtractSources covers every path form: lists, header:, query:, root:,
// items (nested and the body itself), ignore values and correlation.
func TestExtractSources(t *testing.T) {
	t.Parallel()
	type upd struct {
		raw, service string
		status       Status
		ignore       bool
		reason       string
	}
	tests := []struct {
		name  string
		body  string
		h     map[string]string
		q     url.Values
		rules Rules
		want  []upd
	}{
		{name: "first status path that holds a value wins", body: `{"state":"down","status":"ok"}`,
			rules: Rules{StatusFields: []string{"missing", "state", "status"}}, want: []upd{{raw: "down", status: Down}}},
		{name: "status field comes before the list", body: `{"state":"down","status":"ok"}`,
			rules: Rules{StatusField: "status", StatusFields: []string{"state"}}, want: []upd{{raw: "ok", status: Operational}}},
		{name: "a null or object path is skipped", body: `{"a":null,"b":{"c":1},"d":"degraded"}`,
			rules: Rules{StatusFields: []string{"a", "b", "d"}}, want: []upd{{raw: "degraded", status: Degraded}}},
		{name: "status from a header", body: `{}`, h: map[string]string{"X-Event": "maintenance"},
			rules: Rules{StatusField: "header:x-event"}, want: []upd{{raw: "maintenance", status: Maintenance}}},
		{name: "status from the query", body: `{"x":1}`, q: url.Values{"state": {"down"}},
			rules: Rules{StatusField: "query:state"}, want: []upd{{raw: "down", status: Down}}},
		{name: "every receiver reads the query's status last", body: `{"x":1}`, q: url.Values{"status": {"maintenance"}, "message": {"Deploying"}},
			rules: Rules{Preset: PresetGitHub, FixedService: true}, want: []upd{{raw: "maintenance", status: Maintenance}}},
		{name: "the body's status wins over the query's", body: `{"status":"down"}`, q: url.Values{"status": {"ok"}},
			want: []upd{{raw: "down", status: Down}}},
		{name: "empty body with a query status is an update", body: ``, q: url.Values{"status": {"maintenance"}, "service": {"API"}},
			rules: Rules{ServiceNameField: "service_name"}, want: []upd{{raw: "maintenance", status: Maintenance, service: "API"}}},
		{name: "number maps by its text", body: `{"status":0}`, rules: Rules{StatusMapping: map[string]Status{"0": Down}},
			want: []upd{{raw: "0", status: Down}}},
		{name: "bool maps by its text", body: `{"up":true}`, rules: Rules{StatusField: "up", StatusMapping: map[string]Status{"TRUE": Operational}},
			want: []upd{{raw: "true", status: Operational}}},
		{name: "a mapping to ignore ignores with ignored_value", body: `{"status":"acknowledged"}`,
			rules: Rules{StatusMapping: map[string]Status{"Acknowledged": Ignored}}, want: []upd{{raw: "acknowledged", ignore: true, reason: ReasonIgnoredValue}}},
		{name: "a receiver's ignore overrides a preset word", body: `{"event":"incident.opened","monitor":{"name":"x"}}`,
			rules: Rules{Preset: PresetUptimera, StatusMapping: map[string]Status{"incident.opened": Ignored}}, want: []upd{{raw: "incident.opened", service: "x", ignore: true, reason: ReasonIgnoredValue}}},
		{name: "an ignored update needs no service name", body: `{"status":"ack"}`,
			rules: Rules{ServiceNameField: "svc", StatusMapping: map[string]Status{"ack": Ignored}}, want: []upd{{raw: "ack", ignore: true, reason: ReasonIgnoredValue}}},
		{name: "items are read relative to each element", body: `{"title":"t","list":[{"s":"down","n":"a"},{"s":"ok","n":"b"}]}`,
			rules: Rules{ItemsField: "list", StatusField: "s", ServiceNameField: "n"}, want: []upd{{raw: "down", status: Down, service: "a"}, {raw: "ok", status: Operational, service: "b"}}},
		{name: "root: reaches the whole body from an item", body: `{"svc":"API","list":[{"s":"down"}]}`,
			rules: Rules{ItemsField: "list", StatusField: "s", ServiceNameField: "root:svc"}, want: []upd{{raw: "down", status: Down, service: "API"}}},
		{name: "a root array is items with @this", body: `[{"status":"down","name":"a"},{"status":"minor","name":"b"}]`,
			rules: Rules{ItemsField: "@this", ServiceNameField: "name"}, want: []upd{{raw: "down", status: Down, service: "a"}, {raw: "minor", status: Degraded, service: "b"}}},
		{name: "a root array is items with #", body: `[{"status":"ok"}]`,
			rules: Rules{ItemsField: "#"}, want: []upd{{raw: "ok", status: Operational}}},
		{name: "an items path without an array reads the body as one update", body: `{"status":"down"}`,
			rules: Rules{ItemsField: "list"}, want: []upd{{raw: "down", status: Down}}},
		{name: "a form-encoded body is read as an object of its fields", body: `alertType=1&monitorFriendlyName=Shop&alertDetails=Timeout`,
			h: map[string]string{"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}, rules: Rules{Preset: PresetUptimeRobot},
			want: []upd{{raw: "1", status: Down, service: "Shop"}}},
		{name: "a JSON body is JSON whatever its content type", body: `{"status":"down"}`,
			h: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, want: []upd{{raw: "down", status: Down}}},
		{name: "an item may use a header", body: `[{"name":"a"}]`, h: map[string]string{"X-State": "down"},
			rules: Rules{ItemsField: "@this", StatusField: "header:X-State", ServiceNameField: "name"}, want: []upd{{raw: "down", status: Down, service: "a"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if err := tt.rules.Validate(); err != nil {
				t.Fatalf("Validate() = %v", err)
			}
			h := header()
			for k, v := range tt.h {
				h.Set(k, v)
			}
			x, err := Extract(Input{Body: []byte(tt.body), Header: h, Query: tt.q}, tt.rules)
			if err != nil {
				t.Fatalf("Extract(%s) error = %v; want nil", tt.body, err)
			}
			got := x.Updates()
			if len(got) != len(tt.want) {
				t.Fatalf("Extract(%s) gave %d updates %+v; want %d", tt.body, len(got), got, len(tt.want))
			}
			for i, w := range tt.want {
				g := got[i]
				if g.Err != nil || g.RawStatus != w.raw || g.Status != w.status || g.ServiceName != w.service || g.Ignore != w.ignore {
					t.Fatalf("update %d = %+v; want %+v", i, g, w)
				}
				if w.reason != "" && g.IgnoreReason != w.reason {
					t.Fatalf("update %d IgnoreReason = %q; want %q", i, g.IgnoreReason, w.reason)
				}
			}
		})
	}
}

func TestExtractSourceErrors(t *testing.T) {
	t.Parallel()
	t.Run("empty body without a query status is invalid JSON", func(t *testing.T) {
		t.Parallel()
		_, err := Extract(Input{Body: nil, Query: url.Values{"message": {"hi"}}}, Rules{})
		if !errors.Is(err, ErrInvalidJSON) {
			t.Fatalf("Extract error = %v; want ErrInvalidJSON", err)
		}
	})
	t.Run("a form body without that content type is invalid JSON", func(t *testing.T) {
		t.Parallel()
		_, err := Extract(Input{Body: []byte("status=down"), Header: header("Content-Type", "text/plain")}, Rules{})
		if !errors.Is(err, ErrInvalidJSON) {
			t.Fatalf("Extract error = %v; want ErrInvalidJSON", err)
		}
	})
	t.Run("empty body with a blank query status is invalid JSON", func(t *testing.T) {
		t.Parallel()
		_, err := Extract(Input{Body: []byte(" "), Query: url.Values{"status": {" "}}}, Rules{})
		if !errors.Is(err, ErrInvalidJSON) {
			t.Fatalf("Extract error = %v; want ErrInvalidJSON", err)
		}
	})
	t.Run("a query service is still required by a receiver that names services", func(t *testing.T) {
		t.Parallel()
		_, err := Extract(Input{Query: url.Values{"status": {"down"}}}, Rules{ServiceNameField: "service_name"})
		if !errors.Is(err, ErrServiceNameMissing) {
			t.Fatalf("Extract error = %v; want ErrServiceNameMissing", err)
		}
	})
	t.Run("no status path holding a value names the first", func(t *testing.T) {
		t.Parallel()
		_, err := Extract(Input{Body: []byte(`{"x":1}`)}, Rules{StatusFields: []string{"a.b", "c"}})
		if !errors.Is(err, ErrStatusMissing) || err.Error() != `status missing: no value at "a.b"` {
			t.Fatalf("Extract error = %v; want status missing naming \"a.b\"", err)
		}
	})
	t.Run("one failing item does not fail the others", func(t *testing.T) {
		t.Parallel()
		body := []byte(`{"list":[{"s":"purple","n":"a"},{"n":"b"},{"s":"down"},{"s":"down","n":"d"}]}`)
		x, err := Extract(Input{Body: body}, Rules{ItemsField: "list", StatusField: "s", ServiceNameField: "n"})
		if err != nil {
			t.Fatalf("Extract error = %v; want nil", err)
		}
		var ue *UnmappedError
		if len(x.Items) != 4 || !errors.As(x.Items[0].Err, &ue) || ue.Raw != "purple" || !errors.Is(x.Items[1].Err, ErrStatusMissing) ||
			!errors.Is(x.Items[2].Err, ErrServiceNameMissing) || x.Items[3].Err != nil || x.Items[3].Status != Down {
			t.Fatalf("Items = %+v; want unmapped, missing status, missing service, down", x.Items)
		}
		if x.Status != Down || x.ServiceName != "d" {
			t.Fatalf("delivery fields = %q %q; want those of the item that mapped", x.Status, x.ServiceName)
		}
	})
	t.Run("every item failing fails the delivery with the first error and keeps the items", func(t *testing.T) {
		t.Parallel()
		body := []byte(`[{"status":"purple"},{"status":null}]`)
		x, err := Extract(Input{Body: body}, Rules{ItemsField: "@this"})
		var ue *UnmappedError
		if !errors.As(err, &ue) || len(x.Items) != 2 || x.Status != "" {
			t.Fatalf("Extract = %+v, %v; want the first item's *UnmappedError and both items", x, err)
		}
	})
}

func TestExtractCorrelation(t *testing.T) {
	t.Parallel()
	rules := Rules{ServiceNameField: "svc", CorrelationField: "key"}
	tests := []struct {
		name, body, wantService, wantKey string
		wantLookup                       bool
		wantErr                          error
	}{
		{name: "named service and key are both kept", body: `{"status":"down","svc":"API","key":"k1"}`, wantService: "API", wantKey: "k1"},
		{name: "a key without a service asks for a lookup", body: `{"status":"ok","key":"k1"}`, wantKey: "k1", wantLookup: true},
		{name: "neither is a missing service", body: `{"status":"ok"}`, wantErr: ErrServiceNameMissing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			x, err := Extract(Input{Body: []byte(tt.body)}, rules)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Extract error = %v; want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil || x.ServiceName != tt.wantService || x.CorrelationKey != tt.wantKey || x.ServiceFromCorrelation != tt.wantLookup {
				t.Fatalf("Extract = %+v, %v; want service %q key %q lookup %v", x, err, tt.wantService, tt.wantKey, tt.wantLookup)
			}
		})
	}
	t.Run("a fixed-service receiver never looks a service up", func(t *testing.T) {
		t.Parallel()
		x, err := Extract(Input{Body: mustRead(t, "pagerduty-resolve.json")}, Rules{Preset: PresetPagerDuty, FixedService: true})
		if err != nil || x.ServiceFromCorrelation || x.CorrelationKey != "disk-prod-datapipe03" || x.Status != Operational {
			t.Fatalf("Extract = %+v, %v; want operational with the key and no lookup", x, err)
		}
	})
}

func TestParseMappingValue(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   string
		want Status
		ok   bool
	}{
		{" Ignore ", Ignored, true}, {"DOWN", Down, true}, {"maintenance", Maintenance, true}, {"ok", "ok", false}, {"", "", false},
	} {
		got, ok := ParseMappingValue(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Fatalf("ParseMappingValue(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	if Ignored.Valid() {
		t.Fatalf("Ignored.Valid() = true; want false (it is never a service's status)")
	}
	if _, ok := ParseStatus("ignore"); ok {
		t.Fatalf("ParseStatus(\"ignore\") accepted; want only the four statuses")
	}
}
