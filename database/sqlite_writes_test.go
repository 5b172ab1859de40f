package database_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/dbtest"
)

// WriteCount is what lets a cache trust a row it read: it must move with every row
// written to the table, whatever wrote it, and with nothing else.
func TestWriteCountCountsEveryRowWrittenToTheTable(t *testing.T) {
	db := dbtest.Open(t, database.SQLite)
	ctx := context.Background()
	exec := func(sql string, args ...any) {
		t.Helper()
		if err := db.Conn(ctx).Exec(sql, args...).Error; err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	count := func() uint64 {
		t.Helper()
		n, ok := db.WriteCount("services")
		if !ok {
			t.Fatal("WriteCount on SQLite: not counted")
		}
		return n
	}
	org, now := uuid.New(), time.Now().UTC()
	exec("INSERT INTO organizations (id, slug, name, created_at) VALUES (?, ?, ?, ?)", org, "acme", "Acme", now)
	start := count()
	insertService := func(name string) uuid.UUID {
		id := uuid.New()
		exec(`INSERT INTO services (id, org_id, name, name_key, status, status_changed_at, created_at, updated_at)
			VALUES (?, ?, ?, ?, 'operational', ?, ?, ?)`, id, org, name, name, now, now, now)
		return id
	}
	a := insertService("a")
	insertService("b")
	if got := count(); got != start+2 {
		t.Fatalf("after two INSERTs: %d, want %d", got, start+2)
	}
	exec("UPDATE services SET description = 'x'")
	if got := count(); got != start+4 {
		t.Fatalf("after an UPDATE of two rows: %d, want %d", got, start+4)
	}
	exec("UPDATE organizations SET name = 'Acme Corp' WHERE id = ?", org)
	exec("UPDATE services SET description = 'y' WHERE id = ?", uuid.New()) // no row
	if got := count(); got != start+4 {
		t.Fatalf("after writes to no service row: %d, want %d", got, start+4)
	}
	errRollback := context.Canceled
	_ = db.InTx(ctx, func(ctx context.Context) error {
		_ = db.Conn(ctx).Exec("DELETE FROM services WHERE id = ?", a).Error
		return errRollback
	})
	if got := count(); got != start+5 {
		t.Fatalf("after a DELETE that rolled back: %d, want %d (it was written, then undone)", got, start+5)
	}
	exec("DELETE FROM organizations WHERE id = ?", org) // cascades to both services
	if got := count(); got != start+7 {
		t.Fatalf("after a cascading DELETE: %d, want %d", got, start+7)
	}
}

// On PostgreSQL other instances write too: there is no count to trust.
func TestWriteCountOnPostgresIsNotCounted(t *testing.T) {
	db := dbtest.Open(t, database.Postgres)
	if _, ok := db.WriteCount("services"); ok {
		t.Fatal("WriteCount on PostgreSQL claims to count every write")
	}
}
