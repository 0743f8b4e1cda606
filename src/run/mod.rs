//! One run: split the total, start every thread at a spinning barrier, count (with or without
//! the emulated GIL), report.

pub mod report;
pub mod team;

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use crossbeam_utils::CachePadded;

use crate::error::SettingsError;
use crate::measure::clock::Clock;
use crate::measure::timeline::ThreadTimeline;
use crate::model::gil::{EmulatedGil, Gil, GilThread, Profile, Py39, Py310};
use crate::model::interp::{
    FreeThreads, Interpreter, Kernel, MemoryOrder, RelaxedStore, RelaxedSwap, SeqCstStore,
    SeqCstSwap, Step, WriteBack,
};
use crate::model::mode::Counters;
use crate::settings::Settings;
use report::{RunReport, ThreadSample};
use team::{SpinBarrier, ThreadTeam, thread_identity};

/// Increments between two progress updates: often enough for a live display, rare enough
/// (one store per 65,536 increments) to cost nothing measurable.
const CHUNK: u64 = 1 << 16;

/// What a caller may change about a run besides its settings (tests only, so far).
#[derive(Clone, Copy, Debug, Default)]
pub struct RunHooks {
    /// Serve every drop request at this step instead of drawing one (tests).
    pub forced_serve_point: Option<Step>,
}

/// A run that has been set up and can be executed once.
///
/// Shared between the thread that executes it and any thread that watches its
/// [`Run::progress`] (the browser's host worker polls it).
pub struct Run {
    settings: Settings,
    write: WriteBack,
    counters: Counters,
    barrier: SpinBarrier,
    progress: Box<[CachePadded<AtomicU64>]>,
    samples: Box<[OnceLock<(ThreadSample, ThreadTimeline)>]>,
    gil: Option<EmulatedGil>,
}

impl Run {
    /// Checks `settings` against what `team` can start and sets the run up.
    ///
    /// # Errors
    /// Any [`SettingsError`] from [`Settings::validate`].
    pub fn new(settings: Settings, team: &dyn ThreadTeam) -> Result<Self, SettingsError> {
        Run::with_hooks(settings, team, RunHooks::default())
    }

    /// [`Run::new`] with `hooks`.
    ///
    /// # Errors
    /// Any [`SettingsError`] from [`Settings::validate`].
    pub fn with_hooks(
        settings: Settings,
        team: &dyn ThreadTeam,
        hooks: RunHooks,
    ) -> Result<Self, SettingsError> {
        settings.validate(team.capacity())?;
        let n = settings.threads;
        Ok(Run {
            write: settings.write.unwrap_or(WriteBack::Store),
            counters: Counters::new(settings.mode, n, settings.layout),
            barrier: SpinBarrier::new(n),
            progress: (0..n).map(|_| CachePadded::new(AtomicU64::new(0))).collect(),
            samples: (0..n).map(|_| OnceLock::new()).collect(),
            gil: settings.gil.is_on().then(|| {
                EmulatedGil::new(settings.gil, settings.interval, hooks.forced_serve_point)
            }),
            settings,
        })
    }

    /// The settings this run executes.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Increments each thread has completed so far (updated every 65,536 increments).
    pub fn progress(&self) -> Vec<u64> {
        self.progress.iter().map(|p| p.load(Ordering::Relaxed)).collect()
    }

    /// Runs the workload on `team`'s threads, timing with `clock`, and reports.
    pub fn execute(&self, team: &dyn ThreadTeam, clock: &dyn Clock) -> RunReport {
        team.run(self.settings.threads, &|index| self.thread(index, clock));
        let (samples, timeline): (Vec<ThreadSample>, Vec<ThreadTimeline>) = self
            .samples
            .iter()
            .map(|s| s.get().expect("every thread of the run records a sample").clone())
            .unzip();
        let settings = Settings { write: Some(self.write), ..self.settings.clone() };
        RunReport::new(settings, self.counters.total(clock), &samples, timeline)
    }

    fn thread(&self, index: usize, clock: &dyn Clock) {
        let identity = thread_identity();
        let increments = self.settings.share_of(index);
        self.barrier.wait(index, clock);
        let start_ns = clock.now_ns();
        let timeline = match (self.settings.order, self.write) {
            (MemoryOrder::SeqCst, WriteBack::Store) => {
                self.on_interpreter::<SeqCstStore>(index, increments, clock)
            }
            (MemoryOrder::SeqCst, WriteBack::Swap) => {
                self.on_interpreter::<SeqCstSwap>(index, increments, clock)
            }
            (MemoryOrder::Relaxed, WriteBack::Store) => {
                self.on_interpreter::<RelaxedStore>(index, increments, clock)
            }
            (MemoryOrder::Relaxed, WriteBack::Swap) => {
                self.on_interpreter::<RelaxedSwap>(index, increments, clock)
            }
        };
        let end_ns = clock.now_ns();
        let sample = ThreadSample { start_ns, end_ns, increments, identity };
        if self.samples[index].set((sample, timeline)).is_err() {
            unreachable!("each thread index runs once");
        }
    }

    /// Runs the thread's share with no GIL or under the GIL's safe-point profile.
    fn on_interpreter<K: Kernel>(
        &self,
        index: usize,
        increments: u64,
        clock: &dyn Clock,
    ) -> ThreadTimeline {
        match &self.gil {
            None => {
                let mut interp = FreeThreads::new(clock);
                self.count::<K, _>(index, increments, &mut interp, clock);
                interp.finish()
            }
            Some(gil) => match gil.version() {
                Gil::Py39 => self.with_gil::<K, Py39>(gil, index, increments, clock),
                Gil::Py310 | Gil::Off => self.with_gil::<K, Py310>(gil, index, increments, clock),
            },
        }
    }

    /// A thread that must hold the GIL to run its loop.
    fn with_gil<'c, K: Kernel, P: Profile>(
        &'c self,
        gil: &'c EmulatedGil,
        index: usize,
        increments: u64,
        clock: &'c dyn Clock,
    ) -> ThreadTimeline {
        let mut interp = GilThread::<P>::new(gil, index, self.settings.mode, clock);
        interp.take();
        self.count::<K, _>(index, increments, &mut interp, clock);
        interp.finish()
    }

    fn count<'c, K: Kernel, I: Interpreter<'c>>(
        &'c self,
        index: usize,
        increments: u64,
        interp: &mut I,
        clock: &'c dyn Clock,
    ) {
        let mut done = 0;
        while done < increments {
            let chunk = CHUNK.min(increments - done);
            self.count_chunk::<K, I>(index, chunk, interp, clock);
            done += chunk;
            self.progress[index].store(done, Ordering::Relaxed);
        }
    }

    /// One chunk, as a call of its own: V8 first runs wasm in its baseline compiler and
    /// switches a function to optimized code only when it is called again, so a loop that
    /// stayed inside one call would run unoptimized to the end.
    #[inline(never)]
    fn count_chunk<'c, K: Kernel, I: Interpreter<'c>>(
        &'c self,
        index: usize,
        n: u64,
        interp: &mut I,
        clock: &'c dyn Clock,
    ) {
        self.counters.count::<K, I>(index, n, interp, clock);
    }
}

/// Sets up and executes one run.
///
/// # Errors
/// Any [`SettingsError`] from [`Settings::validate`].
pub fn run(
    settings: Settings,
    team: &dyn ThreadTeam,
    clock: &dyn Clock,
) -> Result<RunReport, SettingsError> {
    Ok(Run::new(settings, team)?.execute(team, clock))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::clock::InstantClock;
    use crate::model::mode::{Layout, Mode};
    use team::ScopedThreads;

    fn settings(mode: Mode, threads: usize, total: u64) -> Settings {
        Settings { mode, threads, total, ..Settings::default() }
    }

    fn native(mode: Mode, threads: usize, total: u64) -> RunReport {
        let _alone = crate::test_support::serial();
        run(settings(mode, threads, total), &ScopedThreads, &InstantClock::new()).unwrap()
    }

    #[test]
    fn exact_modes_are_exact_at_1_2_4_and_8_threads() {
        for &mode in Mode::ALL.iter().filter(|m| m.spec().exact) {
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
        let run = Run::new(settings(Mode::Atomic, 3, 200_000), &ScopedThreads).unwrap();
        assert_eq!(run.progress(), vec![0, 0, 0]);
        run.execute(&ScopedThreads, &InstantClock::new());
        assert_eq!(run.progress(), vec![66_667, 66_667, 66_666]);
    }

    #[test]
    fn every_ordering_and_write_back_counts_the_same() {
        for order in [MemoryOrder::SeqCst, MemoryOrder::Relaxed] {
            for write in [WriteBack::Store, WriteBack::Swap] {
                let config =
                    Settings { order, write: Some(write), ..settings(Mode::Private, 2, 100_000) };
                let report = run(config, &ScopedThreads, &InstantClock::new()).unwrap();
                assert_eq!(report.final_count, 100_000);
                assert_eq!((report.settings.order, report.settings.write), (order, Some(write)));
            }
        }
    }

    #[test]
    fn private_counters_are_exact_padded_and_packed() {
        for layout in [Layout::Padded, Layout::Packed] {
            for threads in [1, 2, 4, 8, 9] {
                let _alone = crate::test_support::serial();
                let config = Settings { layout, ..settings(Mode::Private, threads, 400_003) };
                let report = run(config, &ScopedThreads, &InstantClock::new()).unwrap();
                assert_eq!(report.final_count, 400_003, "{layout:?} at {threads} threads");
                assert_eq!(report.settings.layout, layout);
            }
        }
    }

    #[test]
    fn invalid_settings_never_start_a_thread() {
        let err = Run::new(settings(Mode::Racy, 0, 10), &ScopedThreads).err().unwrap();
        assert_eq!(err.code(), "threads-out-of-range");
    }
}
