//! The sandbox data plane: what each catalog platform's API does during a sync, simulated.
//!
//! A real data plane pages through a platform's API, waits out rate limits, and fails in the
//! ways platforms fail. The sandbox does the same, deterministically: the volume of each data
//! object is fixed per connection (so the same connection always looks the same), and the
//! events of one run (a 429 on some page, a partial import, an outage, credentials that expire)
//! are drawn from the run's id, so a run replayed after a crash takes the same course.
//!
//! [`plan`] decides a run's course up front; the worker (`server::worker`) executes it page by
//! page, so progress, heartbeats and cancellation happen between pages.

pub mod plane;

use crate::domain::{ConnectionStatus, PlatformSpec, SyncRunKind};
use crate::server::store::sync::{Heartbeat, RunResult};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use std::time::Duration;

/// How fast and how eventful the sandbox is.
#[derive(Debug, Clone)]
pub struct SandboxSettings {
    /// Time one page of records takes (the platform's latency).
    pub page_delay: Duration,
    /// Multiplies every `Retry-After` the sandbox asks for; 0 in tests, so nothing waits.
    pub retry_after_scale: f64,
    /// Draw failures (outages, partial imports, expiring credentials); off for benchmarks.
    pub failures: bool,
}

impl SandboxSettings {
    /// `serve --demo`: a one-connection backfill of a few objects finishes within about a
    /// minute, with visible progress.
    pub fn demo() -> Self {
        SandboxSettings { page_delay: Duration::from_millis(400), retry_after_scale: 1.0, failures: true }
    }

    /// Tests and benchmarks: no waiting at all.
    pub fn instant() -> Self {
        SandboxSettings { page_delay: Duration::ZERO, retry_after_scale: 0.0, failures: true }
    }
}

/// One page fetched from the platform.
#[derive(Debug, Clone, PartialEq)]
pub struct PageStep {
    pub records: i64,
    /// The platform answered 429 first and asked to wait this many seconds.
    pub rate_limited: Option<u64>,
}

/// How a run ends.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Succeeded,
    /// Some records were rejected by validation; the rest were imported.
    Partial {
        rejected: i64,
        code: &'static str,
        message: String,
    },
    Failed {
        /// What the classifier reads the raw error as; the report sends no code and lets the
        /// store's classifier assign it, as a data plane that forwards raw errors does.
        code: &'static str,
        message: String,
        /// The platform's answer, in its documented format, and its HTTP status.
        platform_error: String,
        status: u16,
        /// The credentials are gone: the connection needs re-authentication.
        needs_reauth: bool,
    },
    NotSupported {
        message: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub pages: Vec<PageStep>,
    /// Of the fetched records, how many were new, updated and deleted.
    pub added: i64,
    pub updated: i64,
    pub deleted: i64,
    /// The run fails after this many pages (an outage mid-way), or at once for credentials.
    pub outcome: Outcome,
}

/// What the sandbox needs to know about a run.
pub struct RunInput<'a> {
    pub run_id: &'a str,
    pub connection_id: &'a str,
    pub platform: &'a PlatformSpec,
    pub data_object: &'a str,
    pub kind: SyncRunKind,
    pub connection_status: ConnectionStatus,
    /// Milliseconds of history the run covers.
    pub range_ms: i64,
}

pub const PAGE_SIZE: i64 = 100;
/// Long backfills are sampled: the sandbox never makes a run of more pages than this.
pub const MAX_PAGES: i64 = 30;

fn seed(parts: &[&str]) -> u64 {
    // FNV-1a: stable across processes and versions, unlike the std hasher.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0xff)) {
            h ^= b as u64;
            h = h.wrapping_mul(0x100_0000_01b3);
        }
    }
    h
}

/// Records of this object the connection's account holds per year of history.
pub fn yearly_volume(connection_id: &str, data_object: &str) -> i64 {
    let mut rng = SmallRng::seed_from_u64(seed(&[connection_id, data_object]));
    let base = match data_object {
        "accounts" | "vendors" | "products" | "inventory" | "balance_sheets" | "income_statements" => 40..400,
        "customers" => 200..3_000,
        "disputes" | "refunds" => 20..300,
        _ => 600..12_000,
    };
    rng.gen_range(base)
}

/// Decides a run's course. Deterministic in its input.
pub fn plan(input: &RunInput<'_>, settings: &SandboxSettings) -> Plan {
    let mut rng = SmallRng::seed_from_u64(seed(&[input.run_id, input.connection_id, input.data_object]));
    let platform = input.platform;
    if !platform.supported_objects().any(|o| o == input.data_object) {
        return Plan {
            pages: vec![],
            added: 0,
            updated: 0,
            deleted: 0,
            outcome: Outcome::NotSupported {
                message: format!("{} does not offer {}: nothing to sync.", platform.name, input.data_object),
            },
        };
    }
    let reauth = Outcome::Failed {
        code: "unauthorized",
        message: format!(
            "{} rejected the access token: the refresh token expired or was revoked. The end customer must reconnect.",
            platform.name
        ),
        platform_error: raw_auth_error(platform.id).to_string(),
        status: 401,
        needs_reauth: true,
    };
    if input.connection_status == ConnectionStatus::NeedsReauth {
        return Plan { pages: vec![], added: 0, updated: 0, deleted: 0, outcome: reauth };
    }
    let volume = yearly_volume(input.connection_id, input.data_object);
    let years = input.range_ms.max(3_600_000) as f64 / (365.0 * 86_400_000.0);
    let fetched = match input.kind {
        SyncRunKind::Incremental => rng.gen_range(0..=(volume / 200).max(3)),
        _ => ((volume as f64 * years) as i64).max(1),
    };
    let pages = (fetched + PAGE_SIZE - 1) / PAGE_SIZE;
    let shown_pages = pages.clamp(1, MAX_PAGES);
    let mut steps: Vec<PageStep> = (0..shown_pages)
        .map(|i| {
            let records = if i + 1 < shown_pages {
                fetched / shown_pages
            } else {
                fetched - (fetched / shown_pages) * (shown_pages - 1)
            };
            PageStep { records, rate_limited: None }
        })
        .collect();
    // Platforms rate-limit long syncs: about one run in five meets a 429 on some page.
    if rng.gen_bool(0.2) {
        let at = rng.gen_range(0..steps.len());
        steps[at].rate_limited = Some(rng.gen_range(1..=3));
    }
    let (added, updated, deleted) = match input.kind {
        SyncRunKind::Incremental => {
            let added = rng.gen_range(0..=fetched);
            (added, fetched - added, rng.gen_range(0..=fetched / 20))
        }
        SyncRunKind::Initial => (fetched, 0, 0),
        SyncRunKind::Backfill => {
            let updated = rng.gen_range(0..=fetched / 3);
            (fetched - updated, updated, 0)
        }
    };
    let roll: f64 = if settings.failures { rng.gen() } else { 1.0 };
    let outcome = if roll < 0.01 {
        reauth
    } else if roll < 0.035 {
        // The platform's own documented outage answer (the classifier's corpus).
        let (platform_error, status) =
            crate::server::seed::documented_error(platform.id, "platform-unavailable", &mut rng)
                // Some documented outages answer 200 with a fault in the body (NetSuite's SOAP
                // faults): the run's failed call is then reported as the gateway saw it, a 503.
                .map(|(body, status)| (body, if status >= 400 { status } else { 503 }))
                .unwrap_or_else(|| {
                    (json!({"status": 503, "message": "Service Unavailable"}).to_string(), 503)
                });
        Outcome::Failed {
            code: "platform-unavailable",
            message: format!("{} answered {status} three times in a row; the run stopped.", platform.name),
            platform_error,
            status,
            needs_reauth: false,
        }
    } else if roll < 0.07 && fetched > 10 {
        let rejected = rng.gen_range(1..=(fetched / 10).max(1));
        Outcome::Partial {
            rejected,
            code: "invalid-params",
            message: format!(
                "{rejected} {} records were rejected: {} sent a malformed date in the field updated_at.",
                input.data_object, platform.name
            ),
        }
    } else {
        Outcome::Succeeded
    };
    if let Outcome::Failed { needs_reauth: false, .. } = &outcome {
        // An outage hits part-way: the pages before it were fetched.
        let keep = rng.gen_range(0..steps.len());
        steps.truncate(keep);
    }
    if let Outcome::Failed { needs_reauth: true, .. } = &outcome {
        steps.clear();
    }
    let imported: i64 = steps.iter().map(|s| s.records).sum();
    let scale = |n: i64| if fetched == 0 { 0 } else { n * imported / fetched };
    let (mut added, updated, deleted) = (scale(added), scale(updated), scale(deleted));
    if let Outcome::Partial { rejected, .. } = &outcome {
        added = (added - rejected).max(0);
    }
    Plan { pages: steps, added, updated, deleted, outcome }
}

/// The request the sandbox "made" for one page, as the run's log shows it.
pub fn page_log(
    platform: &PlatformSpec,
    account: Option<&str>,
    data_object: &str,
    page: usize,
    status: u16,
    records: i64,
    latency_ms: i64,
) -> Value {
    json!({
        "method": "GET",
        "url": format!("https://{}{}?page={}&page_size={PAGE_SIZE}", super::seed::platform_host(platform.id, account), super::seed::upstream_path(platform.id, data_object, &format!("/{data_object}"), account), page + 1),
        "status": status,
        "records": records,
        "latency_ms": latency_ms,
    })
}

fn raw_auth_error(platform: &str) -> Value {
    match platform {
        "quickbooks_online" | "xero" | "sage_intacct" | "freshbooks" => {
            json!({"error": "invalid_grant", "error_description": "Refresh token is expired or revoked"})
        }
        "shopify" => {
            json!({"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"})
        }
        "stripe" => {
            json!({"error": {"type": "invalid_request_error", "code": "api_key_expired", "message": "Expired API Key provided"}})
        }
        "netsuite" => {
            json!({"type": "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.2", "title": "Unauthorized", "status": 401,
            "o:errorDetails": [{"detail": "Invalid login attempt. For more details, see the Login Audit Trail in the NetSuite UI at Setup > Users/Roles > User Management > View Login Audit Trail.", "o:errorCode": "INVALID_LOGIN"}]})
        }
        "amazon_seller" => {
            json!({"errors": [{"code": "Unauthorized", "message": "Access to requested resource is denied.",
            "details": "The access token you provided has expired."}]})
        }
        "woocommerce" => {
            json!({"code": "woocommerce_rest_authentication_error", "message": "Consumer key is invalid.", "data": {"status": 401}})
        }
        "bigcommerce" => json!({"code": 401, "message": "Unauthorized"}),
        "etsy" | "paypal" => {
            json!({"error": "invalid_token", "error_description": "access token is expired"})
        }
        "square" => json!({"errors": [{"category": "AUTHENTICATION_ERROR", "code": "ACCESS_TOKEN_EXPIRED",
            "detail": "The access token has expired."}]}),
        // The platforms above cover the catalog; an unknown one answers as OAuth 2.0 does.
        _ => json!({"error": "invalid_token", "error_description": "The access token expired"}),
    }
}

/// How long to wait for a `Retry-After` of `seconds`, in this sandbox.
/// Where a run executed by the sandbox reports: the store directly (the worker inside
/// `serve` and `switchboard worker`) or the ingestion API (`switchboard sandbox`).
#[async_trait::async_trait]
pub trait RunReporter: Send + Sync {
    type Error: Send;
    /// Records progress and extends the lease; says whether to go on.
    async fn progress(&self, progress: i64, log: &str) -> Result<Heartbeat, Self::Error>;
    /// Ends the run (nothing is written if the lease was lost meanwhile).
    async fn finish(&self, result: &RunResult) -> Result<(), Self::Error>;
}

/// Executes a planned run page by page, as a data plane pages through a platform's API: waits
/// out the platform's 429s, reports progress about every `heartbeat_every` and after the last
/// page (often enough for a live page, rare enough that a fast platform is not slowed by a
/// write per page), stops when told the backfill was cancelled or the lease was lost, and
/// reports how the run ended.
pub async fn execute<R: RunReporter>(
    plan: &Plan,
    spec: &PlatformSpec,
    // The connection's platform account, which names the host on some platforms (a Shopify
    // shop): `None` where the data plane does not know it.
    account: Option<&str>,
    data_object: &str,
    settings: &SandboxSettings,
    heartbeat_every: Duration,
    reporter: &R,
) -> Result<(), R::Error> {
    use crate::domain::SyncRunStatus;
    let mut log: Vec<Value> = vec![];
    let mut progress = 0i64;
    let mut last_beat = std::time::Instant::now();
    for (i, step) in plan.pages.iter().enumerate() {
        if let Some(seconds) = step.rate_limited {
            let mut entry = page_log(spec, account, data_object, i, 429, 0, 40);
            entry["note"] = Value::String(format!(
                "429 Too Many Requests, Retry-After: {seconds} s. Waited, then retried this page."
            ));
            log.push(entry);
            tokio::time::sleep(retry_wait(settings, seconds)).await;
        }
        if !settings.page_delay.is_zero() {
            tokio::time::sleep(settings.page_delay).await;
        }
        progress += step.records;
        log.push(page_log(
            spec,
            account,
            data_object,
            i,
            200,
            step.records,
            settings.page_delay.as_millis() as i64,
        ));
        let last_page = i + 1 == plan.pages.len();
        if !last_page && last_beat.elapsed() < heartbeat_every {
            continue;
        }
        last_beat = std::time::Instant::now();
        let log_text = Value::Array(log.clone()).to_string();
        match reporter.progress(progress, &log_text).await? {
            Heartbeat::Continue => {}
            Heartbeat::Lost => return Ok(()),
            Heartbeat::Cancel => {
                let result = RunResult {
                    records_added: progress.min(plan.added),
                    error_message: Some("The backfill was cancelled while this run was in progress.".into()),
                    log: log_text,
                    progress,
                    ..RunResult::ended(SyncRunStatus::Cancelled)
                };
                return reporter.finish(&result).await;
            }
        }
    }
    reporter.finish(&result_of(plan, spec, account, data_object, log, progress)).await
}

/// How a run whose pages were all fetched ends: its counts, error and log, as reported to the
/// store (the in-process worker) or over the API (the data plane process).
pub fn result_of(
    plan: &Plan,
    spec: &PlatformSpec,
    account: Option<&str>,
    data_object: &str,
    mut log: Vec<Value>,
    progress: i64,
) -> crate::server::store::sync::RunResult {
    use crate::domain::SyncRunStatus;
    let mut log_text = |extra: Option<Value>| {
        log.extend(extra);
        Value::Array(log.clone()).to_string()
    };
    match plan.outcome.clone() {
        Outcome::Succeeded => RunResult {
            records_added: plan.added,
            records_updated: plan.updated,
            records_deleted: plan.deleted,
            log: log_text(None),
            progress,
            ..RunResult::ended(SyncRunStatus::Succeeded)
        },
        Outcome::Partial { rejected, code, message } => RunResult {
            records_added: plan.added,
            records_updated: plan.updated,
            records_deleted: plan.deleted,
            error_code: Some(code.into()),
            error_message: Some(message),
            platform_error: Some(
                json!({"rejected": rejected, "errors": [{"field": "updated_at", "message": "invalid date format"}]})
                    .to_string(),
            ),
            log: log_text(None),
            progress,
            ..RunResult::ended(SyncRunStatus::Partial)
        },
        Outcome::Failed { message, platform_error, status, needs_reauth, .. } => {
            let entry = page_log(spec, account, data_object, plan.pages.len(), status, 0, 80);
            RunResult {
                status: SyncRunStatus::Failed,
                records_added: plan.added,
                records_updated: plan.updated,
                records_deleted: plan.deleted,
                // No code: the store's classifier reads the raw error, as for a data plane
                // that forwards what the platform said.
                error_code: None,
                error_message: Some(message),
                platform_error: Some(platform_error),
                log: log_text(Some(entry)),
                progress,
                needs_reauth,
                reading: Default::default(),
            }
        }
        Outcome::NotSupported { message } => RunResult {
            error_code: Some("not_supported".into()),
            error_message: Some(message),
            log: log_text(None),
            ..RunResult::ended(SyncRunStatus::NotSupported)
        },
    }
}

pub fn retry_wait(settings: &SandboxSettings, seconds: u64) -> Duration {
    Duration::from_secs_f64(seconds as f64 * settings.retry_after_scale)
}

#[cfg(test)]
mod tests {
    /// Every platform's revoked-credentials error, in its own documented format, is read as
    /// `unauthorized` by the classifier the ingestion runs it through.
    #[test]
    fn each_platforms_auth_error_classifies_as_unauthorized() {
        for p in crate::domain::PLATFORMS {
            let raw = crate::classify::RawError {
                platform: p.id.into(),
                http_status: Some(401),
                body: super::raw_auth_error(p.id).to_string(),
                ..Default::default()
            };
            let c = crate::classify::classify(&raw);
            assert_eq!(
                (c.code, c.confidence),
                ("unauthorized", crate::classify::Confidence::High),
                "{}: {c:?}",
                p.id
            );
        }
    }

    /// A failed run reports its platform's raw error and no code: the classifier the store
    /// runs reads every platform's documented outage (the sandbox's) and rate limit (the demo
    /// history's) as such, so the code the console shows is the classifier's, and right.
    #[test]
    fn failed_runs_carry_raw_errors_the_classifier_reads_right() {
        use rand::SeedableRng;
        let mut rng = rand::rngs::SmallRng::seed_from_u64(7);
        for p in crate::domain::PLATFORMS {
            for code in ["platform-unavailable", "rate-limited"] {
                // A platform that documents no body for it (FreshBooks' 429 has none) keeps
                // the code the seed gives it.
                let Some((body, status)) = crate::server::seed::documented_error(p.id, code, &mut rng) else {
                    assert_eq!(code, "rate-limited", "{}: every platform documents an outage body", p.id);
                    continue;
                };
                let mut stored = None;
                let reading = crate::server::store::sync::ErrorReading::of_run(
                    p.id,
                    crate::domain::SyncRunStatus::Failed,
                    Some(&body),
                    &json!([{"method": "GET", "url": "https://x.test/", "status": status}]).to_string(),
                    &mut stored,
                );
                assert_eq!(stored.as_deref(), Some(code), "{}: {body}", p.id);
                assert_eq!(reading.classified_code.as_deref(), Some(code));
            }
        }
        // What the worker reports for a plan that failed: no code, the raw error and its status.
        let qb = platform("quickbooks_online").unwrap();
        let failed = (0..400)
            .map(|i| {
                plan(
                    &input(&format!("run_{i}"), "invoices", qb, ConnectionStatus::Healthy),
                    &SandboxSettings::instant(),
                )
            })
            .find(|p| matches!(p.outcome, Outcome::Failed { needs_reauth: false, .. }))
            .expect("an outage among 400 runs");
        let result = result_of(&failed, qb, None, "invoices", vec![], 0);
        assert_eq!(result.error_code, None);
        let stored = result.prepared("quickbooks_online");
        assert_eq!(stored.error_code.as_deref(), Some("platform-unavailable"), "{stored:?}");
    }

    use super::*;
    use crate::domain::platform;

    fn input<'a>(
        run: &'a str,
        object: &'a str,
        p: &'a PlatformSpec,
        status: ConnectionStatus,
    ) -> RunInput<'a> {
        RunInput {
            run_id: run,
            connection_id: "conn_1",
            platform: p,
            data_object: object,
            kind: SyncRunKind::Backfill,
            connection_status: status,
            range_ms: 365 * 86_400_000,
        }
    }

    #[test]
    fn plans_are_deterministic_and_follow_the_catalog() {
        let qb = platform("quickbooks_online").unwrap();
        let s = SandboxSettings::instant();
        let a = plan(&input("run_a", "invoices", qb, ConnectionStatus::Healthy), &s);
        assert_eq!(a, plan(&input("run_a", "invoices", qb, ConnectionStatus::Healthy), &s));
        assert_eq!(yearly_volume("conn_1", "invoices"), yearly_volume("conn_1", "invoices"));
        let netsuite = platform("netsuite").unwrap();
        let ns = plan(&input("run_b", "balance_sheets", netsuite, ConnectionStatus::Healthy), &s);
        assert!(matches!(ns.outcome, Outcome::NotSupported { .. }));
        let expired = plan(&input("run_c", "invoices", qb, ConnectionStatus::NeedsReauth), &s);
        assert!(matches!(expired.outcome, Outcome::Failed { needs_reauth: true, code: "unauthorized", .. }));
    }

    #[test]
    fn over_many_runs_every_outcome_and_rate_limits_occur() {
        let qb = platform("quickbooks_online").unwrap();
        let s = SandboxSettings::instant();
        let (mut ok, mut partial, mut failed, mut limited) = (0, 0, 0, 0);
        for i in 0..2_000 {
            let p = plan(&input(&format!("run_{i}"), "invoices", qb, ConnectionStatus::Healthy), &s);
            assert!(p.pages.len() as i64 <= MAX_PAGES);
            assert!(p.added >= 0 && p.updated >= 0);
            limited += p.pages.iter().filter(|s| s.rate_limited.is_some()).count();
            match p.outcome {
                Outcome::Succeeded => ok += 1,
                Outcome::Partial { .. } => partial += 1,
                Outcome::Failed { .. } => failed += 1,
                Outcome::NotSupported { .. } => unreachable!(),
            }
        }
        assert!(
            ok > 1_700 && partial > 20 && failed > 20 && limited > 100,
            "{ok} {partial} {failed} {limited}"
        );
    }
}
