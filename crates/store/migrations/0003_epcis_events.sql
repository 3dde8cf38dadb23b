-- The EPCIS event repository. Portable SQL as 0001.
-- seq is assigned by the (serialised) writer: insertion order, the paging key.

CREATE TABLE epcis_events (
    seq               BIGINT PRIMARY KEY,
    event_id          TEXT NOT NULL UNIQUE,
    hash_id           TEXT NOT NULL UNIQUE,
    event_type        TEXT NOT NULL,
    event_time        TEXT NOT NULL,
    record_time       TEXT NOT NULL,
    action            TEXT,
    biz_step          TEXT,
    disposition       TEXT,
    read_point        TEXT,
    biz_location      TEXT,
    capture_id        TEXT NOT NULL,
    owner_org         TEXT NOT NULL,
    error_declared_at TEXT,
    error_json        TEXT,
    body_json         TEXT NOT NULL
);
CREATE INDEX epcis_events_time ON epcis_events (event_time);
CREATE INDEX epcis_events_record_time ON epcis_events (record_time);
CREATE INDEX epcis_events_biz_step ON epcis_events (biz_step, seq);
CREATE INDEX epcis_events_location ON epcis_events (biz_location, seq);
CREATE INDEX epcis_events_owner ON epcis_events (owner_org, seq);

-- Identifiers and classes an event names, by role (epc, parent, child, input, output,
-- class, child_class, input_class, output_class); canonical Digital Link form.
-- key_of is the GS1 key the identifier falls under (https://id.gs1.org/01/GTIN for a
-- serialised item or a lot of that GTIN), so a class or pattern query is an equality.
CREATE TABLE epcis_event_epcs (
    seq    BIGINT NOT NULL,
    role   TEXT NOT NULL,
    epc    TEXT NOT NULL,
    key_of TEXT NOT NULL
);
CREATE INDEX epcis_event_epcs_epc ON epcis_event_epcs (epc, seq);
CREATE INDEX epcis_event_epcs_key ON epcis_event_epcs (key_of, seq);
CREATE INDEX epcis_event_epcs_seq ON epcis_event_epcs (seq);

CREATE TABLE epcis_captures (
    id               TEXT PRIMARY KEY,
    owner_org        TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    finished_at      TEXT,
    running          INTEGER NOT NULL,
    success          INTEGER NOT NULL,
    error_behaviour  TEXT NOT NULL,
    event_count      BIGINT NOT NULL,
    errors_json      TEXT NOT NULL
);
CREATE INDEX epcis_captures_owner ON epcis_captures (owner_org, created_at);
