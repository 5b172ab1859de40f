package database

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"

	gormsqlite "github.com/libtnb/sqlite"
	"gorm.io/gorm"
	"modernc.org/sqlite"
)

// SQLite's store writes through one connection, and group commit's worker holds it
// for a batch at a time, so a read on it waits its turn behind the writes and holds
// up the next batch while it runs. In WAL mode a second connection reads a committed
// snapshot beside the writer without blocking it or being blocked; readerConns of
// them serve Reader.
const readerConns = 2

// readerConnector opens driver connections that can only read (query_only), with the
// writer's statement cache.
type readerConnector struct {
	dsn string
	drv driver.Driver
}

func (c readerConnector) Connect(context.Context) (driver.Conn, error) {
	inner, err := openSQLiteConn(c.drv, c.dsn)
	if err != nil {
		return nil, err
	}
	return newStmtCachingConn(inner), nil
}

func (c readerConnector) Driver() driver.Driver { return c.drv }

// openSQLiteReader opens the read-only pool beside the writer of dsn's file.
func openSQLiteReader(dsn string, cfg *gorm.Config) (*gorm.DB, error) {
	pool := sql.OpenDB(readerConnector{dsn: dsn + "&_pragma=query_only(1)", drv: &sqlite.Driver{}})
	pool.SetMaxOpenConns(readerConns)
	pool.SetMaxIdleConns(readerConns)
	g, err := gorm.Open(&gormsqlite.Dialector{Conn: pool}, cfg)
	if err != nil {
		_ = pool.Close()
		return nil, fmt.Errorf("opening SQLite's readers: %w", err)
	}
	return g, nil
}

// Reader returns a handle for a read that may see the store as of its last commit:
// what a transaction in flight wrote, its own included, it does not see. On SQLite
// it is a read-only connection beside the writer, so a long read in the background
// (what the delivery log prunes) neither waits for group commit nor holds it up; on
// PostgreSQL, whose connections all read beside each other, it is the pool. Inside a
// transaction it is still the reader, not the transaction: use Conn for reads whose
// result the transaction acts on under its locks.
func (db *DB) Reader(ctx context.Context) *gorm.DB {
	if db.reader != nil {
		return db.reader.WithContext(ctx)
	}
	return db.gorm.WithContext(ctx)
}
