//! The enterprise credit rating, computed from what counts against the enterprise.

use crate::Services;
use control::credit::RecordEntry;
use control::CreditRating;
use store::{AlertFilter, StoreError};

/// An enterprise's credit rating now: its own alerts and the claims about it an authority
/// confirmed, and its refused applications, weighed by the jurisdiction's credit model.
pub async fn rating_of(s: &Services, enterprise: &str) -> Result<CreditRating, StoreError> {
    let now = s.clock.now();
    let alerts = s
        .store
        .alerts_where(&AlertFilter {
            org: Some(enterprise.to_string()),
            ..AlertFilter::default()
        })
        .await?;
    // An alert's kind is its reason code; the model weighs the kinds it knows. Only what
    // counts against this enterprise: its own record and the claims about it an authority
    // confirmed, never an open claim (by it or about it).
    let mut record: Vec<RecordEntry> = alerts
        .iter()
        .filter(|a| a.counts_against() == Some(enterprise))
        .map(|a| RecordEntry {
            at: a.at,
            code: a.kind.clone(),
            subject: format!("alert/{}", a.id),
        })
        .collect();
    record.extend(
        s.store
            .refusals(enterprise)
            .await?
            .into_iter()
            .map(|(at, id)| RecordEntry {
                at,
                code: "refused_application".into(),
                subject: format!("export-application/{id}"),
            }),
    );
    let since = record.iter().map(|r| r.at).min().unwrap_or(now).min(now);
    Ok(s.rules.credit.rate(enterprise, &record, since, now))
}
