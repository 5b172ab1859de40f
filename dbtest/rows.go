package dbtest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/statusgate/statusgate/database"
)

// Org inserts an organization, as the tests of a store below the API need one for
// their rows' org_id, and returns its id.
func Org(t testing.TB, db *database.DB) uuid.UUID {
	t.Helper()
	id := uuid.Must(uuid.NewV7())
	Exec(t, db, "INSERT INTO organizations (id, slug, name, created_at) VALUES (?, ?, ?, ?)",
		id, "org-"+id.String(), "Org", time.Now().UTC())
	return id
}

// Exec runs a statement that sets up a test's rows, failing the test if it fails.
func Exec(t testing.TB, db *database.DB, query string, args ...any) {
	t.Helper()
	if err := db.Conn(context.Background()).Exec(query, args...).Error; err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// Explain returns the plan of stmt, one line a step (PostgreSQL's EXPLAIN text,
// SQLite's EXPLAIN QUERY PLAN details), in the transaction ctx carries if any: for
// tests that a statement's plan stays the one it must be, on a database the planner
// has no statistics for yet and with the statement's parameters unknown.
func Explain(ctx context.Context, db *database.DB, stmt string, args ...any) (string, error) {
	sqlite := db.Dialect() == database.SQLite
	prefix := "EXPLAIN "
	if sqlite {
		prefix = "EXPLAIN QUERY PLAN "
	}
	rows, err := db.Query(ctx, prefix+stmt, args...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var line string
		if sqlite { // id, parent, notused, detail: the detail is the step
			var id, parent, unused int
			err = rows.Scan(&id, &parent, &unused, &line)
		} else {
			err = rows.Scan(&line)
		}
		if err != nil {
			return "", err
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n"), rows.Err()
}
