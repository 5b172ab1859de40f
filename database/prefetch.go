package database

import (
	"context"
	"fmt"
)

// A Prefetcher reads, once at the start of a group commit pass, what several of the
// pass's functions would each read first: one statement for the batch instead of
// one each, which on PostgreSQL is a round trip each (a delivery's receiver and
// service lock was most of an unchanged delivery's time in its batch).
//
// What a function gets from Prefetched must be what it would have read itself at
// its turn, so the pass hands it out only while that holds:
//   - Prefetch itself decides which keys to read: for a key whose rows an earlier
//     key of the batch covers, it returns nil, since that key's function may
//     write them before this one runs.
//   - A function that gets a value may write only the rows of its own key.
//   - Once a function of the pass has run without a value, the rest of the pass
//     gets none: it may have written anything.
type Prefetcher interface {
	// Prefetch reads for keys, in batch order, in the pass's transaction (ctx), and
	// returns one value per key: nil where that key's function must read for
	// itself. An error fails the pass, as a failed BEGIN does.
	Prefetch(ctx context.Context, keys []any) ([]any, error)
}

type prefetchKey struct{}

// prefetchRequest is what WithPrefetch puts in a function's context.
type prefetchRequest struct {
	p   Prefetcher
	key any
}

// WithPrefetch asks that the function handed to InGroupTx with the returned context
// get, from Prefetched, what p reads for key at the start of its pass.
func WithPrefetch(ctx context.Context, p Prefetcher, key any) context.Context {
	return context.WithValue(ctx, prefetchKey{}, prefetchRequest{p: p, key: key})
}

type prefetchedKey struct{}

// Prefetched returns what the pass read ahead for the function ctx belongs to, or
// nil: none was asked for, Prefetch gave none, or an earlier function may have
// changed it.
func Prefetched(ctx context.Context) any {
	return ctx.Value(prefetchedKey{})
}

// prefetch runs each Prefetcher the batch's functions named, once, with their keys
// in batch order, and returns the value for each function (nil for a function that
// asked for none; nil for all when none asked). Functions whose callers have left
// are skipped, as the pass skips them.
func prefetch(ctx context.Context, batch []*groupJob) ([]any, error) {
	// A batch names one Prefetcher, if any: a slice searched in turn beats a map.
	type reads struct {
		p    Prefetcher
		jobs []int
		keys []any
	}
	var all []reads // in the order first named: the statements run in it
	for i, j := range batch {
		if j.ahead.p == nil || j.ctx.Err() != nil {
			continue
		}
		n := 0
		for n < len(all) && all[n].p != j.ahead.p {
			n++
		}
		if n == len(all) {
			all = append(all, reads{p: j.ahead.p})
		}
		all[n].jobs, all[n].keys = append(all[n].jobs, i), append(all[n].keys, j.ahead.key)
	}
	if len(all) == 0 {
		return nil, nil
	}
	values := make([]any, len(batch))
	for _, r := range all {
		got, err := r.p.Prefetch(ctx, r.keys)
		if err != nil {
			return nil, err
		}
		if len(got) != len(r.keys) {
			return nil, fmt.Errorf("prefetch returned %d values for %d keys", len(got), len(r.keys))
		}
		for k, i := range r.jobs {
			values[i] = got[k]
		}
	}
	return values, nil
}
