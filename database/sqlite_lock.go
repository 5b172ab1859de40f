//go:build unix

package database

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// lockSQLite takes an exclusive flock on "<path>.lock" and writes our PID in it, so a
// second statusgate on the same file refuses to start instead of serving and failing
// two requests in three with SQLITE_BUSY. SQLite allows one writer, and this process
// already serializes its writes through one connection; a second process can only
// contend. The kernel drops the lock when the process ends, however it ends (SIGKILL
// included), so a stale lock file never blocks a restart. The returned func releases
// the lock.
func lockSQLite(path string) (func() error, error) {
	lockPath := path + ".lock"
	f, err := os.OpenFile(lockPath, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening the lock file of %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder := "unknown"
		if data, rerr := os.ReadFile(lockPath); rerr == nil && strings.TrimSpace(string(data)) != "" {
			holder = strings.TrimSpace(string(data))
		}
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("SQLite database %s is in use by another statusgate process (pid %s, lock file %s); "+
				"stop it first, or use PostgreSQL to run several instances", path, holder, lockPath)
		}
		return nil, fmt.Errorf("locking %s: %w", lockPath, err)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return func() error {
		// Closing the descriptor releases the flock; the file stays for the next start.
		return f.Close()
	}, nil
}
