-- Seals of audit entries (issue 11 item 6): HMAC-SHA256 of each entry's hash under a key
-- kept outside the database, and the id of that key. NULL only for entries written before
-- this migration, which `fentguard audit seal` seals once (and audits doing so).
-- Portable SQL as 0001.
ALTER TABLE audit_log ADD COLUMN mac TEXT;
ALTER TABLE audit_log ADD COLUMN key_id TEXT;
