-- API keys may expire; organizations gain what their public page shows of them.
-- Empty strings mean "not set" (the page falls back to the name and UTC).

ALTER TABLE api_keys ADD COLUMN expires_at timestamptz;
CREATE INDEX api_keys_org ON api_keys (org_id, id);

ALTER TABLE organizations ADD COLUMN display_name text NOT NULL DEFAULT '';
ALTER TABLE organizations ADD COLUMN page_title text NOT NULL DEFAULT '';
ALTER TABLE organizations ADD COLUMN logo_url text NOT NULL DEFAULT '';
ALTER TABLE organizations ADD COLUMN support_url text NOT NULL DEFAULT '';
ALTER TABLE organizations ADD COLUMN time_zone text NOT NULL DEFAULT 'Etc/UTC';
