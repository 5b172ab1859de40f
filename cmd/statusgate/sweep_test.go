package main

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// A sweeper sweeps before its first tick (a gateway that was down catches up on
// start), goes on after a failed pass, logs what a pass did, and returns once its
// context is done, so shutdown never waits for a tick.
func TestSweeperSweepsAtOnceSurvivesFailuresAndStops(t *testing.T) {
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, nil))
	passes := make(chan int, 8)
	n := 0
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		runSweeps(ctx, 10*time.Millisecond, logger, func(context.Context) ([]slog.Attr, error) {
			n++
			passes <- n
			if n == 1 {
				return nil, errors.New("database away")
			}
			return counts("opened", 2, "resolved", 0), nil
		})
	}()
	select {
	case <-passes: // the first pass, long before an hour-long tick would come
	case <-time.After(5 * time.Second):
		t.Fatal("no sweep before the first tick")
	}
	select {
	case <-passes: // the next tick, after a failed pass
	case <-time.After(5 * time.Second):
		t.Fatal("the sweeper stopped after a failed pass")
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the sweeper did not return once its context was done")
	}
	out := logs.String()
	if !strings.Contains(out, `msg="sweep failed" err="database away"`) || !strings.Contains(out, "opened=2") || strings.Contains(out, "resolved=") {
		t.Fatalf("sweeper log:\n%s\nwant the failure, opened=2, and no zero count", out)
	}
}
