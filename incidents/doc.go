// Package incidents holds incidents, automatic and manual, and their timeline.
//
// Automatic incidents follow service status changes: Store.HandleChange is a
// services.ChangeFunc, so it runs inside the transaction of every change, and an
// incident opens, escalates, gains a timeline entry or resolves in the same commit as
// the change that caused it. A receiver's auto_incidents.open_after_seconds delays the
// opening and the resolving; the wait is kept in a pending row written in the change's
// transaction, and Store.Sweep (run periodically by every instance, from cmd/statusgate) acts on it
// when it falls due.
//
// Manual incidents are written by operators through the admin API (Register).
//
// What it needs of a service it asks services for (Store.Get, Store.Names, and
// Store.Lock, which takes the service's row lock inside the caller's transaction, the
// lock Transition takes, always before the incident's own rows); it never reads the
// services table. It may import services and mapping; services must not import it.
package incidents
