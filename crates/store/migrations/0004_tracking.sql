-- Closed-loop tracking: master data, lots, inventory, shipments, medicine packages,
-- production plans; alerts gain the enterprise and event they concern. Portable SQL as 0001.

-- Who a GS1 party (PGLN) or location (SGLN) is, in canonical Digital Link form.
CREATE TABLE gs1_parties (
    gln_uri     TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL,
    province    TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX gs1_parties_org ON gs1_parties (org_id);

-- A lot or product (EPC class) and the substance it is, registered from the ILMD of the
-- event that made it. base_ratio: kg of free base per kg declared; unit_kg: mass of one
-- serialised item (medicine packs), if given.
CREATE TABLE lots (
    lot             TEXT PRIMARY KEY,
    substance_id    TEXT NOT NULL,
    substance_name  TEXT NOT NULL,
    base_ratio      DOUBLE PRECISION NOT NULL,
    unit_kg         DOUBLE PRECISION,
    registered_by   TEXT NOT NULL,
    event_id        TEXT NOT NULL,
    created_at      TEXT NOT NULL
);

-- Book balance per holder, site and lot, kept in the capture transaction.
CREATE TABLE inventory (
    holder        TEXT NOT NULL,
    site          TEXT NOT NULL,
    lot           TEXT NOT NULL,
    substance_id  TEXT NOT NULL,
    kg            DOUBLE PRECISION NOT NULL,
    base_kg       DOUBLE PRECISION NOT NULL,
    last_event_id TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    PRIMARY KEY (holder, site, lot)
);
CREATE INDEX inventory_substance ON inventory (substance_id);

-- Goods sent to another holder, until the receipt that matches them.
CREATE TABLE shipments (
    event_id          TEXT PRIMARY KEY,
    from_org          TEXT NOT NULL,
    to_org            TEXT NOT NULL,
    lot               TEXT NOT NULL,
    kg                DOUBLE PRECISION NOT NULL,
    shipped_at        TEXT NOT NULL,
    received_event_id TEXT,
    received_kg       DOUBLE PRECISION,
    gap_alerted       INTEGER NOT NULL
);
CREATE INDEX shipments_open ON shipments (to_org, lot, received_event_id);
CREATE INDEX shipments_due ON shipments (received_event_id, gap_alerted, shipped_at);

-- Medicine packs dispensed to a (pseudonymised) patient, until returned.
CREATE TABLE medicine_packages (
    epc             TEXT PRIMARY KEY,
    patient         TEXT NOT NULL,
    dispensed_event TEXT NOT NULL,
    dispensed_at    TEXT NOT NULL,
    returned_event  TEXT
);
CREATE INDEX medicine_packages_patient ON medicine_packages (patient, returned_event);

-- Annual production plans (kg of base per substance per year) and what was produced.
CREATE TABLE production_plans (
    org_id        TEXT NOT NULL,
    substance_id  TEXT NOT NULL,
    year          INTEGER NOT NULL,
    plan_kg       DOUBLE PRECISION,
    produced_kg   DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (org_id, substance_id, year)
);

ALTER TABLE alerts ADD COLUMN org_id TEXT NOT NULL DEFAULT '';
ALTER TABLE alerts ADD COLUMN event_id TEXT;
ALTER TABLE alerts ADD COLUMN rule_id TEXT;
CREATE INDEX alerts_org ON alerts (org_id, at);
CREATE INDEX alerts_subject ON alerts (subject);
