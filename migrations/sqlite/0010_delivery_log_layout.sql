-- The delivery log without an index of its own on id. Every lookup of a delivery
-- names its receiver, which deliveries_receiver_newest covers; the index SQLite kept
-- for the primary key cost each insert an index entry and each pruned row a page of
-- its own in the WAL (a receiver's rows are spread over time, and so over that
-- index). The ids stay unique: they are UUIDv7s made by the gateway.
CREATE TABLE deliveries_rebuilt (
    id                TEXT NOT NULL,
    receiver_id       TEXT NOT NULL REFERENCES receivers (id) ON DELETE CASCADE,
    received_at       DATETIME NOT NULL,
    source_ip         text NOT NULL DEFAULT '',
    result            text NOT NULL,
    reason            text,
    error_code        text,
    error_message     text,
    raw_status        text,
    mapped_status     text,
    previous_status   text,
    new_status        text,
    service_id        TEXT,
    event_id          text,
    payload           text NOT NULL DEFAULT '',
    payload_truncated INTEGER NOT NULL DEFAULT 0,
    headers           text NOT NULL DEFAULT '{}',
    items             text,
    replay_of         TEXT,
    query             text NOT NULL DEFAULT '',
    payload_lossy     INTEGER NOT NULL DEFAULT 0
);
INSERT INTO deliveries_rebuilt (id, receiver_id, received_at, source_ip, result, reason, error_code, error_message,
    raw_status, mapped_status, previous_status, new_status, service_id, event_id, payload, payload_truncated, headers,
    items, replay_of, query, payload_lossy)
SELECT id, receiver_id, received_at, source_ip, result, reason, error_code, error_message,
    raw_status, mapped_status, previous_status, new_status, service_id, event_id, payload, payload_truncated, headers,
    items, replay_of, query, payload_lossy
FROM deliveries ORDER BY received_at, id;
DROP TABLE deliveries;
ALTER TABLE deliveries_rebuilt RENAME TO deliveries;
CREATE INDEX deliveries_receiver_newest ON deliveries (receiver_id, received_at DESC, id DESC);
