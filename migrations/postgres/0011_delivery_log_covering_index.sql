-- The log's index carries the two columns that say which part of the log a row
-- counts against (result, error_code: see unverifiedRow), so that finding what to
-- prune, and which rows the log shows, can read the index alone. The order of the
-- index, and so every lookup that used it, is unchanged.
DROP INDEX deliveries_receiver_newest;
CREATE INDEX deliveries_receiver_newest ON deliveries (receiver_id, received_at DESC, id DESC) INCLUDE (result, error_code);
