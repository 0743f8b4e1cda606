//! The counter workloads of the GIL talks: the [`Mode`] table (everything the page, the CLI
//! and the tests know about each mode) and the counters and kernels that run them.
//!
//! Every mode increments a counter `n` times per thread, the way the seed scripts do
//! `counter["value"] += 1`. What differs is where the counter lives and what guards it.
//! `racy` reads and writes with two separate atomic operations, so a write can overwrite
//! another thread's update (a real lost update, without undefined behaviour). `private` runs
//! the very same sequence on a counter of its own, on its own cache line: only the address
//! differs, so the comparison between the two is fair.
//!
//! Adding a mode: one entry in the table below, one variant of [`Counters`] and its arms in
//! `new`, `count` and `total` (the compiler points at each). Nothing else: the page, the URL,
//! the embed API, the CLI, the tests and the bench read the table.

use std::ops::{DerefMut, Range};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use crossbeam_utils::CachePadded;
use serde::Serialize;

use crate::choice::{About, Spec, choices};
use crate::measure::clock::Clock;
use crate::measure::timeline::Recorder;
use crate::model::interp::{BLOCK, Interpreter, Kernel, Step};
use crate::model::objects::{Heap, ObjectThread, ObjectWork};
use crate::model::pymutex::PyMutex;

/// What the table says about a mode.
#[derive(Debug, Serialize)]
pub struct ModeSpec {
    /// Name, label and explanation.
    #[serde(flatten)]
    pub about: About,
    /// The Python it stands for (from the seed talk's scripts).
    pub python: &'static str,
    /// The steps of one increment, in order (the GIL's safe points fall after steps).
    pub steps: &'static [Step],
    /// Whether each increment takes a lock.
    pub locks: bool,
    /// Whether the final count must equal the expected count without a GIL.
    pub exact: bool,
    /// Whether each thread counts on a counter of its own (so their layout matters).
    pub per_thread: bool,
    /// What its Python does with objects (what an object model emulates for it).
    pub objects: ObjectWork,
}

impl ModeSpec {
    /// Whether threads share the object the statement updates (so a switch can lose updates).
    pub fn objects_shared(&self) -> bool {
        matches!(self.objects, ObjectWork::SharedDict | ObjectWork::RefShared)
    }
}

impl Spec for ModeSpec {
    fn about(&self) -> &About {
        &self.about
    }
}

/// The seed scripts' thread start-up, shared by the Python of every shared-counter mode.
macro_rules! start_threads {
    () => {
        "threads = [
    threading.Thread(target=increment, args=(counter, TOTAL // N))
    for _ in range(N)
]
for thread in threads: thread.start()
for thread in threads: thread.join()"
    };
}

/// `with lock:` around the increment, as `multi_thread_share_lock.py` has it.
macro_rules! locked_python {
    ($first_line:literal) => {
        concat!(
            $first_line,
            "
lock = threading.Lock()

def increment(counter, num):
    for _ in range(num):
        with lock:
            counter[\"value\"] += 1

counter = {\"value\": 0}
",
            start_threads!()
        )
    };
}

use Step::{Add, Jump, LockAcquire, LockRelease, Loop, Read, Write};
/// `x = obj`: the reference taken (read) and the previous one dropped (write).
const REFS: &[Step] = &[Loop, Read, Write, Jump];
const REFS_PYTHON: &str = "# seed 003: every thread names one shared object
obj = object()

def work(num):
    for _ in range(num):
        x = obj  # a reference taken, the previous one dropped

threads = [threading.Thread(target=work, args=(TOTAL // N,)) for _ in range(N)]";
const PLAIN: &[Step] = &[Loop, Read, Add, Write, Jump];
const LOCKED: &[Step] = &[Loop, LockAcquire, Read, Add, Write, LockRelease, Jump];

choices! {
    /// A counter workload.
    pub enum Mode: "mode" => ModeSpec {
        /// One shared counter, read and written with separate atomic operations.
        Racy => ModeSpec {
            about: About {
                name: "racy",
                label: "Shared counter, no lock",
                explain: "Each thread reads the shared counter, adds one and writes it back, with no lock (multi_thread_share.py). When two threads read the same value, one write overwrites the other: that update is lost.",
            },
            python: concat!(
                "# multi_thread_share.py (single_thread.py is the same loop, no threads)
def increment(counter, num):
    for _ in range(num):
        counter[\"value\"] += 1

counter = {\"value\": 0}
",
                start_threads!()
            ),
            steps: PLAIN,
            locks: false,
            exact: false,
            per_thread: false,
            objects: ObjectWork::SharedDict,
        },
        /// One shared counter behind a lock that behaves like CPython 3.13's `PyMutex`.
        PyMutex => ModeSpec {
            about: About {
                name: "pymutex",
                label: "Shared counter, with a lock (PyMutex)",
                explain: "The same, with a lock around each increment (multi_thread_share_lock.py). The lock behaves like CPython 3.13's PyMutex: a waiter spins 40 times, then sleeps; one that waited over 1 ms gets the lock handed over. Nothing is lost, but threads queue at the lock.",
            },
            python: locked_python!("# multi_thread_share_lock.py"),
            steps: LOCKED,
            locks: true,
            exact: true,
            per_thread: false,
            objects: ObjectWork::SharedDict,
        },
        /// One shared counter behind Rust's `std::sync::Mutex`.
        Mutex => ModeSpec {
            about: About {
                name: "mutex",
                label: "Shared counter, with a lock (Rust Mutex)",
                explain: "The same lock workload with Rust's std::sync::Mutex instead of a PyMutex-like lock: waiters sleep and the owner usually takes the lock straight back.",
            },
            python: locked_python!("# multi_thread_share_lock.py, with Rust's Mutex as the lock"),
            steps: LOCKED,
            locks: true,
            exact: true,
            per_thread: false,
            objects: ObjectWork::SharedDict,
        },
        /// One shared counter behind a test-and-set spin lock.
        Spin => ModeSpec {
            about: About {
                name: "spin",
                label: "Shared counter, with a spin lock",
                explain: "The same lock workload with a test-and-set spin lock: a waiter never sleeps, it spins on the lock word until it is free. Nothing is lost, but every waiting thread burns a whole core doing nothing.",
            },
            python: locked_python!("# multi_thread_share_lock.py, with a spin lock (as a C extension could write one)"),
            steps: LOCKED,
            locks: true,
            exact: true,
            per_thread: false,
            objects: ObjectWork::SharedDict,
        },
        /// One shared counter incremented with one atomic add.
        Atomic => ModeSpec {
            about: About {
                name: "atomic",
                label: "Shared counter, atomic add",
                explain: "One atomic add instruction per increment (what a C extension would do). Nothing is lost, but the counter's cache line travels between cores on every increment.",
            },
            python: "# No pure-Python equivalent: one hardware atomic add per
# increment, as a C extension could do it. Python's \"+=\" on a
# dict entry is always a read, an add and a write.",
            steps: &[Loop, Write, Jump],
            locks: false,
            exact: true,
            per_thread: false,
            objects: ObjectWork::NotPython,
        },
        /// One counter per thread, each on its own cache line (unless packed).
        Private => ModeSpec {
            about: About {
                name: "private",
                label: "Private counter per thread",
                explain: "Each thread counts on a counter of its own (multi_thread_private.py). Nothing is shared, so threads scale with cores.",
            },
            python: "# multi_thread_private.py
def increment(counter, num):
    for _ in range(num):
        counter[\"value\"] += 1

counters = [{\"value\": 0} for _ in range(N)]
threads = [
    threading.Thread(target=increment, args=(c, TOTAL // N))
    for c in counters
]",
            steps: PLAIN,
            locks: false,
            exact: true,
            per_thread: true,
            objects: ObjectWork::OwnDict,
        },
        /// Threads that mostly wait: a little work, then a sleep with the GIL released.
        Waiting => ModeSpec {
            about: About {
                name: "waiting",
                label: "Threads that wait (I/O)",
                explain: "Each thread does a little work on a counter of its own, then waits (time.sleep, as a blocking read would), after every 10,000 increments. A waiting thread releases the GIL, so waiting threads overlap even under the GIL: threads do help when they wait.",
            },
            python: "# threads that wait: a little work, then time.sleep (or a blocking read)
def work(counter, num):
    for i in range(num):
        counter[\"value\"] += 1
        if i % 10_000 == 0:
            time.sleep(WAIT)  # the GIL is released while the thread waits

counters = [{\"value\": 0} for _ in range(N)]",
            steps: PLAIN,
            locks: false,
            exact: true,
            per_thread: true,
            objects: ObjectWork::OwnDict,
        },
        /// References to one object all threads share, taken and dropped.
        Refs => ModeSpec {
            about: About {
                name: "refs",
                label: "References to one shared object",
                explain: "Each thread takes and drops a reference to the same object, as every Python line that names it does (seed 003). What it costs, and whether counts stay right, depends on the object model: plain counts lose updates without the GIL; atomic ones make every core fight over the object's cache line.",
            },
            python: REFS_PYTHON,
            steps: REFS,
            locks: false,
            exact: true,
            per_thread: false,
            objects: ObjectWork::RefShared,
        },
        /// References to each thread's own object.
        RefsOwn => ModeSpec {
            about: About {
                name: "refs-own",
                label: "References to each thread's own object",
                explain: "Each thread takes and drops references to an object it made itself. With biased counting (the free-threaded build) the owner counts plainly, as fast as one thread; with atomic counts every reference still costs an atomic add.",
            },
            python: "# each thread takes and drops references to an object it made
def work(num):
    obj = object()
    for _ in range(num):
        x = obj",
            steps: REFS,
            locks: false,
            exact: true,
            per_thread: true,
            objects: ObjectWork::RefOwn,
        },
        /// References to an immortal object (`None`).
        RefsImmortal => ModeSpec {
            about: About {
                name: "refs-immortal",
                label: "References to an immortal object (None)",
                explain: "Each thread takes and drops references to None, an immortal object since 3.12 (PEP 683): its count is never written, so nothing is contended. With naive atomic counts the same line is fought over by every core.",
            },
            python: "# each thread takes and drops references to None
def work(num):
    for _ in range(num):
        x = None",
            steps: REFS,
            locks: false,
            exact: true,
            per_thread: true,
            objects: ObjectWork::RefImmortal,
        },
        /// Each thread adds up its own slice of an array of numbers.
        Sum => ModeSpec {
            about: About {
                name: "sum",
                label: "Sum of numbers (a slice each)",
                explain: "Each worker adds up its own slice of an array of numbers the engine made (size numbers in all), going round its slice until it has made its share of the total additions. Threads read the array where it lies; subinterpreters and processes are sent a copy of their slice first, so the size of the data shows as transfer.",
            },
            python: "# each worker adds up its own slice of the numbers
numbers = [...]  # SIZE numbers, made before any worker starts

def work(chunk, additions):
    total = 0
    for x in itertools.islice(itertools.cycle(chunk), additions):
        total += x
    return total",
            steps: PLAIN,
            locks: false,
            exact: true,
            per_thread: true,
            objects: ObjectWork::Numbers,
        },
    }
}

choices! {
    /// Where the `private` mode's per-thread counters live.
    pub enum Layout: "layout" => About {
        /// Each counter on a cache line of its own.
        Padded => About {
            name: "padded",
            label: "Padded (a cache line each)",
            explain: "Each private counter has a cache line of its own, so the cores never pass a line between them.",
        },
        /// Counters side by side, eight to a 64-byte line: false sharing.
        Packed => About {
            name: "packed",
            label: "Packed (false sharing)",
            explain: "The private counters sit side by side, eight to a 64-byte cache line. Nothing is shared in the program, yet every write makes the cores pass the line back and forth: false sharing.",
        },
    }
}

/// The value behind a lock, and which thread held the lock last (to count owner changes).
#[derive(Debug, Default)]
pub struct Guarded {
    value: u64,
    last_owner: usize,
}

/// A lock the lock modes can use.
trait UserLock: Sync {
    type Guard<'a>: DerefMut<Target = Guarded>
    where
        Self: 'a;
    fn try_lock<'a>(&'a self, clock: &'a dyn Clock) -> Option<Self::Guard<'a>>;
    fn lock<'a>(&'a self, rec: &mut Recorder<'a>, clock: &'a dyn Clock) -> Self::Guard<'a>;
    /// The value, once the run is over.
    fn value(&self, clock: &dyn Clock) -> u64;
}

impl UserLock for Mutex<Guarded> {
    type Guard<'a> = std::sync::MutexGuard<'a, Guarded>;
    fn try_lock<'a>(&'a self, _clock: &'a dyn Clock) -> Option<Self::Guard<'a>> {
        Mutex::try_lock(self).ok()
    }
    fn lock<'a>(&'a self, _rec: &mut Recorder<'a>, _clock: &'a dyn Clock) -> Self::Guard<'a> {
        Mutex::lock(self).unwrap_or_else(PoisonError::into_inner)
    }
    fn value(&self, _clock: &dyn Clock) -> u64 {
        Mutex::lock(self).unwrap_or_else(PoisonError::into_inner).value
    }
}

impl UserLock for PyMutex<Guarded> {
    type Guard<'a> = crate::model::pymutex::PyMutexGuard<'a, Guarded>;
    fn try_lock<'a>(&'a self, clock: &'a dyn Clock) -> Option<Self::Guard<'a>> {
        PyMutex::try_lock(self, clock)
    }
    fn lock<'a>(&'a self, rec: &mut Recorder<'a>, clock: &'a dyn Clock) -> Self::Guard<'a> {
        PyMutex::lock(self, rec, clock)
    }
    fn value(&self, clock: &dyn Clock) -> u64 {
        PyMutex::try_lock(self, clock).expect("the run is over").value
    }
}

/// A test-and-set spin lock: a waiter spins on the lock word and never parks.
#[derive(Default)]
pub struct SpinLock {
    locked: AtomicBool,
    value: std::cell::UnsafeCell<Guarded>,
}

// SAFETY: `value` is reached only through a guard, which exists only while `locked` is held
// by its thread (taken with Acquire, released with Release).
unsafe impl Sync for SpinLock {}

/// Holds a [`SpinLock`]; unlocks when dropped.
pub struct SpinGuard<'a>(&'a SpinLock);

impl std::ops::Deref for SpinGuard<'_> {
    type Target = Guarded;
    fn deref(&self) -> &Guarded {
        // SAFETY: this guard holds the lock.
        unsafe { &*self.0.value.get() }
    }
}

impl DerefMut for SpinGuard<'_> {
    fn deref_mut(&mut self) -> &mut Guarded {
        // SAFETY: this guard holds the lock.
        unsafe { &mut *self.0.value.get() }
    }
}

impl Drop for SpinGuard<'_> {
    fn drop(&mut self) {
        self.0.locked.store(false, Ordering::Release);
    }
}

impl UserLock for SpinLock {
    type Guard<'a> = SpinGuard<'a>;
    fn try_lock<'a>(&'a self, _clock: &'a dyn Clock) -> Option<SpinGuard<'a>> {
        // `then`, not `then_some`: a guard made eagerly would unlock on drop.
        (!self.locked.swap(true, Ordering::Acquire)).then(|| SpinGuard(self))
    }
    fn lock<'a>(&'a self, _rec: &mut Recorder<'a>, clock: &'a dyn Clock) -> SpinGuard<'a> {
        loop {
            // Test, then test-and-set: spin on a load so the line is not written while held.
            while self.locked.load(Ordering::Relaxed) {
                std::hint::spin_loop();
            }
            if let Some(guard) = self.try_lock(clock) {
                return guard;
            }
        }
    }
    fn value(&self, clock: &dyn Clock) -> u64 {
        self.try_lock(clock).expect("the run is over").value
    }
}

/// The `private` mode's counters in one of the two layouts.
pub enum PrivateCounters {
    /// One cache line each.
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

/// The numbers of a `sum` run: made by the engine before any worker starts, the same every
/// time for a size (small values, so every sum fits a `u64`).
pub fn make_numbers(size: usize) -> Vec<u32> {
    (0..size as u32).map(|i| i.wrapping_mul(0x9E37_79B9) >> 24).collect()
}

/// What `additions` additions going round `numbers` from its start add up to.
pub fn expected_sum(numbers: &[u32], additions: u64) -> u64 {
    let sum = |part: &[u32]| part.iter().map(|&x| u64::from(x)).sum::<u64>();
    let len = numbers.len() as u64;
    if len == 0 {
        return 0;
    }
    (additions / len) * sum(numbers) + sum(&numbers[..(additions % len) as usize])
}

/// A worker's numbers: a slice of an array, its own or one it shares with the other threads.
#[derive(Clone)]
pub struct Slice {
    numbers: Arc<Vec<u32>>,
    range: Range<usize>,
}

impl Slice {
    /// `range` of `numbers` (threads share the engine's array this way, without a copy).
    pub fn of(numbers: &Arc<Vec<u32>>, range: Range<usize>) -> Self {
        Slice { numbers: Arc::clone(numbers), range }
    }

    /// Numbers of the worker's own (a copy it received).
    pub fn own(numbers: Vec<u32>) -> Self {
        let range = 0..numbers.len();
        Slice { numbers: Arc::new(numbers), range }
    }

    /// The numbers.
    pub fn get(&self) -> &[u32] {
        &self.numbers[self.range.clone()]
    }
}

/// One `sum` worker: where its numbers are, where its loop goes on, how many it added.
#[derive(Default)]
struct SumSlot {
    numbers: OnceLock<Slice>,
    /// Only its own thread touches these two (atomics to keep the counters `Sync`).
    next: AtomicUsize,
    added: AtomicU64,
}

/// The `sum` mode's counters: each worker's `total` (laid out like private counters) and its
/// numbers, handed over before it starts (see [`SumCounters::hand`]).
pub struct SumCounters {
    totals: PrivateCounters,
    slots: Box<[SumSlot]>,
}

impl SumCounters {
    fn new(threads: usize, layout: Layout) -> Self {
        SumCounters {
            totals: PrivateCounters::new(threads, layout),
            slots: (0..threads).map(|_| SumSlot::default()).collect(),
        }
    }

    /// Gives thread `thread` its numbers (once).
    pub fn hand(&self, thread: usize, numbers: Slice) {
        if self.slots[thread].numbers.set(numbers).is_err() {
            unreachable!("each worker gets its numbers once");
        }
    }

    /// `n` more additions of thread `thread`, going on where its last ones stopped.
    #[inline(always)]
    fn add<'c, K: Kernel, I: Interpreter<'c>>(&self, thread: usize, n: u64, interp: &mut I) -> u64 {
        let slot = &self.slots[thread];
        let numbers = slot.numbers.get().expect("a sum worker has its numbers").get();
        let total = self.totals.cell(thread);
        let mut at = slot.next.load(Ordering::Relaxed);
        let ran = blocks(n, interp, |i, s| {
            let x = numbers[at];
            at = if at + 1 == numbers.len() { 0 } else { at + 1 };
            load_write::<K, _>(total, u64::from(x), i, s);
        });
        slot.next.store(at, Ordering::Relaxed);
        slot.added.fetch_add(ran, Ordering::Relaxed);
        ran
    }

    /// Numbers added by every thread.
    pub fn added(&self) -> u64 {
        self.slots.iter().map(|s| s.added.load(Ordering::Relaxed)).sum()
    }

    /// What every thread's `total` came to, added up.
    pub fn sum(&self) -> u64 {
        self.totals.sum()
    }

    /// What the sum must be, from each thread's numbers and how many it added.
    pub fn expected(&self) -> u64 {
        self.slots
            .iter()
            .filter_map(|slot| {
                let numbers = slot.numbers.get()?;
                Some(expected_sum(numbers.get(), slot.added.load(Ordering::Relaxed)))
            })
            .sum()
    }
}

/// The counters of one run, one variant per mode. Shared counters sit on their own cache line
/// so that the modes compare the cost of sharing, not accidental false sharing with a
/// neighbour (unless the private counters are asked to be [`Layout::Packed`]).
pub enum Counters {
    /// See [`Mode::Racy`].
    Racy(CachePadded<AtomicU64>),
    /// See [`Mode::PyMutex`].
    PyMutex(CachePadded<PyMutex<Guarded>>),
    /// See [`Mode::Mutex`].
    Mutex(CachePadded<Mutex<Guarded>>),
    /// See [`Mode::Spin`].
    Spin(CachePadded<SpinLock>),
    /// See [`Mode::Atomic`].
    Atomic(CachePadded<AtomicU64>),
    /// See [`Mode::Private`].
    Private(PrivateCounters),
    /// See [`Mode::Waiting`]: a counter per thread, and how long each wait lasts.
    Waiting(PrivateCounters, Duration),
    /// See [`Mode::Refs`], [`Mode::RefsOwn`] and [`Mode::RefsImmortal`]: each thread counts its
    /// iterations on a counter of its own (the references are the heap's).
    Refs(PrivateCounters),
    /// See [`Mode::Sum`].
    Sum(SumCounters),
}

impl Counters {
    /// Fresh counters of `mode` for `threads` threads (`layout` matters to `private` only,
    /// `wait` to `waiting` only).
    pub fn new(mode: Mode, threads: usize, layout: Layout, wait: Duration) -> Self {
        match mode {
            Mode::Racy => Counters::Racy(Default::default()),
            Mode::PyMutex => Counters::PyMutex(CachePadded::new(PyMutex::new(Guarded::default()))),
            Mode::Mutex => Counters::Mutex(Default::default()),
            Mode::Spin => Counters::Spin(Default::default()),
            Mode::Atomic => Counters::Atomic(Default::default()),
            Mode::Private => Counters::Private(PrivateCounters::new(threads, layout)),
            Mode::Waiting => Counters::Waiting(PrivateCounters::new(threads, Layout::Padded), wait),
            Mode::Refs | Mode::RefsOwn | Mode::RefsImmortal => {
                Counters::Refs(PrivateCounters::new(threads, Layout::Padded))
            }
            Mode::Sum => Counters::Sum(SumCounters::new(threads, layout)),
        }
    }

    /// The `sum` mode's counters (`None` in the other modes).
    pub fn sums(&self) -> Option<&SumCounters> {
        match self {
            Counters::Sum(sums) => Some(sums),
            _ => None,
        }
    }

    /// The final count, once the run is over: the heap's dicts hold it where the mode's
    /// Python keeps its counter in one.
    pub fn total(&self, clock: &dyn Clock, heap: Option<&Heap>) -> u64 {
        if let Some(heap) = heap
            && !matches!(self, Counters::Atomic(_) | Counters::Refs(_))
        {
            return heap.total();
        }
        match self {
            Counters::Racy(cell) | Counters::Atomic(cell) => cell.load(Ordering::SeqCst),
            Counters::PyMutex(lock) => lock.value(clock),
            Counters::Mutex(lock) => lock.value(clock),
            Counters::Spin(lock) => lock.value(clock),
            Counters::Private(cells) | Counters::Refs(cells) | Counters::Waiting(cells, _) => {
                cells.sum()
            }
            Counters::Sum(sums) => sums.added(),
        }
    }

    /// Runs `n` increments as thread `thread`, with `interp` between the steps; returns how
    /// many ran (fewer if the run was stopped).
    #[inline(always)]
    pub(crate) fn count<'c, K: Kernel, I: Interpreter<'c>>(
        &'c self,
        thread: usize,
        n: u64,
        interp: &mut I,
        clock: &'c dyn Clock,
    ) -> u64 {
        match self {
            Counters::Racy(cell) => blocks(n, interp, |i, s| load_write::<K, _>(cell, 1, i, s)),
            Counters::Private(cells) => {
                let cell = cells.cell(thread);
                blocks(n, interp, |i, s| load_write::<K, _>(cell, 1, i, s))
            }
            Counters::Sum(sums) => sums.add::<K, I>(thread, n, interp),
            Counters::Refs(cells) => {
                let cell = cells.cell(thread);
                blocks(n, interp, |i, s| {
                    s.step(i, Step::Loop);
                    s.step(i, Step::Read);
                    K::write(cell, cell.load(K::LOAD) + 1);
                    s.step(i, Step::Write);
                    s.step(i, Step::Jump);
                })
            }
            Counters::Waiting(cells, wait) => {
                let cell = cells.cell(thread);
                blocks(n, interp, |i, s| {
                    load_write::<K, _>(cell, 1, i, s);
                    wait_sometimes(cell, i, *wait, clock);
                })
            }
            Counters::Atomic(cell) => blocks(n, interp, |i, s| {
                s.step(i, Step::Loop);
                cell.fetch_add(1, K::STORE);
                s.step(i, Step::Write);
                s.step(i, Step::Jump);
            }),
            _ => self.count_locked(thread, n, interp, clock),
        }
    }

    /// The lock modes, compiled once per interpreter (they do not depend on the kernel's
    /// orderings or write-back).
    #[inline(never)]
    fn count_locked<'c, I: Interpreter<'c>>(
        &'c self,
        thread: usize,
        n: u64,
        interp: &mut I,
        clock: &'c dyn Clock,
    ) -> u64 {
        match self {
            Counters::PyMutex(lock) => locked(&**lock, thread, n, interp, clock),
            Counters::Mutex(lock) => locked(&**lock, thread, n, interp, clock),
            Counters::Spin(lock) => locked(&**lock, thread, n, interp, clock),
            _ => unreachable!("only the lock modes count here"),
        }
    }
}

impl Counters {
    /// Runs `n` increments as thread `thread` with an object model: the heap's objects are
    /// touched as the mode's Python touches them (see `objects.rs`), with `interp` between the
    /// steps and `obj` the thread's side of the heap.
    #[inline(never)]
    pub(crate) fn count_objects<'c, I: Interpreter<'c>>(
        &'c self,
        heap: &'c Heap,
        obj: &mut ObjectThread,
        thread: usize,
        n: u64,
        interp: &mut I,
        clock: &'c dyn Clock,
    ) -> u64 {
        match self {
            Counters::Racy(_) | Counters::Private(_) => {
                blocks(n, interp, |i, s| dict_increment(heap, obj, i, s, clock))
            }
            Counters::Waiting(cells, wait) => {
                let cell = cells.cell(thread);
                blocks(n, interp, |i, s| {
                    dict_increment(heap, obj, i, s, clock);
                    cell.store(cell.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
                    wait_sometimes(cell, i, *wait, clock);
                })
            }
            Counters::PyMutex(lock) => object_locked(&**lock, heap, obj, thread, n, interp, clock),
            Counters::Mutex(lock) => object_locked(&**lock, heap, obj, thread, n, interp, clock),
            Counters::Spin(lock) => object_locked(&**lock, heap, obj, thread, n, interp, clock),
            Counters::Refs(cells) => {
                let cell = cells.cell(thread);
                blocks(n, interp, |i, s| {
                    obj.next();
                    s.step(i, Step::Loop);
                    obj.take_ref(heap);
                    s.step(i, Step::Read);
                    obj.drop_ref(heap);
                    cell.store(cell.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
                    s.step(i, Step::Write);
                    obj.back_edge(heap);
                    s.step(i, Step::Jump);
                })
            }
            Counters::Atomic(_) | Counters::Sum(_) => {
                unreachable!("a C extension's atomic add and a flat array have no Python objects")
            }
        }
    }
}

/// Increments between two waits of the `waiting` mode.
pub const WAIT_EVERY: u64 = 10_000;

/// `if i % 10_000 == 0: time.sleep(WAIT)`: the thread waits with the GIL released (natively a
/// real sleep; in the browser the worker's `Atomics.wait` with a timeout; see [`Clock::sleep`]).
#[inline(always)]
fn wait_sometimes<'c, I: Interpreter<'c>>(
    cell: &AtomicU64,
    interp: &mut I,
    wait: Duration,
    clock: &dyn Clock,
) {
    if cell.load(Ordering::Relaxed).is_multiple_of(WAIT_EVERY) {
        interp.allow_threads(|| clock.sleep(wait));
    }
}

/// `counter["value"] += 1` on the heap's dict: read, add, write, with the object traffic of
/// the heap's build.
#[inline(always)]
fn dict_increment<'c, I: Interpreter<'c>>(
    heap: &'c Heap,
    obj: &mut ObjectThread,
    interp: &mut I,
    s: Stepping,
    clock: &'c dyn Clock,
) {
    obj.next();
    s.step(interp, Step::Loop);
    dict_body(heap, obj, interp, s, clock);
    obj.back_edge(heap);
    s.step(interp, Step::Jump);
}

/// The read, the add and the write of `+=`, each followed by its step.
#[inline(always)]
fn dict_body<'c, I: Interpreter<'c>>(
    heap: &'c Heap,
    obj: &mut ObjectThread,
    interp: &mut I,
    s: Stepping,
    clock: &'c dyn Clock,
) {
    let read = obj.read(heap, interp, clock);
    s.step(interp, Step::Read);
    obj.add(heap, read);
    s.step(interp, Step::Add);
    let replaced = obj.write(heap, interp, clock);
    if s.0 {
        interp.wrote(replaced, read);
    }
    s.step(interp, Step::Write);
}

/// `with lock: counter["value"] += 1` on the heap's dict, with the lock object's references.
#[inline(always)]
fn object_locked<'c, I: Interpreter<'c>, L: UserLock>(
    lock: &'c L,
    heap: &'c Heap,
    obj: &mut ObjectThread,
    thread: usize,
    n: u64,
    interp: &mut I,
    clock: &'c dyn Clock,
) -> u64 {
    let mut owner_changes = 0;
    let ran = blocks(n, interp, |interp, s| {
        obj.next();
        s.step(interp, Step::Loop);
        obj.enter_with(heap);
        let mut guard = interp.blocking(|| lock.try_lock(clock), |rec| lock.lock(rec, clock));
        s.step(interp, Step::LockAcquire);
        if guard.last_owner != thread {
            guard.last_owner = thread;
            owner_changes += 1;
            lock_taken(interp);
        }
        dict_body(heap, obj, interp, s, clock);
        obj.call_exit();
        drop(guard);
        obj.exit_with(heap);
        s.step(interp, Step::LockRelease);
        obj.back_edge(heap);
        s.step(interp, Step::Jump);
    });
    interp.recorder().counts().lock_owner_changes += owner_changes;
    ran
}

/// Marks on the thread's lane that it took the lock from another thread (who holds the lock,
/// for the timeline).
#[cold]
fn lock_taken<'c, I: Interpreter<'c>>(interp: &mut I) {
    let rec = interp.recorder();
    let now = rec.now();
    rec.mark(now, crate::measure::timeline::Mark::LockTaken, 0, 0);
}

/// Whether an iteration runs step by step (calling the interpreter after each step) or whole.
#[derive(Clone, Copy)]
struct Stepping(bool);

impl Stepping {
    #[inline(always)]
    fn step<'c, I: Interpreter<'c>>(self, interp: &mut I, step: Step) {
        if self.0 {
            interp.after(step);
        }
    }
}

/// Runs `n` iterations of `body` in blocks of [`BLOCK`], each block whole, then one iteration
/// step by step whenever the interpreter asks for it. Returns how many ran: fewer than `n` if
/// the run was stopped.
#[inline(always)]
fn blocks<'c, I: Interpreter<'c>>(
    n: u64,
    interp: &mut I,
    mut body: impl FnMut(&mut I, Stepping),
) -> u64 {
    let mut left = n;
    while left > 0 {
        if interp.stopped() {
            break;
        }
        if interp.pending() {
            body(interp, Stepping(true));
            left -= 1;
            continue;
        }
        let block = left.min(BLOCK);
        for _ in 0..block {
            body(interp, Stepping(false));
        }
        left -= block;
    }
    n - left
}

/// `counter["value"] += add` as a separate atomic load and atomic write. A stepped iteration
/// writes with a swap, so the interpreter sees what the write replaced (a stale write can only
/// happen there: a GIL thread is switched out only between steps).
#[inline(always)]
fn load_write<'c, K: Kernel, I: Interpreter<'c>>(
    cell: &AtomicU64,
    add: u64,
    interp: &mut I,
    s: Stepping,
) {
    s.step(interp, Step::Loop);
    let read = cell.load(K::LOAD);
    s.step(interp, Step::Read);
    let value = read + add;
    s.step(interp, Step::Add);
    if s.0 {
        let replaced = cell.swap(value, K::STORE);
        interp.wrote(replaced, read);
    } else {
        K::write(cell, value);
    }
    s.step(interp, Step::Write);
    s.step(interp, Step::Jump);
}

/// `with lock: counter["value"] += 1`, counting how often the lock changed owner.
#[inline(always)]
fn locked<'c, I: Interpreter<'c>, L: UserLock>(
    lock: &'c L,
    thread: usize,
    n: u64,
    interp: &mut I,
    clock: &'c dyn Clock,
) -> u64 {
    let mut owner_changes = 0;
    let ran = blocks(n, interp, |interp, s| {
        s.step(interp, Step::Loop);
        let mut guard = interp.blocking(|| lock.try_lock(clock), |rec| lock.lock(rec, clock));
        s.step(interp, Step::LockAcquire);
        if guard.last_owner != thread {
            guard.last_owner = thread;
            owner_changes += 1;
            lock_taken(interp);
        }
        let read = guard.value;
        s.step(interp, Step::Read);
        let value = read + 1;
        s.step(interp, Step::Add);
        guard.value = value;
        s.step(interp, Step::Write);
        drop(guard);
        s.step(interp, Step::LockRelease);
        s.step(interp, Step::Jump);
    });
    interp.recorder().counts().lock_owner_changes += owner_changes;
    ran
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::clock::InstantClock;
    use crate::model::interp::{FreeThreads, NEVER_STOP, SeqCstStore, SeqCstSwap};

    #[test]
    fn names_round_trip() {
        for &mode in Mode::ALL {
            assert_eq!(mode.name().parse::<Mode>().unwrap(), mode);
            let json = serde_json::to_string(&mode).unwrap();
            assert_eq!(json, format!("\"{}\"", mode.name()));
        }
        let err = "spin-lock".parse::<Mode>().unwrap_err();
        assert_eq!(err.code(), "unknown-mode");
        assert!(
            err.to_string()
                .contains(&Mode::ALL.iter().map(|m| m.name()).collect::<Vec<_>>().join(", "))
        );
    }

    #[test]
    fn the_table_is_complete() {
        for &mode in Mode::ALL {
            let spec = mode.spec();
            assert!(!spec.about.label.is_empty() && !spec.about.explain.is_empty(), "{mode}");
            assert!(spec.python.starts_with('#'), "{mode}");
            assert_eq!(spec.locks, spec.steps.contains(&Step::LockAcquire), "{mode}");
        }
        let names: std::collections::HashSet<_> = Mode::ALL.iter().map(|m| m.name()).collect();
        assert_eq!(names.len(), Mode::ALL.len(), "names are unique");
    }

    /// Fresh counters for one thread of `mode`, with three numbers to add in `sum`.
    fn one_thread(mode: Mode) -> Counters {
        let counters = Counters::new(mode, 1, Layout::Padded, Duration::ZERO);
        if let Some(sums) = counters.sums() {
            sums.hand(0, Slice::own(vec![5, 0, 7]));
        }
        counters
    }

    #[test]
    fn one_thread_counts_exactly_in_every_mode() {
        let clock = InstantClock::new();
        for &mode in Mode::ALL {
            for n in [0, 1, BLOCK - 1, BLOCK, 1000] {
                let counters = one_thread(mode);
                let mut free = FreeThreads::new(&clock, &NEVER_STOP);
                counters.count::<SeqCstStore, _>(0, n, &mut free, &clock);
                assert_eq!(counters.total(&clock, None), n, "{mode}");
            }
        }
    }

    /// Records the steps of stepped iterations; asks for every iteration to be stepped.
    struct Trace<'c>(Vec<Step>, FreeThreads<'c>);

    impl<'c> Interpreter<'c> for Trace<'c> {
        fn pending(&self) -> bool {
            true
        }
        fn stopped(&self) -> bool {
            false
        }
        fn after(&mut self, step: Step) {
            self.0.push(step);
        }
        fn wrote(&mut self, _replaced: u64, _read: u64) {}
        fn allow_threads(&mut self, wait: impl FnOnce()) {
            wait();
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
        for &mode in Mode::ALL {
            let counters = one_thread(mode);
            let mut trace = Trace(Vec::new(), FreeThreads::new(&clock, &NEVER_STOP));
            counters.count::<SeqCstSwap, _>(0, 2, &mut trace, &clock);
            let steps = mode.spec().steps;
            assert_eq!(trace.0, [steps, steps].concat(), "{mode}");
            assert_eq!(counters.total(&clock, None), 2);
        }
    }

    #[test]
    fn a_sum_goes_round_its_numbers_across_chunks() {
        let clock = InstantClock::new();
        let counters = one_thread(Mode::Sum);
        let mut free = FreeThreads::new(&clock, &NEVER_STOP);
        for n in [2, 5, 0, 1] {
            counters.count::<SeqCstStore, _>(0, n, &mut free, &clock);
        }
        let sums = counters.sums().unwrap();
        // 5, 0, 7, 5, 0, 7, 5, 0
        assert_eq!((sums.added(), sums.sum()), (8, 29));
        assert_eq!(sums.sum(), expected_sum(&[5, 0, 7], 8));
        assert_eq!(expected_sum(&[5, 0, 7], 0), 0);
    }

    #[test]
    fn the_numbers_are_the_same_every_time_and_small() {
        let numbers = make_numbers(100_000);
        assert_eq!(numbers, make_numbers(100_000));
        assert!(numbers.iter().all(|&x| x < 256));
        assert!(numbers.iter().collect::<std::collections::HashSet<_>>().len() > 200);
    }

    #[test]
    fn lock_modes_count_owner_changes() {
        let clock = InstantClock::new();
        for &mode in Mode::ALL.iter().filter(|m| m.spec().locks) {
            let counters = Counters::new(mode, 2, Layout::Padded, Duration::ZERO);
            let mut first = FreeThreads::new(&clock, &NEVER_STOP);
            let mut second = FreeThreads::new(&clock, &NEVER_STOP);
            counters.count::<SeqCstStore, _>(0, 10, &mut first, &clock);
            counters.count::<SeqCstStore, _>(1, 10, &mut second, &clock);
            counters.count::<SeqCstStore, _>(0, 10, &mut first, &clock);
            // The lock starts owned by "thread 0" (the default), so only handovers count.
            assert_eq!(first.finish().counts.lock_owner_changes, 1, "{mode}");
            assert_eq!(second.finish().counts.lock_owner_changes, 1, "{mode}");
            assert_eq!(counters.total(&clock, None), 30, "{mode}");
        }
    }
}
