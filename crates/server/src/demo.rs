//! `fentguard demo seed`: one organisation and user per role, so a newcomer can walk one
//! licence from application to customs release with curl. Returns `{"role": token}`.
//! Fictitious names; the exporter holds an export registration so its applications can
//! be filed.

use crate::admin::{add_organisation, add_user, record_licence};
use crate::auth::{issue_token, random_hex};
use crate::Problem;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use control::{
    Activity, AuthorityKind, EnterpriseLicence, Level, LicenceStatus, OrgKind, Organisation, Role,
};
use std::collections::BTreeMap;
use store::Store;

/// How long demo tokens last.
pub const DEMO_TOKEN_DAYS: i64 = 30;

fn org(id: &str, name: &str, country: &str, kind: OrgKind) -> Organisation {
    Organisation {
        id: id.into(),
        name: name.into(),
        country: country.into(),
        address: format!("{name} (demo address)"),
        kind,
    }
}

fn authority(authority: AuthorityKind, level: Option<Level>) -> OrgKind {
    OrgKind::Authority { authority, level }
}

/// Seed the demo organisations and users; returns each role's token.
pub async fn seed(store: &Store, now: DateTime<Utc>) -> Result<BTreeMap<String, String>, Problem> {
    let exporter = OrgKind::Enterprise {
        activities: vec![Activity::Producer, Activity::Trader, Activity::Exporter],
    };
    let orgs = [
        org(
            "cn-mofcom",
            "Ministry of Commerce (demo)",
            "CN",
            authority(AuthorityKind::Commerce, Some(Level::National)),
        ),
        org(
            "cn-mps",
            "Ministry of Public Security, narcotics control (demo)",
            "CN",
            authority(AuthorityKind::PublicSecurity, Some(Level::National)),
        ),
        org(
            "cn-customs",
            "General Administration of Customs (demo)",
            "CN",
            authority(AuthorityKind::Customs, Some(Level::National)),
        ),
        org(
            "mx-authority",
            "Competent authority of Mexico (demo)",
            "MX",
            authority(AuthorityKind::ForeignCompetentAuthority, None),
        ),
        org(
            "us-authority",
            "Competent authority of the United States (demo)",
            "US",
            authority(AuthorityKind::ForeignCompetentAuthority, None),
        ),
        org(
            "cn-exporter",
            "Jiangsu Demo Fine Chemicals Co., Ltd.",
            "CN",
            exporter.clone(),
        ),
        org(
            "cn-exporter-2",
            "Zhejiang Other Chemicals Co., Ltd.",
            "CN",
            exporter,
        ),
    ];
    let users: [(&str, &str, Role); 9] = [
        ("administrator", "cn-mofcom", Role::Administrator),
        ("compliance_officer", "cn-exporter", Role::ComplianceOfficer),
        (
            "other_compliance_officer",
            "cn-exporter-2",
            Role::ComplianceOfficer,
        ),
        ("licensing_officer", "cn-mofcom", Role::LicensingOfficer),
        (
            "second_licensing_officer",
            "cn-mofcom",
            Role::LicensingOfficer,
        ),
        (
            "public_security_officer",
            "cn-mps",
            Role::PublicSecurityOfficer,
        ),
        ("customs_officer", "cn-customs", Role::CustomsOfficer),
        (
            "foreign_authority_officer",
            "mx-authority",
            Role::ForeignAuthorityOfficer,
        ),
        (
            "other_foreign_authority_officer",
            "us-authority",
            Role::ForeignAuthorityOfficer,
        ),
    ];
    let actor = "demo-seed";
    let mut tx = store.write().await?;
    for o in &orgs {
        add_organisation(&mut tx, o, actor, now).await?;
    }
    let mut tokens = BTreeMap::new();
    for (key, org_id, role) in users {
        let o = orgs
            .iter()
            .find(|o| o.id == org_id)
            .ok_or_else(|| Problem::not_found(format!("demo organisation {org_id}")))?;
        let password = random_hex(16)?;
        let id = add_user(
            &mut tx,
            o,
            &format!("demo-{key}"),
            &password,
            role,
            actor,
            now,
        )
        .await?;
        let (token, _) = issue_token(&mut tx, &id, now, Duration::days(DEMO_TOKEN_DAYS)).await?;
        tokens.insert(key.to_string(), token);
    }
    for holder in ["cn-exporter", "cn-exporter-2"] {
        let l = EnterpriseLicence {
            id: format!("{holder}-export-registration"),
            holder: holder.into(),
            kind: "precursor_export_registration".into(),
            scope: Vec::new(),
            valid_from: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap_or_default(),
            valid_until: NaiveDate::from_ymd_opt(2030, 12, 31).unwrap_or_default(),
            status: LicenceStatus::Active,
            issuer: "cn-mofcom".into(),
        };
        record_licence(&mut tx, &l, None, actor, now).await?;
    }
    tx.commit().await?;
    Ok(tokens)
}
