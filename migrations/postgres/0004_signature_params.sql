-- The generic "hmac" signature scheme is described by data: algorithm, encoding,
-- signed_payload, prefix and timestamp_header, kept together as one JSON object
-- (empty for every named scheme, which defines its own).

ALTER TABLE receivers ADD COLUMN signature_params text NOT NULL DEFAULT '';
