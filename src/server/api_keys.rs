//! The API keys context: making, listing and revoking keys, for the settings page, the command
//! line, `serve --demo`'s data plane and the tests alike.
//!
//! A key is `sb_<scope>_<40 base62 characters>` (238 random bits). Only its SHA-256 is stored,
//! with a display prefix (`sb_read_Ab12Cd34`); the full key is shown once, at creation. The API's
//! middleware (`api::keys`) authenticates calls with it.

use super::actor::Actor;
use super::audit::Audit;
use super::auth::hash_token;
use super::clock::{Clock, SystemClock};
use super::service::{parse_id_param, ServiceError, ServiceResult};
use super::store::{ApiKeyRow, NewApiKey, Page, Scope, Store};
use crate::domain::{AuditAction, KeyScope};
use crate::ids::{make_id, prefix};
use rand::Rng;

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const SECRET_CHARS: usize = 40;
/// Characters of the secret part kept in the display prefix.
const PREFIX_CHARS: usize = 8;

/// A new key and its display prefix.
pub fn generate(scope: KeyScope) -> (String, String) {
    let mut rng = rand::rngs::OsRng;
    let secret: String = (0..SECRET_CHARS).map(|_| BASE62[rng.gen_range(0..BASE62.len())] as char).collect();
    let key = format!("sb_{}_{secret}", scope.as_str());
    let prefix = format!("sb_{}_{}", scope.as_str(), &secret[..PREFIX_CHARS]);
    (key, prefix)
}

/// Whether a string has the shape of a key (checked before hashing, so a malformed header gets
/// a precise message).
pub fn well_formed(key: &str) -> bool {
    let Some(rest) = key.strip_prefix("sb_") else { return false };
    let Some((scope, secret)) = rest.split_once('_') else { return false };
    KeyScope::parse(scope).is_some()
        && secret.len() >= 32
        && secret.len() <= 128
        && secret.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// A key just made: its id and the full key, which is never stored and never shown again.
#[derive(Debug, Clone)]
pub struct CreatedKey {
    pub id: String,
    pub secret: String,
}

/// Makes a key in the actor's scope, with its audit entry in the same transaction. People must be
/// owners or admins; the name is 1 to 80 characters.
pub async fn create(
    store: &dyn Store,
    clock: &dyn Clock,
    actor: &Actor,
    name: &str,
    key_scope: KeyScope,
) -> ServiceResult<CreatedKey> {
    if !actor.may_administer() {
        return Err(ServiceError::forbidden("Only owners and admins can create API keys."));
    }
    let name = name.trim();
    crate::domain::check_text("Name", name)?;
    if name.is_empty() || name.chars().count() > 80 {
        return Err(ServiceError::invalid(
            "Give the key a name of 1 to 80 characters, such as \"billing-service\".",
        ));
    }
    let scope = actor.scope();
    let author = actor.author();
    let (secret, key_prefix) = generate(key_scope);
    let now = clock.now_ms();
    let key = NewApiKey {
        id: make_id(prefix::API_KEY, now, rand::random()),
        organization_id: scope.organization_id.clone(),
        environment: scope.environment.clone(),
        name: name.to_string(),
        prefix: key_prefix,
        scope: key_scope,
        key_hash: hash_token(&secret),
        created_by: author.user_id.clone(),
        created_at: now,
    };
    let audit = Audit::new(AuditAction::ApiKeyCreate, "api_key", &key.id, now).by(&author).of_organization(&scope.organization_id).details(serde_json::json!({"name": name, "prefix": key.prefix, "scope": key.scope, "environment": key.environment})).entry();
    store.create_api_key(&key, &audit).await?;
    Ok(CreatedKey { id: key.id, secret })
}

/// Makes a key in `scope` for the system (the command line, `serve --demo`'s data plane,
/// benchmarks, tests), audited as made `by` it; returns the full key.
pub async fn issue(
    store: &dyn Store,
    scope: &Scope,
    key_scope: KeyScope,
    name: &str,
    by: &str,
) -> ServiceResult<String> {
    let actor = Actor::System { name: by.to_string(), scope: scope.clone() };
    Ok(create(store, &SystemClock, &actor, name, key_scope).await?.secret)
}

/// Revokes a live key of the actor's scope: calls with it fail from then on. `reason` is kept
/// in the audit entry when given.
pub async fn revoke(
    store: &dyn Store,
    clock: &dyn Clock,
    actor: &Actor,
    id: &str,
    reason: Option<&str>,
) -> ServiceResult<String> {
    if !actor.may_administer() {
        return Err(ServiceError::forbidden("Only owners and admins can revoke API keys."));
    }
    let id = parse_id_param(prefix::API_KEY, "an API key", id)?;
    let scope = actor.scope();
    let author = actor.author();
    let mut details = serde_json::json!({"environment": scope.environment});
    if let Some(r) = reason {
        details["reason"] = r.into();
    }
    let now = clock.now_ms();
    let audit = Audit::new(AuditAction::ApiKeyRevoke, "api_key", &id, now)
        .by(&author)
        .of_organization(&scope.organization_id)
        .details(details)
        .entry();
    if !store.revoke_api_key(&scope, &id, now, &audit).await? {
        return Err(ServiceError::not_found(format!("No active API key {id} in this environment.")));
    }
    Ok(id)
}

/// Keys of the actor's scope, newest first, `limit` rows of `page` (fetch one more to know
/// whether there is a next page).
pub async fn list(
    store: &dyn Store,
    actor: &Actor,
    page: &Page,
    limit: i64,
) -> ServiceResult<Vec<ApiKeyRow>> {
    Ok(store.list_api_keys(&actor.scope(), page, limit).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_have_the_documented_shape() {
        for scope in [KeyScope::Ingest, KeyScope::Read] {
            let (key, prefix) = generate(scope);
            assert!(well_formed(&key), "{key}");
            assert!(key.starts_with(&prefix));
            assert!(key.starts_with(&format!("sb_{}_", scope.as_str())));
            assert_eq!(key.len(), format!("sb_{}_", scope.as_str()).len() + SECRET_CHARS);
        }
        assert_ne!(generate(KeyScope::Read).0, generate(KeyScope::Read).0);
        assert!(!well_formed("sb_write_0123456789012345678901234567890123"));
        assert!(!well_formed("sb_read_short"));
        assert!(!well_formed("sk_live_0123456789012345678901234567890123"));
        assert!(!well_formed("sb_read_01234567890123456789012345678901-3"));
    }
}
