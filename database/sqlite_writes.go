package database

import (
	"sync"
	"sync/atomic"

	"modernc.org/sqlite"
)

// tableWrites counts, per table, the rows that this store's SQLite connection has
// inserted, updated or deleted, so that a cache of rows can tell that nothing it
// holds can have changed, without reading it again. SQLite's writer is this process
// alone (lockSQLite), so the count sees every write of a running gateway; it comes
// from SQLite's pre-update hook, which fires for every row change a statement makes,
// foreign key cascades included, whatever the SQL that caused it.
//
// A table is counted from the first WriteCount that names it: a cache reads the count
// before the rows it keeps, so writes before that do not matter to it.
type tableWrites struct {
	counts sync.Map // table name → *atomic.Uint64
}

func (t *tableWrites) count(table string) uint64 {
	c, ok := t.counts.Load(table)
	if !ok {
		c, _ = t.counts.LoadOrStore(table, new(atomic.Uint64))
	}
	return c.(*atomic.Uint64).Load()
}

// hook is the pre-update hook of each connection the store opens.
func (t *tableWrites) hook(d sqlite.SQLitePreUpdateData) {
	if c, ok := t.counts.Load(d.TableName); ok {
		c.(*atomic.Uint64).Add(1)
	}
}

// preUpdateHooker is the driver connection's registration of a pre-update hook.
type preUpdateHooker interface {
	RegisterPreUpdateHook(sqlite.PreUpdateHookFn)
}

// WriteCount returns how many rows of table this store has written (inserted,
// updated, deleted) since table was first asked about, and true, on SQLite; on
// PostgreSQL, where other instances write too, it returns false.
//
// It is for a cache of rows read inside a transaction: a row read while the count
// was n is still the committed row as long as the count is n. Keep a row only once
// its transaction has committed (AfterCommit): a count taken inside a transaction
// that rolls back says nothing of what the rollback undid. Writes through another
// process sharing the file (Options.SharedFile) are not counted; a gateway's own
// writes are.
func (db *DB) WriteCount(table string) (uint64, bool) {
	if db.writes == nil {
		return 0, false
	}
	return db.writes.count(table), true
}
