package migrations_test

import (
	"context"
	"sync"
	"testing"

	"github.com/statusgate/statusgate/dbtest"
	"github.com/statusgate/statusgate/migrations"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// Both dialects must carry the same steps under the same versions, or a database
// moved between stores would be at a version that means something else.
func TestDialectsListTheSameVersions(t *testing.T) {
	pg, err := migrations.List(migrations.Postgres)
	if err != nil {
		t.Fatal(err)
	}
	lite, err := migrations.List(migrations.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	if len(pg) == 0 || len(pg) != len(lite) {
		t.Fatalf("postgres has %d migrations, sqlite %d; want the same, non-zero", len(pg), len(lite))
	}
	for i := range pg {
		if pg[i].Version != lite[i].Version || pg[i].Name != lite[i].Name {
			t.Fatalf("migration %d: postgres %d_%s, sqlite %d_%s", i, pg[i].Version, pg[i].Name, lite[i].Version, lite[i].Name)
		}
		if pg[i].Version != i+1 {
			t.Fatalf("migration %d has version %d; versions must count up from 1 without gaps", i, pg[i].Version)
		}
	}
}

// Applying again, or from several instances at once, changes nothing and fails nothing.
func TestApplyIsIdempotentAndSafeConcurrently(t *testing.T) {
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			db := dbtest.Open(t, d) // already migrated once
			var wg sync.WaitGroup
			errs := make(chan error, 4)
			for i := 0; i < 4; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs <- migrations.Apply(context.Background(), db.SQL(), d, dbtest.Logger(t))
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatalf("re-applying: %v", err)
				}
			}
			want, _ := migrations.Latest(d)
			var n, max int
			if err := db.SQL().QueryRow("SELECT COUNT(*), MAX(version) FROM schema_migrations").Scan(&n, &max); err != nil {
				t.Fatal(err)
			}
			if n != want || max != want {
				t.Fatalf("schema_migrations has %d rows up to %d, want %d up to %d", n, max, want, want)
			}
		})
	}
}
