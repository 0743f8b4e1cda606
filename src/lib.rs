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
pub mod report;
pub mod run;
pub mod team;
pub mod workload;

#[cfg(target_arch = "wasm32")]
#[doc(hidden)]
pub mod web;
