//! Deterministic, realistic demo data. Everything comes from one fixed RNG seed; only the anchor
//! time is "now" (rounded down to the hour), so the last 24 hours always have traffic. Rows are
//! generated and written in batches, so `--request-logs 10000000` runs in constant memory.

mod history;
mod issues;
mod requests;

/// A documented raw error of `platform` that the classifier reads as `code`, and its HTTP status:
/// the demo's and the sandbox's raw errors come from one place.
pub(crate) use requests::template as documented_error;
mod webhooks;

use history::{connection_events, sync_history};
use requests::*;
pub(crate) use requests::{platform_host, upstream_path};
use webhooks::{base64_like, deliveries, webhook_endpoints};

use super::auth::hash_password;
use super::store::*;
use crate::domain::{
    ConnectionStatus, DeliveryStatus, Environment, Frequency, IntegrationType, PlatformSpec, Role, StaffRole,
    ERROR_CODES, PLATFORMS,
};
use crate::ids::{make_id, prefix};
use crate::platform_data::{normalized_fields, source_field};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Map, Value};

pub const DEFAULT_REQUEST_LOGS: u64 = 200_000;
pub const DEMO_PASSWORD: &str = "switchboard-demo";
pub const DEMO_USERS: &[(&str, &str)] = &[
    ("owner@acme.test", "owner of Acme Corp"),
    ("admin@acme.test", "admin at Acme Corp"),
    ("dev@acme.test", "developer at Acme Corp"),
    ("viewer@acme.test", "viewer at Acme Corp"),
    ("owner@globex.test", "owner of Globex"),
    ("support@switchboard.test", "Switchboard staff (support)"),
    ("support-admin@switchboard.test", "Switchboard staff (support_admin)"),
];
const SEED: u64 = 0x5EED_2026;
const DAY: i64 = 86_400_000;
const HOUR: i64 = 3_600_000;
const HISTORY_DAYS: i64 = 90;
/// How long the demo organizations keep their rows: all of their history.
pub const DEMO_RETENTION_DAYS: i64 = HISTORY_DAYS;
const REQUEST_BATCH: usize = 5_000;

struct OrgSpec {
    slug: &'static str,
    name: &'static str,
    /// Share of all request traffic, per environment (sandbox, production).
    traffic: (f64, f64),
    customers: &'static [&'static str],
}

const ORGS: &[OrgSpec] = &[
    OrgSpec {
        slug: "acme",
        name: "Acme Corp",
        traffic: (0.10, 0.50),
        customers: &[
            "Bluebird Bakery",
            "Northwind Traders",
            "Harbor Dental",
            "Copperleaf Coffee",
            "Summit Outfitters",
            "Pine & Post Print Shop",
            "Riverside Vet Clinic",
            "Lumen Lighting",
            "Atlas Freight",
            "Fernhill Florist",
            "Quarry Climbing Gym",
            "Maple Street Books",
            "Orbit Bikes",
            "Tidewater Seafood",
            "Juniper Yoga",
            "Granite Legal",
        ],
    },
    OrgSpec {
        slug: "globex",
        name: "Globex Corporation",
        traffic: (0.05, 0.20),
        customers: &[
            "Hank's Hardware",
            "Cypress Dental Lab",
            "Evergreen Farms",
            "Nimbus Studio",
            "Redwood Roofing",
            "Sable Tailors",
            "Kestrel Air",
            "Polar Ice Co",
        ],
    },
    OrgSpec {
        slug: "initech",
        name: "Initech",
        traffic: (0.03, 0.12),
        customers: &[
            "Penny's Diner",
            "Chotchkie's",
            "Lumbergh Consulting",
            "Swingline Supply",
            "TPS Logistics",
            "Bolton Printing",
        ],
    },
];

/// Status per connection slot: every status appears in Acme's production environment.
const STATUS_CYCLE: &[ConnectionStatus] = &[
    ConnectionStatus::Healthy,
    ConnectionStatus::Healthy,
    ConnectionStatus::Degraded,
    ConnectionStatus::Healthy,
    ConnectionStatus::NeedsReauth,
    ConnectionStatus::Healthy,
    ConnectionStatus::Healthy,
    ConnectionStatus::Disabled,
    ConnectionStatus::Healthy,
    ConnectionStatus::Initializing,
    ConnectionStatus::Healthy,
    ConnectionStatus::Degraded,
    ConnectionStatus::Healthy,
];

struct Conn {
    row: ConnectionRow,
    platform: &'static PlatformSpec,
    status: ConnectionStatus,
    /// When things went wrong (re-auth needed, disabled, degraded), if they did.
    incident_at: Option<i64>,
}

struct Env {
    organization_id: String,
    environment: Environment,
    weight: f64,
    connections: Vec<usize>,
    key_prefixes: Vec<String>,
    ips: Vec<String>,
}

pub async fn seed_demo(store: &dyn Store, request_logs: u64) -> StoreResult<()> {
    let mut rng = SmallRng::seed_from_u64(SEED);
    let anchor = (chrono::Utc::now().timestamp_millis() / HOUR) * HOUR;
    // The demo organizations keep 90 days (`DEMO_RETENTION_DAYS`); the oldest rows are an hour
    // inside that, so the worker's purge takes nothing from a fresh demo for its first hour.
    let start = anchor - HISTORY_DAYS * DAY + HOUR;
    store.sync_platform_catalog(PLATFORMS).await?;

    let mut batch = SeedBatch::default();
    let password_hash = {
        let p = DEMO_PASSWORD.to_string();
        tokio::task::spawn_blocking(move || hash_password(&p)).await.unwrap_or_default()
    };
    let mut envs: Vec<Env> = Vec::new();
    let mut conns: Vec<Conn> = Vec::new();

    for (oi, org) in ORGS.iter().enumerate() {
        let created = start - 300 * DAY + oi as i64 * 17 * DAY;
        let org_id = make_id(prefix::ORGANIZATION, created, rng.gen());
        batch.organizations.push(OrganizationRow {
            id: org_id.clone(),
            name: org.name.into(),
            slug: org.slug.into(),
            created_at: created,
        });

        let owner_id = make_id(prefix::USER, created, rng.gen());
        let mut users = vec![(owner_id.clone(), format!("owner@{}.test", org.slug), Role::Owner)];
        if org.slug == "acme" {
            users.push((
                make_id(prefix::USER, created + 1, rng.gen()),
                "dev@acme.test".into(),
                Role::Developer,
            ));
            users.push((
                make_id(prefix::USER, created + 2, rng.gen()),
                "viewer@acme.test".into(),
                Role::Viewer,
            ));
            // A fixed id rather than the next random number, so the rest of the seed stays as it was.
            users.push((
                make_id(prefix::USER, created + 3, 0x0A11_CE00),
                "admin@acme.test".into(),
                Role::Admin,
            ));
        }
        for (id, email, role) in users {
            let name = match role {
                Role::Owner => format!("{} Owner", org.name),
                Role::Developer => "Dana Developer".into(),
                Role::Admin => "Ada Admin".into(),
                Role::Viewer => "Vic Viewer".into(),
            };
            batch.users.push(UserRow {
                id: id.clone(),
                email,
                name,
                password_hash: password_hash.clone(),
                staff_role: None,
                created_at: created,
            });
            batch.memberships.push((id, org_id.clone(), role));
        }

        for environment in [Environment::Sandbox, Environment::Production] {
            let env_key = environment.as_str();
            // Configuration: version 1 for every integration type; Acme production changed its
            // accounting and commerce configuration ten days ago, so older connections drift.
            let mut current_version = [1i64; 3];
            let owner_email = format!("owner@{}.test", org.slug);
            for (ti, it) in IntegrationType::ALL.iter().enumerate() {
                let v1 = sync_settings(*it, 24, Frequency::Every6Hours, &[]);
                batch.sync_configs.push(sync_config::SyncConfigVersionRow {
                    id: make_id(prefix::SYNC_CONFIG, created, rng.gen()),
                    organization_id: org_id.clone(),
                    environment: env_key.into(),
                    integration_type: *it,
                    version: 1,
                    settings: v1.to_json(),
                    diff: "[]".into(),
                    author_user_id: Some(owner_id.clone()),
                    author_email: Some(owner_email.clone()),
                    comment: "Initial configuration".into(),
                    restored_from: None,
                    created_at: created,
                });
                if org.slug == "acme"
                    && environment == Environment::Production
                    && *it != IntegrationType::Payments
                {
                    let changed_at = anchor - 10 * DAY;
                    let (months, disabled, comment): (i64, &[&str], &str) = if *it
                        == IntegrationType::Accounting
                    {
                        (36, &["balance_sheets"], "Three years of history for the audit product; balance sheets come from the reporting API")
                    } else {
                        (24, &["inventory"], "Inventory moved to the warehouse integration")
                    };
                    let v2 = sync_settings(*it, months, Frequency::Hourly, disabled);
                    let diff = super::sync_config::settings::diff(*it, &v1, &v2);
                    batch.sync_configs.push(sync_config::SyncConfigVersionRow {
                        id: make_id(prefix::SYNC_CONFIG, changed_at, rng.gen()),
                        organization_id: org_id.clone(),
                        environment: env_key.into(),
                        integration_type: *it,
                        version: 2,
                        settings: v2.to_json(),
                        diff: serde_json::to_string(&diff).unwrap_or_else(|_| "[]".into()),
                        author_user_id: Some(owner_id.clone()),
                        author_email: Some(owner_email.clone()),
                        comment: comment.into(),
                        restored_from: None,
                        created_at: changed_at,
                    });
                    current_version[ti] = 2;
                }
            }

            let count = match (oi, environment) {
                (0, Environment::Production) => 16,
                (0, Environment::Sandbox) => 5,
                (_, Environment::Production) => org.customers.len(),
                _ => 3,
            };
            let mut env = Env {
                organization_id: org_id.clone(),
                environment,
                weight: if environment == Environment::Sandbox { org.traffic.0 } else { org.traffic.1 },
                connections: vec![],
                key_prefixes: (0..2)
                    .map(|_| {
                        format!(
                            "sk_{}_{:04x}",
                            if environment == Environment::Sandbox { "test" } else { "live" },
                            rng.gen::<u16>()
                        )
                    })
                    .collect(),
                ips: (0..3)
                    .map(|_| {
                        format!(
                            "{}.{}.{}.{}",
                            [34, 35, 52, 18][rng.gen_range(0..4)],
                            rng.gen_range(1..255),
                            rng.gen_range(1..255),
                            rng.gen_range(1..255)
                        )
                    })
                    .collect(),
            };
            for ci in 0..count {
                // Acme production covers the whole catalog; other environments rotate through it.
                let platform =
                    &PLATFORMS[(ci + oi * 5 + if environment == Environment::Sandbox { 3 } else { 0 })
                        % PLATFORMS.len()];
                let status = if environment == Environment::Sandbox && ci > 0 {
                    ConnectionStatus::Healthy
                } else {
                    STATUS_CYCLE[(ci + oi) % STATUS_CYCLE.len()]
                };
                let customer = org.customers[ci % org.customers.len()];
                let conn_created = if status == ConnectionStatus::Initializing {
                    anchor - 2 * HOUR
                } else {
                    start - rng.gen_range(20..200) * DAY
                };
                let ti =
                    IntegrationType::ALL.iter().position(|t| *t == platform.integration_type).unwrap_or(0);
                // Connections created before the configuration change stay on version 1 unless
                // they were created after it.
                let config_version = if conn_created > anchor - 10 * DAY { current_version[ti] } else { 1 };
                let incident_at = match status {
                    ConnectionStatus::NeedsReauth => Some(anchor - rng.gen_range(30..72) * HOUR),
                    ConnectionStatus::Disabled => Some(anchor - rng.gen_range(10..40) * DAY),
                    ConnectionStatus::Degraded => Some(anchor - rng.gen_range(6..48) * HOUR),
                    _ => None,
                };
                let last_synced_at = match status {
                    ConnectionStatus::Initializing => None,
                    ConnectionStatus::NeedsReauth | ConnectionStatus::Disabled => incident_at,
                    _ => Some(anchor - rng.gen_range(5..55) * 60_000),
                };
                let row = ConnectionRow {
                    id: make_id(prefix::CONNECTION, conn_created, rng.gen()),
                    organization_id: org_id.clone(),
                    environment: env_key.into(),
                    platform_id: platform.id.into(),
                    display_name: customer.into(),
                    platform_account_id: platform_account_id(platform.id, &mut rng),
                    status,
                    config_version,
                    created_at: conn_created,
                    last_synced_at,
                    status_reason: None,
                    status_since: None,
                    rate_limited_until: None,
                };
                env.connections.push(conns.len());
                conns.push(Conn { row, platform, status, incident_at });
            }
            envs.push(env);
        }
    }
    batch.users.push(UserRow {
        id: make_id(prefix::USER, start, rng.gen()),
        email: "support@switchboard.test".into(),
        name: "Sam Support".into(),
        password_hash: password_hash.clone(),
        staff_role: Some(StaffRole::Support),
        created_at: start,
    });
    // A fixed id rather than one from `rng`: the rest of the demo stays as it was seeded before.
    batch.users.push(UserRow {
        id: make_id(prefix::USER, start, 0x5A),
        email: "support-admin@switchboard.test".into(),
        name: "Ada Admin".into(),
        password_hash: password_hash.clone(),
        staff_role: Some(StaffRole::SupportAdmin),
        created_at: start,
    });
    batch.connections = conns.iter().map(|c| c.row.clone()).collect();
    store.insert_seed_batch(&batch).await?;
    for org in &batch.organizations {
        store.set_retention_days(&org.id, DEMO_RETENTION_DAYS, None).await?;
    }

    // Per environment: webhook endpoints, then each connection's sync history, its events and
    // their deliveries to the subscribed endpoints.
    for (ei, env) in envs.iter().enumerate() {
        let endpoints = webhook_endpoints(env, ORGS[ei / 2].slug, anchor, &mut rng);
        store
            .insert_seed_batch(&SeedBatch { webhook_endpoints: endpoints.clone(), ..Default::default() })
            .await?;
        let mut failed = issues::FailedAttempts::default();
        for &ci in &env.connections {
            let mut b = SeedBatch::default();
            sync_history(&mut b, &conns[ci], anchor, start, &mut rng);
            connection_events(&mut b, &conns[ci], anchor, &mut rng);
            deliveries(&mut b, &endpoints, anchor, &mut rng);
            store.insert_seed_batch(&b).await?;
            issues::connection(store, &conns[ci], &b.sync_runs).await?;
            failed.count(&endpoints, &b);
        }
        issues::endpoints(store, &endpoints, &failed).await?;
    }

    // Request logs, in time order, in batches.
    let total_weight: f64 = envs.iter().map(|e| e.weight).sum();
    let span = (anchor - start) as f64;
    let mut b = SeedBatch::default();
    for i in 0..request_logs {
        let t = start + (span * (i as f64 + rng.gen::<f64>()) / request_logs as f64) as i64;
        let mut pick = rng.gen::<f64>() * total_weight;
        let env = envs
            .iter()
            .find(|e| {
                pick -= e.weight;
                pick <= 0.0
            })
            .unwrap_or(&envs[0]);
        b.request_logs.push(request_log(env, &conns, t, &mut rng));
        if b.request_logs.len() >= REQUEST_BATCH {
            store.insert_seed_batch(&b).await?;
            issues::requests(store, &b.request_logs).await?;
            b.request_logs.clear();
        }
    }
    store.insert_seed_batch(&b).await?;
    issues::requests(store, &b.request_logs).await?;
    // What went quiet long ago resolved since (rate limiting, permission errors, spikes).
    crate::server::issues::sweep(store, chrono::Utc::now().timestamp_millis()).await?;
    // The runs' and deliveries' counts, folded as the worker would within a second: a demo
    // served or measured without a worker (`serve --no-worker`, `bench-pages`) then reads
    // what a running deployment reads, not 70,000 unfolded changes.
    while store.fold_outcome_deltas(5_000).await?.deltas > 0 {}
    Ok(())
}

fn sync_settings(
    it: IntegrationType,
    months: i64,
    frequency: Frequency,
    disabled: &[&str],
) -> super::sync_config::settings::SyncSettings {
    let mut s = super::sync_config::settings::SyncSettings::default_for(it);
    s.history_months = months;
    s.frequency = frequency;
    for o in disabled {
        if let Some(x) = s.objects.get_mut(*o) {
            // An object that is not synced is not fetched on first link either.
            x.enabled = false;
            x.fetch_on_first_link = false;
        }
    }
    s
}

fn platform_account_id(platform: &str, rng: &mut SmallRng) -> String {
    match platform {
        "quickbooks_online" => format!("realm-{}", rng.gen_range(1_000_000_000u64..9_999_999_999)),
        "xero" => format!("tenant-{:08x}-{:04x}", rng.gen::<u32>(), rng.gen::<u16>()),
        "shopify" => format!(
            "{}.myshopify.com",
            ["bluebird", "northwind", "summit", "orbit", "fernhill"][rng.gen_range(0..5)]
        ),
        "stripe" => format!("acct_1{:x}", rng.gen::<u64>()),
        "amazon_seller" => format!("A{:012X}", rng.gen::<u64>() & 0xFFFF_FFFF_FFFF),
        _ => format!("{}-{}", platform.replace('_', "-"), rng.gen_range(10_000..99_999)),
    }
}
