package database

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

func TestSecondOpenOfOneSQLiteFileIsRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "statusgate.db")
	first, err := Open(ctx, "sqlite://"+path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Open(ctx, "sqlite://"+path, Options{})
	if err == nil {
		_ = first.Close()
		t.Fatal("a second Open of the same SQLite file succeeded")
	}
	for _, want := range []string{path, "pid " + strconv.Itoa(os.Getpid()), "in use by another statusgate process"} {
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("second Open error = %q; want it to contain %q", err, want)
		}
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := Open(ctx, "sqlite://"+path, Options{})
	if err != nil {
		t.Fatalf("Open after the first store closed: %v", err)
	}
	_ = again.Close()
}

// Two stores on one file (what two processes would be, had the lock not stopped the
// second) contend with read-then-write transactions. Each begins IMMEDIATE, so each
// waits for the write lock under busy_timeout; a DEFERRED one would start as a
// reader and fail with SQLITE_BUSY when it tried to write, which the inbound path
// answers 503.
func TestTwoSQLiteStoresOnOneFileNeverSeeBusy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := "sqlite://" + filepath.Join(t.TempDir(), "statusgate.db")
	var dbs [2]*DB
	for i := range dbs {
		db, err := Open(ctx, url, Options{SharedFile: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		dbs[i] = db
	}
	if err := dbs[0].Conn(ctx).Exec(`CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)`).Error; err != nil {
		t.Fatal(err)
	}
	if err := dbs[0].Conn(ctx).Exec(`INSERT INTO counter (id, n) VALUES (1, 0)`).Error; err != nil {
		t.Fatal(err)
	}
	const perStore = 40
	var wg sync.WaitGroup
	errs := make(chan error, 2*perStore)
	for _, db := range dbs {
		for range perStore {
			wg.Go(func() {
				errs <- db.InTx(ctx, func(ctx context.Context) error {
					var n int
					if err := db.Conn(ctx).Raw(`SELECT n FROM counter WHERE id = 1`).Scan(&n).Error; err != nil {
						return err
					}
					return db.Conn(ctx).Exec(`UPDATE counter SET n = ? WHERE id = 1`, n+1).Error
				})
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("a transaction failed (unavailable = %v): %v", IsUnavailable(err), err)
		}
	}
	var n int
	if err := dbs[1].Conn(ctx).Raw(`SELECT n FROM counter WHERE id = 1`).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	if n != 2*perStore {
		t.Fatalf("counter = %d; want %d: a read-then-write lost an update", n, 2*perStore)
	}
}
