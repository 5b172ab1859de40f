// Package mapping turns what a third-party sender posts into one of the four
// service statuses, and decides whether the sender is who it claims to be.
//
// It holds the status vocabulary (the default words and a receiver's own),
// the extraction of status, message, service name, event id and event time
// from a JSON body by gjson paths (and from headers and query parameters, by
// header: and query: paths), one update per element of an items array, the
// provider presets (GitHub, StatusSentry, Alertmanager, PagerDuty, ...), and
// the signature schemes a receiver can require.
//
// Everything here is a pure function of its arguments: the request body and
// headers come in as an [Input], the clock comes in as a time.Time. That is
// what lets the receiver run the same code for a real delivery and for a dry
// run, and what lets this package be table-tested and fuzzed on its own.
//
// The package must not do I/O (no network, no files, no database, no logging)
// and must import nothing but the standard library and
// github.com/tidwall/gjson. Types from gjson never appear in its exported
// signatures.
package mapping
