//! The benchmarks, one per context, run by `switchboard bench-*` and `scripts/bench.sh`. They
//! print figures; none is a test, so none can make CI flaky.

pub mod classify;
pub mod ingest;
pub mod issues;
pub mod pages;
pub mod purge;
pub mod redaction;
pub mod request_logs;
pub mod sync;
pub mod webhooks;

use crate::server::store::StoreResult;
use std::time::Instant;

pub(crate) async fn time_runs<F, Fut>(runs: usize, mut f: F) -> StoreResult<(f64, f64)>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = StoreResult<()>>,
{
    f().await?; // warm-up
    let mut ms = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        f().await?;
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    ms.sort_by(|a, b| a.total_cmp(b));
    Ok((percentile(&ms, 0.5), percentile(&ms, 0.95)))
}

/// The value at quantile `p` of sorted figures.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}
