package database_test

import (
	"context"
	"testing"
	"time"

	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/dbtest"
)

// Reader reads what is committed while a write transaction is open, without waiting
// for it (on SQLite the transaction holds the one writer connection), and does not
// see what that transaction wrote until it commits.
func TestReaderReadsBesideAnOpenWrite(t *testing.T) {
	t.Parallel()
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			db := openGrouped(t, d, database.GroupCommitOptions{})
			ctx := context.Background()
			if err := db.Conn(ctx).Exec(`INSERT INTO gc_rows (id, caller) VALUES (1, 1)`).Error; err != nil {
				t.Fatal(err)
			}
			count := func(ctx context.Context) (int64, error) {
				var n int64
				err := db.Reader(ctx).Raw(`SELECT count(*) FROM gc_rows`).Scan(&n).Error
				return n, err
			}
			err := db.InTx(ctx, func(ctx context.Context) error {
				if err := db.Conn(ctx).Exec(`INSERT INTO gc_rows (id, caller) VALUES (2, 2)`).Error; err != nil {
					return err
				}
				// Bounded: a reader that needed the writer's connection would wait here
				// for the transaction that is waiting for it.
				readCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
				defer cancel()
				n, err := count(readCtx)
				if err != nil {
					t.Fatalf("reading beside an open write: %v", err)
				}
				if n != 1 {
					t.Fatalf("reader saw %d rows during the write, want the 1 committed", n)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if n, err := count(ctx); err != nil || n != 2 {
				t.Fatalf("reader after the commit saw %d rows (%v), want 2", n, err)
			}
			if d == database.SQLite {
				if err := db.Reader(ctx).Exec(`INSERT INTO gc_rows (id, caller) VALUES (3, 3)`).Error; err == nil {
					t.Fatal("a write through SQLite's reader succeeded; it must be read-only")
				}
				if n := countRows(t, db, "gc_rows"); n != 2 {
					t.Fatalf("%d rows after a refused write through the reader, want 2", n)
				}
			}
		})
	}
}
