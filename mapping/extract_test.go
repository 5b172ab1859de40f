package mapping

import (
	"bytes"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

func mustTime(t testing.TB, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("parse time %q: %v", s, err)
	}
	return tm.UTC()
}

func TestExtractFields(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		body  string
		rules Rules
		want  Extraction
	}{
		{
			name: "top-level status and message are read",
			body: `{"status":"degraded","message":"  slow  "}`,
			want: Extraction{RawStatus: "degraded", Status: Degraded, Message: "slow"},
		},
		{
			name:  "nested paths are read",
			body:  `{"data":{"attributes":{"current_status":"major","description":"Database connectivity issues"}}}`,
			rules: Rules{StatusField: "data.attributes.current_status", MessageField: "data.attributes.description"},
			want:  Extraction{RawStatus: "major", Status: Down, Message: "Database connectivity issues"},
		},
		{
			name:  "custom word overrides the default vocabulary",
			body:  `{"status":"down"}`,
			rules: Rules{StatusMapping: map[string]Status{"down": Degraded}},
			want:  Extraction{RawStatus: "down", Status: Degraded},
		},
		{
			name:  "custom key is matched case-insensitively and trimmed",
			body:  `{"status":"GREEN"}`,
			rules: Rules{StatusMapping: map[string]Status{" Green ": Operational}},
			want:  Extraction{RawStatus: "GREEN", Status: Operational},
		},
		{
			name:  "custom words extend the vocabulary and keep the defaults",
			body:  `{"status":"ok"}`,
			rules: Rules{StatusMapping: map[string]Status{"amber": Degraded}},
			want:  Extraction{RawStatus: "ok", Status: Operational},
		},
		{
			name:  "dynamic service name is read",
			body:  `{"service_name":" API Gateway ","status":"down"}`,
			rules: Rules{ServiceNameField: "service_name"},
			want:  Extraction{RawStatus: "down", Status: Down, ServiceName: "API Gateway"},
		},
		{
			name:  "numeric service name uses its JSON text",
			body:  `{"svc":42,"status":"down"}`,
			rules: Rules{ServiceNameField: "svc"},
			want:  Extraction{RawStatus: "down", Status: Down, ServiceName: "42"},
		},
		{
			name:  "number status maps through a custom word",
			body:  `{"status":1}`,
			rules: Rules{StatusMapping: map[string]Status{"1": Down}},
			want:  Extraction{RawStatus: "1", Status: Down},
		},
		{
			name:  "bool status maps through a custom word",
			body:  `{"status":true}`,
			rules: Rules{StatusMapping: map[string]Status{"true": Operational}},
			want:  Extraction{RawStatus: "true", Status: Operational},
		},
		{
			name:  "false status maps through a custom word",
			body:  `{"up":false}`,
			rules: Rules{StatusField: "up", StatusMapping: map[string]Status{"false": Down}},
			want:  Extraction{RawStatus: "false", Status: Down},
		},
		{
			name: "object message is ignored",
			body: `{"status":"ok","message":{"text":"x"}}`,
			want: Extraction{RawStatus: "ok", Status: Operational},
		},
		{
			name:  "top-level array is read by index path",
			body:  `[{"status":"down"}]`,
			rules: Rules{StatusField: "0.status"},
			want:  Extraction{RawStatus: "down", Status: Down},
		},
		{
			name:  "hash path pairs service with its own element even when one lacks a status",
			body:  `{"c":[{"name":"a"},{"name":"b","status":"down"},{"name":"c","status":"ok"}]}`,
			rules: Rules{StatusField: "c.#.status", ServiceNameField: "c.#.name", MessageField: "c.#.note"},
			want:  Extraction{RawStatus: "down", Status: Down, ServiceName: "b"},
		},
		{
			name:  "top-level hash path is read",
			body:  `[{"s":"ok","n":"a"},{"s":"partial","n":"b"}]`,
			rules: Rules{StatusField: "#.s", ServiceNameField: "#.n"},
			want:  Extraction{RawStatus: "partial", Status: Degraded, ServiceName: "b"},
		},
		{
			name:  "nested hash paths are flattened",
			body:  `{"g":[{"n":"a","c":[{"s":"ok"}]},{"n":"b","c":[{"s":"ok"},{"s":"outage"}]}]}`,
			rules: Rules{StatusField: "g.#.c.#.s", ServiceNameField: "g.#.n"},
			want:  Extraction{RawStatus: "outage", Status: Down, ServiceName: "b"},
		},
		{
			name:  "event id from a field",
			body:  `{"status":"ok","id":"evt_1"}`,
			rules: Rules{EventIDField: "id"},
			want:  Extraction{RawStatus: "ok", Status: Operational, EventID: "evt_1"},
		},
		{
			name:  "numeric event id uses its JSON text",
			body:  `{"status":"ok","id":12345678901234567890}`,
			rules: Rules{EventIDField: "id"},
			want:  Extraction{RawStatus: "ok", Status: Operational, EventID: "12345678901234567890"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if err := tt.rules.Validate(); err != nil {
				t.Fatalf("rules.Validate() = %v; want nil", err)
			}
			got, err := Extract(Input{Body: []byte(tt.body)}, tt.rules)
			if err != nil {
				t.Fatalf("Extract(%s) error = %v; want nil", tt.body, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Extract(%s) =\n %+v\nwant\n %+v", tt.body, got, tt.want)
			}
		})
	}
}

func TestExtractErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		body         string
		rules        Rules
		wantIs       error
		wantUnmapped string
		wantInMsg    string
	}{
		{name: "empty body is invalid JSON", body: "", wantIs: ErrInvalidJSON, wantInMsg: "empty"},
		{name: "whitespace body is invalid JSON", body: " \n\t", wantIs: ErrInvalidJSON},
		{name: "unterminated object is invalid JSON", body: `{"status":"down"`, wantIs: ErrInvalidJSON},
		{name: "lone brace is invalid JSON", body: `{`, wantIs: ErrInvalidJSON},
		{name: "plain text is invalid JSON", body: `status=down`, wantIs: ErrInvalidJSON},
		{name: "single quotes are invalid JSON", body: `{'status':'down'}`, wantIs: ErrInvalidJSON},
		{name: "trailing garbage is invalid JSON", body: `{"status":"down"} x`, wantIs: ErrInvalidJSON},
		{name: "two documents are invalid JSON", body: `{"status":"down"}{"status":"up"}`, wantIs: ErrInvalidJSON},
		{name: "unterminated array is invalid JSON", body: `[1,2`, wantIs: ErrInvalidJSON},
		{name: "invalid UTF-8 is invalid JSON", body: "{\"status\":\"\xff\"}", wantIs: ErrInvalidJSON},
		{name: "trailing comma is invalid JSON", body: `{"status":"down",}`, wantIs: ErrInvalidJSON},
		{name: "top-level string is refused as not an object", body: `"down"`, wantIs: ErrInvalidJSON, wantInMsg: "top level"},
		{name: "top-level number is refused as not an object", body: `42`, wantIs: ErrInvalidJSON},
		{name: "top-level null is refused as not an object", body: `null`, wantIs: ErrInvalidJSON},
		{name: "top-level bool is refused as not an object", body: `true`, wantIs: ErrInvalidJSON},
		{name: "absent status is missing", body: `{"state":"down"}`, wantIs: ErrStatusMissing, wantInMsg: `"status"`},
		{name: "null status is missing", body: `{"status":null}`, wantIs: ErrStatusMissing},
		{name: "empty status is missing", body: `{"status":""}`, wantIs: ErrStatusMissing},
		{name: "whitespace status is missing", body: `{"status":"  \t "}`, wantIs: ErrStatusMissing},
		{name: "object status is unmapped and says so", body: `{"status":{"value":"down"}}`, wantUnmapped: `{"value":"down"}`, wantInMsg: `the value at "status" is an object, not a single status`},
		{name: "array status is unmapped and says so", body: `{"status":["down"]}`, wantUnmapped: `["down"]`, wantInMsg: `the value at "status" is an array, not a single status`},
		{name: "empty array status is unmapped", body: `{"status":[]}`, wantUnmapped: `[]`},
		{name: "array of several words is unmapped, not the worst of them", body: `{"status":["ok","down"],"names":["a","b"]}`, rules: Rules{ServiceNameField: "names"}, wantUnmapped: `["ok","down"]`},
		{name: "hash path over a non-array is missing", body: `{"c":{"status":"down"}}`, rules: Rules{StatusField: "c.#.status"}, wantIs: ErrStatusMissing},
		{name: "hash path with no statuses is missing", body: `{"c":[{"name":"a"}]}`, rules: Rules{StatusField: "c.#.status"}, wantIs: ErrStatusMissing},
		{name: "nested path absent is missing with the path", body: `{"data":{}}`, rules: Rules{StatusField: "data.attributes.current_status"}, wantIs: ErrStatusMissing, wantInMsg: `"data.attributes.current_status"`},
		{name: "status on a top-level array is missing", body: `[{"status":"down"}]`, wantIs: ErrStatusMissing},
		{name: "unknown word is unmapped", body: `{"status":"purple"}`, wantUnmapped: "purple", wantInMsg: `status "purple" maps to no status`},
		{name: "number is unmapped by default", body: `{"status":2.50}`, wantUnmapped: "2.50"},
		{name: "bool is unmapped by default", body: `{"status":false}`, wantUnmapped: "false"},
		{name: "one unmapped array element fails the whole delivery", body: `{"c":[{"s":"down"},{"s":"purple"}]}`, rules: Rules{StatusField: "c.#.s"}, wantUnmapped: "purple"},
		{name: "a preset word does not leak into receivers without the preset", body: `{"status":"major_outage"}`, wantUnmapped: "major_outage"},
		{name: "absent service name is missing", body: `{"status":"down"}`, rules: Rules{ServiceNameField: "service_name"}, wantIs: ErrServiceNameMissing, wantInMsg: `"service_name"`},
		{name: "empty service name is missing", body: `{"status":"down","service_name":" "}`, rules: Rules{ServiceNameField: "service_name"}, wantIs: ErrServiceNameMissing},
		{name: "null service name is missing", body: `{"status":"down","service_name":null}`, rules: Rules{ServiceNameField: "service_name"}, wantIs: ErrServiceNameMissing},
		{name: "object service name is missing", body: `{"status":"down","service_name":{}}`, rules: Rules{ServiceNameField: "service_name"}, wantIs: ErrServiceNameMissing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Extract(Input{Body: []byte(tt.body)}, tt.rules)
			if err == nil {
				t.Fatalf("Extract(%q) = %+v, nil; want an error", tt.body, got)
			}
			if !reflect.DeepEqual(got, Extraction{}) {
				t.Fatalf("Extract(%q) returned %+v with error %v; want a zero Extraction", tt.body, got, err)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Fatalf("Extract(%q) error = %v; want errors.Is %v", tt.body, err, tt.wantIs)
			}
			if tt.wantUnmapped != "" {
				var ue *UnmappedError
				if !errors.As(err, &ue) || ue.Raw != tt.wantUnmapped {
					t.Fatalf("Extract(%q) error = %#v; want *UnmappedError{Raw: %q}", tt.body, err, tt.wantUnmapped)
				}
			}
			if !strings.Contains(err.Error(), tt.wantInMsg) {
				t.Fatalf("Extract(%q) error = %q; want it to contain %q", tt.body, err, tt.wantInMsg)
			}
		})
	}
}

func TestExtractConfigErrors(t *testing.T) {
	t.Parallel()
	t.Run("unknown preset is a validation error", func(t *testing.T) {
		t.Parallel()
		_, err := Extract(Input{Body: []byte(`{"status":"ok"}`)}, Rules{Preset: "nope"})
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Field != "preset" {
			t.Fatalf("Extract with unknown preset error = %v; want *ValidationError on preset", err)
		}
	})
	t.Run("invalid mapping target fails instead of passing an invalid status", func(t *testing.T) {
		t.Parallel()
		_, err := Extract(Input{Body: []byte(`{"status":"amber"}`)}, Rules{StatusMapping: map[string]Status{"Amber": "purple"}})
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Field != "status_mapping.Amber" {
			t.Fatalf("Extract with invalid mapping error = %v; want *ValidationError on status_mapping.Amber", err)
		}
	})
}

func TestUnmappedErrorTruncatesLongValues(t *testing.T) {
	t.Parallel()
	raw := strings.Repeat("é", 200)
	msg := (&UnmappedError{Raw: raw}).Error()
	if len(msg) > 2*maxQuoted+40 {
		t.Fatalf("UnmappedError message is %d bytes; want it bounded near %d", len(msg), maxQuoted)
	}
	if !strings.Contains(msg, "…") {
		t.Fatalf("UnmappedError message %q; want an ellipsis marking the cut", msg)
	}
}

func TestExtractEventTime(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		ts   string
		want string // RFC 3339, "" for the zero time
	}{
		{"RFC 3339 UTC is read", `"2024-01-15T10:30:15Z"`, "2024-01-15T10:30:15Z"},
		{"RFC 3339 offset is converted to UTC", `"2013-05-29T15:08:51-06:00"`, "2013-05-29T21:08:51Z"},
		{"fractional seconds are kept", `"2024-01-15T14:32:05.123Z"`, "2024-01-15T14:32:05.123Z"},
		{"unix seconds are read", `1614265330`, "2021-02-25T15:02:10Z"},
		{"unix milliseconds are read", `1614265330123`, "2021-02-25T15:02:10.123Z"},
		{"fractional unix seconds are read", `1614265330.5`, "2021-02-25T15:02:10.5Z"},
		{"unix seconds as digits are read", `"1614265330"`, "2021-02-25T15:02:10Z"},
		{"seven fraction digits are read", `"2019-03-22T13:58:24.3713213Z"`, "2019-03-22T13:58:24.3713213Z"},
		{"more than nine fraction digits are cut to nine", `"2024-01-15T14:32:05.1234567891234Z"`, "2024-01-15T14:32:05.123456789Z"},
		{"+0000 offset is read", `"2024-08-20T14:42:58.315+0000"`, "2024-08-20T14:42:58.315Z"},
		{"+0530 offset is read", `"2024-08-20T20:12:58+0530"`, "2024-08-20T14:42:58Z"},
		{"hour-only offset is read", `"2024-08-20T16:42:58+02"`, "2024-08-20T14:42:58Z"},
		{"zone-less time is UTC", `"2016-01-01T01:01:01"`, "2016-01-01T01:01:01Z"},
		{"space separator and zone-less fraction is UTC", `"2024-07-01 12:34:56.789"`, "2024-07-01T12:34:56.789Z"},
		{"space separator with an offset is read", `"2024-07-01 14:34:56 +02:00"`, "2024-07-01T12:34:56Z"},
		{"lower-case t and z are read", `"2024-07-01t12:34:56z"`, "2024-07-01T12:34:56Z"},
		{"unix milliseconds as digits are read", `"1730812345000"`, "2024-11-05T13:12:25Z"},
		{"fractional unix seconds as text are read", `"1614265330.5"`, "2021-02-25T15:02:10.5Z"},
		{"impossible date is ignored", `"2024-02-30T10:00:00Z"`, ""},
		{"words are ignored", `"yesterday"`, ""},
		{"date without time is ignored", `"2024-01-15"`, ""},
		{"zero is ignored", `0`, ""},
		{"negative is ignored", `-5`, ""},
		{"absurdly large is ignored", `1e20`, ""},
		{"object is ignored", `{"t":1}`, ""},
		{"null is ignored", `null`, ""},
		{"signed digit string is ignored", `"-1614265330"`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body := `{"status":"ok","ts":` + tt.ts + `}`
			got, err := Extract(Input{Body: []byte(body)}, Rules{TimestampField: "ts"})
			if err != nil {
				t.Fatalf("Extract(%s) error = %v; want nil", body, err)
			}
			var want time.Time
			if tt.want != "" {
				want = mustTime(t, tt.want)
			}
			if !got.EventTime.Equal(want) || (!want.IsZero() && got.EventTime.Location() != time.UTC) {
				t.Fatalf("EventTime from %s = %v; want %v (UTC)", tt.ts, got.EventTime, want)
			}
		})
	}
	t.Run("absent field leaves the zero time", func(t *testing.T) {
		t.Parallel()
		got, err := Extract(Input{Body: []byte(`{"status":"ok"}`)}, Rules{TimestampField: "ts"})
		if err != nil || !got.EventTime.IsZero() {
			t.Fatalf("Extract without ts = %v, %v; want zero time, nil", got.EventTime, err)
		}
	})
}

func TestExtractEventID(t *testing.T) {
	t.Parallel()
	body := []byte(`{"status":"ok","id":"evt_body"}`)
	tests := []struct {
		name  string
		h     http.Header
		rules Rules
		want  string
	}{
		{"header wins over field", header("X-Delivery", "hdr-1"), Rules{EventIDField: "id", EventIDHeader: "x-delivery"}, "hdr-1"},
		{"field is used when the header is absent", header(), Rules{EventIDField: "id", EventIDHeader: "X-Delivery"}, "evt_body"},
		{"blank header falls back to the field", header("X-Delivery", "  "), Rules{EventIDField: "id", EventIDHeader: "X-Delivery"}, "evt_body"},
		{"nothing configured gives none", header("X-Delivery", "hdr-1"), Rules{}, ""},
		{"absent field gives none", header(), Rules{EventIDField: "nope"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Extract(Input{Body: body, Header: tt.h}, tt.rules)
			if err != nil || got.EventID != tt.want {
				t.Fatalf("EventID = %q, %v; want %q, nil", got.EventID, err, tt.want)
			}
		})
	}
	t.Run("composite preset id with a missing part gives none", func(t *testing.T) {
		t.Parallel()
		got, err := Extract(Input{Body: []byte(`{"event":"incident.created","monitor":{"name":"x"}}`)}, Rules{Preset: PresetPingara})
		if err != nil || got.EventID != "" {
			t.Fatalf("EventID = %q, %v; want \"\", nil", got.EventID, err)
		}
	})
	t.Run("receiver field replaces the preset's composite", func(t *testing.T) {
		t.Parallel()
		got, err := Extract(Input{Body: mustRead(t, "pingara-incident-created.json")}, Rules{Preset: PresetPingara, EventIDField: "incident.id"})
		if err != nil || got.EventID != "inc_789ghi012" {
			t.Fatalf("EventID = %q, %v; want %q, nil", got.EventID, err, "inc_789ghi012")
		}
	})
}

// replace returns a fixture with one string swapped, for payload variants the
// senders publish no sample of.
func replace(t testing.TB, name, old, new string) []byte {
	t.Helper()
	b := mustRead(t, name)
	if !bytes.Contains(b, []byte(old)) {
		t.Fatalf("testdata/%s does not contain %q", name, old)
	}
	return bytes.Replace(b, []byte(old), []byte(new), 1)
}

func TestExtractPresetFixtures(t *testing.T) {
	t.Parallel()
	const delivery = "72d3162e-cc78-11e3-81ab-4c9367dc0958"
	ghDeploy := header("X-GitHub-Event", "deployment_status", "X-GitHub-Delivery", delivery)
	tests := []struct {
		name    string
		body    []byte
		h       http.Header
		rules   Rules
		want    Extraction
		wantErr error
	}{
		{
			name:  "alert24 simple is degraded",
			body:  mustRead(t, "alert24-simple.json"),
			rules: Rules{Preset: PresetAlert24},
			want:  Extraction{RawStatus: "degraded", Status: Degraded, Message: "Email delivery delays in US-East region"},
		},
		{
			name: "alert24 without a preset behaves the same",
			body: mustRead(t, "alert24-simple.json"),
			want: Extraction{RawStatus: "degraded", Status: Degraded, Message: "Email delivery delays in US-East region"},
		},
		{
			name:  "alert24 nested is down",
			body:  mustRead(t, "alert24-nested.json"),
			rules: Rules{Preset: PresetAlert24, StatusField: "data.attributes.current_status", MessageField: "data.attributes.description"},
			want:  Extraction{RawStatus: "major", Status: Down, Message: "Database connectivity issues"},
		},
		{
			name:  "alert24 dynamic names its service",
			body:  mustRead(t, "alert24-dynamic.json"),
			rules: Rules{Preset: PresetAlert24, ServiceNameField: "service_name"},
			want:  Extraction{RawStatus: "down", Status: Down, Message: "API Gateway is unreachable", ServiceName: "API Gateway"},
		},
		{
			name:  "statuspageone incident is down",
			body:  mustRead(t, "statuspageone-incident.json"),
			rules: Rules{Preset: PresetStatusPageOne},
			want: Extraction{RawStatus: "DOWN", Status: Down, Message: "Connection timeout after 30 seconds", ServiceName: "API Server",
				EventID: "mon_abc123xyz789:2024-01-15T10:30:15Z", EventTime: mustTime(t, "2024-01-15T10:30:15Z")},
		},
		{
			name:  "statuspageone recovery is operational",
			body:  mustRead(t, "statuspageone-recovery.json"),
			rules: Rules{Preset: PresetStatusPageOne},
			want: Extraction{RawStatus: "UP", Status: Operational, ServiceName: "API Server",
				EventID: "mon_abc123xyz789:2024-01-15T10:42:30Z", EventTime: mustTime(t, "2024-01-15T10:42:30Z")},
		},
		{
			name:  "statuspageone on a fixed-service receiver names no service",
			body:  mustRead(t, "statuspageone-incident.json"),
			rules: Rules{Preset: PresetStatusPageOne, FixedService: true},
			want: Extraction{RawStatus: "DOWN", Status: Down, Message: "Connection timeout after 30 seconds",
				EventID: "mon_abc123xyz789:2024-01-15T10:30:15Z", EventTime: mustTime(t, "2024-01-15T10:30:15Z")},
		},
		{
			name:  "pingara incident created is down",
			body:  mustRead(t, "pingara-incident-created.json"),
			rules: Rules{Preset: PresetPingara},
			want: Extraction{RawStatus: "incident.created", Status: Down, Message: "Connection timeout after 30000ms", ServiceName: "API Production",
				EventID: "m_abc123def456:incident.created:2024-01-15T14:32:05.000Z", EventTime: mustTime(t, "2024-01-15T14:32:05Z")},
		},
		{
			name:  "pingara incident resolved is operational",
			body:  mustRead(t, "pingara-incident-resolved.json"),
			rules: Rules{Preset: PresetPingara},
			want: Extraction{RawStatus: "incident.resolved", Status: Operational, ServiceName: "API Production",
				EventID: "m_abc123def456:incident.resolved:2024-01-15T14:44:00.000Z", EventTime: mustTime(t, "2024-01-15T14:44:00Z")},
		},
		{
			name:  "pingara monitor degraded is degraded",
			body:  replace(t, "pingara-incident-created.json", "incident.created", "monitor.degraded"),
			rules: Rules{Preset: PresetPingara},
			want: Extraction{RawStatus: "monitor.degraded", Status: Degraded, Message: "Connection timeout after 30000ms", ServiceName: "API Production",
				EventID: "m_abc123def456:monitor.degraded:2024-01-15T14:32:05.000Z", EventTime: mustTime(t, "2024-01-15T14:32:05Z")},
		},
		{
			name:  "pingara monitor recovered is operational",
			body:  replace(t, "pingara-incident-resolved.json", "incident.resolved", "monitor.recovered"),
			rules: Rules{Preset: PresetPingara},
			want: Extraction{RawStatus: "monitor.recovered", Status: Operational, ServiceName: "API Production",
				EventID: "m_abc123def456:monitor.recovered:2024-01-15T14:44:00.000Z", EventTime: mustTime(t, "2024-01-15T14:44:00Z")},
		},
		{
			name:  "pingara read from monitor.status by the receiver's own path",
			body:  mustRead(t, "pingara-incident-created.json"),
			rules: Rules{Preset: PresetPingara, StatusField: "monitor.status"},
			want: Extraction{RawStatus: "down", Status: Down, Message: "Connection timeout after 30000ms", ServiceName: "API Production",
				EventID: "m_abc123def456:incident.created:2024-01-15T14:32:05.000Z", EventTime: mustTime(t, "2024-01-15T14:32:05Z")},
		},
		{
			name:  "statussentry one component is degraded",
			body:  mustRead(t, "statussentry-incident-created.json"),
			rules: Rules{Preset: PresetStatusSentry},
			want: Extraction{RawStatus: "degraded_performance", Status: Degraded, Message: "High Latency in EU-West", ServiceName: "API Gateway",
				EventID: "evt_8a7b9c0d1e2f3g4h", EventTime: mustTime(t, "2023-10-27T14:30:00Z")},
		},
		{
			name:  "statussentry several components take the first worst",
			body:  mustRead(t, "statussentry-multi-component.json"),
			rules: Rules{Preset: PresetStatusSentry},
			want: Extraction{RawStatus: "major_outage", Status: Down, Message: "Elevated errors in EU-West", ServiceName: "Webhooks",
				EventID: "evt_1b2c3d4e5f6a7b8c", EventTime: mustTime(t, "2023-10-27T15:05:00Z")},
		},
		{
			name:  "github deployment success is operational",
			body:  mustRead(t, "github-deployment-status.json"),
			h:     ghDeploy,
			rules: Rules{Preset: PresetGitHub},
			want: Extraction{RawStatus: "success", Status: Operational, ServiceName: "production",
				EventID: delivery, EventTime: mustTime(t, "2019-05-15T15:20:55Z")},
		},
		{
			name:  "github deployment failure is down",
			body:  replace(t, "github-deployment-status.json", `"state": "success"`, `"state": "failure"`),
			h:     ghDeploy,
			rules: Rules{Preset: PresetGitHub},
			want: Extraction{RawStatus: "failure", Status: Down, ServiceName: "production",
				EventID: delivery, EventTime: mustTime(t, "2019-05-15T15:20:55Z")},
		},
		{
			name:  "github deployment error is down",
			body:  replace(t, "github-deployment-status.json", `"state": "success"`, `"state": "error"`),
			h:     ghDeploy,
			rules: Rules{Preset: PresetGitHub},
			want: Extraction{RawStatus: "error", Status: Down, ServiceName: "production",
				EventID: delivery, EventTime: mustTime(t, "2019-05-15T15:20:55Z")},
		},
		{
			name:  "github deployment in progress is maintenance",
			body:  replace(t, "github-deployment-status.json", `"state": "success"`, `"state": "in_progress"`),
			h:     ghDeploy,
			rules: Rules{Preset: PresetGitHub},
			want: Extraction{RawStatus: "in_progress", Status: Maintenance, ServiceName: "production",
				EventID: delivery, EventTime: mustTime(t, "2019-05-15T15:20:55Z")},
		},
		{
			name:  "github deployment queued is maintenance",
			body:  replace(t, "github-deployment-status.json", `"state": "success"`, `"state": "queued"`),
			h:     ghDeploy,
			rules: Rules{Preset: PresetGitHub},
			want: Extraction{RawStatus: "queued", Status: Maintenance, ServiceName: "production",
				EventID: delivery, EventTime: mustTime(t, "2019-05-15T15:20:55Z")},
		},
		{
			name:  "github deployment pending is maintenance",
			body:  replace(t, "github-deployment-status.json", `"state": "success"`, `"state": "pending"`),
			h:     ghDeploy,
			rules: Rules{Preset: PresetGitHub},
			want: Extraction{RawStatus: "pending", Status: Maintenance, ServiceName: "production",
				EventID: delivery, EventTime: mustTime(t, "2019-05-15T15:20:55Z")},
		},
		{
			name:  "github deployment inactive is ignored",
			body:  replace(t, "github-deployment-status.json", `"state": "success"`, `"state": "inactive"`),
			h:     ghDeploy,
			rules: Rules{Preset: PresetGitHub},
			want: Extraction{RawStatus: "inactive", ServiceName: "production", EventID: delivery, EventTime: mustTime(t, "2019-05-15T15:20:55Z"),
				Ignore: true, IgnoreReason: "GitHub marked an older deployment inactive; the environment did not change"},
		},
		{
			name:  "github inactive mapped by the receiver is not ignored",
			body:  replace(t, "github-deployment-status.json", `"state": "success"`, `"state": "inactive"`),
			h:     ghDeploy,
			rules: Rules{Preset: PresetGitHub, StatusMapping: map[string]Status{"Inactive": Down}},
			want: Extraction{RawStatus: "inactive", Status: Down, ServiceName: "production",
				EventID: delivery, EventTime: mustTime(t, "2019-05-15T15:20:55Z")},
		},
		{
			name:  "github ping is ignored",
			body:  mustRead(t, "github-ping.json"),
			h:     header("X-GitHub-Event", "ping", "X-GitHub-Delivery", delivery),
			rules: Rules{Preset: PresetGitHub},
			want:  Extraction{EventID: delivery, Ignore: true, IgnoreReason: "GitHub ping event"},
		},
		{
			name:    "github ping without the event header is missing its status",
			body:    mustRead(t, "github-ping.json"),
			rules:   Rules{Preset: PresetGitHub},
			wantErr: ErrStatusMissing,
		},
		{
			name:  "uptimera incident opened is down",
			body:  mustRead(t, "uptimera-incident-opened.json"),
			rules: Rules{Preset: PresetUptimera},
			want: Extraction{RawStatus: "incident.opened", Status: Down, Message: "HTTP 503 from 3 of 4 regions", ServiceName: "Checkout API",
				EventID: "inc_01JNGX4Q7B2N:incident.opened", EventTime: mustTime(t, "2025-03-04T09:12:44Z")},
		},
		{
			name:  "uptimera incident acknowledged is ignored",
			body:  mustRead(t, "uptimera-incident-acknowledged.json"),
			rules: Rules{Preset: PresetUptimera},
			want: Extraction{RawStatus: "incident.acknowledged", Message: "HTTP 503 from 3 of 4 regions", ServiceName: "Checkout API",
				EventID: "inc_01JNGX4Q7B2N:incident.acknowledged", EventTime: mustTime(t, "2025-03-04T09:15:02Z"),
				Ignore: true, IgnoreReason: "Uptimera incident acknowledged; the monitor's status did not change"},
		},
		{
			name:  "uptimera incident resolved is operational",
			body:  mustRead(t, "uptimera-incident-resolved.json"),
			rules: Rules{Preset: PresetUptimera},
			want: Extraction{RawStatus: "incident.resolved", Status: Operational, Message: "HTTP 503 from 3 of 4 regions", ServiceName: "Checkout API",
				EventID: "inc_01JNGX4Q7B2N:incident.resolved", EventTime: mustTime(t, "2025-03-04T09:31:10Z")},
		},
		{
			name:  "statuspage component major outage is down",
			body:  mustRead(t, "statuspage-component-update.json"),
			rules: Rules{Preset: PresetStatuspage},
			want: Extraction{RawStatus: "major_outage", Status: Down, ServiceName: "Email Delivery",
				EventID: "k7730b5v92bv", EventTime: mustTime(t, "2013-05-29T21:32:28Z")},
		},
		{
			name:  "statuspage component under maintenance is maintenance",
			body:  replace(t, "statuspage-component-update.json", `"new_status": "major_outage"`, `"new_status": "under_maintenance"`),
			rules: Rules{Preset: PresetStatuspage},
			want: Extraction{RawStatus: "under_maintenance", Status: Maintenance, ServiceName: "Email Delivery",
				EventID: "k7730b5v92bv", EventTime: mustTime(t, "2013-05-29T21:32:28Z")},
		},
		{
			name:  "statuspage component partial outage is degraded",
			body:  replace(t, "statuspage-component-update.json", `"new_status": "major_outage"`, `"new_status": "partial_outage"`),
			rules: Rules{Preset: PresetStatuspage},
			want: Extraction{RawStatus: "partial_outage", Status: Degraded, ServiceName: "Email Delivery",
				EventID: "k7730b5v92bv", EventTime: mustTime(t, "2013-05-29T21:32:28Z")},
		},
		{
			name:  "statuspage incident update is ignored",
			body:  mustRead(t, "statuspage-incident-update.json"),
			rules: Rules{Preset: PresetStatuspage},
			want:  Extraction{Ignore: true, IgnoreReason: "Statuspage incident update; only component updates carry a status"},
		},
		{
			name:  "standard webhooks envelope with a status is degraded",
			body:  mustRead(t, "standard-webhooks-status.json"),
			h:     header("Webhook-Id", "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"),
			rules: Rules{Preset: PresetStandardWebhooks},
			want: Extraction{RawStatus: "partial", Status: Degraded, Message: "Search results are delayed by up to 5 minutes",
				EventID: "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", EventTime: mustTime(t, "2025-02-11T08:00:05Z")},
		},
		{
			// The published example envelope carries no status: a receiver
			// must point status_field at its own field.
			name:    "standard webhooks example envelope has no status",
			body:    mustRead(t, "standard-webhooks-example.json"),
			rules:   Rules{Preset: PresetStandardWebhooks},
			wantErr: ErrStatusMissing,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if err := tt.rules.Validate(); err != nil {
				t.Fatalf("rules.Validate() = %v; want nil", err)
			}
			got, err := Extract(Input{Body: tt.body, Header: tt.h}, tt.rules)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Extract error = %v; want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Extract error = %v; want nil", err)
			}
			// The delivery-level fields are this table's subject; each
			// item of an items preset is checked by TestPresetPayloads.
			got.Items = nil
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Extract =\n %+v\nwant\n %+v", got, tt.want)
			}
		})
	}
}

func BenchmarkExtract(b *testing.B) {
	cases := []struct {
		name  string
		in    Input
		rules Rules
	}{
		{
			name:  "alert24-nested",
			in:    Input{Body: mustRead(b, "alert24-nested.json")},
			rules: Rules{StatusField: "data.attributes.current_status", MessageField: "data.attributes.description"},
		},
		{
			name:  "github",
			in:    Input{Body: mustRead(b, "github-deployment-status.json"), Header: header("X-GitHub-Event", "deployment_status", "X-GitHub-Delivery", "d-1")},
			rules: Rules{Preset: PresetGitHub},
		},
		{
			name:  "statussentry-items",
			in:    Input{Body: mustRead(b, "statussentry-multi-component.json")},
			rules: Rules{Preset: PresetStatusSentry},
		},
		{
			name:  "pagerduty-conditional-path",
			in:    Input{Body: mustRead(b, "pagerduty-trigger.json")},
			rules: Rules{Preset: PresetPagerDuty},
		},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(c.in.Body)))
			for b.Loop() {
				if _, err := Extract(c.in, c.rules); err != nil {
					b.Fatalf("Extract error = %v", err)
				}
			}
		})
	}
}
