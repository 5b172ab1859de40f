package mapping

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

// mustRead returns a testdata file's bytes exactly as stored.
func mustRead(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("read testdata/%s: %v", name, err)
	}
	return b
}

// header builds an http.Header from name/value pairs; Add canonicalizes the
// names as net/http does for a real request.
func header(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}
