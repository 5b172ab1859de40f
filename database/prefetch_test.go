package database_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"

	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/dbtest"
)

// recordingPrefetcher reads "v:<key>" for every key but "mine" (a key whose
// function must read for itself), fails when told to, and records each call's keys.
type recordingPrefetcher struct {
	db    *database.DB
	mu    sync.Mutex
	calls [][]any
	fail  error
}

func (p *recordingPrefetcher) Prefetch(ctx context.Context, keys []any) ([]any, error) {
	p.mu.Lock()
	p.calls = append(p.calls, keys)
	p.mu.Unlock()
	if !p.db.InTransaction(ctx) {
		return nil, errors.New("Prefetch ran outside the pass's transaction")
	}
	if p.fail != nil {
		return nil, p.fail
	}
	values := make([]any, len(keys))
	for i, k := range keys {
		if k != "mine" {
			values[i] = fmt.Sprintf("v:%s", k)
		}
	}
	return values, nil
}

// A batch's read ahead runs once, with its functions' keys in batch order, and each
// function gets its own value, until one function runs without a value: from then
// on the rest of the pass gets none, since that function may have changed what was
// read. A read ahead that fails fails every function of the batch, none of which ran.
func TestGroupCommitPrefetch(t *testing.T) {
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			db := openGrouped(t, d, database.GroupCommitOptions{Workers: 1, MaxBatch: 64})
			noop := func(context.Context) error { return nil }
			run := func(p *recordingPrefetcher, keys []string) ([]any, []error) {
				got := make([]any, len(keys))
				calls := make([]groupCall, len(keys))
				for i, k := range keys {
					ctx := context.Background()
					if k != "" { // "" is a function that asks for nothing
						ctx = database.WithPrefetch(ctx, p, k)
					}
					calls[i] = groupCall{ctx, func(ctx context.Context) error {
						got[i] = database.Prefetched(ctx)
						return nil
					}}
				}
				return got, batchOfCalls(t, db, nil, noop, calls)
			}

			p := &recordingPrefetcher{db: db}
			got, errs := run(p, []string{"a", "b", "", "c"})
			for i, err := range errs {
				if err != nil {
					t.Fatalf("caller %d: %v", i, err)
				}
			}
			if want := []any{"v:a", "v:b", nil, nil}; !reflect.DeepEqual(got, want) {
				t.Fatalf("values after a function without one = %v, want %v", got, want)
			}
			if want := [][]any{{"a", "b", "c"}}; !reflect.DeepEqual(p.calls, want) {
				t.Fatalf("Prefetch calls = %v, want one with the keys in batch order %v", p.calls, want)
			}

			p = &recordingPrefetcher{db: db}
			got, _ = run(p, []string{"a", "mine", "b"})
			if want := []any{"v:a", nil, nil}; !reflect.DeepEqual(got, want) {
				t.Fatalf("values after a function that reads its own = %v, want %v", got, want)
			}

			p = &recordingPrefetcher{db: db, fail: errors.New("no such table")}
			before := db.GroupCommitStats()
			got, errs = run(p, []string{"a", "", "b"})
			for i, err := range errs[1:] {
				if !errors.Is(err, p.fail) {
					t.Fatalf("caller %d after a failed read ahead: %v, want its error", i+1, err)
				}
			}
			if want := []any{nil, nil, nil}; !reflect.DeepEqual(got, want) {
				t.Fatalf("functions ran after a failed read ahead: %v", got)
			}
			if st := db.GroupCommitStats(); st.Failed != before.Failed+1 {
				t.Fatalf("failed batches %d → %d, want one more", before.Failed, st.Failed)
			}
		})
	}
}
