//! The two waits [`super::HnswIndex`] puts around usearch's calls: [`Slots`] bounds the callers
//! to usearch's per-thread contexts, [`Turns`] keeps graph writes and searches apart.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

/// A fair counting semaphore: at most `n` holders at once; the others wait in arrival order,
/// and a released slot is handed to the longest waiter (a caller that releases and asks again
/// at once cannot jump the queue, which would starve the waiters and ruin tail latency).
pub(super) struct Slots {
    state: Mutex<SlotState>,
}

struct SlotState {
    free: usize,
    waiters: VecDeque<Arc<Waiter>>,
}

#[derive(Default)]
struct Waiter {
    granted: Mutex<bool>,
    wake: Condvar,
}

pub(super) struct Slot<'a>(&'a Slots);

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Slots {
    pub(super) fn new(n: usize) -> Self {
        Slots {
            state: Mutex::new(SlotState {
                free: n,
                waiters: VecDeque::new(),
            }),
        }
    }

    pub(super) fn acquire(&self) -> Slot<'_> {
        let waiter = {
            let mut state = lock(&self.state);
            if state.free > 0 && state.waiters.is_empty() {
                state.free -= 1;
                return Slot(self);
            }
            let waiter = Arc::new(Waiter::default());
            state.waiters.push_back(waiter.clone());
            waiter
        };
        let mut granted = lock(&waiter.granted);
        while !*granted {
            granted = waiter
                .wake
                .wait(granted)
                .unwrap_or_else(PoisonError::into_inner);
        }
        Slot(self)
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let mut state = lock(&self.0.state);
        match state.waiters.pop_front() {
            Some(next) => {
                *lock(&next.granted) = true;
                next.wake.notify_one();
            }
            None => state.free += 1,
        }
    }
}

/// Which side of [`Turns`] a caller is on.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Side {
    /// Inserts into the graph (usearch `add`, which may move the entry point).
    Write,
    /// Walks the graph (usearch `search`).
    Search,
}

/// Lets any number of callers of one side in at once, never both sides together.
///
/// usearch 2.26 publishes a new top level by storing `entry_slot_` and `max_level_` one after the
/// other, and its searches read the pair without a lock: a search that sees the new level with
/// the old entry node walks levels that node does not have and reads past its neighbour lists
/// (a segfault seen in CI). Adds among themselves and searches among themselves stay parallel.
/// A side that is waiting stops newcomers of the other side, so neither starves.
pub(super) struct Turns {
    state: Mutex<TurnState>,
    changed: Condvar,
}

#[derive(Default)]
struct TurnState {
    /// The side inside, if anyone is.
    inside: Option<Side>,
    /// Callers inside.
    count: usize,
    /// Callers waiting, by side: `[Write, Search]`.
    waiting: [usize; 2],
}

/// A caller's place inside [`Turns`]; leaving is dropping it.
pub(super) struct Turn<'a>(&'a Turns);

fn slot_of(side: Side) -> usize {
    match side {
        Side::Write => 0,
        Side::Search => 1,
    }
}

impl Turns {
    pub(super) fn new() -> Self {
        Turns {
            state: Mutex::new(TurnState::default()),
            changed: Condvar::new(),
        }
    }

    /// Waits until `side` may go in.
    pub(super) fn enter(&self, side: Side) -> Turn<'_> {
        let other = match side {
            Side::Write => Side::Search,
            Side::Search => Side::Write,
        };
        let mut state = lock(&self.state);
        state.waiting[slot_of(side)] += 1;
        loop {
            let may_enter = match state.inside {
                None => true,
                Some(inside) => inside == side && state.waiting[slot_of(other)] == 0,
            };
            if may_enter {
                break;
            }
            state = self
                .changed
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        state.waiting[slot_of(side)] -= 1;
        state.inside = Some(side);
        state.count += 1;
        Turn(self)
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        let mut state = lock(&self.0.state);
        state.count -= 1;
        if state.count == 0 {
            state.inside = None;
            self.0.changed.notify_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn sides_never_overlap_and_both_progress() {
        let turns = Turns::new();
        let (writers, searchers) = (AtomicUsize::new(0), AtomicUsize::new(0));
        std::thread::scope(|s| {
            for t in 0..6 {
                let side = if t % 2 == 0 {
                    Side::Write
                } else {
                    Side::Search
                };
                let (turns, writers, searchers) = (&turns, &writers, &searchers);
                s.spawn(move || {
                    let (mine, theirs) = match side {
                        Side::Write => (writers, searchers),
                        Side::Search => (searchers, writers),
                    };
                    for _ in 0..2000 {
                        let _turn = turns.enter(side);
                        mine.fetch_add(1, Ordering::SeqCst);
                        assert_eq!(
                            theirs.load(Ordering::SeqCst),
                            0,
                            "{side:?} met the other side"
                        );
                        std::hint::spin_loop();
                        mine.fetch_sub(1, Ordering::SeqCst);
                    }
                });
            }
        });
        assert_eq!(
            writers.load(Ordering::SeqCst) + searchers.load(Ordering::SeqCst),
            0
        );
    }

    #[test]
    fn one_side_shares() {
        let turns = Turns::new();
        let a = turns.enter(Side::Search);
        let b = turns.enter(Side::Search);
        drop((a, b));
        let c = turns.enter(Side::Write);
        let d = turns.enter(Side::Write);
        drop((c, d));
    }
}
