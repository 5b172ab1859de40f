package database

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
)

// The SQLite driver prepares a statement anew for every Exec and Query that is not
// run through an explicit Prepare, and gorm never prepares: parsing SQL was a third
// of a delivery's CPU. database/sql's own statement cache does not help either, as a
// statement first prepared inside a transaction is closed with it, and SQLite has a
// single connection, which a transaction holds. So the cache lives on the driver
// connection: the first Exec or Query of a text prepares it, later ones reuse it.
// database/sql never uses one driver connection from two goroutines at once, so the
// cache needs no lock.

// maxCachedStatements bounds the cache: gorm writes the same text for the same
// shape of query, but an IN list of n values is a text of its own for each n.
const maxCachedStatements = 256

// sqliteStmt is what a driver statement implements.
type sqliteStmt interface {
	driver.Stmt
	driver.StmtExecContext
	driver.StmtQueryContext
}

// cachedStmt is a prepared statement and whether rows it returned are still open:
// a statement that is stepping through rows cannot run again until they are closed.
type cachedStmt struct {
	stmt sqliteStmt
	busy bool
}

// stmtCachingConn keeps the statements it ran prepared, up to maxCachedStatements.
type stmtCachingConn struct {
	sqliteConn
	stmts map[string]*cachedStmt
}

func newStmtCachingConn(inner sqliteConn) *stmtCachingConn {
	return &stmtCachingConn{sqliteConn: inner, stmts: make(map[string]*cachedStmt)}
}

// statement returns the cached statement for query, preparing it on first use. It
// returns nil when that statement is busy with open rows.
func (c *stmtCachingConn) statement(ctx context.Context, query string) (*cachedStmt, error) {
	if cs, ok := c.stmts[query]; ok {
		if cs.busy {
			return nil, nil
		}
		return cs, nil
	}
	prepared, err := c.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	stmt, ok := prepared.(sqliteStmt)
	if !ok {
		_ = prepared.Close()
		return nil, fmt.Errorf("sqlite driver statement %T lacks the context methods", prepared)
	}
	if len(c.stmts) >= maxCachedStatements {
		c.evictOne()
	}
	cs := &cachedStmt{stmt: stmt}
	c.stmts[query] = cs
	return cs, nil
}

// evictOne closes one statement that is not in use. Which one matters little: the
// texts a gateway runs over and over are few, and come straight back.
func (c *stmtCachingConn) evictOne() {
	for query, cs := range c.stmts {
		if !cs.busy {
			_ = cs.stmt.Close()
			delete(c.stmts, query)
			return
		}
	}
}

// ExecContext runs query on its cached statement.
func (c *stmtCachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	cs, err := c.statement(ctx, query)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		return c.sqliteConn.ExecContext(ctx, query, args)
	}
	return cs.stmt.ExecContext(ctx, args)
}

// QueryContext runs query on its cached statement, which stays busy until the rows
// are closed; a second query of the same text meanwhile gets a statement of its own.
func (c *stmtCachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	cs, err := c.statement(ctx, query)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		return c.sqliteConn.QueryContext(ctx, query, args)
	}
	rows, err := cs.stmt.QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	full, ok := rows.(sqliteRows)
	if !ok {
		_ = rows.Close() // not run again: the statement may have written
		return nil, fmt.Errorf("sqlite driver rows %T lack the column type methods", rows)
	}
	cs.busy = true
	return &cachedRows{sqliteRows: full, stmt: cs}, nil
}

// Close finalizes the cached statements before the connection they belong to.
func (c *stmtCachingConn) Close() error {
	var errs []error
	for query, cs := range c.stmts {
		errs = append(errs, cs.stmt.Close())
		delete(c.stmts, query)
	}
	return errors.Join(append(errs, c.sqliteConn.Close())...)
}

// sqliteRows is what the driver's rows implement: the column types are what gorm's
// migrator reads, so the wrapper must not hide them.
type sqliteRows interface {
	driver.Rows
	driver.RowsColumnTypeDatabaseTypeName
	driver.RowsColumnTypeLength
	driver.RowsColumnTypeNullable
	driver.RowsColumnTypePrecisionScale
	driver.RowsColumnTypeScanType
}

// cachedRows frees its statement for the next query when closed.
type cachedRows struct {
	sqliteRows
	stmt *cachedStmt
}

func (r *cachedRows) Close() error {
	err := r.sqliteRows.Close()
	r.stmt.busy = false
	return err
}
