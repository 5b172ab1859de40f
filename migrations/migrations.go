package migrations

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"sort"
	"strconv"
	"strings"
)

// Dialect names the SQL flavour a migration folder is written in.
type Dialect string

// The dialects statusgate ships migrations for.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

//go:embed postgres/*.sql sqlite/*.sql
var files embed.FS

// Migration is one versioned step.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// advisoryLockID is an arbitrary constant that names statusgate's migration lock.
const advisoryLockID = 7_342_118_001

// List returns the migrations of a dialect in version order.
func List(d Dialect) ([]Migration, error) {
	entries, err := fs.ReadDir(files, string(d))
	if err != nil {
		return nil, fmt.Errorf("migrations for %s: %w", d, err)
	}
	var out []Migration
	for _, e := range entries {
		name := e.Name()
		num, rest, ok := strings.Cut(strings.TrimSuffix(name, ".sql"), "_")
		if !ok {
			return nil, fmt.Errorf("migration %s/%s: want NNNN_name.sql", d, name)
		}
		v, err := strconv.Atoi(num)
		if err != nil {
			return nil, fmt.Errorf("migration %s/%s: version: %w", d, name, err)
		}
		body, err := fs.ReadFile(files, path.Join(string(d), name))
		if err != nil {
			return nil, fmt.Errorf("migration %s/%s: %w", d, name, err)
		}
		out = append(out, Migration{Version: v, Name: rest, SQL: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i := 1; i < len(out); i++ {
		if out[i].Version == out[i-1].Version {
			return nil, fmt.Errorf("migrations for %s: version %d appears twice", d, out[i].Version)
		}
	}
	return out, nil
}

// Apply brings the database up to the newest version, one transaction per step.
func Apply(ctx context.Context, db *sql.DB, d Dialect, logger *slog.Logger) error {
	all, err := List(d)
	if err != nil {
		return err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	defer conn.Close()
	if d == Postgres {
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", advisoryLockID); err != nil {
			return fmt.Errorf("migrations: taking the lock: %w", err)
		}
		defer func() {
			// A fresh context: the unlock must run even when ctx is already cancelled.
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", advisoryLockID)
		}()
	}
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY,
		name TEXT NOT NULL,
		applied_at TEXT NOT NULL
	)`); err != nil {
		return fmt.Errorf("migrations: creating schema_migrations: %w", err)
	}
	applied, err := appliedVersions(ctx, conn)
	if err != nil {
		return err
	}
	for _, m := range all {
		if applied[m.Version] {
			continue
		}
		if err := applyOne(ctx, conn, d, m); err != nil {
			return err
		}
		logger.Info("migration applied", slog.Int("version", m.Version), slog.String("name", m.Name))
	}
	return nil
}

func appliedVersions(ctx context.Context, conn *sql.Conn) (map[int]bool, error) {
	rows, err := conn.QueryContext(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return nil, fmt.Errorf("migrations: reading schema_migrations: %w", err)
	}
	defer rows.Close()
	out := map[int]bool{}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("migrations: reading schema_migrations: %w", err)
		}
		out[v] = true
	}
	return out, rows.Err()
}

func applyOne(ctx context.Context, conn *sql.Conn, d Dialect, m Migration) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migration %d_%s: %w", m.Version, m.Name, err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return fmt.Errorf("migration %d_%s: %w", m.Version, m.Name, err)
	}
	insert := "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, CURRENT_TIMESTAMP)"
	if d == Postgres {
		insert = "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, now()::text)"
	}
	if _, err := tx.ExecContext(ctx, insert, m.Version, m.Name); err != nil {
		return fmt.Errorf("migration %d_%s: recording it: %w", m.Version, m.Name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migration %d_%s: commit: %w", m.Version, m.Name, err)
	}
	return nil
}

// Latest returns the newest version a dialect's folder holds.
func Latest(d Dialect) (int, error) {
	all, err := List(d)
	if err != nil || len(all) == 0 {
		return 0, err
	}
	return all[len(all)-1].Version, nil
}
