//! A fair gate: a fixed number of turns shared between tenants. A plain semaphore serves
//! waiters first come, first served, so one organization queueing a hundred batches makes
//! everyone else wait behind all of them. Here each tenant has its own queue and a freed turn
//! goes to the next tenant in rotation: a newcomer waits for at most one turn per other tenant
//! waiting, however deep their queues are.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

pub struct FairGate {
    state: Mutex<State>,
}

struct State {
    free: usize,
    /// Each waiting tenant's queue, in arrival order.
    queues: HashMap<String, VecDeque<oneshot::Sender<Turn>>>,
    /// Tenants with someone waiting, in the order they get the next turns.
    rotation: VecDeque<String>,
}

/// One turn through the gate; handed to the next waiter when dropped.
pub struct Turn {
    gate: Option<Arc<FairGate>>,
}

impl FairGate {
    pub fn new(turns: usize) -> Arc<Self> {
        Arc::new(FairGate {
            state: Mutex::new(State {
                free: turns.max(1),
                queues: HashMap::new(),
                rotation: VecDeque::new(),
            }),
        })
    }

    /// Waits for a turn on behalf of `tenant`.
    pub async fn enter(self: &Arc<Self>, tenant: &str) -> Turn {
        let rx = {
            let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
            if s.free > 0 && s.rotation.is_empty() {
                s.free -= 1;
                return Turn { gate: Some(self.clone()) };
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
        rx.await.unwrap_or(Turn { gate: None })
    }

    /// How many are waiting, for tests and metrics.
    pub fn waiting(&self) -> usize {
        let s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        s.queues.values().map(VecDeque::len).sum()
    }

    /// Passes a freed turn to the next tenant in rotation, or frees it.
    fn hand_on(self: &Arc<Self>) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let mut turn = Turn { gate: Some(self.clone()) };
        while let Some(tenant) = s.rotation.pop_front() {
            let Some(queue) = s.queues.get_mut(&tenant) else { continue };
            let next = queue.pop_front();
            if queue.is_empty() {
                s.queues.remove(&tenant);
            } else {
                s.rotation.push_back(tenant);
            }
            let Some(tx) = next else { continue };
            match tx.send(turn) {
                Ok(()) => return,
                // That waiter gave up (its caller went away): the next one gets the turn.
                Err(back) => turn = back,
            }
        }
        s.free += 1;
        // The turn was not handed on: dropping it must not hand it on again.
        turn.gate = None;
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        if let Some(gate) = self.gate.take() {
            gate.hand_on();
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
        let gate = FairGate::new(2);
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
