//! A lock that behaves like CPython 3.13's `PyMutex` (`Python/lock.c`), the lock behind
//! `threading.Lock` since 3.13.1.
//!
//! Why it exists: the seed's most striking number is the free-threaded lock, 27x slower than
//! one thread. A plain `std::sync::Mutex` does not show that in a browser: its waiters sleep in
//! `Atomics.wait`, wake slowly, and meanwhile the owner simply takes the lock again. PyMutex
//! trades throughput for fairness in two ways, and both are modelled here:
//! - a thread that finds the lock taken spins [`MAX_SPIN_COUNT`] times, then parks (sleeps in
//!   a queue); an unlock that sees parked threads must wake one (a slow path every time);
//! - a thread that has waited longer than [`TIME_TO_BE_FAIR_NS`] (1 ms) gets the lock
//!   handed over directly: it owns the lock while it is still waking up, and nobody runs.
//!
//! The lock word holds two bits, `LOCKED` and `HAS_PARKED`, as in CPython; the parking lot is
//! a queue behind a std `Mutex` (CPython hashes the address into buckets; one lock is enough
//! here), so a thread can never park after the unlock that should have woken it.

use std::cell::UnsafeCell;
use std::collections::VecDeque;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};

use crate::measure::clock::Clock;
use crate::measure::timeline::{Mark, Recorder, State};

/// Spins before parking (CPython's `MAX_SPIN_COUNT`, free-threaded builds).
pub const MAX_SPIN_COUNT: u32 = 40;
/// A waiter older than this gets the lock handed over directly (CPython's `TIME_TO_BE_FAIR_NS`).
pub const TIME_TO_BE_FAIR_NS: u64 = 1_000_000;

const LOCKED: u8 = 1;
const HAS_PARKED: u8 = 2;

/// A parked thread.
struct Waiter {
    /// Set (under the mutex) when the thread is woken.
    woken: Mutex<bool>,
    cond: Condvar,
    /// When the thread started waiting plus 1 ms: after that, unlock hands the lock over.
    fair_at_ns: u64,
    /// Whether the unlock that woke it handed it the lock.
    handed_off: AtomicBool,
}

/// A PyMutex-like lock around a `T`.
pub struct PyMutex<T> {
    bits: AtomicU8,
    parked: Mutex<VecDeque<Arc<Waiter>>>,
    value: UnsafeCell<T>,
}

// SAFETY: `value` is only reached through a guard, and a guard exists only while `LOCKED` is
// owned by its thread: acquiring is an Acquire CAS (or a handoff, ordered by the waiter's
// mutex), releasing a Release store. So accesses to `value` never race.
unsafe impl<T: Send> Sync for PyMutex<T> {}
unsafe impl<T: Send> Send for PyMutex<T> {}

impl<T> PyMutex<T> {
    /// An unlocked lock around `value`.
    pub fn new(value: T) -> Self {
        PyMutex {
            bits: AtomicU8::new(0),
            parked: Mutex::new(VecDeque::new()),
            value: UnsafeCell::new(value),
        }
    }

    /// Takes the lock if it is free (even if threads are parked: PyMutex lets a running thread
    /// barge in). `clock` is used by the guard's unlock.
    pub fn try_lock<'a>(&'a self, clock: &'a dyn Clock) -> Option<PyMutexGuard<'a, T>> {
        let mut bits = self.bits.load(Ordering::Relaxed);
        while bits & LOCKED == 0 {
            match self.bits.compare_exchange_weak(
                bits,
                bits | LOCKED,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Some(PyMutexGuard { lock: self, clock }),
                Err(now) => bits = now,
            }
        }
        None
    }

    /// Takes the lock, spinning and then parking as PyMutex does. Park and handoff are recorded
    /// in `rec`.
    pub fn lock<'a>(&'a self, rec: &mut Recorder<'a>, clock: &'a dyn Clock) -> PyMutexGuard<'a, T> {
        let fair_at_ns = rec.now() + TIME_TO_BE_FAIR_NS;
        let mut spins = 0;
        let mut bits = self.bits.load(Ordering::Relaxed);
        loop {
            if bits & LOCKED == 0 {
                match self.bits.compare_exchange(
                    bits,
                    bits | LOCKED,
                    Ordering::Acquire,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => return PyMutexGuard { lock: self, clock },
                    Err(now) => {
                        bits = now;
                        continue;
                    }
                }
            }
            if bits & HAS_PARKED == 0 && spins < MAX_SPIN_COUNT {
                // CPython yields here (sched_yield); in wasm this is a no-op, a plain spin.
                std::thread::yield_now();
                spins += 1;
                bits = self.bits.load(Ordering::Relaxed);
                continue;
            }
            if bits & HAS_PARKED == 0 {
                if let Err(now) = self.bits.compare_exchange(
                    bits,
                    bits | HAS_PARKED,
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                ) {
                    bits = now;
                    continue;
                }
                bits |= HAS_PARKED;
            }
            if self.park(bits, fair_at_ns, rec) {
                // Handed over: LOCKED was left set for us.
                return PyMutexGuard { lock: self, clock };
            }
            bits = self.bits.load(Ordering::Relaxed);
        }
    }

    /// Sleeps until woken, unless the lock word is no longer `expected`. Returns whether the
    /// lock was handed over.
    fn park(&self, expected: u8, fair_at_ns: u64, rec: &mut Recorder<'_>) -> bool {
        let waiter = Arc::new(Waiter {
            woken: Mutex::new(false),
            cond: Condvar::new(),
            fair_at_ns,
            handed_off: AtomicBool::new(false),
        });
        {
            let mut queue = self.parked.lock().unwrap_or_else(PoisonError::into_inner);
            if self.bits.load(Ordering::Relaxed) != expected {
                return false;
            }
            queue.push_back(Arc::clone(&waiter));
        }
        let before = rec.state();
        rec.counts().parks += 1;
        rec.enter(rec.now(), State::Parked, 0, 0);
        let mut woken = waiter.woken.lock().unwrap_or_else(PoisonError::into_inner);
        while !*woken {
            woken = waiter.cond.wait(woken).unwrap_or_else(PoisonError::into_inner);
        }
        drop(woken);
        let handed_off = waiter.handed_off.load(Ordering::Relaxed);
        let now = rec.now();
        rec.enter(now, before, 0, 0);
        if handed_off {
            rec.counts().lock_handoffs += 1;
            rec.mark(now, Mark::LockHandoff, 0, 0);
        }
        handed_off
    }

    fn unlock(&self, clock: &dyn Clock) {
        if self.bits.compare_exchange(LOCKED, 0, Ordering::Release, Ordering::Relaxed).is_ok() {
            return;
        }
        // Threads are parked: wake the oldest, and hand it the lock if it waited over 1 ms.
        let mut queue = self.parked.lock().unwrap_or_else(PoisonError::into_inner);
        let waiter = queue.pop_front();
        let mut bits = 0;
        if let Some(waiter) = &waiter {
            let fair = clock.now_ns() > waiter.fair_at_ns;
            waiter.handed_off.store(fair, Ordering::Relaxed);
            if fair {
                bits |= LOCKED;
            }
            if !queue.is_empty() {
                bits |= HAS_PARKED;
            }
        }
        self.bits.store(bits, Ordering::Release);
        drop(queue);
        if let Some(waiter) = waiter {
            *waiter.woken.lock().unwrap_or_else(PoisonError::into_inner) = true;
            waiter.cond.notify_one();
        }
    }

    /// The value, once no thread can hold the lock any more.
    pub fn into_inner(self) -> T {
        self.value.into_inner()
    }
}

/// Holds a [`PyMutex`]; unlocks when dropped.
pub struct PyMutexGuard<'a, T> {
    lock: &'a PyMutex<T>,
    clock: &'a dyn Clock,
}

impl<T> Deref for PyMutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: this guard owns the lock (see the Sync impl).
        unsafe { &*self.lock.value.get() }
    }
}

impl<T> DerefMut for PyMutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: this guard owns the lock (see the Sync impl).
        unsafe { &mut *self.lock.value.get() }
    }
}

impl<T> Drop for PyMutexGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.unlock(self.clock);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::clock::InstantClock;

    #[test]
    fn counts_exactly_under_contention() {
        let _alone = crate::test_support::serial();
        let clock = InstantClock::new();
        let lock = PyMutex::new(0u64);
        std::thread::scope(|s| {
            let workers: Vec<_> = (0..4)
                .map(|_| {
                    s.spawn(|| {
                        let mut rec = Recorder::new(&clock, State::Running);
                        for _ in 0..50_000 {
                            let mut guard = match lock.try_lock(&clock) {
                                Some(g) => g,
                                None => lock.lock(&mut rec, &clock),
                            };
                            *guard += 1;
                        }
                    })
                })
                .collect();
            workers.into_iter().for_each(|w| w.join().unwrap());
        });
        assert_eq!(lock.into_inner(), 200_000);
    }

    #[test]
    fn a_waiter_older_than_1_ms_gets_the_lock_handed_over() {
        let _alone = crate::test_support::serial();
        let clock = InstantClock::new();
        let lock = PyMutex::new(Vec::new());
        let guard = lock.try_lock(&clock).unwrap();
        std::thread::scope(|s| {
            let waiter = s.spawn(|| {
                let mut rec = Recorder::new(&clock, State::Running);
                lock.lock(&mut rec, &clock).push("waiter");
                rec.finish(clock.now_ns())
            });
            // Let the waiter spin out and park, then wait past the fairness deadline.
            while lock.bits.load(Ordering::Relaxed) & HAS_PARKED == 0 {
                std::thread::yield_now();
            }
            std::thread::sleep(std::time::Duration::from_millis(3));
            drop(guard);
            // A running thread cannot barge in: the lock now belongs to the waiter.
            let barged = lock.try_lock(&clock).map(|mut g| g.push("barger")).is_some();
            let log = waiter.join().unwrap();
            assert_eq!(log.counts.lock_handoffs, 1);
            assert!(log.events.iter().any(|e| e.mark == Some(Mark::LockHandoff)));
            assert!(log.state_ns.parked >= 2_000_000);
            if barged {
                assert_eq!(lock.try_lock(&clock).unwrap().as_slice(), ["waiter", "barger"]);
            }
        });
    }
}
