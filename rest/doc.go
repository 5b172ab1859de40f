// Package rest holds the conventions every admin API handler shares, so each domain
// package's handlers keep one shape (bind, validate, call the domain, respond):
// strict JSON binding with messages a person understands, ?limit=&cursor= paging, and
// the authenticated caller (Principal, Caller) that orgs' middleware puts in the request.
// It imports only apierr, echo and uuid, so every package may use it.
package rest
