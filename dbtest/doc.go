// Package dbtest gives tests real databases: a fresh, migrated SQLite file or a fresh
// PostgreSQL database in a throwaway cluster that the test binary starts itself
// (initdb into a temp folder, listening on 127.0.0.1 on a free port) and removes when
// it exits.
//
// Use ForEach to run the same test against every store. A package whose tests use
// PostgreSQL calls Main from its TestMain so the cluster is stopped at the end.
// Under CI=true a PostgreSQL test that cannot start its database fails; elsewhere it
// skips with the reason, so a laptop without PostgreSQL can still run the SQLite half.
// STATUSGATE_TEST_POSTGRES_URL points the tests at an existing server instead.
package dbtest
