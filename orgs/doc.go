// Package orgs holds organizations and their API keys: the bootstrap of the first
// organization, key creation (shown once, stored as a hash), and the Echo middleware
// that authenticates an admin API request and scopes it to the key's organization.
//
// The middleware stores the caller as a rest.Principal; every other package learns who
// is asking from rest.Caller and none reads keys itself. Only statuspage (which finds an
// organization by its slug) and cmd/statusgate import orgs.
package orgs
