package receiver

import (
	"context"
	"testing"
	"time"

	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/dbtest"
	"github.com/statusgate/statusgate/testclock"
)

// Once loaded, the token set answers unknown tokens without the database: here the
// database is closed, and only a stale set (a change, or tokenSetMaxAge later) asks it.
func TestTokenSetAnswersUnknownTokensWithoutTheDatabase(t *testing.T) {
	t.Parallel()
	db := dbtest.Open(t, database.SQLite)
	clock := testclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	set := newTokenSet(db, clock.Now)
	ctx := context.Background()
	if ok, err := set.has(ctx, "unknown-1"); ok || err != nil {
		t.Fatalf("first lookup = %v, %v; want false, nil after loading the set", ok, err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"unknown-2", "unknown-3", "unknown-4"} {
		if ok, err := set.has(ctx, h); ok || err != nil {
			t.Fatalf("lookup of %s with the database closed = %v, %v; want false, nil from the set", h, ok, err)
		}
	}
	clock.Advance(tokenSetMaxAge)
	if _, err := set.has(ctx, "unknown-5"); err == nil {
		t.Fatal("a stale set did not reload (the closed database would have failed it)")
	}
	set.changed(nil)
	if _, err := set.has(ctx, "unknown-6"); err == nil {
		t.Fatal("a set marked changed did not reload")
	}
}
