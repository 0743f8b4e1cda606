//! The interpreter's hidden shared state: the objects behind `counter["value"] += 1`, as real
//! words in shared memory, touched the way a CPython build touches them ([`Objects`]).
//!
//! Sources (CPython v3.13.5 unless noted; the research behind this module is summarised in
//! docs/objects.md): `Include/object.h` 207-218 (the free-threaded header: `ob_tid`, `ob_mutex`,
//! `ob_ref_local`, `ob_ref_shared`), 794-841 and 902-920 (`Py_INCREF`/`Py_DECREF` in both
//! builds), 355-365 (immortal objects, PEP 683); `Objects/object.c` 366-483
//! (`_Py_DecRefShared`, `_Py_MergeZeroLocalRefcount`, `_Py_ExplicitMergeRefcount`);
//! `Python/brc.c` 53-132 (queueing an object to its owner, merging at its next eval-breaker
//! check); `Objects/dictobject.c` 1505-1601 (lock-free `_Py_dict_lookup_threadsafe`, the
//! locked fallback) and 2553-2579, 1823-1895 (`PyDict_SetItem` in a critical section, the old
//! value released with the dict's lock held); `Include/internal/pycore_code.h` 313-319 (no
//! specialisation in 3.13t).
//!
//! What one increment does, per build (d: the dict, k: the key `'value'`, 1: the constant, X:
//! the int read, Y: the new int; the seed's dict is made by the main thread, so every worker
//! is a non-owner of d):
//!
//! | bytecode | `gil` (default build) | `free-threaded` (3.13t) | `atomic` |
//! |---|---|---|---|
//! | LOAD_FAST counter, COPY | d +1 +1, plain | d +1 +1, atomic on the shared field | d +1 +1, atomic |
//! | LOAD_CONST 'value', COPY | k: immortal, no write | the same | k +1 +1, atomic |
//! | BINARY_SUBSCR | X +1 plain; d −1 | X +1: owner plain, else CAS on the shared field; the first cross-thread read of an int takes d's lock; d −1 | X +1, d −1, k −1, atomic |
//! | BINARY_OP += | Y made (count 1); X −1 | the same, X's decref biased (an int made by another thread is queued to it) | 1 +1 −1, X −1, atomic |
//! | STORE_SUBSCR | slot := Y, old X′ −1 (freed at 0), d −1 | d's lock held around: slot := Y, old X′ −1; d −1 | slot swapped atomically; X′ −1, d −1, k +1 −1 |
//! | JUMP_BACKWARD | eval breaker | eval breaker; merge ints queued by others | eval breaker |
//!
//! The `gil` build is correct only because the GIL serialises threads: without it, its plain
//! counts lose increments and decrements for real (two threads read the same count), so the
//! dict's count drifts, an int is released twice (freed while another thread still holds it)
//! or never (leaked). Those are counted, never faked: every int carries a generation number
//! bumped when it is freed, so a use after free is seen instead of crashing.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU32, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use crossbeam_utils::CachePadded;
use serde::Serialize;

use crate::choice::{About, choices};
use crate::measure::clock::Clock;
use crate::model::interp::Interpreter;
use crate::model::pymutex::PyMutex;

choices! {
    /// How the emulated interpreter keeps its objects: the reference counts and locks it
    /// touches behind every bytecode.
    pub enum Objects: "objects" => About {
        /// No objects: the bare counter word, the floor.
        None => About {
            name: "none",
            label: "none (a bare counter)",
            explain: "No Python objects: each increment is a load and a write of one word. The floor every build adds its costs to.",
        },
        /// CPython's default build: plain reference counts.
        Gil => About {
            name: "gil",
            label: "default build (plain counts)",
            explain: "CPython's default build: plain, non-atomic reference counts and immortal constants. Correct only because the GIL lets one thread run at a time: without it, counts lose updates and objects are freed while in use.",
        },
        /// CPython 3.13t: biased counts, immortal constants, a lock in every dict.
        FreeThreaded => About {
            name: "free-threaded",
            label: "free-threaded build (3.13t)",
            explain: "CPython 3.13t: biased reference counts (the owning thread counts plainly, others atomically), immortal constants and small ints, and a lock in every dict around its writes. Safe without the GIL, but every thread that shares the dict contends on its cache lines.",
        },
        /// Every count an atomic add: the naive design.
        Atomic => About {
            name: "atomic",
            label: "atomic counts (naive)",
            explain: "Every reference count an atomic add, with no owner and no immortal objects: the design free-threading avoided. Even the shared key and the constant 1 become contended.",
        },
    }
}

/// What a mode's Python does with objects, per iteration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectWork {
    /// Not Python (a C extension's atomic add): no objects.
    NotPython,
    /// `counter["value"] += 1` on the shared dict.
    SharedDict,
    /// `counter["value"] += 1` on a dict per thread (made by the main thread).
    OwnDict,
    /// `x = obj`: take and drop a reference to one object all threads share.
    RefShared,
    /// `x = obj`: take and drop a reference to an object the thread made itself.
    RefOwn,
    /// `x = None`: take and drop a reference to an immortal object.
    RefImmortal,
    /// `total += x` over numbers in a flat array (`sum`): no objects emulated.
    Numbers,
}

impl ObjectWork {
    /// Whether an object model applies: the mode's Python touches objects the heap emulates.
    pub fn has_objects(self) -> bool {
        !matches!(self, ObjectWork::NotPython | ObjectWork::Numbers)
    }
}

/// The default busy work per bytecode instruction, in nanoseconds: calibrated so that the
/// default build's object model, GIL on, one thread, takes CPython 3.13's time per increment
/// on the reference machine (docs/objects.md, "Per-instruction cost").
///
/// Calibrated 2026-12-02 on the 2-vCPU Intel Xeon VM (Firecracker, Linux 6.18) against
/// CPython 3.13.0 (`bench/python/calibrate.py`): `counter["value"] += 1` takes 62.2 ns per
/// iteration there (bench/results/cpython/SUMMARY.md; re-measured interleaved with the native
/// runs: 61.2 ns wall, 60.9 ns thread CPU, medians of 9). A spin unit measures ~1.0-1.1 ns
/// there and the busy work is a whole number of units, so with 13 instructions per increment
/// the reachable times move in steps of ~13 ns: 4 units give 56-60 ns, 5 units 72.5 ns. 4.4 ns
/// is the interpolated value (4.2 units) and gives 4 units for any probe reading from 0.98 to
/// 1.25 ns per unit; 4.0 fell to 2-3 units (47-56 ns) once the probe read over 1.14. A probe
/// slowed 2x by other load still halves the units (bench/results/objects-native-2026-12-02*).
pub const DEFAULT_COST_NS: f64 = 4.4;

/// What one call of the `with` protocol (`__enter__`, `__exit__`: a C method called through
/// the protocol, then `lock.acquire()` or `lock.release()`) costs, in simple instructions.
/// CPython 3.13 on this machine: `with lock: counter["value"] += 1` takes 271 ns per
/// iteration on one thread, `counter["value"] += 1` 62 ns (bench/results/cpython/SUMMARY.md,
/// section 4): 207 ns more, of which the block's eight plain instructions are ~35 ns and the
/// PyMutex's own atomics ~10 ns; the rest, ~160 ns or ~36 instructions at 4.4 ns, is the two
/// calls, 18 each.
pub const WITH_CALL_INSTRUCTIONS: u32 = 18;

/// The main thread, which made the dicts, the lock and the shared objects.
const MAIN: u32 = u32::MAX - 1;
/// No owner any more (the free-threaded count was merged).
const UNOWNED: u32 = u32::MAX;
/// Free-threaded `ob_ref_local` of an immortal object; in the other builds, the count.
const IMMORTAL_LOCAL: u32 = u32::MAX;
const IMMORTAL_COUNT: i64 = i64::MAX / 2;
/// Free-threaded `ob_ref_shared` flags (count << 2 | flags).
const SHARED_SHIFT: i64 = 2;
const MAYBE_WEAKREF: i64 = 1;
const QUEUED: i64 = 2;
const MERGED: i64 = 3;
const FLAGS: i64 = 3;

/// A `PyObject` header: what threads contend on (kept on a cache line of its own, or with its
/// int's value, as CPython lays them out).
#[derive(Default)]
pub struct Header {
    /// `gil` and `atomic`: the reference count. `free-threaded`: `ob_ref_shared`.
    shared: AtomicI64,
    /// `free-threaded`: `ob_ref_local`, written by the owner only.
    local: AtomicU32,
    /// `free-threaded`: the owner (a thread index, [`MAIN`] or [`UNOWNED`]).
    owner: AtomicU32,
}

impl Header {
    fn new(objects: Objects, count: i64, owner: u32, immortal: bool) -> Self {
        let header = Header::default();
        header.reset(objects, count, owner, immortal);
        header
    }

    fn reset(&self, objects: Objects, count: i64, owner: u32, immortal: bool) {
        let immortal = immortal && objects != Objects::Atomic;
        match objects {
            Objects::FreeThreaded => {
                let local = if immortal { IMMORTAL_LOCAL } else { count as u32 };
                self.local.store(local, Ordering::Relaxed);
                self.shared.store(0, Ordering::Relaxed);
                self.owner.store(if immortal { UNOWNED } else { owner }, Ordering::Relaxed);
            }
            _ => {
                self.shared.store(if immortal { IMMORTAL_COUNT } else { count }, Ordering::Relaxed)
            }
        }
    }

    /// The true count (free-threaded: local + shared), for checks once the run is over. An
    /// object queued to the main thread holds one more reference until the main thread merges
    /// it, which it does as soon as it runs bytecode again: that reference is not counted.
    fn count(&self, objects: Objects) -> i64 {
        match objects {
            Objects::FreeThreaded => {
                let local = self.local.load(Ordering::Relaxed);
                if local == IMMORTAL_LOCAL {
                    return IMMORTAL_COUNT;
                }
                let shared = self.shared.load(Ordering::Relaxed);
                let queued_to_main =
                    self.owner.load(Ordering::Relaxed) == MAIN && shared & FLAGS == QUEUED;
                i64::from(local) + (shared >> SHARED_SHIFT) - i64::from(queued_to_main)
            }
            _ => self.shared.load(Ordering::Relaxed),
        }
    }
}

/// An int object: a header, its value, and a generation bumped each time it is freed, on one
/// cache line.
#[repr(align(64))]
#[derive(Default)]
struct IntObject {
    header: Header,
    value: AtomicU64,
    generation: AtomicU32,
}

/// A dict with one key: its header, its lock (free-threaded), and the value slot, which CPython
/// keeps in a separate keys object: a second cache line.
struct Dict {
    header: CachePadded<Header>,
    lock: PyMutex<()>,
    slot: CachePadded<AtomicU32>,
    version: CachePadded<AtomicU64>,
}

/// Ints a thread has released to another thread: freed ones go back to its pool; queued ones
/// (free-threaded) wait for it to merge them (CPython's `brc` bucket).
#[derive(Default)]
struct Inbox {
    freed: Vec<u32>,
    queued: Vec<IntRef>,
    exited: bool,
}

/// An int by index, with the generation it had when this reference to it was obtained.
type IntRef = (u32, u32);

/// Ints per thread: each thread allocates from its own region (mimalloc's per-thread heaps).
const INTS_PER_THREAD: u32 = 1024;
/// Small ints -5..=256 are static and immortal in CPython; here 0..=256.
const SMALL_INTS: u32 = 257;

/// Everything the threads of one run share behind the code.
pub struct Heap {
    objects: Objects,
    work: ObjectWork,
    dicts: Box<[Dict]>,
    key: CachePadded<Header>,
    one: CachePadded<Header>,
    none: CachePadded<Header>,
    /// The user's lock object (`lock`), for the lock modes.
    lock_object: CachePadded<Header>,
    /// `x = obj`: the object every thread shares.
    shared_object: CachePadded<Header>,
    /// `x = obj`: each thread's own object (made by that thread).
    own_objects: Box<[CachePadded<Header>]>,
    /// `add_one`, when the statement calls it (the free-threaded build makes functions
    /// immortal once a second thread starts, `Python/pystate.c` 1587-1595).
    function: Option<CachePadded<Header>>,
    ints: Box<[IntObject]>,
    inboxes: Box<[CachePadded<Mutex<Inbox>>]>,
    /// Free-threaded: "you have ints to merge" (a bit of CPython's eval breaker).
    merge_requests: Box<[CachePadded<AtomicBool>]>,
    /// The dicts' count at the start: the main thread's reference and one per thread.
    base_count: i64,
}

impl Heap {
    /// Whether the statement calls `add_one`.
    fn calls(&self) -> bool {
        self.function.is_some()
    }
}

/// What the objects went through, counted by the threads (exact, summed over threads).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ObjectCounts {
    /// Ints made (`BINARY_OP`).
    pub allocated: u64,
    /// Ints freed by the thread that made them.
    pub freed: u64,
    /// Ints freed by another thread (pushed back to their maker's pool).
    pub freed_remotely: u64,
    /// Free-threaded: ints queued to their maker, and merged by it.
    pub queued: u64,
    /// Free-threaded: reads that took the dict's lock (the first cross-thread read of an int).
    pub locked_reads: u64,
    /// Times a thread found the dict's lock taken.
    pub dict_lock_waits: u64,
    /// Reference count operations that were atomic read-modify-writes.
    pub atomic_ops: u64,
    /// Reference count operations that were plain (a load and a store).
    pub plain_ops: u64,
    /// Uses of an int after it was freed (only a build without a GIL it needs).
    pub used_after_free: u64,
    /// Releases of an int already freed (a decrement another thread also made).
    pub over_released: u64,
    /// Ints reused although their count never reached zero (leaked; the pool ran dry).
    pub reclaimed: u64,
    /// Times the count of an object that is never freed (the dict, a shared object the main
    /// thread still holds) reached zero: it would have been freed while in use.
    pub freed_while_in_use: u64,
}

impl ObjectCounts {
    /// The counts of several threads added up.
    pub fn sum<'a>(all: impl IntoIterator<Item = &'a ObjectCounts>) -> ObjectCounts {
        all.into_iter().fold(ObjectCounts::default(), |a, c| ObjectCounts {
            allocated: a.allocated + c.allocated,
            freed: a.freed + c.freed,
            freed_remotely: a.freed_remotely + c.freed_remotely,
            queued: a.queued + c.queued,
            locked_reads: a.locked_reads + c.locked_reads,
            dict_lock_waits: a.dict_lock_waits + c.dict_lock_waits,
            atomic_ops: a.atomic_ops + c.atomic_ops,
            plain_ops: a.plain_ops + c.plain_ops,
            used_after_free: a.used_after_free + c.used_after_free,
            over_released: a.over_released + c.over_released,
            reclaimed: a.reclaimed + c.reclaimed,
            freed_while_in_use: a.freed_while_in_use + c.freed_while_in_use,
        })
    }
}

/// The state of the objects when the run is over, checked against what a correct build
/// leaves: the dict's count back at its base, one live int, immortal objects untouched.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ObjectCheck {
    /// How far the dicts' counts are from what they should be (summed over dicts).
    pub dict_count_drift: i64,
    /// How far shared objects' counts (the lock, `x = obj`'s object) are from what they should be.
    pub object_count_drift: i64,
    /// Ints still alive beyond the one in each dict's slot: leaked.
    pub leaked_ints: i64,
    /// Whether an immortal object's header was ever written.
    pub immortal_written: bool,
}

impl ObjectCheck {
    /// The checks of several heaps (one per interpreter) together.
    pub fn sum(all: impl IntoIterator<Item = ObjectCheck>) -> ObjectCheck {
        all.into_iter().fold(ObjectCheck::default(), |a, c| ObjectCheck {
            dict_count_drift: a.dict_count_drift + c.dict_count_drift,
            object_count_drift: a.object_count_drift + c.object_count_drift,
            leaked_ints: a.leaked_ints + c.leaked_ints,
            immortal_written: a.immortal_written || c.immortal_written,
        })
    }
}

/// One thread's side of the heap: its pool of ints and its counts.
pub struct ObjectThread {
    me: u32,
    pool: Vec<u32>,
    /// The int read by the pending increment, with its generation.
    held: IntRef,
    /// The int made by the pending increment.
    made: IntRef,
    /// Per-instruction busy work, in spin units (0: none).
    units: u32,
    sink: u64,
    /// What the thread's objects went through.
    pub counts: ObjectCounts,
}

/// Ordering for the plain (non-atomic) counts of the default build: what wasm and the CPU do
/// for a racy plain load or store, without undefined behaviour.
const PLAIN: Ordering = Ordering::Relaxed;

impl Heap {
    /// The objects of a run of `threads` threads doing `work` under `objects`, calling
    /// `add_one` in each increment if `calls`.
    pub fn new(objects: Objects, work: ObjectWork, threads: usize, calls: bool) -> Self {
        let dicts = match work {
            ObjectWork::OwnDict => threads,
            _ => 1,
        };
        let base_count = 1 + threads as i64;
        // single_thread.py runs its loop on the main thread, which made the dict: a one-thread
        // run is that thread, the owner of the objects. Threaded scripts' workers are not.
        let main = if threads == 1 { 0 } else { MAIN };
        let ints: Box<[IntObject]> = (0..SMALL_INTS + threads as u32 * INTS_PER_THREAD)
            .map(|_| IntObject::default())
            .collect();
        for (value, int) in ints.iter().take(SMALL_INTS as usize).enumerate() {
            // The small-int cache holds one reference: a static object is never freed.
            int.header.reset(objects, 1, MAIN, true);
            int.value.store(value as u64, Ordering::Relaxed);
        }
        Heap {
            objects,
            work,
            dicts: (0..dicts)
                .map(|_| Dict {
                    header: CachePadded::new(Header::new(objects, base_count, main, false)),
                    lock: PyMutex::new(()),
                    slot: CachePadded::new(AtomicU32::new(0)),
                    version: CachePadded::default(),
                })
                .collect(),
            key: CachePadded::new(Header::new(objects, 1, MAIN, true)),
            one: CachePadded::new(Header::new(objects, 1, MAIN, true)),
            none: CachePadded::new(Header::new(objects, 1, MAIN, true)),
            lock_object: CachePadded::new(Header::new(objects, 1, main, false)),
            shared_object: CachePadded::new(Header::new(objects, base_count, main, false)),
            own_objects: (0..threads)
                .map(|t| CachePadded::new(Header::new(objects, 1, t as u32, false)))
                .collect(),
            function: calls.then(|| {
                CachePadded::new(Header::new(objects, 1, MAIN, objects == Objects::FreeThreaded))
            }),
            ints,
            inboxes: (0..threads).map(|_| CachePadded::default()).collect(),
            merge_requests: (0..threads).map(|_| CachePadded::default()).collect(),
            base_count,
        }
    }

    /// Thread `me`'s side, with `units` of busy work per bytecode instruction.
    pub fn thread(&self, me: usize, units: u32) -> ObjectThread {
        let start = SMALL_INTS + me as u32 * INTS_PER_THREAD;
        ObjectThread {
            me: me as u32,
            pool: (start..start + INTS_PER_THREAD).rev().collect(),
            held: (0, 0),
            made: (0, 0),
            units,
            sink: 0,
            counts: ObjectCounts::default(),
        }
    }

    /// The value in dict `index`'s slot: the counter.
    pub fn value(&self, index: usize) -> u64 {
        let slot = self.dicts[index].slot.load(Ordering::SeqCst);
        self.ints[slot as usize].value.load(Ordering::SeqCst)
    }

    /// The final count: the sum of every dict's value.
    pub fn total(&self) -> u64 {
        (0..self.dicts.len()).map(|i| self.value(i)).sum()
    }

    /// Checks the objects once every thread has finished.
    pub fn check(&self) -> ObjectCheck {
        let objects = self.objects;
        // Each object's miscount on its own: a lost increment on one object and a lost
        // decrement on another are two errors, not none.
        let dict_count_drift =
            self.dicts.iter().map(|d| (d.header.count(objects) - self.base_count).abs()).sum();
        let mut object_count_drift = (self.shared_object.count(objects) - self.base_count).abs();
        if let Some(function) = &self.function
            && objects != Objects::FreeThreaded
        {
            object_count_drift += (function.count(objects) - 1).abs();
        }
        object_count_drift += (self.lock_object.count(objects) - 1).abs();
        object_count_drift +=
            self.own_objects.iter().map(|h| (h.count(objects) - 1).abs()).sum::<i64>();
        let live = self.ints[SMALL_INTS as usize..]
            .iter()
            .filter(|int| int.header.count(objects) > 0)
            .count() as i64;
        let in_slots =
            self.dicts.iter().filter(|d| d.slot.load(Ordering::Relaxed) >= SMALL_INTS).count()
                as i64;
        let untouched = |h: &Header| match objects {
            Objects::FreeThreaded => {
                h.local.load(Ordering::Relaxed) == IMMORTAL_LOCAL
                    && h.shared.load(Ordering::Relaxed) == 0
            }
            _ => h.shared.load(Ordering::Relaxed) == IMMORTAL_COUNT,
        };
        let immortals = [&*self.key, &*self.one, &*self.none]
            .into_iter()
            .chain(self.ints[..SMALL_INTS as usize].iter().map(|i| &i.header));
        ObjectCheck {
            dict_count_drift,
            object_count_drift,
            leaked_ints: live - in_slots,
            immortal_written: matches!(objects, Objects::Gil | Objects::FreeThreaded)
                && !immortals.into_iter().all(untouched),
        }
    }
}

impl ObjectThread {
    /// Busy work standing for `instructions` bytecode instructions: a dependent multiply
    /// chain (a plain spin would be folded away by the wasm compiler).
    #[inline(always)]
    pub fn work(&mut self, instructions: u32) {
        let mut x = self.sink | 1;
        for _ in 0..self.units * instructions {
            x = x.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(7);
        }
        self.sink = x;
    }

    /// The busy work's result, so the compiler must compute it.
    pub fn sink(&self) -> u64 {
        self.sink
    }

    fn incref(&mut self, heap: &Heap, h: &Header) {
        match heap.objects {
            Objects::None => {}
            Objects::Gil => {
                let count = self.load_count(h);
                if count != IMMORTAL_COUNT {
                    self.store_count(h, count + 1);
                }
            }
            Objects::Atomic => {
                h.shared.fetch_add(1, Ordering::SeqCst);
                self.counts.atomic_ops += 1;
            }
            Objects::FreeThreaded => {
                let local = h.local.load(Ordering::Relaxed);
                if local == IMMORTAL_LOCAL {
                    return;
                }
                if h.owner.load(Ordering::Relaxed) == self.me {
                    h.local.store(local + 1, Ordering::Relaxed);
                    self.counts.plain_ops += 1;
                } else {
                    h.shared.fetch_add(1 << SHARED_SHIFT, Ordering::SeqCst);
                    self.counts.atomic_ops += 1;
                }
            }
        }
    }

    /// Drops a reference to an object that is never freed here (dicts, the lock, constants).
    fn decref(&mut self, heap: &Heap, h: &Header) {
        self.release(heap, h, None);
    }

    /// Drops a reference to `h`; `int` is its index when it is an int, which is freed when its
    /// count reaches zero (or queued to its owner in the free-threaded build).
    fn release(&mut self, heap: &Heap, h: &Header, int: Option<IntRef>) {
        match heap.objects {
            Objects::None => {}
            Objects::Gil => {
                let count = self.load_count(h);
                if count == IMMORTAL_COUNT {
                    return;
                }
                if count <= 0 {
                    // Released by someone else already: a count that lost an update.
                    self.counts.over_released += 1;
                    return;
                }
                self.store_count(h, count - 1);
                if count == 1 {
                    self.last_reference_gone(heap, int);
                }
            }
            Objects::Atomic => {
                self.counts.atomic_ops += 1;
                if h.shared.fetch_sub(1, Ordering::SeqCst) == 1 {
                    self.last_reference_gone(heap, int);
                }
            }
            Objects::FreeThreaded => {
                let local = h.local.load(Ordering::Relaxed);
                if local == IMMORTAL_LOCAL {
                    return;
                }
                if h.owner.load(Ordering::Relaxed) == self.me {
                    self.counts.plain_ops += 1;
                    h.local.store(local - 1, Ordering::Relaxed);
                    if local == 1 && int.is_some() {
                        self.merge_zero_local(heap, h, int);
                    } else if local == 1 {
                        self.counts.freed_while_in_use += 1;
                    }
                } else {
                    self.release_shared(heap, h, int);
                }
            }
        }
    }

    /// The default build's plain count: a load (its store is [`ObjectThread::store_count`];
    /// another thread's update in between is lost, as without a GIL in CPython).
    pub(crate) fn load_count(&self, h: &Header) -> i64 {
        h.shared.load(PLAIN)
    }

    /// The default build's plain count: the store that follows the load.
    pub(crate) fn store_count(&mut self, h: &Header, count: i64) {
        h.shared.store(count, PLAIN);
        self.counts.plain_ops += 1;
    }

    /// A count reached zero: an int is freed; any other object here is still in use (the main
    /// thread holds it), so a zero count means it would have been freed while in use.
    fn last_reference_gone(&mut self, heap: &Heap, int: Option<IntRef>) {
        match int {
            Some(_) => self.free(heap, int),
            None => self.counts.freed_while_in_use += 1,
        }
    }

    /// `_Py_MergeZeroLocalRefcount`: the owner's count reached zero.
    fn merge_zero_local(&mut self, heap: &Heap, h: &Header, int: Option<IntRef>) {
        let shared = h.shared.load(Ordering::Acquire);
        if shared == 0 {
            self.free(heap, int);
            return;
        }
        h.owner.store(UNOWNED, Ordering::Relaxed);
        let mut shared = shared;
        loop {
            self.counts.atomic_ops += 1;
            match h.shared.compare_exchange(
                shared,
                shared | MERGED,
                Ordering::SeqCst,
                Ordering::SeqCst,
            ) {
                Ok(_) => break,
                Err(now) => shared = now,
            }
        }
        if shared >> SHARED_SHIFT == 0 {
            self.free(heap, int);
        }
    }

    /// `_Py_DecRefShared`: a non-owner drops a reference.
    fn release_shared(&mut self, heap: &Heap, h: &Header, int: Option<IntRef>) {
        let mut shared = h.shared.load(Ordering::Relaxed);
        loop {
            self.counts.atomic_ops += 1;
            let queue = shared == 0 || shared == MAYBE_WEAKREF;
            // The queue holds the reference: the count is not lowered when queueing.
            let new = if queue { QUEUED } else { shared - (1 << SHARED_SHIFT) };
            match h.shared.compare_exchange(shared, new, Ordering::SeqCst, Ordering::SeqCst) {
                Ok(_) => {
                    if queue {
                        self.queue(heap, h, int);
                    } else if new == MERGED {
                        self.free(heap, int);
                    }
                    return;
                }
                Err(now) => shared = now,
            }
        }
    }

    /// `_Py_brc_queue_object`: hands the object to its owner, who merges it at its next back
    /// edge (or merges it here if the owner has already exited).
    fn queue(&mut self, heap: &Heap, h: &Header, int: Option<IntRef>) {
        let owner = h.owner.load(Ordering::Acquire);
        let Some(int) = int else { return };
        if owner >= heap.inboxes.len() as u32 {
            return;
        }
        let mut inbox = heap.inboxes[owner as usize].lock().unwrap_or_else(PoisonError::into_inner);
        self.counts.atomic_ops += 2;
        if inbox.exited {
            drop(inbox);
            self.merge(heap, int);
            return;
        }
        inbox.queued.push(int);
        heap.merge_requests[owner as usize].store(true, Ordering::Release);
        self.counts.queued += 1;
    }

    /// `_Py_ExplicitMergeRefcount(op, -1)`: merges a queued int, freeing it at zero.
    fn merge(&mut self, heap: &Heap, int: IntRef) {
        let h = &heap.ints[int.0 as usize].header;
        let local = i64::from(h.local.swap(0, Ordering::Relaxed));
        h.owner.store(UNOWNED, Ordering::Relaxed);
        let mut shared = h.shared.load(Ordering::Relaxed);
        loop {
            let count = (shared >> SHARED_SHIFT) + local - 1;
            let new = (count << SHARED_SHIFT) | MERGED;
            self.counts.atomic_ops += 1;
            match h.shared.compare_exchange(shared, new, Ordering::SeqCst, Ordering::SeqCst) {
                Ok(_) => {
                    if count == 0 {
                        self.free(heap, Some(int));
                    }
                    return;
                }
                Err(now) => shared = now,
            }
        }
    }

    /// At the back edge: merges what other threads queued (free-threaded build).
    fn merge_queued(&mut self, heap: &Heap) {
        let me = self.me as usize;
        if !heap.merge_requests[me].swap(false, Ordering::Acquire) {
            return;
        }
        let queued = std::mem::take(
            &mut heap.inboxes[me].lock().unwrap_or_else(PoisonError::into_inner).queued,
        );
        for int in queued {
            self.merge(heap, int);
        }
    }

    /// Frees int `int`: back to this thread's pool, or to its maker's. Two threads that both
    /// saw the last reference go (a lost decrement) cannot both free it: the generation is
    /// claimed once, and the loser counts an over-release.
    fn free(&mut self, heap: &Heap, int: Option<IntRef>) {
        let Some((index, seen)) = int else { return };
        if index < SMALL_INTS {
            return;
        }
        let generation = &heap.ints[index as usize].generation;
        if generation.compare_exchange(seen, seen + 1, Ordering::AcqRel, Ordering::Relaxed).is_err()
        {
            self.counts.over_released += 1;
            return;
        }
        let maker = (index - SMALL_INTS) / INTS_PER_THREAD;
        if maker == self.me {
            self.pool.push(index);
            self.counts.freed += 1;
        } else {
            heap.inboxes[maker as usize]
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .freed
                .push(index);
            self.counts.freed_remotely += 1;
        }
    }

    /// A new int holding `value`, made by this thread (a small int is the static one).
    fn make_int(&mut self, heap: &Heap, value: u64) -> IntRef {
        if value < u64::from(SMALL_INTS) {
            return (value as u32, 0);
        }
        let index = match self.pool.pop() {
            Some(index) => index,
            None => self.refill(heap),
        };
        let int = &heap.ints[index as usize];
        int.header.reset(heap.objects, 1, self.me, false);
        int.value.store(value, Ordering::Relaxed);
        self.counts.allocated += 1;
        (index, int.generation.load(Ordering::Relaxed))
    }

    /// Takes back the ints other threads freed; if none, reuses the thread's oldest leaked
    /// ints (counted as leaked by the final check before they are reused).
    #[cold]
    fn refill(&mut self, heap: &Heap) -> u32 {
        let freed = std::mem::take(
            &mut heap.inboxes[self.me as usize]
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .freed,
        );
        self.pool.extend(freed);
        if let Some(index) = self.pool.pop() {
            return index;
        }
        // Every int of this thread is alive or leaked: reclaim one no dict's slot holds.
        let start = SMALL_INTS + self.me * INTS_PER_THREAD;
        let in_use: Vec<u32> = heap.dicts.iter().map(|d| d.slot.load(Ordering::Acquire)).collect();
        let index = (start..start + INTS_PER_THREAD)
            .find(|i| !in_use.contains(i) && *i != self.held.0)
            .expect("a thread's region is larger than the dicts");
        heap.ints[index as usize].generation.fetch_add(1, Ordering::Relaxed);
        self.counts.reclaimed += 1;
        index
    }

    /// The dict this thread works on.
    fn dict<'h>(&self, heap: &'h Heap) -> &'h Dict {
        match heap.work {
            ObjectWork::OwnDict => &heap.dicts[self.me as usize],
            _ => &heap.dicts[0],
        }
    }

    /// `LOAD_FAST counter; LOAD_CONST 'value'; COPY 2; COPY 2; BINARY_SUBSCR`: the read.
    pub fn read<'c, I: Interpreter<'c>>(
        &mut self,
        heap: &'c Heap,
        interp: &mut I,
        clock: &'c dyn Clock,
    ) -> u64 {
        let dict = self.dict(heap);
        if let Some(function) = &heap.function {
            // LOAD_GLOBAL add_one; the dict and the key once (no COPY without `+=`).
            self.incref(heap, function);
        } else {
            self.incref(heap, &dict.header);
            self.incref(heap, &heap.key);
        }
        self.incref(heap, &dict.header);
        self.incref(heap, &heap.key);
        let index = match heap.objects {
            Objects::FreeThreaded => self.read_threadsafe(heap, dict, interp, clock),
            _ => {
                let index = dict.slot.load(Ordering::Acquire);
                self.held.1 = heap.ints[index as usize].generation.load(Ordering::Relaxed);
                self.incref(heap, &heap.ints[index as usize].header);
                index
            }
        };
        let int = &heap.ints[index as usize];
        self.held.0 = index;
        self.decref(heap, &dict.header);
        self.decref(heap, &heap.key);
        self.work(if heap.calls() { 4 } else { 5 });
        int.value.load(Ordering::Relaxed)
    }

    /// `_Py_dict_lookup_threadsafe`: an optimistic incref of the value, or the dict's lock.
    fn read_threadsafe<'c, I: Interpreter<'c>>(
        &mut self,
        heap: &'c Heap,
        dict: &'c Dict,
        interp: &mut I,
        clock: &'c dyn Clock,
    ) -> u32 {
        let index = dict.slot.load(Ordering::Acquire);
        self.held.1 = heap.ints[index as usize].generation.load(Ordering::Relaxed);
        let h = &heap.ints[index as usize].header;
        let local = h.local.load(Ordering::Relaxed);
        if local == IMMORTAL_LOCAL {
            return index;
        }
        if h.owner.load(Ordering::Relaxed) == self.me {
            h.local.store(local + 1, Ordering::Relaxed);
            self.counts.plain_ops += 1;
            return index;
        }
        // `_Py_TryIncRefShared`: retry the compare-and-swap until it succeeds, unless the
        // count reaches zero (the object is being freed): then only the lock is safe.
        let mut shared = h.shared.load(Ordering::Relaxed);
        while shared != 0 && shared != MERGED {
            self.counts.atomic_ops += 1;
            match h.shared.compare_exchange(
                shared,
                shared + (1 << SHARED_SHIFT),
                Ordering::SeqCst,
                Ordering::SeqCst,
            ) {
                Ok(_) => {
                    if dict.slot.load(Ordering::Acquire) == index {
                        return index;
                    }
                    self.release(heap, h, Some((index, self.held.1)));
                    break;
                }
                Err(now) => shared = now,
            }
        }
        // The locked fallback: under the dict's lock, take a reference to whatever is there.
        self.counts.locked_reads += 1;
        let guard = self.lock_dict(dict, interp, clock);
        let index = dict.slot.load(Ordering::Acquire);
        self.held.1 = heap.ints[index as usize].generation.load(Ordering::Relaxed);
        let h = &heap.ints[index as usize].header;
        if h.local.load(Ordering::Relaxed) != IMMORTAL_LOCAL {
            if h.owner.load(Ordering::Relaxed) == self.me {
                let local = h.local.load(Ordering::Relaxed);
                h.local.store(local + 1, Ordering::Relaxed);
                self.counts.plain_ops += 1;
            } else {
                let mut shared = h.shared.load(Ordering::Relaxed);
                loop {
                    let flags = if shared & FLAGS == 0 { MAYBE_WEAKREF } else { 0 };
                    self.counts.atomic_ops += 1;
                    match h.shared.compare_exchange(
                        shared,
                        (shared + (1 << SHARED_SHIFT)) | flags,
                        Ordering::SeqCst,
                        Ordering::SeqCst,
                    ) {
                        Ok(_) => break,
                        Err(now) => shared = now,
                    }
                }
            }
        }
        drop(guard);
        index
    }

    fn lock_dict<'c, I: Interpreter<'c>>(
        &mut self,
        dict: &'c Dict,
        interp: &mut I,
        clock: &'c dyn Clock,
    ) -> crate::model::pymutex::PyMutexGuard<'c, ()> {
        self.counts.atomic_ops += 1;
        match dict.lock.try_lock(clock) {
            Some(guard) => guard,
            None => {
                self.counts.dict_lock_waits += 1;
                interp.blocking(|| dict.lock.try_lock(clock), |rec| dict.lock.lock(rec, clock))
            }
        }
    }

    /// `LOAD_CONST 1; BINARY_OP +=` (or `CALL add_one`, whose body does the same): a new int,
    /// and the read one released.
    pub fn add(&mut self, heap: &Heap, read: u64) -> u64 {
        self.incref(heap, &heap.one);
        let value = read + 1;
        self.made = self.make_int(heap, value);
        self.decref(heap, &heap.one);
        self.release_held(heap);
        match &heap.function {
            Some(function) => {
                // The call: a frame (this thread's), RESUME, the body, RETURN; add_one released.
                self.decref(heap, function);
                self.work(6);
            }
            None => self.work(2),
        }
        value
    }

    /// Releases the int this thread read, unless it was freed meanwhile (a use after free).
    fn release_held(&mut self, heap: &Heap) {
        let (index, generation) = self.held;
        let int = &heap.ints[index as usize];
        if int.generation.load(Ordering::Relaxed) != generation {
            self.counts.used_after_free += 1;
            return;
        }
        self.release(heap, &int.header, Some((index, generation)));
    }

    /// `SWAP; SWAP; STORE_SUBSCR`: the new int into the slot, the old one released. Returns
    /// the value the write replaced (for the GIL's stale-write count).
    pub fn write<'c, I: Interpreter<'c>>(
        &mut self,
        heap: &'c Heap,
        interp: &mut I,
        clock: &'c dyn Clock,
    ) -> u64 {
        let dict = self.dict(heap);
        let made = self.made;
        if heap.calls() {
            // `+=` kept its dict on the stack; after a call it is loaded again.
            self.incref(heap, &dict.header);
        }
        self.incref(heap, &heap.key);
        self.incref(heap, &heap.ints[made.0 as usize].header);
        // The old value's generation, as loaded with it (a stale one means it was freed).
        let old_ref = |old: u32| (old, heap.ints[old as usize].generation.load(Ordering::Relaxed));
        let old = match heap.objects {
            Objects::FreeThreaded => {
                let guard = self.lock_dict(dict, interp, clock);
                let old = old_ref(dict.slot.swap(made.0, Ordering::AcqRel));
                dict.version.fetch_add(1, Ordering::Relaxed);
                let replaced = heap.ints[old.0 as usize].value.load(Ordering::Relaxed);
                self.release(heap, &heap.ints[old.0 as usize].header, Some(old));
                drop(guard);
                (old, replaced)
            }
            Objects::Atomic => {
                let old = old_ref(dict.slot.swap(made.0, Ordering::SeqCst));
                dict.version.fetch_add(1, Ordering::SeqCst);
                let replaced = heap.ints[old.0 as usize].value.load(Ordering::Relaxed);
                self.release(heap, &heap.ints[old.0 as usize].header, Some(old));
                (old, replaced)
            }
            _ => {
                // The default build: a plain load of the old value, a plain store of the new.
                let old = old_ref(dict.slot.load(PLAIN));
                dict.slot.store(made.0, PLAIN);
                let version = dict.version.load(PLAIN);
                dict.version.store(version + 1, PLAIN);
                let replaced = heap.ints[old.0 as usize].value.load(Ordering::Relaxed);
                self.release(heap, &heap.ints[old.0 as usize].header, Some(old));
                (old, replaced)
            }
        };
        self.decref(heap, &heap.key);
        // The value stack's reference to the new int is released (the dict keeps one).
        self.release(heap, &heap.ints[made.0 as usize].header, Some(made));
        self.decref(heap, &dict.header);
        self.work(3);
        old.1
    }

    /// `FOR_ITER; STORE_FAST` (a thread-local int each iteration: busy work only).
    pub fn next(&mut self) {
        self.work(2);
    }

    /// `JUMP_BACKWARD`: the eval breaker; the free-threaded build merges queued ints here.
    pub fn back_edge(&mut self, heap: &Heap) {
        if heap.objects == Objects::FreeThreaded {
            self.merge_queued(heap);
        }
        self.work(1);
    }

    /// `with lock:` entered: the lock object's references (its bound `__enter__` and
    /// `__exit__`) and the call to `__enter__`, before the acquire the caller does.
    pub fn enter_with(&mut self, heap: &Heap) {
        for _ in 0..3 {
            self.incref(heap, &heap.lock_object);
        }
        self.decref(heap, &heap.lock_object);
        self.decref(heap, &heap.lock_object);
        self.work(3 + WITH_CALL_INSTRUCTIONS);
    }

    /// `with` left, lock still held: `LOAD_CONST None` x3 and the call to `__exit__`, up to
    /// the release inside it (which the caller does next). The lock is held meanwhile, as in
    /// CPython, where `lock.release()` is the last thing `__exit__` does.
    pub fn call_exit(&mut self) {
        self.work(4 + WITH_CALL_INSTRUCTIONS);
    }

    /// After the release: `POP_TOP` and the bound `__exit__` released.
    pub fn exit_with(&mut self, heap: &Heap) {
        self.decref(heap, &heap.lock_object);
        self.work(1);
    }

    /// `x = obj`: a reference taken (the read).
    pub fn take_ref(&mut self, heap: &Heap) {
        let h = self.ref_target(heap);
        self.incref(heap, h);
        self.work(2);
    }

    /// `x = obj`: the previous reference dropped (the write).
    pub fn drop_ref(&mut self, heap: &Heap) {
        let h = self.ref_target(heap);
        self.decref(heap, h);
        self.work(1);
    }

    fn ref_target<'h>(&self, heap: &'h Heap) -> &'h Header {
        match heap.work {
            ObjectWork::RefOwn => &heap.own_objects[self.me as usize],
            ObjectWork::RefImmortal => &heap.none,
            _ => &heap.shared_object,
        }
    }

    /// The thread has finished: merges what was queued to it, and from now on merges are
    /// done by whoever queues (CPython merges a thread's objects when it exits).
    pub fn finish(&mut self, heap: &Heap) {
        if heap.objects != Objects::FreeThreaded {
            return;
        }
        let me = self.me as usize;
        let queued = {
            let mut inbox = heap.inboxes[me].lock().unwrap_or_else(PoisonError::into_inner);
            inbox.exited = true;
            std::mem::take(&mut inbox.queued)
        };
        for int in queued {
            self.merge(heap, int);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::clock::InstantClock;
    use crate::model::interp::{FreeThreads, NEVER_STOP};

    /// Two emulated threads of one heap, interleaved by hand on this one OS thread.
    fn two(objects: Objects, work: ObjectWork) -> (Heap, ObjectThread, ObjectThread) {
        let heap = Heap::new(objects, work, 2, false);
        let (a, b) = (heap.thread(0, 0), heap.thread(1, 0));
        (heap, a, b)
    }

    /// One whole `+=` by `t`.
    fn increment(heap: &Heap, t: &mut ObjectThread) {
        let clock = InstantClock::new();
        let mut interp = FreeThreads::new(&clock, &NEVER_STOP);
        let read = t.read(heap, &mut interp, &clock);
        t.add(heap, read);
        t.write(heap, &mut interp, &clock);
        t.back_edge(heap);
    }

    #[test]
    fn one_thread_counts_exactly_and_leaves_every_object_as_it_found_it() {
        for &objects in &Objects::ALL[1..] {
            let (heap, mut t, _) = two(objects, ObjectWork::SharedDict);
            for _ in 0..3000 {
                increment(&heap, &mut t);
            }
            t.finish(&heap);
            assert_eq!(heap.total(), 3000, "{objects}");
            assert_eq!(heap.check(), ObjectCheck::default(), "{objects}");
            // Every int above 256 was made once and freed once, except the one in the slot.
            assert_eq!(t.counts.allocated, 3000 - 256, "{objects}");
            assert_eq!(t.counts.freed, 3000 - 256 - 1, "{objects}");
        }
    }

    #[test]
    fn a_lost_update_at_bytecode_granularity_keeps_counts_exact() {
        // Both threads read the same int, both write: one update is lost, but each thread
        // releases the value it replaced, so no count drifts (in every build).
        for &objects in &Objects::ALL[1..] {
            let (heap, mut a, mut b) = two(objects, ObjectWork::SharedDict);
            for _ in 0..300 {
                increment(&heap, &mut a);
            }
            let clock = InstantClock::new();
            let mut interp = FreeThreads::new(&clock, &NEVER_STOP);
            let ra = a.read(&heap, &mut interp, &clock);
            let rb = b.read(&heap, &mut interp, &clock);
            a.add(&heap, ra);
            b.add(&heap, rb);
            let replaced_a = a.write(&heap, &mut interp, &clock);
            let replaced_b = b.write(&heap, &mut interp, &clock);
            a.back_edge(&heap);
            b.back_edge(&heap);
            a.finish(&heap);
            b.finish(&heap);
            assert_eq!(heap.total(), 301, "{objects}: one of the two updates is lost");
            assert_eq!((replaced_a, replaced_b), (300, 301), "{objects}: b overwrote a's update");
            assert_eq!(heap.check(), ObjectCheck::default(), "{objects}");
        }
    }

    #[test]
    fn the_default_builds_plain_counts_lose_updates_when_interleaved() {
        // Without a GIL two threads can both load a count before either stores it: one
        // reference is then never counted, and the count falls to zero with the object in use.
        let (heap, mut a, mut b) = two(Objects::Gil, ObjectWork::RefShared);
        let object = &heap.shared_object;
        let (seen_a, seen_b) = (a.load_count(object), b.load_count(object));
        a.store_count(object, seen_a + 1);
        b.store_count(object, seen_b + 1);
        a.drop_ref(&heap);
        b.drop_ref(&heap);
        assert_eq!(heap.check().object_count_drift, 1, "one increment was lost");
        // As each thread finishes it drops its own reference: the count reaches zero although
        // the main thread still holds the object.
        a.drop_ref(&heap);
        b.drop_ref(&heap);
        assert_eq!(a.counts.freed_while_in_use + b.counts.freed_while_in_use, 1);
    }

    #[test]
    fn immortal_objects_are_never_written() {
        for objects in [Objects::Gil, Objects::FreeThreaded] {
            let (heap, mut a, mut b) = two(objects, ObjectWork::RefImmortal);
            for _ in 0..1000 {
                a.take_ref(&heap);
                b.take_ref(&heap);
                a.drop_ref(&heap);
                b.drop_ref(&heap);
            }
            // Small ints (the first 256 values) pass through the dict too.
            let (heap2, mut c, _) = two(objects, ObjectWork::SharedDict);
            for _ in 0..300 {
                increment(&heap2, &mut c);
            }
            for h in [&heap, &heap2] {
                assert!(!h.check().immortal_written, "{objects}");
            }
            assert_eq!(a.counts.plain_ops + a.counts.atomic_ops, 0, "{objects}: not one count op");
        }
        // Atomic counts have no immortal objects: None's line is written by every thread.
        let (heap, mut a, _) = two(Objects::Atomic, ObjectWork::RefImmortal);
        a.take_ref(&heap);
        a.drop_ref(&heap);
        assert_eq!(a.counts.atomic_ops, 2);
    }

    #[test]
    fn biased_counts_merge_when_the_owner_exits() {
        // a makes an int and stores it; b reads it (a cross-thread read: the dict's lock, the
        // int marked shared); a exits; b's release of the int queues it to an owner that has
        // gone, so b merges it itself. Nothing leaks, every count ends exact.
        let (heap, mut a, mut b) = two(Objects::FreeThreaded, ObjectWork::SharedDict);
        for _ in 0..300 {
            increment(&heap, &mut a);
        }
        let clock = InstantClock::new();
        let mut interp = FreeThreads::new(&clock, &NEVER_STOP);
        let read = b.read(&heap, &mut interp, &clock);
        assert_eq!(
            b.counts.locked_reads, 1,
            "the first read of another thread's int takes the lock"
        );
        a.finish(&heap);
        b.add(&heap, read);
        b.write(&heap, &mut interp, &clock);
        b.back_edge(&heap);
        b.finish(&heap);
        assert_eq!(heap.total(), 301);
        assert_eq!(heap.check(), ObjectCheck::default());
        assert!(b.counts.freed_remotely >= 1, "b freed a's int back to a's pool");

        // With the owner still running, the int is queued to it and merged at its back edge.
        let (heap, mut a, mut b) = two(Objects::FreeThreaded, ObjectWork::SharedDict);
        for _ in 0..300 {
            increment(&heap, &mut a);
        }
        for _ in 0..5 {
            increment(&heap, &mut b);
            increment(&heap, &mut a);
        }
        a.finish(&heap);
        b.finish(&heap);
        assert_eq!(heap.total(), 310);
        assert_eq!(heap.check(), ObjectCheck::default());
        assert!(a.counts.queued + b.counts.queued >= 1, "cross-thread releases were queued");
    }
}
