package receiver_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/dbtest"
)

// BenchmarkInbound measures one inbound delivery through the real HTTP handler, in
// process, on SQLite: token lookup, mapping, the transaction with the log row (and
// its pruning) and, when processed, the status change with its history row and post.
func BenchmarkInbound(b *testing.B) {
	cases := []struct {
		name   string
		bodies [][]byte
		status int
	}{
		{"processed-alternating", [][]byte{[]byte(`{"status":"down","message":"bench"}`), []byte(`{"status":"operational","message":"bench"}`)}, http.StatusOK},
		{"ignored-unchanged", [][]byte{[]byte(`{"status":"operational","message":"bench"}`)}, http.StatusOK},
		{"failed-unmapped", [][]byte{[]byte(`{"status":"purple","message":"bench"}`)}, http.StatusUnprocessableEntity},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			db := dbtest.Open(b, database.SQLite)
			f := newFixture(b, db, fixtureOptions{})
			_, r := f.fixedReceiver("Bench", nil)
			path := "/api/webhooks/incoming/" + r.Token
			b.ReportAllocs()
			b.ResetTimer()
			i := 0
			for b.Loop() {
				req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(c.bodies[i%len(c.bodies)]))
				req.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				f.srv.Echo.ServeHTTP(rec, req)
				if rec.Code != c.status {
					b.Fatalf("answer %d %s, want %d", rec.Code, rec.Body, c.status)
				}
				i++
			}
		})
	}
}
