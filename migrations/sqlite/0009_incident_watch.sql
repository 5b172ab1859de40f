-- services.incident_watch is incidents' mark that a service may have an open
-- automatic incident or a row in incident_pending. While it is off, a status change
-- whose receiver has no automatic-incident policy reads neither table: nothing an
-- earlier change left can need following. A service that exists when this runs is
-- watched until its next such change finds nothing; a new one starts unwatched.
ALTER TABLE services ADD COLUMN incident_watch INTEGER NOT NULL DEFAULT 1;
