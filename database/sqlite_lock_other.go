//go:build !unix

package database

// lockSQLite is a no-op where flock does not exist: there a second process on the
// same file is not detected and contends through SQLite's busy timeout.
func lockSQLite(string) (func() error, error) { return func() error { return nil }, nil }
