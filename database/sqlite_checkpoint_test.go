package database_test

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/dbtest"
)

// openSQLiteFile opens a gateway's store at path, with a table of blobs to write.
func openSQLiteFile(t *testing.T, path string) *database.DB {
	t.Helper()
	db, err := database.Open(context.Background(), "sqlite://"+path, database.Options{Logger: dbtest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := db.Conn(context.Background()).Exec(`CREATE TABLE ck_rows (id INTEGER PRIMARY KEY, body BLOB NOT NULL)`).Error; err != nil {
		t.Fatal(err)
	}
	return db
}

// writeRows commits n rows of size bytes each, perCommit to a group commit.
func writeRows(t *testing.T, db *database.DB, first, n, perCommit, size int) {
	t.Helper()
	body := bytes.Repeat([]byte{'x'}, size)
	for i := 0; i < n; i += perCommit {
		err := db.InGroupTx(context.Background(), func(ctx context.Context) error {
			for k := i; k < min(i+perCommit, n); k++ {
				if _, err := db.Exec(ctx, `INSERT INTO ck_rows (id, body) VALUES (?, ?)`, first+k, body); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// rowsInFile counts ck_rows in a copy of the database file alone, without its WAL:
// what checkpoints have copied there. A copy taken mid-checkpoint may not open; it
// counts as nothing copied yet.
func rowsInFile(t *testing.T, path string) int {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	copyPath := filepath.Join(dir, "copy.db")
	if err := os.WriteFile(copyPath, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	plain, err := sql.Open("sqlite", "file:"+copyPath)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	var n int
	if err := plain.QueryRow(`SELECT count(*) FROM ck_rows`).Scan(&n); err != nil {
		return 0
	}
	return n
}

// Commits far below wal_autocheckpoint, which the writer would leave in the WAL,
// reach the database file shortly after they are made: the checkpointer copies them
// beside the writer.
func TestCommitsReachTheDatabaseFileWithoutTheWriter(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "store.db")
	db := openSQLiteFile(t, path)
	writeRows(t, db, 0, 50, 5, 100) // a few dozen frames: the writer's limit is 8000
	deadline := time.Now().Add(10 * time.Second)
	for rowsInFile(t, path) != 50 {
		if time.Now().After(deadline) {
			t.Fatalf("after 10 s the database file holds %d of 50 committed rows", rowsInFile(t, path))
		}
		time.Sleep(20 * time.Millisecond)
	}
	// And they are there for the store too, exactly once.
	if n := countRows(t, db, "ck_rows"); n != 50 {
		t.Fatalf("the store counts %d rows, want 50", n)
	}
}

// With checkpoints beside it, the writer still starts the WAL over: writing three
// times wal_autocheckpoint's worth of pages leaves a WAL no bigger than about one.
func TestWALStaysBoundedUnderBackgroundCheckpoints(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "store.db")
	db := openSQLiteFile(t, path)
	const pageSize, limit = 4096, 8000 // SQLite's default page, sqliteDSN's wal_autocheckpoint
	// Each row overflows into two pages: 24,000 pages of rows in 600 commits.
	writeRows(t, db, 0, 12000, 20, 2*pageSize-200)
	st, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	if max := int64(2 * limit * (pageSize + 24)); st.Size() > max {
		t.Fatalf("the WAL is %d bytes after 24,000 pages of commits; it starts over at %d pages (%d bytes), so at most %d", st.Size(), limit, limit*(pageSize+24), max)
	}
	if n := countRows(t, db, "ck_rows"); n != 12000 {
		t.Fatalf("the store counts %d rows, want 12000", n)
	}
}
