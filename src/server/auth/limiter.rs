//! The sign-in limiter: how many password guesses a client may make, and how many password
//! verifications run at once.
//!
//! Counting is atomic with checking: [`SignInLimiter::begin`] counts an attempt as a failure
//! under the same lock that checked the limits, and a correct password takes it back. So a
//! burst of parallel guesses cannot slip through between a check and a count.
//!
//! Three windows, each 15 minutes:
//! - per client address and email: 5 failures, then that pair waits;
//! - per client address (IPv6 by /64) across emails: 30 failures, so one client cannot try a
//!   password against many accounts;
//! - per email across addresses: after 20 failures, one attempt every 10 seconds. This slows a
//!   distributed guess but never locks the owner out for long: from another address they wait
//!   10 seconds at most.
//!
//! Memory is bounded: keys are 64-bit keyed hashes (not the emails themselves), each window
//! keeps at most its limit of timestamps, and each map holds at most `capacity` keys, evicting
//! the stalest when full. Argon2 needs 19 MiB per verification, so a semaphore caps how many run
//! at once; when it stays full the caller answers 503 with `Retry-After`.

use std::collections::{HashMap, VecDeque};
use std::hash::BuildHasher;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::sync::{Semaphore, SemaphorePermit};

pub const WINDOW: Duration = Duration::from_secs(15 * 60);
pub const MAX_PER_PAIR: usize = 5;
pub const MAX_PER_ADDRESS: usize = 30;
pub const EMAIL_SLOWDOWN_AFTER: usize = 20;
pub const EMAIL_SLOWDOWN: Duration = Duration::from_secs(10);
pub const DEFAULT_CAPACITY: usize = 10_000;
/// The longest email address (RFC 5321 path limit); longer input is refused before counting.
pub const MAX_EMAIL_LEN: usize = 254;
/// How long a sign-in waits for a verification slot before answering 503.
pub const VERIFY_WAIT: Duration = Duration::from_secs(3);

#[derive(Default)]
struct Windows {
    hits: HashMap<u64, VecDeque<Instant>>,
}

impl Windows {
    fn prune(q: &mut VecDeque<Instant>, now: Instant) {
        while q.front().is_some_and(|t| now.saturating_duration_since(*t) >= WINDOW) {
            q.pop_front();
        }
    }

    fn count(&mut self, key: u64, now: Instant) -> (usize, Option<Instant>, Option<Instant>) {
        match self.hits.get_mut(&key) {
            Some(q) => {
                Self::prune(q, now);
                (q.len(), q.front().copied(), q.back().copied())
            }
            None => (0, None, None),
        }
    }

    fn push(&mut self, key: u64, now: Instant, keep: usize, capacity: usize) {
        if !self.hits.contains_key(&key) && self.hits.len() >= capacity {
            self.hits.retain(|_, q| q.back().is_some_and(|t| now.saturating_duration_since(*t) < WINDOW));
            if self.hits.len() >= capacity {
                // Still full of live entries: drop the one whose last failure is oldest.
                if let Some(stalest) =
                    self.hits.iter().min_by_key(|(_, q)| q.back().copied()).map(|(k, _)| *k)
                {
                    self.hits.remove(&stalest);
                }
            }
        }
        let q = self.hits.entry(key).or_default();
        q.push_back(now);
        while q.len() > keep {
            q.pop_front();
        }
    }

    fn remove_one(&mut self, key: u64, at: Instant) {
        if let Some(q) = self.hits.get_mut(&key) {
            if let Some(pos) = q.iter().rposition(|t| *t == at) {
                q.remove(pos);
            }
            if q.is_empty() {
                self.hits.remove(&key);
            }
        }
    }
}

#[derive(Default)]
struct State {
    pair: Windows,
    address: Windows,
    email: Windows,
}

/// A counted attempt; give it back with [`SignInLimiter::succeeded`] or
/// [`SignInLimiter::not_verified`].
#[derive(Debug, Clone, Copy)]
pub struct Attempt {
    pair: u64,
    address: u64,
    email: u64,
    at: Instant,
}

pub struct SignInLimiter {
    state: Mutex<State>,
    hasher: std::collections::hash_map::RandomState,
    capacity: usize,
    verifications: Semaphore,
    verified: AtomicU64,
}

impl Default for SignInLimiter {
    fn default() -> Self {
        // A few verifications per core: enough to keep the cores busy, not enough to run the
        // machine out of memory (argon2 needs 19 MiB each).
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        Self::new(DEFAULT_CAPACITY, 2 * cores)
    }
}

impl SignInLimiter {
    pub fn new(capacity: usize, concurrent_verifications: usize) -> Self {
        SignInLimiter {
            state: Mutex::new(State::default()),
            hasher: Default::default(),
            capacity: capacity.max(1),
            verifications: Semaphore::new(concurrent_verifications.max(1)),
            verified: AtomicU64::new(0),
        }
    }

    fn hash(&self, parts: &[&str]) -> u64 {
        self.hasher.hash_one(parts)
    }

    /// The part of the address a client controls: the whole IPv4 address, the /64 of IPv6.
    fn address_key(ip: Option<&str>) -> String {
        match ip.and_then(|s| s.parse::<IpAddr>().ok()) {
            Some(IpAddr::V6(v6)) => {
                if let Some(v4) = v6.to_ipv4_mapped() {
                    return v4.to_string();
                }
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
            Some(IpAddr::V4(v4)) => v4.to_string(),
            None => ip.unwrap_or("-").chars().take(64).collect(),
        }
    }

    /// Checks every limit and counts the attempt, atomically. `Err(wait)` when the client must
    /// wait before trying again.
    pub fn begin(&self, ip: Option<&str>, email: &str, now: Instant) -> Result<Attempt, Duration> {
        let address = Self::address_key(ip);
        let attempt = Attempt {
            pair: self.hash(&["pair", &address, email]),
            address: self.hash(&["address", &address]),
            email: self.hash(&["email", email]),
            at: now,
        };
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let wait_window = |first: Option<Instant>| {
            WINDOW.saturating_sub(now.saturating_duration_since(first.unwrap_or(now)))
        };
        let (n, first, _) = st.pair.count(attempt.pair, now);
        if n >= MAX_PER_PAIR {
            return Err(wait_window(first).max(Duration::from_secs(1)));
        }
        let (n, first, _) = st.address.count(attempt.address, now);
        if n >= MAX_PER_ADDRESS {
            return Err(wait_window(first).max(Duration::from_secs(1)));
        }
        let (n, _, last) = st.email.count(attempt.email, now);
        if n >= EMAIL_SLOWDOWN_AFTER {
            let since_last = now.saturating_duration_since(last.unwrap_or(now));
            if since_last < EMAIL_SLOWDOWN {
                return Err((EMAIL_SLOWDOWN - since_last).max(Duration::from_secs(1)));
            }
        }
        let cap = self.capacity;
        st.pair.push(attempt.pair, now, MAX_PER_PAIR, cap);
        st.address.push(attempt.address, now, MAX_PER_ADDRESS, cap);
        st.email.push(attempt.email, now, EMAIL_SLOWDOWN_AFTER + 1, cap);
        Ok(attempt)
    }

    /// The password was right: the attempt does not count, and the pair starts afresh.
    pub fn succeeded(&self, attempt: Attempt) {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        st.pair.hits.remove(&attempt.pair);
        st.address.remove_one(attempt.address, attempt.at);
        st.email.remove_one(attempt.email, attempt.at);
    }

    /// No password was checked (the server was busy): the attempt does not count.
    pub fn not_verified(&self, attempt: Attempt) {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        st.pair.remove_one(attempt.pair, attempt.at);
        st.address.remove_one(attempt.address, attempt.at);
        st.email.remove_one(attempt.email, attempt.at);
    }

    /// A slot to run one password verification in, or `None` when all stay busy for
    /// [`VERIFY_WAIT`].
    pub async fn verification_slot(&self) -> Option<SemaphorePermit<'_>> {
        tokio::time::timeout(VERIFY_WAIT, self.verifications.acquire()).await.ok()?.ok()
    }

    /// Called for every password verification actually run.
    pub fn count_verification(&self) {
        self.verified.fetch_add(1, Ordering::Relaxed);
    }

    /// How many password verifications ran since start.
    pub fn verifications(&self) -> u64 {
        self.verified.load(Ordering::Relaxed)
    }

    /// Keys held across the three windows (bounded by three times the capacity).
    pub fn entries(&self) -> usize {
        let st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        st.pair.hits.len() + st.address.hits.len() + st.email.hits.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pair_blocks_after_five_and_other_addresses_still_work() {
        let l = SignInLimiter::new(100, 2);
        let t = Instant::now();
        for _ in 0..MAX_PER_PAIR {
            l.begin(Some("1.2.3.4"), "a@b.test", t).unwrap();
        }
        let wait = l.begin(Some("1.2.3.4"), "a@b.test", t).unwrap_err();
        assert!(wait > Duration::from_secs(14 * 60));
        // The owner, from another address, is not locked out.
        assert!(l.begin(Some("5.6.7.8"), "a@b.test", t).is_ok());
        // The window passes.
        assert!(l.begin(Some("1.2.3.4"), "a@b.test", t + WINDOW).is_ok());
    }

    #[test]
    fn success_gives_the_attempt_back() {
        let l = SignInLimiter::new(100, 2);
        let t = Instant::now();
        for _ in 0..20 {
            let a = l.begin(Some("1.2.3.4"), "a@b.test", t).unwrap();
            l.succeeded(a);
        }
        assert!(l.begin(Some("1.2.3.4"), "a@b.test", t).is_ok());
    }

    #[test]
    fn one_address_cannot_spray_many_accounts_and_ipv6_counts_by_64() {
        let l = SignInLimiter::new(1000, 2);
        let t = Instant::now();
        for i in 0..MAX_PER_ADDRESS {
            // Different hosts of one /64 are one client.
            l.begin(Some(&format!("2001:db8:1:2::{i:x}")), &format!("user{i}@b.test"), t).unwrap();
        }
        assert!(l.begin(Some("2001:db8:1:2::ffff"), "new@b.test", t).is_err());
        assert!(l.begin(Some("2001:db8:1:3::1"), "new@b.test", t).is_ok());
    }

    #[test]
    fn a_distributed_guess_only_slows_the_owner_down_briefly() {
        let l = SignInLimiter::new(1000, 2);
        let t = Instant::now();
        for i in 0..EMAIL_SLOWDOWN_AFTER {
            l.begin(Some(&format!("10.0.0.{i}")), "owner@b.test", t).unwrap();
        }
        let wait = l.begin(Some("192.0.2.1"), "owner@b.test", t).unwrap_err();
        assert!(wait <= EMAIL_SLOWDOWN, "{wait:?}");
        assert!(l.begin(Some("192.0.2.1"), "owner@b.test", t + EMAIL_SLOWDOWN).is_ok());
    }

    #[test]
    fn ten_thousand_long_emails_leave_memory_bounded() {
        let capacity = 1_000;
        let l = SignInLimiter::new(capacity, 2);
        let t = Instant::now();
        for i in 0..10_000u32 {
            let email = format!("{}{i}@x.test", "a".repeat(MAX_EMAIL_LEN - 16));
            let ip = format!("10.{}.{}.{}", i >> 16, (i >> 8) & 255, i & 255);
            let _ = l.begin(Some(&ip), &email, t);
        }
        assert!(l.entries() <= 3 * capacity, "{} keys", l.entries());
        // And with the default capacity: keys are fixed-size hashes, whatever the email length.
        let l = SignInLimiter::default();
        for i in 0..10_000u32 {
            let email = format!("{}{i}@x.test", "b".repeat(MAX_EMAIL_LEN - 16));
            let _ = l.begin(Some("198.51.100.7"), &email, t);
        }
        assert!(l.entries() <= 3 * DEFAULT_CAPACITY);
        assert!(l.entries() <= MAX_PER_ADDRESS * 2 + 1, "the address cap stops the flood: {}", l.entries());
    }
}
