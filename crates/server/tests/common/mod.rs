//! What the HTTP tests share: a server state on a database with the demo organisations,
//! users and their tokens.

use chrono::Utc;
use ed25519_dalek::SigningKey;
use server::AppState;
use std::collections::BTreeMap;
use store::Store;

/// A server state on `url` (migrated) and the demo tokens by role.
pub async fn seeded(url: &str) -> (AppState, BTreeMap<String, String>) {
    let s = AppState::new(
        Store::connect(url).await.expect("connect"),
        SigningKey::from_bytes(&[9u8; 32]),
    )
    .expect("state");
    let tokens = server::demo::seed(&s.store, Utc::now())
        .await
        .expect("seed");
    (s, tokens)
}
