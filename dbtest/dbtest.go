package dbtest

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/statusgate/statusgate/database"
)

// Dialects lists the stores every store test runs against.
var Dialects = []database.Dialect{database.SQLite, database.Postgres}

// Main runs a package's tests and then stops the PostgreSQL cluster, if one started.
// Call it from TestMain: func TestMain(m *testing.M) { dbtest.Main(m) }.
func Main(m *testing.M) {
	code := m.Run()
	if shared != nil {
		shared.stop()
	}
	os.Exit(code)
}

// ForEach runs fn as a subtest once per store, each with its own fresh database.
func ForEach(t *testing.T, fn func(t *testing.T, db *database.DB)) {
	t.Helper()
	for _, d := range Dialects {
		t.Run(string(d), func(t *testing.T) {
			fn(t, Open(t, d))
		})
	}
}

// URL returns the URL of a fresh, migrated, empty database of the given dialect; it is
// removed when the test ends. Tests that start the whole gateway pass it in config.
func URL(t testing.TB, d database.Dialect) string {
	t.Helper()
	switch d {
	case database.SQLite:
		return "sqlite://" + filepath.Join(t.TempDir(), "statusgate.db")
	case database.Postgres:
		c, err := postgresCluster()
		if err != nil {
			unavailable(t, err)
		}
		u, drop, err := c.newDatabase()
		if err != nil {
			unavailable(t, err)
		}
		t.Cleanup(drop)
		return u
	}
	t.Fatalf("unknown dialect %q", d)
	return ""
}

// Open returns a fresh, migrated database of the given dialect, closed when the test ends.
func Open(t testing.TB, d database.Dialect) *database.DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db, err := database.Open(ctx, URL(t, d), database.Options{Logger: Logger(t), MaxOpenConns: 10})
	if err != nil {
		t.Fatalf("opening %s test database: %v", d, err)
	}
	// Registered after URL's cleanup, so it runs first: close before the drop.
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func unavailable(t testing.TB, err error) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("PostgreSQL is required under CI=true and could not be started: %v", err)
	}
	t.Skipf("PostgreSQL unavailable, skipping (set CI=true to make this fail): %v", err)
}

// Logger returns a logger that writes to the test's log.
func Logger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(string(p))
	return len(p), nil
}
