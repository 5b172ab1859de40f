package dbtest_test

import (
	"context"
	"testing"

	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/dbtest"
	"github.com/statusgate/statusgate/migrations"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// Each store comes up fully migrated and empty, and writes survive a transaction.
func TestForEachGivesMigratedEmptyDatabases(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		want, err := migrations.Latest(db.Dialect())
		if err != nil {
			t.Fatal(err)
		}
		var got int
		if err := db.SQL().QueryRowContext(ctx, "SELECT MAX(version) FROM schema_migrations").Scan(&got); err != nil {
			t.Fatalf("reading schema_migrations: %v", err)
		}
		if got != want {
			t.Fatalf("schema version = %d, want %d", got, want)
		}
		var orgs int
		if err := db.SQL().QueryRowContext(ctx, "SELECT COUNT(*) FROM organizations").Scan(&orgs); err != nil {
			t.Fatal(err)
		}
		if orgs != 0 {
			t.Fatalf("fresh database has %d organizations, want 0", orgs)
		}
	})
}
