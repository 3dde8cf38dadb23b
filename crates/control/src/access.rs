//! Who may do what: one pure function from a principal (role, organisation) and an
//! operation (with the ownership facts it needs) to allowed or denied with a reason. The
//! HTTP layer calls it before every action, so the rules live in one place and are tested
//! here and per endpoint.

use crate::identity::Role;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The caller.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Principal {
    /// User id.
    pub user: String,
    /// Role.
    pub role: Role,
    /// Organisation id.
    pub org: String,
    /// Organisation country (a foreign authority's country).
    pub country: String,
    /// The organisation exports (enterprises only).
    pub exporter: bool,
}

/// Something a caller wants to do, with the facts ownership rules need.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Operation<'a> {
    /// Submit an export application for one's own enterprise.
    SubmitApplication,
    /// Read one application (owned by `owner`).
    ReadApplication {
        /// Owning organisation.
        owner: &'a str,
    },
    /// List applications (an exporter sees only its own).
    ListApplications,
    /// Answer a request for information, or withdraw (owner only).
    ActAsApplicant {
        /// Owning organisation.
        owner: &'a str,
    },
    /// Review: request information, forward for verification, decide.
    Review,
    /// Read or list pre-export notifications addressed to `country`.
    ReadNotification {
        /// Importing country.
        country: &'a str,
    },
    /// Send a notification or apply the silence rule after its deadline.
    DispatchNotification,
    /// Reply to a notification addressed to `country`.
    ReplyNotification {
        /// Importing country.
        country: &'a str,
    },
    /// Read a permit (full record, not just public verification).
    ReadPermit {
        /// Exporter organisation id.
        exporter: &'a str,
        /// Destination country.
        destination: &'a str,
    },
    /// Lodge a customs declaration or confirm exit.
    Customs,
    /// Endorse the quantity received (importing authority of `destination`).
    EndorseReceipt {
        /// Destination country.
        destination: &'a str,
    },
    /// Read alerts.
    ReadAlerts,
    /// Confirm a claim one party made about another (it then counts against that other
    /// party's record): the exporting country's investigating authorities only.
    ConfirmClaim,
    /// Capture EPCIS events: an enterprise reporting its own movements.
    CaptureEvents,
    /// Read a captured event or capture job recorded by `owner` (an organisation id).
    ReadEvent {
        /// The organisation that captured it.
        owner: &'a str,
    },
    /// Query events; an enterprise's query only ever covers its own events.
    QueryEvents,
    /// Read an enterprise's tracking record (inventory, deadlines, credit rating).
    ReadEnterpriseRecord {
        /// The enterprise.
        enterprise: &'a str,
    },
    /// Keep master data: GS1 parties and locations, annual production plans.
    ManageMasterData,
    /// Run reconciliation now (gaps and overdue reports become alerts).
    Reconcile,
    /// Verify the audit chain.
    VerifyAudit,
    /// Manage organisations, users and enterprise licences.
    ManageIdentities,
    /// Classify a chemical or ask whether its export needs a licence (the law is public:
    /// every signed-in role may).
    CheckSubstance,
}

/// A refusal, with the reason the caller sees.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{0}")]
pub struct Denied(pub String);

/// May `p` do `op`?
pub fn may(p: &Principal, op: &Operation) -> Result<(), Denied> {
    use Operation as O;
    use Role as R;
    let deny = |why: &str| Err(Denied(format!("{} may not {why}", p.role.as_str())));
    match (op, p.role) {
        (O::CheckSubstance, _) => Ok(()),
        (O::SubmitApplication, R::ComplianceOfficer) if p.exporter => Ok(()),
        (O::SubmitApplication, R::ComplianceOfficer) => Err(Denied(
            "the organisation is not registered as an exporter".into(),
        )),
        (O::SubmitApplication, _) => deny("submit export applications"),
        (O::ReadApplication { owner } | O::ActAsApplicant { owner }, R::ComplianceOfficer) => {
            if *owner == p.org {
                Ok(())
            } else {
                // Ids are random (64 bits), so a 403 here reveals nothing guessable.
                Err(Denied(
                    "the application belongs to another enterprise".into(),
                ))
            }
        }
        (O::ReadApplication { .. }, R::LicensingOfficer | R::PublicSecurityOfficer) => Ok(()),
        (O::ReadApplication { .. }, _) => deny("read export applications"),
        (O::ActAsApplicant { .. }, _) => deny("act for the applicant"),
        (
            O::ListApplications,
            R::ComplianceOfficer | R::LicensingOfficer | R::PublicSecurityOfficer,
        ) => Ok(()),
        (O::ListApplications, _) => deny("list export applications"),
        (O::Review, R::LicensingOfficer) => Ok(()),
        (O::Review, _) => deny("review export applications"),
        (O::ReadNotification { .. }, R::PublicSecurityOfficer | R::LicensingOfficer) => Ok(()),
        (O::ReadNotification { country }, R::ForeignAuthorityOfficer)
        | (O::ReplyNotification { country }, R::ForeignAuthorityOfficer) => {
            if country.eq_ignore_ascii_case(&p.country) {
                Ok(())
            } else {
                Err(Denied(format!(
                    "the notification is addressed to {country}, not to {}",
                    p.country
                )))
            }
        }
        (O::ReadNotification { .. }, _) => deny("read pre-export notifications"),
        (O::ReplyNotification { .. }, _) => deny("reply to pre-export notifications"),
        (O::DispatchNotification, R::PublicSecurityOfficer) => Ok(()),
        (O::DispatchNotification, _) => deny("send pre-export notifications"),
        (
            O::ReadPermit { .. },
            R::CustomsOfficer | R::LicensingOfficer | R::PublicSecurityOfficer,
        ) => Ok(()),
        (O::ReadPermit { exporter, .. }, R::ComplianceOfficer) if *exporter == p.org => Ok(()),
        (O::ReadPermit { destination, .. }, R::ForeignAuthorityOfficer)
            if destination.eq_ignore_ascii_case(&p.country) =>
        {
            Ok(())
        }
        (O::ReadPermit { .. }, _) => deny("read this permit"),
        (O::Customs, R::CustomsOfficer) => Ok(()),
        (O::Customs, _) => deny("lodge customs declarations"),
        (O::EndorseReceipt { destination }, R::ForeignAuthorityOfficer)
            if destination.eq_ignore_ascii_case(&p.country) =>
        {
            Ok(())
        }
        (O::EndorseReceipt { .. }, _) => deny("endorse receipt for this permit"),
        (
            O::ReadAlerts,
            R::LicensingOfficer | R::PublicSecurityOfficer | R::CustomsOfficer | R::Administrator,
        ) => Ok(()),
        // An enterprise reads the alerts about itself (the handler narrows the list).
        (O::ReadAlerts, R::ComplianceOfficer) => Ok(()),
        (O::ReadAlerts, _) => deny("read alerts"),
        (O::ConfirmClaim, R::LicensingOfficer | R::PublicSecurityOfficer) => Ok(()),
        (O::ConfirmClaim, _) => deny("confirm claims about an enterprise"),
        (O::ReadEnterpriseRecord { enterprise }, R::ComplianceOfficer) => {
            if *enterprise == p.org {
                Ok(())
            } else {
                Err(Denied("an enterprise sees only its own record".into()))
            }
        }
        (
            O::ReadEnterpriseRecord { .. },
            R::LicensingOfficer | R::PublicSecurityOfficer | R::CustomsOfficer,
        ) => Ok(()),
        (O::ReadEnterpriseRecord { .. }, _) => deny("read enterprises' tracking records"),
        (O::ManageMasterData, R::Administrator) => Ok(()),
        (O::ManageMasterData, _) => deny("keep master data (parties, locations, production plans)"),
        (O::Reconcile, R::LicensingOfficer | R::PublicSecurityOfficer | R::Administrator) => Ok(()),
        (O::Reconcile, _) => deny("run reconciliation"),
        (O::CaptureEvents, R::ComplianceOfficer) => Ok(()),
        (O::CaptureEvents, _) => deny("capture EPCIS events (enterprises report their own)"),
        (O::ReadEvent { owner }, R::ComplianceOfficer) => {
            if *owner == p.org {
                Ok(())
            } else {
                Err(Denied(
                    "the event was captured by another enterprise".into(),
                ))
            }
        }
        (
            O::ReadEvent { .. } | O::QueryEvents,
            R::LicensingOfficer | R::PublicSecurityOfficer | R::CustomsOfficer,
        ) => Ok(()),
        (O::QueryEvents, R::ComplianceOfficer) => Ok(()),
        (O::ReadEvent { .. } | O::QueryEvents, _) => deny("read traceability events"),
        (O::VerifyAudit, R::Administrator | R::LicensingOfficer | R::PublicSecurityOfficer) => {
            Ok(())
        }
        (O::VerifyAudit, _) => deny("verify the audit trail"),
        (O::ManageIdentities, R::Administrator) => Ok(()),
        (O::ManageIdentities, _) => deny("manage organisations, users or licences"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn who(role: Role, org: &str, country: &str) -> Principal {
        Principal {
            user: format!("u-{org}"),
            role,
            org: org.into(),
            country: country.into(),
            exporter: role == Role::ComplianceOfficer,
        }
    }

    #[test]
    fn exporters_see_only_their_own_applications() {
        let a = who(Role::ComplianceOfficer, "e1", "CN");
        assert!(may(&a, &Operation::ReadApplication { owner: "e1" }).is_ok());
        assert!(may(&a, &Operation::ReadApplication { owner: "e2" }).is_err());
        assert!(may(&a, &Operation::ActAsApplicant { owner: "e2" }).is_err());
        assert!(may(&a, &Operation::Review).is_err());
        let mut importer = a.clone();
        importer.exporter = false;
        assert!(may(&importer, &Operation::SubmitApplication).is_err());
    }

    #[test]
    fn foreign_authorities_see_only_their_country() {
        let mx = who(Role::ForeignAuthorityOfficer, "mx-cofepris", "MX");
        assert!(may(&mx, &Operation::ReadNotification { country: "MX" }).is_ok());
        assert!(may(&mx, &Operation::ReadNotification { country: "US" }).is_err());
        assert!(may(&mx, &Operation::ReplyNotification { country: "us" }).is_err());
        assert!(may(&mx, &Operation::ReadApplication { owner: "e1" }).is_err());
        assert!(may(&mx, &Operation::EndorseReceipt { destination: "MX" }).is_ok());
        assert!(may(&mx, &Operation::EndorseReceipt { destination: "CA" }).is_err());
    }

    #[test]
    fn customs_sees_permits_not_contracts() {
        let c = who(Role::CustomsOfficer, "gacc", "CN");
        assert!(may(
            &c,
            &Operation::ReadPermit {
                exporter: "e1",
                destination: "MX"
            }
        )
        .is_ok());
        assert!(may(&c, &Operation::ReadApplication { owner: "e1" }).is_err());
        assert!(may(&c, &Operation::Customs).is_ok());
        let officer = who(Role::LicensingOfficer, "mofcom", "CN");
        assert!(may(&officer, &Operation::Customs).is_err());
        assert!(may(&officer, &Operation::ManageIdentities).is_err());
        let admin = who(Role::Administrator, "platform", "CN");
        assert!(may(&admin, &Operation::ManageIdentities).is_ok());
        assert!(may(&admin, &Operation::Review).is_err());
    }
}
