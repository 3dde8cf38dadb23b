//! Who is who: organisations (enterprises and authorities), the roles their people hold,
//! and enterprises' licences and registrations with scope, validity and status.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// What an enterprise does (an enterprise may do several things).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Activity {
    /// Produces controlled chemicals or medicines.
    Producer,
    /// Buys and sells.
    Trader,
    /// Exports.
    Exporter,
    /// Imports.
    Importer,
    /// Transports.
    Carrier,
    /// Wholesales medicines.
    Wholesaler,
    /// Hospital or other medical institution.
    MedicalInstitution,
    /// Laboratory.
    Laboratory,
}

/// Which authority.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AuthorityKind {
    /// Commerce (export licensing).
    Commerce,
    /// Public security (pre-export notifications, purchase and transport approvals).
    PublicSecurity,
    /// Emergency management (precursor production and sale approvals).
    EmergencyManagement,
    /// Medical products administration.
    MedicalProducts,
    /// Customs.
    Customs,
    /// The competent authority of another country (importing country's authority).
    ForeignCompetentAuthority,
}

/// Administrative level of a domestic authority.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Level {
    /// National.
    National,
    /// Province.
    Provincial,
    /// City.
    City,
    /// County.
    County,
}

/// What kind of organisation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum OrgKind {
    /// A company.
    Enterprise {
        /// What it does.
        activities: Vec<Activity>,
    },
    /// A government body.
    Authority {
        /// Which authority.
        authority: AuthorityKind,
        /// Its level (domestic authorities).
        level: Option<Level>,
    },
}

/// An organisation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Organisation {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Country (ISO 3166-1 alpha-2): for a foreign authority, the country it speaks for.
    pub country: String,
    /// Address.
    pub address: String,
    /// Kind.
    #[serde(flatten)]
    pub kind: OrgKind,
}

/// A person's role. What each role may do is in [`crate::access`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Role {
    /// An enterprise's compliance officer: applies for licences for that enterprise.
    ComplianceOfficer,
    /// A commerce licensing officer: reviews and decides applications.
    LicensingOfficer,
    /// A public-security officer: sends pre-export notifications.
    PublicSecurityOfficer,
    /// A customs officer: checks declarations against permits.
    CustomsOfficer,
    /// An officer of an importing country's competent authority.
    ForeignAuthorityOfficer,
    /// Platform administrator: organisations, users, enterprise licences.
    Administrator,
}

impl Role {
    /// Every role, in a fixed order.
    pub const ALL: [Role; 6] = [
        Role::ComplianceOfficer,
        Role::LicensingOfficer,
        Role::PublicSecurityOfficer,
        Role::CustomsOfficer,
        Role::ForeignAuthorityOfficer,
        Role::Administrator,
    ];

    /// The snake_case name used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::ComplianceOfficer => "compliance_officer",
            Role::LicensingOfficer => "licensing_officer",
            Role::PublicSecurityOfficer => "public_security_officer",
            Role::CustomsOfficer => "customs_officer",
            Role::ForeignAuthorityOfficer => "foreign_authority_officer",
            Role::Administrator => "administrator",
        }
    }

    /// Parse the API name.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// A role that does not fit the organisation.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("role {role} does not fit organisation '{org}': {why}")]
pub struct RoleMismatch {
    /// Role.
    pub role: &'static str,
    /// Organisation name.
    pub org: String,
    /// Why.
    pub why: &'static str,
}

/// Check that a role fits its organisation (a customs officer works for customs, ...).
pub fn role_fits(org: &Organisation, role: Role) -> Result<(), RoleMismatch> {
    let authority = match &org.kind {
        OrgKind::Authority { authority, .. } => Some(*authority),
        OrgKind::Enterprise { .. } => None,
    };
    let why = match (role, authority) {
        (Role::ComplianceOfficer, None) => return Ok(()),
        (Role::ComplianceOfficer, Some(_)) => "compliance officers belong to enterprises",
        (Role::LicensingOfficer, Some(AuthorityKind::Commerce)) => return Ok(()),
        (Role::LicensingOfficer, _) => "licensing officers belong to a commerce authority",
        (Role::PublicSecurityOfficer, Some(AuthorityKind::PublicSecurity)) => return Ok(()),
        (Role::PublicSecurityOfficer, _) => {
            "public-security officers belong to a public-security authority"
        }
        (Role::CustomsOfficer, Some(AuthorityKind::Customs)) => return Ok(()),
        (Role::CustomsOfficer, _) => "customs officers belong to customs",
        (Role::ForeignAuthorityOfficer, Some(AuthorityKind::ForeignCompetentAuthority)) => {
            return Ok(())
        }
        (Role::ForeignAuthorityOfficer, _) => {
            "foreign-authority officers belong to a foreign competent authority"
        }
        (Role::Administrator, Some(_)) => return Ok(()),
        (Role::Administrator, None) => "administrators belong to an authority",
    };
    Err(RoleMismatch {
        role: role.as_str(),
        org: org.name.clone(),
        why,
    })
}

/// Status of an enterprise licence or registration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum LicenceStatus {
    /// In force.
    Active,
    /// Suspended by the authority.
    Suspended,
    /// Revoked.
    Revoked,
}

/// An enterprise's licence or registration (production, operation, purchase, transport,
/// export registration, ...).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnterpriseLicence {
    /// Id.
    pub id: String,
    /// Holder (organisation id).
    pub holder: String,
    /// Kind, in the authority's words, e.g. `precursor_export_registration`.
    pub kind: String,
    /// Substances covered (catalogue ids); empty = every substance of the kind.
    pub scope: Vec<String>,
    /// First valid day.
    pub valid_from: NaiveDate,
    /// Last valid day.
    pub valid_until: NaiveDate,
    /// Status.
    pub status: LicenceStatus,
    /// Issuing authority (organisation id).
    pub issuer: String,
}

impl EnterpriseLicence {
    /// Whether it covers `substance_ids` (any of them) for `kind` on `date`.
    pub fn covers(&self, kind: &str, substance_ids: &[String], date: NaiveDate) -> bool {
        self.kind == kind
            && self.status == LicenceStatus::Active
            && self.valid_from <= date
            && date <= self.valid_until
            && (self.scope.is_empty() || substance_ids.iter().any(|s| self.scope.contains(s)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(kind: OrgKind) -> Organisation {
        Organisation {
            id: "o".into(),
            name: "Org".into(),
            country: "CN".into(),
            address: "x".into(),
            kind,
        }
    }

    #[test]
    fn roles_fit_their_organisations_only() {
        let ent = org(OrgKind::Enterprise {
            activities: vec![Activity::Exporter],
        });
        let customs = org(OrgKind::Authority {
            authority: AuthorityKind::Customs,
            level: Some(Level::National),
        });
        assert!(role_fits(&ent, Role::ComplianceOfficer).is_ok());
        assert!(role_fits(&ent, Role::CustomsOfficer).is_err());
        assert!(role_fits(&ent, Role::Administrator).is_err());
        assert!(role_fits(&customs, Role::CustomsOfficer).is_ok());
        assert!(role_fits(&customs, Role::LicensingOfficer).is_err());
        assert!(role_fits(&customs, Role::ComplianceOfficer).is_err());
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
    }

    #[test]
    fn licence_covers_kind_scope_dates_and_status() {
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).expect("date");
        let mut l = EnterpriseLicence {
            id: "l1".into(),
            holder: "e1".into(),
            kind: "precursor_export_registration".into(),
            scope: vec!["npp".into()],
            valid_from: d(1, 1),
            valid_until: d(12, 31),
            status: LicenceStatus::Active,
            issuer: "mofcom".into(),
        };
        let npp = vec!["npp".to_string()];
        assert!(l.covers("precursor_export_registration", &npp, d(6, 1)));
        assert!(!l.covers("precursor_production_approval", &npp, d(6, 1)));
        assert!(!l.covers("precursor_export_registration", &["anpp".into()], d(6, 1)));
        assert!(!l.covers(
            "precursor_export_registration",
            &npp,
            NaiveDate::from_ymd_opt(2027, 1, 1).expect("date")
        ));
        l.status = LicenceStatus::Suspended;
        assert!(!l.covers("precursor_export_registration", &npp, d(6, 1)));
        l.status = LicenceStatus::Active;
        l.scope.clear();
        assert!(l.covers("precursor_export_registration", &["anpp".into()], d(6, 1)));
    }
}
