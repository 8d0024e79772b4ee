//! Deterministic, realistic demo data. Everything comes from one fixed RNG seed; only the anchor
//! time is "now" (rounded down to the hour), so the last 24 hours always have traffic. Rows are
//! generated and written in batches, so `--request-logs 10000000` runs in constant memory.

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
];
const SEED: u64 = 0x5EED_2026;
const DAY: i64 = 86_400_000;
const HOUR: i64 = 3_600_000;
const HISTORY_DAYS: i64 = 90;
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
    let start = anchor - HISTORY_DAYS * DAY;
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
    batch.connections = conns.iter().map(|c| c.row.clone()).collect();
    store.insert_seed_batch(&batch).await?;

    // Per environment: webhook endpoints, then each connection's sync history, its events and
    // their deliveries to the subscribed endpoints.
    for (ei, env) in envs.iter().enumerate() {
        let endpoints = webhook_endpoints(env, ORGS[ei / 2].slug, anchor, &mut rng);
        store
            .insert_seed_batch(&SeedBatch { webhook_endpoints: endpoints.clone(), ..Default::default() })
            .await?;
        for &ci in &env.connections {
            let mut b = SeedBatch::default();
            sync_history(&mut b, &conns[ci], anchor, start, &mut rng);
            connection_events(&mut b, &conns[ci], anchor, &mut rng);
            deliveries(&mut b, &endpoints, anchor, &mut rng);
            store.insert_seed_batch(&b).await?;
        }
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
            b.request_logs.clear();
        }
    }
    store.insert_seed_batch(&b).await?;
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
            x.enabled = false;
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

fn sync_history(b: &mut SeedBatch, conn: &Conn, anchor: i64, start: i64, rng: &mut SmallRng) {
    if !conn.platform.supports_sync_history {
        // These platforms keep no sync history; their connection pages say so.
        return;
    }
    let c = &conn.row;
    let every = if c.environment == "production" { 6 * HOUR } else { DAY };
    let first = c.created_at.max(start);
    let objects = conn.platform.integration_type.data_objects();
    for object in objects {
        let supported = conn.platform.supported_objects().any(|o| o == *object);
        let mut t = first;
        let mut kind = "initial";
        loop {
            if t > anchor {
                break;
            }
            let stop = match (conn.status, conn.incident_at) {
                (ConnectionStatus::Disabled, Some(at)) => t > at,
                (ConnectionStatus::NeedsReauth, Some(at)) => t > at + 12 * HOUR,
                _ => false,
            };
            if stop {
                break;
            }
            let (status, error): (&str, Option<(&str, String)>) = if !supported {
                (
                    "not_supported",
                    Some(("not_supported", format!("{} does not offer {object}", conn.platform.name))),
                )
            } else if conn.status == ConnectionStatus::Initializing {
                (if rng.gen_bool(0.5) { "running" } else { "queued" }, None)
            } else if conn.status == ConnectionStatus::NeedsReauth
                && conn.incident_at.is_some_and(|at| t >= at)
            {
                (
                    "failed",
                    Some((
                        "unauthorized",
                        format!(
                            "{} rejected the access token: refresh token expired or revoked",
                            conn.platform.name
                        ),
                    )),
                )
            } else if conn.status == ConnectionStatus::Degraded
                && conn.incident_at.is_some_and(|at| t >= at)
                && (*object == objects[1] || *object == objects[3])
            {
                (
                    "failed",
                    Some((
                        "platform-unavailable",
                        format!("{} returned 503 Service Unavailable after 3 retries", conn.platform.name),
                    )),
                )
            } else {
                let roll = rng.gen::<f64>();
                if roll < 0.015 {
                    (
                        "failed",
                        Some((
                            "rate-limited",
                            format!("{} rate limit exceeded (429); retry scheduled", conn.platform.name),
                        )),
                    )
                } else if roll < 0.03 {
                    (
                        "partial",
                        Some((
                            "invalid-params",
                            format!(
                                "{} records skipped: {} rejected a malformed date field",
                                rng.gen_range(1..40),
                                conn.platform.name
                            ),
                        )),
                    )
                } else if roll < 0.035 {
                    (
                        "failed",
                        Some((
                            "platform-unavailable",
                            format!("{} timed out after 30 s", conn.platform.name),
                        )),
                    )
                } else {
                    ("succeeded", None)
                }
            };
            let running = status == "running" || status == "queued";
            let duration = rng.gen_range(4_000..if kind == "initial" { 900_000 } else { 120_000 });
            let (added, updated) = match status {
                "succeeded" | "partial" if kind == "initial" => (rng.gen_range(200..20_000), 0),
                "succeeded" | "partial" => (rng.gen_range(0..60), rng.gen_range(0..140)),
                _ => (0, 0),
            };
            b.sync_runs.push(SyncRunRow {
                id: make_id(prefix::SYNC_RUN, t, rng.gen()),
                connection_id: c.id.clone(),
                platform_id: c.platform_id.clone(),
                organization_id: c.organization_id.clone(),
                environment: c.environment.clone(),
                data_object: object.to_string(),
                kind: crate::domain::SyncRunKind::parse(kind).expect("seed run kind"),
                status: crate::domain::SyncRunStatus::parse(status).expect("seed run status"),
                queued_at: t,
                started_at: if status == "queued" { None } else { Some(t + 1_500) },
                finished_at: if running { None } else { Some(t + duration) },
                records_added: added,
                records_updated: updated,
                records_deleted: if status == "succeeded" && rng.gen_bool(0.05) {
                    rng.gen_range(1..5)
                } else {
                    0
                },
                range_from: Some(if kind == "initial" { t - 730 * DAY } else { t - every }),
                range_to: Some(t),
                error_code: error.as_ref().map(|e| e.0.to_string()),
                error_message: error.map(|e| e.1),
                trigger_kind: if kind == "initial" {
                    crate::domain::TriggerKind::Connection
                } else {
                    crate::domain::TriggerKind::Schedule
                },
                backfill_id: None,
                triggered_by: None,
            });
            if conn.status == ConnectionStatus::Initializing {
                break;
            }
            kind = "incremental";
            t += every + rng.gen_range(0..120_000);
        }
    }
}

/// Connection lifecycle events: created, initial sync completed, needs re-auth, disabled, and
/// one `sync.completed` per day for the last two weeks.
fn connection_events(b: &mut SeedBatch, conn: &Conn, anchor: i64, rng: &mut SmallRng) {
    let c = &conn.row;
    let push = |b: &mut SeedBatch, t: i64, event_type: &str, data: Value, rng: &mut SmallRng| {
        let id = make_id(prefix::EVENT, t, rng.gen());
        let payload = crate::server::webhooks::payloads::envelope(&id, event_type, t, data);
        b.webhook_events.push(WebhookEventRow {
            id,
            organization_id: c.organization_id.clone(),
            environment: c.environment.clone(),
            event_type: event_type.into(),
            connection_id: Some(c.id.clone()),
            payload,
            created_at: t,
        });
    };
    if c.created_at > anchor - 30 * DAY {
        push(
            b,
            c.created_at,
            "connection.created",
            json!({"connection_id": c.id, "platform": c.platform_id}),
            rng,
        );
    }
    if let (ConnectionStatus::NeedsReauth, Some(at)) = (conn.status, conn.incident_at) {
        push(
            b,
            at,
            "connection.needs_reauth",
            json!({"connection_id": c.id, "platform": c.platform_id, "reason": "refresh_token_expired"}),
            rng,
        );
    }
    if let (ConnectionStatus::Disabled, Some(at)) = (conn.status, conn.incident_at) {
        push(b, at, "connection.disabled", json!({"connection_id": c.id, "platform": c.platform_id}), rng);
    }
    if conn.status == ConnectionStatus::Initializing {
        return;
    }
    for day in (1..=14).rev() {
        let t = anchor - day * DAY + rng.gen_range(0..DAY / 2);
        if conn.incident_at.is_some_and(|at| conn.status != ConnectionStatus::Degraded && t > at) {
            break;
        }
        let objects: Map<String, Value> = conn
            .platform
            .supported_objects()
            .enumerate()
            .map(|(k, o)| {
                let failed = conn.status == ConnectionStatus::Degraded
                    && conn.incident_at.is_some_and(|at| t > at)
                    && (k == 1 || k == 3);
                (o.to_string(), json!({"status": if failed { "failed" } else { "succeeded" }}))
            })
            .collect();
        push(b, t, "sync.completed", json!({"connection_id": c.id, "objects": objects}), rng);
    }
}

/// Production has a healthy endpoint subscribed to everything and a flaky one failing since
/// yesterday; sandbox has one that answered 410 Gone and was disabled.
fn webhook_endpoints(env: &Env, org_slug: &str, anchor: i64, rng: &mut SmallRng) -> Vec<WebhookEndpointRow> {
    let created = anchor - 120 * DAY;
    let specs: Vec<(String, &str, bool, Option<&str>)> = if env.environment == Environment::Production {
        vec![
            (format!("https://hooks.{org_slug}.example/switchboard"), "Main integration service", true, None),
            (format!("https://billing.{org_slug}.example/webhooks/switchboard"), "Billing sync", true, None),
        ]
    } else {
        vec![(
            format!("https://staging.{org_slug}.example/webhooks"),
            "Staging",
            false,
            Some("The endpoint answered 410 Gone; deliveries stopped."),
        )]
    };
    specs
        .into_iter()
        .enumerate()
        .map(|(k, (url, description, enabled, reason))| WebhookEndpointRow {
            id: make_id(prefix::WEBHOOK_ENDPOINT, created + k as i64, rng.gen()),
            organization_id: env.organization_id.clone(),
            environment: env.environment.as_str().into(),
            url,
            description: description.into(),
            event_types: if k == 0 {
                json!(["*"])
            } else {
                json!(["sync.completed", "connection.needs_reauth"])
            }
            .to_string(),
            enabled,
            secret: format!("whsec_{}", base64_like(rng, 32)),
            previous_secret: None,
            previous_secret_expires_at: None,
            disabled_reason: reason.map(str::to_string),
            disabled_kind: reason.map(|_| "automatic".to_string()),
            disabled_at: reason.map(|_| anchor - 3 * DAY),
            // The billing endpoint has been failing since yesterday (its deliveries below).
            failing_since: (enabled && k == 1).then_some(anchor - DAY),
            deleted_at: None,
            created_at: created,
            updated_at: created,
        })
        .collect()
}

/// Delivers every event in the batch to each subscribed endpoint, with the retry schedule of
/// DOMAIN.md (immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h).
fn deliveries(b: &mut SeedBatch, endpoints: &[WebhookEndpointRow], anchor: i64, rng: &mut SmallRng) {
    const BACKOFF: [i64; 8] = [0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];
    let events: Vec<(String, String, i64, Option<String>)> = b
        .webhook_events
        .iter()
        .map(|e| (e.id.clone(), e.event_type.clone(), e.created_at, e.connection_id.clone()))
        .collect();
    for (event_id, event_type, t, connection_id) in events {
        for (k, ep) in endpoints.iter().enumerate() {
            let subscribed =
                k == 0 || event_type == "sync.completed" || event_type == "connection.needs_reauth";
            if !subscribed || t < ep.created_at {
                continue;
            }
            let outcomes: Vec<(Option<i64>, Option<&str>)> = if !ep.enabled {
                vec![(Some(410), Some("non_2xx"))]
            } else if k == 0 {
                if rng.gen_bool(0.06) {
                    vec![(Some(502), Some("non_2xx")), (Some(200), None)]
                } else {
                    vec![(Some(200), None)]
                }
            } else if t > anchor - DAY {
                vec![
                    (None, Some("timeout")),
                    (Some(500), Some("non_2xx")),
                    (None, Some("connection_refused")),
                ]
            } else if rng.gen_bool(0.2) {
                vec![(None, Some("timeout")), (Some(200), None)]
            } else {
                vec![(Some(200), None)]
            };
            let delivery_id = make_id(prefix::DELIVERY, t, rng.gen());
            let delivered = outcomes.last().is_some_and(|o| o.1.is_none());
            let mut at = t + 800;
            for (n, (status, failure)) in outcomes.iter().enumerate() {
                at += BACKOFF[n.min(7)];
                b.webhook_attempts.push(WebhookAttemptRow {
                    id: make_id(prefix::ATTEMPT, at, rng.gen()),
                    delivery_id: delivery_id.clone(),
                    attempt_number: n as i64 + 1,
                    attempted_at: at,
                    response_status: *status,
                    latency_ms: Some(if *failure == Some("timeout") {
                        15_000
                    } else {
                        rng.gen_range(40..900)
                    }),
                    response_body: match status {
                        Some(200) => Some("{\"received\":true}".into()),
                        Some(410) => Some("Gone".into()),
                        Some(s) => Some(format!("<html><body><h1>{s} Server Error</h1></body></html>")),
                        None => None,
                    },
                    failure: failure.map(str::to_string),
                    failure_detail: failure.map(|f| {
                        match f {
                            "timeout" => "No response within the timeout.",
                            "connection_refused" => {
                                "Connection refused: nothing is listening at that address and port."
                            }
                            _ => "The endpoint answered with an error status.",
                        }
                        .to_string()
                    }),
                    request_headers: None,
                });
            }
            let status = if delivered {
                DeliveryStatus::Delivered
            } else if !ep.enabled {
                DeliveryStatus::Failed
            } else {
                DeliveryStatus::Retrying
            };
            b.webhook_deliveries.push(WebhookDeliveryRow {
                id: delivery_id,
                event_id: event_id.clone(),
                endpoint_id: ep.id.clone(),
                status,
                attempt_count: outcomes.len() as i64,
                round_attempts: outcomes.len() as i64,
                next_attempt_at: (status == "retrying").then(|| at + BACKOFF[outcomes.len().min(7)]),
                last_attempt_at: Some(at),
                organization_id: ep.organization_id.clone(),
                environment: ep.environment.clone(),
                event_type: event_type.clone(),
                connection_id: connection_id.clone(),
                created_at: t,
                last_status: outcomes.last().and_then(|o| o.0),
                status_class: Some(
                    crate::server::store::webhooks::status_class(outcomes.last().and_then(|o| o.0))
                        .to_string(),
                ),
                last_failure: outcomes.last().and_then(|o| o.1).map(str::to_string),
            });
        }
    }
}

fn base64_like(rng: &mut SmallRng, n: usize) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    (0..n).map(|_| A[rng.gen_range(0..64)] as char).collect()
}

struct Endpoint {
    method: &'static str,
    path: String,
    object: &'static str,
    write: bool,
}

fn pick_endpoint(it: IntegrationType, platform: &PlatformSpec, rng: &mut SmallRng) -> Endpoint {
    let objects: Vec<&'static str> = platform.supported_objects().collect();
    let object = objects[rng.gen_range(0..objects.len())];
    let base = format!("/{}/{}", it.as_str(), object);
    let roll = rng.gen::<f64>();
    let writable = matches!(
        object,
        "invoices"
            | "bills"
            | "customers"
            | "vendors"
            | "journal_entries"
            | "expenses"
            | "orders"
            | "products"
            | "refunds"
            | "charges"
    );
    if roll < 0.55 || !writable {
        if rng.gen_bool(0.3) {
            Endpoint {
                method: "GET",
                path: format!("{base}/{}", record_id(platform.id, rng)),
                object,
                write: false,
            }
        } else {
            Endpoint { method: "GET", path: base, object, write: false }
        }
    } else if roll < 0.85 {
        Endpoint { method: "POST", path: base, object, write: true }
    } else if roll < 0.97 {
        Endpoint {
            method: "PATCH",
            path: format!("{base}/{}", record_id(platform.id, rng)),
            object,
            write: true,
        }
    } else {
        Endpoint {
            method: "DELETE",
            path: format!("{base}/{}", record_id(platform.id, rng)),
            object,
            write: true,
        }
    }
}

fn record_id(platform: &str, rng: &mut SmallRng) -> String {
    match platform {
        "stripe" => format!("ch_3{:x}", rng.gen::<u64>()),
        "xero" | "netsuite" => {
            format!("{:08x}-{:04x}-4{:03x}", rng.gen::<u32>(), rng.gen::<u16>(), rng.gen::<u16>() & 0xfff)
        }
        _ => rng.gen_range(1000..99_999).to_string(),
    }
}

/// Picks the outcome of a request: (status, normalized error code).
fn pick_outcome(
    conn: Option<&Conn>,
    ep: &Endpoint,
    t: i64,
    rng: &mut SmallRng,
) -> (i64, Option<&'static str>) {
    if let Some(c) = conn {
        match (c.status, c.incident_at) {
            (ConnectionStatus::NeedsReauth, Some(at)) if t >= at => return (401, Some("unauthorized")),
            (ConnectionStatus::Disabled, Some(at)) if t >= at => return (403, Some("forbidden")),
            (ConnectionStatus::Degraded, Some(at)) if t >= at && rng.gen_bool(0.35) => {
                return (503, Some("platform-unavailable"))
            }
            _ => {}
        }
    }
    let roll = rng.gen::<f64>();
    let write_errors = [
        "missing-params",
        "invalid-params",
        "invalid-params",
        "record-already-exists",
        "operation-denied",
        "platform-denied",
        "unknown-error",
    ];
    match roll {
        r if ep.write && r < 0.09 => (400, Some(write_errors[rng.gen_range(0..write_errors.len())])),
        r if r < 0.105 => (429, Some("rate-limited")),
        r if r < 0.12 => (404, Some("not-found")),
        r if r < 0.128 => (503, Some("platform-unavailable")),
        r if r < 0.132 => (500, Some("internal-error")),
        r if ep.write && r < 0.136 => (409, Some("idempotency-conflict")),
        r if r < 0.14 => (403, Some("forbidden")),
        _ => (
            if ep.method == "POST" {
                201
            } else if ep.method == "DELETE" {
                204
            } else {
                200
            },
            None,
        ),
    }
}

fn request_log(env: &Env, conns: &[Conn], t: i64, rng: &mut SmallRng) -> RequestLogRow {
    // Most traffic concerns a connection; some calls are account-level (listing connections).
    let conn = if env.connections.is_empty() || rng.gen_bool(0.06) {
        None
    } else {
        let c = &conns[env.connections[rng.gen_range(0..env.connections.len())]];
        // Customers mostly stop calling a connection once it is disabled or needs re-auth.
        let quiet = match (c.status, c.incident_at) {
            (ConnectionStatus::Disabled, Some(at)) if t >= at => rng.gen_bool(0.95),
            (ConnectionStatus::NeedsReauth, Some(at)) if t >= at => rng.gen_bool(0.6),
            _ => false,
        };
        (c.row.created_at <= t && !quiet).then_some(c)
    };
    let id = make_id(prefix::REQUEST, t, rng.gen());
    let ua = [
        "switchboard-node/3.4.1",
        "switchboard-python/2.9.0",
        "acme-billing-service/1.12 (+go1.22)",
        "python-requests/2.31.0",
        "curl/8.5.0",
    ][rng.gen_range(0..5)];
    let key_prefix = env.key_prefixes[rng.gen_range(0..env.key_prefixes.len())].clone();
    let authorization = format!("Bearer {}", demo_secret(rng, &key_prefix));
    let Some(conn) = conn else {
        let status = if rng.gen_bool(0.97) { 200 } else { 500 };
        return RequestLogRow {
            id: id.clone(), organization_id: env.organization_id.clone(), environment: env.environment.as_str().into(),
            connection_id: None, platform_id: None, api_key_prefix: Some(key_prefix), method: "GET".into(),
            path: "/connections".into(), query: Some("limit=50".into()), status_code: status, status_class: status / 100,
            latency_ms: rng.gen_range(12..90), error_code: (status == 500).then(|| "internal-error".into()),
            error_message: (status == 500).then(|| "An internal error occurred. Retry the request.".into()),
            platform_error: None, error_confidence: None,
            // Real secrets, as a data plane would send them: the store redacts them on insert.
            request_headers: json!({"authorization": authorization, "accept": "application/json", "user-agent": ua}).to_string(),
            request_body: None,
            response_body: Some(if status == 200 { json!({"results": [], "next": null}) } else { json!({"error": {"code": "internal-error", "message": "An internal error occurred. Retry the request.", "platform_error": null, "request_id": id}}) }.to_string()),
            response_truncated: false, upstream_calls: "[]".into(), idempotency_key: None, user_agent: Some(ua.into()),
            source_ip: Some(env.ips[rng.gen_range(0..env.ips.len())].clone()), created_at: t,
            redacted_fields: "[]".into(),
        content_hash: None,
        };
    };
    let platform = conn.platform;
    let ep = pick_endpoint(platform.integration_type, platform, rng);
    let (status, code) = pick_outcome(Some(conn), &ep, t, rng);
    let expand = ep.method == "GET" && rng.gen_bool(0.35);
    let query = if ep.method == "GET"
        && !ep.path.rsplit('/').next().is_some_and(|s| s.chars().any(|c| c.is_ascii_digit()))
    {
        Some(if expand {
            "limit=2&expand=platform_data".to_string()
        } else {
            format!(
                "limit={}&modified_after=2026-0{}-01",
                [2, 50, 100][rng.gen_range(0..3)],
                rng.gen_range(1..9)
            )
        })
    } else if expand {
        Some("expand=platform_data".into())
    } else {
        None
    };
    let idempotency_key = (ep.write && rng.gen_bool(0.8)).then(|| format!("idem_{:016x}", rng.gen::<u64>()));
    let field = normalized_fields(ep.object)[rng.gen_range(1..normalized_fields(ep.object).len())];
    let (message, raw) = match code {
        Some(c) => {
            let (m, r) = platform_error(platform, c, field, rng);
            (Some(m), r)
        }
        None => (None, None),
    };
    let latency = match status {
        503 => rng.gen_range(20_000..30_500),
        429 => rng.gen_range(40..200),
        401 | 403 => rng.gen_range(60..300),
        _ => (rng.gen_range(4.0f64..6.8).exp().min(9000.0) as i64).max(35) + rng.gen_range(20..250),
    };
    let mut request_body = None;
    if ep.write && ep.method != "DELETE" {
        let mut body = Map::new();
        for f in normalized_fields(ep.object).iter().skip(1) {
            if code == Some("missing-params") && *f == field {
                continue;
            }
            body.insert(f.to_string(), sample_value(f, rng));
        }
        request_body = Some(Value::Object(body).to_string());
    }
    let records = if status < 300 && ep.method == "GET" {
        if query.as_deref().is_some_and(|q| q.starts_with("limit")) {
            2
        } else {
            1
        }
    } else if status < 300 && ep.method != "DELETE" {
        1
    } else {
        0
    };
    let mut results = Vec::new();
    for _ in 0..records {
        results.push(record(platform, ep.object, expand, rng));
    }
    let truncated = ep.method == "GET" && status < 300 && rng.gen_bool(0.02);
    let response = if let Some(c) = code {
        json!({"error": {"code": c, "message": message, "platform_error": raw.as_ref().and_then(|r| serde_json::from_str::<Value>(r).ok()), "request_id": id}})
    } else if ep.method == "DELETE" {
        Value::Null
    } else if ep.method == "GET" && records > 1 {
        json!({"results": results, "next": format!("cur_{:x}", rng.gen::<u32>())})
    } else {
        results.pop().unwrap_or(Value::Null)
    };
    let mut response_body = (!response.is_null()).then(|| response.to_string());
    if truncated {
        response_body = response_body.map(|b| b.chars().take(160).collect());
    }
    let host = platform_host(platform.id);
    let mut upstream = vec![];
    let calls = if status == 503 {
        3
    } else if status == 429 {
        2
    } else {
        1
    };
    for n in 0..calls {
        let last = n + 1 == calls;
        let st = if last {
            match status {
                201 | 204 => 200,
                s if (200..300).contains(&s) => 200,
                401 => 401,
                403 => 403,
                404 => 404,
                429 => 429,
                500 => 200,
                503 => 503,
                409 => 200,
                _ => 400,
            }
        } else if status == 503 {
            504
        } else {
            429
        };
        upstream.push(json!({
            "method": if ep.method == "PATCH" && platform.id == "quickbooks_online" { "POST" } else { ep.method },
            "url": format!("https://{host}{}", upstream_path(platform.id, ep.object, &ep.path)),
            "status": st,
            "latency_ms": if status == 503 { 10_000 } else { (latency * 7 / 10 / calls as i64).max(20) },
            "response": if st >= 400 { raw.clone().unwrap_or_default() } else { String::from("{\"ok\":true}") },
        }));
    }
    if status == 409 {
        upstream.clear();
    }
    RequestLogRow {
        id: id.clone(),
        organization_id: env.organization_id.clone(),
        environment: env.environment.as_str().into(),
        connection_id: Some(conn.row.id.clone()),
        platform_id: Some(platform.id.into()),
        api_key_prefix: Some(key_prefix),
        method: ep.method.into(),
        path: ep.path,
        query,
        status_code: status,
        status_class: status / 100,
        latency_ms: latency,
        error_code: code.map(str::to_string),
        error_message: message,
        platform_error: raw,
        error_confidence: code.map(|c| {
            match c {
                "unknown-error" => "low",
                "operation-denied" | "platform-denied" => "medium",
                _ => "high",
            }
            .to_string()
        }),
        // Real secrets, as a data plane would send them: the store redacts them on insert.
        request_headers: json!({
            "authorization": authorization,
            "content-type": "application/json",
            "user-agent": ua,
            "x-connection-id": conn.row.id,
            "idempotency-key": idempotency_key,
        })
        .to_string(),
        request_body,
        response_body,
        response_truncated: truncated,
        upstream_calls: Value::Array(upstream).to_string(),
        idempotency_key,
        user_agent: Some(ua.into()),
        source_ip: Some(env.ips[rng.gen_range(0..env.ips.len())].clone()),
        created_at: t,
        redacted_fields: "[]".into(),
        content_hash: None,
    }
}

/// A plausible full API key for a demo request's Authorization header (redacted on insert).
fn demo_secret(rng: &mut SmallRng, prefix: &str) -> String {
    format!("{prefix}{}", base64_like(rng, 24))
}

pub(crate) fn platform_host(platform: &str) -> &'static str {
    match platform {
        "quickbooks_online" => "quickbooks.api.intuit.com",
        "xero" => "api.xero.com",
        "netsuite" => "5123456.suitetalk.api.netsuite.com",
        "sage_intacct" => "api.intacct.com",
        "freshbooks" => "api.freshbooks.com",
        "shopify" => "bluebird.myshopify.com",
        "amazon_seller" => "sellingpartnerapi-na.amazon.com",
        "woocommerce" => "shop.example-store.com",
        "bigcommerce" => "api.bigcommerce.com",
        "etsy" => "openapi.etsy.com",
        "stripe" => "api.stripe.com",
        "square" => "connect.squareup.com",
        _ => "api-m.paypal.com",
    }
}

pub(crate) fn upstream_path(platform: &str, object: &str, path: &str) -> String {
    let tail = path.rsplit('/').next().filter(|s| s.chars().any(|c| c.is_ascii_digit()));
    let base = match platform {
        "quickbooks_online" => format!("/v3/company/9130357/{}", object.trim_end_matches('s')),
        "xero" => format!("/api.xro/2.0/{}", capital(object)),
        "shopify" => format!("/admin/api/2024-07/{object}.json"),
        "stripe" => format!("/v1/{object}"),
        "square" => format!("/v2/{object}"),
        _ => format!("/api/v1/{object}"),
    };
    match tail {
        Some(t) => format!("{base}/{t}"),
        None => base,
    }
}

fn capital(s: &str) -> String {
    s.split('_')
        .map(|p| {
            let mut c = p.chars();
            c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
        })
        .collect()
}

fn sample_value(field: &str, rng: &mut SmallRng) -> Value {
    match field {
        "currency" => json!(["USD", "EUR", "GBP", "CAD"][rng.gen_range(0..4)]),
        "total_amount" | "amount" | "price" => json!((rng.gen_range(500..500_000) as f64) / 100.0),
        "tax_amount" => json!((rng.gen_range(0..5_000) as f64) / 100.0),
        "quantity" => json!(rng.gen_range(0..400)),
        "due_date" => json!(format!("2026-{:02}-{:02}", rng.gen_range(1..13), rng.gen_range(1..29))),
        "status" => json!(["open", "paid", "draft", "void"][rng.gen_range(0..4)]),
        "customer_id" => json!(format!("cus_{}", rng.gen_range(100..9999))),
        "email" | "customer_email" | "receipt_email" => {
            json!(format!("billing{}@example.com", rng.gen_range(1..500)))
        }
        "number" => json!(format!("INV-{}", rng.gen_range(1000..9999))),
        "name" => json!(
            ["Widget Pro", "Oat Latte Beans 1kg", "Consulting hours", "Harbor Supplies"][rng.gen_range(0..4)]
        ),
        "sku" => json!(format!("SKU-{:05}", rng.gen_range(0..99_999))),
        "phone" => json!(format!("+1-555-{:04}", rng.gen_range(0..9999))),
        _ => json!(format!("{} note {}", field, rng.gen_range(1..99))),
    }
}

/// A normalized record and, when expanded, the raw platform record it came from. Some source
/// fields are missing or empty, and some normalized fields have no source on this platform, so
/// the console has real nulls to explain.
fn record(platform: &PlatformSpec, object: &str, expand: bool, rng: &mut SmallRng) -> Value {
    let mut normalized = Map::new();
    let mut raw = Map::new();
    for field in normalized_fields(object) {
        let value =
            if *field == "id" { json!(record_id(platform.id, rng)) } else { sample_value(field, rng) };
        match source_field(platform.id, field) {
            None => {
                normalized.insert(field.to_string(), Value::Null);
            }
            Some(src) => {
                let roll = rng.gen::<f64>();
                if *field != "id" && roll < 0.12 {
                    normalized.insert(field.to_string(), Value::Null); // not sent
                } else if *field != "id" && roll < 0.22 {
                    raw.insert(src, if rng.gen_bool(0.5) { json!("") } else { Value::Null });
                    normalized.insert(field.to_string(), Value::Null);
                } else {
                    raw.insert(src, value.clone());
                    normalized.insert(field.to_string(), value);
                }
            }
        }
    }
    if expand {
        normalized.insert("platform_data".into(), Value::Object(raw));
    }
    Value::Object(normalized)
}

/// A realistic raw error body of the platform for a normalized code, and the normalized message.
fn platform_error(
    platform: &PlatformSpec,
    code: &str,
    field: &str,
    rng: &mut SmallRng,
) -> (String, Option<String>) {
    let src = source_field(platform.id, field).unwrap_or_else(|| field.to_string());
    let spec_title = ERROR_CODES.iter().find(|e| e.code == code).map(|e| e.title).unwrap_or("Error");
    // One wait, so the normalized message and the raw error agree.
    let retry_after: i64 = rng.gen_range(10..60);
    let message = match code {
        "missing-params" => format!("The field {field} is required by {}.", platform.name),
        "invalid-params" => format!("The value of {field} is not valid for {}.", platform.name),
        "record-already-exists" => format!("A record with this {field} already exists in {}.", platform.name),
        "rate-limited" => {
            format!("{} rate limit reached; retry after {retry_after} seconds.", platform.name)
        }
        "unauthorized" => {
            format!("The {} connection's credentials have expired or were revoked.", platform.name)
        }
        _ => format!("{spec_title} ({}).", platform.name),
    };
    let raw = match (platform.id, code) {
        ("quickbooks_online", "rate-limited") => {
            json!({"Fault": {"Error": [{"Message": "message=ThrottleExceeded; errorCode=003001; statusCode=429", "code": "3001"}], "type": "SERVICE"}})
        }
        ("quickbooks_online", "unauthorized") => {
            json!({"Fault": {"Error": [{"Message": "message=AuthenticationFailed; errorCode=003200; statusCode=401", "Detail": "Token expired: 2026-11-20T08:14:03Z", "code": "3200"}], "type": "AUTHENTICATION"}})
        }
        ("quickbooks_online", _) => {
            json!({"Fault": {"Error": [{"Message": if code == "missing-params" { "Required param missing, need to supply the required value for the API" } else { "Invalid Reference Id" }, "Detail": format!("{src} : {}", if code == "missing-params" { "is missing in the request" } else { "value is not valid" }), "code": if code == "missing-params" { "2020" } else { "2500" }, "element": src}], "type": "ValidationFault"}, "time": "2026-11-21T10:02:11.201-08:00"})
        }
        ("xero", "rate-limited") => {
            json!({"Title": "Too Many Requests", "Detail": "Rate limit exceeded: minute limit (60) reached", "Status": 429})
        }
        ("xero", _) => {
            json!({"ErrorNumber": 10, "Type": "ValidationException", "Message": "A validation exception occurred", "Elements": [{"ValidationErrors": [{"Message": format!("{src} {}", if code == "record-already-exists" { "must be unique" } else { "is not valid" })}]}]})
        }
        ("shopify" | "woocommerce" | "bigcommerce" | "etsy", "rate-limited") => {
            json!({"errors": "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."})
        }
        ("shopify" | "woocommerce" | "bigcommerce" | "etsy", _) => {
            json!({"errors": {src: [if code == "record-already-exists" { "has already been taken" } else if code == "missing-params" { "can't be blank" } else { "is invalid" }]}})
        }
        ("stripe", "rate-limited") => {
            json!({"error": {"message": "Too many requests hit the API too quickly.", "type": "rate_limit_error", "code": "rate_limit"}})
        }
        ("stripe", "unauthorized") => {
            json!({"error": {"message": "Expired API Key provided: sk_live_***4x9Q", "type": "invalid_request_error", "code": "api_key_expired"}})
        }
        ("stripe", _) => {
            json!({"error": {"message": format!("Invalid {src}: must be a positive integer"), "param": src, "type": "invalid_request_error", "code": "parameter_invalid_integer"}})
        }
        (_, "platform-unavailable") => json!({"message": "upstream request timeout", "status": 504}),
        (_, "unauthorized") => {
            json!({"error": "invalid_grant", "error_description": "Refresh token is expired or revoked"})
        }
        (_, "rate-limited") => {
            json!({"error": "rate_limited", "message": "Request limit exceeded", "retry_after": retry_after})
        }
        (_, _) => {
            json!({"error": {"code": "VALIDATION_ERROR", "field": src, "detail": format!("{src} failed validation")}})
        }
    };
    let raw = match code {
        "internal-error" | "idempotency-conflict" | "not-found" => None,
        _ => Some(raw.to_string()),
    };
    (message, raw)
}
