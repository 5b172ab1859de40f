package database

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"
)

// Group commit: one commit, and so one fsync, for the work of many concurrent
// requests. A request hands its function to InGroupTx and waits; a worker collects
// what is queued (up to MaxBatch, waiting at most MaxWait for more while the gateway
// is busy), runs every function in one transaction and commits once. Each caller
// learns its own result only after that commit, so "a 2xx means it is durably
// stored" holds exactly as with a transaction per request: synchronous=FULL and
// synchronous_commit stay on, the fsync is shared. AfterCommit hooks of a function
// run once its batch has committed.
//
// A function that fails fails alone: the batch runs again with a savepoint per
// function, and the failed one is rolled back to its savepoint; the others commit. A batch that cannot commit fails every function that had succeeded in it
// with the commit's error, which the inbound path answers with 503 + Retry-After.
// A function that loses a PostgreSQL deadlock or serialization check (two batches,
// or two instances, locking the same rows in a different order) is run again in a
// later batch, after the locks of its own batch are gone, so a deadlock never
// reaches the sender.

// GroupCommitOptions tune group commit. The zero value is fine.
type GroupCommitOptions struct {
	// MaxWait bounds how long a busy worker waits for more work before it commits
	// what it has (default 0: it never waits). Without a wait, batches form of
	// themselves: what arrives while one batch runs and commits is the next. On a
	// two-core machine a 2 ms wait cost a fifth of the throughput (the committer
	// idled) and gained nothing, since a batch was never full in it.
	MaxWait time.Duration
	// MaxBatch bounds how many functions share one commit (default 64, also
	// PostgreSQL's per-transaction cache of subtransactions).
	MaxBatch int
	// Workers is how many batches are open at once (default 1 on SQLite, which
	// writes through one connection, and 2 on PostgreSQL).
	Workers int
	// Timeout bounds one batch, from BEGIN to COMMIT (default 5 s), so a database
	// that stops answering fails the batch's requests instead of hanging them.
	Timeout time.Duration
	// BeforeCommitFunc, when set, runs inside every batch's transaction just before
	// COMMIT; an error fails the batch as a failed COMMIT does. For tests.
	BeforeCommitFunc func(ctx context.Context) error
	// BeforeBatchFunc, when set, runs in the worker once it has collected a batch,
	// before BEGIN (holding no connection). For tests, to hold a batch back.
	BeforeBatchFunc func()
}

// GroupCommitStats counts what group commit did since Open.
type GroupCommitStats struct {
	// Commits is the number of batches committed.
	Commits int64
	// Committed is the number of functions those commits held.
	Committed int64
	// Failed is the number of batches that could not commit.
	Failed int64
	// Waiting is the number of functions queued or running, not yet answered.
	Waiting int64
}

// maxRetries bounds how often a function that lost a deadlock is run again.
const maxRetries = 5

// errGroupClosed answers a function handed to a closed store.
var errGroupClosed = errors.New("database is closed")

type groupJob struct {
	ctx  context.Context
	fn   func(ctx context.Context) error
	done chan error
	// ahead is what WithPrefetch asked for (nil p: nothing), found when the job is
	// handed in, on the caller's goroutine rather than the worker's.
	ahead prefetchRequest
}

type groupCommit struct {
	db   *DB
	opts GroupCommitOptions
	jobs chan *groupJob
	quit chan struct{}
	wg   sync.WaitGroup

	mu        sync.RWMutex // held to hand in work, taken to close
	closed    bool
	commits   atomic.Int64
	committed atomic.Int64
	failed    atomic.Int64
	waiting   atomic.Int64
}

func newGroupCommit(db *DB, opts GroupCommitOptions) *groupCommit {
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 64
	}
	if opts.Workers <= 0 {
		opts.Workers = 1
		if db.dialect == Postgres {
			opts.Workers = 2
		}
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 5 * time.Second
	}
	g := &groupCommit{db: db, opts: opts, jobs: make(chan *groupJob, opts.MaxBatch*opts.Workers), quit: make(chan struct{})}
	g.wg.Add(opts.Workers)
	for range opts.Workers {
		go g.work()
	}
	return g
}

// InGroupTx runs fn in a transaction shared with other concurrent callers, and
// returns once that transaction has committed (nil) or fn or the commit failed. The
// context fn receives carries the transaction exactly as InTx's does, so Conn(ctx)
// and a nested InTx inside fn join it; fn must not start goroutines that use it. fn
// may run more than once (after a lost deadlock), each time from a rolled-back
// start, so it must set whatever it reports afresh on every run. Inside a
// transaction already, fn joins it.
func (db *DB) InGroupTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if _, ok := ctx.Value(txKey{}).(*gorm.DB); ok {
		return fn(ctx)
	}
	for attempt := 0; ; attempt++ {
		err := db.group.submit(ctx, fn)
		if attempt < maxRetries && isRetryable(err) {
			continue
		}
		return err
	}
}

// GroupCommitStats reports what group commit did since Open.
func (db *DB) GroupCommitStats() GroupCommitStats {
	g := db.group
	return GroupCommitStats{Commits: g.commits.Load(), Committed: g.committed.Load(), Failed: g.failed.Load(), Waiting: g.waiting.Load()}
}

func (g *groupCommit) submit(ctx context.Context, fn func(ctx context.Context) error) error {
	j := &groupJob{ctx: ctx, fn: fn, done: make(chan error, 1)}
	j.ahead, _ = ctx.Value(prefetchKey{}).(prefetchRequest)
	g.mu.RLock()
	if g.closed {
		g.mu.RUnlock()
		return errGroupClosed
	}
	select {
	case g.jobs <- j:
		g.mu.RUnlock()
		g.waiting.Add(1)
		defer g.waiting.Add(-1)
	case <-ctx.Done():
		g.mu.RUnlock()
		return ctx.Err()
	}
	// Once queued, the answer is waited for even if ctx ends: the function may be
	// committing, and the caller must not report a failure that did not happen.
	return <-j.done
}

// close stops the workers once the queued work is done.
func (g *groupCommit) close() {
	g.mu.Lock()
	if !g.closed {
		g.closed = true
		close(g.quit)
	}
	g.mu.Unlock()
	g.wg.Wait()
}

func (g *groupCommit) work() {
	defer g.wg.Done()
	busy := false // whether the last batch held more than one function
	for {
		var first *groupJob
		select {
		case first = <-g.jobs:
		case <-g.quit:
			g.drain()
			return
		}
		batch := g.collect(first, busy)
		busy = len(batch) > 1
		if fn := g.opts.BeforeBatchFunc; fn != nil {
			fn()
		}
		g.run(batch)
	}
}

// collect adds to first what is queued, and, when the gateway is busy, what arrives
// within MaxWait, up to MaxBatch.
func (g *groupCommit) collect(first *groupJob, busy bool) []*groupJob {
	batch := append(make([]*groupJob, 0, g.opts.MaxBatch), first)
	for len(batch) < g.opts.MaxBatch {
		select {
		case j := <-g.jobs:
			batch = append(batch, j)
			continue
		default:
		}
		break
	}
	if !busy || g.opts.MaxWait <= 0 || len(batch) == g.opts.MaxBatch {
		return batch
	}
	timer := time.NewTimer(g.opts.MaxWait)
	defer timer.Stop()
	for len(batch) < g.opts.MaxBatch {
		select {
		case j := <-g.jobs:
			batch = append(batch, j)
		case <-timer.C:
			return batch
		}
	}
	return batch
}

// drain runs what was queued before close, so no caller waits forever.
func (g *groupCommit) drain() {
	for {
		select {
		case j := <-g.jobs:
			g.run(g.collect(j, false))
		default:
			return
		}
	}
}

// run executes one batch. The first pass runs every function in one transaction
// with no savepoints: a savepoint is a statement (a round trip on PostgreSQL) and
// makes SQLite copy each page a delivery touches into its sub-journal, and a
// function almost never fails. If one does, the pass is rolled back and the batch
// runs again under savepoints, where a function that fails is rolled back alone:
// at most two passes, whatever a sender sends.
func (g *groupCommit) run(batch []*groupJob) {
	results := make([]error, len(batch))
	hooks := make([]*afterCommit, len(batch))
	err := g.pass(batch, results, hooks, false)
	// A store that is gone fails the whole batch: a second pass would only keep the
	// callers waiting for another deadline before the same 503.
	if errors.Is(err, errFunctionFailed) && IsUnavailable(err) {
		g.failed.Add(1)
		err = errors.Unwrap(err)
	} else if errors.Is(err, errFunctionFailed) {
		clear(results)
		clear(hooks)
		err = g.pass(batch, results, hooks, true)
	}
	for i, j := range batch {
		if results[i] == nil {
			results[i] = err
		}
		if results[i] == nil && hooks[i] != nil {
			for _, f := range hooks[i].funcs {
				f()
			}
		}
		j.done <- results[i]
	}
}

// errFunctionFailed ends a pass without savepoints in which a function failed; the
// functionFailed that carries it unwraps to the function's error.
var errFunctionFailed = errors.New("a function of the batch failed")

type functionFailed struct{ err error }

func (f *functionFailed) Error() string        { return errFunctionFailed.Error() + ": " + f.err.Error() }
func (f *functionFailed) Is(target error) bool { return target == errFunctionFailed }
func (f *functionFailed) Unwrap() error        { return f.err }

// pass runs the batch in one transaction and commits it. It sets results[i] for a
// function that failed or whose caller left, hooks[i] for one that ran, and returns
// the error that fails every other function (nil once committed). Without
// savepoints, the first function to fail rolls the pass back (errFunctionFailed).
// The statements are BEGIN, a read ahead per Prefetcher the functions named, with
// savepoints a SAVEPOINT per function (and a
// ROLLBACK TO for one that failed), the INSERTs of what the functions queued with
// InsertLater (per function with savepoints, else once for the pass), and one COMMIT.
func (g *groupCommit) pass(batch []*groupJob, results []error, hooks []*afterCommit, savepoints bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), g.opts.Timeout)
	defer cancel()
	tx := g.db.gorm.WithContext(ctx).Begin()
	if tx.Error != nil {
		g.failed.Add(1)
		return fmt.Errorf("beginning a group transaction: %w", tx.Error)
	}
	ok := 0
	batchRows := &pendingRows{} // InsertLater's rows of a pass without savepoints
	memo := txMemo{}            // Memo's reads, shared by the pass's functions
	ahead, err := prefetch(withTx(ctx, tx, &afterCommit{}, batchRows, memo), batch)
	if err != nil {
		return g.abort(tx, fmt.Errorf("reading ahead for a group transaction: %w", err))
	}
	stale := false // a function ran without a value read ahead: it may have changed the rest
	for i, j := range batch {
		if err := j.ctx.Err(); err != nil {
			results[i] = err // the caller left before its turn: nothing was written
			continue
		}
		var value any
		if ahead != nil && !stale {
			value = ahead[i]
		}
		stale = stale || value == nil
		// One name for every savepoint: ROLLBACK TO goes to the newest of a name,
		// this function's, and one text is one cached statement, not 64.
		const sp = "d"
		if savepoints {
			if err := tx.Exec("SAVEPOINT " + sp).Error; err != nil {
				return g.abort(tx, fmt.Errorf("opening a savepoint: %w", err))
			}
		}
		hooks[i] = &afterCommit{}
		rows := batchRows
		if savepoints {
			rows = &pendingRows{} // flushed before the savepoint is left, so it fails alone
		}
		fnCtx := withTx(context.WithoutCancel(j.ctx), tx, hooks[i], rows, memo)
		if value != nil {
			fnCtx = context.WithValue(fnCtx, prefetchedKey{}, value)
		}
		err := runGuarded(fnCtx, j.fn)
		if err == nil && savepoints {
			err = rows.flush(tx)
		}
		if err != nil {
			results[i] = err
			if !savepoints {
				_ = tx.Rollback().Error // not a failed batch: the second pass decides
				return &functionFailed{err}
			}
			if rbErr := tx.Exec("ROLLBACK TO SAVEPOINT " + sp).Error; rbErr != nil {
				return g.abort(tx, fmt.Errorf("rolling back to a savepoint after %v: %w", err, rbErr))
			}
			clear(memo) // it may hold what the rolled-back function wrote
			continue
		}
		ok++
	}
	if ok == 0 {
		_ = tx.Rollback().Error
		return nil
	}
	if err := batchRows.flush(tx); err != nil {
		// Whose row failed is not known here: the pass with savepoints finds out.
		_ = tx.Rollback().Error
		return &functionFailed{err}
	}
	if fn := g.opts.BeforeCommitFunc; fn != nil {
		if err := fn(context.WithValue(ctx, txKey{}, tx)); err != nil {
			return g.abort(tx, fmt.Errorf("committing a group transaction: %w", err))
		}
	}
	if err := tx.Commit().Error; err != nil {
		g.failed.Add(1)
		return fmt.Errorf("committing a group transaction: %w", err)
	}
	g.commits.Add(1)
	g.committed.Add(int64(ok))
	g.db.checkpoints.committed()
	return nil
}

// abort rolls the pass back and returns err, which fails every function that had
// not failed itself.
func (g *groupCommit) abort(tx *gorm.DB, err error) error {
	g.failed.Add(1)
	_ = tx.Rollback().Error
	return err
}

// runGuarded runs fn, turning a panic into its error so one bad delivery cannot take
// down the batch or the worker.
func runGuarded(ctx context.Context, fn func(ctx context.Context) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic in a grouped transaction: %v", p)
		}
	}()
	return fn(ctx)
}

// isRetryable reports whether err is PostgreSQL telling a transaction it lost a
// deadlock or a serialization check: running the same work again later succeeds.
func isRetryable(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40P01" || pgErr.Code == "40001")
}
