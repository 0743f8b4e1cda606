//! What a run measured, in the fields the page, the CLI and the benchmark all print.
//!
//! Every figure comes from clock readings: each worker reads the clock when it is ready to
//! start, when its input is in its memory (right after the start barrier for threads, which
//! read the engine's memory) and right after its last increment; the wall time runs from the
//! earliest start to the latest end. The engine reads it before it creates the workers and
//! once it holds every result. All readings of a run are on one clock (across processes too),
//! and the phases ([`Phases`]) are spans between them. Nothing is estimated or smoothed.

use serde::Serialize;

use crate::measure::timeline::{Counts, StateTimes, ThreadTimeline};
use crate::model::objects::{ObjectCheck, ObjectCounts};
use crate::settings::Settings;

/// One thread's own measurements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThreadSample {
    /// Clock reading once it existed and was ready to start.
    pub ready_ns: u64,
    /// Clock reading once it could start counting: released by the start barrier, with its
    /// input in its memory.
    pub start_ns: u64,
    /// Clock reading after its last increment.
    pub end_ns: u64,
    /// Increments it ran.
    pub increments: u64,
    /// Which thread it was (see [`crate::run::team::thread_identity`]).
    pub identity: usize,
}

/// Where the time of a run went, phase by phase: spans between clock readings on the run's
/// one clock, which add up to `total_ms`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Phases {
    /// Start-up: from the engine creating the workers (threads, interpreters, processes and
    /// their wasm instances) until the last of them was ready to start, in milliseconds.
    pub startup_ms: f64,
    /// Transfer: from the start line until the last worker had its input in its memory, plus
    /// from the last worker's end until the engine held every result, in milliseconds.
    pub transfer_ms: f64,
    /// Compute: from the moment the last worker had its input until the last one finished.
    pub compute_ms: f64,
    /// The three added up: from creating the workers to holding every result, without the
    /// start line's own wait (the spinning barrier that makes threads start together).
    pub total_ms: f64,
    /// Bytes of numbers copied to the workers (`sum`; threads copy none). The few bytes of
    /// each share and each result are left out.
    pub transfer_bytes: u64,
}

/// When the engine itself read the clock during a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EngineTimes {
    /// Before it created the workers.
    pub started_ns: u64,
    /// When the workers were released to start: the start barrier opening (threads), or the
    /// engine beginning to send their jobs.
    pub go_ns: u64,
    /// Once it held every result.
    pub collected_ns: u64,
}

impl Phases {
    /// The phases of a run from the engine's readings and the workers' samples.
    pub fn measure(engine: EngineTimes, samples: &[ThreadSample], transfer_bytes: u64) -> Self {
        let latest = |read: fn(&ThreadSample) -> u64| samples.iter().map(read).max().unwrap_or(0);
        let (ready, input, end) =
            (latest(|s| s.ready_ns), latest(|s| s.start_ns), latest(|s| s.end_ns));
        let startup = ready.saturating_sub(engine.started_ns);
        let transfer =
            input.saturating_sub(engine.go_ns.max(ready)) + engine.collected_ns.saturating_sub(end);
        let compute = end.saturating_sub(input);
        Phases {
            startup_ms: ms(startup),
            transfer_ms: ms(transfer),
            compute_ms: ms(compute),
            total_ms: ms(startup + transfer + compute),
            transfer_bytes,
        }
    }
}

/// Where a worker ran: in which memory, and what it saw there of the others' writes. Every
/// worker writes its number (1, 2, …) into a cell of its memory when it is ready, and reads
/// the cell again once every worker has written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct WorkerPlace {
    /// Which memory it ran in: natively the process id, in the browser a random number drawn
    /// when its wasm instance started.
    pub instance: u64,
    /// What the cell held before it wrote its number: the engine's [`ENGINE_MARK`] (or another
    /// worker's number) in the engine's memory, 0 in a memory of its own.
    pub found: u64,
    /// What the cell held once every worker had written: its own number only if no other
    /// worker writes to its memory.
    pub found_after: u64,
    /// The size of its own memory in bytes, where it has one (a process's peak resident set,
    /// a wasm instance's memory); `None` when it shares the engine's.
    pub memory_bytes: Option<u64>,
}

/// What the engine writes into the cell of its own memory before a run (see [`WorkerPlace`]).
pub const ENGINE_MARK: u64 = 1_000_000;

/// `sum`: what the workers' numbers added up to, and what they must add up to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct SumCheck {
    /// The sum of every worker's result.
    pub sum: u64,
    /// The sum the engine computed from its own numbers and how many each worker added.
    pub expected_sum: u64,
}

/// The result of one run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunReport {
    /// The settings it ran with, under the same names as everywhere (the write-back resolved).
    #[serde(flatten)]
    pub settings: Settings,
    /// Start-up, transfer, compute and total, in milliseconds, and the bytes moved.
    #[serde(flatten)]
    pub phases: Phases,
    /// Each worker's memory, and what it saw there.
    pub workers: Vec<WorkerPlace>,
    /// What the cell of the engine's own memory held once the run was over: still its
    /// [`ENGINE_MARK`], unless a worker wrote in the engine's memory.
    pub engine_cell_after: u64,
    /// `sum`: the workers' sum against the expected one.
    pub sum: Option<SumCheck>,
    /// What the counter would read if no update were lost (the total, or what ran before a
    /// stop).
    pub expected: u64,
    /// Whether the run was stopped before its threads finished.
    pub stopped: bool,
    /// With a probe: how late its wake-ups were (its log is the last of `timeline`).
    pub latency: Option<Latency>,
    /// What the counter read at the end.
    #[serde(rename = "final")]
    pub final_count: u64,
    /// Updates lost: `expected - final`.
    pub lost: u64,
    /// Lost updates as a percentage of `expected`.
    pub loss_percent: f64,
    /// Earliest start to latest end, in milliseconds.
    pub wall_ms: f64,
    /// Each thread's own time from start to end, in milliseconds.
    pub per_thread_ms: Vec<f64>,
    /// Each thread's start, in milliseconds after the earliest start (how tightly they began).
    pub start_offsets_ms: Vec<f64>,
    /// Increments each thread ran.
    pub per_thread_increments: Vec<u64>,
    /// Million increments per second of wall time.
    pub million_per_second: f64,
    /// The share of the wall time during which every thread was running (between the latest
    /// start and the earliest end): near 0, the threads ran one after the other and could not
    /// race.
    pub overlap: f64,
    /// The identities of the threads that ran (distinct threads have distinct numbers).
    pub thread_ids: Vec<usize>,
    /// How many distinct threads ran.
    pub distinct_threads: usize,
    /// The earliest start on the run's clock, in milliseconds (aligns runs and timelines).
    pub clock_start_ms: f64,
    /// Counts over all threads: handoffs, drop requests, waits, stale writes, lock behaviour.
    pub summary: Summary,
    /// Each thread's log, with times in nanoseconds after the earliest start.
    pub timeline: Vec<ThreadTimeline>,
}

/// What the threads did, summed over all of them (exact even when logs were cut short).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Summary {
    /// Handoffs, drop requests, stale writes, lock behaviour: every thread's counts added up
    /// (in JSON, its fields sit beside the others).
    #[serde(flatten)]
    pub counts: Counts,
    /// Mean time the GIL was held once taken, in milliseconds.
    pub mean_gil_hold_ms: f64,
    /// Time spent in each state, summed over threads, in nanoseconds.
    pub state_ns: StateTimes,
    /// Events left out of the logs because they were full.
    pub events_dropped: u64,
    /// What the interpreter's objects went through, with an object model.
    pub objects: Option<ObjectSummary>,
}

/// How late the probe's wake-ups were: each sleep of `wait_ms` measured from before it to
/// the moment the thread ran again (holding the GIL, if there is one).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Latency {
    /// The sleep asked for, in milliseconds.
    pub wait_ms: f64,
    /// Wake-ups recorded.
    pub samples: usize,
    /// Median lateness, in milliseconds.
    pub p50_ms: f64,
    /// 90th percentile.
    pub p90_ms: f64,
    /// The latest.
    pub max_ms: f64,
    /// Every wake-up's lateness, in order, in milliseconds.
    pub late_ms: Vec<f64>,
}

impl Latency {
    /// From each wake-up's lateness in nanoseconds.
    pub fn new(wait_ms: f64, late_ns: &[u64]) -> Self {
        let mut sorted = late_ns.to_vec();
        sorted.sort_unstable();
        let at = |q: f64| {
            if sorted.is_empty() {
                0.0
            } else {
                ms(sorted[((sorted.len() - 1) as f64 * q).round() as usize])
            }
        };
        Latency {
            wait_ms,
            samples: late_ns.len(),
            p50_ms: at(0.5),
            p90_ms: at(0.9),
            max_ms: at(1.0),
            late_ms: late_ns.iter().map(|&ns| ms(ns)).collect(),
        }
    }
}

/// The objects of a run with an object model: what the threads did to them, and the state
/// they were left in.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ObjectSummary {
    /// Allocations, frees, queued merges, locked reads, atomic and plain count operations.
    pub counts: ObjectCounts,
    /// Counts that drifted, ints leaked, immortal objects written.
    pub check: ObjectCheck,
    /// The per-instruction busy work, in spin units (from the `cost` setting).
    pub units_per_instruction: u32,
}

impl Summary {
    fn new(timeline: &[ThreadTimeline]) -> Self {
        let counts = Counts::sum(timeline.iter().map(|t| &t.counts));
        let state_ns = StateTimes::sum(timeline.iter().map(|t| &t.state_ns));
        Summary {
            mean_gil_hold_ms: ms(state_ns.holding_gil) / counts.gil_acquisitions.max(1) as f64,
            counts,
            state_ns,
            events_dropped: timeline.iter().map(|t| t.dropped).sum(),
            objects: None,
        }
    }
}

fn ms(ns: u64) -> f64 {
    ns as f64 / 1e6
}

impl RunReport {
    /// Builds the report from the final count and every thread's sample and log.
    pub fn new(
        settings: Settings,
        final_count: u64,
        samples: &[ThreadSample],
        mut timeline: Vec<ThreadTimeline>,
    ) -> Self {
        let first = samples.iter().map(|s| s.start_ns).min().unwrap_or(0);
        let last = samples.iter().map(|s| s.end_ns).max().unwrap_or(first);
        let latest_start = samples.iter().map(|s| s.start_ns).max().unwrap_or(first);
        let earliest_end = samples.iter().map(|s| s.end_ns).min().unwrap_or(last);
        let wall_ns = last - first;
        let expected = settings.total;
        let lost = expected.saturating_sub(final_count);
        let thread_ids: Vec<usize> = samples.iter().map(|s| s.identity).collect();
        // At most a few dozen threads: a quadratic count is smaller code than a sort.
        let distinct_threads =
            (0..thread_ids.len()).filter(|&i| !thread_ids[..i].contains(&thread_ids[i])).count();
        for event in timeline.iter_mut().flat_map(|t| t.events.iter_mut()) {
            event.t_ns = event.t_ns.saturating_sub(first);
        }
        RunReport {
            settings,
            phases: Phases::default(),
            workers: Vec::new(),
            engine_cell_after: ENGINE_MARK,
            sum: None,
            expected,
            stopped: false,
            latency: None,
            final_count,
            lost,
            loss_percent: 100.0 * lost as f64 / expected.max(1) as f64,
            wall_ms: ms(wall_ns),
            per_thread_ms: samples.iter().map(|s| ms(s.end_ns - s.start_ns)).collect(),
            start_offsets_ms: samples.iter().map(|s| ms(s.start_ns - first)).collect(),
            per_thread_increments: samples.iter().map(|s| s.increments).collect(),
            million_per_second: if wall_ns == 0 {
                0.0
            } else {
                expected as f64 / wall_ns as f64 * 1e3
            },
            overlap: if wall_ns == 0 {
                1.0
            } else {
                earliest_end.saturating_sub(latest_start) as f64 / wall_ns as f64
            },
            thread_ids,
            distinct_threads,
            clock_start_ms: ms(first),
            summary: Summary::new(&timeline),
            timeline,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_fields_follow_from_the_samples() {
        let settings = Settings { threads: 2, total: 1000, ..Settings::default() };
        let samples = [
            ThreadSample {
                ready_ns: 900_000,
                start_ns: 1_000_000,
                end_ns: 3_000_000,
                increments: 500,
                identity: 7,
            },
            ThreadSample {
                ready_ns: 800_000,
                start_ns: 1_500_000,
                end_ns: 5_000_000,
                increments: 500,
                identity: 9,
            },
        ];
        let report = RunReport::new(settings, 750, &samples, Vec::new());
        assert_eq!(report.lost, 250);
        assert_eq!(report.loss_percent, 25.0);
        assert_eq!(report.wall_ms, 4.0);
        assert_eq!(report.per_thread_ms, vec![2.0, 3.5]);
        assert_eq!(report.start_offsets_ms, vec![0.0, 0.5]);
        assert_eq!(report.million_per_second, 0.25);
        assert_eq!(report.overlap, 0.375, "both ran from 1.5 ms to 3 ms of a 4 ms run");
        assert_eq!(report.distinct_threads, 2);
        assert_eq!(report.clock_start_ms, 1.0);

        let engine = EngineTimes { started_ns: 0, go_ns: 950_000, collected_ns: 5_250_000 };
        let phases = Phases::measure(engine, &samples, 8);
        assert_eq!(phases.startup_ms, 0.9, "until the last worker was ready");
        assert_eq!(phases.transfer_ms, 0.8, "0.55 until the last had its input, 0.25 back");
        assert_eq!(phases.compute_ms, 3.5, "from the last input to the last end");
        assert_eq!(phases.total_ms, 5.2, "all of it but the start line's 0.05");
    }
}
