//! The in-flight limit: at most `n` queries at once. When a slot frees,
//! the waiting query of the best [`Rank`] takes it, first come first
//! served within a rank, so that queries the rest of the plan waits on are
//! not queued behind ones only the report needs.
//!
//! Single-threaded, like the client: state is in `Cell`s and wakers are
//! called after every borrow ends. A waiting query that is dropped
//! (cancelled) leaves the queue and passes on any slot it was woken for.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

/// How soon a query's answer is needed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rank {
    /// Later queries wait on it.
    Urgent,
    /// Only the finished report needs it.
    Background,
}

/// At most `n` holders of a [`Permit`] at once.
pub struct Slots {
    free: Cell<usize>,
    waiting: RefCell<BTreeMap<(Rank, u64), Waker>>,
    tickets: Cell<u64>,
}

impl Slots {
    /// `n` slots.
    pub fn new(n: usize) -> Self {
        Slots { free: Cell::new(n), waiting: RefCell::new(BTreeMap::new()), tickets: Cell::new(0) }
    }

    /// Waits for a slot, behind every waiter of a better rank and every
    /// earlier waiter of the same rank.
    pub fn acquire(&self, rank: Rank) -> Acquire<'_> {
        self.tickets.set(self.tickets.get() + 1);
        Acquire { slots: self, key: (rank, self.tickets.get()), queued: false }
    }

    /// Slots not held.
    #[cfg(test)]
    fn free(&self) -> usize {
        self.free.get()
    }

    /// Wakes the first waiter if a slot is free.
    fn wake_first(&self) {
        let first = (self.free.get() > 0).then(|| self.waiting.borrow().values().next().cloned()).flatten();
        if let Some(waker) = first {
            waker.wake();
        }
    }
}

/// A slot being waited for.
pub struct Acquire<'a> {
    slots: &'a Slots,
    key: (Rank, u64),
    queued: bool,
}

impl<'a> Future for Acquire<'a> {
    type Output = Permit<'a>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context) -> Poll<Permit<'a>> {
        let slots = self.slots;
        let first = slots.waiting.borrow().keys().next().is_none_or(|k| *k >= self.key);
        if slots.free.get() > 0 && first {
            slots.free.set(slots.free.get() - 1);
            slots.waiting.borrow_mut().remove(&self.key);
            self.queued = false;
            // More slots may be free than this one: the next waiter's turn.
            slots.wake_first();
            return Poll::Ready(Permit { slots });
        }
        slots.waiting.borrow_mut().insert(self.key, cx.waker().clone());
        self.queued = true;
        Poll::Pending
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        if self.queued {
            self.slots.waiting.borrow_mut().remove(&self.key);
            self.slots.wake_first();
        }
    }
}

/// A held slot, given back when dropped.
pub struct Permit<'a> {
    slots: &'a Slots,
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        self.slots.free.set(self.slots.free.get() + 1);
        self.slots.wake_first();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::task::noop_waker;

    fn poll<'a>(a: &mut Acquire<'a>) -> Option<Permit<'a>> {
        match Pin::new(a).poll(&mut Context::from_waker(&noop_waker())) {
            Poll::Ready(p) => Some(p),
            Poll::Pending => None,
        }
    }

    #[test]
    fn a_freed_slot_goes_to_the_best_rank_then_the_earliest() {
        let slots = Slots::new(1);
        let mut holder = slots.acquire(Rank::Urgent);
        let held = poll(&mut holder).expect("a free slot");
        let mut background = slots.acquire(Rank::Background);
        let mut urgent_1 = slots.acquire(Rank::Urgent);
        let mut urgent_2 = slots.acquire(Rank::Urgent);
        assert!(poll(&mut background).is_none() && poll(&mut urgent_2).is_none() && poll(&mut urgent_1).is_none());
        drop(held);
        assert!(poll(&mut background).is_none(), "urgent queries wait ahead of it");
        assert!(poll(&mut urgent_2).is_none(), "urgent_1 asked first");
        let p1 = poll(&mut urgent_1).expect("the first urgent waiter");
        drop(p1);
        let p2 = poll(&mut urgent_2).expect("then the second");
        assert!(poll(&mut background).is_none());
        drop(p2);
        assert!(poll(&mut background).is_some());
    }

    #[test]
    fn a_new_background_query_does_not_pass_a_waiting_one_and_n_hold_at_once() {
        let slots = Slots::new(2);
        let (mut a, mut b, mut c) = (slots.acquire(Rank::Background), slots.acquire(Rank::Background), slots.acquire(Rank::Background));
        let (pa, pb) = (poll(&mut a).unwrap(), poll(&mut b).unwrap());
        assert!(poll(&mut c).is_none(), "two slots, two holders");
        drop(pa);
        let mut late = slots.acquire(Rank::Background);
        assert!(poll(&mut late).is_none(), "c waits ahead of it");
        assert!(poll(&mut c).is_some());
        drop(pb);
        assert!(poll(&mut late).is_some());
    }

    #[test]
    fn a_dropped_waiter_leaves_the_queue_and_passes_its_turn_on() {
        let slots = Slots::new(1);
        let mut holder = slots.acquire(Rank::Urgent);
        let held = poll(&mut holder).unwrap();
        let mut cancelled = slots.acquire(Rank::Urgent);
        let mut next = slots.acquire(Rank::Background);
        assert!(poll(&mut cancelled).is_none() && poll(&mut next).is_none());
        drop(held);
        drop(cancelled);
        let p = poll(&mut next).expect("the dropped waiter is not in the way");
        assert_eq!(slots.free(), 0);
        drop(p);
        assert_eq!(slots.free(), 1);
    }

    #[test]
    fn a_freed_slot_wakes_the_waiter_whose_turn_it_is() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;
        struct Count(AtomicUsize);
        impl futures::task::ArcWake for Count {
            fn wake_by_ref(me: &Arc<Self>) {
                me.0.fetch_add(1, Ordering::SeqCst);
            }
        }
        let slots = Slots::new(1);
        let mut holder = slots.acquire(Rank::Urgent);
        let held = poll(&mut holder).unwrap();
        let (bg, urgent) = (Arc::new(Count(AtomicUsize::new(0))), Arc::new(Count(AtomicUsize::new(0))));
        let mut b = slots.acquire(Rank::Background);
        let mut u = slots.acquire(Rank::Urgent);
        assert!(Pin::new(&mut b).poll(&mut Context::from_waker(&futures::task::waker(bg.clone()))).is_pending());
        assert!(Pin::new(&mut u).poll(&mut Context::from_waker(&futures::task::waker(urgent.clone()))).is_pending());
        drop(held);
        assert_eq!((urgent.0.load(Ordering::SeqCst), bg.0.load(Ordering::SeqCst)), (1, 0));
    }
}
