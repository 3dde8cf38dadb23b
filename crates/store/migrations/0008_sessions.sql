-- Browser sessions of the portal (issue 12 item 2). Like api_tokens, only the SHA-256 of
-- the cookie's secret is kept. A session ends when idle or at its absolute limit
-- (control::login::SessionPolicy, from created_at and last_seen_at), or when revoked at
-- sign-out. Portable SQL as 0001.
CREATE TABLE sessions (
    session_hash  TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users(id),
    created_at    TEXT NOT NULL,
    last_seen_at  TEXT NOT NULL,
    revoked       INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
