// Package migrations holds statusgate's schema as versioned SQL files, one folder per
// dialect (postgres/ and sqlite/) with identical version numbers, embedded in the
// binary, and the runner that applies them.
//
// Migrations are forward-only. Each file is applied in its own transaction and recorded
// in schema_migrations; on PostgreSQL an advisory lock lets several instances start at
// once without applying a step twice. The package imports only the standard library.
package migrations
