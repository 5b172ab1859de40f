// Package services holds services and the one place a service's status changes
// (Store.Transition), its status history (the SLA record), SLA reports and the
// status-page posts that every change writes.
//
// Everything that follows a change is committed in the transaction of the change:
// Transition writes the history row and the post itself and then calls the
// ChangeFuncs it was given (incidents adds one with AddChangeFunc), all inside one
// transaction. Other packages ask it about services (Get, Names, Lock) rather than
// reading its tables.
//
// A maintenance window (package maintenances) holds a service through Transition
// with HoldStart and HoldRelease; while held, the service stays in maintenance and
// other requests only update its underlying_status. DecideRequest is that rule.
//
// It may import mapping (for the Status type), database, rest and apierr; it must not
// import incidents, receiver or notify, which depend on it.
package services
