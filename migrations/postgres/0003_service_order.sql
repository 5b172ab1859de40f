-- The public page's order and grouping of services: position first (ascending), then
-- name; services with the same non-empty group_name are shown together under it.
-- "group" is an SQL keyword, hence group_name.

ALTER TABLE services ADD COLUMN position INTEGER NOT NULL DEFAULT 0;
ALTER TABLE services ADD COLUMN group_name text NOT NULL DEFAULT '';
