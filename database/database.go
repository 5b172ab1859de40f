package database

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	gormsqlite "github.com/libtnb/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	gormlogger "gorm.io/gorm/logger"
	"modernc.org/sqlite"

	"github.com/statusgate/statusgate/migrations"
)

// Dialect names the SQL flavour of a store.
type Dialect = migrations.Dialect

// The two stores statusgate runs on.
const (
	SQLite   = migrations.SQLite
	Postgres = migrations.Postgres
)

// Sentinel errors the storage boundary translates gorm's into, so domain packages can
// turn them into their own not-found and conflict errors.
var (
	ErrNotFound   = gorm.ErrRecordNotFound
	ErrDuplicate  = gorm.ErrDuplicatedKey
	ErrForeignKey = gorm.ErrForeignKeyViolated
)

// DB is an open store.
type DB struct {
	gorm    *gorm.DB
	dialect Dialect
	logger  *slog.Logger
	unlock  func() error // releases the SQLite file lock
	group   *groupCommit // InGroupTx's workers (groupcommit.go)
	writes  *tableWrites // WriteCount's counts; nil on PostgreSQL
	reader  *gorm.DB     // Reader's read-only pool on SQLite; nil on PostgreSQL
	// checkpoints copies SQLite's WAL into the file beside the writer
	// (sqlite_checkpoint.go); nil on PostgreSQL and for a SharedFile command.
	checkpoints *checkpointer
}

// Options tune Open. The zero value is fine.
type Options struct {
	Logger *slog.Logger
	// MaxOpenConns caps the PostgreSQL pool (SQLite always writes through one connection).
	MaxOpenConns int
	// SharedFile skips the SQLite file lock, for a one-shot command (creating an API
	// key) beside a running gateway: its few transactions begin IMMEDIATE and wait
	// their turn under the busy timeout. A gateway never sets it.
	SharedFile bool
	// GroupCommit tunes InGroupTx.
	GroupCommit GroupCommitOptions
}

// Open connects to the store named by rawURL ("sqlite://<path>" or "postgres://...")
// and applies pending migrations. A SQLite file is locked for this process until Close:
// a second process on it fails here with an error naming the file and the holder.
func Open(ctx context.Context, rawURL string, opts Options) (*DB, error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	cfg := gormConfig()
	var (
		dialector gorm.Dialector
		dialect   Dialect
		unlock    = func() error { return nil }
		writes    *tableWrites
		dsn       string // SQLite's, for the readers
		err       error
	)
	// Until the store is handed out, a failure releases the SQLite lock.
	defer func() {
		if err != nil {
			_ = unlock()
		}
	}()
	switch {
	case strings.HasPrefix(rawURL, "sqlite://"):
		path := strings.TrimPrefix(rawURL, "sqlite://")
		if path == "" {
			return nil, errors.New("database url: sqlite:// needs a file path, e.g. sqlite://./data/statusgate.db")
		}
		if err = os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			return nil, fmt.Errorf("creating the folder of %s: %w", path, err)
		}
		if !opts.SharedFile {
			release, lockErr := lockSQLite(path)
			if lockErr != nil {
				return nil, lockErr
			}
			unlock = release
		}
		// Statements are cached on the driver connection (sqlite_stmtcache.go), not
		// by gorm's PrepareStmt: a statement that first runs inside a transaction is
		// prepared on it and closed with it, so PrepareStmt parses as often as before.
		if err := registerWALVFS(); err != nil {
			return nil, fmt.Errorf("setting up SQLite: %w", err)
		}
		writes = &tableWrites{}
		dsn = sqliteDSN(path)
		dialector = &gormsqlite.Dialector{Conn: openSQLite(dsn, writes)}
		dialect = SQLite
	case strings.HasPrefix(rawURL, "postgres://"), strings.HasPrefix(rawURL, "postgresql://"):
		dialector = postgres.New(postgres.Config{
			DSN:          rawURL,
			OptionOpenDB: []stdlib.OptionOpenDB{stdlib.OptionAfterConnect(encodeUUIDsDirectly)},
		})
		dialect = Postgres
	default:
		return nil, fmt.Errorf("database url %q: want sqlite://<path> or a postgres:// URL", redactURL(rawURL))
	}
	g, err := gorm.Open(dialector, cfg)
	if err != nil {
		return nil, fmt.Errorf("opening %s database: %w", dialect, err)
	}
	sqlDB, err := g.DB()
	if err != nil {
		return nil, fmt.Errorf("opening %s database: %w", dialect, err)
	}
	if dialect == SQLite {
		// SQLite allows one writer; one connection makes every write wait its turn in
		// Go instead of failing with SQLITE_BUSY, and serializes concurrent webhooks.
		sqlDB.SetMaxOpenConns(1)
	} else {
		n := opts.MaxOpenConns
		if n <= 0 {
			n = 20
		}
		sqlDB.SetMaxOpenConns(n)
		sqlDB.SetMaxIdleConns(n)
		sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	}
	db := &DB{gorm: g, dialect: dialect, logger: logger, unlock: unlock, writes: writes}
	if err = db.Ping(ctx); err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("connecting to %s database: %w", dialect, err)
	}
	if err = migrations.Apply(ctx, sqlDB, dialect, logger); err != nil {
		_ = sqlDB.Close()
		return nil, err
	}
	if dialect == SQLite {
		// Opened once the schema is there, so a reader never sees a file mid-migration.
		if db.reader, err = openSQLiteReader(dsn, gormConfig()); err != nil {
			_ = sqlDB.Close()
			return nil, err
		}
		if !opts.SharedFile {
			db.checkpoints = startCheckpointer(dsn, logger)
		}
	}
	db.group = newGroupCommit(db, opts.GroupCommit)
	return db, nil
}

// gormConfig is how every gorm handle of a store is set up; gorm.Open takes the
// config over, so each handle gets its own.
func gormConfig() *gorm.Config {
	return &gorm.Config{
		TranslateError: true,
		Logger:         gormlogger.Discard,
		NowFunc:        func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) },
		// Every multi-statement write opens its own transaction through InTx; gorm's
		// implicit per-statement transactions would only add round trips.
		SkipDefaultTransaction: true,
	}
}

// sqliteDSN turns a path into a DSN with the settings SQLite needs to be a safe store:
// foreign keys enforced, WAL so readers do not block the writer, a busy timeout, and
// synchronous=FULL because a 2xx promises the change survives a power cut. Immediate
// transactions come from openSQLite: the driver ignores _txlock (sqlite_immediate.go).
func sqliteDSN(path string) string {
	q := url.Values{}
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "synchronous(FULL)")
	// Group commit runs each delivery under a savepoint, whose sub-journal SQLite
	// keeps in a temporary file by default: a fifth of a delivery's CPU went to
	// writing it. In memory it is a copy; durability is the WAL's, not its.
	q.Add("_pragma", "temp_store(MEMORY)")
	// A checkpoint copies the WAL into the database file and, with synchronous=FULL,
	// syncs both: at the default 1000 pages it ran every few dozen batches under
	// load. 8000 pages (32 MiB of WAL at most between checkpoints) made the
	// unchanged path 7 % faster; durability is unchanged, the WAL is synced at
	// every commit either way.
	q.Add("_pragma", "wal_autocheckpoint(8000)")
	q.Set("_time_format", "sqlite")
	// One pwrite per commit instead of two per frame (sqlite_walvfs.go).
	q.Set("vfs", walVFSName)
	return "file:" + path + "?" + q.Encode()
}

// redactURL keeps a password out of error messages and logs.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "<unparseable>"
	}
	return u.Redacted()
}

// Dialect reports which store this is.
func (db *DB) Dialect() Dialect { return db.dialect }

// SQL returns the underlying *sql.DB (migrations, health checks, tests).
func (db *DB) SQL() *sql.DB {
	s, _ := db.gorm.DB()
	return s
}

// Ping checks that the store answers.
func (db *DB) Ping(ctx context.Context) error {
	return db.SQL().PingContext(ctx)
}

// Close finishes the grouped transactions already handed in, closes the pool, then
// releases the SQLite file lock.
func (db *DB) Close() error {
	db.group.close()
	err := db.checkpoints.close()
	err = errors.Join(err, db.SQL().Close())
	if db.reader != nil {
		if pool, poolErr := db.reader.DB(); poolErr == nil {
			err = errors.Join(err, pool.Close())
		}
	}
	if db.unlock != nil {
		err = errors.Join(err, db.unlock())
	}
	return err
}

type txKey struct{}

// InTx runs fn in one transaction and commits it if fn returns nil. The context fn
// receives carries the transaction: every Conn(ctx) inside fn uses it. A nested InTx
// joins the outer transaction, so a domain method that owns its transaction can also
// take part in a larger one.
func (db *DB) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if _, ok := ctx.Value(txKey{}).(*gorm.DB); ok {
		return fn(ctx)
	}
	hooks, rows := &afterCommit{}, &pendingRows{}
	err := db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := fn(withTx(ctx, tx, hooks, rows, txMemo{})); err != nil {
			return err
		}
		return rows.flush(tx)
	})
	if err == nil {
		db.checkpoints.committed()
		for _, f := range hooks.funcs {
			f()
		}
	}
	return err
}

// withTx returns ctx carrying tx, the AfterCommit hooks to run once it commits, the
// rows InsertLater queues for it and what Memo read in it.
func withTx(ctx context.Context, tx *gorm.DB, hooks *afterCommit, rows *pendingRows, memo txMemo) context.Context {
	ctx = context.WithValue(ctx, txKey{}, tx)
	ctx = context.WithValue(ctx, hooksKey{}, hooks)
	ctx = context.WithValue(ctx, pendingKey{}, rows)
	return context.WithValue(ctx, memoKey{}, memo)
}

type hooksKey struct{}

// afterCommit collects the functions AfterCommit registered in one transaction. A
// transaction runs on one goroutine, so it needs no lock.
type afterCommit struct{ funcs []func() }

// AfterCommit runs fn once the transaction carried by ctx has committed, and never if
// it rolls back; without a transaction in ctx it runs fn at once. It is how a writer
// wakes whoever reads what it wrote (the notify workers) without their finding
// nothing because the rows are not visible yet. fn must be quick and must not fail.
func AfterCommit(ctx context.Context, fn func()) {
	if hooks, ok := ctx.Value(hooksKey{}).(*afterCommit); ok {
		hooks.funcs = append(hooks.funcs, fn)
		return
	}
	fn()
}

// InTransaction reports whether ctx carries a transaction of InTx, which a method
// that only locks rows for its caller needs: outside one, the lock ends at once.
func (db *DB) InTransaction(ctx context.Context) bool {
	_, ok := ctx.Value(txKey{}).(*gorm.DB)
	return ok
}

// Conn returns the transaction carried by ctx, or the pool bound to ctx.
func (db *DB) Conn(ctx context.Context) *gorm.DB {
	if tx, ok := ctx.Value(txKey{}).(*gorm.DB); ok {
		return tx
	}
	return db.gorm.WithContext(ctx)
}

// ForUpdate locks the rows q selects until the transaction ends. PostgreSQL needs the
// row lock; SQLite has one writer at a time, so its immediate transaction already
// serializes the same work.
//
// The lock is FOR NO KEY UPDATE, the one PostgreSQL's own UPDATE of non-key columns
// takes: lockers still exclude each other, but an insert whose foreign key names a
// locked row (a delivery's channel, a history row's service) does not wait for it.
// With FOR UPDATE every outbox insert for a channel queued behind each attempt
// record that held the channel's row.
func (db *DB) ForUpdate(q *gorm.DB) *gorm.DB {
	if db.dialect == Postgres {
		return q.Clauses(clause.Locking{Strength: LockStrength})
	}
	return q
}

// LockStrength is ForUpdate's lock, for a query that adds its own options.
const LockStrength = "NO KEY UPDATE"

// IsUnavailable reports whether err means the store cannot be reached or is too busy
// right now, as opposed to a bug or a bad query. Such errors answer 503 + Retry-After.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	var (
		netErr     net.Error
		connectErr *pgconn.ConnectError
		sqliteErr  *sqlite.Error
	)
	switch {
	case errors.As(err, &connectErr), errors.As(err, &netErr):
		return true
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, context.DeadlineExceeded):
		return true
	case errors.As(err, &sqliteErr):
		code := sqliteErr.Code() & 0xff // primary result code
		return code == 5 || code == 6   // SQLITE_BUSY, SQLITE_LOCKED
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// Class 08 is connection exceptions, 57P0x the server shutting down, 53 out of resources.
		return strings.HasPrefix(pgErr.Code, "08") || strings.HasPrefix(pgErr.Code, "57P") || strings.HasPrefix(pgErr.Code, "53")
	}
	return false
}
