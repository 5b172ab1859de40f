// Package apierr holds the error type every domain package returns when a caller
// (usually an HTTP client) must be told what went wrong, and the single table that maps
// its stable codes to HTTP statuses.
//
// Domain packages return *Error values (or wrap them with %w); the Echo error handler
// in this package is the one place that turns them into
// {"error": {"code": ..., "message": ...}} answers. It imports only the standard
// library and Echo.
package apierr
