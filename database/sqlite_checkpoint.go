package database

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"modernc.org/sqlite"
)

// A checkpoint copies committed pages from the WAL into the database file and syncs
// it. SQLite runs one on the connection that commits when the WAL passes
// wal_autocheckpoint pages, so on the store's one writer: under load a checkpoint of
// 8000 pages held the writer, and every request in its batch and queued behind it,
// for 15-35 ms, every third of a second on the change path, which made the p99 of
// every SQLite path (docs/DECISIONS.md, Fast path).
//
// The checkpointer runs PASSIVE checkpoints on a connection of its own, shortly
// after commits. A passive checkpoint takes neither the writer's lock nor a
// reader's: it copies what is committed while the writer goes on appending, so it
// costs the writer nothing but the disk it shares. What the writer's own
// autocheckpoint finds left is the last few commits, and that one still matters:
// SQLite starts the WAL over only when everything in it has been copied at the start
// of a write, which a writer that commits back to back under load gives no other
// checkpoint the moment to bring about. So the WAL stays bounded as before, and the
// stall at its limit is a few commits' pages instead of thousands.
//
// Durability does not move: a commit is synced in the WAL before it is answered, and
// a checkpoint syncs the WAL before it copies and the database file after, as the
// writer's checkpoints do.

// checkpointAfter is how long the checkpointer lets commits gather after one
// before it copies them: one database sync for many commits' pages. Each sync
// shares the disk with the fsync every commit waits for: after 10 ms the
// unchanged path lost 8 % of its req/s (and the hot path's p99 was 20-25 ms),
// after 100 ms it lost nothing (and the hot path's p99 was 31 ms, from 36-40).
const checkpointAfter = 100 * time.Millisecond

// checkpointer is a SQLite store's background checkpoints.
type checkpointer struct {
	conn   *sql.DB // one connection, not the writer and not query_only
	logger *slog.Logger
	kick   chan struct{}
	stop   chan struct{}
	done   chan struct{}
	closed sync.Once
	err    error // close's
}

// startCheckpointer opens its connection to dsn's file and starts it.
func startCheckpointer(dsn string, logger *slog.Logger) *checkpointer {
	conn := sql.OpenDB(readerConnector{dsn: dsn, drv: &sqlite.Driver{}})
	conn.SetMaxOpenConns(1)
	conn.SetMaxIdleConns(1)
	c := &checkpointer{conn: conn, logger: logger, kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c
}

// committed tells the checkpointer the WAL has grown. It never blocks.
func (c *checkpointer) committed() {
	if c == nil {
		return
	}
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// run checkpoints checkpointAfter after it hears of a commit. A commit made while
// it waits or copies leaves word in kick, so the last commit is always copied; a
// write outside group commit and InTx, which does not tell it, is copied with the
// next commit's pages or by the writer's own checkpoint.
func (c *checkpointer) run() {
	defer close(c.done)
	for {
		select {
		case <-c.stop:
			return
		case <-c.kick:
		}
		select {
		case <-c.stop:
			return
		case <-time.After(checkpointAfter):
		}
		if err := c.checkpoint(context.Background()); err != nil {
			c.logger.Warn("database: background checkpoint", slog.Any("err", err))
		}
	}
}

// checkpoint copies what the WAL holds that is committed and not yet copied.
func (c *checkpointer) checkpoint(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	// busy is 1 when another checkpoint (the writer's) holds the checkpoint lock:
	// this one is skipped, and that one does the work.
	var busy, walFrames, copied int
	if err := c.conn.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &walFrames, &copied); err != nil {
		return fmt.Errorf("checkpointing the WAL: %w", err)
	}
	return nil
}

// close stops the checkpointer and closes its connection; again, it does nothing.
func (c *checkpointer) close() error {
	if c == nil {
		return nil
	}
	c.closed.Do(func() {
		close(c.stop)
		<-c.done
		c.err = c.conn.Close()
	})
	return c.err
}
