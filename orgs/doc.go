// Package orgs holds organizations and their API keys: the bootstrap of the first
// organization, key creation (shown once, stored as a hash), and the Echo middleware
// that authenticates an admin API request and scopes it to the key's organization.
//
// Every other package learns who is asking from FromContext; none reads keys itself.
package orgs
