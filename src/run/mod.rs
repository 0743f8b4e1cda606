//! One run: split the total, start every thread at a spinning barrier, count (with or without
//! the emulated GIL), report.

pub mod matrix;
pub mod report;
pub mod team;

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use crossbeam_utils::CachePadded;

use crate::error::SettingsError;
use crate::measure::clock::Clock;
use crate::measure::timeline::{LiveLog, ThreadTimeline};
use crate::model::bytecode::Statement;
use crate::model::gil::{EmulatedGil, Gil, GilThread, Profile, Py39, Py310, Py310Call};
use crate::model::interp::{
    FreeThreads, Interpreter, Kernel, MemoryOrder, NEVER_STOP, RelaxedStore, RelaxedSwap,
    SeqCstStore, SeqCstSwap, Step, WriteBack,
};
use crate::model::mode::Counters;
use crate::model::objects::{Heap, ObjectCounts, ObjectThread, ObjectWork, Objects};
use crate::settings::Settings;
use report::{Latency, ObjectSummary, RunReport, ThreadSample};
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
    samples: Box<[OnceLock<ThreadResult>]>,
    gil: Option<EmulatedGil>,
    /// The interpreter's objects, when an object model is chosen and the mode is Python.
    heap: Option<Heap>,
    /// Per-instruction busy work in spin units, fixed when the run starts.
    units: OnceLock<u32>,
    /// Raised by [`Run::stop`], or when the probe is done: threads end their loops early.
    stop: AtomicBool,
    /// Raised by [`Run::stop`] only: the user stopped the run.
    user_stop: AtomicBool,
    /// The probe's log and how late each of its wake-ups was, in nanoseconds.
    probe: OnceLock<(ThreadTimeline, Vec<u64>)>,
    /// What each thread (and the probe) publishes while the run is under way.
    live: Box<[LiveLog]>,
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
        let wait = Duration::from_nanos((settings.wait * 1e6) as u64);
        Ok(Run {
            write: settings.write.unwrap_or(WriteBack::Store),
            counters: Counters::new(settings.mode, n, settings.layout, wait),
            barrier: SpinBarrier::new(n + usize::from(settings.probe > 0)),
            progress: (0..n).map(|_| CachePadded::new(AtomicU64::new(0))).collect(),
            samples: (0..n).map(|_| OnceLock::new()).collect(),
            heap: (settings.objects != Objects::None
                && settings.mode.spec().objects != ObjectWork::NotPython)
                .then(|| {
                    let calls = settings.statement == Statement::Call;
                    Heap::new(settings.objects, settings.mode.spec().objects, n, calls)
                }),
            units: OnceLock::new(),
            stop: AtomicBool::new(false),
            user_stop: AtomicBool::new(false),
            probe: OnceLock::new(),
            live: (0..n + usize::from(settings.probe > 0)).map(|_| LiveLog::default()).collect(),
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

    /// Asks the run to stop: every thread ends its loop within a block of iterations, and
    /// stops waiting for the GIL or a switch; a thread waiting for a lock gets it as soon as
    /// its holder, also stopping, lets go. The report then counts what was done.
    pub fn stop(&self) {
        self.user_stop.store(true, Ordering::Relaxed);
        self.halt();
    }

    /// Ends every thread's loop early (the user stopped, or the probe is done).
    fn halt(&self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(gil) = &self.gil {
            gil.stop();
        }
    }

    /// Whether [`Run::stop`] was called.
    pub fn stopped(&self) -> bool {
        self.user_stop.load(Ordering::Relaxed)
    }

    /// Each thread's events published since `from[thread]` (its count of events already
    /// read), on the run's clock: times, event codes, values.
    pub fn live_since(&self, from: &[usize]) -> Vec<(Vec<u64>, Vec<u8>, Vec<i64>)> {
        self.live
            .iter()
            .enumerate()
            .map(|(i, log)| log.since(from.get(i).copied().unwrap_or(0)))
            .collect()
    }

    /// Increments each thread has completed so far (updated every 65,536 increments).
    pub fn progress(&self) -> Vec<u64> {
        self.progress.iter().map(|p| p.load(Ordering::Relaxed)).collect()
    }

    /// Runs the workload on `team`'s threads, timing with `clock`, and reports.
    pub fn execute(&self, team: &dyn ThreadTeam, clock: &dyn Clock) -> RunReport {
        let units = *self.units.get_or_init(|| match &self.heap {
            Some(_) => spin_units(self.settings.cost, clock),
            None => 0,
        });
        let threads = self.settings.threads;
        team.run(threads + usize::from(self.settings.probe > 0), &|index| {
            if index == threads {
                self.probe(index, clock);
            } else {
                self.thread(index, clock);
            }
        });
        let mut samples = Vec::new();
        let mut timeline = Vec::new();
        let mut object_counts = Vec::new();
        for slot in self.samples.iter() {
            let (sample, log, counts) =
                slot.get().expect("every thread of the run records a sample");
            samples.push(*sample);
            timeline.push(log.clone());
            object_counts.extend(counts);
        }
        let settings = Settings { write: Some(self.write), ..self.settings.clone() };
        let heap = self.heap.as_ref();
        let objects = heap.map(|heap| ObjectSummary {
            counts: ObjectCounts::sum(&object_counts),
            check: heap.check(),
            units_per_instruction: units,
        });
        let mut report =
            RunReport::new(settings, self.counters.total(clock, heap), &samples, timeline);
        report.summary.objects = objects;
        if let Some((log, late)) = self.probe.get() {
            report.latency = Some(Latency::new(self.settings.wait, late));
            let mut log = log.clone();
            for event in &mut log.events {
                event.t_ns = event.t_ns.saturating_sub((report.clock_start_ms * 1e6) as u64);
            }
            report.timeline.push(log);
        }
        if self.stop.load(Ordering::Relaxed) {
            // What was asked is not what ran: count against what the threads did.
            report.stopped = self.stopped();
            report.expected = report.per_thread_increments.iter().sum();
            report.lost = report.expected.saturating_sub(report.final_count);
            report.loss_percent = 100.0 * report.lost as f64 / report.expected.max(1) as f64;
        }
        report
    }

    /// The responsiveness probe: sleeps `wait` again and again (releasing the GIL, as
    /// `time.sleep` does) and records how late each wake-up is, the time it waited to get the
    /// GIL back included; then ends the run.
    fn probe(&self, index: usize, clock: &dyn Clock) {
        let wait = Duration::from_nanos((self.settings.wait * 1e6) as u64);
        let samples = self.settings.probe as usize;
        let mut late = Vec::with_capacity(samples);
        self.barrier.wait(index, clock);
        let mut sleep = |interp: &mut dyn FnMut(&mut dyn FnMut())| {
            for _ in 0..samples {
                if self.stopped() {
                    break;
                }
                let start = clock.now_ns();
                interp(&mut || clock.sleep(wait));
                let woke = clock.now_ns();
                late.push(woke.saturating_sub(start).saturating_sub(wait.as_nanos() as u64));
            }
        };
        let log = match &self.gil {
            None => {
                let mut interp = FreeThreads::new(clock, &NEVER_STOP);
                interp.recorder().publish_to(&self.live[index]);
                sleep(&mut |f| interp.allow_threads(f));
                interp.finish()
            }
            Some(gil) => {
                let mut interp = GilThread::<Py310Call>::new(
                    gil,
                    index,
                    self.settings.mode,
                    Statement::Call,
                    clock,
                );
                interp.recorder().publish_to(&self.live[index]);
                interp.take();
                sleep(&mut |f| interp.allow_threads(f));
                interp.finish()
            }
        };
        let _ = self.probe.set((log, late));
        self.halt();
    }

    fn thread(&self, index: usize, clock: &dyn Clock) {
        let identity = thread_identity();
        // With a probe, the other threads run until it is done.
        let increments =
            if self.settings.probe > 0 { u64::MAX >> 8 } else { self.settings.share_of(index) };
        self.barrier.wait(index, clock);
        let start_ns = clock.now_ns();
        let units = self.units.get().copied().unwrap_or(0);
        let mut work = Work {
            index,
            increments,
            objects: self.heap.as_ref().map(|heap| heap.thread(index, units)),
        };
        let timeline = match (self.settings.order, self.write) {
            (MemoryOrder::SeqCst, WriteBack::Store) => {
                self.on_interpreter::<SeqCstStore>(&mut work, clock)
            }
            (MemoryOrder::SeqCst, WriteBack::Swap) => {
                self.on_interpreter::<SeqCstSwap>(&mut work, clock)
            }
            (MemoryOrder::Relaxed, WriteBack::Store) => {
                self.on_interpreter::<RelaxedStore>(&mut work, clock)
            }
            (MemoryOrder::Relaxed, WriteBack::Swap) => {
                self.on_interpreter::<RelaxedSwap>(&mut work, clock)
            }
        };
        let end_ns = clock.now_ns();
        if let (Some(heap), Some(objects)) = (&self.heap, &mut work.objects) {
            objects.finish(heap);
            std::hint::black_box(objects.sink());
        }
        let sample = ThreadSample { start_ns, end_ns, increments: work.increments, identity };
        let counts = work.objects.map(|o| o.counts);
        if self.samples[index].set((sample, timeline, counts)).is_err() {
            unreachable!("each thread index runs once");
        }
    }

    /// Runs the thread's share with no GIL or under the GIL's safe-point profile.
    fn on_interpreter<K: Kernel>(&self, work: &mut Work, clock: &dyn Clock) -> ThreadTimeline {
        match &self.gil {
            None => {
                let mut interp = FreeThreads::new(clock, &self.stop);
                interp.recorder().publish_to(&self.live[work.index]);
                self.count::<K, _>(work, &mut interp, clock);
                interp.finish()
            }
            Some(gil) => match (gil.version(), self.settings.statement) {
                (Gil::Py39, _) => self.with_gil::<K, Py39>(gil, work, clock),
                (_, Statement::Call) => self.with_gil::<K, Py310Call>(gil, work, clock),
                (_, Statement::Augmented) => self.with_gil::<K, Py310>(gil, work, clock),
            },
        }
    }

    /// A thread that must hold the GIL to run its loop.
    fn with_gil<'c, K: Kernel, P: Profile>(
        &'c self,
        gil: &'c EmulatedGil,
        work: &mut Work,
        clock: &'c dyn Clock,
    ) -> ThreadTimeline {
        let mut interp = GilThread::<P>::new(
            gil,
            work.index,
            self.settings.mode,
            self.settings.statement,
            clock,
        );
        interp.recorder().publish_to(&self.live[work.index]);
        interp.take();
        self.count::<K, _>(work, &mut interp, clock);
        interp.finish()
    }

    fn count<'c, K: Kernel, I: Interpreter<'c>>(
        &'c self,
        work: &mut Work,
        interp: &mut I,
        clock: &'c dyn Clock,
    ) {
        let mut done = 0;
        while done < work.increments {
            let chunk = CHUNK.min(work.increments - done);
            let ran = match (&self.heap, &mut work.objects) {
                (Some(heap), Some(objects)) => self
                    .counters
                    .count_objects::<I>(heap, objects, work.index, chunk, interp, clock),
                _ => self.count_chunk::<K, I>(work.index, chunk, interp, clock),
            };
            done += ran;
            self.progress[work.index].store(done, Ordering::Relaxed);
            if ran < chunk {
                break;
            }
        }
        work.increments = done;
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
    ) -> u64 {
        self.counters.count::<K, I>(index, n, interp, clock)
    }
}

/// What one thread measured and recorded.
type ThreadResult = (ThreadSample, ThreadTimeline, Option<ObjectCounts>);

/// One thread's share of a run.
struct Work {
    index: usize,
    increments: u64,
    /// The thread's side of the heap, with an object model.
    objects: Option<ObjectThread>,
}

/// How many spin units of busy work make `cost_ns` nanoseconds on this machine (or in this
/// browser), measured once per process: CPython's per-instruction cost, emulated.
fn spin_units(cost_ns: f64, clock: &dyn Clock) -> u32 {
    static NS_PER_UNIT: OnceLock<f64> = OnceLock::new();
    if cost_ns <= 0.0 {
        return 0;
    }
    let per_unit = *NS_PER_UNIT.get_or_init(|| {
        // The fastest of several short probes: a probe that another process interrupted, or
        // that ran before the code was optimized, only ever reads slower.
        const UNITS: u32 = 1 << 20;
        const PROBES: usize = 7;
        let mut probe = Heap::new(Objects::Gil, ObjectWork::SharedDict, 1, false).thread(0, UNITS);
        let fastest = (0..PROBES)
            .map(|_| {
                let start = clock.now_ns();
                probe.work(1);
                clock.now_ns().saturating_sub(start).max(1)
            })
            .min()
            .unwrap_or(1);
        std::hint::black_box(probe.sink());
        fastest as f64 / f64::from(UNITS)
    });
    (cost_ns / per_unit).round().clamp(0.0, 1e6) as u32
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
    use crate::model::objects::ObjectCheck;
    use crate::settings::MAX_TOTAL;
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

    #[test]
    fn every_object_model_is_exact_under_the_gil_and_keeps_its_objects_right() {
        for &objects in &Objects::ALL[1..] {
            for &mode in Mode::ALL.iter().filter(|m| m.spec().objects != ObjectWork::NotPython) {
                for &statement in Statement::ALL {
                    let _alone = crate::test_support::serial();
                    let config = Settings {
                        statement,
                        objects,
                        cost: 0.0,
                        gil: crate::model::gil::Gil::Py310,
                        interval: 0.1,
                        ..settings(mode, 2, 60_001)
                    };
                    let report = run(config, &ScopedThreads, &InstantClock::new()).unwrap();
                    if statement == Statement::Augmented
                        || mode.spec().locks
                        || !mode.spec().objects_shared()
                    {
                        assert_eq!(report.final_count, 60_001, "{objects} {mode} {statement}");
                    } else {
                        // 3.10+ switches after the call, between the read and the write.
                        assert_eq!(report.summary.counts.overwritten, report.lost as i64);
                    }
                    let summary =
                        report.summary.objects.expect("an object model reports its objects");
                    assert_eq!(summary.check, ObjectCheck::default(), "{objects} {mode}");
                    assert_eq!(summary.counts.used_after_free, 0, "{objects} {mode}");
                }
            }
        }
    }

    #[test]
    fn the_free_threaded_build_is_safe_without_the_gil() {
        for mode in [Mode::Racy, Mode::PyMutex, Mode::Private, Mode::Refs] {
            let _alone = crate::test_support::serial();
            let config = Settings {
                objects: Objects::FreeThreaded,
                cost: 0.0,
                ..settings(mode, 2, 400_000)
            };
            let report = run(config, &ScopedThreads, &InstantClock::new()).unwrap();
            assert!(report.final_count <= 400_000, "{mode}");
            if mode.spec().exact {
                assert_eq!(report.final_count, 400_000, "{mode}");
            }
            let summary = report.summary.objects.unwrap();
            assert_eq!(
                summary.check,
                ObjectCheck::default(),
                "{mode}: lost updates, never lost counts"
            );
            assert_eq!(
                (summary.counts.used_after_free, summary.counts.over_released),
                (0, 0),
                "{mode}"
            );
        }
    }

    #[test]
    fn stale_writes_account_for_every_loss_with_objects_too() {
        let _alone = crate::test_support::serial();
        let config = Settings {
            objects: Objects::Gil,
            cost: 0.0,
            gil: crate::model::gil::Gil::Py39,
            interval: 0.1,
            ..settings(Mode::Racy, 2, 1_000_000)
        };
        let report = run(config, &ScopedThreads, &InstantClock::new()).unwrap();
        assert_eq!(report.summary.counts.overwritten, report.lost as i64);
        assert_eq!(report.summary.objects.unwrap().check, ObjectCheck::default());
    }

    #[test]
    fn a_stopped_run_ends_soon_and_counts_what_ran() {
        let cases = [
            (Mode::Racy, crate::model::gil::Gil::Off),
            (Mode::PyMutex, crate::model::gil::Gil::Off),
            (Mode::Spin, crate::model::gil::Gil::Py39),
            (Mode::Mutex, crate::model::gil::Gil::Py39),
            (Mode::Private, crate::model::gil::Gil::Py310),
        ];
        for (mode, gil) in cases {
            let _alone = crate::test_support::serial();
            let config = Settings { gil, interval: 0.1, ..settings(mode, 3, MAX_TOTAL) };
            let run = Run::new(config, &ScopedThreads).unwrap();
            let clock = InstantClock::new();
            let report = std::thread::scope(|s| {
                let running = s.spawn(|| run.execute(&ScopedThreads, &clock));
                while run.progress().iter().sum::<u64>() == 0 {
                    std::thread::yield_now();
                }
                run.stop();
                running.join().unwrap()
            });
            assert!(report.stopped, "{mode} {gil}");
            assert!(report.expected < MAX_TOTAL, "{mode} {gil}: stopped early");
            assert_eq!(report.expected, report.per_thread_increments.iter().sum::<u64>());
            if mode.spec().exact {
                assert_eq!(
                    report.final_count, report.expected,
                    "{mode} {gil}: what ran was counted"
                );
            }
        }
    }

    fn probe(gil: crate::model::gil::Gil, interval: f64, cpu: usize) -> f64 {
        let _alone = crate::test_support::serial();
        let config = Settings { gil, interval, probe: 60, ..settings(Mode::Racy, cpu, 1) };
        let report = run(config, &ScopedThreads, &InstantClock::new()).unwrap();
        let latency = report.latency.expect("a probe reports its latency");
        assert_eq!(latency.samples, 60);
        assert!(!report.stopped, "the probe ends the run, the user did not");
        assert_eq!(report.timeline.len(), cpu + 1, "the probe's lane comes last");
        latency.p50_ms
    }

    #[test]
    fn a_waking_thread_waits_for_the_gil_and_less_with_a_shorter_interval() {
        use crate::model::gil::Gil;
        let off = probe(Gil::Off, 5.0, 1);
        let on = probe(Gil::Py310, 5.0, 1);
        let shorter = probe(Gil::Py310, 1.0, 1);
        assert!(on > off, "GIL on {on} ms, off {off} ms: the holder must be asked to drop it");
        assert!(shorter < on, "1 ms interval {shorter} ms, 5 ms {on} ms");
    }

    #[test]
    fn waiting_threads_wait_at_the_same_time_under_the_gil() {
        let _alone = crate::test_support::serial();
        let config = Settings {
            gil: crate::model::gil::Gil::Py310,
            ..settings(Mode::Waiting, 3, 3 * 200_000)
        };
        let report = run(config, &ScopedThreads, &InstantClock::new()).unwrap();
        assert_eq!(report.final_count, 600_000);
        let slept = report.summary.state_ns.sleeping as f64 / 1e6;
        // 20 waits of 1 ms per thread: if the threads took turns, the waits could not add up
        // to more than the run lasted.
        assert!(slept > report.wall_ms, "slept {slept} ms in a {} ms run", report.wall_ms);
    }
}
