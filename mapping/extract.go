package mapping

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tidwall/gjson"
)

// Input is one inbound request as mapping sees it: the raw body, exactly as
// received (signatures are over these bytes), the headers with http.Header
// semantics (canonical keys) and the URL's query parameters. None is
// modified.
type Input struct {
	Body   []byte
	Header http.Header
	Query  url.Values
}

// Update is one status update read from a delivery: the whole body, or one
// element of its items array.
type Update struct {
	// RawStatus is the status value as found, trimmed; "" if absent. For a
	// number it is the JSON literal ("2"), for a bool "true" or "false".
	RawStatus string
	// Status is the mapped status; "" when Ignore is true or Err is set.
	Status Status
	// Message is the message value, trimmed; "" when absent or not a
	// scalar. It is not truncated.
	Message string
	// ServiceName is "" for a fixed-service receiver, and when
	// ServiceFromCorrelation is set.
	ServiceName string
	// EventID is "" when the sender gave none. An item's id is the
	// delivery's id joined with the item's own (or its position), so the
	// items of one delivery never share an id.
	EventID string
	// EventTime is the event's time in UTC. It is the zero time when the
	// field is absent or unparseable: stale detection is best-effort, and a
	// bad timestamp never fails a delivery.
	EventTime time.Time
	// Ignore is true for a valid update that carries no status change by
	// design (a GitHub ping, an acknowledged Uptimera incident).
	Ignore bool
	// IgnoreReason says why, for the delivery log: [ReasonIgnoredValue]
	// when a status_mapping entry said "ignore", else the preset's sentence.
	IgnoreReason string
	// CorrelationKey ties events of one alert together (PagerDuty's
	// dedup_key); "" when the rules name no correlation path or the payload
	// has none there. A receiver remembers which service an update with a
	// key and a ServiceName named, to find it again for a later update that
	// carries only the key.
	CorrelationKey string
	// ServiceFromCorrelation is true when the update names no service but
	// carries a CorrelationKey: the receiver must look the service up by the
	// key (a PagerDuty resolve carries only dedup_key). It is never set for
	// a fixed-service receiver.
	ServiceFromCorrelation bool
	// Err is this update's own failure: ErrStatusMissing,
	// *UnmappedError, ErrServiceNameMissing. Only items carry it; a single
	// update's failure is Extract's error.
	Err error
}

// Extraction is what a payload said, before anything is done about it. Its
// fields are the delivery's one update; for a delivery read with an items
// path they are those of its most severe item that mapped to a status (else
// its first ignored item), and Items holds every item.
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
	// EventID is "" when the sender gave none. With items it is the
	// delivery's id (each Update has its own).
	EventID string
	// EventTime is the event's time in UTC. It is the zero time when the
	// field is absent or unparseable: stale detection is best-effort, and a
	// bad timestamp never fails a delivery.
	EventTime time.Time
	// Ignore is true for a valid delivery that carries no status change by
	// design (a GitHub ping, an acknowledged Uptimera incident).
	Ignore bool
	// IgnoreReason says why, for the delivery log: [ReasonIgnoredValue]
	// when a status_mapping entry said "ignore", else the preset's sentence.
	IgnoreReason string
	// CorrelationKey and ServiceFromCorrelation: see Update.
	CorrelationKey         string
	ServiceFromCorrelation bool
	// Items holds one Update per element of the items array when the rules
	// (or the preset) name an items path and the body has an array there;
	// nil otherwise. Each item carries its own Err.
	Items []Update
}

// Updates returns the updates of a successful extraction: its Items, or the
// one update its fields describe.
func (x Extraction) Updates() []Update {
	if x.Items != nil {
		return x.Items
	}
	return []Update{{
		RawStatus: x.RawStatus, Status: x.Status, Message: x.Message, ServiceName: x.ServiceName,
		EventID: x.EventID, EventTime: x.EventTime, Ignore: x.Ignore, IgnoreReason: x.IgnoreReason,
		CorrelationKey: x.CorrelationKey, ServiceFromCorrelation: x.ServiceFromCorrelation,
	}}
}

// Errors Extract returns; callers branch on them with errors.Is.
var (
	// ErrInvalidJSON: the body is empty (and the query carries no status),
	// nests deeper than MaxNestingDepth, is not valid JSON
	// (gjson.ValidBytes), is not valid UTF-8, or is JSON whose top level is
	// not an object or array (a bare "down" or 42 has no fields to read);
	// ErrDuplicateKey wraps it. HTTP 400 invalid_json.
	ErrInvalidJSON = errors.New("invalid JSON")
	// ErrStatusMissing: no status path holds a value: each is absent, null,
	// empty or blank (an array or object at a plain path is an
	// *UnmappedError instead). It is wrapped with the path. HTTP 422
	// status_missing.
	ErrStatusMissing = errors.New("status missing")
	// ErrServiceNameMissing: the service-name path is set but holds nothing
	// usable, and there is no correlation key to find the service by. The
	// receiver answers service_unknown.
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

// The query parameters every receiver reads, after its own paths, so that
// `curl -X POST "$URL?status=maintenance&message=Deploying"` works from any
// CI job whatever the receiver's preset.
const (
	queryStatus    = queryPrefix + "status"
	queryMessage   = queryPrefix + "message"
	queryService   = queryPrefix + "service"
	queryEventID   = queryPrefix + "event_id"
	queryTimestamp = queryPrefix + "timestamp"
)

// emptyItemsReason is the IgnoreReason of a delivery whose items array is
// empty: nothing to change, and nothing wrong with the sender.
const emptyItemsReason = "the payload's items array is empty"

// Extract reads one delivery. It checks the JSON first (gjson.ValidBytes, as
// the gjson README asks for untrusted input), folds the preset under the
// rules' explicit fields, applies the ignore rules, reads the fields and maps
// the status through the receiver's words, then the preset's, then the
// default vocabulary.
//
// Paths are gjson paths into the body; header:<Name> reads a request header,
// query:<name> a query parameter, root:<path> the whole body from inside an
// item. A list of status paths is tried in order and the first that holds a
// value wins; the same holds for the preset's message, service-name and
// timestamp lists. After its own paths every receiver also reads the query
// parameters status, message, service (unless its service is fixed),
// event_id and timestamp, and an empty body is accepted when the query
// carries a status: a body value always wins over the query. A body sent as
// application/x-www-form-urlencoded (and not valid JSON) is read as a flat
// object of its form fields.
//
// When the status path yields an array (a "#" path such as
// data.components.#.status), the worst status of all elements wins (by
// Severity) and the service name and message are those of the first element
// with that status. Elements that are null or empty are skipped; one
// unmapped element fails the whole delivery. When the status and service
// paths share the same "prefix.#." the name is read from the same array
// element; otherwise array results are paired by position.
//
// With an items path that holds an array (the body itself for "@this" or
// "#"), each element is one Update, read with paths relative to the element,
// and may name its own service; a failing item does not fail the others.
// Extract then fails only when every item failed, with the first item's
// error and Items still set (nothing else is). An empty array is an ignored
// delivery. When the items path holds no array, the body is read as one
// update, so a sender's other event kinds still work.
//
// A number or bool status is matched by its JSON text ("1", "true"), so a
// receiver can map them; by default they map to nothing.
//
// A delivery is ignored (Ignore true, no error) when a preset's header or
// body rule says so, checked before the status is read, or when its status
// maps to [Ignored] or is one of the preset's ignore words and the
// receiver's own mapping does not name that word. An ignored update never
// fails for a missing service name: a GitHub ping names no environment.
//
// Extract assumes rules passed Validate. An unknown preset is still reported
// as a *ValidationError rather than silently ignored.
func Extract(in Input, rules Rules) (Extraction, error) {
	r, err := rules.resolve()
	if err != nil {
		return Extraction{}, err
	}
	root, err := r.body(in)
	if err != nil {
		return Extraction{}, err
	}
	if err := checkDuplicateKeys(root, r.readPaths()); err != nil {
		return Extraction{}, err
	}
	req := request{root: root, header: in.Header, query: in.Query}
	whole := scope{req: req, base: root}
	deliveryID := r.eventID(whole)

	if reason, ok := r.preset.ignored(whole); ok {
		x := Extraction{EventID: deliveryID, Ignore: true, IgnoreReason: reason}
		x.EventTime = r.eventTime(whole)
		x.Message = whole.firstText(r.messagePaths)
		x.ServiceName = whole.firstText(r.servicePaths)
		return x, nil
	}

	if r.itemsPath != "" {
		if arr, ok := r.items(root); ok {
			return r.extractItems(req, arr, deliveryID)
		}
	}
	u := r.readUpdate(whole)
	if u.Err != nil {
		return Extraction{}, u.Err
	}
	u.EventID = deliveryID
	return extractionOf(u), nil
}

// body parses the body, or stands an empty object in for an empty body whose
// status the request itself carries, or reads a form-encoded body as a flat
// object of its fields.
func (r resolved) body(in Input) (gjson.Result, error) {
	// The nesting bound comes before anything else reads the body:
	// gjson.ValidBytes (here and in formObject) recurses once per level.
	if err := checkNesting(in.Body); err != nil {
		return gjson.Result{}, err
	}
	if form, ok := formObject(in); ok {
		return form, nil
	}
	if len(bytes.TrimSpace(in.Body)) == 0 {
		s := scope{req: request{header: in.Header, query: in.Query}}
		for _, p := range r.statusPathsFor(false) {
			if (strings.HasPrefix(p, queryPrefix) || strings.HasPrefix(p, headerPrefix)) && scalarText(s.value(p)) != "" {
				return gjson.Parse("{}"), nil
			}
		}
	}
	return parseJSON(in.Body)
}

// formObject reads a body sent as application/x-www-form-urlencoded (some
// senders' webhook option, Datadog's encode_as_form, UptimeRobot's POST
// values) as a JSON object of its fields, the first value of each, so body
// paths name form fields. A body that is valid JSON is read as JSON whatever
// its Content-Type says.
func formObject(in Input) (gjson.Result, bool) {
	mt, _, err := mime.ParseMediaType(in.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" || len(bytes.TrimSpace(in.Body)) == 0 || gjson.ValidBytes(in.Body) {
		return gjson.Result{}, false
	}
	vals, err := url.ParseQuery(string(in.Body))
	if err != nil || len(vals) == 0 {
		return gjson.Result{}, false
	}
	fields := make(map[string]string, len(vals))
	for k, vs := range vals {
		fields[k] = vs[0]
	}
	// Marshalling a map of strings cannot fail; invalid UTF-8 becomes U+FFFD.
	b, err := json.Marshal(fields)
	if err != nil {
		return gjson.Result{}, false
	}
	return gjson.ParseBytes(b), true
}

// items finds the items array; ok is false when the path holds no array.
func (r resolved) items(root gjson.Result) ([]gjson.Result, bool) {
	v := root
	if r.itemsPath != "#" && r.itemsPath != "@this" {
		v = root.Get(r.itemsPath)
	}
	if !v.IsArray() {
		return nil, false
	}
	return v.Array(), true
}

// extractItems reads every element as its own update.
func (r resolved) extractItems(req request, arr []gjson.Result, deliveryID string) (Extraction, error) {
	if len(arr) == 0 {
		return Extraction{EventID: deliveryID, Ignore: true, IgnoreReason: emptyItemsReason,
			EventTime: r.eventTime(scope{req: req, base: req.root})}, nil
	}
	items := make([]Update, len(arr))
	best, firstIgnored := -1, -1
	for i, el := range arr {
		s := scope{req: req, base: el, item: true}
		u := r.readUpdate(s)
		u.EventID = r.itemEventID(s, deliveryID, i)
		items[i] = u
		switch {
		case u.Err != nil:
		case u.Ignore:
			if firstIgnored < 0 {
				firstIgnored = i
			}
		case best < 0 || u.Status.Severity() > items[best].Status.Severity():
			best = i
		}
	}
	if best < 0 {
		best = firstIgnored
	}
	if best < 0 {
		return Extraction{Items: items}, items[0].Err
	}
	x := extractionOf(items[best])
	x.EventID = deliveryID
	x.Items = items
	return x, nil
}

func extractionOf(u Update) Extraction {
	return Extraction{
		RawStatus: u.RawStatus, Status: u.Status, Message: u.Message, ServiceName: u.ServiceName,
		EventID: u.EventID, EventTime: u.EventTime, Ignore: u.Ignore, IgnoreReason: u.IgnoreReason,
		CorrelationKey: u.CorrelationKey, ServiceFromCorrelation: u.ServiceFromCorrelation,
	}
}

// readUpdate reads status, message, service, time and correlation key in one
// scope: the whole body, or one item.
func (r resolved) readUpdate(s scope) Update {
	c, err := r.pickStatus(s, r.statusPathsFor(s.item))
	if err != nil {
		return Update{Err: err}
	}
	u := Update{RawStatus: c.raw, Status: c.status, Ignore: c.ignore, IgnoreReason: c.reason}
	u.EventTime = r.eventTime(s)
	u.Message = s.related(r.withQuery(r.messagePaths, queryMessage, s.item), c)
	u.CorrelationKey = s.firstText(r.correlationPaths)
	if len(r.servicePaths) > 0 {
		u.ServiceName = s.related(r.withQuery(r.servicePaths, queryService, s.item), c)
		if u.ServiceName == "" && !u.Ignore {
			if u.CorrelationKey == "" {
				return Update{Err: fmt.Errorf("%w: no value at %s", ErrServiceNameMissing, quotePaths(r.servicePaths))}
			}
			u.ServiceFromCorrelation = true
		}
	}
	return u
}

// statusPathsFor is the status path list, with the query fallback for a
// whole-body read.
func (r resolved) statusPathsFor(item bool) []string {
	return r.withQuery(r.statusPaths, queryStatus, item)
}

// withQuery appends the query parameter every receiver reads last; an item
// does not read it (the query belongs to the delivery, not to each item).
func (r resolved) withQuery(paths []string, q string, item bool) []string {
	if item {
		return paths
	}
	out := make([]string, 0, len(paths)+1)
	return append(append(out, paths...), q)
}

func (r resolved) eventTime(s scope) time.Time {
	for _, p := range r.withQuery(r.timePaths, queryTimestamp, s.item) {
		if t := parseEventTime(s.value(p)); !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

func quotePaths(paths []string) string {
	q := make([]string, len(paths))
	for i, p := range paths {
		q[i] = strconv.Quote(p)
	}
	return strings.Join(q, ", ")
}

// request is what a path can read from: the parsed body, headers and query.
type request struct {
	root   gjson.Result
	header http.Header
	query  url.Values
}

// scope is where unprefixed paths are read: the whole body, or one item.
type scope struct {
	req  request
	base gjson.Result
	item bool
}

// split resolves a path's source prefix: for a body path, the document it
// reads (the whole body for root:, else the scope's base) and the gjson path
// inside it, with isBody true; for header: and query:, the value itself as a
// string result, with isBody false.
func (s scope) split(path string) (doc gjson.Result, rest string, direct gjson.Result, isBody bool) {
	switch {
	case path == "":
		return gjson.Result{}, "", gjson.Result{}, false
	case strings.HasPrefix(path, headerPrefix):
		return gjson.Result{}, "", requestValue(s.req.header.Values(path[len(headerPrefix):])), false
	case strings.HasPrefix(path, queryPrefix):
		return gjson.Result{}, "", requestValue(s.req.query[path[len(queryPrefix):]]), false
	case strings.HasPrefix(path, rootPrefix):
		return s.req.root, path[len(rootPrefix):], gjson.Result{}, true
	}
	return s.base, path, gjson.Result{}, true
}

// value reads one path as a single result.
func (s scope) value(path string) gjson.Result {
	doc, rest, direct, isBody := s.split(path)
	if !isBody {
		return direct
	}
	return doc.Get(rest)
}

// firstText is the text of the first path that holds a scalar.
func (s scope) firstText(paths []string) string {
	for _, p := range paths {
		if v := scalarText(s.value(p)); v != "" {
			return v
		}
	}
	return ""
}

// requestValue turns a header's or query parameter's first value into a
// string result; absent is the empty result.
func requestValue(vs []string) gjson.Result {
	if len(vs) == 0 {
		return gjson.Result{}
	}
	return gjson.Result{Type: gjson.String, Str: vs[0], Raw: strconv.Quote(vs[0])}
}

// parseJSON validates before anything reads the body, and parses it once. The
// caller has bounded the nesting already (checkNesting).
func parseJSON(body []byte) (gjson.Result, error) {
	if len(body) == 0 {
		return gjson.Result{}, fmt.Errorf("%w: body is empty", ErrInvalidJSON)
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
	path   string       // the status path it was found at
	pos    int          // position in an array result, -1 for a scalar
	elem   gjson.Result // the array element holding it, for "prefix.#." paths
	hasEl  bool
}

// pickStatus finds and maps the status value of the first status path that
// holds one, or the worst of several at that path.
func (r resolved) pickStatus(s scope, paths []string) (candidate, error) {
	var firstMiss error
	for _, path := range paths {
		found, miss := s.candidates(path)
		if len(found) == 0 {
			if firstMiss == nil {
				firstMiss = miss
			}
			continue
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
	if firstMiss == nil {
		firstMiss = fmt.Errorf("%w: no status path", ErrStatusMissing)
	}
	return candidate{}, firstMiss
}

// candidates lists the status values at one path, or says why there are
// none.
func (s scope) candidates(path string) ([]candidate, error) {
	doc, rest, direct, isBody := s.split(path)
	var found []candidate
	if !isBody {
		found = appendCandidate(found, direct, -1, gjson.Result{}, false)
		for i := range found {
			found[i].path = path
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("%w: no value at %q", ErrStatusMissing, path)
		}
		return found, nil
	}
	if prefix, suffix, ok := splitHash(rest); ok {
		arr := doc
		if prefix != "" {
			arr = doc.Get(prefix)
		}
		if !arr.IsArray() {
			return nil, fmt.Errorf("%w: no array at %q", ErrStatusMissing, path)
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
		v := doc.Get(rest)
		switch {
		case !v.Exists() || v.Type == gjson.Null:
			return nil, fmt.Errorf("%w: no value at %q", ErrStatusMissing, path)
		case v.IsArray() && isQuery(rest):
			// A gjson query such as alerts.#(status=="firing")#.labels.severity
			// yields an array by design: the worst element wins, as for "#".
			for i, el := range v.Array() {
				found = appendCandidate(found, el, i, gjson.Result{}, false)
			}
		case v.IsObject(), v.IsArray():
			// ["down"] at a plain path is not a status, and reading an element
			// would guess which one the sender meant.
			return nil, shapeError(path, v)
		default:
			found = appendCandidate(found, v, -1, gjson.Result{}, false)
			if len(found) == 0 {
				return nil, fmt.Errorf("%w: empty value at %q", ErrStatusMissing, path)
			}
		}
	}
	if len(found) == 0 {
		return nil, fmt.Errorf("%w: no status in the array at %q", ErrStatusMissing, path)
	}
	for i := range found {
		found[i].path = path
	}
	return found, nil
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
		switch {
		case st == Ignored:
			c.ignore, c.reason = true, ReasonIgnoredValue
		case !st.Valid():
			return &ValidationError{Field: "status_mapping." + key, Message: fmt.Sprintf("%q is not one of operational, degraded, down, maintenance, ignore", string(st))}
		default:
			c.status = st
		}
		return nil
	}
	if reason, ok := r.preset.IgnoreStatuses[norm]; ok {
		c.ignore, c.reason = true, reason
		return nil
	}
	if st, ok := r.preset.StatusMapping[norm]; ok {
		if st == Ignored {
			c.ignore, c.reason = true, ReasonIgnoredValue
			return nil
		}
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
// status value: the first path of the list that holds one.
func (s scope) related(paths []string, c candidate) string {
	for _, p := range paths {
		if v := s.relatedOne(p, c); v != "" {
			return v
		}
	}
	return ""
}

func (s scope) relatedOne(path string, c candidate) string {
	doc, rest, direct, isBody := s.split(path)
	if !isBody {
		return scalarText(direct)
	}
	if c.hasEl && sameDoc(path, c.path) {
		_, statusRest, _, _ := s.split(c.path)
		sp, _, _ := splitHash(statusRest)
		if p, suffix, ok := splitHash(rest); ok && p == sp {
			return scalarText(c.elem.Get(suffix))
		}
	}
	v := doc.Get(rest)
	if v.IsArray() {
		if c.pos < 0 || !sameDoc(path, c.path) {
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

// sameDoc reports whether two body paths read the same document (both
// root:, or both relative), so array positions may be paired.
func sameDoc(a, b string) bool {
	return strings.HasPrefix(a, rootPrefix) == strings.HasPrefix(b, rootPrefix)
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
// on how the sender re-serializes the body between retries. It is the
// delivery's id, read on the whole body.
func (r resolved) eventID(s scope) string {
	if r.eventIDHeader != "" {
		if v := strings.TrimSpace(s.req.header.Get(r.eventIDHeader)); v != "" {
			return v
		}
	}
	if id := joinedID(s, r.eventIDPaths); id != "" {
		return id
	}
	return scalarText(s.value(queryEventID))
}

// joinedID joins the values of all paths with ":"; any absent part means no
// id, so a partial id can never collide with another event's.
func joinedID(s scope, paths []string) string {
	if len(paths) == 0 {
		return ""
	}
	parts := make([]string, 0, len(paths))
	for _, p := range paths {
		v := scalarText(s.value(p))
		if v == "" {
			return ""
		}
		parts = append(parts, v)
	}
	return strings.Join(parts, ":")
}

// itemEventID is an item's own id: the delivery's id joined with the item's
// id paths when the preset names them, else with the item's position (a
// retry repeats the body, so the position is stable across retries).
func (r resolved) itemEventID(s scope, deliveryID string, i int) string {
	if len(r.itemEventIDPaths) > 0 {
		own := joinedID(s, r.itemEventIDPaths)
		switch {
		case own == "":
			return ""
		case deliveryID == "":
			return own
		}
		return deliveryID + ":" + own
	}
	if deliveryID == "" {
		return ""
	}
	return deliveryID + ":" + strconv.Itoa(i)
}

// ignored reports whether a preset's header or body condition says this
// delivery carries no status.
func (p Preset) ignored(s scope) (string, bool) {
	for _, rule := range p.Ignore {
		path := rule.Field
		if rule.Header != "" {
			path = headerPrefix + rule.Header
		}
		v := s.value(path)
		present := v.Exists() && v.Type != gjson.Null
		if rule.Missing {
			if !present {
				return rule.Reason, true
			}
			continue
		}
		if !present {
			continue
		}
		norm := normalizeWord(scalarText(v))
		switch {
		case len(rule.Values) > 0:
			for _, want := range rule.Values {
				if norm == want {
					return rule.Reason, true
				}
			}
		case len(rule.Unless) > 0:
			known := false
			for _, want := range rule.Unless {
				if norm == want {
					known = true
					break
				}
			}
			if !known {
				return rule.Reason, true
			}
		default:
			return rule.Reason, true
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

// looseTime is the date-time text senders really send: "T" or a space
// between date and time, any number of fraction digits, and a zone that is
// "Z", "+hh:mm", "+hhmm", "+hh" or absent (UTC).
var looseTime = regexp.MustCompile(`^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:[.,](\d+))?\s*(?:([Zz])|([+-])(\d{2}):?(\d{2})?)?$`)

// unixText is a unix time as text: digits, optionally with a fraction.
var unixText = regexp.MustCompile(`^\d+(?:\.\d+)?$`)

// parseEventTime reads date-time text (see looseTime) or unix seconds or
// milliseconds (number or digit string); anything else gives the zero time.
func parseEventTime(v gjson.Result) time.Time {
	var t time.Time
	switch v.Type {
	case gjson.String:
		s := strings.TrimSpace(v.Str)
		if parsed, err := time.Parse(time.RFC3339Nano, s); err == nil {
			t = parsed
		} else if parsed, ok := parseLooseTime(s); ok {
			t = parsed
		} else if unixText.MatchString(s) {
			if f, err := strconv.ParseFloat(s, 64); err == nil {
				t = unixTime(f)
			}
		}
	case gjson.Number:
		t = unixTime(v.Num)
	}
	if t.Before(minEventTime) || t.After(maxEventTime) {
		return time.Time{}
	}
	return t.UTC()
}

func parseLooseTime(s string) (time.Time, bool) {
	m := looseTime.FindStringSubmatch(s)
	if m == nil {
		return time.Time{}, false
	}
	var b strings.Builder
	b.WriteString(m[1] + "T" + m[2])
	if frac := m[3]; frac != "" {
		if len(frac) > 9 {
			frac = frac[:9]
		}
		b.WriteString("." + frac)
	}
	switch {
	case m[5] != "":
		mins := m[7]
		if mins == "" {
			mins = "00"
		}
		b.WriteString(m[5] + m[6] + ":" + mins)
	default:
		b.WriteString("Z")
	}
	t, err := time.Parse(time.RFC3339Nano, b.String())
	if err != nil {
		return time.Time{}, false
	}
	return t, true
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

// isDigits reports whether s is a non-empty run of ASCII digits.
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

// isQuery reports whether a gjson path uses query or modifier syntax, whose
// result may be an array by design, rather than naming one value.
func isQuery(path string) bool {
	return strings.ContainsAny(path, "#*?|@")
}
