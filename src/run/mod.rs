//! One run: split the total, make the workers, start them together, count (with or without
//! the emulated GIL), collect the results, report.
//!
//! A run happens in one memory, in one of two execution models (see
//! [`crate::model::execution`]):
//! - threads: every worker is a thread of one interpreter (one set of counters, objects and
//!   GIL); they meet at a spinning start barrier and read the engine's memory directly;
//! - subinterpreters: every worker is a thread that first makes an interpreter of its own
//!   (counters, objects, GIL) and tells a main interpreter, on a thread of its own, that it is
//!   ready; the main interpreter then sends each its job through a [`channel`] (its numbers
//!   copied) and collects the results the same way.
//!
//! Processes do not run here: the edges start them ([`processes`] is what each one runs and
//! how their results become one report).

pub mod channel;
pub mod matrix;
pub mod processes;
pub mod report;
pub mod team;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use crossbeam_utils::CachePadded;

use crate::error::SettingsError;
use crate::measure::clock::Clock;
use crate::measure::timeline::{LiveLog, ThreadTimeline};
use crate::model::bytecode::Statement;
use crate::model::execution::Model;
use crate::model::gil::{EmulatedGil, Gil, GilThread, Profile, Py39, Py310, Py310Call};
use crate::model::interp::{
    FreeThreads, Interpreter, Kernel, MemoryOrder, NEVER_STOP, RelaxedStore, RelaxedSwap,
    SeqCstStore, SeqCstSwap, Step, WriteBack,
};
use crate::model::mode::{Counters, Mode, Slice, expected_sum, make_numbers};
use crate::model::objects::{Heap, ObjectCheck, ObjectCounts, ObjectThread, ObjectWork, Objects};
use crate::settings::Settings;
use channel::{Channel, Job, Reply};
use report::{
    ENGINE_MARK, EngineTimes, Latency, ObjectSummary, Phases, RunReport, SumCheck, ThreadSample,
    WorkerPlace,
};
use team::{SpinBarrier, ThreadTeam, instance, thread_identity};

/// Increments between two progress updates: often enough for a live display, rare enough
/// (one store per 65,536 increments) to cost nothing measurable.
const CHUNK: u64 = 1 << 16;

/// What a caller may change about a run besides its settings (tests only, so far).
#[derive(Clone, Copy, Debug, Default)]
pub struct RunHooks {
    /// Serve every drop request at this step instead of drawing one (tests).
    pub forced_serve_point: Option<Step>,
}

/// One interpreter: its counters, its GIL (when on) and its objects (with an object model).
/// The threads of a run share one; each subinterpreter has its own.
struct Interp {
    counters: Counters,
    gil: Option<EmulatedGil>,
    heap: Option<Heap>,
}

impl Interp {
    fn new(settings: &Settings, threads: usize, hooks: RunHooks) -> Self {
        let wait = Duration::from_nanos((settings.wait * 1e6) as u64);
        let work = settings.mode.spec().objects;
        Interp {
            counters: Counters::new(settings.mode, threads, settings.layout, wait),
            gil: settings.gil.is_on().then(|| {
                EmulatedGil::new(settings.gil, settings.interval, hooks.forced_serve_point)
            }),
            heap: (settings.objects != Objects::None && work.has_objects()).then(|| {
                Heap::new(settings.objects, work, threads, settings.statement == Statement::Call)
            }),
        }
    }

    /// What its counter reads once its threads are done.
    fn count(&self, clock: &dyn Clock) -> u64 {
        self.counters.total(clock, self.heap.as_ref())
    }

    /// `sum`: what its threads' totals add up to.
    fn sum(&self) -> u64 {
        self.counters.sums().map_or(0, |sums| sums.sum())
    }
}

/// The channels of a `subinterpreters` run: one for each interpreter's job, one for what they
/// send back.
struct Channels {
    jobs: Box<[Channel<Job>]>,
    replies: Channel<Reply>,
}

/// What the main interpreter of a `subinterpreters` run collected.
struct Collected {
    count: u64,
    sum: u64,
    go_ns: u64,
    collected_ns: u64,
    bytes: u64,
}

/// A run that has been set up and can be executed once.
///
/// Shared between the thread that executes it and any thread that watches its
/// [`Run::progress`] (the browser's host worker polls it).
pub struct Run {
    settings: Settings,
    write: WriteBack,
    hooks: RunHooks,
    /// Threads: the one interpreter, made with the run. Subinterpreters: one per worker, each
    /// made by its own thread as part of its start-up.
    interps: Box<[OnceLock<Interp>]>,
    /// `sum`: the numbers the engine made.
    numbers: Option<Arc<Vec<u32>>>,
    /// Threads: where they meet to start together.
    barrier: SpinBarrier,
    /// Subinterpreters: their channels.
    channels: Option<Channels>,
    collected: OnceLock<Collected>,
    progress: Box<[CachePadded<AtomicU64>]>,
    samples: Box<[OnceLock<ThreadResult>]>,
    /// Per-instruction busy work in spin units, fixed when the run starts.
    units: OnceLock<u32>,
    /// Raised by [`Run::stop`], or when the probe is done: threads end their loops early.
    stop: AtomicBool,
    /// Raised by [`Run::stop`] only: the user stopped the run.
    user_stop: AtomicBool,
    /// Held while an interpreter is added and while the run halts, so that an interpreter
    /// made during a stop is stopped too.
    halting: Mutex<()>,
    /// The cell of this memory every worker writes its number into (see [`WorkerPlace`]).
    mark: AtomicU64,
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
        // Made before anything is timed, as a script builds its list before its workers start.
        let numbers = (settings.mode == Mode::Sum).then(|| make_numbers(settings.size));
        Run::build(settings, hooks, numbers)
    }

    /// A run of one thread over `numbers` of its own (`sum`): what a process does with its job.
    pub(crate) fn over(
        settings: Settings,
        team: &dyn ThreadTeam,
        numbers: Vec<u32>,
    ) -> Result<Self, SettingsError> {
        settings.validate(team.capacity())?;
        let numbers = (settings.mode == Mode::Sum).then_some(numbers);
        Run::build(settings, RunHooks::default(), numbers)
    }

    fn build(
        settings: Settings,
        hooks: RunHooks,
        numbers: Option<Vec<u32>>,
    ) -> Result<Self, SettingsError> {
        let n = settings.threads;
        let subinterpreters = match settings.model {
            Model::Threads => false,
            Model::Subinterpreters => true,
            Model::Processes => {
                return Err(SettingsError::Incompatible {
                    setting: "model",
                    why: "Processes are started by the CLI (child processes) and by the page (web workers), not on a team of threads.".to_owned(),
                });
            }
        };
        let numbers = numbers.map(Arc::new);
        let interps: Box<[OnceLock<Interp>]> =
            (0..if subinterpreters { n } else { 1 }).map(|_| OnceLock::new()).collect();
        if !subinterpreters {
            let interp = Interp::new(&settings, n, hooks);
            if let (Some(sums), Some(numbers)) = (interp.counters.sums(), &numbers) {
                // Threads read the engine's numbers where they are: no copy.
                for thread in 0..n {
                    sums.hand(thread, Slice::of(numbers, settings.slice_of(thread)));
                }
            }
            let _ = interps[0].set(interp);
        }
        Ok(Run {
            write: settings.write.unwrap_or(WriteBack::Store),
            hooks,
            interps,
            numbers,
            barrier: SpinBarrier::new(n + usize::from(settings.probe > 0)),
            channels: subinterpreters.then(|| Channels {
                jobs: (0..n).map(|_| Channel::new()).collect(),
                replies: Channel::new(),
            }),
            collected: OnceLock::new(),
            progress: (0..n).map(|_| CachePadded::new(AtomicU64::new(0))).collect(),
            samples: (0..n).map(|_| OnceLock::new()).collect(),
            units: OnceLock::new(),
            stop: AtomicBool::new(false),
            user_stop: AtomicBool::new(false),
            halting: Mutex::new(()),
            mark: AtomicU64::new(ENGINE_MARK),
            probe: OnceLock::new(),
            live: (0..n + usize::from(settings.probe > 0)).map(|_| LiveLog::default()).collect(),
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
        let _halting = self.halting.lock().unwrap_or_else(PoisonError::into_inner);
        self.stop.store(true, Ordering::Relaxed);
        for gil in self.interps.iter().filter_map(|i| i.get()?.gil.as_ref()) {
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

    /// The interpreter worker `index` runs in, and its thread there.
    fn place(&self, index: usize) -> (&Interp, usize) {
        let (interp, thread) = match self.channels {
            Some(_) => (index, 0),
            None => (0, index),
        };
        (
            self.interps[interp].get().expect("a worker's interpreter is made before it counts"),
            thread,
        )
    }

    /// Runs the workload on `team`'s threads, timing with `clock`, and reports.
    pub fn execute(&self, team: &dyn ThreadTeam, clock: &dyn Clock) -> RunReport {
        let gathered = self.gather(team, clock);
        let settings = Settings { write: Some(self.write), ..self.settings.clone() };
        let samples: Vec<ThreadSample> = gathered.results.iter().map(|r| r.sample).collect();
        let timeline = gathered.results.iter().map(|r| r.timeline.clone()).collect();
        let mut report = RunReport::new(settings, gathered.count, &samples, timeline);
        report.phases = Phases::measure(gathered.engine, &samples, gathered.bytes);
        report.workers = gathered.results.iter().map(|r| r.place).collect();
        report.engine_cell_after = self.mark.load(Ordering::SeqCst);
        report.sum = self.numbers.as_ref().map(|numbers| SumCheck {
            sum: gathered.sum,
            expected_sum: samples
                .iter()
                .enumerate()
                .map(|(i, s)| expected_sum(&numbers[self.settings.slice_of(i)], s.increments))
                .sum(),
        });
        let heaps: Vec<&Heap> =
            self.interps.iter().filter_map(|i| i.get()?.heap.as_ref()).collect();
        if !heaps.is_empty() {
            report.summary.objects = Some(ObjectSummary {
                counts: ObjectCounts::sum(gathered.results.iter().flat_map(|r| &r.objects)),
                check: ObjectCheck::sum(heaps.iter().map(|heap| heap.check())),
                units_per_instruction: gathered.units,
            });
        }
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

    /// Runs the workers and collects what they measured and sent back.
    pub(crate) fn gather(&self, team: &dyn ThreadTeam, clock: &dyn Clock) -> Gathered {
        let has_heap = self.settings.objects != Objects::None
            && self.settings.mode.spec().objects.has_objects();
        let units = *self.units.get_or_init(|| match has_heap {
            true => spin_units(self.settings.cost, clock),
            false => 0,
        });
        let threads = self.settings.threads;
        // Beside the workers: the probe (threads) or the main interpreter (subinterpreters).
        let extra = usize::from(self.settings.probe > 0 || self.channels.is_some());
        let started_ns = clock.now_ns();
        team.run(threads + extra, &|index| match (&self.channels, index == threads) {
            (_, false) => self.worker(index, clock),
            (None, true) => self.probe(index, clock),
            (Some(channels), true) => self.main_interpreter(channels, clock),
        });
        let results: Vec<ThreadResult> = self
            .samples
            .iter()
            .map(|slot| slot.get().expect("every worker of the run records a sample").clone())
            .collect();
        let (engine, count, sum, bytes) = match self.collected.get() {
            Some(c) => (
                EngineTimes { started_ns, go_ns: c.go_ns, collected_ns: c.collected_ns },
                c.count,
                c.sum,
                c.bytes,
            ),
            None => {
                // Threads: the results are in the engine's memory, read after the join.
                let (interp, _) = self.place(0);
                let (count, sum) = (interp.count(clock), interp.sum());
                let go_ns = results.iter().map(|r| r.sample.start_ns).min().unwrap_or(started_ns);
                (EngineTimes { started_ns, go_ns, collected_ns: clock.now_ns() }, count, sum, 0)
            }
        };
        Gathered { results, engine, count, sum, bytes, units }
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
        let log = match &self.place(0).0.gil {
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

    /// The main interpreter of a `subinterpreters` run: waits until every interpreter is
    /// ready, sends each its job (its numbers copied into the message), collects the results.
    fn main_interpreter(&self, channels: &Channels, clock: &dyn Clock) {
        for _ in 0..self.settings.threads {
            let Reply::Ready = channels.replies.recv() else {
                unreachable!("an interpreter says it is ready before it gets its job")
            };
        }
        let go_ns = clock.now_ns();
        let mut bytes = 0;
        for (index, jobs) in channels.jobs.iter().enumerate() {
            let numbers = self
                .numbers
                .as_ref()
                .map_or_else(Vec::new, |numbers| numbers[self.settings.slice_of(index)].to_vec());
            let job = Job { increments: self.settings.share_of(index), numbers };
            bytes += job.bytes();
            jobs.send(job);
        }
        let (mut count, mut sum) = (0, 0);
        for _ in 0..self.settings.threads {
            let Reply::Done { count: c, sum: s } = channels.replies.recv() else {
                unreachable!("every interpreter was ready before the jobs went out")
            };
            count += c;
            sum += s;
        }
        let collected = Collected { count, sum, go_ns, collected_ns: clock.now_ns(), bytes };
        if self.collected.set(collected).is_err() {
            unreachable!("a run is executed once");
        }
    }

    /// A subinterpreter makes its own interpreter (counters, GIL, objects).
    fn make_interp(&self, index: usize) {
        let interp = Interp::new(&self.settings, 1, self.hooks);
        let _halting = self.halting.lock().unwrap_or_else(PoisonError::into_inner);
        if let (true, Some(gil)) = (self.stop.load(Ordering::Relaxed), &interp.gil) {
            gil.stop();
        }
        if self.interps[index].set(interp).is_err() {
            unreachable!("each interpreter is made once");
        }
    }

    fn worker(&self, index: usize, clock: &dyn Clock) {
        let ready_ns = clock.now_ns();
        let identity = thread_identity();
        if self.channels.is_some() {
            self.make_interp(index);
        }
        let found = self.mark.swap(index as u64 + 1, Ordering::SeqCst);
        let increments = match &self.channels {
            None => {
                self.barrier.wait(index, clock);
                // With a probe, the other threads run until it is done.
                if self.settings.probe > 0 { u64::MAX >> 8 } else { self.settings.share_of(index) }
            }
            Some(channels) => {
                channels.replies.send(Reply::Ready);
                let job = channels.jobs[index].recv();
                if let Some(sums) = self.place(index).0.counters.sums() {
                    sums.hand(0, Slice::own(job.numbers));
                }
                job.increments
            }
        };
        let start_ns = clock.now_ns();
        let found_after = self.mark.load(Ordering::SeqCst);
        let (interp, thread) = self.place(index);
        let units = self.units.get().copied().unwrap_or(0);
        let mut work = Work {
            index,
            thread,
            increments,
            objects: interp.heap.as_ref().map(|heap| heap.thread(thread, units)),
        };
        let timeline = match (self.settings.order, self.write) {
            (MemoryOrder::SeqCst, WriteBack::Store) => {
                self.on_interpreter::<SeqCstStore>(interp, &mut work, clock)
            }
            (MemoryOrder::SeqCst, WriteBack::Swap) => {
                self.on_interpreter::<SeqCstSwap>(interp, &mut work, clock)
            }
            (MemoryOrder::Relaxed, WriteBack::Store) => {
                self.on_interpreter::<RelaxedStore>(interp, &mut work, clock)
            }
            (MemoryOrder::Relaxed, WriteBack::Swap) => {
                self.on_interpreter::<RelaxedSwap>(interp, &mut work, clock)
            }
        };
        let end_ns = clock.now_ns();
        if let (Some(heap), Some(objects)) = (&interp.heap, &mut work.objects) {
            objects.finish(heap);
            std::hint::black_box(objects.sink());
        }
        if let Some(channels) = &self.channels {
            channels.replies.send(Reply::Done { count: interp.count(clock), sum: interp.sum() });
        }
        let result = ThreadResult {
            sample: ThreadSample {
                ready_ns,
                start_ns,
                end_ns,
                increments: work.increments,
                identity,
            },
            timeline,
            objects: work.objects.map(|o| o.counts),
            place: WorkerPlace { instance: instance(), found, found_after, memory_bytes: None },
        };
        if self.samples[index].set(result).is_err() {
            unreachable!("each thread index runs once");
        }
    }

    /// Runs the thread's share with no GIL or under the GIL's safe-point profile.
    fn on_interpreter<K: Kernel>(
        &self,
        interp: &Interp,
        work: &mut Work,
        clock: &dyn Clock,
    ) -> ThreadTimeline {
        match &interp.gil {
            None => {
                let mut free = FreeThreads::new(clock, &self.stop);
                free.recorder().publish_to(&self.live[work.index]);
                self.count::<K, _>(interp, work, &mut free, clock);
                free.finish()
            }
            Some(gil) => match (gil.version(), self.settings.statement) {
                (Gil::Py39, _) => self.with_gil::<K, Py39>(interp, gil, work, clock),
                (_, Statement::Call) => self.with_gil::<K, Py310Call>(interp, gil, work, clock),
                (_, Statement::Augmented) => self.with_gil::<K, Py310>(interp, gil, work, clock),
            },
        }
    }

    /// A thread that must hold the GIL (its interpreter's) to run its loop.
    fn with_gil<'c, K: Kernel, P: Profile>(
        &'c self,
        interp: &'c Interp,
        gil: &'c EmulatedGil,
        work: &mut Work,
        clock: &'c dyn Clock,
    ) -> ThreadTimeline {
        let mut holder = GilThread::<P>::new(
            gil,
            work.index,
            self.settings.mode,
            self.settings.statement,
            clock,
        );
        holder.recorder().publish_to(&self.live[work.index]);
        holder.take();
        self.count::<K, _>(interp, work, &mut holder, clock);
        holder.finish()
    }

    fn count<'c, K: Kernel, I: Interpreter<'c>>(
        &'c self,
        interp: &'c Interp,
        work: &mut Work,
        python: &mut I,
        clock: &'c dyn Clock,
    ) {
        let mut done = 0;
        while done < work.increments {
            let chunk = CHUNK.min(work.increments - done);
            let ran = match (&interp.heap, &mut work.objects) {
                (Some(heap), Some(objects)) => interp.counters.count_objects::<I>(
                    heap,
                    objects,
                    work.thread,
                    chunk,
                    python,
                    clock,
                ),
                _ => self.count_chunk::<K, I>(interp, work.thread, chunk, python, clock),
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
        interp: &'c Interp,
        thread: usize,
        n: u64,
        python: &mut I,
        clock: &'c dyn Clock,
    ) -> u64 {
        interp.counters.count::<K, I>(thread, n, python, clock)
    }
}

/// What one worker measured and recorded.
#[derive(Clone)]
pub(crate) struct ThreadResult {
    pub(crate) sample: ThreadSample,
    pub(crate) timeline: ThreadTimeline,
    objects: Option<ObjectCounts>,
    place: WorkerPlace,
}

/// What the workers of a run measured and sent back, before it becomes a report.
pub(crate) struct Gathered {
    pub(crate) results: Vec<ThreadResult>,
    engine: EngineTimes,
    /// What the counters read, added up (as the main interpreter received them, for
    /// subinterpreters).
    pub(crate) count: u64,
    /// `sum`: what the workers' numbers added up to.
    pub(crate) sum: u64,
    bytes: u64,
    units: u32,
}

/// One worker's share of a run.
struct Work {
    /// Its index in the run (progress, samples).
    index: usize,
    /// Its thread in its interpreter (counters, objects).
    thread: usize,
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
    use crate::model::mode::Layout;
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

    fn in_model(model: Model, mode: Mode, threads: usize, total: u64) -> Settings {
        Settings { model, size: 10_007, ..settings(mode, threads, total) }
    }

    /// Runs alone (see [`crate::test_support::serial`]).
    fn alone(settings: Settings) -> RunReport {
        let _alone = crate::test_support::serial();
        run(settings, &ScopedThreads, &InstantClock::new()).unwrap()
    }

    #[test]
    fn every_model_that_runs_here_is_exact_where_it_must_be() {
        for model in [Model::Threads, Model::Subinterpreters] {
            for &mode in Mode::ALL.iter().filter(|m| m.spec().exact && m.spec().per_thread) {
                for threads in [1, 2, 3] {
                    let report = alone(in_model(model, mode, threads, 200_003));
                    assert_eq!(report.final_count, 200_003, "{model} {mode} at {threads}");
                    assert_eq!(report.settings.model, model);
                    assert_eq!(report.per_thread_increments.iter().sum::<u64>(), 200_003);
                }
            }
            let report = alone(in_model(model, Mode::Sum, 3, 100_000));
            let check = report.sum.expect("a sum reports its sum");
            assert_eq!(check.sum, check.expected_sum, "{model}");
            assert!(check.sum > 0);
        }
    }

    #[test]
    fn phases_are_measured_and_add_up() {
        for model in [Model::Threads, Model::Subinterpreters] {
            let report = alone(in_model(model, Mode::Sum, 2, 400_000));
            let p = report.phases;
            for phase in [p.startup_ms, p.transfer_ms, p.compute_ms] {
                assert!(phase >= 0.0 && phase.is_finite(), "{model}: {p:?}");
            }
            assert!(p.compute_ms > 0.0, "{model}");
            assert!((p.startup_ms + p.transfer_ms + p.compute_ms - p.total_ms).abs() < 1e-9);
            // Threads read the numbers where they are; interpreters get a copy of their slice.
            let copied = if model == Model::Threads { 0 } else { 4 * 10_007 };
            assert_eq!(p.transfer_bytes, copied, "{model}");
        }
    }

    #[test]
    fn subinterpreters_each_have_a_gil_of_their_own() {
        for gil in [Gil::Py310, Gil::Py39] {
            let on = |model| Settings {
                gil,
                interval: 0.1,
                ..in_model(model, Mode::Private, 2, 4_000_000)
            };
            let threads = alone(on(Model::Threads));
            assert!(threads.summary.counts.handoffs > 0, "one GIL: the threads take turns");
            let interpreters = alone(on(Model::Subinterpreters));
            let counts = interpreters.summary.counts;
            assert_eq!(interpreters.final_count, 4_000_000);
            assert_eq!(counts.gil_acquisitions, 2, "each took its own GIL once, and kept it");
            assert_eq!((counts.handoffs, counts.drop_requests), (0, 0), "{gil}: no one waits");
        }
    }

    #[test]
    fn each_interpreter_keeps_its_own_objects_right() {
        for &objects in &Objects::ALL[1..] {
            for mode in [Mode::Private, Mode::RefsOwn, Mode::Waiting] {
                let config = Settings {
                    objects,
                    cost: 0.0,
                    gil: Gil::Py39,
                    interval: 0.1,
                    ..in_model(Model::Subinterpreters, mode, 2, 60_001)
                };
                let report = alone(config);
                assert_eq!(report.final_count, 60_001, "{objects} {mode}");
                let summary = report.summary.objects.expect("an object model reports its objects");
                assert_eq!(summary.check, ObjectCheck::default(), "{objects} {mode}");
            }
        }
    }

    #[test]
    fn workers_in_one_memory_see_each_others_writes() {
        for model in [Model::Threads, Model::Subinterpreters] {
            let report = alone(in_model(model, Mode::Private, 3, 30_000));
            let workers = &report.workers;
            assert_eq!(workers.len(), 3);
            assert!(workers.iter().all(|w| w.instance == u64::from(std::process::id())));
            assert!(workers.iter().all(|w| w.memory_bytes.is_none()), "they share the engine's");
            // The first to write found the engine's mark; all read the last writer's number.
            assert!(workers.iter().any(|w| w.found == ENGINE_MARK), "{model}: {workers:?}");
            assert!(workers.iter().all(|w| w.found_after == workers[0].found_after));
            assert_eq!(report.engine_cell_after, workers[0].found_after, "the engine sees it too");
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
            for &mode in Mode::ALL.iter().filter(|m| m.spec().objects.has_objects()) {
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
            (Mode::Racy, Gil::Off, Model::Threads),
            (Mode::PyMutex, Gil::Off, Model::Threads),
            (Mode::Spin, Gil::Py39, Model::Threads),
            (Mode::Mutex, Gil::Py39, Model::Threads),
            (Mode::Private, Gil::Py310, Model::Threads),
            (Mode::Private, Gil::Py310, Model::Subinterpreters),
        ];
        for (mode, gil, model) in cases {
            let _alone = crate::test_support::serial();
            let config = Settings { gil, interval: 0.1, model, ..settings(mode, 3, MAX_TOTAL) };
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
            assert!(report.stopped, "{mode} {gil} {model}");
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
