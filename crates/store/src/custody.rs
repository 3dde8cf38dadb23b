//! Closed-loop tracking records: GS1 parties and locations tied to organisations, the lot
//! registry, book inventory, shipments awaiting receipt, dispensed medicine packs,
//! production plans, and the reads the deadline list and the credit rating need.
//! The capture path writes all of these in the transaction that stores the events.

use crate::ledger::instant_text;
use crate::page::{Arg, Order};
use crate::{
    col, db, multi_row, parse_instant, placeholder, Alert, InventoryRow, LotRecord, Page,
    PageRequest, PartyRecord, ShipmentRecord, Store, StoreError, WriteTx,
};
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;

/// Which alerts to list.
#[derive(Clone, Debug, Default)]
pub struct AlertFilter {
    /// Only this enterprise's.
    pub org: Option<String>,
    /// Only this kind.
    pub kind: Option<String>,
    /// Only at or after.
    pub since: Option<DateTime<Utc>>,
    /// At most (newest first).
    pub limit: Option<i64>,
    /// With `org`: also the claims about it not yet confirmed (for authorities; an
    /// enterprise sees claims about itself once confirmed).
    pub with_open_claims: bool,
    /// Only open claims (about another enterprise, not yet confirmed).
    pub only_open_claims: bool,
}

pub(crate) const ALERT_COLUMNS: &str =
    "id, at, kind, subject, message, org_id, event_id, rule_id, \
     concerns_org, confirmed_by, confirmed_at, confirmation";

pub(crate) fn alert_from_row(r: &AnyRow) -> Result<Alert, StoreError> {
    const WHAT: &str = "reading alerts";
    let at: String = col(r, "at", WHAT)?;
    Ok(Alert {
        id: col(r, "id", WHAT)?,
        at: parse_instant(&at, "alert time")?,
        kind: col(r, "kind", WHAT)?,
        subject: col(r, "subject", WHAT)?,
        message: col(r, "message", WHAT)?,
        org: col(r, "org_id", WHAT)?,
        event_id: col(r, "event_id", WHAT)?,
        rule: col(r, "rule_id", WHAT)?,
        concerns: col(r, "concerns_org", WHAT)?,
        confirmed: match (
            col::<Option<String>>(r, "confirmed_by", WHAT)?,
            col::<Option<String>>(r, "confirmed_at", WHAT)?,
        ) {
            (Some(by), Some(at)) => Some(crate::Confirmation {
                by,
                at: parse_instant(&at, "confirmation time")?,
                reason: col::<Option<String>>(r, "confirmation", WHAT)?.unwrap_or_default(),
            }),
            _ => None,
        },
    })
}

fn in_list(postgres: bool, first: usize, n: usize) -> String {
    (0..n)
        .map(|i| placeholder(postgres, first + i))
        .collect::<Vec<_>>()
        .join(", ")
}

fn party(r: &AnyRow) -> Result<PartyRecord, StoreError> {
    const WHAT: &str = "reading parties";
    Ok(PartyRecord {
        gln: col(r, "gln_uri", WHAT)?,
        org: col(r, "org_id", WHAT)?,
        province: col(r, "province", WHAT)?,
    })
}

fn lot(r: &AnyRow) -> Result<LotRecord, StoreError> {
    const WHAT: &str = "reading lots";
    Ok(LotRecord {
        lot: col(r, "lot", WHAT)?,
        substance_id: col(r, "substance_id", WHAT)?,
        substance_name: col(r, "substance_name", WHAT)?,
        base_ratio: col(r, "base_ratio", WHAT)?,
        unit_kg: col(r, "unit_kg", WHAT)?,
        registered_by: col(r, "registered_by", WHAT)?,
        event_id: col(r, "event_id", WHAT)?,
    })
}

fn inventory_row(r: &AnyRow) -> Result<InventoryRow, StoreError> {
    const WHAT: &str = "reading inventory";
    Ok(InventoryRow {
        holder: col(r, "holder", WHAT)?,
        site: col(r, "site", WHAT)?,
        lot: col(r, "lot", WHAT)?,
        substance_id: col(r, "substance_id", WHAT)?,
        kg: col(r, "kg", WHAT)?,
        base_kg: col(r, "base_kg", WHAT)?,
        last_event_id: col(r, "last_event_id", WHAT)?,
    })
}

fn shipment(r: &AnyRow) -> Result<ShipmentRecord, StoreError> {
    const WHAT: &str = "reading shipments";
    let at: String = col(r, "shipped_at", WHAT)?;
    Ok(ShipmentRecord {
        event_id: col(r, "event_id", WHAT)?,
        from_org: col(r, "from_org", WHAT)?,
        to_org: col(r, "to_org", WHAT)?,
        lot: col(r, "lot", WHAT)?,
        kg: col(r, "kg", WHAT)?,
        shipped_at: parse_instant(&at, "shipment time")?,
    })
}

const ALERT_ORDER: Order = Order {
    list: "alerts",
    key: &[("at", true), ("id", false)],
};

/// The alert list's filter: binds $1 org, $2 kind, $3 since, $4 with open claims,
/// $5 only open claims.
const ALERT_FILTER: &str = "($1 = '' OR org_id = $1 \
       OR (concerns_org = $1 AND (confirmed_at IS NOT NULL OR $4 = 1))) \
     AND ($2 = '' OR kind = $2) AND ($3 = '' OR at >= $3) \
     AND ($5 = 0 OR (concerns_org IS NOT NULL AND confirmed_at IS NULL))";

impl Store {
    /// All registered parties and locations.
    pub async fn parties(&self) -> Result<Vec<PartyRecord>, StoreError> {
        sqlx::query("SELECT gln_uri, org_id, province FROM gs1_parties ORDER BY gln_uri")
            .fetch_all(&self.pool)
            .await
            .map_err(db("reading parties"))?
            .iter()
            .map(party)
            .collect()
    }

    /// A page of the registered parties and locations, by GLN.
    pub async fn parties_page(&self, page: &PageRequest) -> Result<Page<PartyRecord>, StoreError> {
        const ORDER: Order = Order {
            list: "parties",
            key: &[("gln_uri", false)],
        };
        let select = "SELECT gln_uri, org_id, province FROM gs1_parties";
        ORDER
            .fetch(
                &self.pool,
                select,
                "1 = 1",
                &[],
                page,
                "reading parties",
                party,
            )
            .await
    }

    /// Every registered lot.
    pub async fn all_lots(&self) -> Result<Vec<LotRecord>, StoreError> {
        sqlx::query(
            "SELECT lot, substance_id, substance_name, base_ratio, unit_kg, registered_by, event_id FROM lots",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db("reading lots"))?
        .iter()
        .map(lot)
        .collect()
    }

    /// Book balances, optionally of one holder and/or one substance.
    pub async fn inventory(
        &self,
        holder: Option<&str>,
        substance: Option<&str>,
    ) -> Result<Vec<InventoryRow>, StoreError> {
        sqlx::query(
            "SELECT holder, site, lot, substance_id, kg, base_kg, last_event_id FROM inventory \
             WHERE ($1 = '' OR holder = $1) AND ($2 = '' OR substance_id = $2) ORDER BY holder, site, lot",
        )
        .bind(holder.unwrap_or(""))
        .bind(substance.unwrap_or(""))
        .fetch_all(&self.pool)
        .await
        .map_err(db("reading inventory"))?
        .iter()
        .map(inventory_row)
        .collect()
    }

    /// A page of the book balances, optionally of one holder and/or one substance.
    pub async fn inventory_page(
        &self,
        holder: Option<&str>,
        substance: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<InventoryRow>, StoreError> {
        const ORDER: Order = Order {
            list: "inventory",
            key: &[("holder", false), ("site", false), ("lot", false)],
        };
        let select =
            "SELECT holder, site, lot, substance_id, kg, base_kg, last_event_id FROM inventory";
        let filter = "($1 = '' OR holder = $1) AND ($2 = '' OR substance_id = $2)";
        let args = [
            Arg::Text(holder.unwrap_or("")),
            Arg::Text(substance.unwrap_or("")),
        ];
        ORDER
            .fetch(
                &self.pool,
                select,
                filter,
                &args,
                page,
                "reading inventory",
                inventory_row,
            )
            .await
    }

    /// Shipments not received and sent before `before`, whose gap has not been alerted.
    pub async fn overdue_shipments(
        &self,
        before: DateTime<Utc>,
    ) -> Result<Vec<ShipmentRecord>, StoreError> {
        sqlx::query(
            "SELECT event_id, from_org, to_org, lot, kg, shipped_at FROM shipments \
             WHERE received_event_id IS NULL AND gap_alerted = 0 AND shipped_at < $1 ORDER BY shipped_at",
        )
        .bind(instant_text(before))
        .fetch_all(&self.pool)
        .await
        .map_err(db("reading shipments"))?
        .iter()
        .map(shipment)
        .collect()
    }

    /// Shipments not yet received (all, or those of one sender or receiver).
    pub async fn open_shipments(
        &self,
        org: Option<&str>,
    ) -> Result<Vec<ShipmentRecord>, StoreError> {
        sqlx::query(
            "SELECT event_id, from_org, to_org, lot, kg, shipped_at FROM shipments \
             WHERE received_event_id IS NULL AND ($1 = '' OR from_org = $1 OR to_org = $1) ORDER BY shipped_at",
        )
        .bind(org.unwrap_or(""))
        .fetch_all(&self.pool)
        .await
        .map_err(db("reading shipments"))?
        .iter()
        .map(shipment)
        .collect()
    }

    /// When an enterprise last captured events (its last report).
    pub async fn last_report(&self, org: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        let r = sqlx::query(
            "SELECT record_time FROM epcis_events WHERE owner_org = $1 ORDER BY seq DESC LIMIT 1",
        )
        .bind(org)
        .fetch_optional(&self.pool)
        .await
        .map_err(db("reading the last report"))?;
        r.map(|r| {
            let t: String = col(&r, "record_time", "reading the last report")?;
            parse_instant(&t, "record time")
        })
        .transpose()
    }

    /// Refused export applications of an enterprise: (when decided, application id).
    pub async fn refusals(&self, org: &str) -> Result<Vec<(DateTime<Utc>, String)>, StoreError> {
        const WHAT: &str = "reading refusals";
        sqlx::query(
            "SELECT id, updated_at FROM applications WHERE owner_org = $1 AND state = 'refused'",
        )
        .bind(org)
        .fetch_all(&self.pool)
        .await
        .map_err(db(WHAT))?
        .iter()
        .map(|r| {
            let at: String = col(r, "updated_at", WHAT)?;
            let at = DateTime::parse_from_rfc3339(&at)
                .map(|t| t.with_timezone(&Utc))
                .or_else(|_| parse_instant(&at, "decision time"))?;
            Ok((at, col(r, "id", WHAT)?))
        })
        .collect()
    }

    /// Alerts, newest first.
    pub async fn alerts_where(&self, f: &AlertFilter) -> Result<Vec<Alert>, StoreError> {
        let limit = f
            .limit
            .and_then(|l| usize::try_from(l).ok())
            .map(|l| format!(" LIMIT {l}"))
            .unwrap_or_default();
        let sql = format!(
            "SELECT {ALERT_COLUMNS} FROM alerts WHERE {ALERT_FILTER} {}{limit}",
            ALERT_ORDER.order_by()
        );
        sqlx::query(&sql)
            .bind(f.org.as_deref().unwrap_or(""))
            .bind(f.kind.as_deref().unwrap_or(""))
            .bind(f.since.map(instant_text).unwrap_or_default())
            .bind(i64::from(f.with_open_claims))
            .bind(i64::from(f.only_open_claims))
            .fetch_all(&self.pool)
            .await
            .map_err(db("reading alerts"))?
            .iter()
            .map(alert_from_row)
            .collect()
    }

    /// A page of the alerts that pass a filter (its `limit` is the page's), newest first.
    pub async fn alerts_page(
        &self,
        f: &AlertFilter,
        page: &PageRequest,
    ) -> Result<Page<Alert>, StoreError> {
        let since = f.since.map(instant_text).unwrap_or_default();
        let args = [
            Arg::Text(f.org.as_deref().unwrap_or("")),
            Arg::Text(f.kind.as_deref().unwrap_or("")),
            Arg::Text(&since),
            Arg::Int(i64::from(f.with_open_claims)),
            Arg::Int(i64::from(f.only_open_claims)),
        ];
        let select = format!("SELECT {ALERT_COLUMNS} FROM alerts");
        ALERT_ORDER
            .fetch(
                &self.pool,
                &select,
                ALERT_FILTER,
                &args,
                page,
                "reading alerts",
                alert_from_row,
            )
            .await
    }
}

impl WriteTx {
    /// Register (or re-register) a party or location.
    pub async fn put_party(
        &mut self,
        p: &PartyRecord,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO gs1_parties (gln_uri, org_id, province, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (gln_uri) DO UPDATE SET org_id = excluded.org_id, province = excluded.province",
        )
        .bind(&p.gln)
        .bind(&p.org)
        .bind(&p.province)
        .bind(instant_text(now))
        .execute(&mut *self.tx)
        .await
        .map_err(db("registering the party"))?;
        Ok(())
    }

    /// Parties and locations by GLN, and every registration of the given organisations.
    pub async fn parties_for(
        &mut self,
        glns: &[String],
        orgs: &[String],
    ) -> Result<Vec<PartyRecord>, StoreError> {
        if glns.is_empty() && orgs.is_empty() {
            return Ok(Vec::new());
        }
        let p = self.postgres;
        let mut cond = Vec::new();
        if !glns.is_empty() {
            cond.push(format!("gln_uri IN ({})", in_list(p, 1, glns.len())));
        }
        if !orgs.is_empty() {
            cond.push(format!(
                "org_id IN ({})",
                in_list(p, glns.len() + 1, orgs.len())
            ));
        }
        let sql = format!(
            "SELECT gln_uri, org_id, province FROM gs1_parties WHERE {}",
            cond.join(" OR ")
        );
        let mut q = sqlx::query(&sql);
        for v in glns.iter().chain(orgs) {
            q = q.bind(v);
        }
        q.fetch_all(&mut *self.tx)
            .await
            .map_err(db("reading parties"))?
            .iter()
            .map(party)
            .collect()
    }

    /// Registered lots among `lots`.
    pub async fn lots(&mut self, lots: &[String]) -> Result<Vec<LotRecord>, StoreError> {
        if lots.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT lot, substance_id, substance_name, base_ratio, unit_kg, registered_by, event_id FROM lots WHERE lot IN ({})",
            in_list(self.postgres, 1, lots.len())
        );
        let mut q = sqlx::query(&sql);
        for l in lots {
            q = q.bind(l);
        }
        q.fetch_all(&mut *self.tx)
            .await
            .map_err(db("reading lots"))?
            .iter()
            .map(lot)
            .collect()
    }

    /// Register lots (a lot already registered keeps its first registration).
    pub async fn insert_lots(
        &mut self,
        lots: &[LotRecord],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        for l in lots {
            // A NULL is written as a literal: PostgreSQL types a parameter by its first
            // binding, and a cached statement first bound with NULL refuses a number.
            let sql = if l.unit_kg.is_some() {
                "INSERT INTO lots (lot, substance_id, substance_name, base_ratio, unit_kg, registered_by, event_id, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (lot) DO NOTHING"
            } else {
                "INSERT INTO lots (lot, substance_id, substance_name, base_ratio, unit_kg, registered_by, event_id, created_at) \
                 VALUES ($1, $2, $3, $4, NULL, $5, $6, $7) ON CONFLICT (lot) DO NOTHING"
            };
            let mut q = sqlx::query(sql)
                .bind(&l.lot)
                .bind(&l.substance_id)
                .bind(&l.substance_name)
                .bind(l.base_ratio);
            if let Some(u) = l.unit_kg {
                q = q.bind(u);
            }
            q.bind(&l.registered_by)
                .bind(&l.event_id)
                .bind(instant_text(now))
                .execute(&mut *self.tx)
                .await
                .map_err(db("registering lots"))?;
        }
        Ok(())
    }

    /// The book balance at a place, if any.
    pub async fn balance(
        &mut self,
        holder: &str,
        site: &str,
        lot: &str,
    ) -> Result<Option<InventoryRow>, StoreError> {
        sqlx::query(
            "SELECT holder, site, lot, substance_id, kg, base_kg, last_event_id FROM inventory WHERE holder = $1 AND site = $2 AND lot = $3",
        )
        .bind(holder)
        .bind(site)
        .bind(lot)
        .fetch_optional(&mut *self.tx)
        .await
        .map_err(db("reading inventory"))?
        .as_ref()
        .map(inventory_row)
        .transpose()
    }

    /// Set book balances.
    pub async fn put_inventory(
        &mut self,
        rows: &[InventoryRow],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        for r in rows {
            sqlx::query(
                "INSERT INTO inventory (holder, site, lot, substance_id, kg, base_kg, last_event_id, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (holder, site, lot) DO UPDATE SET \
                 kg = excluded.kg, base_kg = excluded.base_kg, last_event_id = excluded.last_event_id, updated_at = excluded.updated_at",
            )
            .bind(&r.holder)
            .bind(&r.site)
            .bind(&r.lot)
            .bind(&r.substance_id)
            .bind(r.kg)
            .bind(r.base_kg)
            .bind(&r.last_event_id)
            .bind(instant_text(now))
            .execute(&mut *self.tx)
            .await
            .map_err(db("updating inventory"))?;
        }
        Ok(())
    }

    /// The oldest open shipments of `lot` to `to_org`, at most `limit`.
    pub async fn open_shipments(
        &mut self,
        to_org: &str,
        lot: &str,
        limit: usize,
    ) -> Result<Vec<ShipmentRecord>, StoreError> {
        sqlx::query(&format!(
            "SELECT event_id, from_org, to_org, lot, kg, shipped_at FROM shipments \
             WHERE to_org = $1 AND lot = $2 AND received_event_id IS NULL ORDER BY shipped_at, event_id LIMIT {limit}"
        ))
        .bind(to_org)
        .bind(lot)
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db("reading shipments"))?
        .iter()
        .map(shipment)
        .collect()
    }

    /// Record shipments (multi-row: a capture of many sales writes them at once).
    pub async fn insert_shipments(
        &mut self,
        shipments: &[ShipmentRecord],
    ) -> Result<(), StoreError> {
        const PER_ROW: usize = 7;
        for chunk in shipments.chunks(1000) {
            let sql = multi_row(
                "shipments",
                "event_id, from_org, to_org, lot, kg, shipped_at, gap_alerted",
                PER_ROW,
                chunk.len(),
                " ON CONFLICT (event_id) DO NOTHING",
                self.postgres,
            );
            let mut q = sqlx::query(&sql);
            for s in chunk {
                q = q
                    .bind(&s.event_id)
                    .bind(&s.from_org)
                    .bind(&s.to_org)
                    .bind(&s.lot)
                    .bind(s.kg)
                    .bind(instant_text(s.shipped_at))
                    .bind(0i32);
            }
            q.execute(&mut *self.tx)
                .await
                .map_err(db("recording shipments"))?;
        }
        Ok(())
    }

    /// Match a shipment with its receipt.
    pub async fn receive_shipment(
        &mut self,
        shipment_event: &str,
        receipt_event: &str,
        kg: f64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE shipments SET received_event_id = $1, received_kg = $2 WHERE event_id = $3",
        )
        .bind(receipt_event)
        .bind(kg)
        .bind(shipment_event)
        .execute(&mut *self.tx)
        .await
        .map_err(db("recording the receipt"))?;
        Ok(())
    }

    /// Note that a shipment's gap is being alerted; `false` when it already was (another
    /// process got there first, or it was received meanwhile).
    pub async fn mark_gap_alerted(&mut self, shipment_event: &str) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE shipments SET gap_alerted = 1 WHERE event_id = $1 AND gap_alerted = 0 AND received_event_id IS NULL",
        )
        .bind(shipment_event)
        .execute(&mut *self.tx)
        .await
        .map_err(db("recording the gap"))?
        .rows_affected();
        Ok(done == 1)
    }

    /// Take back the bookkeeping of an event declared erroneous: its shipments are no
    /// longer awaited, shipments it received are open again, packs it dispensed are no
    /// longer out, packs it took back are out again.
    pub async fn withdraw_event_effects(&mut self, event_id: &str) -> Result<(), StoreError> {
        let multi = format!("{event_id}#%");
        for (sql, what) in [
            ("UPDATE shipments SET received_event_id = 'withdrawn', gap_alerted = 1 WHERE (event_id = $1 OR event_id LIKE $2) AND received_event_id IS NULL", "withdrawing shipments"),
            ("UPDATE shipments SET received_event_id = NULL, received_kg = NULL WHERE received_event_id = $1 AND $2 <> ''", "reopening shipments"),
            ("DELETE FROM medicine_packages WHERE dispensed_event = $1 AND $2 <> ''", "withdrawing a dispensing"),
            ("UPDATE medicine_packages SET returned_event = NULL WHERE returned_event = $1 AND $2 <> ''", "withdrawing a return"),
        ] {
            sqlx::query(sql)
                .bind(event_id)
                .bind(&multi)
                .execute(&mut *self.tx)
                .await
                .map_err(db(what))?;
        }
        Ok(())
    }

    /// Packs dispensed to a patient and not returned.
    pub async fn outstanding_packages(&mut self, patient: &str) -> Result<Vec<String>, StoreError> {
        sqlx::query(
            "SELECT epc FROM medicine_packages WHERE patient = $1 AND returned_event IS NULL ORDER BY epc",
        )
        .bind(patient)
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db("reading dispensed packages"))?
        .iter()
        .map(|r| col(r, "epc", "reading dispensed packages"))
        .collect()
    }

    /// Record packs dispensed to a patient.
    pub async fn dispense_packages(
        &mut self,
        epcs: &[String],
        patient: &str,
        event_id: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        for e in epcs {
            sqlx::query(
                "INSERT INTO medicine_packages (epc, patient, dispensed_event, dispensed_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (epc) DO UPDATE SET patient = excluded.patient, dispensed_event = excluded.dispensed_event, \
                 dispensed_at = excluded.dispensed_at, returned_event = NULL",
            )
            .bind(e)
            .bind(patient)
            .bind(event_id)
            .bind(instant_text(at))
            .execute(&mut *self.tx)
            .await
            .map_err(db("recording dispensed packages"))?;
        }
        Ok(())
    }

    /// Record packs returned; answers how many were outstanding.
    pub async fn return_packages(
        &mut self,
        epcs: &[String],
        event_id: &str,
    ) -> Result<u64, StoreError> {
        let mut n = 0;
        for e in epcs {
            n += sqlx::query(
                "UPDATE medicine_packages SET returned_event = $1 WHERE epc = $2 AND returned_event IS NULL",
            )
            .bind(event_id)
            .bind(e)
            .execute(&mut *self.tx)
            .await
            .map_err(db("recording returned packages"))?
            .rows_affected();
        }
        Ok(n)
    }

    /// The plan and what was produced so far: (plan kg, produced kg).
    pub async fn production(
        &mut self,
        org: &str,
        substance: &str,
        year: i32,
    ) -> Result<(Option<f64>, f64), StoreError> {
        const WHAT: &str = "reading the production plan";
        let r = sqlx::query(
            "SELECT plan_kg, produced_kg FROM production_plans WHERE org_id = $1 AND substance_id = $2 AND year = $3",
        )
        .bind(org)
        .bind(substance)
        .bind(year)
        .fetch_optional(&mut *self.tx)
        .await
        .map_err(db(WHAT))?;
        match r {
            None => Ok((None, 0.0)),
            Some(r) => Ok((col(&r, "plan_kg", WHAT)?, col(&r, "produced_kg", WHAT)?)),
        }
    }

    /// Add to what was produced.
    pub async fn add_production(
        &mut self,
        org: &str,
        substance: &str,
        year: i32,
        kg: f64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO production_plans (org_id, substance_id, year, plan_kg, produced_kg) VALUES ($1, $2, $3, NULL, $4) \
             ON CONFLICT (org_id, substance_id, year) DO UPDATE SET produced_kg = production_plans.produced_kg + excluded.produced_kg",
        )
        .bind(org)
        .bind(substance)
        .bind(year)
        .bind(kg)
        .execute(&mut *self.tx)
        .await
        .map_err(db("recording production"))?;
        Ok(())
    }

    /// Set an annual production plan.
    pub async fn set_plan(
        &mut self,
        org: &str,
        substance: &str,
        year: i32,
        plan_kg: f64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO production_plans (org_id, substance_id, year, plan_kg, produced_kg) VALUES ($1, $2, $3, $4, 0) \
             ON CONFLICT (org_id, substance_id, year) DO UPDATE SET plan_kg = excluded.plan_kg",
        )
        .bind(org)
        .bind(substance)
        .bind(year)
        .bind(plan_kg)
        .execute(&mut *self.tx)
        .await
        .map_err(db("setting the production plan"))?;
        Ok(())
    }

    /// Whether an alert about `subject` of `kind` exists (alerts raised once).
    pub async fn alert_exists(&mut self, kind: &str, subject: &str) -> Result<bool, StoreError> {
        let r = sqlx::query("SELECT 1 AS one FROM alerts WHERE subject = $1 AND kind = $2 LIMIT 1")
            .bind(subject)
            .bind(kind)
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(db("reading alerts"))?;
        Ok(r.is_some())
    }
}

impl WriteTx {
    /// Store what accepted events do to the book (`custody::Writes`), in this
    /// transaction: lots, balances, shipments and receipts, packs, production, effects
    /// taken back, and the alerts raised.
    pub async fn write_effects(
        &mut self,
        w: &::custody::Writes,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.insert_lots(&w.lots, now).await?;
        let rows: Vec<InventoryRow> = w.inventory.values().cloned().collect();
        self.put_inventory(&rows, now).await?;
        self.insert_shipments(&w.shipments).await?;
        for (shipment, receipt, kg) in &w.receipts {
            self.receive_shipment(shipment, receipt, *kg).await?;
        }
        for (epcs, patient, event, at) in &w.dispensed {
            self.dispense_packages(epcs, patient, event, *at).await?;
        }
        for (epcs, event) in &w.returned {
            self.return_packages(epcs, event).await?;
        }
        for ((org, sub, year), kg) in &w.produced {
            self.add_production(org, sub, *year, *kg).await?;
        }
        for event in &w.withdrawn {
            self.withdraw_event_effects(event).await?;
        }
        for a in &w.alerts {
            self.insert_alert(a).await?;
        }
        Ok(())
    }
}
