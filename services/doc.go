// Package services holds services and the one place a service's status changes
// (Store.Transition), its status history (the SLA record), SLA reports and the
// status-page posts that every change writes.
//
// Everything that follows a change is committed in the transaction of the change:
// Transition writes the history row and the post itself and then calls the
// ChangeFuncs it was built with (incidents registers one), all inside one transaction.
// It may import mapping (for the Status type); it must not import incidents, receiver
// or notify, which depend on it.
package services
