package services

import (
	"context"
	"sync"

	"github.com/google/uuid"

	"github.com/statusgate/statusgate/database"
)

// rowCache keeps the service rows lockRow read, each with the store's count of
// service row writes (database.WriteCount) when it was read. A row is handed out
// again, without a statement, only while that count has not moved: no service has
// been written since, by any statement of this process, so it is the row as
// committed. Every delivery to a fixed service reads its service under the lock, on
// SQLite inside the group commit's one writer, where that read was a sixth of the
// unchanged path's time; between status changes it is now a map lookup.
//
// Only SQLite keeps it: there this process is the only writer. On PostgreSQL other
// instances write, and the row lock the read takes is the point of it.
type rowCache struct {
	mu   sync.Mutex
	rows map[uuid.UUID]cachedRow
}

type cachedRow struct {
	row    serviceRow
	writes uint64
}

// maxCachedRows bounds the cache; past it, it starts again empty. A row costs about
// half a kilobyte.
const maxCachedRows = 20_000

// get returns the row of id kept while the write count was writes.
func (c *rowCache) get(id uuid.UUID, writes uint64) (serviceRow, bool) {
	c.mu.Lock()
	e, ok := c.rows[id]
	c.mu.Unlock()
	if !ok || e.writes != writes {
		return serviceRow{}, false
	}
	return e.row.clone(), true
}

// keepAfterCommit keeps row, read while the write count was writes, once the
// transaction ctx carries commits: a row read in one that rolls back may be one it
// wrote.
func (c *rowCache) keepAfterCommit(ctx context.Context, row serviceRow, writes uint64) {
	row = row.clone()
	database.AfterCommit(ctx, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.rows == nil || len(c.rows) >= maxCachedRows {
			c.rows = make(map[uuid.UUID]cachedRow)
		}
		c.rows[row.ID] = cachedRow{row: row, writes: writes}
	})
}

// clone copies what r points to, so no two holders of a row share a value.
func (r serviceRow) clone() serviceRow {
	r.StatusEventAt = clonePtr(r.StatusEventAt)
	r.UnderlyingStatus = clonePtr(r.UnderlyingStatus)
	r.SLATarget = clonePtr(r.SLATarget)
	return r
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
