-- Planned maintenance windows and the services they hold.
--
-- services.underlying_status is set while a window holds the service in maintenance:
-- the status its senders last reported (the status it had when the window started,
-- until one reports). NULL means no window holds it, and the service behaves exactly
-- as before this migration.

ALTER TABLE services ADD COLUMN underlying_status text
    CHECK (underlying_status IN ('operational', 'degraded', 'down', 'maintenance'));

CREATE TABLE maintenances (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    title      text NOT NULL,
    message    text NOT NULL DEFAULT '',
    status     text NOT NULL CHECK (status IN ('scheduled', 'in_progress', 'completed', 'cancelled')),
    starts_at  DATETIME NOT NULL,
    ends_at    DATETIME NOT NULL,
    -- When the window really started and ended (NULL until it does): the sweeper's
    -- clock, a little after starts_at / ends_at, or the moment it was cancelled.
    started_at DATETIME,
    ended_at   DATETIME,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL,
    CHECK (ends_at > starts_at)
);
-- The sweeper looks for windows due to start or end.
CREATE INDEX maintenances_due ON maintenances (status, starts_at, ends_at);
CREATE INDEX maintenances_org ON maintenances (org_id, starts_at);

CREATE TABLE maintenance_services (
    maintenance_id TEXT NOT NULL REFERENCES maintenances (id) ON DELETE CASCADE,
    service_id     TEXT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    PRIMARY KEY (maintenance_id, service_id)
);
CREATE INDEX maintenance_services_service ON maintenance_services (service_id);
