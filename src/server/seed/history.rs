//! Each connection's sync history and lifecycle events in the demo data.

use super::*;

pub(super) fn sync_history(b: &mut SeedBatch, conn: &Conn, anchor: i64, start: i64, rng: &mut SmallRng) {
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
                // A healthy connection's latest run of an object succeeded: a failure there would
                // make it degraded (the store's rule), and the page would contradict its badge.
                let latest = t + every + 120_000 > anchor;
                if latest && conn.status == ConnectionStatus::Healthy {
                    ("succeeded", None)
                } else if roll < 0.015 {
                    (
                        "failed",
                        Some((
                            "rate-limited",
                            format!(
                                "{} rate limit exceeded; the run stopped and the next one retries",
                                conn.platform.name
                            ),
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
                            format!("{} was unavailable; the run stopped", conn.platform.name),
                        )),
                    )
                } else {
                    ("succeeded", None)
                }
            };
            let running = status == "running" || status == "queued";
            let raw = match (&error, status) {
                (Some((code, _)), "failed") => super::documented_error(&c.platform_id, code, rng),
                _ => None,
            };
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
                // A failed run carries its platform's documented raw error and no code: the
                // store's classifier assigns it, as for the sandbox's runs. A partial run's
                // code is the data plane's summary of the records it rejected.
                error_code: match (&error, &raw) {
                    (Some((code, _)), None) => Some(code.to_string()),
                    _ => None,
                },
                error_message: error.map(|e| e.1),
                // The call that failed, as the run's log shows it.
                log: match &raw {
                    Some((_, status)) => serde_json::Value::Array(vec![crate::server::sandbox::page_log(
                        conn.platform,
                        Some(&c.platform_account_id),
                        object,
                        0,
                        *status,
                        0,
                        rng.gen_range(80..900),
                    )])
                    .to_string(),
                    None => "[]".into(),
                },
                platform_error: raw.map(|(body, _)| body),
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
pub(super) fn connection_events(b: &mut SeedBatch, conn: &Conn, anchor: i64, rng: &mut SmallRng) {
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
