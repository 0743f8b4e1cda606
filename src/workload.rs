//! The counter workloads of the GIL talks, one [`Mode`] each, and the loop that runs them.
//!
//! Every mode increments a counter `n` times per thread, the way the seed scripts do
//! `counter["value"] += 1`. What differs is where the counter lives and what guards it:
//!
//! | mode      | Python it stands for                              | counter            |
//! |-----------|---------------------------------------------------|--------------------|
//! | `racy`    | shared dict, no lock (`multi_thread_share.py`)    | one, shared        |
//! | `pymutex` | `with lock:` around it (`multi_thread_share_lock.py`) | one, behind a lock that behaves like CPython 3.13's `PyMutex` |
//! | `mutex`   | the same with Rust's `std::sync::Mutex`             | one, behind a `Mutex` |
//! | `atomic`  | what a C extension would do: one atomic add       | one, shared        |
//! | `private` | one dict per thread (`multi_thread_private.py`)   | one per thread     |
//!
//! `racy` reads and writes with two separate atomic operations, so a write can overwrite
//! another thread's update (a real lost update, without undefined behaviour). `private` runs the
//! very same load/store sequence on a counter of its own, on its own cache line: only the
//! address differs, so the comparison between the two is fair.
//!
//! Adding a mode is one variant in [`Mode`] (with its name and steps) and one arm in
//! [`Counters::count`]; the page lists the mode with one `<option>`.

use std::ops::DerefMut;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use crossbeam_utils::CachePadded;
use serde::{Deserialize, Serialize};

use crate::clock::Clock;
use crate::config::ConfigError;
use crate::pymutex::PyMutex;
use crate::timeline::{Recorder, State, ThreadTimeline};

/// A counter workload (see the module docs for the Python each one stands for).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(not(target_arch = "wasm32"), derive(clap::ValueEnum))]
pub enum Mode {
    /// One shared counter, read and written with separate atomic operations: updates get lost.
    Racy,
    /// One shared counter behind a lock that behaves like CPython 3.13's `PyMutex` (spin, then
    /// park; hand over to a waiter older than 1 ms): the lock of the Python view.
    #[serde(rename = "pymutex")]
    #[cfg_attr(not(target_arch = "wasm32"), value(name = "pymutex"))]
    PyMutex,
    /// One shared counter behind Rust's `std::sync::Mutex`: exact, and slow once threads contend.
    Mutex,
    /// One shared counter incremented with `fetch_add`: exact, one hardware read-modify-write.
    Atomic,
    /// One counter per thread on its own cache line: exact, and scales with cores.
    Private,
}

impl Mode {
    /// Every mode, in the order the page and the CLI list them.
    pub const ALL: [Mode; 5] =
        [Mode::Racy, Mode::PyMutex, Mode::Mutex, Mode::Atomic, Mode::Private];

    /// The mode's name in the URL, the CLI, JSON and the page's `<option value>`.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Racy => "racy",
            Mode::PyMutex => "pymutex",
            Mode::Mutex => "mutex",
            Mode::Atomic => "atomic",
            Mode::Private => "private",
        }
    }

    /// The steps of one increment, in order (the GIL's safe points fall after steps).
    pub fn steps(self) -> &'static [Step] {
        use Step::*;
        match self {
            Mode::Racy | Mode::Private => &[Loop, Read, Add, Write, Jump],
            Mode::PyMutex | Mode::Mutex => {
                &[Loop, LockAcquire, Read, Add, Write, LockRelease, Jump]
            }
            Mode::Atomic => &[Loop, Write, Jump],
        }
    }

    /// Whether the final count must equal the expected count in this mode without a GIL.
    pub fn is_exact(self) -> bool {
        self != Mode::Racy
    }
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Mode {
    type Err = ConfigError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Mode::ALL
            .into_iter()
            .find(|mode| mode.name() == text)
            .ok_or_else(|| ConfigError::UnknownMode(text.to_owned()))
    }
}

/// The memory orderings the kernels use. The browser has only sequentially consistent wasm
/// atomics, so [`MemoryOrder::SeqCst`] is the default everywhere: native runs then execute the
/// same barriers and are a true baseline. `Relaxed` is a native-only extra for comparison.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(not(target_arch = "wasm32"), derive(clap::ValueEnum))]
pub enum MemoryOrder {
    /// Sequentially consistent loads, stores and read-modify-writes: what wasm executes.
    #[default]
    #[cfg_attr(not(target_arch = "wasm32"), value(name = "seqcst"))]
    SeqCst,
    /// Relaxed everything. Cheaper natively (a store is a plain `mov` on x86); in wasm it
    /// compiles to the same sequentially consistent instructions as `seqcst`.
    Relaxed,
}

/// Orderings as types, so that each kernel is compiled once per ordering with no branch inside.
pub(crate) trait Order {
    const LOAD: Ordering;
    const STORE: Ordering;
    const RMW: Ordering;
}

/// Sequentially consistent orderings (what wasm atomics are).
pub(crate) struct SeqCstOrder;
impl Order for SeqCstOrder {
    const LOAD: Ordering = Ordering::SeqCst;
    const STORE: Ordering = Ordering::SeqCst;
    const RMW: Ordering = Ordering::SeqCst;
}

/// Relaxed orderings (native-only extra). In wasm every atomic is sequentially consistent,
/// so there this is the same type as [`SeqCstOrder`] and no second copy of the kernels is built.
#[cfg(target_arch = "wasm32")]
pub(crate) type RelaxedOrder = SeqCstOrder;

/// Relaxed orderings (native-only extra).
#[cfg(not(target_arch = "wasm32"))]
pub(crate) struct RelaxedOrder;
#[cfg(not(target_arch = "wasm32"))]
impl Order for RelaxedOrder {
    const LOAD: Ordering = Ordering::Relaxed;
    const STORE: Ordering = Ordering::Relaxed;
    const RMW: Ordering = Ordering::Relaxed;
}

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

/// What happens between the steps of one increment. Free threads do nothing there (every call
/// inlines away); the emulated GIL checks for a drop request at its safe points.
pub trait Interpreter<'c> {
    /// What the hot loop tests after each step: a small copy taken once per loop, so that it
    /// lives in a register (a field read through `&mut self` would be reloaded after every
    /// sequentially consistent store).
    type Check: Check;

    /// The check for the coming loop.
    fn check(&self) -> Self::Check;

    /// Called after a step whose check fired.
    fn after(&mut self, step: Step);

    /// Whether [`Interpreter::wrote`] wants the value each write replaced. The write then
    /// becomes a swap, which costs nothing extra where it matters: a sequentially consistent
    /// store is already an exchange on x86 and in wasm.
    const WATCHES_WRITES: bool = false;

    /// Called after a counter that was read as `read` was written back, replacing `replaced`;
    /// lets the GIL emulation count the updates a stale write overwrote.
    fn wrote(&mut self, _replaced: u64, _read: u64) {}

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

/// The test an [`Interpreter`] wants after each step.
pub trait Check: Copy {
    /// Whether [`Interpreter::after`] must run after `step`.
    fn fires(self, step: Step) -> bool;
}

/// Nothing to check: free threads run their loop undisturbed.
#[derive(Clone, Copy)]
pub struct Never;

impl Check for Never {
    #[inline(always)]
    fn fires(self, _step: Step) -> bool {
        false
    }
}

/// Runs `interp.after(step)` if its check fires: the one line each step of a kernel costs.
#[inline(always)]
fn step<'c, I: Interpreter<'c>>(interp: &mut I, check: I::Check, step: Step) {
    if check.fires(step) {
        interp.after(step);
    }
}

/// Threads with no GIL: the free-threaded world. Only lock waits are counted, and only where a
/// thread could not take the lock at once.
pub struct FreeThreads<'c> {
    rec: Recorder<'c>,
}

impl<'c> FreeThreads<'c> {
    /// A free thread that starts running now.
    pub fn new(clock: &'c dyn Clock) -> Self {
        FreeThreads { rec: Recorder::new(clock, State::Running) }
    }

    /// Ends the thread's log.
    pub fn finish(self) -> ThreadTimeline {
        let now = self.rec.now();
        self.rec.finish(now)
    }
}

impl<'c> Interpreter<'c> for FreeThreads<'c> {
    type Check = Never;

    #[inline(always)]
    fn check(&self) -> Never {
        Never
    }

    #[inline(always)]
    fn after(&mut self, _step: Step) {}

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

/// The value behind a lock, and which thread held the lock last (to count owner changes).
#[derive(Debug, Default)]
pub struct Guarded {
    value: u64,
    last_owner: usize,
}

/// A lock the lock modes can use: `std::sync::Mutex` or the PyMutex-like lock.
trait UserLock: Sync {
    type Guard<'a>: DerefMut<Target = Guarded>
    where
        Self: 'a;
    fn try_lock<'a>(&'a self, clock: &'a dyn Clock) -> Option<Self::Guard<'a>>;
    fn lock<'a>(&'a self, rec: &mut Recorder<'a>, clock: &'a dyn Clock) -> Self::Guard<'a>;
}

impl UserLock for Mutex<Guarded> {
    type Guard<'a> = std::sync::MutexGuard<'a, Guarded>;
    fn try_lock<'a>(&'a self, _clock: &'a dyn Clock) -> Option<Self::Guard<'a>> {
        Mutex::try_lock(self).ok()
    }
    fn lock<'a>(&'a self, _rec: &mut Recorder<'a>, _clock: &'a dyn Clock) -> Self::Guard<'a> {
        Mutex::lock(self).unwrap_or_else(PoisonError::into_inner)
    }
}

impl UserLock for PyMutex<Guarded> {
    type Guard<'a> = crate::pymutex::PyMutexGuard<'a, Guarded>;
    fn try_lock<'a>(&'a self, clock: &'a dyn Clock) -> Option<Self::Guard<'a>> {
        PyMutex::try_lock(self, clock)
    }
    fn lock<'a>(&'a self, rec: &mut Recorder<'a>, clock: &'a dyn Clock) -> Self::Guard<'a> {
        PyMutex::lock(self, rec, clock)
    }
}

/// Where the `private` mode's per-thread counters live.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(not(target_arch = "wasm32"), derive(clap::ValueEnum))]
pub enum Layout {
    /// Each counter on a cache line of its own: threads never touch each other's lines.
    #[default]
    Padded,
    /// Counters side by side, eight to a 64-byte line: nothing is shared in the program, but
    /// the cores still pass the line back and forth on every write (false sharing).
    Packed,
}

impl Layout {
    /// The layout's name in the URL, the CLI and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Layout::Padded => "padded",
            Layout::Packed => "packed",
        }
    }
}

impl FromStr for Layout {
    type Err = ConfigError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        [Layout::Padded, Layout::Packed]
            .into_iter()
            .find(|layout| layout.name() == text)
            .ok_or_else(|| ConfigError::UnknownLayout(text.to_owned()))
    }
}

/// The `private` mode's counters in one of the two layouts.
enum PrivateCounters {
    Padded(Box<[CachePadded<AtomicU64>]>),
    /// Groups of eight, each group starting a cache line.
    Packed(Box<[CachePadded<[AtomicU64; 8]>]>),
}

impl PrivateCounters {
    fn new(threads: usize, layout: Layout) -> Self {
        match layout {
            Layout::Padded => PrivateCounters::Padded(
                (0..threads).map(|_| CachePadded::new(AtomicU64::new(0))).collect(),
            ),
            Layout::Packed => PrivateCounters::Packed(
                (0..threads.div_ceil(8)).map(|_| CachePadded::new(Default::default())).collect(),
            ),
        }
    }

    fn cell(&self, thread: usize) -> &AtomicU64 {
        match self {
            PrivateCounters::Padded(cells) => &cells[thread],
            PrivateCounters::Packed(groups) => &groups[thread / 8][thread % 8],
        }
    }

    fn sum(&self) -> u64 {
        let load = |c: &AtomicU64| c.load(Ordering::SeqCst);
        match self {
            PrivateCounters::Padded(cells) => cells.iter().map(|c| load(c)).sum(),
            PrivateCounters::Packed(groups) => groups.iter().flat_map(|g| g.iter()).map(load).sum(),
        }
    }
}

/// The counters of one run. Each sits on its own cache line so that the modes compare
/// the cost of sharing, not accidental false sharing with a neighbour (unless the `private`
/// counters are asked to be [`Layout::Packed`], to show exactly that).
pub struct Counters {
    shared: CachePadded<AtomicU64>,
    locked: CachePadded<Mutex<Guarded>>,
    pylocked: CachePadded<PyMutex<Guarded>>,
    private: PrivateCounters,
}

impl Counters {
    /// Fresh counters for `threads` threads, the private ones laid out as `layout`.
    pub fn new(threads: usize, layout: Layout) -> Self {
        Counters {
            shared: CachePadded::new(AtomicU64::new(0)),
            locked: CachePadded::new(Mutex::new(Guarded::default())),
            pylocked: CachePadded::new(PyMutex::new(Guarded::default())),
            private: PrivateCounters::new(threads, layout),
        }
    }

    /// The final count: the sum over every counter (only the mode's own counters move).
    pub fn total(&self, clock: &dyn Clock) -> u64 {
        let locked = self.locked.lock().unwrap_or_else(PoisonError::into_inner).value;
        let pylocked = self.pylocked.try_lock(clock).expect("the run is over").value;
        self.shared.load(Ordering::SeqCst) + locked + pylocked + self.private.sum()
    }

    /// Runs `n` increments of `mode` as thread `thread`, with `interp` between the steps.
    #[inline(always)]
    pub(crate) fn count<'c, O: Order, I: Interpreter<'c>>(
        &'c self,
        mode: Mode,
        thread: usize,
        n: u64,
        interp: &mut I,
        clock: &'c dyn Clock,
    ) {
        match mode {
            Mode::Racy => load_store::<O, I>(&self.shared, n, interp),
            Mode::Private => load_store::<O, I>(self.private.cell(thread), n, interp),
            Mode::Atomic => {
                let check = interp.check();
                for _ in 0..n {
                    step(interp, check, Step::Loop);
                    self.shared.fetch_add(1, O::RMW);
                    step(interp, check, Step::Write);
                    step(interp, check, Step::Jump);
                }
            }
            Mode::PyMutex => locked::<I, _>(&*self.pylocked, thread, n, interp, clock),
            Mode::Mutex => locked::<I, _>(&*self.locked, thread, n, interp, clock),
        }
    }
}

/// `with lock: counter["value"] += 1`, counting how often the lock changed owner.
#[inline(always)]
fn locked<'c, I: Interpreter<'c>, L: UserLock>(
    lock: &'c L,
    thread: usize,
    n: u64,
    interp: &mut I,
    clock: &'c dyn Clock,
) {
    let mut owner_changes = 0;
    let check = interp.check();
    for _ in 0..n {
        step(interp, check, Step::Loop);
        let mut guard = interp.blocking(|| lock.try_lock(clock), |rec| lock.lock(rec, clock));
        step(interp, check, Step::LockAcquire);
        if guard.last_owner != thread {
            guard.last_owner = thread;
            owner_changes += 1;
        }
        let read = guard.value;
        step(interp, check, Step::Read);
        let value = read + 1;
        step(interp, check, Step::Add);
        guard.value = value;
        step(interp, check, Step::Write);
        drop(guard);
        step(interp, check, Step::LockRelease);
        step(interp, check, Step::Jump);
    }
    interp.recorder().counts().lock_owner_changes += owner_changes;
}

/// `counter["value"] += 1` as a separate atomic load and atomic store.
#[inline(always)]
fn load_store<'c, O: Order, I: Interpreter<'c>>(cell: &AtomicU64, n: u64, interp: &mut I) {
    let check = interp.check();
    for _ in 0..n {
        step(interp, check, Step::Loop);
        let read = cell.load(O::LOAD);
        step(interp, check, Step::Read);
        let value = read + 1;
        step(interp, check, Step::Add);
        if I::WATCHES_WRITES {
            let replaced = cell.swap(value, O::STORE);
            interp.wrote(replaced, read);
        } else {
            cell.store(value, O::STORE);
        }
        step(interp, check, Step::Write);
        step(interp, check, Step::Jump);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::InstantClock;

    #[test]
    fn names_round_trip() {
        for mode in Mode::ALL {
            assert_eq!(mode.name().parse::<Mode>().unwrap(), mode);
            let json = serde_json::to_string(&mode).unwrap();
            assert_eq!(json, format!("\"{}\"", mode.name()));
        }
        assert!(matches!(
            "spin".parse::<Mode>(),
            Err(ConfigError::UnknownMode(name)) if name == "spin"
        ));
    }

    #[test]
    fn one_thread_counts_exactly_in_every_mode() {
        let clock = InstantClock::new();
        for mode in Mode::ALL {
            let counters = Counters::new(1, Layout::Padded);
            let mut free = FreeThreads::new(&clock);
            counters.count::<SeqCstOrder, _>(mode, 0, 1000, &mut free, &clock);
            assert_eq!(counters.total(&clock), 1000, "{mode}");
        }
    }

    /// Records the steps, to check each mode walks the bytecode in order.
    struct Trace<'c>(Vec<Step>, FreeThreads<'c>);
    /// Fires after every step.
    #[derive(Clone, Copy)]
    struct Always;
    impl Check for Always {
        fn fires(self, _step: Step) -> bool {
            true
        }
    }

    impl<'c> Interpreter<'c> for Trace<'c> {
        type Check = Always;
        fn check(&self) -> Always {
            Always
        }
        fn after(&mut self, step: Step) {
            self.0.push(step);
        }
        fn blocking<T>(
            &mut self,
            attempt: impl FnOnce() -> Option<T>,
            block: impl FnOnce(&mut Recorder<'c>) -> T,
        ) -> T {
            self.1.blocking(attempt, block)
        }
        fn recorder(&mut self) -> &mut Recorder<'c> {
            self.1.recorder()
        }
    }

    #[test]
    fn each_mode_walks_its_steps_in_order() {
        let clock = InstantClock::new();
        for mode in Mode::ALL {
            let counters = Counters::new(1, Layout::Padded);
            let mut trace = Trace(Vec::new(), FreeThreads::new(&clock));
            counters.count::<SeqCstOrder, _>(mode, 0, 2, &mut trace, &clock);
            assert_eq!(trace.0, [mode.steps(), mode.steps()].concat(), "{mode}");
        }
    }

    #[test]
    fn lock_modes_count_owner_changes() {
        let clock = InstantClock::new();
        let counters = Counters::new(2, Layout::Padded);
        let mut first = FreeThreads::new(&clock);
        let mut second = FreeThreads::new(&clock);
        counters.count::<SeqCstOrder, _>(Mode::PyMutex, 0, 10, &mut first, &clock);
        counters.count::<SeqCstOrder, _>(Mode::PyMutex, 1, 10, &mut second, &clock);
        counters.count::<SeqCstOrder, _>(Mode::PyMutex, 0, 10, &mut first, &clock);
        // The lock starts owned by "thread 0" (the default), so only handovers count.
        assert_eq!(first.finish().counts.lock_owner_changes, 1);
        assert_eq!(second.finish().counts.lock_owner_changes, 1);
        assert_eq!(counters.total(&clock), 30);
    }
}
