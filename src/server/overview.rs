//! The Overview (issue 21): an environment's requests by status class, latency percentiles,
//! sync runs and webhook deliveries by status, per bin of a range, and its connections by
//! status. Everything but the connections comes from the hourly rollups, so a view costs the
//! same at any number of rows, and every figure is a sum of the bins its chart draws.

use super::actor::Actor;
use super::service::ServiceResult;
use super::store::rollups::OutcomeKind;
use super::AppState;
use crate::domain::failures::FailureRange;
use crate::domain::overview::{OverviewReport, DELIVERY_STATUSES};
use crate::domain::rollups::percentile;
use crate::domain::sync_runs::RUN_STATUSES;
use crate::domain::ConnectionStatus;
use std::collections::BTreeMap;

pub async fn report(
    state: &AppState,
    actor: &Actor,
    organization_name: &str,
    range: FailureRange,
) -> ServiceResult<OverviewReport> {
    let scope = actor.scope();
    let (from, to) = range.window(state.clock.now_ms());
    let bin_ms = range.bin_millis();
    let bins = FailureRange::bins_between(from, to, bin_ms);
    let bin = |hour: i64| -> Option<usize> {
        (hour >= from && hour < to).then(|| ((hour - from) / bin_ms) as usize).filter(|i| *i < bins)
    };

    let mut requests = vec![[0i64; 5]; bins];
    for (hour, class, n) in state.store.requests_by_class(&scope, from, to).await? {
        if let (Some(i), 1..=5) = (bin(hour), class) {
            requests[i][(class - 1) as usize] += n;
        }
    }
    let mut histograms: Vec<BTreeMap<i64, i64>> = vec![BTreeMap::new(); bins];
    for (hour, bucket, n) in state.store.latency_by_bin(&scope, from, to, bin_ms).await? {
        if let Some(i) = bin(hour) {
            *histograms[i].entry(bucket).or_default() += n;
        }
    }
    let quantile = |q: f64| -> Vec<Option<i64>> {
        histograms
            .iter()
            .map(|h| percentile(&h.iter().map(|(b, n)| (*b, *n)).collect::<Vec<_>>(), q))
            .collect()
    };
    let (p50, p95) = (quantile(0.5), quantile(0.95));

    let by_status = |counts: Vec<(i64, String, i64)>, statuses: &[&str]| {
        let mut out = vec![vec![0i64; statuses.len()]; bins];
        for (start, status, total) in counts {
            if let (Some(i), Some(s)) = (bin(start), statuses.iter().position(|s| *s == status)) {
                out[i][s] += total;
            }
        }
        out
    };
    let runs = by_status(
        state.store.outcomes_by_bin(&scope, OutcomeKind::SyncRun, from, to, bin_ms).await?,
        RUN_STATUSES,
    );
    let deliveries = by_status(
        state.store.outcomes_by_bin(&scope, OutcomeKind::Delivery, from, to, bin_ms).await?,
        &DELIVERY_STATUSES,
    );

    let counted = state.store.connections_by_status(&scope).await?;
    let connections_by_status = ConnectionStatus::ALL
        .iter()
        .map(|s| {
            let n = counted.iter().find(|(k, _)| k == s.as_str()).map(|(_, n)| *n).unwrap_or(0);
            (s.as_str().to_string(), n)
        })
        .collect();
    Ok(OverviewReport {
        organization_name: organization_name.to_string(),
        environment: scope.environment.clone(),
        range,
        from,
        to,
        bin_ms,
        requests,
        p50,
        p95,
        runs,
        deliveries,
        connections_by_status,
    })
}
