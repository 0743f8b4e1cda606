//! # gil-playground
//!
//! See what Python's GIL does to threads. The conference talks on the GIL show four counter
//! workloads (one thread; N threads on one shared counter without a lock; the same with a
//! lock; N threads with private counters) as terminal output of separate CPython builds.
//! This crate runs those workloads on real threads, natively and in the browser (wasm with
//! shared memory on web workers), and measures what happens: time, throughput, lost updates.
//!
//! ## Module map
//! The core is platform-free (plain std, covered by `cargo test`), in layers that only look down:
//! - [`error`] and [`choice`]: the typed settings error, and the table macro every setting
//!   with named choices is written with.
//! - [`measure`]: the clock trait and the per-thread timelines.
//! - [`model`]: what is emulated: the workloads ([`model::mode`]), the interpreter between
//!   their steps ([`model::interp`]), the GIL ([`model::gil`]), CPython's lock
//!   ([`model::pymutex`]), and how the workers are made: threads, subinterpreters or processes
//!   ([`model::execution`]).
//! - [`settings`]: one schema for a run's settings, checked in one place.
//! - [`run`]: one run on real threads (team, spinning start barrier, timing), the channels
//!   between subinterpreters ([`run::channel`]), what a process runs and how processes' results
//!   become one report ([`run::processes`]), and the report with its phases.
//! - [`info`]: the tables the engine gives the page, the tests and the bench.
//!
//! At the edges: `web` (wasm32 only) is the thin wasm-bindgen boundary the page's host worker
//! calls; the `gil-playground` binary (`src/main.rs`, `src/cli/`) is the native CLI and server.
//! Only the edges start processes: the CLI runs itself as child processes, the page's host
//! worker starts web workers.
//!
//! ```
//! use gil_playground::{measure::clock::InstantClock, model::mode::Mode, run::run,
//!                      run::team::ScopedThreads, settings::Settings};
//!
//! let settings = Settings { mode: Mode::Mutex, threads: 2, total: 10_000, ..Settings::default() };
//! let report = run(settings, &ScopedThreads, &InstantClock::new()).expect("valid settings");
//! assert_eq!(report.final_count, 10_000);
//! ```
#![deny(missing_docs)]

pub mod choice;
pub mod error;
pub mod info;
pub mod measure;
pub mod model;
pub mod run;
pub mod settings;

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
