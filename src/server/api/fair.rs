//! A fair gate: a fixed number of turns shared between tenants. A plain semaphore serves
//! waiters first come, first served, so one organization queueing a hundred batches makes
//! everyone else wait behind all of them. Here no tenant holds more than its share of the turns
//! (half, by default), so a turn is free for a newcomer whenever one tenant floods; and waiters
//! have a queue per tenant, a freed turn going to the next tenant in rotation.
//!
//! A turn is CPU as well as a place in the database's queue: a batch is parsed, checked and
//! redacted on the server's cores. So while other tenants are active (they hold or await a turn,
//! or did within the last second), each tenant's share is divided between them: a flood then
//! runs one batch at a time beside another tenant's, instead of filling every core.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// How long a tenant counts as active after it last entered or left.
const ACTIVE_FOR: Duration = Duration::from_secs(1);

pub struct FairGate {
    state: Mutex<State>,
}

struct State {
    free: usize,
    /// Turns one tenant may hold at once.
    share: usize,
    /// Turns held, per tenant holding any.
    held: HashMap<String, usize>,
    /// Each waiting tenant's queue, in arrival order.
    queues: HashMap<String, VecDeque<oneshot::Sender<Turn>>>,
    /// Tenants with someone waiting, in the order they get the next turns.
    rotation: VecDeque<String>,
    /// When each tenant last entered or left.
    seen: HashMap<String, Instant>,
}

impl State {
    fn may_take(&self, tenant: &str) -> bool {
        self.held.get(tenant).copied().unwrap_or(0) < self.share_of(tenant)
    }

    /// The tenant's share: the whole share alone, divided by the number of active tenants
    /// otherwise (at least one turn).
    fn share_of(&self, tenant: &str) -> usize {
        let now = Instant::now();
        let others = self
            .seen
            .iter()
            .filter(|(t, at)| t.as_str() != tenant && now.duration_since(**at) < ACTIVE_FOR)
            .map(|(t, _)| t)
            .chain(self.held.keys().filter(|t| t.as_str() != tenant && !self.seen.contains_key(*t)))
            .count();
        (self.share / (others + 1)).max(1)
    }

    fn touch(&mut self, tenant: &str) {
        let now = Instant::now();
        self.seen.retain(|_, at| now.duration_since(*at) < ACTIVE_FOR);
        self.seen.insert(tenant.to_string(), now);
    }
}

/// One turn through the gate; handed to the next waiter when dropped.
pub struct Turn {
    gate: Option<Arc<FairGate>>,
    tenant: String,
}

impl FairGate {
    /// `turns` shared so that one tenant holds at most half of them (at least one).
    pub fn new(turns: usize) -> Arc<Self> {
        let turns = turns.max(1);
        Self::with_share(turns, turns.div_ceil(2))
    }

    /// `turns`, of which one tenant holds at most `share`.
    pub fn with_share(turns: usize, share: usize) -> Arc<Self> {
        Arc::new(FairGate {
            state: Mutex::new(State {
                free: turns.max(1),
                share: share.clamp(1, turns.max(1)),
                held: HashMap::new(),
                queues: HashMap::new(),
                rotation: VecDeque::new(),
                seen: HashMap::new(),
            }),
        })
    }

    /// Waits for a turn on behalf of `tenant`.
    pub async fn enter(self: &Arc<Self>, tenant: &str) -> Turn {
        let rx = {
            let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
            s.touch(tenant);
            // Straight through when a turn is free, the tenant is under its share and nobody
            // who could take that turn is waiting for it.
            let someone_first = s.rotation.iter().any(|t| s.may_take(t));
            if s.free > 0 && s.may_take(tenant) && !someone_first {
                s.free -= 1;
                *s.held.entry(tenant.to_string()).or_default() += 1;
                return Turn { gate: Some(self.clone()), tenant: tenant.to_string() };
            }
            let (tx, rx) = oneshot::channel();
            let queue = s.queues.entry(tenant.to_string()).or_default();
            queue.push_back(tx);
            if queue.len() == 1 {
                s.rotation.push_back(tenant.to_string());
            }
            rx
        };
        // The sender is only dropped after a turn was sent through it (or the gate is gone,
        // which cannot happen while `self` is held).
        rx.await.unwrap_or(Turn { gate: None, tenant: String::new() })
    }

    /// How many are waiting, for tests and metrics.
    pub fn waiting(&self) -> usize {
        let s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        s.queues.values().map(VecDeque::len).sum()
    }

    /// Takes back `tenant`'s turn and hands free turns to waiters, in rotation, skipping
    /// tenants at their share.
    fn give_back(self: &Arc<Self>, tenant: &str) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        s.touch(tenant);
        if let Some(n) = s.held.get_mut(tenant) {
            *n -= 1;
            if *n == 0 {
                s.held.remove(tenant);
            }
        }
        s.free += 1;
        let mut skipped = 0;
        while s.free > 0 && skipped < s.rotation.len() {
            let Some(next) = s.rotation.pop_front() else { break };
            if !s.may_take(&next) {
                s.rotation.push_back(next);
                skipped += 1;
                continue;
            }
            skipped = 0;
            let Some(queue) = s.queues.get_mut(&next) else { continue };
            let waiter = queue.pop_front();
            if queue.is_empty() {
                s.queues.remove(&next);
            } else {
                s.rotation.push_back(next.clone());
            }
            let Some(tx) = waiter else { continue };
            s.free -= 1;
            *s.held.entry(next.clone()).or_default() += 1;
            if let Err(mut back) = tx.send(Turn { gate: Some(self.clone()), tenant: next.clone() }) {
                // That waiter gave up (its caller went away): take the turn back here, without
                // its drop handing it on again under this lock.
                back.gate = None;
                s.free += 1;
                if let Some(n) = s.held.get_mut(&next) {
                    *n -= 1;
                    if *n == 0 {
                        s.held.remove(&next);
                    }
                }
            }
        }
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        if let Some(gate) = self.gate.take() {
            gate.give_back(&self.tenant);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One tenant with many batches queued, another arriving after them: the newcomer gets the
    /// very next turn, not the last.
    #[tokio::test]
    async fn a_flooding_tenant_does_not_make_others_wait_behind_its_queue() {
        let gate = FairGate::with_share(2, 2);
        let held = [gate.enter("flood").await, gate.enter("flood").await];
        let order = Arc::new(Mutex::new(vec![]));
        let mut tasks = vec![];
        let spawn = |tenant: &'static str, n: usize| {
            let (gate, order) = (gate.clone(), order.clone());
            tokio::spawn(async move {
                let _turn = gate.enter(tenant).await;
                order.lock().unwrap().push(format!("{tenant}{n}"));
            })
        };
        for n in 0..50 {
            tasks.push(spawn("flood", n));
            tokio::task::yield_now().await;
        }
        // Every flood batch is queued before the other tenant's one arrives.
        while gate.waiting() < 50 {
            tokio::task::yield_now().await;
        }
        tasks.push(spawn("quiet", 0));
        while gate.waiting() < 51 {
            tokio::task::yield_now().await;
        }
        drop(held);
        for t in tasks {
            t.await.unwrap();
        }
        let order = order.lock().unwrap().clone();
        let quiet = order.iter().position(|o| o == "quiet0").unwrap();
        assert!(quiet <= 2, "the quiet tenant went through at position {quiet}: {order:?}");
        assert_eq!(order.len(), 51);
        assert_eq!(gate.waiting(), 0);
        // Both turns are free again.
        let (_a, _b) = (gate.enter("x").await, gate.enter("y").await);
    }

    /// A tenant never holds more than its share: with half the turns held by a flood and more of
    /// it waiting, a newcomer goes straight through.
    #[tokio::test]
    async fn a_flood_holds_at_most_its_share_and_a_newcomer_walks_in() {
        let gate = FairGate::new(4);
        let held = [gate.enter("flood").await, gate.enter("flood").await];
        let waiting = tokio::spawn({
            let gate = gate.clone();
            async move {
                let _t = gate.enter("flood").await;
            }
        });
        while gate.waiting() < 1 {
            tokio::task::yield_now().await;
        }
        // Two turns are free, but the flood is at its share: it waits, the newcomer does not.
        let quiet = gate.enter("quiet").await;
        assert_eq!(gate.waiting(), 1);
        drop(held);
        waiting.await.unwrap();
        drop(quiet);
        let all: Vec<Turn> =
            vec![gate.enter("a").await, gate.enter("b").await, gate.enter("c").await, gate.enter("d").await];
        assert_eq!(all.len(), 4, "every turn came back");
    }

    /// While another tenant is active, a flood's share is divided: it runs one batch beside the
    /// other's, not half the turns.
    #[tokio::test]
    async fn a_share_is_divided_between_active_tenants() {
        let gate = FairGate::new(4);
        let first = gate.enter("flood").await;
        let quiet = gate.enter("quiet").await;
        let second = tokio::spawn({
            let gate = gate.clone();
            async move { gate.enter("flood").await }
        });
        while gate.waiting() < 1 {
            tokio::task::yield_now().await;
        }
        // Two turns are free, yet the flood waits: the quiet tenant is active.
        assert_eq!(gate.waiting(), 1);
        drop(quiet);
        drop(first);
        let second = second.await.unwrap();
        // The quiet tenant still counts for a moment after it left: one batch at a time.
        let third = tokio::spawn({
            let gate = gate.clone();
            async move { gate.enter("flood").await }
        });
        while gate.waiting() < 1 {
            tokio::task::yield_now().await;
        }
        drop(second);
        drop(third.await.unwrap());
    }

    /// A waiter that gives up does not take a turn with it.
    #[tokio::test]
    async fn an_abandoned_wait_loses_no_turn() {
        let gate = FairGate::new(1);
        let held = gate.enter("a").await;
        let abandoned = tokio::spawn({
            let gate = gate.clone();
            async move {
                let _t = gate.enter("b").await;
            }
        });
        while gate.waiting() < 1 {
            tokio::task::yield_now().await;
        }
        abandoned.abort();
        let _ = abandoned.await;
        drop(held);
        // The only turn is free: this would wait forever if it had been lost.
        let _t = gate.enter("c").await;
    }
}
