-- Outbound notifications: channels, the durable outbox of events, one delivery per
-- event and matching channel, the attempt log, and per-key marks that keep crossing
-- detection (sla.*) to once per crossing.

CREATE TABLE notify_channels (
    id              TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name            text NOT NULL,
    type            text NOT NULL,
    url             text NOT NULL DEFAULT '',
    -- JSON lists; an empty event_types list means every type, an empty service_ids
    -- list every service.
    event_types     text NOT NULL DEFAULT '[]',
    service_ids     text NOT NULL DEFAULT '[]',
    recipients      text NOT NULL DEFAULT '[]',
    -- JSON list of delays in seconds; NULL means the default schedule.
    retry_schedule  text,
    -- secrets.Box-sealed JSON: signing secrets (with their expiry during a rotation),
    -- custom headers and the PagerDuty routing key. All of them are credentials.
    sealed          text NOT NULL DEFAULT '',
    enabled         INTEGER NOT NULL DEFAULT 1,
    disabled_reason text NOT NULL DEFAULT '',
    -- The first failed attempt since the last success; NULL while the channel works.
    failing_since   DATETIME,
    created_at      DATETIME NOT NULL,
    updated_at      DATETIME NOT NULL
);
CREATE INDEX notify_channels_org ON notify_channels (org_id, id);

CREATE TABLE notify_events (
    id         text PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    type       text NOT NULL,
    -- The envelope exactly as every channel receives it.
    payload    text NOT NULL,
    created_at DATETIME NOT NULL
);
CREATE INDEX notify_events_created ON notify_events (created_at);

CREATE TABLE notify_deliveries (
    id              TEXT PRIMARY KEY,
    event_id        text NOT NULL REFERENCES notify_events (id) ON DELETE CASCADE,
    channel_id      TEXT NOT NULL REFERENCES notify_channels (id) ON DELETE CASCADE,
    status          text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempt_count   integer NOT NULL DEFAULT 0,
    next_attempt_at DATETIME NOT NULL,
    -- A worker's claim: until lease_until no other worker takes the delivery; a live
    -- worker renews it while its attempt runs.
    lease_until     DATETIME,
    leased_by       text NOT NULL DEFAULT '',
    created_at      DATETIME NOT NULL,
    updated_at      DATETIME NOT NULL
);
CREATE INDEX notify_deliveries_due ON notify_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX notify_deliveries_channel ON notify_deliveries (channel_id, id DESC);
CREATE INDEX notify_deliveries_event ON notify_deliveries (event_id);

CREATE TABLE notify_attempts (
    id          TEXT PRIMARY KEY,
    delivery_id TEXT NOT NULL REFERENCES notify_deliveries (id) ON DELETE CASCADE,
    at          DATETIME NOT NULL,
    status_code integer NOT NULL DEFAULT 0,
    body        text NOT NULL DEFAULT '',
    duration_ms INTEGER NOT NULL DEFAULT 0,
    error       text NOT NULL DEFAULT '',
    worker      text NOT NULL DEFAULT ''
);
CREATE INDEX notify_attempts_delivery ON notify_attempts (delivery_id, at, id);

CREATE TABLE notify_marks (
    org_id     TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    key        text NOT NULL,
    state      text NOT NULL,
    updated_at DATETIME NOT NULL,
    PRIMARY KEY (org_id, key)
);
