package main

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	_ "modernc.org/sqlite" // the driver, to map pages to b-trees through dbstat
)

// The WAL census says where a SQLite commit's writes go. On SQLite's one writer a
// commit costs about a page of WAL (a frame) for every b-tree page the batch touched,
// whatever the rows hold, so the frames per commit, by table and index, say which
// part of the schema a path pays for (docs/DECISIONS.md, Fast path). It reads a copy
// of the WAL taken while the gateway runs: the frames since the WAL last started
// over, whose page numbers dbstat maps to the b-trees of the copied database.

// walFrame is one frame of a WAL: the page it holds, and whether it ends a commit.
type walFrame struct {
	page   uint32
	commit bool
}

// errNotWAL says the bytes do not start with a WAL header.
var errNotWAL = errors.New("not a SQLite WAL")

// readWALFrames returns the page size and the valid frames of a WAL file's bytes, in
// order: those whose salts are the header's and whose checksums follow on from the
// frame before, as SQLite's recovery reads them. It stops at the first frame that is
// not (a torn write, or a frame left from before the WAL started over); frames after
// the last commit frame are dropped, as recovery would.
func readWALFrames(raw []byte) (int, []walFrame, error) {
	const headerSize, frameHeaderSize = 32, 24
	if len(raw) < headerSize {
		return 0, nil, errNotWAL
	}
	magic := binary.BigEndian.Uint32(raw[0:4])
	if magic&^1 != 0x377f0682 {
		return 0, nil, errNotWAL
	}
	// The checksums read the file as 32-bit words in the order the magic names.
	var order binary.ByteOrder = binary.LittleEndian
	if magic&1 == 1 {
		order = binary.BigEndian
	}
	pageSize := int(binary.BigEndian.Uint32(raw[8:12]))
	if pageSize < 512 || pageSize > 65536 || pageSize&(pageSize-1) != 0 {
		return 0, nil, fmt.Errorf("%w: page size %d", errNotWAL, pageSize)
	}
	s1, s2 := walChecksum(order, raw[:24], 0, 0)
	if s1 != binary.BigEndian.Uint32(raw[24:28]) || s2 != binary.BigEndian.Uint32(raw[28:32]) {
		return 0, nil, fmt.Errorf("%w: the header's checksum does not match", errNotWAL)
	}
	salt := raw[16:24]
	var frames []walFrame
	committed := 0 // frames up to and including the last commit frame
	for off := headerSize; off+frameHeaderSize+pageSize <= len(raw); off += frameHeaderSize + pageSize {
		h := raw[off : off+frameHeaderSize]
		if string(h[8:16]) != string(salt) {
			break
		}
		s1, s2 = walChecksum(order, h[:8], s1, s2)
		s1, s2 = walChecksum(order, raw[off+frameHeaderSize:off+frameHeaderSize+pageSize], s1, s2)
		if s1 != binary.BigEndian.Uint32(h[16:20]) || s2 != binary.BigEndian.Uint32(h[20:24]) {
			break
		}
		f := walFrame{page: binary.BigEndian.Uint32(h[0:4]), commit: binary.BigEndian.Uint32(h[4:8]) != 0}
		frames = append(frames, f)
		if f.commit {
			committed = len(frames)
		}
	}
	return pageSize, frames[:committed], nil
}

// walChecksum continues SQLite's WAL checksum (s1, s2) over b, whose length is a
// multiple of 8.
func walChecksum(order binary.ByteOrder, b []byte, s1, s2 uint32) (uint32, uint32) {
	for i := 0; i+8 <= len(b); i += 8 {
		s1 += order.Uint32(b[i:]) + s2
		s2 += order.Uint32(b[i+4:]) + s1
	}
	return s1, s2
}

// walCensus is what the frames of a WAL wrote: how many commits, and how many frames
// each b-tree (a table or an index, by name) took.
type walCensus struct {
	commits int
	frames  map[string]int
}

// add counts other's commits and frames into c.
func (c *walCensus) add(other walCensus) {
	c.commits += other.commits
	for name, n := range other.frames {
		c.frames[name] += n
	}
}

// pathCensus is the census of a path's gateway runs.
type pathCensus struct {
	path   string
	census walCensus
}

// takeWALCensus copies the database at dbPath and its WAL into dir, reads the
// copy's frames and names the b-tree of each page with dbstat. The copy is taken
// while the gateway writes: a frame being written is cut off by the checksum, and a
// page reused by another b-tree since its frame was written is counted under its
// new owner, which for a census of thousands of frames is noise.
func takeWALCensus(ctx context.Context, dbPath, dir string) (walCensus, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return walCensus{}, err
	}
	copyPath := filepath.Join(dir, "census.db")
	// The WAL first: the database file only changes at a checkpoint, which copies
	// frames the WAL still holds.
	if err := copyFile(dbPath+"-wal", copyPath+"-wal"); err != nil {
		return walCensus{}, err
	}
	if err := copyFile(dbPath, copyPath); err != nil {
		return walCensus{}, err
	}
	raw, err := os.ReadFile(copyPath + "-wal")
	if err != nil {
		return walCensus{}, err
	}
	_, frames, err := readWALFrames(raw)
	if err != nil {
		return walCensus{}, fmt.Errorf("reading the WAL of %s: %w", dbPath, err)
	}
	owners, err := pageOwners(ctx, copyPath)
	if err != nil {
		return walCensus{}, err
	}
	c := walCensus{frames: map[string]int{}}
	for _, f := range frames {
		owner, ok := owners[f.page]
		if !ok {
			owner = "(free or new page)"
		}
		c.frames[owner]++
		if f.commit {
			c.commits++
		}
	}
	return c, nil
}

// pageOwners maps each page of the database at path to the name of its b-tree.
func pageOwners(ctx context.Context, path string) (map[uint32]string, error) {
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, "SELECT name, pageno FROM dbstat")
	if err != nil {
		return nil, fmt.Errorf("reading dbstat of %s: %w", path, err)
	}
	defer rows.Close()
	owners := map[uint32]string{}
	for rows.Next() {
		var name string
		var page uint32
		if err := rows.Scan(&name, &page); err != nil {
			return nil, err
		}
		owners[page] = name
	}
	return owners, rows.Err()
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close()
		return err
	}
	return out.Close()
}

// report writes the b-trees that took the most frames, per commit, at most top.
func (c walCensus) report(w io.Writer, path string, top int) {
	if c.commits == 0 {
		fmt.Fprintf(w, "WAL census, %s path: no commit in the WAL's current generation\n", path)
		return
	}
	total := 0
	names := make([]string, 0, len(c.frames))
	for name, n := range c.frames {
		total += n
		names = append(names, name)
	}
	sort.Slice(names, func(i, j int) bool {
		if c.frames[names[i]] != c.frames[names[j]] {
			return c.frames[names[i]] > c.frames[names[j]]
		}
		return names[i] < names[j]
	})
	perCommit := func(n int) float64 { return float64(n) / float64(c.commits) }
	var b strings.Builder
	fmt.Fprintf(&b, "WAL census, %s path: %d commits, %.1f frames per commit\n", path, c.commits, perCommit(total))
	for i, name := range names {
		if i == top {
			break
		}
		fmt.Fprintf(&b, "  %7.2f  %s\n", perCommit(c.frames[name]), name)
	}
	fmt.Fprint(w, b.String())
}
