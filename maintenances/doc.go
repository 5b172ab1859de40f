// Package maintenances holds planned maintenance windows: when they run, which
// services they hold, and the sweeper that starts and ends them.
//
// A window that starts puts its services into maintenance through
// services.Store.Transition with services.HoldStart (posts, change funcs and the
// SLA's maintenance exclusion as for any change), and the service remembers the status
// underneath; while the window runs, every other request for the service is held and
// only updates that status (services.DecideRequest decides it). When the window ends
// (its ends_at, a cancel, a delete) services.HoldRelease moves each service to the
// status underneath, unless another running window still holds it.
//
// Starting and ending are claimed by a conditional UPDATE of the window's status
// (WHERE status = 'scheduled' / 'in_progress'), which row-locks the window on
// PostgreSQL and is serialized by SQLite's single writer, so with any number of
// instances sweeping a window starts once and ends once. Lock order: the window's
// row, then its services in id order (the services' own lock, Transition's).
//
// It may import services, database, rest and apierr; statuspage reads it.
package maintenances
