//! `fentguard demo seed`: one organisation and user per role, so a newcomer can walk one
//! licence from application to customs release with curl. Returns `{"role": token}`.
//! Fictitious names; the exporter holds an export registration so its applications can
//! be filed.

use crate::admin::{add_organisation, add_user, record_licence};
use crate::auth::random_hex;
use crate::Problem;
use cases::signin::issue_token;
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

/// A demo user: how to sign in as it in a browser, and its API token.
#[derive(Clone, Debug, serde::Serialize)]
pub struct DemoUser {
    /// Sign-in name.
    pub username: String,
    /// Password (random, shown once).
    pub password: String,
    /// API token.
    pub token: String,
}

/// Each role's token, from [`seed_users`] or [`seed_supply_chain_users`].
pub fn tokens(users: &BTreeMap<String, DemoUser>) -> BTreeMap<String, String> {
    users
        .iter()
        .map(|(k, u)| (k.clone(), u.token.clone()))
        .collect()
}

/// The demo user `demo-<key>` of `org` with `role`: a random password and a token.
async fn demo_user(
    tx: &mut store::WriteTx,
    org: &Organisation,
    key: &str,
    role: Role,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<DemoUser, Problem> {
    let password = random_hex(16)?;
    let username = format!("demo-{key}");
    let id = add_user(tx, org, &username, &password, role, actor, now).await?;
    let token = issue_token(tx, &id, now, Duration::days(DEMO_TOKEN_DAYS))
        .await?
        .secret;
    Ok(DemoUser {
        username,
        password,
        token,
    })
}

/// Seed the demo organisations and users; returns each role's token.
pub async fn seed(store: &Store, now: DateTime<Utc>) -> Result<BTreeMap<String, String>, Problem> {
    Ok(tokens(&seed_users(store, now).await?))
}

/// Seed the demo organisations and users; returns each role's user.
pub async fn seed_users(
    store: &Store,
    now: DateTime<Utc>,
) -> Result<BTreeMap<String, DemoUser>, Problem> {
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
        tokens.insert(
            key.to_string(),
            demo_user(&mut tx, o, key, role, actor, now).await?,
        );
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

/// One enterprise of the demo supply chain.
struct Member {
    id: &'static str,
    name: &'static str,
    province: &'static str,
    /// GS1 company prefix and party reference (`urn:epc:id:pgln:<this>`).
    party: &'static str,
    licences: &'static [&'static str],
    /// Key of its compliance officer's token, if it gets one.
    officer: Option<&'static str>,
}

/// A supply chain for the tracking walk-through. Fictitious; the exporter `cn-exporter`
/// of [`seed`] joins it as the Class I producer.
const SUPPLY_CHAIN: &[Member] = &[
    Member {
        id: "cn-exporter",
        name: "Jiangsu Demo Fine Chemicals Co., Ltd.",
        province: "Jiangsu",
        party: "6901234.00001",
        licences: &[
            "precursor_class1_production_approval",
            "precursor_class1_sale_approval",
        ],
        officer: None,
    },
    Member {
        id: "cn-buyer",
        name: "Shandong Demo Intermediates Co., Ltd.",
        province: "Shandong",
        party: "6901234.00002",
        licences: &["precursor_class1_purchase_permit"],
        officer: Some("buyer_officer"),
    },
    Member {
        id: "cn-unlicensed",
        name: "Anhui Demo Trading Co., Ltd. (no permits)",
        province: "Anhui",
        party: "6901234.00003",
        licences: &[],
        officer: None,
    },
    Member {
        id: "cn-trader",
        name: "Hubei Demo Reagents Co., Ltd.",
        province: "Hubei",
        party: "6901234.00004",
        licences: &["precursor_class2_trade_filing"],
        officer: Some("trader_officer"),
    },
    Member {
        id: "cn-pharma",
        name: "Demo Pharmaceutical Factory",
        province: "Hubei",
        party: "6901234.00010",
        licences: &["narcotic_medicine_manufacturing_approval"],
        officer: Some("manufacturer_officer"),
    },
    Member {
        id: "cn-national-wholesaler",
        name: "Demo National Pharmaceutical Distribution",
        province: "Beijing",
        party: "6901234.00011",
        licences: &["narcotic_national_wholesale_approval"],
        officer: Some("national_wholesaler_officer"),
    },
    Member {
        id: "hb-wholesaler",
        name: "Hebei Demo Regional Pharmaceutical Wholesale",
        province: "Hebei",
        party: "6901234.00012",
        licences: &["narcotic_regional_wholesale_approval"],
        officer: Some("regional_wholesaler_officer"),
    },
    Member {
        id: "hb-hospital",
        name: "Demo People's Hospital of Hebei",
        province: "Hebei",
        party: "6901234.00013",
        licences: &["narcotic_purchase_seal_card"],
        officer: Some("hospital_officer"),
    },
    Member {
        id: "sx-hospital",
        name: "Demo People's Hospital of Shanxi",
        province: "Shanxi",
        party: "6901234.00014",
        licences: &["narcotic_purchase_seal_card"],
        officer: None,
    },
];

/// Seed the tracking walk-through's supply chain (after [`seed`]): enterprises with their
/// licences, their party GLN (`urn:epc:id:pgln:...`) and one site each
/// (`urn:epc:id:sgln:<same>.0`), and compliance officers; returns their tokens. The Class
/// II trader's filing starts 60 days before `now`, so its first report is overdue.
pub async fn seed_supply_chain(
    store: &Store,
    now: DateTime<Utc>,
) -> Result<BTreeMap<String, String>, Problem> {
    Ok(tokens(&seed_supply_chain_users(store, now).await?))
}

/// [`seed_supply_chain`], returning the compliance officers as users.
pub async fn seed_supply_chain_users(
    store: &Store,
    now: DateTime<Utc>,
) -> Result<BTreeMap<String, DemoUser>, Problem> {
    let actor = "demo-seed";
    let mut tx = store.write().await?;
    let mut tokens = BTreeMap::new();
    for m in SUPPLY_CHAIN {
        let (id, name, province, party, kinds, user) =
            (m.id, m.name, m.province, m.party, m.licences, &m.officer);
        let activities = if kinds.iter().any(|k| k.contains("medicine_manufacturing")) {
            vec![Activity::Producer]
        } else if kinds.iter().any(|k| k.contains("seal_card")) {
            vec![Activity::MedicalInstitution]
        } else if kinds.iter().any(|k| k.contains("wholesale")) {
            vec![Activity::Wholesaler]
        } else {
            vec![Activity::Producer, Activity::Trader]
        };
        let o = org(id, name, "CN", OrgKind::Enterprise { activities });
        if store.organisation(id).await?.is_none() {
            add_organisation(&mut tx, &o, actor, now).await?;
        }
        for kind in kinds {
            let valid_from = if kind.starts_with("precursor_class2") {
                (now - Duration::days(60)).date_naive()
            } else {
                NaiveDate::from_ymd_opt(2025, 1, 1).unwrap_or_default()
            };
            let l = EnterpriseLicence {
                id: format!("{id}-{kind}"),
                holder: id.to_string(),
                kind: kind.to_string(),
                scope: Vec::new(),
                valid_from,
                valid_until: NaiveDate::from_ymd_opt(2030, 12, 31).unwrap_or_default(),
                status: LicenceStatus::Active,
                issuer: "cn-mps".into(),
            };
            record_licence(&mut tx, &l, None, actor, now).await?;
        }
        for gln in [
            format!("urn:epc:id:pgln:{party}"),
            format!("urn:epc:id:sgln:{party}.0"),
        ] {
            let p = store::PartyRecord {
                gln: epcis::identifier::canonical_or_same(&gln),
                org: id.to_string(),
                province: province.to_string(),
            };
            tx.put_party(&p, now).await?;
        }
        if let Some(key) = user {
            tokens.insert(
                key.to_string(),
                demo_user(&mut tx, &o, key, Role::ComplianceOfficer, actor, now).await?,
            );
        }
    }
    tx.commit().await?;
    Ok(tokens)
}
