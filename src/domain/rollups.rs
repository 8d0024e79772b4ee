//! Counts per hour (issue 21): the fixed latency histogram that lets an hour's p50, p95 and p99
//! be read from counts, within 5%, without reading the hour's rows.
//!
//! A latency of `ms` falls in bucket `b = ceil(log_1.1(ms))` (0 for 0 or 1 ms), which holds
//! `(1.1^(b-1), 1.1^b]`. A percentile is reported as its bucket's geometric middle,
//! `1.1^(b-0.5)`, at most `sqrt(1.1) - 1` (4.9%) from any latency in the bucket. Bucket 140 is
//! the last one (1.1^140 ms is about 10.5 minutes): no request waits that long.

/// The ratio between consecutive bucket bounds.
const RATIO: f64 = 1.1;
/// The last bucket; longer latencies count in it.
pub const LAST_BUCKET: i64 = 140;

/// The bucket a latency in milliseconds counts in.
pub fn latency_bucket(ms: i64) -> i64 {
    if ms <= 1 {
        return 0;
    }
    // The float estimate can land one off at an exact bound: settle it with integer-free
    // comparisons against the bound itself.
    let mut b = ((ms as f64).ln() / RATIO.ln()).ceil() as i64;
    while b > 0 && upper_bound(b - 1) >= ms as f64 {
        b -= 1;
    }
    while upper_bound(b) < ms as f64 {
        b += 1;
    }
    b.clamp(0, LAST_BUCKET)
}

/// The largest latency a bucket holds.
fn upper_bound(b: i64) -> f64 {
    RATIO.powi(b as i32)
}

/// The latency a bucket stands for: its geometric middle (within 4.9% of every latency in it).
pub fn bucket_middle(b: i64) -> f64 {
    if b <= 0 {
        return 1.0;
    }
    RATIO.powf(b as f64 - 0.5)
}

/// [`bucket_middle`] rounded to a whole millisecond (which adds at most half a millisecond).
pub fn bucket_value(b: i64) -> i64 {
    bucket_middle(b).round() as i64
}

/// The `q` quantile (0 < q <= 1) of a histogram given as (bucket, count) pairs in any order;
/// `None` when it counts nothing. The nearest-rank method: the smallest latency with at least
/// `q` of the requests at or below it.
pub fn percentile(histogram: &[(i64, i64)], q: f64) -> Option<i64> {
    let total: i64 = histogram.iter().map(|(_, n)| n).sum();
    if total <= 0 {
        return None;
    }
    let mut sorted: Vec<(i64, i64)> = histogram.to_vec();
    sorted.sort_unstable();
    let rank = ((q * total as f64).ceil() as i64).clamp(1, total);
    let mut seen = 0;
    for (b, n) in sorted {
        seen += n;
        if seen >= rank {
            return Some(bucket_value(b));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_latency_is_within_five_percent_of_its_buckets_value() {
        for ms in (1..20_000).chain((20_000..600_000).step_by(997)) {
            let b = latency_bucket(ms);
            let v = bucket_middle(b);
            let err = (v - ms as f64).abs() / ms as f64;
            assert!(err <= 0.049, "{ms} ms -> bucket {b} -> {v} ({err})");
            assert!((bucket_value(b) as f64 - v).abs() <= 0.5);
            assert!(upper_bound(b) >= ms as f64 && (b == 0 || upper_bound(b - 1) < ms as f64), "{ms} in {b}");
        }
        assert_eq!(latency_bucket(0), 0);
        assert_eq!(latency_bucket(-5), 0);
        assert_eq!(latency_bucket(i64::MAX), LAST_BUCKET);
    }

    #[test]
    fn percentiles_come_from_counts() {
        // 90 requests at 100 ms, 10 at 2,000 ms.
        let h = [(latency_bucket(2_000), 10), (latency_bucket(100), 90)];
        let p50 = percentile(&h, 0.5).unwrap();
        let p95 = percentile(&h, 0.95).unwrap();
        assert!((95..=105).contains(&p50), "{p50}");
        assert!((1_900..=2_100).contains(&p95), "{p95}");
        assert_eq!(percentile(&[], 0.5), None);
        assert_eq!(percentile(&[(3, 0)], 0.5), None);
    }
}
