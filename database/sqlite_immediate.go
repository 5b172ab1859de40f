package database

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"

	"modernc.org/sqlite"
)

// The SQLite driver glebarez/go-sqlite, which we used before modernc.org/sqlite,
// documented _txlock=immediate but stopped reading DSN options after _time_format,
// which we need, so every transaction began DEFERRED: it starts as a reader and fails with
// SQLITE_BUSY (or BUSY_SNAPSHOT, which the busy timeout does not retry) when it
// tries to write while another connection holds the write lock. Rather than depend
// on option order in a driver we do not control, every read-write transaction now
// begins with an explicit BEGIN IMMEDIATE: it takes the write lock up front, waits
// for it under busy_timeout, and can never fail half-way upgrading.

// immediateConnector opens driver connections whose transactions begin IMMEDIATE.
type immediateConnector struct {
	dsn    string
	drv    driver.Driver
	writes *tableWrites
}

func (c immediateConnector) Connect(context.Context) (driver.Conn, error) {
	inner, err := openSQLiteConn(c.drv, c.dsn)
	if err != nil {
		return nil, err
	}
	hooker, ok := inner.(preUpdateHooker)
	if !ok {
		_ = inner.Close()
		return nil, fmt.Errorf("sqlite driver connection %T has no pre-update hook", inner)
	}
	hooker.RegisterPreUpdateHook(c.writes.hook)
	return immediateConn{newStmtCachingConn(inner)}, nil
}

func (c immediateConnector) Driver() driver.Driver { return c.drv }

// openSQLiteConn opens one driver connection on dsn, with the methods the
// connectors need of it.
func openSQLiteConn(drv driver.Driver, dsn string) (sqliteConn, error) {
	conn, err := drv.Open(dsn)
	if err != nil {
		return nil, err
	}
	inner, ok := conn.(sqliteConn)
	if !ok {
		_ = conn.Close()
		return nil, fmt.Errorf("sqlite driver connection %T lacks the context methods", conn)
	}
	return inner, nil
}

// sqliteConn is what the driver's connection implements; immediateConn keeps all of
// it and replaces only how a transaction begins.
type sqliteConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter // so database/sql drops a connection the driver reports broken
	driver.Validator
}

type immediateConn struct{ sqliteConn }

func (c immediateConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

// BeginTx begins IMMEDIATE unless the transaction is read-only.
func (c immediateConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if opts.ReadOnly {
		return c.sqliteConn.BeginTx(ctx, opts)
	}
	if _, err := c.ExecContext(ctx, "BEGIN IMMEDIATE", nil); err != nil {
		return nil, err
	}
	return immediateTx{c.sqliteConn}, nil
}

type immediateTx struct{ conn sqliteConn }

// Commit and Rollback run without the caller's context, as database/sql expects:
// a rollback must happen even when the context that began the transaction is done.
// A COMMIT that fails leaves SQLite's transaction open, so it is rolled back before
// the connection goes back to the pool.
func (t immediateTx) Commit() error {
	if _, err := t.conn.ExecContext(context.Background(), "COMMIT", nil); err != nil {
		_ = t.Rollback()
		return err
	}
	return nil
}

func (t immediateTx) Rollback() error {
	_, err := t.conn.ExecContext(context.Background(), "ROLLBACK", nil)
	return err
}

// openSQLite opens a pool on dsn whose write transactions begin IMMEDIATE and whose
// row writes writes counts.
func openSQLite(dsn string, writes *tableWrites) *sql.DB {
	return sql.OpenDB(immediateConnector{dsn: dsn, drv: &sqlite.Driver{}, writes: writes})
}
