//! Every webhook event's payload, built here and nowhere else: the envelope all events share
//! (`{"id", "type", "created_at", "data"}`) and the `data` of each event Switchboard raises
//! itself. The store calls these inside the transaction that records the event; the seed, the
//! test event and the ingestion API use the envelope.

use serde_json::{json, Value};

/// The envelope: `id` and `type` repeat the event's, `created_at` is RFC 3339.
pub fn envelope(id: &str, event_type: &str, at_ms: i64, data: Value) -> String {
    json!({
        "id": id,
        "type": event_type,
        "created_at": chrono::DateTime::from_timestamp_millis(at_ms).map(|d| d.to_rfc3339()),
        "data": data,
    })
    .to_string()
}

/// A new event of `event_type` at `now`: its id, type and enveloped payload.
pub fn new_event(now: i64, event_type: &str, data: Value) -> (String, String, String) {
    let id = crate::ids::make_id(crate::ids::prefix::EVENT, now, rand::random());
    let payload = envelope(&id, event_type, now, data);
    (id, event_type.to_string(), payload)
}

/// How `sync.completed` and `backfill.completed` write an outcome: in capitals (`FAILED`).
pub fn event_status(status: &str) -> String {
    status.to_ascii_uppercase()
}

/// `connection.needs_reauth`: the platform refused the connection's credentials.
pub fn connection_needs_reauth(connection_id: &str, reason: Option<&str>) -> Value {
    json!({"connection_id": connection_id, "reason": reason})
}

/// One object's outcome in `sync.completed`.
pub struct ObjectOutcome<'a> {
    pub object: &'a str,
    pub status: &'a str,
    pub records_added: i64,
    pub records_updated: i64,
    pub records_deleted: i64,
    pub error_code: Option<&'a str>,
}

/// `sync.completed`: the runs a connection did together (one schedule tick, one "sync now", or
/// its part of a backfill) have all ended.
pub fn sync_completed(
    connection_id: &str,
    trigger: &str,
    backfill_id: Option<&str>,
    objects: &[ObjectOutcome<'_>],
) -> Value {
    let objects: Vec<Value> = objects
        .iter()
        .map(|o| {
            json!({
                "object": o.object,
                "status": event_status(o.status),
                "records_added": o.records_added,
                "records_updated": o.records_updated,
                "records_deleted": o.records_deleted,
                "error_code": o.error_code,
            })
        })
        .collect();
    json!({
        "connection_id": connection_id,
        "trigger": trigger,
        "backfill_id": backfill_id,
        "objects": objects,
    })
}

/// `backfill.completed`: its outcome, its connections' outcomes counted, and its runs counted
/// by status.
pub fn backfill_completed(
    backfill_id: &str,
    status: &str,
    connections: &[(String, i64)],
    runs: Vec<(String, i64)>,
) -> Value {
    let count = |s: &str| connections.iter().find(|p| p.0 == s).map(|p| p.1).unwrap_or(0);
    let total: i64 = connections.iter().map(|p| p.1).sum();
    let runs: serde_json::Map<String, Value> = runs.into_iter().map(|(s, n)| (s, Value::from(n))).collect();
    json!({
        "backfill_id": backfill_id,
        "status": event_status(status),
        "connections": {
            "total": total,
            "succeeded": count("succeeded"),
            "partial": count("partial"),
            "failed": count("failed"),
            "cancelled": count("cancelled"),
        },
        "runs": runs,
    })
}

/// `endpoint.disabled`: an endpoint failed for too long and was switched off.
pub fn endpoint_disabled(endpoint_id: &str, url: &str, reason: &str) -> Value {
    json!({"endpoint_id": endpoint_id, "url": url, "reason": reason})
}

/// `webhook.test`: sent from the console to one endpoint.
pub fn webhook_test(endpoint_id: &str, by: &str) -> Value {
    json!({"endpoint_id": endpoint_id, "message": format!("A test event sent from the Switchboard console by {by}.")})
}

/// `issue.opened`, `issue.resolved`, `issue.reopened`: the issue as the API's
/// `GET /api/v1/issues/{id}` shows it, less its timeline.
pub fn issue(row: &crate::server::store::issues::IssueRow) -> Value {
    let time = |ms: i64| chrono::DateTime::from_timestamp_millis(ms).map(|t| t.to_rfc3339());
    json!({
        "id": row.id,
        "kind": row.kind.as_str(),
        "severity": row.severity.as_str(),
        "status": row.status.as_str(),
        "regressed": row.regressed,
        "title": row.kind.title(),
        "summary": row.summary,
        "platform": row.platform_id,
        "connection_id": row.connection_id,
        "data_object": row.data_object,
        "endpoint_id": row.endpoint_id,
        "api_path": row.api_path,
        "occurrences": row.occurrences,
        "first_seen": time(row.first_seen),
        "last_seen": time(row.last_seen),
        "resolved_at": row.resolved_at.and_then(time),
        "next_step": row.kind.next_step(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_envelope_repeats_id_and_type_and_dates_in_rfc3339() {
        let v: Value =
            serde_json::from_str(&envelope("evt_1", "sync.completed", 0, json!({"a": 1}))).unwrap();
        assert_eq!(v["id"], "evt_1");
        assert_eq!(v["type"], "sync.completed");
        assert_eq!(v["created_at"], "1970-01-01T00:00:00+00:00");
        assert_eq!(v["data"]["a"], 1);
    }

    #[test]
    fn backfill_completed_counts_connections_and_runs() {
        let v = backfill_completed(
            "bf_1",
            "partial",
            &[("succeeded".into(), 2), ("failed".into(), 1)],
            vec![("succeeded".into(), 7), ("failed".into(), 2)],
        );
        assert_eq!(v["status"], "PARTIAL");
        assert_eq!(v["connections"]["total"], 3);
        assert_eq!(v["connections"]["failed"], 1);
        assert_eq!(v["connections"]["cancelled"], 0);
        assert_eq!(v["runs"]["succeeded"], 7);
    }
}
