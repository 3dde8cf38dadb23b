-- Identities, cases, notifications, documents, customs and alerts. Portable SQL as 0001.

CREATE TABLE organisations (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    country     TEXT NOT NULL,
    body_json   TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    org_id        TEXT NOT NULL,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    active        INTEGER NOT NULL,
    created_at    TEXT NOT NULL
);

-- Only the SHA-256 of a token is kept: a leaked database does not leak tokens.
CREATE TABLE api_tokens (
    token_hash  TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    revoked     INTEGER NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE enterprise_licences (
    id          TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    body_json   TEXT NOT NULL
);
CREATE INDEX enterprise_licences_holder ON enterprise_licences (holder);

-- Columns the risk assessment queries, next to the JSON body.
ALTER TABLE applications ADD COLUMN substance_key TEXT NOT NULL DEFAULT '';
ALTER TABLE applications ADD COLUMN base_kg DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE applications ADD COLUMN importer_name TEXT NOT NULL DEFAULT '';
CREATE INDEX applications_history ON applications (owner_org, substance_key, state, created_at);
CREATE INDEX applications_state ON applications (owner_org, state);
CREATE INDEX applications_importer ON applications (importer_name, owner_org);
CREATE INDEX applications_importer_state ON applications (importer_name, state);

CREATE TABLE notifications (
    id                TEXT PRIMARY KEY,
    application_id    TEXT NOT NULL,
    importing_country TEXT NOT NULL,
    state             TEXT NOT NULL,
    version           BIGINT NOT NULL,
    body_json         TEXT NOT NULL
);
CREATE INDEX notifications_country ON notifications (importing_country);

CREATE TABLE documents (
    sha256          TEXT PRIMARY KEY,
    size            BIGINT NOT NULL,
    content_base64  TEXT NOT NULL
);

ALTER TABLE permits ADD COLUMN exporter_org TEXT NOT NULL DEFAULT '';
ALTER TABLE permits ADD COLUMN exited_kg DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE permits ADD COLUMN received_kg DOUBLE PRECISION;

CREATE TABLE customs_declarations (
    id            TEXT PRIMARY KEY,
    permit_number TEXT NOT NULL,
    outcome       TEXT NOT NULL,
    exited        INTEGER NOT NULL,
    body_json     TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE INDEX customs_declarations_permit ON customs_declarations (permit_number);

CREATE TABLE alerts (
    id        TEXT PRIMARY KEY,
    at        TEXT NOT NULL,
    kind      TEXT NOT NULL,
    subject   TEXT NOT NULL,
    message   TEXT NOT NULL
);
