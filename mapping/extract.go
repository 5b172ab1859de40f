package mapping

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tidwall/gjson"
)

// Input is one inbound request as mapping sees it: the raw body, exactly as
// received (signatures are over these bytes), and the headers with
// http.Header semantics (canonical keys). Neither is modified.
type Input struct {
	Body   []byte
	Header http.Header
}

// Extraction is what a payload said, before anything is done about it.
type Extraction struct {
	// RawStatus is the status value as found, trimmed; "" if absent. For a
	// number it is the JSON literal ("2"), for a bool "true" or "false".
	RawStatus string
	// Status is the mapped status; "" when Ignore is true.
	Status Status
	// Message is the message value, trimmed; "" when absent or not a
	// scalar. It is not truncated.
	Message string
	// ServiceName is "" for a fixed-service receiver.
	ServiceName string
	// EventID is "" when the sender gave none.
	EventID string
	// EventTime is the event's time in UTC. It is the zero time when the
	// field is absent or unparseable: stale detection is best-effort, and a
	// bad timestamp never fails a delivery.
	EventTime time.Time
	// Ignore is true for a valid delivery that carries no status change by
	// design (a GitHub ping, an acknowledged Uptimera incident).
	Ignore bool
	// IgnoreReason says why, for the delivery log.
	IgnoreReason string
}

// Errors Extract returns; callers branch on them with errors.Is.
var (
	// ErrInvalidJSON: the body is empty, nests deeper than MaxNestingDepth,
	// is not valid JSON (gjson.ValidBytes), is not valid UTF-8, or is JSON
	// whose top level is not an object or array (a bare "down" or 42 has no
	// fields to read); ErrDuplicateKey wraps it. HTTP 400 invalid_json.
	ErrInvalidJSON = errors.New("invalid JSON")
	// ErrStatusMissing: the status path is absent, null, empty or blank (an
	// array or object there is an *UnmappedError instead). It is wrapped with the path. HTTP 422 status_missing.
	ErrStatusMissing = errors.New("status missing")
	// ErrServiceNameMissing: the service-name path is set but holds nothing
	// usable. The receiver answers service_unknown.
	ErrServiceNameMissing = errors.New("service name missing")
)

// UnmappedError is a status value that no vocabulary knows. statusgate never
// guesses, so this fails the delivery (422 status_unmapped); Raw lets the
// delivery log show the word the operator should add to status_mapping.
type UnmappedError struct {
	Raw string
	// Found, when set, says why Raw is no status at all (an array or object
	// where one value belongs); it replaces the usual message.
	Found string
}

// maxQuoted bounds how much of a sender's value an error message repeats.
const maxQuoted = 100

// Error reads like `status "purple" maps to no status`.
func (e *UnmappedError) Error() string {
	if e.Found != "" {
		return e.Found
	}
	return fmt.Sprintf("status %q maps to no status", truncate(e.Raw, maxQuoted))
}

// Extract reads one delivery. It checks the JSON first (gjson.ValidBytes, as
// the gjson README asks for untrusted input), folds the preset under the
// rules' explicit fields, applies the ignore rules, reads the fields and maps
// the status through the receiver's words, then the preset's, then the
// default vocabulary.
//
// The body is refused (ErrInvalidJSON) when it nests deeper than
// MaxNestingDepth, and (ErrDuplicateKey) when a path it reads meets a key twice.
//
// When the status path is a "#" path (StatusSentry's
// data.components.#.status), the worst status of all elements wins (by
// Severity) and the service name and message are those of the first element
// with that status: the receiver handles one service per delivery, and the
// worst news is the one that must not be lost. Elements that are null or
// empty are skipped; one unmapped element fails the whole delivery. When the
// status and service paths share the same "prefix.#." the name is read from
// the same array element; otherwise array results are paired by position.
// A plain path whose value is itself an array or object is an *UnmappedError
// that says so: ["down"] is not a status, and reading an element would guess.
//
// A number or bool status is matched by its JSON text ("1", "true"), so a
// receiver can map them; by default they map to nothing.
//
// A delivery is ignored (Ignore true, no error) when a preset's header or
// body rule says so, checked before the status is read, or when its status
// is one of the preset's ignore words and the receiver's own mapping does
// not name that word. An ignored delivery never fails for a missing service
// name: a GitHub ping names no environment.
//
// Extract assumes rules passed Validate. An unknown preset is still reported
// as a *ValidationError rather than silently ignored.
func Extract(in Input, rules Rules) (Extraction, error) {
	root, err := parseJSON(in.Body)
	if err != nil {
		return Extraction{}, err
	}
	r, err := rules.resolve()
	if err != nil {
		return Extraction{}, err
	}
	if err := checkDuplicateKeys(root, r.readPaths()); err != nil {
		return Extraction{}, err
	}
	x := Extraction{
		EventID:   r.eventID(root, in.Header),
		EventTime: parseEventTime(get(root, r.timePath)),
	}

	if reason, ok := r.preset.ignored(root, in.Header); ok {
		x.Ignore, x.IgnoreReason = true, reason
		x.Message = scalarText(get(root, r.messagePath))
		x.ServiceName = scalarText(get(root, r.servicePath))
		return x, nil
	}

	c, err := r.pickStatus(root)
	if err != nil {
		return Extraction{}, err
	}
	x.RawStatus, x.Status, x.Ignore, x.IgnoreReason = c.raw, c.status, c.ignore, c.reason
	x.Message = r.related(root, r.messagePath, c)
	if r.servicePath != "" {
		x.ServiceName = r.related(root, r.servicePath, c)
		if x.ServiceName == "" && !x.Ignore {
			return Extraction{}, fmt.Errorf("%w: no value at %q", ErrServiceNameMissing, r.servicePath)
		}
	}
	return x, nil
}

// parseJSON validates before anything reads the body, and parses it once. The
// nesting bound comes first: gjson.ValidBytes recurses once per level.
func parseJSON(body []byte) (gjson.Result, error) {
	if len(body) == 0 {
		return gjson.Result{}, fmt.Errorf("%w: body is empty", ErrInvalidJSON)
	}
	if err := checkNesting(body); err != nil {
		return gjson.Result{}, err
	}
	if !gjson.ValidBytes(body) {
		return gjson.Result{}, fmt.Errorf("%w: body is not valid JSON", ErrInvalidJSON)
	}
	if !utf8.Valid(body) {
		// gjson accepts stray bytes inside strings; JSON (RFC 8259) does not,
		// and neither does a PostgreSQL text column a value may end up in.
		return gjson.Result{}, fmt.Errorf("%w: body is not valid UTF-8", ErrInvalidJSON)
	}
	root := gjson.ParseBytes(body)
	if !root.IsObject() && !root.IsArray() {
		return gjson.Result{}, fmt.Errorf("%w: body is JSON but its top level is not an object or array", ErrInvalidJSON)
	}
	return root, nil
}

// candidate is one status value found in the payload, with where it came
// from so the service name and message of the same element can be read.
type candidate struct {
	raw    string
	status Status
	ignore bool
	reason string
	pos    int          // position in an array result, -1 for a scalar
	elem   gjson.Result // the array element holding it, for "prefix.#." paths
	hasEl  bool
}

// pickStatus finds and maps the status value, or the worst of several.
func (r resolved) pickStatus(root gjson.Result) (candidate, error) {
	path := r.statusPath
	var found []candidate
	if prefix, suffix, ok := splitHash(path); ok {
		arr := root
		if prefix != "" {
			arr = root.Get(prefix)
		}
		if !arr.IsArray() {
			return candidate{}, fmt.Errorf("%w: no array at %q", ErrStatusMissing, path)
		}
		for i, el := range arr.Array() {
			v := el.Get(suffix)
			if v.IsArray() {
				for _, sub := range v.Array() {
					found = appendCandidate(found, sub, i, el, true)
				}
				continue
			}
			found = appendCandidate(found, v, i, el, true)
		}
	} else {
		v := root.Get(path)
		switch {
		case !v.Exists() || v.Type == gjson.Null:
			return candidate{}, fmt.Errorf("%w: no value at %q", ErrStatusMissing, path)
		case v.IsObject(), v.IsArray():
			return candidate{}, shapeError(path, v)
		default:
			found = appendCandidate(found, v, -1, gjson.Result{}, false)
			if len(found) == 0 {
				return candidate{}, fmt.Errorf("%w: empty value at %q", ErrStatusMissing, path)
			}
		}
	}
	if len(found) == 0 {
		return candidate{}, fmt.Errorf("%w: no status in the array at %q", ErrStatusMissing, path)
	}

	best := -1
	for i := range found {
		c := &found[i]
		if err := r.mapWord(c); err != nil {
			return candidate{}, err
		}
		if c.ignore {
			continue
		}
		if best < 0 || c.status.Severity() > found[best].status.Severity() {
			best = i
		}
	}
	if best < 0 {
		// Every value means "no change": report the first.
		return found[0], nil
	}
	return found[best], nil
}

// appendCandidate keeps scalar, non-blank values; nulls, blanks, objects and
// arrays are not statuses.
func appendCandidate(found []candidate, v gjson.Result, pos int, el gjson.Result, hasEl bool) []candidate {
	raw := scalarText(v)
	if raw == "" {
		return found
	}
	return append(found, candidate{raw: raw, pos: pos, elem: el, hasEl: hasEl})
}

// mapWord resolves one raw value: receiver's words, then the preset's ignore
// words and mapping, then the default vocabulary.
func (r resolved) mapWord(c *candidate) error {
	norm := normalizeWord(c.raw)
	if key, st, ok := r.receiverWord(norm); ok {
		if !st.Valid() {
			return &ValidationError{Field: "status_mapping." + key, Message: fmt.Sprintf("%q is not one of operational, degraded, down, maintenance", string(st))}
		}
		c.status = st
		return nil
	}
	if reason, ok := r.preset.IgnoreStatuses[norm]; ok {
		c.ignore, c.reason = true, reason
		return nil
	}
	if st, ok := r.preset.StatusMapping[norm]; ok {
		c.status = st
		return nil
	}
	if st, ok := defaultVocabulary[norm]; ok {
		c.status = st
		return nil
	}
	return &UnmappedError{Raw: c.raw}
}

// related reads the message or service name that belongs with the chosen
// status value.
func (r resolved) related(root gjson.Result, path string, c candidate) string {
	if path == "" {
		return ""
	}
	if c.hasEl {
		sp, _, _ := splitHash(r.statusPath)
		if p, suffix, ok := splitHash(path); ok && p == sp {
			return scalarText(c.elem.Get(suffix))
		}
	}
	v := root.Get(path)
	if v.IsArray() {
		if c.pos < 0 {
			return ""
		}
		arr := v.Array()
		if c.pos >= len(arr) {
			return ""
		}
		return scalarText(arr[c.pos])
	}
	return scalarText(v)
}

// splitHash splits "prefix.#.suffix" (or "#.suffix") at its first "#"
// component. Only the plain form is split; "#(...)" queries and a trailing
// "#" (a count) are left to gjson.
func splitHash(path string) (prefix, suffix string, ok bool) {
	if rest, found := strings.CutPrefix(path, "#."); found {
		return "", rest, rest != ""
	}
	i := strings.Index(path, ".#.")
	if i <= 0 || strings.HasSuffix(path[:i], `\`) {
		return "", "", false
	}
	prefix, suffix = path[:i], path[i+3:]
	return prefix, suffix, suffix != ""
}

// scalarText is the text of a scalar value, trimmed: a string's contents, a
// number's JSON literal, "true"/"false". Null, objects and arrays give "".
func scalarText(v gjson.Result) string {
	switch v.Type {
	case gjson.String:
		return strings.TrimSpace(v.Str)
	case gjson.Number:
		return strings.TrimSpace(v.Raw)
	case gjson.True:
		return "true"
	case gjson.False:
		return "false"
	}
	return ""
}

// eventID prefers the header: a transport-level delivery id does not depend
// on how the sender re-serializes the body between retries.
func (r resolved) eventID(root gjson.Result, h http.Header) string {
	if r.eventIDHeader != "" {
		if v := strings.TrimSpace(h.Get(r.eventIDHeader)); v != "" {
			return v
		}
	}
	if len(r.eventIDPaths) == 0 {
		return ""
	}
	parts := make([]string, 0, len(r.eventIDPaths))
	for _, p := range r.eventIDPaths {
		v := scalarText(root.Get(p))
		if v == "" {
			return ""
		}
		parts = append(parts, v)
	}
	return strings.Join(parts, ":")
}

// ignored reports whether a preset's header or body condition says this
// delivery carries no status.
func (p Preset) ignored(root gjson.Result, h http.Header) (string, bool) {
	for _, rule := range p.Ignore {
		var val string
		var present bool
		if rule.Header != "" {
			vs := h.Values(rule.Header)
			present = len(vs) > 0
			if present {
				val = vs[0]
			}
		} else {
			v := root.Get(rule.Field)
			present = v.Exists() && v.Type != gjson.Null
			val = scalarText(v)
		}
		if !present {
			continue
		}
		if len(rule.Values) == 0 {
			return rule.Reason, true
		}
		norm := normalizeWord(val)
		for _, want := range rule.Values {
			if norm == want {
				return rule.Reason, true
			}
		}
	}
	return "", false
}

// Bounds of a plausible event time; anything outside is a unit mistake or
// garbage and is treated as absent.
var (
	minEventTime = time.Date(1970, 1, 2, 0, 0, 0, 0, time.UTC)
	maxEventTime = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
)

// msThreshold separates unix seconds from milliseconds: 1e12 seconds is the
// year 33658, 1e12 milliseconds is September 2001.
const msThreshold = 1e12

// parseEventTime reads RFC 3339 text or unix seconds/milliseconds (number or
// digit string); anything else gives the zero time.
func parseEventTime(v gjson.Result) time.Time {
	var t time.Time
	switch v.Type {
	case gjson.String:
		s := strings.TrimSpace(v.Str)
		if parsed, err := time.Parse(time.RFC3339Nano, s); err == nil {
			t = parsed
		} else if f, err := strconv.ParseFloat(s, 64); err == nil && isDigits(s) {
			t = unixTime(f)
		}
	case gjson.Number:
		t = unixTime(v.Num)
	}
	if t.Before(minEventTime) || t.After(maxEventTime) {
		return time.Time{}
	}
	return t.UTC()
}

func unixTime(f float64) time.Time {
	if math.IsNaN(f) || math.IsInf(f, 0) || f <= 0 || f > 1e15 {
		return time.Time{}
	}
	if f >= msThreshold {
		return time.UnixMilli(int64(f))
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9))
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// get treats an empty path as "not configured" rather than asking gjson.
func get(root gjson.Result, path string) gjson.Result {
	if path == "" {
		return gjson.Result{}
	}
	return root.Get(path)
}
