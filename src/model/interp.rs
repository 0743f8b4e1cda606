//! What runs between the steps of `counter["value"] += 1`: nothing for free threads, the
//! emulated GIL's safe points for a GIL build. And the two low-level choices every kernel is
//! compiled for: the memory orderings and how a counter is written back.
//!
//! Kernels run in blocks of [`BLOCK`] iterations with nothing in between, and ask the
//! interpreter once per block whether it needs the next iteration *stepped* (each step
//! followed by [`Interpreter::after`]). Free threads never do; a GIL thread does when a drop
//! request is pending. So the GIL costs one flag load per block, not one per safe point: a
//! request is noticed at most one block late, a few hundred nanoseconds, which is invisible
//! at a switch interval of 0.1 ms or more. Where in the iteration it is then served is drawn
//! from CPython's step costs (see `gil.rs`), exactly as when the flag was read at every step.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use serde::Serialize;

use crate::choice::{About, choices};
use crate::measure::clock::Clock;
use crate::measure::timeline::{Mark, Recorder, State, ThreadTimeline};

/// Iterations between two looks at the interpreter (a drop request can wait this long).
pub const BLOCK: u64 = 128;

/// One step of `counter["value"] += 1` as CPython executes it. The GIL emulation puts its safe
/// points after steps; without a GIL the steps only mark where those points would be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// `FOR_ITER` and the loop variable store.
    Loop,
    /// `with lock:` entered (the lock is held from here).
    LockAcquire,
    /// `BINARY_SUBSCR`: the value is read from the dict.
    Read,
    /// `INPLACE_ADD` / `BINARY_OP +=`: the new value exists only in the thread.
    Add,
    /// `STORE_SUBSCR`: the value is written back.
    Write,
    /// `with` left: the `__exit__` call released the lock.
    LockRelease,
    /// The loop's back-edge jump.
    Jump,
}

/// What happens between the steps of one increment.
pub trait Interpreter<'c> {
    /// Whether the next iteration must run step by step. Asked once per [`BLOCK`].
    fn pending(&self) -> bool;

    /// Whether the run was asked to stop. Asked once per [`BLOCK`].
    fn stopped(&self) -> bool;

    /// Called after each step of a stepped iteration.
    fn after(&mut self, step: Step);

    /// Called in a stepped iteration after a counter read as `read` was written back,
    /// replacing `replaced`: lets the GIL emulation count what a stale write overwrote.
    fn wrote(&mut self, replaced: u64, read: u64);

    /// Waits for I/O (`time.sleep`): `wait` runs with the GIL released
    /// (`Py_BEGIN_ALLOW_THREADS`), and the thread takes the GIL back afterwards.
    fn allow_threads(&mut self, wait: impl FnOnce());

    /// Takes something that may block, such as the user's lock: `attempt` first, and only if it
    /// fails `block`. A GIL emulation releases the GIL around `block`, as CPython does.
    fn blocking<T>(
        &mut self,
        attempt: impl FnOnce() -> Option<T>,
        block: impl FnOnce(&mut Recorder<'c>) -> T,
    ) -> T;

    /// The thread's recorder (for counts and events).
    fn recorder(&mut self) -> &mut Recorder<'c>;
}

/// Threads with no GIL: the free-threaded world. Only lock waits are counted, and only where a
/// thread could not take the lock at once.
pub struct FreeThreads<'c> {
    rec: Recorder<'c>,
    stop: &'c AtomicBool,
    /// Blocks until the next sampled iteration (see [`SAMPLE_EVERY_BLOCKS`]).
    countdown: std::cell::Cell<u32>,
}

/// Without a GIL, one iteration in this many blocks runs step by step with a swap as its
/// write, so the timeline can mark where lost updates happen: sampled (one iteration in
/// 8,192), because checking every write would change the speed being shown.
pub const SAMPLE_EVERY_BLOCKS: u32 = 64;

/// A stop flag that is never raised.
pub static NEVER_STOP: AtomicBool = AtomicBool::new(false);

impl<'c> FreeThreads<'c> {
    /// A free thread that starts running now and ends early once `stop` is raised.
    pub fn new(clock: &'c dyn Clock, stop: &'c AtomicBool) -> Self {
        FreeThreads {
            rec: Recorder::new(clock, State::Running),
            stop,
            countdown: std::cell::Cell::new(SAMPLE_EVERY_BLOCKS),
        }
    }

    /// Ends the thread's log.
    pub fn finish(self) -> ThreadTimeline {
        let now = self.rec.now();
        self.rec.finish(now)
    }
}

impl<'c> Interpreter<'c> for FreeThreads<'c> {
    #[inline(always)]
    fn pending(&self) -> bool {
        let left = self.countdown.get();
        self.countdown.set(if left == 0 { SAMPLE_EVERY_BLOCKS } else { left - 1 });
        left == 0
    }

    #[inline(always)]
    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    #[inline(always)]
    fn after(&mut self, _step: Step) {}

    fn wrote(&mut self, replaced: u64, read: u64) {
        if replaced != read {
            // This write replaced a value another thread wrote after this one's read.
            self.rec.counts().sampled_lost_writes += 1;
            let now = self.rec.now();
            self.rec.mark(now, Mark::StaleWrite, 0, replaced as i64 - read as i64);
        }
    }

    fn allow_threads(&mut self, wait: impl FnOnce()) {
        let now = self.rec.now();
        self.rec.enter(now, State::Sleeping, 0, 0);
        wait();
        let now = self.rec.now();
        self.rec.enter(now, State::Running, 0, 0);
    }

    #[inline(always)]
    fn blocking<T>(
        &mut self,
        attempt: impl FnOnce() -> Option<T>,
        block: impl FnOnce(&mut Recorder<'c>) -> T,
    ) -> T {
        match attempt() {
            Some(value) => value,
            None => {
                self.rec.counts().lock_waits += 1;
                block(&mut self.rec)
            }
        }
    }

    fn recorder(&mut self) -> &mut Recorder<'c> {
        &mut self.rec
    }
}

choices! {
    /// The memory orderings of the kernels' atomics. The browser has only sequentially
    /// consistent wasm atomics, so `seqcst` is the default everywhere and native runs execute
    /// the same barriers: a true baseline. `relaxed` is a native-only extra.
    pub enum MemoryOrder: "order" => About {
        /// Sequentially consistent: what wasm executes.
        SeqCst => About {
            name: "seqcst",
            label: "Sequentially consistent",
            explain: "The orderings wasm atomics have: the same instructions natively and in the browser.",
        },
        /// Relaxed: cheaper natively; in wasm the same instructions as `seqcst`.
        Relaxed => About {
            name: "relaxed",
            label: "Relaxed (native only)",
            explain: "Relaxed atomics: a plain store on x86. Not comparable with the browser.",
        },
    }
}

choices! {
    /// How a racy increment writes its value back after the separate load. Both are one
    /// atomic write of a value computed from an earlier read, so a concurrent update in
    /// between is lost for real, with no undefined behaviour. Which one is faster depends on
    /// the engine (SpiderMonkey fences a sequentially consistent store; WebKit's swap costs
    /// more than its store), so the engine measures both when it starts and uses the faster.
    pub enum WriteBack: "write" => About {
        /// An atomic store.
        Store => About {
            name: "store",
            label: "atomic store",
            explain: "load, add, atomic store",
        },
        /// An atomic swap whose old value is ignored.
        Swap => About {
            name: "swap",
            label: "atomic swap",
            explain: "load, add, atomic swap (the value it replaced is ignored)",
        },
    }
}

/// Orderings and write-back as types, so that each kernel is compiled once per combination
/// with no branch inside its loop.
pub trait Kernel {
    /// Ordering of loads.
    const LOAD: Ordering;
    /// Ordering of stores and read-modify-writes.
    const STORE: Ordering;
    /// Whether the write-back is a swap (else a store).
    const SWAP: bool;

    /// Writes `value` back to `cell`.
    #[inline(always)]
    fn write(cell: &AtomicU64, value: u64) {
        if Self::SWAP {
            cell.swap(value, Self::STORE);
        } else {
            cell.store(value, Self::STORE);
        }
    }
}

/// Defines a [`Kernel`] type: orderings and write-back.
macro_rules! kernel {
    ($(#[$meta:meta])* $Name:ident, $load:expr, $store:expr, swap: $swap:expr) => {
        $(#[$meta])*
        pub struct $Name;
        impl Kernel for $Name {
            const LOAD: Ordering = $load;
            const STORE: Ordering = $store;
            const SWAP: bool = $swap;
        }
    };
}

kernel!(
    /// Sequentially consistent, written back with a store.
    SeqCstStore, Ordering::SeqCst, Ordering::SeqCst, swap: false);
kernel!(
    /// Sequentially consistent, written back with a swap.
    SeqCstSwap, Ordering::SeqCst, Ordering::SeqCst, swap: true);
#[cfg(not(target_arch = "wasm32"))]
kernel!(
    /// Relaxed, written back with a store (native only).
    RelaxedStore, Ordering::Relaxed, Ordering::Relaxed, swap: false);
#[cfg(not(target_arch = "wasm32"))]
kernel!(
    /// Relaxed, written back with a swap (native only).
    RelaxedSwap, Ordering::Relaxed, Ordering::Relaxed, swap: true);

/// In wasm every atomic is sequentially consistent: no second copy of the kernels is built.
#[cfg(target_arch = "wasm32")]
pub type RelaxedStore = SeqCstStore;
/// In wasm every atomic is sequentially consistent: no second copy of the kernels is built.
#[cfg(target_arch = "wasm32")]
pub type RelaxedSwap = SeqCstSwap;
