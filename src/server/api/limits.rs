//! Per-key rate limits: a token bucket per API key in each process. A key over its limit gets
//! 429 with `Retry-After`; the bucket refills continuously, so a client that honours the header
//! gets through on its next try. (Each app process counts its own calls: behind a load balancer
//! the effective limit is per process, which is what protects each process's database pool.)

use super::error::ApiError;
use crate::domain::KeyScope;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// Sustained calls per second per key, by scope; bursts of twice that are allowed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimits {
    pub ingest_per_second: f64,
    pub read_per_second: f64,
}

impl Default for RateLimits {
    /// Ingest: 200 batches/s (200,000 rows/s at 1,000 per batch). Read: 50 calls/s.
    fn default() -> Self {
        RateLimits { ingest_per_second: 200.0, read_per_second: 50.0 }
    }
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

pub struct RateLimiter {
    limits: RateLimits,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl RateLimiter {
    pub fn new(limits: RateLimits) -> Self {
        RateLimiter { limits, buckets: Mutex::new(HashMap::new()) }
    }

    /// Takes one call from the key's bucket, or says how long to wait.
    pub fn check(&self, key_id: &str, scope: KeyScope) -> Result<(), ApiError> {
        let rate = match scope {
            KeyScope::Ingest => self.limits.ingest_per_second,
            KeyScope::Read | KeyScope::Backfills => self.limits.read_per_second,
        }
        .max(0.001);
        let burst = (rate * 2.0).max(1.0);
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() > 100_000 {
            buckets.retain(|_, b| now.duration_since(b.at).as_secs() < 60);
        }
        let b = buckets.entry(key_id.to_string()).or_insert(Bucket { tokens: burst, at: now });
        b.tokens = (b.tokens + now.duration_since(b.at).as_secs_f64() * rate).min(burst);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            let wait = ((1.0 - b.tokens) / rate).ceil().max(1.0) as u64;
            Err(ApiError::rate_limited(wait))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_over_its_limit_is_told_when_to_retry_and_other_keys_are_not_affected() {
        let l = RateLimiter::new(RateLimits { ingest_per_second: 1.0, read_per_second: 2.0 });
        // Burst of two for ingest.
        assert!(l.check("a", KeyScope::Ingest).is_ok());
        assert!(l.check("a", KeyScope::Ingest).is_ok());
        let e = l.check("a", KeyScope::Ingest).unwrap_err();
        assert_eq!(e.status.as_u16(), 429);
        assert_eq!(e.retry_after, Some(1));
        assert!(l.check("b", KeyScope::Ingest).is_ok());
        for _ in 0..4 {
            assert!(l.check("r", KeyScope::Read).is_ok());
        }
        assert!(l.check("r", KeyScope::Read).is_err());
    }
}
