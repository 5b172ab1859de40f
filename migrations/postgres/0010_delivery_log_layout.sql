-- SQLite rebuilds the delivery log without the index its primary key kept. On
-- PostgreSQL the primary key stays: its index takes the UUIDv7 ids in order, at the
-- right edge, its WAL is per row rather than per page, and a table without one
-- could not be published for logical replication.
SELECT 1;
