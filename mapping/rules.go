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

// Rules say where a receiver finds things in a payload. A field left empty
// falls back to the preset's value (when Preset is set) and then to the
// package default, so a receiver stores only what it changed.
//
// Every path is a gjson path into the JSON body, or one of these source
// paths (see [Extract] for where each is read from):
//
//	header:<Name>   a request header, e.g. header:X-GitHub-Event
//	query:<name>    a query parameter of the URL, e.g. query:status
//	root:<path>     a gjson path into the whole body, even inside an item
//
// A body key that really starts with "header:", "query:" or "root:" is
// written with the colon escaped, gjson's way: header\:x.
type Rules struct {
	// StatusField is the path of the status value; default "status".
	StatusField string
	// StatusFields are further status paths, tried in order after
	// StatusField: the first that holds a value is the status. A receiver
	// that stores a list may put all of it here and leave StatusField empty.
	// Setting either replaces the preset's whole list.
	StatusFields []string
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
	// TimestampField is the path of the event time, for stale-event
	// detection: RFC 3339 with any fraction, "+0000" offsets, zone-less
	// times (taken as UTC), unix seconds or milliseconds (numbers or digit
	// strings).
	TimestampField string
	// ItemsField is the path of an array each element of which is one update
	// (StatusSentry's data.components, Alertmanager's alerts); "@this" (or
	// "#") is a body that is itself an array. Inside an item, paths are read
	// relative to the element; root: reaches the whole body.
	ItemsField string
	// CorrelationField is the path of a key that ties a later event to an
	// earlier one naming the service (PagerDuty's dedup_key); see
	// Update.CorrelationKey.
	CorrelationField string
	// StatusMapping holds the receiver's own words. Keys are matched
	// case-insensitively and trimmed; values must be one of the four
	// statuses or [Ignored] (decode them with ParseMappingValue). It extends
	// and overrides the preset's words, which extend and override the
	// default vocabulary.
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
		{"correlation_field", r.CorrelationField},
	}
	for i, p := range r.StatusFields {
		if p == "" {
			return &ValidationError{Field: fmt.Sprintf("status_fields.%d", i), Message: "path is empty"}
		}
		paths = append(paths, struct{ field, path string }{fmt.Sprintf("status_fields.%d", i), p})
	}
	for _, p := range paths {
		if p.path == "" {
			continue
		}
		if msg := checkSourcePath(p.path); msg != "" {
			return &ValidationError{Field: p.field, Message: msg}
		}
	}
	if r.ItemsField != "" {
		if msg := checkItemsPath(r.ItemsField); msg != "" {
			return &ValidationError{Field: "items_field", Message: msg}
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
		if !v.Valid() && v != Ignored {
			return &ValidationError{Field: "status_mapping." + k, Message: fmt.Sprintf("%q is not one of operational, degraded, down, maintenance, ignore", string(v))}
		}
		if prev, dup := seen[norm]; dup && m[prev] != v {
			return &ValidationError{Field: "status_mapping." + k, Message: fmt.Sprintf("conflicts with key %q (keys are case-insensitive)", prev)}
		}
		seen[norm] = k
	}
	return nil
}

// Prefixes of the paths that read the request rather than the body, and of
// the path that reads the whole body from inside an item.
const (
	headerPrefix = "header:"
	queryPrefix  = "query:"
	rootPrefix   = "root:"
)

// checkSourcePath checks a configured path, source prefix included.
func checkSourcePath(p string) string {
	switch {
	case strings.HasPrefix(p, headerPrefix):
		if name := p[len(headerPrefix):]; !validHeaderName(name) {
			return fmt.Sprintf("%q is not a valid HTTP header name", name)
		}
		return ""
	case strings.HasPrefix(p, queryPrefix):
		name := p[len(queryPrefix):]
		if name == "" || len(name) > maxPathLen {
			return "query parameter name is empty or too long"
		}
		for i := 0; i < len(name); i++ {
			if name[i] <= 0x20 || name[i] == 0x7f {
				return "query parameter name contains a space or control character"
			}
		}
		return ""
	case strings.HasPrefix(p, rootPrefix):
		return checkPath(p[len(rootPrefix):])
	}
	return checkPath(p)
}

// checkItemsPath checks items_field: a body path (the request has no arrays).
func checkItemsPath(p string) string {
	if strings.HasPrefix(p, headerPrefix) || strings.HasPrefix(p, queryPrefix) || strings.HasPrefix(p, rootPrefix) {
		return "items_field is a path into the body; header:, query: and root: do not apply"
	}
	if p == "#" {
		return ""
	}
	return checkPath(p)
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
// actually reads. Every path list is tried in order; the first path that
// holds a value wins.
type resolved struct {
	statusPaths      []string
	messagePaths     []string
	servicePaths     []string
	timePaths        []string
	correlationPaths []string
	eventIDPaths     []string
	eventIDHeader    string
	itemsPath        string
	itemEventIDPaths []string
	receiverMap      map[string]Status
	preset           Preset
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
		statusPaths:      pathList(r.StatusField, r.StatusFields),
		messagePaths:     pathList(r.MessageField, nil),
		timePaths:        pathList(r.TimestampField, nil),
		correlationPaths: pathList(r.CorrelationField, nil),
		eventIDHeader:    first(r.EventIDHeader, p.EventIDHeader),
		itemsPath:        first(r.ItemsField, p.ItemsField),
		itemEventIDPaths: p.ItemEventIDFields,
		receiverMap:      r.StatusMapping,
		preset:           p,
	}
	if out.statusPaths == nil {
		out.statusPaths = pathList(p.StatusField, p.StatusFields)
	}
	if out.statusPaths == nil {
		out.statusPaths = []string{DefaultStatusField}
	}
	if out.messagePaths == nil {
		out.messagePaths = pathList(p.MessageField, p.MessageFields)
	}
	if out.messagePaths == nil {
		out.messagePaths = []string{DefaultMessageField}
	}
	if out.timePaths == nil {
		out.timePaths = pathList(p.TimestampField, p.TimestampFields)
	}
	if out.correlationPaths == nil {
		out.correlationPaths = p.CorrelationFields
	}
	if !r.FixedService {
		out.servicePaths = pathList(r.ServiceNameField, nil)
		if out.servicePaths == nil {
			out.servicePaths = pathList(p.ServiceNameField, p.ServiceNameFields)
		}
	}
	switch {
	case r.EventIDField != "":
		out.eventIDPaths = []string{r.EventIDField}
	case len(p.EventIDFields) > 0:
		out.eventIDPaths = p.EventIDFields
	}
	return out, nil
}

// pathList is one optional path followed by more; nil when there are none.
func pathList(one string, more []string) []string {
	var out []string
	if one != "" {
		out = append(out, one)
	}
	for _, p := range more {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
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
