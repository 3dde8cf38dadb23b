-- Failed logins per account name and per client address (issue 11 item 4): consecutive
-- failures and the lock they earned. Keys: `account:NAME`, `address:IP`. Portable SQL as 0001.
CREATE TABLE login_failures (
    key           TEXT PRIMARY KEY,
    failures      BIGINT NOT NULL,
    locked_until  TEXT,
    updated_at    TEXT NOT NULL
);
