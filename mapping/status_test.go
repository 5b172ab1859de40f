package mapping

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestParseStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		want     Status
		wantOK   bool
	}{
		{"canonical word parses", "operational", Operational, true},
		{"upper case parses", "DOWN", Down, true},
		{"surrounding whitespace is trimmed", "  maintenance\t", Maintenance, true},
		{"mixed case parses", "Degraded", Degraded, true},
		{"vocabulary word is refused", "ok", "ok", false},
		{"empty is refused", "", "", false},
		{"unknown word is refused", "purple", "purple", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := ParseStatus(tt.in)
			if ok != tt.wantOK || (ok && got != tt.want) {
				t.Fatalf("ParseStatus(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestStatusSeverityAndOrder(t *testing.T) {
	t.Parallel()
	t.Run("statuses are listed by increasing severity", func(t *testing.T) {
		t.Parallel()
		for i, s := range Statuses {
			if got := s.Severity(); got != i {
				t.Fatalf("Statuses[%d] = %q has severity %d; want %d", i, s, got, i)
			}
			if !s.Valid() {
				t.Fatalf("Statuses[%d] = %q is not valid", i, s)
			}
		}
		if got, want := len(Statuses), 4; got != want {
			t.Fatalf("len(Statuses) = %d; want %d", got, want)
		}
	})
	t.Run("invalid status ranks below all", func(t *testing.T) {
		t.Parallel()
		if got := Status("Down").Severity(); got != -1 {
			t.Fatalf("Severity of non-canonical %q = %d; want -1", "Down", got)
		}
		if Status("").Valid() {
			t.Fatalf("empty status is valid; want invalid")
		}
	})
}

func TestDefaultVocabularyIsACopy(t *testing.T) {
	t.Parallel()
	v := DefaultVocabulary()
	v["ok"] = Down
	v["purple"] = Down
	if got := DefaultVocabulary()["ok"]; got != Operational {
		t.Fatalf("after changing a copy, DefaultVocabulary()[ok] = %q; want %q", got, Operational)
	}
	if _, ok := DefaultVocabulary()["purple"]; ok {
		t.Fatalf("a key added to a copy leaked into DefaultVocabulary()")
	}
}

func TestDefaultVocabularyTable(t *testing.T) {
	t.Parallel()
	want := map[Status][]string{
		Operational: {"operational", "up", "ok", "healthy", "none", "resolved"},
		Degraded:    {"degraded", "partial", "warning", "minor"},
		Down:        {"down", "outage", "major", "critical", "error"},
		Maintenance: {"maintenance", "scheduled", "under_maintenance"},
	}
	got := DefaultVocabulary()
	n := 0
	for st, words := range want {
		for _, w := range words {
			n++
			if got[w] != st {
				t.Fatalf("DefaultVocabulary()[%q] = %q; want %q", w, got[w], st)
			}
		}
	}
	if len(got) != n {
		t.Fatalf("DefaultVocabulary() has %d words; want exactly the %d of DESIGN.md", len(got), n)
	}
}

// Every default word must map through Extract in every spelling a sender
// might use.
func TestExtractDefaultVocabularyVariants(t *testing.T) {
	t.Parallel()
	variants := []struct {
		name string
		fn   func(string) string
	}{
		{"lower", func(s string) string { return s }},
		{"upper", strings.ToUpper},
		{"title", func(s string) string { return strings.ToUpper(s[:1]) + s[1:] }},
		{"padded", func(s string) string { return "  " + s + "\t" }},
		{"newlines", func(s string) string { return "\n" + strings.ToUpper(s) + " \r\n" }},
	}
	for word, want := range DefaultVocabulary() {
		for _, v := range variants {
			t.Run(word+" "+v.name+" maps to "+string(want), func(t *testing.T) {
				t.Parallel()
				raw := v.fn(word)
				body, _ := json.Marshal(map[string]string{"status": raw})
				got, err := Extract(Input{Body: body}, Rules{})
				if err != nil {
					t.Fatalf("Extract(%s) error = %v; want nil", body, err)
				}
				if got.Status != want || got.RawStatus != strings.TrimSpace(raw) {
					t.Fatalf("Extract(%s) = status %q raw %q; want status %q raw %q", body, got.Status, got.RawStatus, want, strings.TrimSpace(raw))
				}
			})
		}
	}
}
