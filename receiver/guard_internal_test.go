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
	set.invalidate()
	if _, err := set.has(ctx, "unknown-6"); err == nil {
		t.Fatal("a set marked changed did not reload")
	}
}

// On SQLite a delivery trusts its cached receiver only while no receiver change has
// begun since it was read: a read racing a change, even one cached while the
// change was under way, is never current once the change has ended.
func TestTokenSetCurrentOnlyWithoutAChangeSinceTheRead(t *testing.T) {
	t.Parallel()
	db := dbtest.Open(t, database.SQLite)
	set := newTokenSet(db, time.Now)
	_, _, gen := set.config("h1")
	cached := set.remember("h1", active{}, gen)
	if !set.current(cached.gen) {
		t.Fatal("a receiver cached with no change since is not current")
	}
	if set.current(0) {
		t.Fatal("a receiver read outside the cache (generation 0) is current")
	}

	end := set.beginChange()
	if set.current(cached.gen) {
		t.Fatal("a receiver cached before a change that is under way is still current")
	}
	_, _, during := set.config("h2")
	racing := set.remember("h2", active{}, during) // read the row as it was before the commit
	if set.current(racing.gen) {
		t.Fatal("a receiver read while a change is under way is current before it ends")
	}
	end()
	if set.current(racing.gen) || set.current(cached.gen) {
		t.Fatal("a receiver read before a change ended is current after it")
	}
	if _, ok, _ := set.config("h2"); ok {
		t.Fatal("the end of a change left a receiver read during it in the cache")
	}
	_, _, after := set.config("h3")
	if fresh := set.remember("h3", active{}, after); !set.current(fresh.gen) {
		t.Fatal("a receiver read after the change ended is not current")
	}
}
