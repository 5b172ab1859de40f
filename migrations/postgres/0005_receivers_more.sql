-- Receivers, more: one delivery fanning out to several services (items_field), a
-- sender that must be heard from every so often (expect_every_seconds, silence), and
-- the delivery log fields that replay and the unmapped-words view read, and the
-- correlation keys that let a resolve find the service its trigger named.

ALTER TABLE receivers ADD COLUMN items_field text NOT NULL DEFAULT '';
-- status_field as a list of paths tried in order (JSON); '[]' when it is one path.
ALTER TABLE receivers ADD COLUMN status_fields text NOT NULL DEFAULT '[]';
ALTER TABLE receivers ADD COLUMN expect_every_seconds integer NOT NULL DEFAULT 0;
ALTER TABLE receivers ADD COLUMN silence_status text NOT NULL DEFAULT 'down'
    CHECK (silence_status IN ('operational', 'degraded', 'down', 'maintenance'));
-- Our clock when the last valid (authenticated, not failed) delivery arrived.
ALTER TABLE receivers ADD COLUMN last_valid_delivery_at timestamptz;
-- When the silence sweeper fires unless a valid delivery comes first; NULL when the
-- receiver expects nothing.
ALTER TABLE receivers ADD COLUMN silence_due_at timestamptz;
-- Set when the sweeper put the service into silence_status; a valid delivery clears it.
ALTER TABLE receivers ADD COLUMN silenced_at timestamptz;
CREATE INDEX receivers_silence_due ON receivers (silence_due_at) WHERE silenced_at IS NULL;

-- The outcome of each item of a delivery read with items_field (JSON); NULL otherwise.
ALTER TABLE deliveries ADD COLUMN items text;
-- The delivery this one replays, if it is a replay. No foreign key: the log is pruned.
ALTER TABLE deliveries ADD COLUMN replay_of uuid;
-- The request's query string (sensitive parameters redacted), which a replay reads.
ALTER TABLE deliveries ADD COLUMN query text NOT NULL DEFAULT '';
-- True when the logged payload is not byte for byte what arrived (bytes that are not
-- UTF-8, or NUL): such a delivery cannot be replayed.
ALTER TABLE deliveries ADD COLUMN payload_lossy boolean NOT NULL DEFAULT false;

-- Which service an update with a correlation key named (PagerDuty's dedup_key), so a
-- later update that carries only the key reaches the same service.
CREATE TABLE receiver_correlations (
    receiver_id     uuid NOT NULL REFERENCES receivers (id) ON DELETE CASCADE,
    correlation_key text NOT NULL,
    service_id      uuid NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    seen_at         timestamptz NOT NULL,
    PRIMARY KEY (receiver_id, correlation_key)
);
CREATE INDEX receiver_correlations_seen ON receiver_correlations (receiver_id, seen_at);
