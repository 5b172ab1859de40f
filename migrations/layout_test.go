package migrations_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/statusgate/statusgate/dbtest"
	"github.com/statusgate/statusgate/migrations"
)

// 0010 rebuilds SQLite's delivery log without its primary key's index: a gateway
// that upgrades keeps every delivery it had, with every column, and the log keeps the
// one index its lookups use.
func TestDeliveryLogLayoutKeepsTheLog(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "old.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%.60s: %v", q, err)
		}
	}
	// A store as 0009 left it, holding one delivery (foreign keys are off on this
	// connection: the receiver it names need not exist).
	exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`)
	all, err := migrations.List(migrations.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range all {
		if m.Version >= 10 {
			break
		}
		exec(m.SQL)
		exec("INSERT INTO schema_migrations VALUES (?, ?, CURRENT_TIMESTAMP)", m.Version, m.Name)
	}
	exec(`INSERT INTO deliveries (id, receiver_id, received_at, source_ip, result, reason, raw_status, payload, headers, items, replay_of, query, payload_lossy)
		VALUES ('0193a1b2-0000-7000-8000-000000000001', '0193a1b2-0000-7000-8000-0000000000aa', '2026-12-01 10:00:00', '127.0.0.1',
		'ignored', 'unchanged', 'up', '{"status":"up"}', '{"X-A":["1"]}', '[]', NULL, 'a=1', 1)`)

	if err := migrations.Apply(ctx, db, migrations.SQLite, dbtest.Logger(t)); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	var id, receiver, at, ip, result, reason, raw, payload, headers, items, query string
	var lossy int
	err = db.QueryRowContext(ctx, `SELECT id, receiver_id, received_at, source_ip, result, reason, raw_status, payload, headers, items, query, payload_lossy FROM deliveries`).
		Scan(&id, &receiver, &at, &ip, &result, &reason, &raw, &payload, &headers, &items, &query, &lossy)
	if err != nil {
		t.Fatalf("reading the delivery back: %v", err)
	}
	if id != "0193a1b2-0000-7000-8000-000000000001" || result != "ignored" || reason != "unchanged" || payload != `{"status":"up"}` ||
		headers != `{"X-A":["1"]}` || items != "[]" || query != "a=1" || lossy != 1 || ip != "127.0.0.1" {
		t.Fatalf("delivery after 0010: %s %s %s %s %s %s %s %s %s %d", id, receiver, ip, result, reason, payload, headers, items, query, lossy)
	}
	var indexes []string
	rows, err := db.QueryContext(ctx, "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'deliveries' ORDER BY name")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		indexes = append(indexes, name)
	}
	if len(indexes) != 1 || indexes[0] != "deliveries_receiver_newest" {
		t.Fatalf("indexes of deliveries after 0010: %v, want deliveries_receiver_newest alone", indexes)
	}
	// 0011: the index also carries what decides a row's part of the log, so the
	// prune's reads and keptLog never look up the rows themselves.
	cols, err := db.QueryContext(ctx, "SELECT name FROM pragma_index_info('deliveries_receiver_newest') ORDER BY seqno")
	if err != nil {
		t.Fatal(err)
	}
	defer cols.Close()
	var names []string
	for cols.Next() {
		var name string
		if err := cols.Scan(&name); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	if got, want := strings.Join(names, ","), "receiver_id,received_at,id,result,error_code"; got != want {
		t.Fatalf("deliveries_receiver_newest covers (%s), want (%s)", got, want)
	}
}
