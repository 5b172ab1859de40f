package main

import (
	"context"
	"log/slog"
	"time"
)

// logPruneEvery is how often the delivery logs that are due are pruned: the rows a
// busy receiver adds in a second are what its table holds beyond the kept ones.
const logPruneEvery = time.Second

// sweepFunc is one pass of a sweeper: it acts on whatever is due and says what it did
// (attributes for the log line; none when it did nothing).
type sweepFunc func(ctx context.Context) ([]slog.Attr, error)

// startSweeper runs sweep as one of the workers: at once, then every interval, until
// ctx is cancelled (Close waits for it). Sweeping at once means a gateway that was down
// catches up on start; a failed pass is logged and the next tick tries again, since
// what is due stays due until a pass acts on it.
func (m *Main) startSweeper(ctx context.Context, name string, every time.Duration, sweep sweepFunc) {
	m.workers.Add(1)
	go func() {
		defer m.workers.Done()
		runSweeps(ctx, every, m.logger.With(slog.String("sweeper", name)), sweep)
	}()
}

// runSweeps is startSweeper's loop.
func runSweeps(ctx context.Context, every time.Duration, logger *slog.Logger, sweep sweepFunc) {
	if every <= 0 {
		every = 5 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		did, err := sweep(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			logger.Error("sweep failed", slog.String("err", err.Error()))
		case len(did) > 0:
			logger.LogAttrs(ctx, slog.LevelInfo, "sweep", did...)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// counts turns name/count pairs into log attributes, leaving out zeros, so a pass that
// did nothing logs nothing.
func counts(pairs ...any) []slog.Attr {
	var out []slog.Attr
	for i := 0; i+1 < len(pairs); i += 2 {
		if n := pairs[i+1].(int); n > 0 {
			out = append(out, slog.Int(pairs[i].(string), n))
		}
	}
	return out
}
