package mapping

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// nest wraps inner in depth levels of open and close.
func nest(open, close, inner string, depth int) []byte {
	return []byte(strings.Repeat(open, depth) + inner + strings.Repeat(close, depth))
}

func TestExtractRefusesDeepNesting(t *testing.T) {
	t.Parallel()
	deepObject := `{"status":"down","x":` + string(nest(`{"a":`, `}`, `1`, MaxNestingDepth)) + `}`
	tests := []struct {
		name string
		body []byte
	}{
		{name: "arrays one past the limit", body: nest("[", "]", "", MaxNestingDepth+1)},
		{name: "objects past the limit beside a valid status", body: []byte(deepObject)},
		{name: "mixed arrays and objects", body: nest(`[{"a":`, `}]`, `"down"`, MaxNestingDepth)},
		{name: "an unclosed bomb", body: bytes.Repeat([]byte("["), 1<<20)},
		{name: "a bomb after a string full of brackets", body: append([]byte(`{"status":"[[{{\"]]","x":`), nest("[", "]", "", 100)...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Extract(Input{Body: tt.body}, Rules{})
			if !errors.Is(err, ErrInvalidJSON) {
				t.Fatalf("Extract error = %v; want ErrInvalidJSON", err)
			}
			if want := "deeper than the limit of 64 levels"; !strings.Contains(err.Error(), want) {
				t.Fatalf("Extract error = %q; want it to say %q", err, want)
			}
		})
	}
}

func TestExtractAcceptsNestingUpToTheLimit(t *testing.T) {
	t.Parallel()
	// The status object is level 1; 63 more levels beside it reach the limit exactly.
	body := `{"status":"down","x":` + string(nest("[", "]", "", MaxNestingDepth-1)) + `}`
	// Brackets and escaped quotes inside strings are not nesting.
	body = strings.Replace(body, `"down"`, `"down","note":"`+strings.Repeat(`[{\"`, 200)+`"`, 1)
	got, err := Extract(Input{Body: []byte(body)}, Rules{})
	if err != nil {
		t.Fatalf("Extract of a body nested exactly %d deep: %v", MaxNestingDepth, err)
	}
	if got.Status != Down {
		t.Fatalf("Status = %q; want down", got.Status)
	}
}

func TestExtractRefusesDuplicateKeysOnReadPaths(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		body    string
		rules   Rules
		wantKey string
	}{
		{name: "status twice", body: `{"status":"down","status":"operational"}`, wantKey: `the key "status" appears more than once at "status"`},
		{name: "status twice, once escaped", body: `{"status":"down","st\u0061tus":"operational"}`, wantKey: `"status"`},
		{name: "message twice", body: `{"status":"down","message":"a","message":"b"}`, wantKey: `"message"`},
		{name: "a parent object twice", body: `{"data":{"status":"down"},"data":{"status":"ok"}}`, rules: Rules{StatusField: "data.status"}, wantKey: `at "data"`},
		{name: "nested key twice", body: `{"data":{"status":"down","status":"ok"}}`, rules: Rules{StatusField: "data.status"}, wantKey: `at "data.status"`},
		{name: "inside an element of a hash path", body: `{"c":[{"s":"ok"},{"s":"down","s":"ok"}]}`, rules: Rules{StatusField: "c.#.s"}, wantKey: `at "c.#.s"`},
		{name: "service name twice", body: `{"status":"down","svc":"a","svc":"b"}`, rules: Rules{ServiceNameField: "svc"}, wantKey: `"svc"`},
		{name: "event id twice", body: `{"status":"down","id":"1","id":"2"}`, rules: Rules{EventIDField: "id"}, wantKey: `"id"`},
		{name: "timestamp twice", body: `{"status":"down","at":1,"at":2}`, rules: Rules{TimestampField: "at"}, wantKey: `"at"`},
		{name: "preset ignore field twice", body: `{"component_update":{"new_status":"operational"},"incident":1,"incident":2}`, rules: Rules{Preset: PresetStatuspage}, wantKey: `"incident"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Extract(Input{Body: []byte(tt.body)}, tt.rules)
			if !errors.Is(err, ErrDuplicateKey) || !errors.Is(err, ErrInvalidJSON) {
				t.Fatalf("Extract(%s) error = %v; want ErrDuplicateKey (an ErrInvalidJSON)", tt.body, err)
			}
			if !strings.Contains(err.Error(), tt.wantKey) {
				t.Fatalf("Extract(%s) error = %q; want it to name %s", tt.body, err, tt.wantKey)
			}
		})
	}
}

func TestExtractIgnoresDuplicatesNothingReads(t *testing.T) {
	t.Parallel()
	body := `{"status":"down","extra":1,"extra":2,"data":{"x":1,"x":2}}`
	got, err := Extract(Input{Body: []byte(body)}, Rules{})
	if err != nil || got.Status != Down {
		t.Fatalf("Extract(%s) = %+v, %v; want down: nothing reads the duplicated keys", body, got, err)
	}
}

func TestSplitPath(t *testing.T) {
	t.Parallel()
	got := strings.Join(splitPath(`a.b\.c.#.d`), "|")
	if want := `a|b\.c|#|d`; got != want {
		t.Fatalf("splitPath = %q; want %q", got, want)
	}
	body := `{"b.c":"down","b.c":"ok"}`
	if _, err := Extract(Input{Body: []byte(body)}, Rules{StatusField: `b\.c`}); !errors.Is(err, ErrDuplicateKey) {
		t.Fatalf("escaped-dot key twice: error = %v; want ErrDuplicateKey", err)
	}
}
