package database_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/dbtest"
)

// The models InsertLater queues in these tests: il_child's foreign key names
// il_parent and is checked at once, not at COMMIT, so the order of the flushed
// tables matters.
type ilParent struct{ ID int64 }

func (ilParent) TableName() string { return "il_parent" }

type ilChild struct {
	ID       int64
	ParentID int64
}

func (ilChild) TableName() string { return "il_child" }

type gcRow struct {
	ID     int64
	Caller int64
}

func (gcRow) TableName() string { return "gc_rows" }

// ilStamped and ilNumbered have what gorm's Create fills in: an automatic
// creation time and a key the store numbers.
type ilStamped struct {
	ID        string
	CreatedAt time.Time
	Note      string
}

func (ilStamped) TableName() string { return "il_stamped" }

type ilNumbered struct {
	ID   int64
	Note string
}

func (ilNumbered) TableName() string { return "il_numbered" }

func openInsertLater(t *testing.T, d database.Dialect) *database.DB {
	t.Helper()
	db := openGrouped(t, d, database.GroupCommitOptions{Workers: 1})
	for _, stmt := range []string{
		`CREATE TABLE il_parent (id INTEGER PRIMARY KEY)`,
		`CREATE TABLE il_child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES il_parent (id))`,
	} {
		if err := db.Conn(context.Background()).Exec(stmt).Error; err != nil {
			t.Fatal(err)
		}
	}
	return db
}

func TestInsertLater(t *testing.T) {
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Run("queued rows are written as the transaction commits, parents first", func(t *testing.T) {
				db := openInsertLater(t, d)
				var insideTx int64
				err := db.InTx(context.Background(), func(ctx context.Context) error {
					for i := int64(1); i <= 3; i++ {
						if err := db.InsertLater(ctx, &ilParent{ID: i}); err != nil {
							return err
						}
						if err := db.InsertLater(ctx, &ilChild{ID: 10 + i, ParentID: i}); err != nil {
							return err
						}
					}
					return db.Conn(ctx).Table("il_child").Count(&insideTx).Error
				})
				if err != nil {
					t.Fatal(err)
				}
				if insideTx != 0 {
					t.Fatalf("children visible inside the transaction = %d, want 0 (written just before COMMIT)", insideTx)
				}
				if p, c := countRows(t, db, "il_parent"), countRows(t, db, "il_child"); p != 3 || c != 3 {
					t.Fatalf("after commit: %d parents, %d children, want 3 and 3", p, c)
				}
			})

			t.Run("a rolled-back transaction writes none of its rows", func(t *testing.T) {
				db := openInsertLater(t, d)
				errBad := errors.New("bad change")
				err := db.InTx(context.Background(), func(ctx context.Context) error {
					if err := db.InsertLater(ctx, &ilParent{ID: 1}); err != nil {
						return err
					}
					return errBad
				})
				if !errors.Is(err, errBad) {
					t.Fatalf("err = %v, want the function's", err)
				}
				if n := countRows(t, db, "il_parent"); n != 0 {
					t.Fatalf("rows = %d, want 0", n)
				}
			})

			t.Run("a row that cannot be written fails its transaction", func(t *testing.T) {
				db := openInsertLater(t, d)
				err := db.InTx(context.Background(), func(ctx context.Context) error {
					if err := db.Conn(ctx).Exec(`INSERT INTO il_parent (id) VALUES (1)`).Error; err != nil {
						return err
					}
					return db.InsertLater(ctx, &ilChild{ID: 1, ParentID: 99}) // no such parent
				})
				if err == nil {
					t.Fatal("a child naming no parent committed")
				}
				if n := countRows(t, db, "il_parent"); n != 0 {
					t.Fatalf("parents = %d, want 0: the failed flush must roll back the transaction", n)
				}
			})

			t.Run("outside a transaction a row is written at once", func(t *testing.T) {
				db := openInsertLater(t, d)
				if err := db.InsertLater(context.Background(), &ilParent{ID: 7}); err != nil {
					t.Fatal(err)
				}
				if n := countRows(t, db, "il_parent"); n != 1 {
					t.Fatalf("rows = %d, want 1", n)
				}
			})

			t.Run("what gorm's Create would set on a row is set", func(t *testing.T) {
				db := openInsertLater(t, d)
				numberedKey := "INTEGER PRIMARY KEY" // SQLite numbers a rowid alias
				if d == database.Postgres {
					numberedKey = "BIGSERIAL PRIMARY KEY"
				}
				for _, stmt := range []string{
					`CREATE TABLE il_stamped (id TEXT PRIMARY KEY, created_at TIMESTAMP NOT NULL, note TEXT NOT NULL)`,
					`CREATE TABLE il_numbered (id ` + numberedKey + `, note TEXT NOT NULL)`,
				} {
					if err := db.Conn(context.Background()).Exec(stmt).Error; err != nil {
						t.Fatal(err)
					}
				}
				given := time.Date(2026, 5, 4, 3, 2, 1, 0, time.UTC)
				before := time.Now().Add(-time.Second)
				err := db.InTx(context.Background(), func(ctx context.Context) error {
					for _, row := range []any{
						&ilStamped{ID: "given", CreatedAt: given, Note: "kept"},
						&ilStamped{ID: "zero", Note: "set to now"},
						&ilNumbered{Note: "numbered by the store"},
					} {
						if err := db.InsertLater(ctx, row); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				var stamped []ilStamped
				if err := db.Conn(context.Background()).Order("id").Find(&stamped).Error; err != nil {
					t.Fatal(err)
				}
				if len(stamped) != 2 || !stamped[0].CreatedAt.Equal(given) || stamped[1].CreatedAt.Before(before) || stamped[1].CreatedAt.After(time.Now()) {
					t.Fatalf("rows = %+v, want %q at %v and %q at the time of the commit", stamped, "given", given, "zero")
				}
				var numbered []ilNumbered
				if err := db.Conn(context.Background()).Find(&numbered).Error; err != nil {
					t.Fatal(err)
				}
				if len(numbered) != 1 || numbered[0].ID == 0 || numbered[0].Note != "numbered by the store" {
					t.Fatalf("rows = %+v, want one with a key the store chose", numbered)
				}
			})

			t.Run("a row whose key is taken fails as ErrDuplicate", func(t *testing.T) {
				db := openInsertLater(t, d)
				if err := db.InsertLater(context.Background(), &ilParent{ID: 1}); err != nil {
					t.Fatal(err)
				}
				err := db.InTx(context.Background(), func(ctx context.Context) error {
					return db.InsertLater(ctx, &ilParent{ID: 1})
				})
				if !errors.Is(err, database.ErrDuplicate) {
					t.Fatalf("err = %v, want database.ErrDuplicate", err)
				}
			})

			t.Run("more rows than one INSERT holds are all written", func(t *testing.T) {
				db := openInsertLater(t, d)
				const n = 2*64 + 5
				err := db.InTx(context.Background(), func(ctx context.Context) error {
					for i := int64(1); i <= n; i++ {
						if err := db.InsertLater(ctx, &ilParent{ID: i}); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				var sum int64
				if err := db.Conn(context.Background()).Raw(`SELECT COALESCE(SUM(id), 0) FROM il_parent`).Scan(&sum).Error; err != nil {
					t.Fatal(err)
				}
				if got := countRows(t, db, "il_parent"); got != n || sum != n*(n+1)/2 {
					t.Fatalf("rows = %d with ids summing to %d, want %d rows 1..%d", got, sum, n, n)
				}
			})

			t.Run("in a group commit a row that cannot be written fails only its caller", func(t *testing.T) {
				db := openInsertLater(t, d)
				write := func(id, caller int64) func(ctx context.Context) error {
					return func(ctx context.Context) error {
						return db.InsertLater(ctx, &gcRow{ID: id, Caller: caller})
					}
				}
				// Caller 0 commits first, alone; the others share the next batch, in which
				// the fourth queues a row whose caller collides with caller 0's, so the
				// batch's flush fails and only the pass with savepoints tells whose it was.
				others := []func(ctx context.Context) error{write(1, 1), write(2, 2), write(3, 3), write(40, 0), write(4, 4)}
				errs := batchOf(t, db, nil, write(100, 0), others)
				wantErr := []bool{false, false, false, false, true, false}
				for i, err := range errs {
					if (err != nil) != wantErr[i] {
						t.Fatalf("caller %d: err = %v, want failure %v", i, err, wantErr[i])
					}
				}
				ids := committedIDs(t, db)
				if want := []int64{1, 2, 3, 4, 100}; !slices.Equal(ids, want) {
					t.Fatalf("committed ids = %v, want %v", ids, want)
				}
			})
		})
	}
}

func TestMemo(t *testing.T) {
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			db := openInsertLater(t, d)
			type key struct{}
			loads := 0
			read := func(ctx context.Context) int64 {
				n, err := database.Memo(ctx, key{}, func() (int64, error) {
					loads++
					var n int64
					err := db.Conn(ctx).Table("il_parent").Count(&n).Error
					return n, err
				})
				if err != nil {
					t.Fatal(err)
				}
				return n
			}
			t.Run("a transaction reads once until a writer forgets it", func(t *testing.T) {
				loads = 0
				err := db.InTx(context.Background(), func(ctx context.Context) error {
					if a, b := read(ctx), read(ctx); a != 0 || b != 0 || loads != 1 {
						t.Fatalf("reads = %d, %d after %d loads, want 0, 0 after 1", a, b, loads)
					}
					if err := db.Conn(ctx).Exec(`INSERT INTO il_parent (id) VALUES (1)`).Error; err != nil {
						return err
					}
					database.ForgetMemo(ctx, key{})
					if n := read(ctx); n != 1 || loads != 2 {
						t.Fatalf("after ForgetMemo: read %d after %d loads, want 1 after 2", n, loads)
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
			})
			t.Run("each transaction, and each call outside one, reads afresh", func(t *testing.T) {
				loads = 0
				for range 2 {
					if err := db.InTx(context.Background(), func(ctx context.Context) error { read(ctx); return nil }); err != nil {
						t.Fatal(err)
					}
				}
				read(context.Background())
				read(context.Background())
				if loads != 4 {
					t.Fatalf("loads = %d, want 4", loads)
				}
			})
			t.Run("the functions of a group commit share a read, and a rolled-back one's is dropped", func(t *testing.T) {
				loads = 0
				errBad := errors.New("bad delivery")
				var seen [4]int64
				others := []func(ctx context.Context) error{
					func(ctx context.Context) error { seen[1] = read(ctx); return nil },
					func(ctx context.Context) error {
						// Writes what the memo reads, forgets it, reads it again, then
						// fails: its rows are rolled back, and so must its reading be.
						if err := db.Conn(ctx).Exec(`INSERT INTO il_parent (id) VALUES (2)`).Error; err != nil {
							return err
						}
						database.ForgetMemo(ctx, key{})
						read(ctx)
						return errBad
					},
					func(ctx context.Context) error { seen[3] = read(ctx); return nil },
				}
				errs := batchOf(t, db, nil, func(ctx context.Context) error { seen[0] = read(ctx); return nil }, others)
				if !errors.Is(errs[2], errBad) || errs[0] != nil || errs[1] != nil || errs[3] != nil {
					t.Fatalf("errs = %v, want only caller 2's own", errs)
				}
				for i, n := range []int64{seen[0], seen[1], seen[3]} {
					if n != 1 {
						t.Fatalf("caller %d read %d parents, want 1 (the rolled-back insert never counts)", i, n)
					}
				}
			})
		})
	}
}

// gatherRows is a Gather write that inserts its items into gc_rows and counts how
// many items each call was handed.
type gatherRows struct {
	db    *database.DB
	mu    sync.Mutex
	calls []int
}

func (g *gatherRows) write(ctx context.Context, rows []gcRow) error {
	g.mu.Lock()
	g.calls = append(g.calls, len(rows))
	g.mu.Unlock()
	for _, r := range rows {
		if _, err := g.db.Exec(ctx, "INSERT INTO gc_rows (id, caller) VALUES (?, ?)", r.ID, r.Caller); err != nil {
			return err
		}
	}
	return nil
}

func (g *gatherRows) fn(id, caller int64) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		return database.Gather(ctx, "rows", gcRow{ID: id, Caller: caller}, g.write)
	}
}

func committedIDs(t *testing.T, db *database.DB) []int64 {
	t.Helper()
	var ids []int64
	if err := db.Conn(context.Background()).Table("gc_rows").Order("id").Pluck("id", &ids).Error; err != nil {
		t.Fatal(err)
	}
	return ids
}

func TestGather(t *testing.T) {
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Run("a batch's items are written in one call as it commits", func(t *testing.T) {
				db := openInsertLater(t, d)
				g := &gatherRows{db: db}
				errs := batchOf(t, db, nil, g.fn(100, 0), []func(ctx context.Context) error{g.fn(1, 1), g.fn(2, 2), g.fn(3, 3), g.fn(4, 4)})
				if err := errors.Join(errs...); err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(g.calls, []int{1, 4}) {
					t.Fatalf("write was handed %v items a call, want [1 4]: the first caller alone, then the batch of four", g.calls)
				}
				if ids := committedIDs(t, db); !slices.Equal(ids, []int64{1, 2, 3, 4, 100}) {
					t.Fatalf("committed ids = %v", ids)
				}
			})
			t.Run("a write that fails fails only the caller whose item it was", func(t *testing.T) {
				db := openInsertLater(t, d)
				g := &gatherRows{db: db}
				// Caller 0 commits first; the fourth of the next batch collides with it.
				errs := batchOf(t, db, nil, g.fn(100, 0), []func(ctx context.Context) error{g.fn(1, 1), g.fn(2, 2), g.fn(40, 0), g.fn(4, 4)})
				for i, err := range errs {
					if want := i == 3; (err != nil) != want {
						t.Fatalf("caller %d: err = %v, want failure %v", i, err, want)
					}
				}
				if ids := committedIDs(t, db); !slices.Equal(ids, []int64{1, 2, 4, 100}) {
					t.Fatalf("committed ids = %v, want every row but the colliding one", ids)
				}
			})
			t.Run("outside a transaction an item is written at once", func(t *testing.T) {
				db := openInsertLater(t, d)
				g := &gatherRows{db: db}
				if err := g.fn(7, 7)(context.Background()); err != nil {
					t.Fatal(err)
				}
				if ids := committedIDs(t, db); !slices.Equal(g.calls, []int{1}) || !slices.Equal(ids, []int64{7}) {
					t.Fatalf("calls %v, committed ids %v; want one call and row 7", g.calls, ids)
				}
			})
		})
	}
}

// Insert writes its row at once, inside the transaction (a later statement of the
// same transaction reads it), with the automatic creation time gorm would set, and
// a second row with the same key fails as ErrDuplicate, as gorm's Create does.
func TestInsert(t *testing.T) {
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			db := openInsertLater(t, d)
			ctx := context.Background()
			if err := db.Conn(ctx).Exec(`CREATE TABLE il_stamped (id TEXT PRIMARY KEY, created_at TIMESTAMP NOT NULL, note TEXT NOT NULL)`).Error; err != nil {
				t.Fatal(err)
			}
			before := time.Now().Add(-time.Second)
			var seen int64
			err := db.InTx(ctx, func(ctx context.Context) error {
				if err := db.Insert(ctx, &ilStamped{ID: "a", Note: "first"}); err != nil {
					return err
				}
				return db.Conn(ctx).Table("il_stamped").Where("note = ?", "first").Count(&seen).Error
			})
			if err != nil {
				t.Fatal(err)
			}
			if seen != 1 {
				t.Fatalf("the transaction read %d of the row it inserted, want 1", seen)
			}
			var got ilStamped
			if err := db.Conn(ctx).Take(&got, "id = ?", "a").Error; err != nil {
				t.Fatal(err)
			}
			if got.Note != "first" || got.CreatedAt.Before(before) || got.CreatedAt.After(time.Now().Add(time.Second)) {
				t.Fatalf("stored %+v, want note first and created_at about now", got)
			}
			err = db.InTx(ctx, func(ctx context.Context) error { return db.Insert(ctx, &ilStamped{ID: "a", Note: "second"}) })
			if !errors.Is(err, database.ErrDuplicate) {
				t.Fatalf("inserting the same key again: %v, want ErrDuplicate", err)
			}
		})
	}
}
