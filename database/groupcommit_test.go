package database_test

import (
	"context"
	"database/sql/driver"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/statusgate/statusgate/database"
	"github.com/statusgate/statusgate/dbtest"
)

func TestMain(m *testing.M) {
	database.CrashWriterIfAsked()
	dbtest.Main(m)
}

// openGrouped opens a fresh database with the given group commit options and the
// tables the tests write: gc_rows, and gc_child whose parent is checked only at
// COMMIT, so a test can make a real COMMIT fail.
func openGrouped(t *testing.T, d database.Dialect, opts database.GroupCommitOptions) *database.DB {
	t.Helper()
	db, err := database.Open(context.Background(), dbtest.URL(t, d), database.Options{Logger: dbtest.Logger(t), MaxOpenConns: 10, GroupCommit: opts})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	for _, stmt := range []string{
		`CREATE TABLE gc_rows (id INTEGER PRIMARY KEY, caller INTEGER NOT NULL UNIQUE)`,
		`CREATE TABLE gc_parent (id INTEGER PRIMARY KEY)`,
		`CREATE TABLE gc_child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES gc_parent (id) DEFERRABLE INITIALLY DEFERRED)`,
	} {
		if err := db.Conn(context.Background()).Exec(stmt).Error; err != nil {
			t.Fatal(err)
		}
	}
	return db
}

func countRows(t *testing.T, db *database.DB, table string) int64 {
	t.Helper()
	var n int64
	if err := db.Conn(context.Background()).Table(table).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// batchOf runs first, which waits for release, and then, once first is running and
// every other caller is queued behind it in the order given, the others, which the
// one worker then commits as one batch. It returns each caller's error, first's at index 0.
// answered, when not nil, counts the callers that have returned.
func batchOf(t *testing.T, db *database.DB, answered *atomic.Int64, first func(ctx context.Context) error, others []func(ctx context.Context) error) []error {
	t.Helper()
	calls := make([]groupCall, len(others))
	for i, fn := range others {
		calls[i] = groupCall{context.Background(), fn}
	}
	return batchOfCalls(t, db, answered, first, calls)
}

// groupCall is a function handed to InGroupTx with the context it is handed with.
type groupCall struct {
	ctx context.Context
	fn  func(ctx context.Context) error
}

// batchOfCalls is batchOf for callers that hand in contexts of their own.
func batchOfCalls(t *testing.T, db *database.DB, answered *atomic.Int64, first func(ctx context.Context) error, others []groupCall) []error {
	t.Helper()
	errs := make([]error, len(others)+1)
	started, release := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		errs[0] = db.InGroupTx(context.Background(), func(ctx context.Context) error {
			close(started)
			<-release
			return first(ctx)
		})
		if answered != nil {
			answered.Add(1)
		}
	}()
	<-started
	for i, call := range others {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i+1] = db.InGroupTx(call.ctx, call.fn)
			if answered != nil {
				answered.Add(1)
			}
		}()
		for db.GroupCommitStats().Waiting < int64(i+2) {
			time.Sleep(time.Millisecond) // queued in order, so the batch runs them in order
		}
	}
	for db.GroupCommitStats().Waiting < int64(len(others)+1) {
		time.Sleep(time.Millisecond) // until every caller is queued: a condition, not a duration
	}
	close(release)
	wg.Wait()
	return errs
}

func TestGroupCommit(t *testing.T) {
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Run("concurrent callers share one commit and each is answered after it", func(t *testing.T) {
				var answered atomic.Int64
				var answeredAtCommit []int64
				db := openGrouped(t, d, database.GroupCommitOptions{Workers: 1, MaxBatch: 64, BeforeCommitFunc: func(context.Context) error {
					answeredAtCommit = append(answeredAtCommit, answered.Load())
					return nil
				}})
				const n = 20
				write := func(caller int) func(ctx context.Context) error {
					return func(ctx context.Context) error {
						if err := db.Conn(ctx).Exec(`INSERT INTO gc_rows (id, caller) VALUES (?, ?)`, caller, caller).Error; err != nil {
							return err
						}
						// A nested InTx joins the grouped transaction, as Transition does.
						return db.InTx(ctx, func(ctx context.Context) error {
							if !db.InTransaction(ctx) {
								return errors.New("nested InTx outside the group's transaction")
							}
							return nil
						})
					}
				}
				others := make([]func(ctx context.Context) error, n-1)
				for i := range others {
					others[i] = write(i + 1)
				}
				errs := batchOf(t, db, &answered, write(0), others)
				for i, err := range errs {
					if err != nil {
						t.Fatalf("caller %d: %v", i, err)
					}
				}
				st := db.GroupCommitStats()
				if st.Commits != 2 || st.Committed != n {
					t.Fatalf("stats = %+v, want 2 commits holding %d callers (the first alone, the %d queued behind it together)", st, n, n-1)
				}
				// At its COMMIT no caller of a batch has been answered: at most the
				// first, whose batch committed before.
				if got := answeredAtCommit; len(got) != 2 || got[0] != 0 || got[1] > 1 {
					t.Fatalf("callers answered when each batch reached COMMIT = %v, want [0, ≤1]", got)
				}
				if got := countRows(t, db, "gc_rows"); got != n {
					t.Fatalf("rows = %d, want %d", got, n)
				}
			})

			t.Run("a failing caller fails alone and the rest of its batch commits", func(t *testing.T) {
				db := openGrouped(t, d, database.GroupCommitOptions{Workers: 1})
				write := func(caller int) func(ctx context.Context) error {
					return func(ctx context.Context) error {
						return db.Conn(ctx).Exec(`INSERT INTO gc_rows (id, caller) VALUES (?, ?)`, caller, caller).Error
					}
				}
				errBad := errors.New("bad delivery")
				others := []func(ctx context.Context) error{
					write(1),
					func(ctx context.Context) error { // writes, then fails: its write must go
						if err := write(2)(ctx); err != nil {
							return err
						}
						return errBad
					},
					write(3),
					func(ctx context.Context) error {
						// A real SQL error, which aborts a PostgreSQL transaction. It collides
						// with caller 0, committed in the batch before.
						return db.Conn(ctx).Exec(`INSERT INTO gc_rows (id, caller) VALUES (?, ?)`, 40, 0).Error
					},
					func(ctx context.Context) error { panic("a bug in one delivery") },
					write(4),
				}
				errs := batchOf(t, db, nil, write(0), others)
				wantErr := []bool{false, false, true, false, true, true, false}
				for i, err := range errs {
					if (err != nil) != wantErr[i] {
						t.Fatalf("caller %d: err = %v, want failure %v", i, err, wantErr[i])
					}
				}
				if !errors.Is(errs[2], errBad) {
					t.Fatalf("caller 2: err = %v, want its own error", errs[2])
				}
				var callers []int
				if err := db.Conn(context.Background()).Table("gc_rows").Order("caller").Pluck("caller", &callers).Error; err != nil {
					t.Fatal(err)
				}
				if got, want := callers, []int{0, 1, 3, 4}; len(got) != len(want) || got[0] != 0 || got[1] != 1 || got[2] != 3 || got[3] != 4 {
					t.Fatalf("committed callers = %v, want %v", got, want)
				}
			})

			t.Run("AfterCommit runs once the batch has committed, never for a caller that failed", func(t *testing.T) {
				db := openGrouped(t, d, database.GroupCommitOptions{Workers: 1})
				var mu sync.Mutex
				seen := map[int]int64{} // caller → rows visible outside the transaction when its hook ran
				write := func(caller int, fail bool) func(ctx context.Context) error {
					return func(ctx context.Context) error {
						if err := db.Conn(ctx).Exec(`INSERT INTO gc_rows (id, caller) VALUES (?, ?)`, caller, caller).Error; err != nil {
							return err
						}
						database.AfterCommit(ctx, func() {
							n := countRows(t, db, "gc_rows")
							mu.Lock()
							seen[caller] = n
							mu.Unlock()
						})
						if fail {
							return errors.New("bad delivery")
						}
						return nil
					}
				}
				errs := batchOf(t, db, nil, write(0, false), []func(ctx context.Context) error{write(1, false), write(2, true), write(3, false)})
				if errs[0] != nil || errs[1] != nil || errs[2] == nil || errs[3] != nil {
					t.Fatalf("errors = %v, want only caller 2's", errs)
				}
				if _, ok := seen[2]; ok || len(seen) != 3 {
					t.Fatalf("hooks ran for callers %v, want 0, 1 and 3", seen)
				}
				// Caller 0 commits alone (batchOf holds the others behind it); 1 and 3
				// commit together, after 2 has failed.
				for caller, want := range map[int]int64{0: 1, 1: 3, 3: 3} {
					if seen[caller] != want {
						t.Fatalf("caller %d's hook saw %d committed rows, want %d: it ran before its commit", caller, seen[caller], want)
					}
				}
			})

			t.Run("a caller that finds the store unavailable fails its batch at once, with no second pass", func(t *testing.T) {
				db := openGrouped(t, d, database.GroupCommitOptions{Workers: 1})
				var runs atomic.Int64
				write := func(caller int) func(ctx context.Context) error {
					return func(ctx context.Context) error {
						runs.Add(1)
						return db.Conn(ctx).Exec(`INSERT INTO gc_rows (id, caller) VALUES (?, ?)`, caller, caller).Error
					}
				}
				gone := func(ctx context.Context) error { runs.Add(1); return driver.ErrBadConn }
				errs := batchOf(t, db, nil, write(0), []func(ctx context.Context) error{gone, write(1), write(2)})
				if errs[0] != nil {
					t.Fatalf("caller 0, alone in its batch: %v", errs[0])
				}
				for i, err := range errs[1:] {
					if !database.IsUnavailable(err) {
						t.Fatalf("caller %d: err = %v, want the store's unavailability", i+1, err)
					}
				}
				if got := countRows(t, db, "gc_rows"); got != 1 {
					t.Fatalf("rows = %d, want only caller 0's", got)
				}
				// Caller 0, then at most the three of the second batch once each.
				if n := runs.Load(); n > 4 {
					t.Fatalf("functions ran %d times, want at most 4: the batch ran a second pass", n)
				}
			})

			t.Run("a batch whose COMMIT fails fails every caller in it and keeps nothing", func(t *testing.T) {
				db := openGrouped(t, d, database.GroupCommitOptions{Workers: 1})
				write := func(caller int) func(ctx context.Context) error {
					return func(ctx context.Context) error {
						return db.Conn(ctx).Exec(`INSERT INTO gc_rows (id, caller) VALUES (?, ?)`, caller, caller).Error
					}
				}
				orphan := func(ctx context.Context) error { // fine now, refused at COMMIT
					return db.Conn(ctx).Exec(`INSERT INTO gc_child (id, parent_id) VALUES (1, 99)`).Error
				}
				errs := batchOf(t, db, nil, write(0), []func(ctx context.Context) error{write(1), orphan, write(2)})
				if errs[0] != nil {
					t.Fatalf("first caller, committed alone: %v", errs[0])
				}
				for i, err := range errs[1:] {
					if err == nil {
						t.Fatalf("caller %d of the failed batch was answered success", i+1)
					}
				}
				if got := countRows(t, db, "gc_rows"); got != 1 {
					t.Fatalf("rows = %d, want only the first batch's 1", got)
				}
				if st := db.GroupCommitStats(); st.Failed != 1 || st.Commits != 1 {
					t.Fatalf("stats = %+v, want 1 commit and 1 failed batch", st)
				}
				// The store goes on working after a failed batch.
				if err := db.InGroupTx(context.Background(), write(5)); err != nil {
					t.Fatalf("after a failed batch: %v", err)
				}
			})

			t.Run("a closed store refuses work instead of hanging", func(t *testing.T) {
				db := openGrouped(t, d, database.GroupCommitOptions{})
				_ = db.Close()
				err := db.InGroupTx(context.Background(), func(context.Context) error { return nil })
				if err == nil {
					t.Fatal("InGroupTx on a closed store succeeded")
				}
			})
		})
	}
}
