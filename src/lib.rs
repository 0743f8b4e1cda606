//! # gil-playground
//!
//! See what Python's GIL does to threads. The conference talks on the GIL show four counter
//! workloads (one thread; N threads on one shared counter without a lock; the same with a
//! lock; N threads with private counters) as terminal output of separate CPython builds.
//! This crate runs those workloads on real threads, natively and in the browser (wasm with
//! shared memory on web workers), and measures what happens: time, throughput, lost updates.
//!
//! ## Module map
//! The core is platform-free (plain std, covered by `cargo test`):
//! - [`workload`]: the modes and the increment loop, one match arm per mode.
//! - [`gil`]: the emulated GIL (switch interval, drop requests, 3.9 vs 3.10 safe points).
//! - [`pymutex`]: a lock that behaves like CPython 3.13's `PyMutex`.
//! - [`timeline`]: what each thread did over time, for the page's timeline.
//! - [`config`]: a run's settings and their validation (the errors users see).
//! - [`run`]: one run: split the total, spin at a start barrier, count, time inside the threads.
//! - [`report`]: what a run measured.
//! - [`team`] and [`clock`]: where threads and time come from, so the core never names a platform.
//!
//! At the edges: `web` (wasm32 only) is the thin wasm-bindgen boundary the page's host worker
//! calls; the `gil-playground` binary (`src/main.rs`, `src/cli/`) is the native CLI and server.
//!
//! ```
//! use gil_playground::{clock::InstantClock, config::RunConfig, run::run, team::ScopedThreads,
//!                      workload::Mode};
//!
//! let report = run(RunConfig::new(Mode::Mutex, 2, 10_000), &ScopedThreads, &InstantClock::new())
//!     .expect("valid settings");
//! assert_eq!(report.final_count, 10_000);
//! ```
#![deny(missing_docs)]

pub mod clock;
pub mod config;
pub mod gil;
pub mod pymutex;
pub mod report;
pub mod run;
pub mod team;
pub mod timeline;
pub mod workload;

#[cfg(target_arch = "wasm32")]
#[doc(hidden)]
pub mod web;

/// Helpers for the crate's own tests.
#[cfg(test)]
pub(crate) mod test_support {
    use std::sync::{Mutex, MutexGuard, PoisonError};

    /// Tests that time real threads take this first, so they never compete with each other
    /// for the machine's cores (a 2-core machine would otherwise starve a thread for a
    /// whole run).
    pub(crate) fn serial() -> MutexGuard<'static, ()> {
        static SERIAL: Mutex<()> = Mutex::new(());
        SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
