//! A `processes` run, apart from starting the processes, which only the edges can do (the CLI
//! runs itself as child processes, the page's host worker starts web workers):
//! - [`job`]: what worker `index` is sent: its share to run on one thread, and a copy of its
//!   numbers;
//! - [`Child`]: what a worker process does: marks its memory when it is ready, runs its job
//!   in its own memory and returns a [`WorkerResult`];
//! - [`report`]: the engine's report from every worker's result.
//!
//! The workers and the engine read one clock (the edges see to it), so their readings make
//! one timeline, as those of threads do.

use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use crate::error::SettingsError;
use crate::measure::clock::Clock;
use crate::measure::timeline::{Counts, StateTimes, ThreadTimeline};
use crate::model::execution::Model;
use crate::model::mode::expected_sum;
use crate::run::Run;
use crate::run::report::{
    ENGINE_MARK, EngineTimes, Phases, RunReport, SumCheck, ThreadSample, WorkerPlace,
};
use crate::run::team::{ThreadTeam, instance};
use crate::settings::Settings;

/// What worker `index` of a `processes` run is sent.
#[derive(Clone, Debug, PartialEq)]
pub struct Job {
    /// What it runs: its share of the total on one thread, in its own memory.
    pub settings: Settings,
    /// `sum`: its numbers, copied out of the engine's.
    pub numbers: Vec<u32>,
}

/// The job of worker `index` of the `processes` run `settings`, over the engine's `numbers`.
pub fn job(settings: &Settings, numbers: Option<&[u32]>, index: usize) -> Job {
    let numbers = numbers.map_or_else(Vec::new, |all| all[settings.slice_of(index)].to_vec());
    Job {
        settings: Settings {
            model: Model::Threads,
            threads: 1,
            total: settings.share_of(index),
            size: numbers.len().max(1),
            probe: 0,
            ..settings.clone()
        },
        numbers,
    }
}

/// What a worker process sends back.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkerResult {
    /// Which worker it is.
    pub index: usize,
    /// When it was ready for its job (on the run's clock, as every time here).
    pub ready_ns: u64,
    /// When its job was in its memory.
    pub received_ns: u64,
    /// When it had counted its share.
    pub end_ns: u64,
    /// Increments (or additions) it ran.
    pub ran: u64,
    /// What its counter read.
    pub count: u64,
    /// `sum`: what its numbers added up to.
    pub sum: u64,
    /// Its memory, and what it saw there.
    pub place: WorkerPlace,
    /// Its GIL's and lock's counts.
    pub counts: Counts,
    /// How long it spent in each state.
    pub state_ns: StateTimes,
}

/// Lists every number of a [`WorkerResult`] once, in the order [`WorkerResult::to_numbers`]
/// writes them and [`WorkerResult::from_numbers`] reads them.
macro_rules! numbers_of_a_result {
    ($apply:ident) => {
        $apply!(
            index,
            ready_ns,
            received_ns,
            end_ns,
            ran,
            count,
            sum,
            place.instance,
            place.found,
            place.found_after,
            counts.gil_acquisitions,
            counts.handoffs,
            counts.drop_requests,
            counts.stale_writes,
            counts.overwritten,
            counts.lock_waits,
            counts.parks,
            counts.lock_handoffs,
            counts.lock_owner_changes,
            state_ns.running,
            state_ns.holding_gil,
            state_ns.waiting_gil,
            state_ns.switch_wait,
            state_ns.waiting_lock,
            state_ns.parked,
            state_ns.sleeping
        )
    };
}

impl WorkerResult {
    /// The result as a list of numbers (each exact below 2^53, as every one here is), for a
    /// channel that carries numbers: a web worker's message, read back without a deserializer
    /// in the wasm module. Its memory's size comes last, -1 for none.
    pub fn to_numbers(&self) -> Vec<f64> {
        macro_rules! write {
            ($($($field:ident).+),*) => { vec![$(self.$($field).+ as f64,)* self.place.memory_bytes.map_or(-1.0, |b| b as f64)] };
        }
        numbers_of_a_result!(write)
    }

    /// A result from [`WorkerResult::to_numbers`]'s list, if it is one.
    pub fn from_numbers(numbers: &[f64]) -> Option<WorkerResult> {
        let mut result = WorkerResult {
            index: 0,
            ready_ns: 0,
            received_ns: 0,
            end_ns: 0,
            ran: 0,
            count: 0,
            sum: 0,
            place: WorkerPlace::default(),
            counts: Counts::default(),
            state_ns: StateTimes::default(),
        };
        let mut next = numbers.iter().copied();
        macro_rules! read {
            ($($($field:ident).+),*) => { $(result.$($field).+ = next.next()? as _;)* };
        }
        numbers_of_a_result!(read);
        let memory = next.next()?;
        result.place.memory_bytes = (memory >= 0.0).then_some(memory as u64);
        next.next().is_none().then_some(result)
    }
}

/// The cell of this process's memory each worker writes its number into (see [`WorkerPlace`]).
static CELL: AtomicU64 = AtomicU64::new(0);

/// The engine writes its mark into its own memory's cell before it starts the workers.
pub fn mark_engine() {
    CELL.store(ENGINE_MARK, Ordering::SeqCst);
}

/// A worker process between starting and getting its job.
pub struct Child {
    index: usize,
    ready_ns: u64,
    found: u64,
}

impl Child {
    /// The first thing worker `index` does in a new process: notes that it is ready, and
    /// writes its number into its memory's cell.
    pub fn ready(index: usize, clock: &dyn Clock) -> Child {
        let ready_ns = clock.now_ns();
        let found = CELL.swap(index as u64 + 1, Ordering::SeqCst);
        Child { index, ready_ns, found }
    }

    /// Runs the job that has arrived (its settings, and its numbers now in this memory) on
    /// `team`'s one thread, and says how it went.
    ///
    /// # Errors
    /// Any [`SettingsError`] from [`Settings::validate`].
    pub fn run(
        self,
        settings: Settings,
        numbers: Vec<u32>,
        team: &dyn ThreadTeam,
        clock: &dyn Clock,
    ) -> Result<WorkerResult, SettingsError> {
        let received_ns = clock.now_ns();
        let found_after = CELL.load(Ordering::SeqCst);
        let gathered = Run::over(settings, team, numbers)?.gather(team, clock);
        let thread = &gathered.results[0];
        Ok(WorkerResult {
            index: self.index,
            ready_ns: self.ready_ns,
            received_ns,
            end_ns: thread.sample.end_ns,
            ran: thread.sample.increments,
            count: gathered.count,
            sum: gathered.sum,
            place: WorkerPlace {
                instance: instance(),
                found: self.found,
                found_after,
                memory_bytes: None,
            },
            counts: thread.timeline.counts,
            state_ns: thread.timeline.state_ns,
        })
    }
}

/// The report of the `processes` run `settings` over the engine's `numbers`, from its
/// workers' `results` (in any order), the engine's readings and the bytes of numbers it sent;
/// the engine's cell is read now (see [`mark_engine`]). Each worker's log stays in its
/// process: only its counts come back.
pub fn report(
    settings: &Settings,
    numbers: Option<&[u32]>,
    engine: EngineTimes,
    mut results: Vec<WorkerResult>,
    bytes: u64,
) -> RunReport {
    results.sort_by_key(|r| r.index);
    let samples: Vec<ThreadSample> = results
        .iter()
        .map(|r| ThreadSample {
            ready_ns: r.ready_ns,
            start_ns: r.received_ns,
            end_ns: r.end_ns,
            increments: r.ran,
            identity: r.place.instance as usize,
        })
        .collect();
    let timeline = results
        .iter()
        .map(|r| ThreadTimeline {
            events: Vec::new(),
            dropped: 0,
            state_ns: r.state_ns,
            counts: r.counts,
        })
        .collect();
    let count = results.iter().map(|r| r.count).sum();
    let mut report = RunReport::new(settings.clone(), count, &samples, timeline);
    report.phases = Phases::measure(engine, &samples, bytes);
    report.workers = results.iter().map(|r| r.place).collect();
    report.engine_cell_after = CELL.load(Ordering::SeqCst);
    report.sum = numbers.map(|numbers| SumCheck {
        sum: results.iter().map(|r| r.sum).sum(),
        expected_sum: results
            .iter()
            .map(|r| expected_sum(&numbers[settings.slice_of(r.index)], r.ran))
            .sum(),
    });
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::clock::InstantClock;
    use crate::model::mode::{Mode, make_numbers};
    use crate::run::team::CurrentThread;

    #[test]
    fn jobs_split_the_total_and_the_numbers_and_run_on_one_thread() {
        let settings = Settings {
            model: Model::Processes,
            mode: Mode::Sum,
            threads: 3,
            total: 1_000,
            size: 10,
            ..Settings::default()
        };
        let numbers = make_numbers(10);
        let jobs: Vec<Job> = (0..3).map(|i| job(&settings, Some(&numbers), i)).collect();
        assert_eq!(jobs.iter().map(|j| j.settings.total).sum::<u64>(), 1_000);
        assert_eq!(jobs.iter().flat_map(|j| j.numbers.clone()).collect::<Vec<_>>(), numbers);
        for job in &jobs {
            assert_eq!((job.settings.model, job.settings.threads), (Model::Threads, 1));
            assert_eq!(job.settings.size, job.numbers.len());
        }
    }

    #[test]
    fn a_result_survives_the_trip_as_numbers() {
        let mut result = WorkerResult {
            index: 2,
            ready_ns: 10,
            received_ns: 20,
            end_ns: 30,
            ran: 1 << 40,
            count: 7,
            sum: 9,
            place: WorkerPlace { instance: 1 << 52, found: 0, found_after: 3, memory_bytes: None },
            counts: Counts { handoffs: 4, overwritten: -5, ..Counts::default() },
            state_ns: StateTimes { sleeping: 6, ..StateTimes::default() },
        };
        assert_eq!(WorkerResult::from_numbers(&result.to_numbers()), Some(result.clone()));
        result.place.memory_bytes = Some(65536);
        let numbers = result.to_numbers();
        assert_eq!(WorkerResult::from_numbers(&numbers), Some(result));
        assert_eq!(WorkerResult::from_numbers(&numbers[1..]), None);
        assert_eq!(WorkerResult::from_numbers(&[numbers.clone(), vec![1.0]].concat()), None);
    }

    #[test]
    fn results_make_one_report_and_a_shared_memory_would_show() {
        let _alone = crate::test_support::serial();
        let clock = InstantClock::new();
        let settings = Settings {
            model: Model::Processes,
            mode: Mode::Sum,
            threads: 2,
            total: 50_001,
            size: 101,
            ..Settings::default()
        };
        let numbers = make_numbers(101);
        mark_engine();
        let started_ns = clock.now_ns();
        // Both "processes" here are this one: the second finds the first's number, and the
        // engine's mark is gone, which real processes never see (tests/cli.rs).
        let children: Vec<Child> = (0..2).map(|i| Child::ready(i, &clock)).collect();
        let go_ns = clock.now_ns();
        let results: Vec<WorkerResult> = children
            .into_iter()
            .enumerate()
            .map(|(i, child)| {
                let job = job(&settings, Some(&numbers), i);
                child.run(job.settings, job.numbers, &CurrentThread, &clock).unwrap()
            })
            .rev()
            .collect();
        let engine = EngineTimes { started_ns, go_ns, collected_ns: clock.now_ns() };
        let report = report(&settings, Some(&numbers), engine, results, 404);
        assert_eq!(report.final_count, 50_001);
        let check = report.sum.unwrap();
        assert_eq!(check.sum, check.expected_sum);
        assert_eq!(report.per_thread_increments, [25_001, 25_000], "in worker order");
        assert_eq!((report.workers[0].found, report.workers[1].found), (ENGINE_MARK, 1));
        assert_eq!(report.engine_cell_after, 2);
        assert_eq!(report.phases.transfer_bytes, 404);
        assert!(report.phases.compute_ms > 0.0);
    }
}
