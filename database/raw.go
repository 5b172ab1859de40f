package database

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"sync"
)

// Exec and QueryRow run one statement on the transaction ctx carries (or the pool)
// without gorm: no statement building, no callbacks, no reflection over a model. The
// inbound path's few statements per delivery run through them; gorm's work around
// each was as much CPU as SQLite's. Write placeholders as "?"; PostgreSQL gets them
// numbered. Arguments and scan targets are what database/sql takes, as with gorm's
// Raw, so a value is stored the same way whichever path wrote it.

// Both run under the context of the transaction ctx carries, as gorm's statements
// do: inside a group commit that is the batch's, whose deadline bounds them, not
// the caller's (which the batch detaches from cancellation).

// Exec runs a statement that returns no rows.
func (db *DB) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	c := db.Conn(ctx)
	return c.Statement.ConnPool.ExecContext(c.Statement.Context, db.rebind(query), args...)
}

// QueryRow runs a statement that returns at most one row; Scan reports
// sql.ErrNoRows when it returned none.
func (db *DB) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	c := db.Conn(ctx)
	return c.Statement.ConnPool.QueryRowContext(c.Statement.Context, db.rebind(query), args...)
}

// rebound caches each query's PostgreSQL form: the texts are few and constant.
var rebound sync.Map // string → string

// rebind numbers the "?" placeholders of query for PostgreSQL ($1, $2, ...). The
// queries it serves hold no "?" inside a string literal.
func (db *DB) rebind(query string) string {
	if db.dialect != Postgres {
		return query
	}
	if q, ok := rebound.Load(query); ok {
		return q.(string)
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	rebound.Store(query, b.String())
	return b.String()
}
