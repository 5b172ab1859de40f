package receiver_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/dbtest"
)

// BenchmarkInbound measures one inbound delivery through the real HTTP handler, in
// process, on SQLite, one at a time: token lookup, mapping, the transaction with the
// log row (pruned one delivery in 16) and, when processed, the status change with its
// history row and post. One at a time, each delivery is a commit of its own.
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

// BenchmarkInboundParallel measures deliveries from 32 concurrent senders over 50
// receivers, each with its own service, on each store: what group commit shares.
// deliveries/commit is how many deliveries one commit held on average.
func BenchmarkInboundParallel(b *testing.B) {
	for _, d := range dbtest.Dialects {
		for _, c := range []struct {
			name   string
			bodies [][]byte
		}{
			{"ignored-unchanged", [][]byte{[]byte(`{"status":"operational"}`)}},
			{"processed-alternating", [][]byte{[]byte(`{"status":"down"}`), []byte(`{"status":"operational"}`)}},
		} {
			b.Run(string(d)+"/"+c.name, func(b *testing.B) {
				db := dbtest.Open(b, d)
				f := newFixture(b, db, fixtureOptions{})
				var paths []string
				for i := range 50 {
					_, r := f.fixedReceiver(fmt.Sprintf("Bench %d", i), nil)
					paths = append(paths, "/api/webhooks/incoming/"+r.Token)
				}
				var next atomic.Int64
				before := db.GroupCommitStats()
				b.SetParallelism(16) // 32 senders on 2 cores
				b.ReportAllocs()
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						i := next.Add(1)
						req := httptest.NewRequest(http.MethodPost, paths[i%int64(len(paths))], bytes.NewReader(c.bodies[(i/int64(len(paths)))%int64(len(c.bodies))]))
						req.Header.Set("Content-Type", "application/json")
						rec := httptest.NewRecorder()
						f.srv.Echo.ServeHTTP(rec, req)
						if rec.Code != http.StatusOK {
							b.Errorf("answer %d %s, want 200", rec.Code, rec.Body)
							return
						}
					}
				})
				b.StopTimer()
				after := db.GroupCommitStats()
				if n := after.Commits - before.Commits; n > 0 {
					b.ReportMetric(float64(after.Committed-before.Committed)/float64(n), "deliveries/commit")
				}
			})
		}
	}
}
