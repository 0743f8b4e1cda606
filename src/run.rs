//! One run: split the total, start every thread at a spinning barrier, count (with or without
//! the emulated GIL), report.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use crossbeam_utils::CachePadded;

use crate::clock::Clock;
use crate::config::{ConfigError, RunConfig};
use crate::gil::{Gil, GilThread, Profile, Py39, Py310, SafePoints};
use crate::report::{RunReport, ThreadSample};
use crate::team::{SpinBarrier, ThreadTeam, thread_identity};
use crate::timeline::ThreadTimeline;
use crate::workload::{
    Counters, FreeThreads, Interpreter, MemoryOrder, Order, RelaxedOrder, SeqCstOrder,
};

/// Increments between two progress updates: often enough for a live display, rare enough
/// (one store per 65,536 increments) to cost nothing measurable.
const CHUNK: u64 = 1 << 16;

/// A run that has been set up and can be executed once.
///
/// Shared between the thread that executes it and any thread that watches its
/// [`Run::progress`] (the browser's host worker polls it).
pub struct Run {
    config: RunConfig,
    counters: Counters,
    barrier: SpinBarrier,
    progress: Box<[CachePadded<AtomicU64>]>,
    samples: Box<[OnceLock<(ThreadSample, ThreadTimeline)>]>,
    gil: Option<Gil>,
}

impl Run {
    /// Checks `config` against what `team` can start and sets the run up.
    ///
    /// # Errors
    /// Any [`ConfigError`] from [`RunConfig::validate`].
    pub fn new(config: RunConfig, team: &dyn ThreadTeam) -> Result<Self, ConfigError> {
        config.validate(team.capacity())?;
        let n = config.threads;
        Ok(Run {
            counters: Counters::new(n, config.layout),
            barrier: SpinBarrier::new(n),
            progress: (0..n).map(|_| CachePadded::new(AtomicU64::new(0))).collect(),
            samples: (0..n).map(|_| OnceLock::new()).collect(),
            gil: config.gil.as_ref().map(Gil::new),
            config,
        })
    }

    /// The settings this run executes.
    pub fn config(&self) -> &RunConfig {
        &self.config
    }

    /// Increments each thread has completed so far (updated every 65,536 increments).
    pub fn progress(&self) -> Vec<u64> {
        self.progress.iter().map(|p| p.load(Ordering::Relaxed)).collect()
    }

    /// Runs the workload on `team`'s threads, timing with `clock`, and reports.
    pub fn execute(&self, team: &dyn ThreadTeam, clock: &dyn Clock) -> RunReport {
        team.run(self.config.threads, &|index| self.thread(index, clock));
        let (samples, timeline): (Vec<ThreadSample>, Vec<ThreadTimeline>) = self
            .samples
            .iter()
            .map(|s| s.get().expect("every thread of the run records a sample").clone())
            .unzip();
        RunReport::new(&self.config, self.counters.total(clock), &samples, timeline)
    }

    fn thread(&self, index: usize, clock: &dyn Clock) {
        let identity = thread_identity();
        let increments = self.config.share_of(index);
        self.barrier.wait(index, clock);
        let start_ns = clock.now_ns();
        let timeline = match (&self.gil, self.config.order) {
            (None, MemoryOrder::SeqCst) => self.free::<SeqCstOrder>(index, increments, clock),
            (None, MemoryOrder::Relaxed) => self.free::<RelaxedOrder>(index, increments, clock),
            (Some(gil), order) => match (gil.safe_points(), order) {
                (SafePoints::Py39, MemoryOrder::SeqCst) => {
                    self.with_gil::<SeqCstOrder, Py39>(gil, index, increments, clock)
                }
                (SafePoints::Py39, MemoryOrder::Relaxed) => {
                    self.with_gil::<RelaxedOrder, Py39>(gil, index, increments, clock)
                }
                (SafePoints::Py310, MemoryOrder::SeqCst) => {
                    self.with_gil::<SeqCstOrder, Py310>(gil, index, increments, clock)
                }
                (SafePoints::Py310, MemoryOrder::Relaxed) => {
                    self.with_gil::<RelaxedOrder, Py310>(gil, index, increments, clock)
                }
            },
        };
        let end_ns = clock.now_ns();
        let sample = ThreadSample { start_ns, end_ns, increments, identity };
        if self.samples[index].set((sample, timeline)).is_err() {
            unreachable!("each thread index runs once");
        }
    }

    /// A thread with no GIL. Its log records its run and what the PyMutex-like lock does.
    fn free<O: Order>(&self, index: usize, increments: u64, clock: &dyn Clock) -> ThreadTimeline {
        let mut interp = FreeThreads::new(clock);
        self.count::<O, _>(index, increments, &mut interp, clock);
        interp.finish()
    }

    /// A thread that must hold the GIL to run its loop.
    fn with_gil<'c, O: Order, P: Profile>(
        &'c self,
        gil: &'c Gil,
        index: usize,
        increments: u64,
        clock: &'c dyn Clock,
    ) -> ThreadTimeline {
        let mut interp = GilThread::<P>::new(gil, index, self.config.mode, clock);
        interp.take();
        self.count::<O, _>(index, increments, &mut interp, clock);
        interp.finish()
    }

    fn count<'c, O: Order, I: Interpreter<'c>>(
        &'c self,
        index: usize,
        increments: u64,
        interp: &mut I,
        clock: &'c dyn Clock,
    ) {
        let mut done = 0;
        while done < increments {
            let chunk = CHUNK.min(increments - done);
            self.count_chunk::<O, I>(index, chunk, interp, clock);
            done += chunk;
            self.progress[index].store(done, Ordering::Relaxed);
        }
    }

    /// One chunk, as a call of its own: V8 first runs wasm in its baseline compiler and
    /// switches a function to optimized code only when it is called again, so a loop that
    /// stayed inside one call would run unoptimized to the end.
    #[inline(never)]
    fn count_chunk<'c, O: Order, I: Interpreter<'c>>(
        &'c self,
        index: usize,
        n: u64,
        interp: &mut I,
        clock: &'c dyn Clock,
    ) {
        self.counters.count::<O, I>(self.config.mode, index, n, interp, clock);
    }
}

/// Sets up and executes one run.
///
/// # Errors
/// Any [`ConfigError`] from [`RunConfig::validate`].
pub fn run(
    config: RunConfig,
    team: &dyn ThreadTeam,
    clock: &dyn Clock,
) -> Result<RunReport, ConfigError> {
    Ok(Run::new(config, team)?.execute(team, clock))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::InstantClock;
    use crate::team::ScopedThreads;
    use crate::workload::{Layout, Mode};

    fn native(mode: Mode, threads: usize, total: u64) -> RunReport {
        let _alone = crate::test_support::serial();
        run(RunConfig::new(mode, threads, total), &ScopedThreads, &InstantClock::new()).unwrap()
    }

    #[test]
    fn exact_modes_are_exact_at_1_2_4_and_8_threads() {
        for mode in Mode::ALL.into_iter().filter(|m| m.is_exact()) {
            for threads in [1, 2, 4, 8] {
                let report = native(mode, threads, 200_003);
                assert_eq!(report.final_count, 200_003, "{mode} at {threads} threads");
                assert_eq!(report.lost, 0);
            }
        }
    }

    #[test]
    fn racy_is_exact_alone_and_never_above_expected() {
        assert_eq!(native(Mode::Racy, 1, 300_001).final_count, 300_001);
        for threads in [2, 4, 8] {
            let report = native(Mode::Racy, threads, 2_000_000);
            assert!(report.final_count <= report.expected, "{report:?}");
            assert_eq!(report.lost, report.expected - report.final_count);
        }
    }

    #[test]
    fn every_thread_is_distinct_and_runs_its_share() {
        let report = native(Mode::Private, 5, 1_000_002);
        assert_eq!(report.distinct_threads, 5);
        assert_eq!(report.per_thread_increments, vec![200_001, 200_001, 200_000, 200_000, 200_000]);
        assert_eq!(report.per_thread_ms.len(), 5);
        assert!(report.per_thread_ms.iter().all(|&t| t <= report.wall_ms));
        assert!(report.start_offsets_ms.contains(&0.0));
    }

    #[test]
    fn progress_ends_at_each_share() {
        let config = RunConfig::new(Mode::Atomic, 3, 200_000);
        let run = Run::new(config, &ScopedThreads).unwrap();
        assert_eq!(run.progress(), vec![0, 0, 0]);
        run.execute(&ScopedThreads, &InstantClock::new());
        assert_eq!(run.progress(), vec![66_667, 66_667, 66_666]);
    }

    #[test]
    fn the_relaxed_variant_counts_the_same() {
        let config =
            RunConfig { order: MemoryOrder::Relaxed, ..RunConfig::new(Mode::Private, 2, 100_000) };
        let report = run(config, &ScopedThreads, &InstantClock::new()).unwrap();
        assert_eq!((report.final_count, report.order), (100_000, MemoryOrder::Relaxed));
    }

    #[test]
    fn private_counters_are_exact_padded_and_packed() {
        for layout in [Layout::Padded, Layout::Packed] {
            for threads in [1, 2, 4, 8, 9] {
                let _alone = crate::test_support::serial();
                let config = RunConfig::new(Mode::Private, threads, 400_003).with_layout(layout);
                let report = run(config, &ScopedThreads, &InstantClock::new()).unwrap();
                assert_eq!(report.final_count, 400_003, "{layout:?} at {threads} threads");
                assert_eq!(report.layout, layout);
            }
        }
        assert_eq!("packed".parse::<Layout>(), Ok(Layout::Packed));
        assert_eq!("tight".parse::<Layout>().unwrap_err().code(), "unknown-layout");
    }

    #[test]
    fn invalid_settings_never_start_a_thread() {
        let err = Run::new(RunConfig::new(Mode::Racy, 0, 10), &ScopedThreads).err().unwrap();
        assert_eq!(err.code(), "threads-out-of-range");
    }
}
