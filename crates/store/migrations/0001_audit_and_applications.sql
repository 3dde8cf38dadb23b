-- One schema for SQLite and PostgreSQL: portable types only (TEXT, BIGINT, INTEGER,
-- DOUBLE PRECISION); timestamps as RFC 3339 text; JSON as text.

CREATE TABLE audit_log (
    seq        BIGINT PRIMARY KEY,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    before_json TEXT NOT NULL,
    after_json  TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL UNIQUE
);

CREATE TABLE applications (
    id          TEXT PRIMARY KEY,
    owner_org   TEXT NOT NULL,
    state       TEXT NOT NULL,
    version     BIGINT NOT NULL,
    body_json   TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX applications_owner ON applications (owner_org);

CREATE TABLE permits (
    number       TEXT PRIMARY KEY,
    application_id TEXT NOT NULL,
    signed_json  TEXT NOT NULL,
    drawn_kg     DOUBLE PRECISION NOT NULL,
    revoked      INTEGER NOT NULL,
    shipped      INTEGER NOT NULL,
    issued_at    TEXT NOT NULL
);
