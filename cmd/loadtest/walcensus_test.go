package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// walDatabase makes a WAL-mode SQLite database that is never checkpointed, runs
// stmts in it (each its own commit) and returns its path with the connection still
// open, so that the WAL holds every commit.
func walDatabase(t *testing.T, stmts ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "w.db")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=wal_autocheckpoint(0)")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { _ = db.Close() })
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	return path
}

func inserts(n int) []string {
	stmts := []string{
		"CREATE TABLE things (id INTEGER PRIMARY KEY, owner TEXT NOT NULL, body TEXT NOT NULL)",
		"CREATE INDEX things_owner ON things (owner, id)",
	}
	for i := range n {
		stmts = append(stmts, fmt.Sprintf("INSERT INTO things (owner, body) VALUES ('owner-%d', '%s')", i%7, strings.Repeat("x", 300)))
	}
	return stmts
}

// walOf makes a database of n inserts (walDatabase, inserts) and returns its WAL's
// bytes, page size and frames.
func walOf(t *testing.T, n int) ([]byte, int, []walFrame) {
	t.Helper()
	raw, err := os.ReadFile(walDatabase(t, inserts(n)...) + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	pageSize, frames, err := readWALFrames(raw)
	if err != nil {
		t.Fatal(err)
	}
	return raw, pageSize, frames
}

func TestReadWALFramesCountsEveryCommit(t *testing.T) {
	_, pageSize, frames := walOf(t, 40)
	if pageSize != 4096 {
		t.Errorf("page size %d, want SQLite's default 4096", pageSize)
	}
	commits := 0
	for _, f := range frames {
		if f.commit {
			commits++
		}
	}
	// Two CREATEs and 40 INSERTs, each committed on its own.
	if commits != 42 {
		t.Errorf("%d commits in %d frames, want 42", commits, len(frames))
	}
	if !frames[len(frames)-1].commit {
		t.Error("the last frame returned does not end a commit")
	}
}

func TestReadWALFramesStopsAtATornFrame(t *testing.T) {
	raw, pageSize, whole := walOf(t, 10)
	frameSize := 24 + pageSize
	// The last frame's page loses a byte: its checksum no longer follows, so it and
	// the commit it ends are gone, as they would be after a crash mid-write.
	torn := bytes.Clone(raw)
	torn[len(torn)-1] ^= 0xff
	_, frames, err := readWALFrames(torn)
	if err != nil {
		t.Fatal(err)
	}
	if len(frames) >= len(whole) || !frames[len(frames)-1].commit {
		t.Errorf("torn WAL: %d frames ending in a commit=%v, want fewer than %d ending in a commit",
			len(frames), len(frames) > 0 && frames[len(frames)-1].commit, len(whole))
	}
	// A file cut mid-frame reads the same as one without that frame.
	cut := raw[:len(raw)-frameSize/2]
	_, frames, err = readWALFrames(cut)
	if err != nil {
		t.Fatal(err)
	}
	if len(frames) >= len(whole) {
		t.Errorf("cut WAL: %d frames, want fewer than %d", len(frames), len(whole))
	}
	if _, _, err := readWALFrames([]byte("SQLite format 3\x00 and more bytes besides")); !errors.Is(err, errNotWAL) {
		t.Errorf("a database file read as a WAL: %v, want errNotWAL", err)
	}
}

func TestWALCensusNamesTheBTrees(t *testing.T) {
	path := walDatabase(t, inserts(60)...)
	c, err := takeWALCensus(context.Background(), path, filepath.Join(t.TempDir(), "census"))
	if err != nil {
		t.Fatal(err)
	}
	if c.commits != 62 {
		t.Errorf("%d commits, want 62", c.commits)
	}
	// Every INSERT writes a page of the table and one of its index.
	for _, name := range []string{"things", "things_owner"} {
		if c.frames[name] < 60 {
			t.Errorf("%s took %d frames, want one at least for each of the 60 inserts; census %v", name, c.frames[name], c.frames)
		}
	}
	var out strings.Builder
	c.report(&out, "test", 2)
	if got := out.String(); !strings.Contains(got, "62 commits") || !strings.Contains(got, "things_owner") {
		t.Errorf("report:\n%s", got)
	}
}
