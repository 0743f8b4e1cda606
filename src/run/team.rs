//! How a run gets its threads: exactly `n` distinct threads, all running at once.
//!
//! Natively each run starts `n` scoped std threads; in the browser the boundary runs on
//! wasm-bindgen-rayon's pool of web workers, built once at the largest size the page offers.
//! A process works on its own thread ([`CurrentThread`]). Starting the threads is the run's
//! start-up phase; counting begins only after the spinning start barrier.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use crossbeam_utils::CachePadded;

use crate::measure::clock::Clock;

/// The most threads a native run may start (the browser's limit is its pool size).
pub const MAX_NATIVE_THREADS: usize = 256;

/// Runs a body on `n` distinct threads at once and returns when all have finished.
pub trait ThreadTeam: Sync {
    /// The most threads [`ThreadTeam::run`] can start at once.
    fn capacity(&self) -> usize;

    /// Calls `body(0)` .. `body(n - 1)`, each on its own thread, and waits for all of them.
    fn run(&self, n: usize, body: &(dyn Fn(usize) + Sync));
}

/// The calling thread alone: a process runs its one worker on it.
pub struct CurrentThread;

impl ThreadTeam for CurrentThread {
    fn capacity(&self) -> usize {
        1
    }

    fn run(&self, n: usize, body: &(dyn Fn(usize) + Sync)) {
        debug_assert_eq!(n, 1);
        body(0);
    }
}

/// Native threads: `std::thread::scope`, `n` fresh threads per run.
pub struct ScopedThreads;

impl ThreadTeam for ScopedThreads {
    fn capacity(&self) -> usize {
        MAX_NATIVE_THREADS
    }

    fn run(&self, n: usize, body: &(dyn Fn(usize) + Sync)) {
        std::thread::scope(|scope| {
            for index in 0..n {
                scope.spawn(move || body(index));
            }
        });
    }
}

/// A number that names the calling thread, distinct for every thread of the process: lets a
/// report show how many different threads really ran.
pub fn thread_identity() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(1);
    thread_local! {
        static IDENTITY: usize = NEXT.fetch_add(1, Ordering::Relaxed);
    }
    IDENTITY.with(|id| *id)
}

/// The number the edge gave this wasm instance (0: none; natively the process id is used).
static INSTANCE: AtomicU64 = AtomicU64::new(0);

/// Names the memory this code runs in: the browser's boundary draws a random number for each
/// wasm instance when it starts (a wasm instance has no process id).
pub fn name_instance(id: u64) {
    INSTANCE.store(id, Ordering::Relaxed);
}

/// Which memory this code runs in: the number given to [`name_instance`], else the process id.
pub fn instance() -> u64 {
    match INSTANCE.load(Ordering::Relaxed) {
        0 => u64::from(std::process::id()),
        named => named,
    }
}

/// A start line that threads spin at until all `n` have arrived. A sleeping barrier released
/// threads milliseconds apart on a 2-core machine, longer than a whole run, so nothing raced.
///
/// After everyone has arrived, the threads keep spinning until each has seen every other one
/// make progress within the last [`LIVE_WINDOW_NS`], i.e. until all are running at the same
/// time, and only then meet to start. Without this, the first run of a process regularly had
/// one thread begin 4 ms late (one scheduler tick): Linux had put it on the same core as
/// another and moves it to an idle core only at a later balancing tick. With more threads
/// than cores they can never all run at once, so the wait gives up after [`MAX_SETTLE_NS`].
pub(crate) struct SpinBarrier {
    arrived: CachePadded<AtomicUsize>,
    settled: CachePadded<AtomicUsize>,
    beats: Box<[CachePadded<AtomicU64>]>,
}

/// Everyone must have been seen running within this window (the browser's clock has 5 us ticks).
const LIVE_WINDOW_NS: u64 = 100_000;
/// Spin together at least this long.
const MIN_SETTLE_NS: u64 = 1_000_000;
/// Give up waiting for everyone to run at once after this long.
const MAX_SETTLE_NS: u64 = 50_000_000;

impl SpinBarrier {
    pub(crate) fn new(n: usize) -> Self {
        SpinBarrier {
            arrived: Default::default(),
            settled: Default::default(),
            beats: (0..n).map(|_| Default::default()).collect(),
        }
    }

    /// Waits as thread `index`; returns when the timed part may start (at once for a thread
    /// alone: there is no one to start with).
    pub(crate) fn wait(&self, index: usize, clock: &dyn Clock) {
        let n = self.beats.len();
        if n == 1 {
            return;
        }
        Self::meet(&self.arrived, n);
        let start = clock.now_ns();
        // (last heartbeat seen, when it last changed) for every thread.
        let mut seen: Vec<(u64, u64)> = vec![(0, start); n];
        loop {
            self.beats[index].fetch_add(1, Ordering::Relaxed);
            let now = clock.now_ns();
            let mut all_live = true;
            for (other, beat) in self.beats.iter().enumerate() {
                let value = beat.load(Ordering::Relaxed);
                if value != seen[other].0 {
                    seen[other] = (value, now);
                } else if other != index && now - seen[other].1 > LIVE_WINDOW_NS {
                    all_live = false;
                }
            }
            let waited = now - start;
            if (all_live && waited >= MIN_SETTLE_NS) || waited >= MAX_SETTLE_NS {
                break;
            }
        }
        Self::meet(&self.settled, n);
    }

    fn meet(count: &AtomicUsize, n: usize) {
        count.fetch_add(1, Ordering::SeqCst);
        while count.load(Ordering::SeqCst) < n {
            std::hint::spin_loop();
        }
    }
}
