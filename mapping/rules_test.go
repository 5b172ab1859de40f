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

func TestPresets(t *testing.T) {
	t.Parallel()
	wantNames := []string{PresetAlert24, PresetStatusPageOne, PresetPingara, PresetStatusSentry, PresetGitHub, PresetUptimera, PresetStatuspage, PresetStandardWebhooks, PresetStatusgate}
	ps := Presets()
	if len(ps) != len(wantNames) {
		t.Fatalf("len(Presets()) = %d; want %d", len(ps), len(wantNames))
	}
	for i, p := range ps {
		t.Run(p.Name+" is complete and valid", func(t *testing.T) {
			t.Parallel()
			if p.Name != wantNames[i] {
				t.Fatalf("Presets()[%d].Name = %q; want %q", i, p.Name, wantNames[i])
			}
			if p.Description == "" || p.StatusField == "" {
				t.Fatalf("preset %q has description %q and status field %q; want both set", p.Name, p.Description, p.StatusField)
			}
			if err := (Rules{Preset: p.Name}).Validate(); err != nil {
				t.Fatalf("Rules{Preset: %q}.Validate() = %v; want nil", p.Name, err)
			}
			for _, path := range append([]string{p.StatusField, p.MessageField, p.ServiceNameField, p.TimestampField}, p.EventIDFields...) {
				if path == "" {
					continue
				}
				if msg := checkPath(path); msg != "" {
					t.Fatalf("preset %q path %q: %s", p.Name, path, msg)
				}
			}
			for word, st := range p.StatusMapping {
				if !st.Valid() || word != normalizeWord(word) {
					t.Fatalf("preset %q maps %q to %q; want a normalized word and a valid status", p.Name, word, st)
				}
			}
			for word := range p.IgnoreStatuses {
				if word != normalizeWord(word) {
					t.Fatalf("preset %q ignores %q; want a normalized word", p.Name, word)
				}
			}
			for _, r := range p.Ignore {
				if (r.Header == "") == (r.Field == "") || r.Reason == "" {
					t.Fatalf("preset %q ignore rule %+v; want exactly one of Header and Field, and a reason", p.Name, r)
				}
			}
			if s := p.Signature.Scheme; s != "" {
				cfg := SignatureConfig{Scheme: s, Header: p.Signature.Header, Secrets: [][]byte{[]byte("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")}}
				if err := cfg.Validate(); err != nil {
					t.Fatalf("preset %q signature defaults %+v: Validate() = %v; want nil", p.Name, p.Signature, err)
				}
			}
			got, ok := LookupPreset(p.Name)
			if !ok || got.Name != p.Name {
				t.Fatalf("LookupPreset(%q) = %q, %v; want the preset", p.Name, got.Name, ok)
			}
		})
	}
	t.Run("unknown name is not found", func(t *testing.T) {
		t.Parallel()
		if _, ok := LookupPreset("GitHub"); ok {
			t.Fatalf("LookupPreset(%q) found a preset; want none (names are exact)", "GitHub")
		}
	})
	t.Run("returned presets are copies", func(t *testing.T) {
		t.Parallel()
		p, _ := LookupPreset(PresetGitHub)
		p.StatusMapping["success"] = Down
		p.Ignore[0].Values[0] = "push"
		p.IgnoreStatuses["inactive"] = "changed"
		all := Presets()
		all[0].EventIDFields = append(all[0].EventIDFields, "x")
		again, _ := LookupPreset(PresetGitHub)
		if again.StatusMapping["success"] != Operational || again.Ignore[0].Values[0] != "ping" || again.IgnoreStatuses["inactive"] == "changed" {
			t.Fatalf("changing a returned preset changed the built-in one: %+v", again)
		}
	})
}
