-- Incidents (automatic and manual), their timeline, and the automatic incidents that
-- wait out a receiver's auto_incidents.open_after_seconds before they open or resolve.

CREATE TABLE incidents (
    id                 TEXT PRIMARY KEY,
    org_id             TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    -- An incident goes with its service, as the service's history and posts do: kept
    -- about no service, it would show on the public page even for a private service.
    service_id         TEXT REFERENCES services (id) ON DELETE CASCADE,
    title              text NOT NULL,
    status             text NOT NULL CHECK (status IN ('investigating', 'identified', 'monitoring', 'resolved')),
    severity           text NOT NULL CHECK (severity IN ('minor', 'major', 'critical')),
    automatic          INTEGER NOT NULL DEFAULT 0,
    -- The worst service status an automatic incident reached; NULL for manual ones.
    impact             text,
    -- The delay an automatic incident was opened with; resolving waits as long.
    open_after_seconds integer NOT NULL DEFAULT 0,
    started_at         DATETIME NOT NULL,
    resolved_at        DATETIME,
    duration_seconds   INTEGER,
    acknowledged_at    DATETIME,
    created_at         DATETIME NOT NULL,
    updated_at         DATETIME NOT NULL,
    CHECK ((status = 'resolved') = (resolved_at IS NOT NULL))
);
CREATE INDEX incidents_org_started ON incidents (org_id, started_at DESC, id DESC);
CREATE INDEX incidents_org_open ON incidents (org_id) WHERE resolved_at IS NULL;
-- At most one open automatic incident per service, whatever races between instances.
CREATE UNIQUE INDEX incidents_one_open_auto ON incidents (service_id) WHERE automatic = 1 AND resolved_at IS NULL;

CREATE TABLE incident_updates (
    id             TEXT PRIMARY KEY,
    incident_id    TEXT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    kind           text NOT NULL,
    status         text NOT NULL,
    service_status text,
    message        text NOT NULL DEFAULT '',
    posted_at      DATETIME NOT NULL
);
CREATE INDEX incident_updates_incident ON incident_updates (incident_id, posted_at, id);

-- An automatic incident waiting for its delay: action 'open' while the service has
-- been bad for less than open_after_seconds, 'resolve' while its open incident's
-- service has been operational for less than that. One per service; the sweeper
-- acts on rows whose due_at has passed.
CREATE TABLE incident_pending (
    service_id         TEXT PRIMARY KEY REFERENCES services (id) ON DELETE CASCADE,
    org_id             TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    action             text NOT NULL CHECK (action IN ('open', 'resolve')),
    incident_id        TEXT REFERENCES incidents (id) ON DELETE CASCADE,
    since              DATETIME NOT NULL,
    due_at             DATETIME NOT NULL,
    status             text NOT NULL,
    peak_status        text NOT NULL,
    severity           text NOT NULL DEFAULT '',
    open_after_seconds integer NOT NULL,
    message            text NOT NULL DEFAULT ''
);
CREATE INDEX incident_pending_due ON incident_pending (due_at);
