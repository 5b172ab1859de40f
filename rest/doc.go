// Package rest holds the conventions every admin API handler shares, so each domain
// package's handlers keep one shape (bind, validate, call the domain, respond):
// strict JSON binding with messages a person understands, and ?limit=&cursor= paging.
package rest
