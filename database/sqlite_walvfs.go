package database

import (
	"fmt"
	"sync"
	"sync/atomic"
	"unsafe"

	"modernc.org/libc"
	"modernc.org/libc/sys/types"
	sqlite3 "modernc.org/sqlite/lib"
)

// SQLite appends a commit to the WAL one frame at a time, and each frame is two
// pwrite(2) calls: its 24-byte header, then its page. A batch of the unchanged path
// writes 20-23 frames, the change path's 140-160, and on these VMs a system call
// costs about 5 µs: a quarter of the writer's CPU went to pwrite, all of it on the
// one goroutine every delivery waits for. walVFS is the unix VFS with one change to
// the WAL file: contiguous writes are gathered in memory and reach the file as one
// pwrite, before the fsync that makes a commit durable and before anything can read
// them back.
//
// What keeps it safe:
//   - Every byte buffered is written before xSync syncs the file, so a commit is on
//     disk when it is under the unix VFS, and a crash loses only what an fsync had
//     not yet covered — an unacknowledged commit, which recovery discards by its
//     checksums as it always has.
//   - The buffer is written before xRead, xFileSize, xTruncate, xFileControl and
//     xClose, so this connection never reads around it.
//   - Another connection learns of new frames only from the wal-index header, which
//     SQLite updates after the commit frame is written (and, under
//     synchronous=FULL, synced). The commit frame's page flushes the buffer, and
//     what SQLite writes after it until the next xSync (rewritten checksums,
//     padding) goes straight to the file, so no reader finds a frame that is not in
//     the file, whatever the synchronous setting.
//
// Only files opened as a WAL are wrapped; the database file, journals and the
// shared-memory index keep the unix VFS's methods untouched.

// walVFSName is the VFS the SQLite DSN names.
const walVFSName = "statusgate-wal"

const (
	walFrameHeaderSize = 24
	// walBufferLimit bounds the memory one WAL file holds back; a transaction
	// bigger than this (a migration, a large prune) is written in pieces of it.
	walBufferLimit = 1 << 20
	// unixWriteLimit is the most the unix VFS writes in one pwrite, just under
	// 128 KiB: 31 frames of 4 KiB pages.
	unixWriteLimit = 128<<10 - 1
)

// walVFS is the process's registration; the C side holds pointers into it, so it
// lives as long as the process.
var walVFS struct {
	once sync.Once
	err  error

	unix     uintptr // the unix VFS, whose xOpen opens every file
	unixOpen uintptr
	methods  uintptr // our sqlite3_io_methods for WAL files
	wrapped  uintptr // the unix methods ours forward to

	mu    sync.Mutex
	files map[uintptr]*walBuffer

	// Counted for the tests: write calls SQLite made to WAL files, and the
	// writes that reached them.
	writeCalls, fileWrites atomic.Int64
}

// walBuffer is one open WAL file's gathered writes. SQLite calls a file's methods
// from one connection at a time, under its own mutex; the mutex here is for the
// race detector, which cannot see SQLite's.
type walBuffer struct {
	mu  sync.Mutex
	buf uintptr // C memory, cap bytes
	cap int
	len int
	off int64 // file offset of buf's first byte

	// afterCommitHeader is set by a commit frame's header: the page that follows
	// completes the commit.
	afterCommitHeader bool
	// writeThrough is set once a commit frame is written, until the next xSync:
	// what SQLite writes in between must not wait in memory.
	writeThrough bool
}

// registerWALVFS registers walVFS with SQLite once per process.
func registerWALVFS() error {
	walVFS.once.Do(func() { walVFS.err = doRegisterWALVFS() })
	return walVFS.err
}

func doRegisterWALVFS() error {
	tls := libc.NewTLS()
	defer tls.Close()

	unix := sqlite3.Xsqlite3_vfs_find(tls, 0)
	if unix == 0 {
		return fmt.Errorf("sqlite has no default VFS")
	}
	name, err := libc.CString(walVFSName)
	if err != nil {
		return err
	}
	ours := libc.Xcalloc(tls, 1, types.Size_t(unsafe.Sizeof(sqlite3.Tsqlite3_vfs{})))
	if ours == 0 {
		return fmt.Errorf("allocating the SQLite VFS: out of memory")
	}
	vfs := cStruct[sqlite3.Tsqlite3_vfs](ours)
	*vfs = *cStruct[sqlite3.Tsqlite3_vfs](unix)
	vfs.FpNext = 0
	vfs.FzName = name
	vfs.FxOpen = cFunc(walVFSOpen)

	walVFS.unix = unix
	walVFS.unixOpen = cStruct[sqlite3.Tsqlite3_vfs](unix).FxOpen
	walVFS.files = map[uintptr]*walBuffer{}
	if rc := sqlite3.Xsqlite3_vfs_register(tls, ours, 0); rc != sqlite3.SQLITE_OK {
		return fmt.Errorf("registering the SQLite VFS: code %d", rc)
	}
	return nil
}

// walVFSOpen opens any file with the unix VFS and, for a WAL, puts our methods in
// front of its own.
func walVFSOpen(tls *libc.TLS, _ uintptr, zName uintptr, pFile uintptr, flags int32, pOutFlags uintptr) int32 {
	open := *(*func(*libc.TLS, uintptr, uintptr, uintptr, int32, uintptr) int32)(unsafe.Pointer(&struct{ uintptr }{walVFS.unixOpen}))
	rc := open(tls, walVFS.unix, zName, pFile, flags, pOutFlags)
	if rc != sqlite3.SQLITE_OK || flags&sqlite3.SQLITE_OPEN_WAL == 0 {
		return rc
	}
	file := cStruct[sqlite3.Tsqlite3_file](pFile)
	if file.FpMethods == 0 {
		return rc
	}
	walVFS.mu.Lock()
	defer walVFS.mu.Unlock()
	if walVFS.methods == 0 {
		methods := libc.Xcalloc(tls, 1, types.Size_t(unsafe.Sizeof(sqlite3.Tsqlite3_io_methods{})))
		if methods == 0 {
			return rc // unwrapped: slower, not wrong
		}
		m := cStruct[sqlite3.Tsqlite3_io_methods](methods)
		*m = *cStruct[sqlite3.Tsqlite3_io_methods](file.FpMethods)
		m.FxClose = cFunc(walFileClose)
		m.FxRead = cFunc(walFileRead)
		m.FxWrite = cFunc(walFileWrite)
		m.FxTruncate = cFunc(walFileTruncate)
		m.FxSync = cFunc(walFileSync)
		m.FxFileSize = cFunc(walFileSize)
		m.FxFileControl = cFunc(walFileControl)
		walVFS.wrapped = file.FpMethods
		walVFS.methods = methods
	}
	if file.FpMethods != walVFS.wrapped {
		return rc // a locking style we did not wrap: leave it as it is
	}
	file.FpMethods = walVFS.methods
	walVFS.files[pFile] = &walBuffer{}
	return rc
}

// walFile is the buffer of an open, wrapped WAL file, locked.
func walFile(pFile uintptr) *walBuffer {
	walVFS.mu.Lock()
	b := walVFS.files[pFile]
	walVFS.mu.Unlock()
	b.mu.Lock()
	return b
}

func unixMethods() *sqlite3.Tsqlite3_io_methods {
	return cStruct[sqlite3.Tsqlite3_io_methods](walVFS.wrapped)
}

// flush writes what is buffered, in one call of the unix VFS's xWrite.
func (b *walBuffer) flush(tls *libc.TLS, pFile uintptr) int32 {
	if b.len == 0 {
		return sqlite3.SQLITE_OK
	}
	rc := b.writeFile(tls, pFile, b.buf, int32(b.len), b.off)
	b.len = 0
	return rc
}

// writeFile writes n bytes at off with the unix VFS's xWrite, in pieces it takes
// whole: it masks each pwrite's length to 17 bits (seekAndWriteFd), so a write of
// exactly 128 KiB would write nothing and fail as SQLITE_FULL.
func (b *walBuffer) writeFile(tls *libc.TLS, pFile, p uintptr, n int32, off int64) int32 {
	write := *(*func(*libc.TLS, uintptr, uintptr, int32, int64) int32)(unsafe.Pointer(&struct{ uintptr }{unixMethods().FxWrite}))
	for n > 0 {
		piece := min(n, unixWriteLimit)
		walVFS.fileWrites.Add(1)
		if rc := write(tls, pFile, p, piece, off); rc != sqlite3.SQLITE_OK {
			return rc
		}
		p += uintptr(piece)
		off += int64(piece)
		n -= piece
	}
	return sqlite3.SQLITE_OK
}

// grow makes room for n more bytes, within walBufferLimit.
func (b *walBuffer) grow(tls *libc.TLS, n int) bool {
	if b.len+n <= b.cap {
		return true
	}
	want := max(2*b.cap, 64<<10)
	for want < b.len+n {
		want *= 2
	}
	if want > walBufferLimit {
		return false
	}
	p := libc.Xrealloc(tls, b.buf, types.Size_t(want))
	if p == 0 {
		return false
	}
	b.buf, b.cap = p, want
	return true
}

func walFileWrite(tls *libc.TLS, pFile, pBuf uintptr, amt int32, off int64) int32 {
	b := walFile(pFile)
	defer b.mu.Unlock()
	walVFS.writeCalls.Add(1)
	if b.writeThrough {
		if rc := b.flush(tls, pFile); rc != sqlite3.SQLITE_OK {
			return rc
		}
		return b.writeFile(tls, pFile, pBuf, amt, off)
	}
	completesCommit := b.afterCommitHeader
	b.afterCommitHeader = amt == walFrameHeaderSize && commitFrameHeader(pBuf)

	if b.len > 0 && off != b.off+int64(b.len) {
		if rc := b.flush(tls, pFile); rc != sqlite3.SQLITE_OK {
			return rc
		}
	}
	if !b.grow(tls, int(amt)) {
		// Too big to hold back: write what is buffered, then this, in order.
		if rc := b.flush(tls, pFile); rc != sqlite3.SQLITE_OK {
			return rc
		}
		if rc := b.writeFile(tls, pFile, pBuf, amt, off); rc != sqlite3.SQLITE_OK {
			return rc
		}
	} else {
		if b.len == 0 {
			b.off = off
		}
		libc.Xmemcpy(tls, b.buf+uintptr(b.len), pBuf, types.Size_t(amt))
		b.len += int(amt)
	}
	if completesCommit {
		b.writeThrough = true
		return b.flush(tls, pFile)
	}
	return sqlite3.SQLITE_OK
}

// commitFrameHeader reports whether a WAL frame header is a commit's: its second
// big-endian word, the database size after the commit, is non-zero only there.
func commitFrameHeader(p uintptr) bool {
	h := cStruct[[walFrameHeaderSize]byte](p)
	return h[4]|h[5]|h[6]|h[7] != 0
}

func walFileSync(tls *libc.TLS, pFile uintptr, flags int32) int32 {
	b := walFile(pFile)
	defer b.mu.Unlock()
	if rc := b.flush(tls, pFile); rc != sqlite3.SQLITE_OK {
		return rc
	}
	b.writeThrough = false
	sync := *(*func(*libc.TLS, uintptr, int32) int32)(unsafe.Pointer(&struct{ uintptr }{unixMethods().FxSync}))
	return sync(tls, pFile, flags)
}

// flushed writes what pFile's buffer holds, before a call that must see the file
// as SQLite wrote it.
func flushed(tls *libc.TLS, pFile uintptr) int32 {
	b := walFile(pFile)
	defer b.mu.Unlock()
	return b.flush(tls, pFile)
}

func walFileRead(tls *libc.TLS, pFile, pBuf uintptr, amt int32, off int64) int32 {
	if rc := flushed(tls, pFile); rc != sqlite3.SQLITE_OK {
		return rc
	}
	read := *(*func(*libc.TLS, uintptr, uintptr, int32, int64) int32)(unsafe.Pointer(&struct{ uintptr }{unixMethods().FxRead}))
	return read(tls, pFile, pBuf, amt, off)
}

func walFileTruncate(tls *libc.TLS, pFile uintptr, size int64) int32 {
	if rc := flushed(tls, pFile); rc != sqlite3.SQLITE_OK {
		return rc
	}
	truncate := *(*func(*libc.TLS, uintptr, int64) int32)(unsafe.Pointer(&struct{ uintptr }{unixMethods().FxTruncate}))
	return truncate(tls, pFile, size)
}

func walFileSize(tls *libc.TLS, pFile, pSize uintptr) int32 {
	if rc := flushed(tls, pFile); rc != sqlite3.SQLITE_OK {
		return rc
	}
	size := *(*func(*libc.TLS, uintptr, uintptr) int32)(unsafe.Pointer(&struct{ uintptr }{unixMethods().FxFileSize}))
	return size(tls, pFile, pSize)
}

func walFileControl(tls *libc.TLS, pFile uintptr, op int32, pArg uintptr) int32 {
	if rc := flushed(tls, pFile); rc != sqlite3.SQLITE_OK {
		return rc
	}
	control := *(*func(*libc.TLS, uintptr, int32, uintptr) int32)(unsafe.Pointer(&struct{ uintptr }{unixMethods().FxFileControl}))
	return control(tls, pFile, op, pArg)
}

func walFileClose(tls *libc.TLS, pFile uintptr) int32 {
	b := walFile(pFile)
	rc := b.flush(tls, pFile)
	if b.buf != 0 {
		libc.Xfree(tls, b.buf)
		b.buf, b.cap = 0, 0
	}
	b.mu.Unlock()
	walVFS.mu.Lock()
	delete(walVFS.files, pFile)
	walVFS.mu.Unlock()
	closeFile := *(*func(*libc.TLS, uintptr) int32)(unsafe.Pointer(&struct{ uintptr }{unixMethods().FxClose}))
	if rc2 := closeFile(tls, pFile); rc == sqlite3.SQLITE_OK {
		rc = rc2
	}
	return rc
}

// cStruct is the C object at p, which SQLite's transpiled C allocated outside the
// Go heap.
func cStruct[T any](p uintptr) *T {
	return (*T)(*(*unsafe.Pointer)(unsafe.Pointer(&p)))
}

// cFunc is a top-level Go function as the transpiled C calls a function pointer
// (see modernc.org/sqlite's cFuncPointer): the address of its func value, which
// the linker keeps in read-only data.
func cFunc[T any](f T) uintptr {
	return *(*uintptr)(unsafe.Pointer(&struct{ f T }{f}))
}
