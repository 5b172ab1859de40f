package mapping

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/tidwall/gjson"
)

// Default paths, used when neither the receiver nor its preset names one.
const (
	DefaultStatusField  = "status"
	DefaultMessageField = "message"
)

// maxPathLen bounds a configured gjson path; a longer one is a paste error,
// not a real payload layout.
const maxPathLen = 256

// Rules say where a receiver finds things in a payload. Paths are gjson
// paths. A field left empty falls back to the preset's value (when Preset is
// set) and then to the package default, so a receiver stores only what it
// changed.
type Rules struct {
	// StatusField is the path of the status value; default "status".
	StatusField string
	// MessageField is the path of a human message; default "message".
	MessageField string
	// ServiceNameField is the path of the service's name for a receiver that
	// feeds many services; "" means a fixed service (unless the preset names
	// one and FixedService is false).
	ServiceNameField string
	// EventIDField is the path of the sender's event id, for duplicate
	// detection across retries.
	EventIDField string
	// EventIDHeader is a header carrying the event id (X-GitHub-Delivery,
	// webhook-id). When both are given, the header wins: a delivery id set
	// by the transport survives payload changes between retries.
	EventIDHeader string
	// TimestampField is the path of the event time (RFC 3339, or unix
	// seconds or milliseconds), for stale-event detection.
	TimestampField string
	// StatusMapping holds the receiver's own words. Keys are matched
	// case-insensitively and trimmed; values must be one of the four
	// statuses (decode them with ParseStatus). It extends and overrides the
	// preset's words, which extend and override the default vocabulary.
	StatusMapping map[string]Status
	// Preset names a provider preset; see Presets.
	Preset string
	// FixedService is set by a receiver that targets one service_id. It
	// stops a preset's service-name path from being read, so a fixed
	// receiver never fails with ErrServiceNameMissing because of its preset.
	FixedService bool
}

// ValidationError names the configuration field that is wrong, with the
// JSON (snake_case) name the API uses, so a handler can answer 422
// validation_failed pointing at exactly that field.
type ValidationError struct {
	Field   string
	Message string
}

// Error returns "field: message".
func (e *ValidationError) Error() string {
	return e.Field + ": " + e.Message
}

// Validate checks the rules once, when a receiver is saved, so that Extract
// can trust them on every delivery. The error is a *ValidationError naming
// the first offending field (fields are checked in a fixed order; mapping
// keys in sorted order, so the answer is stable).
func (r Rules) Validate() error {
	paths := []struct{ field, path string }{
		{"status_field", r.StatusField},
		{"message_field", r.MessageField},
		{"service_name_field", r.ServiceNameField},
		{"event_id_field", r.EventIDField},
		{"timestamp_field", r.TimestampField},
	}
	for _, p := range paths {
		if p.path == "" {
			continue
		}
		if msg := checkPath(p.path); msg != "" {
			return &ValidationError{Field: p.field, Message: msg}
		}
	}
	if r.FixedService && r.ServiceNameField != "" {
		return &ValidationError{Field: "service_name_field", Message: "a receiver with a fixed service takes no service name field"}
	}
	if r.EventIDHeader != "" && !validHeaderName(r.EventIDHeader) {
		return &ValidationError{Field: "event_id_header", Message: fmt.Sprintf("%q is not a valid HTTP header name", r.EventIDHeader)}
	}
	if err := validateMapping(r.StatusMapping); err != nil {
		return err
	}
	if r.Preset != "" {
		if _, ok := LookupPreset(r.Preset); !ok {
			return &ValidationError{Field: "preset", Message: fmt.Sprintf("unknown preset %q; known presets: %s", r.Preset, strings.Join(presetNames(), ", "))}
		}
	}
	return nil
}

func validateMapping(m map[string]Status) error {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	seen := make(map[string]string, len(m))
	for _, k := range keys {
		v := m[k]
		norm := normalizeWord(k)
		if norm == "" {
			return &ValidationError{Field: "status_mapping", Message: "a key is empty"}
		}
		if !v.Valid() {
			return &ValidationError{Field: "status_mapping." + k, Message: fmt.Sprintf("%q is not one of operational, degraded, down, maintenance", string(v))}
		}
		if prev, dup := seen[norm]; dup && m[prev] != v {
			return &ValidationError{Field: "status_mapping." + k, Message: fmt.Sprintf("conflicts with key %q (keys are case-insensitive)", prev)}
		}
		seen[norm] = k
	}
	return nil
}

// checkPath returns why p is not a usable gjson path, or "". gjson accepts
// any string, so this catches what is certainly a mistake: blanks, stray
// whitespace, empty components ("a..b"), unbalanced brackets and unknown
// modifiers.
func checkPath(p string) string {
	switch {
	case strings.TrimSpace(p) == "":
		return "path is blank"
	case strings.TrimSpace(p) != p:
		return "path starts or ends with whitespace"
	case len(p) > maxPathLen:
		return fmt.Sprintf("path is longer than %d characters", maxPathLen)
	case !utf8.ValidString(p):
		return "path is not valid UTF-8"
	}
	var stack []byte
	inQuote := false
	compStart := 0
	component := func(end int) string {
		c := p[compStart:end]
		if c == "" {
			return "path has an empty component"
		}
		if c[0] == '@' {
			name := c[1:]
			if i := strings.IndexByte(name, ':'); i >= 0 {
				name = name[:i]
			}
			if !gjson.ModifierExists(name, nil) {
				return fmt.Sprintf("path uses an unknown modifier @%s", name)
			}
		}
		return ""
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c < 0x20 || c == 0x7f {
			return "path contains a control character"
		}
		if c == '\\' {
			if i == len(p)-1 {
				return "path ends with an escape character"
			}
			i++
			continue
		}
		if inQuote {
			if c == '"' {
				inQuote = false
			}
			continue
		}
		switch c {
		case '"':
			if len(stack) > 0 {
				inQuote = true
			}
		case '(', '[', '{':
			stack = append(stack, c)
		case ')', ']', '}':
			if len(stack) == 0 || stack[len(stack)-1] != opener(c) {
				return "path has unbalanced brackets"
			}
			stack = stack[:len(stack)-1]
		case '.', '|':
			if len(stack) == 0 {
				if msg := component(i); msg != "" {
					return msg
				}
				compStart = i + 1
			}
		}
	}
	if inQuote || len(stack) > 0 {
		return "path has unbalanced brackets"
	}
	return component(len(p))
}

func opener(closer byte) byte {
	switch closer {
	case ')':
		return '('
	case ']':
		return '['
	}
	return '{'
}

// validHeaderName reports whether s is an RFC 9110 token, the only thing a
// header name may be.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// resolved is Rules with the preset and the defaults folded in: what Extract
// actually reads.
type resolved struct {
	statusPath    string
	messagePath   string
	servicePath   string
	eventIDPaths  []string
	eventIDHeader string
	timePath      string
	receiverMap   map[string]Status
	preset        Preset
}

// resolve folds the preset under the explicit fields. Only an unknown preset
// is an error here; everything else was checked by Validate.
func (r Rules) resolve() (resolved, error) {
	var p Preset
	if r.Preset != "" {
		var ok bool
		if p, ok = lookupPreset(r.Preset); !ok {
			return resolved{}, &ValidationError{Field: "preset", Message: fmt.Sprintf("unknown preset %q", r.Preset)}
		}
	}
	out := resolved{
		statusPath:    first(r.StatusField, p.StatusField, DefaultStatusField),
		messagePath:   first(r.MessageField, p.MessageField, DefaultMessageField),
		eventIDHeader: first(r.EventIDHeader, p.EventIDHeader),
		timePath:      first(r.TimestampField, p.TimestampField),
		receiverMap:   r.StatusMapping,
		preset:        p,
	}
	if !r.FixedService {
		out.servicePath = first(r.ServiceNameField, p.ServiceNameField)
	}
	switch {
	case r.EventIDField != "":
		out.eventIDPaths = []string{r.EventIDField}
	case len(p.EventIDFields) > 0:
		out.eventIDPaths = p.EventIDFields
	}
	return out, nil
}

func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// receiverWord looks a normalized word up in the receiver's own mapping,
// whose keys are stored as the operator typed them. The map is small, and
// this avoids building a merged vocabulary on every delivery.
func (r resolved) receiverWord(norm string) (key string, st Status, ok bool) {
	for k, v := range r.receiverMap {
		if normalizeWord(k) == norm {
			return k, v, true
		}
	}
	return "", "", false
}
