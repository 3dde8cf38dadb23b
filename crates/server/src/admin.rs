//! Organisations, users and enterprise licences (administrators only), and the demo seed
//! shares the same record-creating functions.

use crate::auth::{new_id, Caller};
use crate::paging::{Paged, Paging};
use crate::{AppState, Problem};
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::Json;
use chrono::{DateTime, Utc};
use control::{identity::role_fits, may, EnterpriseLicence, Operation, Organisation, Role};
use serde::{Deserialize, Serialize};
use store::{NewUser, WriteTx};
use utoipa::ToSchema;

type Body<T> = Result<Json<T>, JsonRejection>;

/// Create an organisation and its audit entry in `tx`.
pub async fn add_organisation(
    tx: &mut WriteTx,
    org: &Organisation,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(), Problem> {
    if org.country.len() != 2 || !org.country.chars().all(|c| c.is_ascii_uppercase()) {
        return Err(Problem::unprocessable(
            "invalid-body",
            format!(
                "country: '{}' is not an ISO 3166-1 alpha-2 code in capitals",
                org.country
            ),
        ));
    }
    if org.name.trim().is_empty() || org.id.trim().is_empty() {
        return Err(Problem::unprocessable(
            "invalid-body",
            "id and name: required",
        ));
    }
    tx.insert_organisation(org, now).await?;
    tx.audit(
        now,
        actor,
        "organisation.create",
        &format!("organisation/{}", org.id),
        serde_json::Value::Null,
        serde_json::to_value(org).unwrap_or_default(),
    )
    .await?;
    Ok(())
}

/// Create a user (role checked against the organisation) and its audit entry in `tx`;
/// returns the user id.
pub async fn add_user(
    tx: &mut WriteTx,
    org: &Organisation,
    username: &str,
    password: &str,
    role: Role,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<String, Problem> {
    role_fits(org, role).map_err(|e| Problem::unprocessable("role-mismatch", e.to_string()))?;
    if username.trim().is_empty() || password.chars().count() < 12 {
        return Err(Problem::unprocessable(
            "invalid-body",
            "username: required; password: at least 12 characters",
        ));
    }
    let id = new_id("user")?;
    let hash = cases::signin::hash_new_password(password).await?;
    tx.insert_user(
        &NewUser {
            id: &id,
            username,
            org: &org.id,
            role,
            password_hash: &hash,
        },
        now,
    )
    .await?;
    tx.audit(
        now,
        actor,
        "user.create",
        &format!("user/{id}"),
        serde_json::Value::Null,
        serde_json::json!({"username": username, "org": org.id, "role": role.as_str()}),
    )
    .await?;
    Ok(id)
}

/// Create or change an enterprise licence and its audit entry in `tx`.
pub async fn record_licence(
    tx: &mut WriteTx,
    l: &EnterpriseLicence,
    before: Option<&EnterpriseLicence>,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(), Problem> {
    tx.put_licence(l).await?;
    tx.audit(
        now,
        actor,
        "licence.record",
        &format!("licence/{}", l.id),
        serde_json::to_value(before).unwrap_or_default(),
        serde_json::to_value(l).unwrap_or_default(),
    )
    .await?;
    Ok(())
}

/// Create an organisation.
#[utoipa::path(post, path = "/api/v1/organisations", request_body = control::Organisation,
    responses((status = 201, description = "created", body = control::Organisation), (status = 409, description = "not possible in the current state", body = Problem), (status = 422, description = "invalid or refused input", body = Problem)), security(("bearer" = [])), tag = "identities")]
pub async fn create_organisation(
    State(s): State<AppState>,
    Caller(p, _): Caller,
    body: Body<Organisation>,
) -> Result<(StatusCode, Json<Organisation>), Problem> {
    may(&p, &Operation::ManageIdentities)?;
    let Json(org) = body?;
    let mut tx = s.store.write().await?;
    add_organisation(&mut tx, &org, &p.user, s.clock.now()).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(org)))
}

/// Organisations (administrators).
#[utoipa::path(get, path = "/api/v1/organisations", params(Paging), responses((status = 200, description = "OK", body = Vec<control::Organisation>, headers(("Link" = String, description = "the next page, when there is more")))), security(("bearer" = [])), tag = "identities")]
pub async fn list_organisations(
    State(s): State<AppState>,
    Caller(p, _): Caller,
    uri: Uri,
    page: Result<Query<Paging>, QueryRejection>,
) -> Result<Paged<Organisation>, Problem> {
    may(&p, &Operation::ManageIdentities)?;
    let page = Paging::read(page)?;
    Ok(Paged(s.store.organisations_page(&page).await?, uri))
}

/// A user to create.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserIn {
    /// Login name.
    pub username: String,
    /// Password (12 characters or more).
    pub password: String,
    /// Organisation id.
    pub org: String,
    /// Role: compliance_officer, licensing_officer, public_security_officer,
    /// customs_officer, foreign_authority_officer, administrator.
    pub role: String,
}

/// The created user.
#[derive(Serialize, ToSchema)]
pub struct UserOut {
    /// Id.
    pub id: String,
    /// Login name.
    pub username: String,
    /// Organisation.
    pub org: String,
    /// Role.
    pub role: String,
}

/// Create a user in an organisation.
#[utoipa::path(post, path = "/api/v1/users", request_body = UserIn,
    responses((status = 201, description = "created", body = UserOut), (status = 409, description = "not possible in the current state", body = Problem), (status = 422, description = "invalid or refused input", body = Problem)), security(("bearer" = [])), tag = "identities")]
pub async fn create_user(
    State(s): State<AppState>,
    Caller(p, _): Caller,
    body: Body<UserIn>,
) -> Result<(StatusCode, Json<UserOut>), Problem> {
    may(&p, &Operation::ManageIdentities)?;
    let Json(u) = body?;
    let role = Role::parse(&u.role).ok_or_else(|| {
        Problem::unprocessable("invalid-body", format!("role: unknown role '{}'", u.role))
    })?;
    let org = s.store.organisation(&u.org).await?.ok_or_else(|| {
        Problem::unprocessable("invalid-body", format!("org: no organisation {}", u.org))
    })?;
    let mut tx = s.store.write().await?;
    let id = add_user(
        &mut tx,
        &org,
        &u.username,
        &u.password,
        role,
        &p.user,
        s.clock.now(),
    )
    .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(UserOut {
            id,
            username: u.username,
            org: u.org,
            role: u.role,
        }),
    ))
}

/// Record (create or change) an enterprise licence or registration.
#[utoipa::path(post, path = "/api/v1/licences", request_body = control::EnterpriseLicence,
    responses((status = 200, description = "OK", body = control::EnterpriseLicence), (status = 422, description = "invalid or refused input", body = Problem)), security(("bearer" = [])), tag = "identities")]
pub async fn put_licence(
    State(s): State<AppState>,
    Caller(p, _): Caller,
    body: Body<EnterpriseLicence>,
) -> Result<Json<EnterpriseLicence>, Problem> {
    may(&p, &Operation::ManageIdentities)?;
    let Json(l) = body?;
    if l.valid_until < l.valid_from {
        return Err(Problem::unprocessable(
            "invalid-body",
            "valid_until: before valid_from",
        ));
    }
    match s.store.organisation(&l.holder).await? {
        Some(Organisation {
            kind: control::OrgKind::Enterprise { .. },
            ..
        }) => {}
        _ => {
            return Err(Problem::unprocessable(
                "invalid-body",
                format!("holder: {} is not an enterprise on file", l.holder),
            ))
        }
    }
    let before = s.store.licence(&l.id).await?;
    let mut tx = s.store.write().await?;
    record_licence(&mut tx, &l, before.as_ref(), &p.user, s.clock.now()).await?;
    tx.commit().await?;
    s.caches.enterprises.remove(&l.holder);
    Ok(Json(l))
}

/// An enterprise's licences (administrators, and the enterprise itself).
#[utoipa::path(get, path = "/api/v1/organisations/{id}/licences", params(("id" = String, Path), Paging),
    responses((status = 200, description = "OK", body = Vec<control::EnterpriseLicence>, headers(("Link" = String, description = "the next page, when there is more"))), (status = 403, description = "the caller may not do this", body = Problem)), security(("bearer" = [])), tag = "identities")]
pub async fn licences_of(
    State(s): State<AppState>,
    Caller(p, _): Caller,
    Path(id): Path<String>,
    uri: Uri,
    page: Result<Query<Paging>, QueryRejection>,
) -> Result<Paged<EnterpriseLicence>, Problem> {
    if p.org != id {
        may(&p, &Operation::ManageIdentities)?;
    }
    let page = Paging::read(page)?;
    Ok(Paged(s.store.licences_page(&id, &page).await?, uri))
}
