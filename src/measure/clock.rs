//! One trait for "now", so the core never touches a platform clock.
//!
//! `std::time::Instant` panics on `wasm32-unknown-unknown`; the browser boundary implements
//! [`Clock`] with the worker's `performance` instead. Times are nanoseconds from a base the
//! clock chooses; a run reports them relative to its own start.

use std::time::{Duration, Instant};

/// A monotonic clock readable from any thread.
pub trait Clock: Sync {
    /// Nanoseconds since this clock's base.
    fn now_ns(&self) -> u64;

    /// Waits `duration`, as `time.sleep` does: the thread sleeps. A clock for a thread that
    /// cannot block (single-threaded wasm has no way to) waits on itself instead.
    fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration);
    }
}

/// The native clock: `Instant`, counted from when the clock was made.
pub struct InstantClock {
    base: Instant,
}

impl InstantClock {
    /// A clock whose base is now.
    pub fn new() -> Self {
        InstantClock { base: Instant::now() }
    }
}

impl Default for InstantClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for InstantClock {
    fn now_ns(&self) -> u64 {
        self.base.elapsed().as_nanos() as u64
    }
}
