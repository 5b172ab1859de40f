package mapping

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
)

// MaxNestingDepth is how deeply arrays and objects may nest in a body. No
// sender we know goes past 8; gjson validates and reads by recursion, one
// stack frame per level, so an unbounded depth lets a 1 MiB body of "[[[["
// cost seconds of CPU and hundreds of megabytes of stack, and a larger one
// exhaust the goroutine stack, which kills the process. 64 is far above any
// real payload and keeps the worst case a few kilobytes of stack.
const MaxNestingDepth = 64

// ErrDuplicateKey: an object on the way to a path the receiver reads names the
// same key twice. JSON libraries disagree on which value wins (gjson takes the
// first, most others the last), so reading either would be a guess about what the
// sender meant. It wraps ErrInvalidJSON: HTTP 400 invalid_json.
var ErrDuplicateKey = fmt.Errorf("%w: duplicate key", ErrInvalidJSON)

// checkNesting refuses a body nested deeper than MaxNestingDepth. It is one pass
// over the bytes with a counter, no recursion and no allocation, so it is safe to
// run on any body before anything else reads it. Brackets inside strings
// (escapes included) do not count; whether the brackets balance is left to
// gjson.ValidBytes, which runs next and, after this, recurses at most
// MaxNestingDepth levels.
func checkNesting(body []byte) error {
	depth := 0
	inString := false
	for i := 0; i < len(body); i++ {
		c := body[i]
		if inString {
			switch c {
			case '\\':
				i++ // the escaped byte cannot end the string
			case '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '[', '{':
			depth++
			if depth > MaxNestingDepth {
				return fmt.Errorf("%w: arrays and objects nest deeper than the limit of %d levels", ErrInvalidJSON, MaxNestingDepth)
			}
		case ']', '}':
			depth--
		}
	}
	return nil
}

// readPaths are the body paths a delivery reads with these rules.
func (r resolved) readPaths() []string {
	var paths []string
	perUpdate := [][]string{r.statusPaths, r.messagePaths, r.servicePaths, r.timePaths, r.correlationPaths}
	for _, list := range perUpdate {
		paths = append(paths, bodyPaths(list)...)
	}
	paths = append(paths, bodyPaths(r.eventIDPaths)...)
	for _, rule := range r.preset.Ignore {
		paths = append(paths, bodyPaths([]string{rule.Field})...)
	}
	if r.itemsPath != "" {
		// Inside items the same paths are read relative to each element.
		prefix := r.itemsPath + ".#."
		if r.itemsPath == "#" || r.itemsPath == "@this" {
			prefix = "#."
		}
		paths = append(paths, r.itemsPath)
		for _, list := range append(perUpdate, r.itemEventIDPaths) {
			for _, p := range list {
				if p == "" || strings.HasPrefix(p, headerPrefix) || strings.HasPrefix(p, queryPrefix) || strings.HasPrefix(p, rootPrefix) {
					continue
				}
				paths = append(paths, prefix+p)
			}
		}
	}
	return paths
}

// bodyPaths is the body paths among paths: header: and query: paths read no body,
// and root: reads the body from its top.
func bodyPaths(paths []string) []string {
	var out []string
	for _, p := range paths {
		switch {
		case p == "", strings.HasPrefix(p, headerPrefix), strings.HasPrefix(p, queryPrefix):
		case strings.HasPrefix(p, rootPrefix):
			out = append(out, strings.TrimPrefix(p, rootPrefix))
		default:
			out = append(out, p)
		}
	}
	return out
}

// checkDuplicateKeys refuses a body in which an object on the way to one of the
// paths has the key the path names more than once: {"status":"down",
// "status":"operational"} says two things, and we will not pick one. Keys are
// compared after unescaping, so "st\u0061tus" is "status". Duplicates elsewhere
// in the body are not our business: nothing reads them.
//
// Plain paths ("a.b.c", escaped dots, array indexes) and "#" over arrays are
// followed; a component with gjson's query or modifier syntax (*, ?, #(...), @,
// |) ends the check for that path, which then reads as gjson reads it.
func checkDuplicateKeys(root gjson.Result, paths []string) error {
	for _, p := range paths {
		if p == "" {
			continue
		}
		if err := walkUnique(root, splitPath(p), ""); err != nil {
			return err
		}
	}
	return nil
}

// walkUnique follows comps from v. The recursion is bounded by the path's length
// (and checkNesting bounds the body's depth), never by the body's size.
func walkUnique(v gjson.Result, comps []string, at string) error {
	if len(comps) == 0 {
		return nil
	}
	c, rest := comps[0], comps[1:]
	if c == "#" {
		if !v.IsArray() {
			return nil
		}
		var err error
		v.ForEach(func(_, el gjson.Result) bool {
			err = walkUnique(el, rest, join(at, "#"))
			return err == nil
		})
		return err
	}
	if strings.ContainsAny(c, "*?|@#()=!<>%") {
		return nil
	}
	key := unescapePath(c)
	here := join(at, c)
	switch {
	case v.IsObject():
		var next gjson.Result
		count := 0
		v.ForEach(func(k, val gjson.Result) bool {
			if k.String() == key {
				count++
				next = val
			}
			return count < 2
		})
		if count > 1 {
			return fmt.Errorf("%w: the key %q appears more than once at %q; senders' JSON libraries disagree on which one counts", ErrDuplicateKey, truncate(key, maxQuoted), truncate(here, maxQuoted))
		}
		if count == 1 {
			return walkUnique(next, rest, here)
		}
	case v.IsArray():
		n, err := strconv.Atoi(key)
		if err != nil || n < 0 {
			return nil
		}
		var el gjson.Result
		i := 0
		v.ForEach(func(_, val gjson.Result) bool {
			if i == n {
				el = val
				return false
			}
			i++
			return true
		})
		if el.Exists() {
			return walkUnique(el, rest, here)
		}
	}
	return nil
}

// splitPath splits a gjson path at its unescaped dots, keeping escapes in place.
func splitPath(p string) []string {
	var out []string
	start := 0
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '\\':
			i++
		case '.':
			out = append(out, p[start:i])
			start = i + 1
		}
	}
	return append(out, p[start:])
}

func unescapePath(c string) string {
	if !strings.Contains(c, `\`) {
		return c
	}
	var b strings.Builder
	for i := 0; i < len(c); i++ {
		if c[i] == '\\' && i+1 < len(c) {
			i++
		}
		b.WriteByte(c[i])
	}
	return b.String()
}

func join(at, c string) string {
	if at == "" {
		return c
	}
	return at + "." + c
}

// shapeError is the status value being an array or an object: a sender that
// wraps its one status in a list, or sends a structure where a word belongs.
// Reading an element would be a guess, so it maps to nothing, and the message
// says what was found.
func shapeError(path string, v gjson.Result) error {
	kind := "an object"
	if v.IsArray() {
		kind = "an array"
	}
	return &UnmappedError{Raw: truncate(v.Raw, maxQuoted), Found: fmt.Sprintf("the value at %q is %s, not a single status", truncate(path, maxQuoted), kind)}
}
