package database

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// These tests drive SQLite through the DSN the store uses, so through walVFS, and
// check what they wrote by reading it back through the plain unix VFS: a frame the
// VFS held back or wrote out of place shows there as a missing row, a wrong
// payload or a failed integrity check.

// openWALVFS opens path as the store does, on one connection, so pragmas set on it
// hold for every statement.
func openWALVFS(t *testing.T, path string) *sql.DB {
	t.Helper()
	if err := registerWALVFS(); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", sqliteDSN(path))
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// openPlain opens path with SQLite's own unix VFS and nothing of ours.
func openPlain(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func mustExec(t *testing.T, db interface {
	Exec(string, ...any) (sql.Result, error)
}, query string, args ...any) {
	t.Helper()
	if _, err := db.Exec(query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// payload is row id's content in version v: sizes from a few bytes to several
// pages, so rows share pages, fill them and overflow them.
func payload(id, v int) []byte {
	r := rand.New(rand.NewPCG(uint64(id), uint64(v)))
	b := make([]byte, 1+r.IntN(9000))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// checkRows reads every row of db's samples table and compares it with want, the
// version of each id that was committed.
func checkRows(t *testing.T, db *sql.DB, want map[int]int) {
	t.Helper()
	var verdict string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&verdict); err != nil || verdict != "ok" {
		t.Fatalf("integrity_check: %q (%v)", verdict, err)
	}
	rows, err := db.Query(`SELECT id, body FROM samples`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	seen := 0
	for rows.Next() {
		var id int
		var body []byte
		if err := rows.Scan(&id, &body); err != nil {
			t.Fatal(err)
		}
		v, ok := want[id]
		if !ok {
			t.Fatalf("row %d is in the database but was never committed", id)
		}
		if !bytes.Equal(body, payload(id, v)) {
			t.Fatalf("row %d: body of %d bytes is not version %d's %d bytes", id, len(body), v, len(payload(id, v)))
		}
		seen++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if seen != len(want) {
		t.Fatalf("%d rows read back, %d committed", seen, len(want))
	}
}

// A commit reaches the WAL in one write however many frames it has, so it costs
// one system call before its fsync instead of two per page.
func TestWALVFSWritesACommitAtOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gather.db")
	db := openWALVFS(t, path)
	mustExec(t, db, `CREATE TABLE samples (id INTEGER PRIMARY KEY, body BLOB)`)

	calls, writes := walVFS.writeCalls.Load(), walVFS.fileWrites.Load()
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	want, size := map[int]int{}, 0
	for id := range 10 {
		mustExec(t, tx, `INSERT INTO samples (id, body) VALUES (?, ?)`, id, payload(id, 1))
		want[id], size = 1, size+len(payload(id, 1))
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	calls, writes = walVFS.writeCalls.Load()-calls, walVFS.fileWrites.Load()-writes
	// Each page the rows fill is a frame, and each frame two calls.
	if pages := size / 4096; calls < int64(2*pages) {
		t.Fatalf("SQLite made %d writes to the WAL for a commit of %d bytes; was the VFS in use?", calls, size)
	}
	if writes != 1 {
		t.Fatalf("the commit's %d WAL writes reached the file as %d writes, want 1", calls, writes)
	}
	checkRows(t, openPlain(t, path), want)
}

// Whatever SQLite writes — small commits, a commit bigger than the buffer, a
// transaction that spills pages to the WAL and rewrites them before it commits, a
// rollback, checkpoints that restart the WAL — is in the file as SQLite meant it,
// and another connection sees each commit as soon as it returns, under
// synchronous=FULL and under NORMAL, where no fsync comes after the commit.
func TestWALVFSKeepsWhatEachCommitWrote(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keeps.db")
	db := openWALVFS(t, path)
	plain := openPlain(t, path)
	mustExec(t, db, `CREATE TABLE samples (id INTEGER PRIMARY KEY, body BLOB)`)
	want := map[int]int{}

	commit := func(what string, sets map[int]int, deletes []int) {
		t.Helper()
		tx, err := db.Begin()
		if err != nil {
			t.Fatal(err)
		}
		for id, v := range sets {
			mustExec(t, tx, `INSERT INTO samples (id, body) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET body = excluded.body`, id, payload(id, v))
		}
		for _, id := range deletes {
			mustExec(t, tx, `DELETE FROM samples WHERE id = ?`, id)
		}
		if err := tx.Commit(); err != nil {
			t.Fatalf("%s: commit: %v", what, err)
		}
		for id, v := range sets {
			want[id] = v
		}
		for _, id := range deletes {
			delete(want, id)
		}
		var n int
		if err := plain.QueryRow(`SELECT count(*) FROM samples`).Scan(&n); err != nil || n != len(want) {
			t.Fatalf("%s: another connection counts %d rows (%v) right after the commit, want %d", what, n, err, len(want))
		}
	}

	for _, sync := range []string{"FULL", "NORMAL"} {
		mustExec(t, db, `PRAGMA synchronous = `+sync)
		base := len(want) + 1000*len(sync)
		for i := range 60 {
			commit(sync+" small commit", map[int]int{base + i: 1, base + i/2: 2}, nil)
		}
		// About 2.7 MB in one commit: more than walBufferLimit, and pieces of more
		// than the unix VFS writes in one pwrite.
		big := map[int]int{}
		for i := range 600 {
			big[base+100+i] = 1
		}
		commit(sync+" big commit", big, []int{base + 3, base + 4})

		// A page cache of a few pages makes the transaction spill its pages to the
		// WAL and then change them again before the commit: SQLite overwrites
		// those frames in place and rewrites their checksums.
		mustExec(t, db, `PRAGMA cache_size = 4`)
		spill := map[int]int{}
		for i := range 600 {
			spill[base+100+i] = 2
		}
		for i := 0; i < 600; i += 3 {
			spill[base+100+i] = 3
		}
		commit(sync+" spilling commit", spill, nil)
		mustExec(t, db, `PRAGMA cache_size = -2000`)

		tx, err := db.Begin()
		if err != nil {
			t.Fatal(err)
		}
		mustExec(t, tx, `DELETE FROM samples`)
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
		mustExec(t, db, `PRAGMA wal_checkpoint(PASSIVE)`)
		commit(sync+" after a checkpoint", map[int]int{base + 5: 4}, nil)
		mustExec(t, db, `PRAGMA wal_checkpoint(TRUNCATE)`)
		commit(sync+" into a restarted WAL", map[int]int{base + 6: 4, base + 7: 4}, nil)
		checkRows(t, plain, want)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	checkRows(t, plain, want)
}

// crashWriterEnv names the database the child process of
// TestWALVFSAcknowledgedCommitsSurviveKill writes to.
const crashWriterEnv = "STATUSGATE_WALVFS_CRASH_DB"

// CrashWriterIfAsked makes this test binary the crash test's child when the
// environment asks for it: it commits rows through walVFS, saying each id on
// stdout once its commit returned, until it is killed. TestMain calls it first.
func CrashWriterIfAsked() {
	if path := os.Getenv(crashWriterEnv); path != "" {
		os.Exit(crashWriter(path))
	}
}

func crashWriter(path string) int {
	if err := registerWALVFS(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	db, err := sql.Open("sqlite", sqliteDSN(path))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE TABLE IF NOT EXISTS samples (id INTEGER PRIMARY KEY, body BLOB)`); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	var next int
	if err := db.QueryRow(`SELECT coalesce(max(id), 0) + 1 FROM samples`).Scan(&next); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	out := bufio.NewWriter(os.Stdout)
	for id := next; ; id++ {
		if _, err := db.Exec(`INSERT INTO samples (id, body) VALUES (?, ?)`, id, payload(id, 1)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Fprintln(out, id)
		_ = out.Flush()
	}
}

// A commit SQLite has returned is in the file when the process dies the next
// moment: the VFS wrote it before the fsync it answered after. Killed with
// SIGKILL mid-stream, three times over one database, the writer loses nothing it
// acknowledged, and what it did not acknowledge is either whole or absent.
func TestWALVFSAcknowledgedCommitsSurviveKill(t *testing.T) {
	path := filepath.Join(t.TempDir(), "crash.db")
	acknowledged := 0
	for round := range 3 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashWriterEnv+"="+path)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := bufio.NewScanner(stdout)
		target := acknowledged + 200 + round*37
		for acknowledged < target && lines.Scan() {
			id, err := strconv.Atoi(lines.Text())
			if err != nil {
				t.Fatalf("child said %q", lines.Text())
			}
			acknowledged = id
		}
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		cancel()
		if acknowledged < target {
			t.Fatalf("round %d: the writer stopped at %d of %d commits: %s", round, acknowledged, target, stderr.String())
		}

		plain := openPlain(t, path)
		var verdict string
		var rows, highest int
		if err := plain.QueryRow(`PRAGMA integrity_check`).Scan(&verdict); err != nil || verdict != "ok" {
			t.Fatalf("round %d: integrity_check after the kill: %q (%v)", round, verdict, err)
		}
		if err := plain.QueryRow(`SELECT count(*), coalesce(max(id), 0) FROM samples`).Scan(&rows, &highest); err != nil {
			t.Fatal(err)
		}
		if highest < acknowledged || rows != highest {
			t.Fatalf("round %d: %d rows up to id %d after the kill; %d were acknowledged, in order", round, rows, highest, acknowledged)
		}
		want := map[int]int{}
		for id := 1; id <= highest; id++ {
			want[id] = 1
		}
		checkRows(t, plain, want)
		if err := plain.Close(); err != nil {
			t.Fatal(err)
		}
		acknowledged = highest
	}
}
