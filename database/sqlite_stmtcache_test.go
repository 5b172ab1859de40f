package database_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/dbtest"
)

// SQLite statements are cached on the connection. What a cache could get wrong: a
// query run again while its own rows are still open, more texts than the cache
// holds, and a statement prepared before the schema changed.
func TestSQLiteStatementCache(t *testing.T) {
	t.Parallel()
	db := dbtest.Open(t, database.SQLite)
	ctx := context.Background()
	sqlDB := db.SQL()
	for _, q := range []string{
		`CREATE TABLE cache_rows (id INTEGER PRIMARY KEY, name TEXT NOT NULL)`,
		`INSERT INTO cache_rows (id, name) VALUES (1, 'one'), (2, 'two'), (3, 'three')`,
	} {
		if _, err := sqlDB.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	const byID = `SELECT name FROM cache_rows WHERE id >= ? ORDER BY id`

	// Nested: the outer rows stay open while the same text runs inside the loop.
	tx, err := sqlDB.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	outer, err := tx.QueryContext(ctx, byID, 1)
	if err != nil {
		t.Fatal(err)
	}
	var pairs []string
	for outer.Next() {
		var name string
		if err := outer.Scan(&name); err != nil {
			t.Fatal(err)
		}
		var inner string
		if err := tx.QueryRowContext(ctx, byID, 3).Scan(&inner); err != nil {
			t.Fatal(err)
		}
		pairs = append(pairs, name+"/"+inner)
	}
	if err := outer.Err(); err != nil {
		t.Fatal(err)
	}
	_ = outer.Close()
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(pairs); got != "[one/three two/three three/three]" {
		t.Fatalf("nested queries of one text read %s", got)
	}

	// More distinct texts than the cache holds, each answered right, twice over.
	for round := range 2 {
		for i := range 300 {
			var n int
			if err := sqlDB.QueryRowContext(ctx, fmt.Sprintf(`SELECT count(*) + %d FROM cache_rows`, i)).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != 3+i {
				t.Fatalf("round %d, text %d: got %d, want %d", round, i, n, 3+i)
			}
		}
	}

	// A cached SELECT * sees a column added after it was prepared.
	const all = `SELECT * FROM cache_rows WHERE id = ?`
	before, err := sqlDB.QueryContext(ctx, all, 1)
	if err != nil {
		t.Fatal(err)
	}
	_ = before.Close()
	if _, err := sqlDB.ExecContext(ctx, `ALTER TABLE cache_rows ADD COLUMN note TEXT NOT NULL DEFAULT 'added'`); err != nil {
		t.Fatal(err)
	}
	rows, err := sqlDB.QueryContext(ctx, all, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	if len(cols) != 3 {
		t.Fatalf("after ALTER TABLE the cached statement returns columns %v, want id, name, note", cols)
	}
}
