//! Enterprise credit rating: a score per enterprise from its record (rule breaches,
//! discrepancies, gaps, late reports, refused applications, clean periods), with reason
//! codes and the history of how it moved. The model is data (`data/credit/CN.json`):
//! FentGuard's defaults for the authority to set, since no formula is published.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use thiserror::Error;

const CN: &str = include_str!("../../../data/credit/CN.json");

/// What one kind of record entry does to the score.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CodeWeight {
    /// Points (negative lowers the score).
    pub points: i32,
    /// The reason in words.
    pub text: String,
}

/// A score band.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Band {
    /// Lowest score in the band.
    pub min: i32,
    /// Its grade.
    pub grade: String,
}

/// The rating model.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CreditModel {
    /// Jurisdiction.
    pub jurisdiction: String,
    /// Where the model comes from.
    pub source: String,
    /// Score of a clean record.
    pub start: i32,
    /// Lowest score.
    pub floor: i32,
    /// A period without negative entries...
    pub clean_period_days: i64,
    /// ...gives these points back.
    pub clean_period_points: i32,
    /// Reason code -> weight.
    pub codes: BTreeMap<String, CodeWeight>,
    /// Grades, highest first.
    pub bands: Vec<Band>,
}

/// The model could not be loaded.
#[derive(Debug, Error)]
#[error("credit model: {0}")]
pub struct CreditModelError(String);

/// One entry of an enterprise's record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecordEntry {
    /// When.
    pub at: DateTime<Utc>,
    /// Reason code (`rule_breach_blocked`, ...).
    pub code: String,
    /// What it concerns (alert, application).
    pub subject: String,
}

/// One step of the score's history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScoreChange {
    /// When.
    pub at: DateTime<Utc>,
    /// Reason code (`clean_period` for points given back).
    pub code: String,
    /// What it concerns.
    pub subject: String,
    /// Points.
    pub points: i32,
    /// Score after.
    pub score: i32,
}

/// A reason code and how much it weighs in the score now.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reason {
    /// Code.
    pub code: String,
    /// How many entries.
    pub count: u32,
    /// Points in all.
    pub points: i32,
    /// In words.
    pub text: String,
}

/// An enterprise's rating.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreditRating {
    /// The enterprise.
    pub enterprise: String,
    /// Score, floor..start.
    pub score: i32,
    /// Grade.
    pub grade: String,
    /// Reason codes behind the score.
    pub reasons: Vec<Reason>,
    /// How it moved.
    pub history: Vec<ScoreChange>,
    /// As of.
    pub as_of: DateTime<Utc>,
    /// Where the model comes from.
    pub model_source: String,
}

impl CreditModel {
    /// The model shipped for a jurisdiction.
    pub fn builtin(jurisdiction: &str) -> Result<CreditModel, CreditModelError> {
        match jurisdiction {
            "CN" => CreditModel::from_json(CN),
            other => Err(CreditModelError(format!(
                "no credit model on file for {other}"
            ))),
        }
    }

    /// Reads a model from JSON.
    pub fn from_json(text: &str) -> Result<CreditModel, CreditModelError> {
        let m: CreditModel =
            serde_json::from_str(text).map_err(|e| CreditModelError(e.to_string()))?;
        if m.floor > m.start || m.clean_period_days <= 0 {
            return Err(CreditModelError(
                "floor above start, or a clean period of no days".into(),
            ));
        }
        if m.bands.is_empty() || m.bands.iter().all(|b| b.min > m.floor) {
            return Err(CreditModelError(
                "the bands leave the lowest scores without a grade".into(),
            ));
        }
        Ok(m)
    }

    fn grade(&self, score: i32) -> String {
        self.bands
            .iter()
            .filter(|b| score >= b.min)
            .max_by_key(|b| b.min)
            .map(|b| b.grade.clone())
            .unwrap_or_default()
    }

    /// Rates an enterprise from its record (`since`: when its record starts, e.g. its
    /// registration), as of `now`. Entries after `now` and unknown codes are ignored.
    pub fn rate(
        &self,
        enterprise: &str,
        record: &[RecordEntry],
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> CreditRating {
        let mut entries: Vec<&RecordEntry> = record
            .iter()
            .filter(|e| e.at <= now && self.codes.contains_key(&e.code))
            .collect();
        entries.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.subject.cmp(&b.subject)));
        let period = Duration::days(self.clean_period_days);
        let mut score = self.start;
        let mut clean_since = since;
        let mut history = Vec::new();
        let mut reasons: BTreeMap<&str, Reason> = BTreeMap::new();
        let recover = |until: DateTime<Utc>,
                       score: &mut i32,
                       clean_since: &mut DateTime<Utc>,
                       history: &mut Vec<ScoreChange>| {
            while *clean_since + period <= until {
                *clean_since += period;
                if *score < self.start {
                    let before = *score;
                    *score = (*score + self.clean_period_points).min(self.start);
                    history.push(ScoreChange {
                        at: *clean_since,
                        code: "clean_period".into(),
                        subject: format!(
                            "{} days without a negative entry",
                            self.clean_period_days
                        ),
                        points: *score - before,
                        score: *score,
                    });
                }
            }
        };
        for e in entries {
            recover(e.at, &mut score, &mut clean_since, &mut history);
            let w = &self.codes[&e.code];
            let before = score;
            score = (score + w.points).clamp(self.floor, self.start);
            if w.points < 0 {
                clean_since = e.at;
            }
            history.push(ScoreChange {
                at: e.at,
                code: e.code.clone(),
                subject: e.subject.clone(),
                points: score - before,
                score,
            });
            let r = reasons.entry(&e.code).or_insert_with(|| Reason {
                code: e.code.clone(),
                count: 0,
                points: 0,
                text: w.text.clone(),
            });
            r.count += 1;
            r.points += w.points;
        }
        recover(now, &mut score, &mut clean_since, &mut history);
        let given_back: i32 = history
            .iter()
            .filter(|h| h.code == "clean_period")
            .map(|h| h.points)
            .sum();
        let mut reasons: Vec<Reason> = reasons.into_values().collect();
        if given_back > 0 {
            reasons.push(Reason {
                code: "clean_period".into(),
                count: history.iter().filter(|h| h.code == "clean_period").count() as u32,
                points: given_back,
                text: format!(
                    "points given back for each {} days without a negative entry",
                    self.clean_period_days
                ),
            });
        }
        CreditRating {
            enterprise: enterprise.to_string(),
            score,
            grade: self.grade(score),
            reasons,
            history,
            as_of: now,
            model_source: self.source.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, m, d, 0, 0, 0)
            .single()
            .unwrap_or_default()
    }

    fn entry(m: u32, d: u32, code: &str) -> RecordEntry {
        RecordEntry {
            at: at(m, d),
            code: code.into(),
            subject: format!("alert/{code}-{m}-{d}"),
        }
    }

    #[test]
    fn breaches_lower_the_score_and_clean_periods_give_it_back() {
        let m = CreditModel::builtin("CN").expect("model");
        let clean = m.rate("e", &[], at(1, 1), at(6, 1));
        assert_eq!((clean.score, clean.grade.as_str()), (100, "A"));
        assert!(clean.history.is_empty() && clean.reasons.is_empty());
        let record = [
            entry(2, 1, "rule_breach_blocked"),
            entry(2, 3, "inventory_discrepancy"),
            entry(2, 5, "overdue_report"),
            entry(2, 6, "no_such_code"),
        ];
        let r = m.rate("e", &record, at(1, 1), at(2, 10));
        assert_eq!(r.score, 70);
        assert_eq!(r.grade, "B");
        let codes: Vec<&str> = r.reasons.iter().map(|x| x.code.as_str()).collect();
        assert_eq!(
            codes,
            [
                "inventory_discrepancy",
                "overdue_report",
                "rule_breach_blocked"
            ]
        );
        assert_eq!(
            r.history.iter().map(|h| h.score).collect::<Vec<_>>(),
            [85, 75, 70]
        );
        // 90 clean days after the last entry: 5 points back, and again after 180
        let later = m.rate("e", &record, at(1, 1), at(11, 5));
        assert_eq!(later.score, 85, "three clean periods: May 6, Aug 4, Nov 2");
        assert_eq!(
            later.history.last().map(|h| h.code.as_str()),
            Some("clean_period")
        );
        // entries in the future of `now` do not count yet
        assert_eq!(m.rate("e", &record, at(1, 1), at(1, 20)).score, 100);
    }

    #[test]
    fn the_score_stays_within_floor_and_start() {
        let m = CreditModel::builtin("CN").expect("model");
        let many: Vec<RecordEntry> = (1..=28)
            .map(|d| entry(3, d, "rule_breach_blocked"))
            .collect();
        let r = m.rate("e", &many, at(1, 1), at(3, 29));
        assert_eq!((r.score, r.grade.as_str()), (0, "D"));
        assert!(CreditModel::from_json("{}").is_err());
        assert!(CreditModel::builtin("XX").is_err());
    }
}
