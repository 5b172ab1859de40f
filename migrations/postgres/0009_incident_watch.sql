-- incidents' marks on a service, so that a status change reads only what can exist:
-- services.incident_watch says the service may have an open automatic incident,
-- services.wait_watch that it may have a row in incident_pending. Each goes on in the
-- transaction that opens the incident or starts the wait, and both go off only when a
-- change whose receiver has no automatic-incident policy finds neither. A service
-- that exists when this runs is watched for both; a new one starts with neither.
ALTER TABLE services ADD COLUMN incident_watch boolean NOT NULL DEFAULT true;
ALTER TABLE services ADD COLUMN wait_watch boolean NOT NULL DEFAULT true;
