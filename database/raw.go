package database

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"sync"
)

// QueryRow runs one statement that returns at most one row on the transaction ctx
// carries (or the pool), without gorm: no statement building, no callbacks, no
// reflection over a model. Every delivery to a fixed service reads it through this;
// gorm's work around the statement was as much CPU as SQLite's. Write placeholders
// as "?"; PostgreSQL gets them numbered. Scan targets are what database/sql takes,
// as with gorm's Raw, and Scan reports sql.ErrNoRows when the statement returned
// none.
//
// It runs under the context of the transaction ctx carries, as gorm's statements
// do: inside a group commit that is the batch's, whose deadline bounds it, not the
// caller's (which the batch detaches from cancellation).
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
