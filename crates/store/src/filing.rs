//! Group commit for new applications, the hot write path. Submissions queue here; one
//! task takes whatever is waiting (up to [`MAX_GROUP`]) and writes it in one transaction:
//! the documents, the applications and their audit entries each as one multi-row insert,
//! the audit chain extended in memory from the head read once. A thread hand-off per
//! statement and an fsync per commit are what bound a single writer, so a group of 50
//! costs little more than a group of 1. If a group fails, its filings are retried one
//! by one, so one bad filing does not sink the others. Every caller is answered only
//! after its transaction committed.

use crate::{
    db, multi_row, ApplicationKeys, ApplicationListing, ApplicationRow, StoreError, Writer,
};
use chrono::{DateTime, Utc};
use control::AuditEntry;
use tokio::sync::{mpsc, oneshot};

/// Largest group written in one transaction (SQLite allows 32,766 bound parameters;
/// an application takes 10).
const MAX_GROUP: usize = 256;

/// A new application, its documents and the audit entry that records it.
#[derive(Clone, Debug)]
pub struct NewApplication {
    /// The row.
    pub row: ApplicationRow,
    /// Columns the risk assessment queries.
    pub keys: ApplicationKeys,
    /// Columns the lists filter, search and order on.
    pub listing: ApplicationListing,
    /// Documents: (SHA-256, size, base64 content).
    pub documents: Vec<(String, u64, String)>,
    /// When.
    pub at: DateTime<Utc>,
    /// Who (user id).
    pub actor: String,
    /// Audit action, e.g. `application.submit`.
    pub action: String,
}

pub(crate) struct Job {
    pub(crate) filing: NewApplication,
    pub(crate) reply: oneshot::Sender<Result<AuditEntry, StoreError>>,
}

/// Start the writer task; returns the queue.
pub(crate) fn start(writer: Writer) -> mpsc::Sender<Job> {
    let (tx, mut rx) = mpsc::channel::<Job>(4 * MAX_GROUP);
    tokio::spawn(async move {
        while let Some(first) = rx.recv().await {
            let mut jobs = vec![first];
            while jobs.len() < MAX_GROUP {
                match rx.try_recv() {
                    Ok(j) => jobs.push(j),
                    Err(_) => break,
                }
            }
            let filings: Vec<&NewApplication> = jobs.iter().map(|j| &j.filing).collect();
            match write_group(&writer, &filings).await {
                Ok(entries) => {
                    for (job, e) in jobs.into_iter().zip(entries) {
                        let _ = job.reply.send(Ok(e));
                    }
                }
                Err(_) if jobs.len() > 1 => {
                    for job in jobs {
                        let res = write_group(&writer, &[&job.filing])
                            .await
                            .and_then(|mut v| {
                                v.pop()
                                    .ok_or_else(|| StoreError::Failed("nothing written".into()))
                            });
                        let _ = job.reply.send(res);
                    }
                }
                Err(e) => {
                    if let Some(job) = jobs.pop() {
                        let _ = job.reply.send(Err(e));
                    }
                }
            }
        }
    });
    tx
}

async fn write_group(
    writer: &Writer,
    group: &[&NewApplication],
) -> Result<Vec<AuditEntry>, StoreError> {
    let mut tx = writer.begin().await?;
    let mut head = tx.audit_head().await?;
    // documents, once per content
    let mut docs: Vec<&(String, u64, String)> = group.iter().flat_map(|f| &f.documents).collect();
    docs.sort_by(|a, b| a.0.cmp(&b.0));
    docs.dedup_by(|a, b| a.0 == b.0);
    if !docs.is_empty() {
        let sql = multi_row(
            "documents",
            "sha256, size, content_base64",
            3,
            docs.len(),
            " ON CONFLICT (sha256) DO NOTHING",
            tx.postgres,
        );
        let mut q = sqlx::query(&sql);
        for (sha, size, b64) in docs {
            q = q.bind(sha).bind(*size as i64).bind(b64);
        }
        q.execute(&mut *tx.tx)
            .await
            .map_err(db("storing documents"))?;
    }
    let sql = multi_row(
        "applications",
        "id, owner_org, state, version, body_json, created_at, updated_at, substance_key, base_kg, importer_name, worklist_key, destination, search_text, substance_text, summary_json",
        15,
        group.len(),
        "",
        tx.postgres,
    );
    let mut q = sqlx::query(&sql);
    let mut entries = Vec::with_capacity(group.len());
    for f in group {
        let ts = f.at.to_rfc3339();
        let body = f.row.body.to_string();
        q = q
            .bind(&f.row.id)
            .bind(&f.row.owner_org)
            .bind(&f.row.state)
            .bind(1i64)
            .bind(body)
            .bind(ts.clone())
            .bind(ts)
            .bind(&f.keys.substance_key)
            .bind(f.keys.base_kg)
            .bind(&f.keys.importer_name)
            .bind(&f.listing.worklist_key)
            .bind(&f.listing.destination)
            .bind(&f.listing.search_text)
            .bind(&f.listing.substance_text)
            .bind(&f.listing.summary_json);
        let e = AuditEntry::next(
            head.as_ref(),
            f.at,
            &f.actor,
            &f.action,
            &format!("application/{}", f.row.id),
            serde_json::Value::Null,
            f.row.body.clone(),
        )
        .sealed(&tx.seal);
        head = Some(e.clone());
        entries.push(e);
    }
    q.execute(&mut *tx.tx).await.map_err(|e| match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            StoreError::Duplicate("an application with this id".into())
        }
        _ => StoreError::Db {
            what: "storing applications",
            source: e,
        },
    })?;
    tx.insert_audit(&entries).await?;
    tx.commit().await?;
    Ok(entries)
}
