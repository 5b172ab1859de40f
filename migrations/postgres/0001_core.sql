-- Organizations, API keys, services with their status history, receivers and their
-- delivery log, the events seen per receiver (duplicate detection) and status-page posts.

CREATE TABLE organizations (
    id         uuid PRIMARY KEY,
    slug       text NOT NULL UNIQUE,
    name       text NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE TABLE api_keys (
    id           uuid PRIMARY KEY,
    org_id       uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    role         text NOT NULL CHECK (role IN ('admin', 'viewer')),
    name         text NOT NULL DEFAULT '',
    key_hash     text NOT NULL UNIQUE,
    hint         text NOT NULL,
    created_at   timestamptz NOT NULL,
    last_used_at timestamptz
);

CREATE TABLE services (
    id                      uuid PRIMARY KEY,
    org_id                  uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name                    text NOT NULL,
    name_key                text NOT NULL,
    description             text NOT NULL DEFAULT '',
    status                  text NOT NULL CHECK (status IN ('operational', 'degraded', 'down', 'maintenance')),
    status_changed_at       timestamptz NOT NULL,
    -- The sender's own time of the event behind the current status (NULL until a
    -- sender gives one): later-arriving events older than it are stale.
    status_event_at         timestamptz,
    public                  boolean NOT NULL DEFAULT false,
    sla_target              double precision,
    degraded_counts_as_down boolean NOT NULL DEFAULT false,
    created_at              timestamptz NOT NULL,
    updated_at              timestamptz NOT NULL,
    UNIQUE (org_id, name_key)
);

-- One row per interval a service spent in one status; ended_at is NULL for the current one.
CREATE TABLE status_history (
    id          uuid PRIMARY KEY,
    service_id  uuid NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    status      text NOT NULL,
    started_at  timestamptz NOT NULL,
    ended_at    timestamptz,
    source      text NOT NULL,
    receiver_id uuid,
    delivery_id uuid,
    message     text NOT NULL DEFAULT ''
);
CREATE INDEX status_history_service_started ON status_history (service_id, started_at);
CREATE UNIQUE INDEX status_history_one_open ON status_history (service_id) WHERE ended_at IS NULL;

CREATE TABLE receivers (
    id                          uuid PRIMARY KEY,
    org_id                      uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name                        text NOT NULL,
    service_id                  uuid REFERENCES services (id),
    service_name_field          text NOT NULL DEFAULT '',
    status_field                text NOT NULL DEFAULT '',
    message_field               text NOT NULL DEFAULT '',
    event_id_field              text NOT NULL DEFAULT '',
    timestamp_field             text NOT NULL DEFAULT '',
    status_mapping              text NOT NULL DEFAULT '{}',
    preset                      text NOT NULL DEFAULT '',
    signature_scheme            text NOT NULL DEFAULT '',
    signature_header            text NOT NULL DEFAULT '',
    signature_secrets           text NOT NULL DEFAULT '',
    signature_tolerance_seconds integer NOT NULL DEFAULT 0,
    auto_incidents_enabled      boolean NOT NULL DEFAULT false,
    auto_incidents_severity     text NOT NULL DEFAULT '',
    auto_incidents_open_after   integer NOT NULL DEFAULT 0,
    enabled                     boolean NOT NULL DEFAULT true,
    token_hash                  text NOT NULL UNIQUE,
    token_hint                  text NOT NULL,
    created_at                  timestamptz NOT NULL,
    updated_at                  timestamptz NOT NULL
);
CREATE INDEX receivers_org ON receivers (org_id, id);

CREATE TABLE deliveries (
    id                uuid PRIMARY KEY,
    receiver_id       uuid NOT NULL REFERENCES receivers (id) ON DELETE CASCADE,
    received_at       timestamptz NOT NULL,
    source_ip         text NOT NULL DEFAULT '',
    result            text NOT NULL,
    reason            text,
    error_code        text,
    error_message     text,
    raw_status        text,
    mapped_status     text,
    previous_status   text,
    new_status        text,
    service_id        uuid,
    event_id          text,
    payload           text NOT NULL DEFAULT '',
    payload_truncated boolean NOT NULL DEFAULT false,
    headers           text NOT NULL DEFAULT '{}'
);
CREATE INDEX deliveries_receiver_newest ON deliveries (receiver_id, received_at DESC, id DESC);

-- Event ids a receiver has already taken, so a sender's retry is answered "duplicate".
CREATE TABLE receiver_events (
    receiver_id uuid NOT NULL REFERENCES receivers (id) ON DELETE CASCADE,
    event_id    text NOT NULL,
    seen_at     timestamptz NOT NULL,
    PRIMARY KEY (receiver_id, event_id)
);
CREATE INDEX receiver_events_seen ON receiver_events (seen_at);

CREATE TABLE posts (
    id          uuid PRIMARY KEY,
    org_id      uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    service_id  uuid REFERENCES services (id) ON DELETE CASCADE,
    kind        text NOT NULL,
    from_status text,
    to_status   text,
    title       text NOT NULL DEFAULT '',
    body        text NOT NULL,
    created_at  timestamptz NOT NULL
);
CREATE INDEX posts_org_newest ON posts (org_id, created_at DESC, id DESC);
