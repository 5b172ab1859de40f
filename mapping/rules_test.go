package mapping

import (
	"errors"
	"strings"
	"testing"
)

func TestRulesValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		rules     Rules
		wantField string // "" means valid
	}{
		{name: "zero rules are valid", rules: Rules{}},
		{name: "every field set is valid", rules: Rules{
			StatusField: "data.attributes.current_status", MessageField: "data.attributes.description",
			ServiceNameField: "service_name", EventIDField: "id", EventIDHeader: "X-GitHub-Delivery",
			TimestampField: "created_at", StatusMapping: map[string]Status{"green": Operational, "amber": Degraded},
			Preset: PresetGitHub,
		}},
		{name: "hash path is valid", rules: Rules{StatusField: "data.components.#.status"}},
		{name: "query path is valid", rules: Rules{StatusField: `data.components.#(name=="a.b(c").status`}},
		{name: "escaped dot is valid", rules: Rules{StatusField: `fav\.movie`}},
		{name: "known modifier is valid", rules: Rules{StatusField: "statuses|@reverse|0"}},
		{name: "multipath is valid", rules: Rules{EventIDField: "[a,b]"}},
		{name: "blank status field is refused", rules: Rules{StatusField: "  "}, wantField: "status_field"},
		{name: "padded status field is refused", rules: Rules{StatusField: " status"}, wantField: "status_field"},
		{name: "double dot is refused", rules: Rules{StatusField: "a..b"}, wantField: "status_field"},
		{name: "leading dot is refused", rules: Rules{StatusField: ".a"}, wantField: "status_field"},
		{name: "trailing dot is refused", rules: Rules{StatusField: "a."}, wantField: "status_field"},
		{name: "unbalanced paren is refused", rules: Rules{StatusField: "a.#(b==1"}, wantField: "status_field"},
		{name: "stray closing bracket is refused", rules: Rules{StatusField: "a]"}, wantField: "status_field"},
		{name: "mismatched brackets are refused", rules: Rules{StatusField: "[a,b)"}, wantField: "status_field"},
		{name: "unterminated quote is refused", rules: Rules{StatusField: `a.#(b=="x)`}, wantField: "status_field"},
		{name: "trailing escape is refused", rules: Rules{StatusField: `a\`}, wantField: "status_field"},
		{name: "unknown modifier is refused", rules: Rules{StatusField: "@nosuchmodifier"}, wantField: "status_field"},
		{name: "control character is refused", rules: Rules{StatusField: "a\nb"}, wantField: "status_field"},
		{name: "invalid UTF-8 is refused", rules: Rules{StatusField: "a\xffb"}, wantField: "status_field"},
		{name: "overlong path is refused", rules: Rules{StatusField: strings.Repeat("a.", 200) + "a"}, wantField: "status_field"},
		{name: "bad message field is named", rules: Rules{MessageField: "a..b"}, wantField: "message_field"},
		{name: "bad service name field is named", rules: Rules{ServiceNameField: "a..b"}, wantField: "service_name_field"},
		{name: "bad event id field is named", rules: Rules{EventIDField: "a..b"}, wantField: "event_id_field"},
		{name: "bad timestamp field is named", rules: Rules{TimestampField: "a..b"}, wantField: "timestamp_field"},
		{name: "bad event id header is named", rules: Rules{EventIDHeader: "X Delivery"}, wantField: "event_id_header"},
		{name: "fixed service with a service name field is refused", rules: Rules{FixedService: true, ServiceNameField: "name"}, wantField: "service_name_field"},
		{name: "mapping to a non-status names the key", rules: Rules{StatusMapping: map[string]Status{"amber": "purple"}}, wantField: "status_mapping.amber"},
		{name: "mapping to a non-canonical spelling names the key", rules: Rules{StatusMapping: map[string]Status{"Amber": "Degraded"}}, wantField: "status_mapping.Amber"},
		{name: "mapping to empty names the key", rules: Rules{StatusMapping: map[string]Status{"amber": ""}}, wantField: "status_mapping.amber"},
		{name: "blank mapping key is refused", rules: Rules{StatusMapping: map[string]Status{" ": Down}}, wantField: "status_mapping"},
		{name: "conflicting keys differing in case are refused", rules: Rules{StatusMapping: map[string]Status{"Green": Operational, "green ": Down}}, wantField: "status_mapping.green "},
		{name: "agreeing keys differing in case are accepted", rules: Rules{StatusMapping: map[string]Status{"Green": Operational, "green": Operational}}},
		{name: "header path is valid", rules: Rules{StatusField: "header:X-GitHub-Event"}},
		{name: "query path is valid as a source", rules: Rules{StatusField: "query:status", ServiceNameField: "query:service"}},
		{name: "root path is valid", rules: Rules{MessageField: "root:data.title", ItemsField: "data.components"}},
		{name: "status path list is valid", rules: Rules{StatusFields: []string{"state", "header:X-Event", "query:status"}}},
		{name: "root items path is valid", rules: Rules{ItemsField: "@this"}},
		{name: "hash items path is valid", rules: Rules{ItemsField: "#"}},
		{name: "correlation path is valid", rules: Rules{CorrelationField: "dedup_key"}},
		{name: "mapping to ignore is valid", rules: Rules{StatusMapping: map[string]Status{"acknowledged": Ignored}}},
		{name: "bad header name is refused", rules: Rules{StatusField: "header:X Event"}, wantField: "status_field"},
		{name: "empty header name is refused", rules: Rules{StatusField: "header:"}, wantField: "status_field"},
		{name: "empty query name is refused", rules: Rules{MessageField: "query:"}, wantField: "message_field"},
		{name: "query name with a space is refused", rules: Rules{MessageField: "query:a b"}, wantField: "message_field"},
		{name: "bad root path is refused", rules: Rules{TimestampField: "root:a..b"}, wantField: "timestamp_field"},
		{name: "empty entry of a status list names its index", rules: Rules{StatusFields: []string{"a", ""}}, wantField: "status_fields.1"},
		{name: "bad entry of a status list names its index", rules: Rules{StatusFields: []string{"a..b"}}, wantField: "status_fields.0"},
		{name: "header items path is refused", rules: Rules{ItemsField: "header:X-Items"}, wantField: "items_field"},
		{name: "bad items path is refused", rules: Rules{ItemsField: "a..b"}, wantField: "items_field"},
		{name: "bad correlation path is refused", rules: Rules{CorrelationField: "a..b"}, wantField: "correlation_field"},
		{name: "unknown preset is refused", rules: Rules{Preset: "nope"}, wantField: "preset"},
		{name: "preset names are case-sensitive", rules: Rules{Preset: "GitHub"}, wantField: "preset"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.rules.Validate()
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("Validate() = %v; want nil", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Field != tt.wantField {
				t.Fatalf("Validate() = %#v; want *ValidationError on %q", err, tt.wantField)
			}
			if ve.Message == "" || !strings.HasPrefix(err.Error(), tt.wantField+": ") {
				t.Fatalf("Validate() error text = %q; want %q followed by a message", err, tt.wantField+": ")
			}
		})
	}
}
