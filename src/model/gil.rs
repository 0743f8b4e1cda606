//! The emulated GIL: CPython's "new GIL" (3.2 and later) on real threads, with real time.
//!
//! A thread must hold the GIL to run its loop. A thread that wants it waits on a condition
//! variable for one switch interval (`sys.setswitchinterval`, 5 ms by default); if the GIL
//! did not change hands during that whole wait, it sets the *drop request*. The holder looks
//! at that flag between blocks of its loop (see `interp.rs`), serves it at a safe point and
//! hands the GIL over; with FORCE_SWITCHING (always on in CPython) it then waits until another
//! thread has really taken it, so a still-running dropper on a multi-core machine cannot grab
//! it straight back. Sources: `Python/ceval_gil.h` (3.2-3.11), `Python/ceval_gil.c` (3.12+).
//!
//! Where the safe points are decides whether `counter["value"] += 1` can be split. CPython 3.9
//! checks before most bytecodes, two of them between the read (`BINARY_SUBSCR`) and the write
//! (`STORE_SUBSCR`): a thread switched out there later writes back a stale value and wipes
//! out the other thread's whole time slice. CPython 3.10 (bpo-29988) checks only on backward
//! jumps and after calls, so the loop body runs whole and no update is lost ([`Gil`]).
//!
//! On real threads the moment a request is *noticed* is set by the CPU, not by Python's step
//! costs. So when the holder notices a request it draws the safe point at which it will drop,
//! weighted by CPython 3.9's measured cost of each step ([`step_cost_ns`]): a request that
//! lands at a random time is served at the safe point that follows it, so each safe point's
//! chance is the time since the previous one.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use crossbeam_utils::CachePadded;

use crate::choice::{About, choices};
use crate::measure::clock::Clock;
use crate::measure::timeline::{Mark, Recorder, State, ThreadTimeline};
use crate::model::bytecode::Statement;
use crate::model::interp::{Interpreter, Step};
use crate::model::mode::Mode;

choices! {
    /// The emulated GIL: off (the free-threaded world), or on with the safe points of a
    /// CPython version.
    pub enum Gil: "gil" => About {
        /// No GIL: every thread runs at once, as in a free-threaded build (3.13t).
        Off => About {
            name: "off",
            label: "off (free-threaded)",
            explain: "No GIL: the threads run on all cores at once, as in CPython 3.13t's free-threaded build.",
        },
        /// CPython 3.10 and later: only at the loop's back edge and after calls.
        Py310 => About {
            name: "3.10",
            label: "on, 3.10+ safe points",
            explain: "The GIL as CPython 3.10 and later have it: a thread switch can happen only at the loop's back edge and after calls, so one \"+=\" is never split.",
        },
        /// CPython 3.9 and earlier: before most bytecodes.
        Py39 => About {
            name: "3.9",
            label: "on, 3.9 safe points",
            explain: "The GIL as CPython 3.9 and earlier have it: a switch can happen before most bytecodes, also between the read and the write of \"+=\".",
        },
    }
}

impl Gil {
    /// Whether there is a GIL at all.
    pub fn is_on(self) -> bool {
        self != Gil::Off
    }

    /// Whether the eval breaker is checked after `step` of `statement` (never without a GIL).
    pub fn is_safe_point(self, step: Step, statement: Statement) -> bool {
        match (self, statement) {
            (Gil::Off, _) => false,
            (Gil::Py39, _) => Py39::is_safe_point(step),
            (Gil::Py310, Statement::Augmented) => Py310::is_safe_point(step),
            (Gil::Py310, Statement::Call) => Py310Call::is_safe_point(step),
        }
    }
}

/// The safe-point profiles as types, so that the check compiles to nothing where a step has
/// no safe point.
pub(crate) trait Profile {
    fn is_safe_point(step: Step) -> bool;
}

/// CPython 3.9: a check after every step of the loop body.
pub(crate) struct Py39;
impl Profile for Py39 {
    #[inline(always)]
    fn is_safe_point(_step: Step) -> bool {
        true
    }
}

/// CPython 3.10+: after the back-edge jump, and after the `__exit__` call of a `with` block.
pub(crate) struct Py310;
impl Profile for Py310 {
    #[inline(always)]
    fn is_safe_point(step: Step) -> bool {
        matches!(step, Step::Jump | Step::LockRelease)
    }
}

/// CPython 3.10+ calling a function inside the loop: after the call too.
pub(crate) struct Py310Call;
impl Profile for Py310Call {
    #[inline(always)]
    fn is_safe_point(step: Step) -> bool {
        matches!(step, Step::Jump | Step::LockRelease | Step::Add)
    }
}

/// What one step costs in CPython 3.9 on the reference machine, in nanoseconds: the loop
/// steps were measured (`Loop` 10, `Read` 13, `Add` 19, `Write` 15, `Jump` 2, about 59 ns per
/// iteration); the lock steps are estimated from 3.9's lock-mode time (353 ns per iteration
/// with `with lock:` against 109 ns without, split evenly between entering and leaving); the
/// call to `add_one` adds 36 ns to `Add` (3.9.18 here: 93.6 ns per iteration against 57.3).
pub fn step_cost_ns(step: Step, statement: Statement) -> u32 {
    match step {
        Step::Loop => 10,
        Step::Read => 13,
        Step::Add if statement == Statement::Call => 19 + 36,
        Step::Add => 19,
        Step::Write => 15,
        Step::Jump => 2,
        Step::LockAcquire | Step::LockRelease => 120,
    }
}

/// For each safe point of `mode` under `gil` with `statement`, the chance (as a weight) that a
/// drop request is served there: the cost of the steps since the previous safe point.
pub fn serve_weights(mode: Mode, gil: Gil, statement: Statement) -> Vec<(Step, u32)> {
    let steps = mode.spec().steps;
    let mut weights = Vec::new();
    if !gil.is_on() {
        return weights;
    }
    // Start after the last safe point so the cycle wraps correctly.
    let last_safe = steps.iter().rposition(|&s| gil.is_safe_point(s, statement)).unwrap_or(0);
    let mut pending = 0;
    for i in 1..=steps.len() {
        let step = steps[(last_safe + i) % steps.len()];
        pending += step_cost_ns(step, statement);
        if gil.is_safe_point(step, statement) {
            weights.push((step, pending));
            pending = 0;
        }
    }
    weights
}

/// The smallest switch interval accepted, in milliseconds.
pub const MIN_INTERVAL_MS: f64 = 0.1;
/// The largest switch interval accepted, in milliseconds.
pub const MAX_INTERVAL_MS: f64 = 100.0;
/// CPython's default switch interval, in milliseconds.
pub const DEFAULT_INTERVAL_MS: f64 = 5.0;

/// The state behind the GIL's mutex (CPython's `struct _gil_runtime_state`).
struct GilState {
    locked: bool,
    last_holder: Option<usize>,
    /// Holder changes so far.
    switch_number: u64,
}

/// The GIL shared by the threads of one run.
pub(crate) struct EmulatedGil {
    state: Mutex<GilState>,
    /// Threads waiting for the GIL (CPython's `cond`).
    cond: Condvar,
    /// A dropper waiting until another thread took the GIL (CPython's `switch_cond`).
    switch_cond: Condvar,
    /// Set by a waiter whose whole interval passed with no switch; read between blocks.
    drop_request: CachePadded<AtomicBool>,
    interval: Duration,
    version: Gil,
    /// Raised when the run is stopped: waiters give up waiting (and the GIL).
    stopped: AtomicBool,
    /// Tests only: serve every drop request at this step instead of drawing one.
    forced_serve_point: Option<Step>,
}

/// Why a thread gives the GIL up.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Release {
    /// A drop request was served at a safe point.
    Requested,
    /// It is about to block on the user's lock (`Py_BEGIN_ALLOW_THREADS`).
    Blocking,
    /// It is about to wait for I/O (`time.sleep`, `Py_BEGIN_ALLOW_THREADS`).
    Sleeping,
    /// Its loop is done.
    Finished,
}

impl EmulatedGil {
    /// A GIL with `version`'s safe points and a switch interval of `interval_ms` (checked
    /// already: 0.1 to 100 ms).
    pub(crate) fn new(version: Gil, interval_ms: f64, forced_serve_point: Option<Step>) -> Self {
        EmulatedGil {
            state: Mutex::new(GilState { locked: false, last_holder: None, switch_number: 0 }),
            cond: Condvar::new(),
            switch_cond: Condvar::new(),
            drop_request: CachePadded::new(AtomicBool::new(false)),
            // Whole nanoseconds (the range is checked): no float-to-Duration checks in wasm.
            interval: Duration::from_nanos((interval_ms * 1e6) as u64),
            version,
            stopped: AtomicBool::new(false),
            forced_serve_point,
        }
    }

    /// Stops the run: every thread waiting for the GIL, or for a switch, stops waiting.
    pub(crate) fn stop(&self) {
        let _state = self.lock_state();
        self.stopped.store(true, Ordering::Relaxed);
        self.cond.notify_all();
        self.switch_cond.notify_all();
    }

    fn lock_state(&self) -> MutexGuard<'_, GilState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn version(&self) -> Gil {
        self.version
    }
}

/// One thread's side of the GIL: the [`Interpreter`] that runs between the steps.
pub(crate) struct GilThread<'a, P: Profile> {
    gil: &'a EmulatedGil,
    me: usize,
    rec: Recorder<'a>,
    /// The safe point chosen for the pending drop request, once noticed.
    serve_at: Option<Step>,
    weights: Vec<(Step, u32)>,
    weight_total: u32,
    rng: u64,
    /// Whether the workload takes the user's lock (so a switch inside `with` holds it).
    locks: bool,
    /// Whether the thread holds the user's lock while it waits (recorded in its events).
    holding_lock: bool,
    /// Whether the thread holds the GIL (not after a stop made it give up waiting).
    holding: bool,
    _profile: std::marker::PhantomData<P>,
}

impl<'a, P: Profile> GilThread<'a, P> {
    /// Thread `me` of a run of `mode` with `statement`; waits for the GIL as soon as it starts.
    pub(crate) fn new(
        gil: &'a EmulatedGil,
        me: usize,
        mode: Mode,
        statement: Statement,
        clock: &'a dyn Clock,
    ) -> Self {
        let weights = serve_weights(mode, gil.version, statement);
        let weight_total = weights.iter().map(|w| w.1).sum();
        GilThread {
            gil,
            me,
            rec: Recorder::new(clock, State::WaitingGil),
            serve_at: None,
            weights,
            weight_total,
            rng: (me as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ clock.now_ns(),
            locks: mode.spec().locks,
            holding_lock: false,
            holding: false,
            _profile: std::marker::PhantomData,
        }
    }

    /// Takes the GIL: waits in timed waits of one interval, raising the drop request when an
    /// interval passes with no switch (CPython's `take_gil`).
    pub(crate) fn take(&mut self) {
        let gil = self.gil;
        let mut state = gil.lock_state();
        if state.locked && self.rec.state() != State::WaitingGil {
            let now = self.rec.now();
            self.rec.enter(now, State::WaitingGil, state.switch_number, self.holding_lock as i64);
        }
        while state.locked {
            if gil.stopped.load(Ordering::Relaxed) {
                return;
            }
            // A full interval after every wake-up, timed from now, as CPython does.
            let saved = state.switch_number;
            let (guard, wait) =
                gil.cond.wait_timeout(state, gil.interval).unwrap_or_else(PoisonError::into_inner);
            state = guard;
            if wait.timed_out() && state.locked && state.switch_number == saved {
                gil.drop_request.store(true, Ordering::Relaxed);
                self.rec.counts().drop_requests += 1;
                let now = self.rec.now();
                self.rec.mark(now, Mark::DropRequest, state.switch_number, 0);
            } else if state.locked && (!wait.timed_out() || state.switch_number != saved) {
                // Woken, or timed out after a switch: another thread has the GIL again.
                self.rec.counts().busy_retries += 1;
                let now = self.rec.now();
                self.rec.mark(now, Mark::BusyRetry, state.switch_number, 0);
            }
        }
        state.locked = true;
        self.holding = true;
        // The run's first acquisition starts the count; only later ones hand the GIL over.
        let handoff = state.last_holder.is_some_and(|holder| holder != self.me);
        if state.last_holder != Some(self.me) {
            state.last_holder = Some(self.me);
            state.switch_number += 1;
        }
        gil.switch_cond.notify_all();
        gil.drop_request.store(false, Ordering::Relaxed);
        let now = self.rec.now();
        self.rec.enter(now, State::HoldingGil, state.switch_number, 0);
        let counts = self.rec.counts();
        counts.gil_acquisitions += 1;
        if handoff {
            counts.handoffs += 1;
            self.rec.mark(now, Mark::Handoff, state.switch_number, 0);
        }
    }

    /// Gives the GIL up (CPython's `drop_gil`). With a drop request pending (and the thread not
    /// finished), waits until another thread has taken it: FORCE_SWITCHING. Returns when it
    /// let go, on the run's clock (read under the GIL's mutex, so it orders with the others).
    fn release(&mut self, why: Release) -> u64 {
        let gil = self.gil;
        if !self.holding {
            return self.rec.now();
        }
        self.holding = false;
        let mut state = gil.lock_state();
        state.locked = false;
        state.last_holder = Some(self.me);
        gil.cond.notify_one();
        let released = self.rec.now();
        if why == Release::Finished {
            return released;
        }
        let mut now = released;
        if gil.drop_request.load(Ordering::Relaxed) {
            self.rec.enter(now, State::SwitchWait, state.switch_number, self.holding_lock as i64);
            gil.drop_request.store(false, Ordering::Relaxed);
            while state.last_holder == Some(self.me) && !gil.stopped.load(Ordering::Relaxed) {
                state = gil.switch_cond.wait(state).unwrap_or_else(PoisonError::into_inner);
            }
            now = self.rec.now();
        }
        let next = match why {
            Release::Blocking => State::WaitingLock,
            Release::Sleeping => State::Sleeping,
            _ => State::WaitingGil,
        };
        self.rec.enter(now, next, state.switch_number, self.holding_lock as i64);
        released
    }

    /// Serves a noticed drop request at `step` if `step` is the safe point drawn for it.
    #[cold]
    #[inline(never)]
    fn serve(&mut self, step: Step) {
        let target = match self.serve_at {
            Some(target) => target,
            None => {
                let target = self.gil.forced_serve_point.unwrap_or_else(|| self.draw());
                self.serve_at = Some(target);
                target
            }
        };
        if target == step {
            self.serve_at = None;
            // Inside `with lock:` (after taking it, before `__exit__`) the lock stays held.
            self.holding_lock = self.locks
                && matches!(step, Step::LockAcquire | Step::Read | Step::Add | Step::Write);
            self.release(Release::Requested);
            self.take();
            self.holding_lock = false;
        }
    }

    /// Counts a write of a value read before a switch. Under the GIL nobody else writes
    /// meanwhile, so `replaced - read` is exactly what the write erased (or, negative, skipped).
    #[cold]
    #[inline(never)]
    fn stale_write(&mut self, replaced: u64, read: u64) {
        let overwritten = replaced as i64 - read as i64;
        let counts = self.rec.counts();
        counts.stale_writes += 1;
        counts.overwritten += overwritten;
        let now = self.rec.now();
        self.rec.mark(now, Mark::StaleWrite, 0, overwritten);
    }

    /// A safe point drawn with the step weights.
    fn draw(&mut self) -> Step {
        // xorshift64*: cheap and good enough to pick one of a handful of steps.
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        let mut pick =
            (self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32) as u32 % self.weight_total.max(1);
        for &(step, weight) in &self.weights {
            if pick < weight {
                return step;
            }
            pick -= weight;
        }
        self.weights.last().map_or(Step::Jump, |w| w.0)
    }

    /// Releases the GIL for good and returns the thread's log.
    pub(crate) fn finish(mut self) -> ThreadTimeline {
        let released = self.release(Release::Finished);
        self.rec.finish(released)
    }
}

impl<'a, P: Profile> Interpreter<'a> for GilThread<'a, P> {
    #[inline(always)]
    fn pending(&self) -> bool {
        self.gil.drop_request.load(Ordering::Relaxed)
    }

    #[inline(always)]
    fn stopped(&self) -> bool {
        self.gil.stopped.load(Ordering::Relaxed)
    }

    #[inline(always)]
    fn after(&mut self, step: Step) {
        if P::is_safe_point(step) {
            self.serve(step);
        }
    }

    #[inline(always)]
    fn wrote(&mut self, replaced: u64, read: u64) {
        if replaced != read {
            self.stale_write(replaced, read);
        }
    }

    fn allow_threads(&mut self, wait: impl FnOnce()) {
        self.release(Release::Sleeping);
        wait();
        self.take();
    }

    fn blocking<T>(
        &mut self,
        attempt: impl FnOnce() -> Option<T>,
        block: impl FnOnce(&mut Recorder<'a>) -> T,
    ) -> T {
        if let Some(value) = attempt() {
            return value;
        }
        // Block with the GIL released, as `lock.acquire()` does (Py_BEGIN_ALLOW_THREADS).
        self.release(Release::Blocking);
        self.rec.counts().lock_waits += 1;
        let value = block(&mut self.rec);
        self.take();
        value
    }

    fn recorder(&mut self) -> &mut Recorder<'a> {
        &mut self.rec
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::clock::InstantClock;
    use crate::run::report::RunReport;
    use crate::run::team::ScopedThreads;
    use crate::run::{Run, RunHooks};
    use crate::settings::Settings;

    /// A run under `gil` with a 0.1 ms switch interval (many switches in a short run).
    fn gil_run(mode: Mode, threads: usize, total: u64, gil: Gil) -> RunReport {
        forced_run(mode, threads, total, gil, None)
    }

    fn forced_run(mode: Mode, threads: usize, total: u64, gil: Gil, at: Option<Step>) -> RunReport {
        let _alone = crate::test_support::serial();
        let settings = Settings { mode, threads, total, gil, interval: 0.1, ..Settings::default() };
        let hooks = RunHooks { forced_serve_point: at };
        let run = Run::with_hooks(settings, &ScopedThreads, hooks).unwrap();
        let report = run.execute(&ScopedThreads, &InstantClock::new());
        assert_eq!(report.summary.events_dropped, 0, "a test run must keep every event");
        report
    }

    /// Each thread's GIL holds as (switch number, acquired at, released at, thread).
    fn holds(report: &RunReport) -> Vec<(u64, u64, u64, usize)> {
        let mut holds = Vec::new();
        for (thread, log) in report.timeline.iter().enumerate() {
            let changes: Vec<_> = log.events.iter().filter(|e| e.state.is_some()).collect();
            for pair in changes.windows(2) {
                if pair[0].state == Some(State::HoldingGil) {
                    holds.push((pair[0].switch_number, pair[0].t_ns, pair[1].t_ns, thread));
                }
            }
        }
        holds.sort();
        holds
    }

    #[test]
    fn no_two_threads_ever_hold_the_gil_at_once() {
        for threads in [2, 4, 8] {
            // A lock under 3.9 may hand the GIL over on every increment: few enough increments that
            // every event fits in the bounded logs (about 4 per increment at worst).
            for (mode, total) in [(Mode::Racy, 8_000_000), (Mode::PyMutex, 8_000)] {
                let report = gil_run(mode, threads, total, Gil::Py39);
                let holds = holds(&report);
                assert_eq!(holds.len() as u64, report.summary.counts.gil_acquisitions);
                assert!(report.summary.counts.handoffs >= 1, "{threads} threads never switched");
                // Ordered by the GIL's switch number, each hold ends before the next begins.
                for pair in holds.windows(2) {
                    let (earlier, later) = (pair[0], pair[1]);
                    assert!(earlier.0 <= later.0);
                    assert!(
                        earlier.2 <= later.1,
                        "{mode} {threads}: holds overlap: {earlier:?} {later:?}"
                    );
                    if earlier.3 != later.3 {
                        assert!(earlier.0 < later.0, "a handoff must raise the switch number");
                    }
                }
            }
        }
    }

    #[test]
    fn safe_points_of_3_10_never_lose_an_update() {
        for round in 0..10 {
            for threads in [2, 3, 4] {
                let report = gil_run(Mode::Racy, threads, 300_001, Gil::Py310);
                assert_eq!(report.final_count, 300_001, "round {round}, {threads} threads");
                assert_eq!(report.summary.counts.stale_writes, 0);
            }
        }
    }

    #[test]
    fn a_switch_between_read_and_write_loses_the_other_threads_slice() {
        // Every drop request is served right after the read: each resumed thread then writes
        // back a value from before the other's time slice. Not luck: the GIL hands over at
        // least once per interval, and the run lasts many intervals.
        let report = forced_run(Mode::Racy, 2, 16_000_000, Gil::Py39, Some(Step::Read));
        assert!(report.summary.counts.handoffs >= 2, "{:?}", report.summary);
        assert!(report.lost > 0);
        assert!(report.summary.counts.stale_writes > 0);
        assert_eq!(report.summary.counts.overwritten, report.lost as i64);
    }

    #[test]
    fn overwritten_updates_sum_to_the_lost_count_exactly() {
        for threads in [2, 4] {
            for _ in 0..5 {
                let report = gil_run(Mode::Racy, threads, 1_000_000, Gil::Py39);
                assert_eq!(
                    report.summary.counts.overwritten, report.lost as i64,
                    "{:?}",
                    report.summary
                );
                let marked: i64 = report
                    .timeline
                    .iter()
                    .flat_map(|t| &t.events)
                    .filter(|e| e.mark == Some(Mark::StaleWrite))
                    .map(|e| e.value)
                    .sum();
                assert_eq!(marked, report.lost as i64);
            }
        }
    }

    #[test]
    fn the_requester_takes_the_gil_next() {
        // Under 3.10 safe points the user's lock is never held across a switch, so every switch
        // is requested (under 3.9 most are voluntary: a thread blocks on the lock).
        // Runs of 50 ms or more, so that both threads overlap even on a loaded machine.
        for (mode, total) in
            [(Mode::Racy, 16_000_000), (Mode::PyMutex, 6_000_000), (Mode::Mutex, 6_000_000)]
        {
            let report = gil_run(mode, 2, total, Gil::Py310);
            let mut events: Vec<(u64, usize, Option<State>, Option<Mark>)> = Vec::new();
            for (thread, log) in report.timeline.iter().enumerate() {
                events.extend(log.events.iter().map(|e| (e.t_ns, thread, e.state, e.mark)));
            }
            events.sort_by_key(|e| e.0);
            let mut requests = 0;
            for (i, request) in events.iter().enumerate() {
                if request.3 != Some(Mark::DropRequest) {
                    continue;
                }
                requests += 1;
                let next_holder = events[i..].iter().find(|e| e.2 == Some(State::HoldingGil));
                if let Some(next) = next_holder {
                    assert_eq!(next.1, request.1, "{mode}: the holder took the GIL back first");
                }
            }
            assert!(
                requests > 0,
                "{mode}: no drop request in a run of many intervals: {:?}, wall {} ms, threads {:?} ms, starts {:?}",
                report.summary,
                report.wall_ms,
                report.per_thread_ms,
                report.start_offsets_ms
            );
        }
    }

    #[test]
    fn lock_modes_under_the_gil_finish_exactly() {
        // Only the count matters here: a lock that hands the GIL over on every increment (3.9
        // switches inside `with`) may fill its event log, which is bounded.
        for &mode in Mode::ALL.iter().filter(|m| m.spec().locks) {
            for gil in [Gil::Py39, Gil::Py310] {
                for threads in [2, 4] {
                    let _alone = crate::test_support::serial();
                    let settings = Settings {
                        mode,
                        threads,
                        total: 200_000,
                        gil,
                        interval: 0.1,
                        ..Settings::default()
                    };
                    let report =
                        crate::run::run(settings, &ScopedThreads, &InstantClock::new()).unwrap();
                    assert_eq!(report.final_count, 200_000, "{mode} {gil} {threads}");
                }
            }
        }
    }

    #[test]
    fn logs_are_well_formed() {
        let report = gil_run(Mode::PyMutex, 3, 12_000, Gil::Py39);
        for log in &report.timeline {
            assert!(log.events.windows(2).all(|w| w[0].t_ns <= w[1].t_ns), "out of order");
            let states: Vec<State> = log.events.iter().filter_map(|e| e.state).collect();
            assert_eq!(states.first(), Some(&State::WaitingGil));
            assert_eq!(states.last(), Some(&State::Done));
            // Every acquire comes after a wait, and is released before anything else happens.
            for pair in states.windows(2) {
                assert_ne!(pair[0], pair[1], "a state entered twice in a row");
                if pair[1] == State::HoldingGil {
                    assert!(matches!(pair[0], State::WaitingGil | State::WaitingLock), "{pair:?}");
                }
                if pair[0] == State::HoldingGil {
                    assert!(
                        matches!(
                            pair[1],
                            State::WaitingGil
                                | State::SwitchWait
                                | State::WaitingLock
                                | State::Done
                        ),
                        "{pair:?}"
                    );
                }
            }
            let acquired = states.iter().filter(|&&s| s == State::HoldingGil).count();
            assert_eq!(acquired as u64, log.counts.gil_acquisitions);
        }
    }

    #[test]
    fn one_thread_takes_the_gil_once_and_never_waits() {
        let _alone = crate::test_support::serial();
        let settings =
            Settings { threads: 1, total: 100_000, gil: Gil::Py310, ..Settings::default() };
        let report = crate::run::run(settings, &ScopedThreads, &InstantClock::new()).unwrap();
        assert_eq!(report.final_count, 100_000);
        assert_eq!(report.summary.counts.gil_acquisitions, 1);
        assert_eq!((report.summary.counts.handoffs, report.summary.counts.drop_requests), (0, 0));
    }

    #[test]
    fn safe_points_follow_cpython() {
        use Step::*;
        for step in [Loop, LockAcquire, Read, Add, Write, LockRelease, Jump] {
            assert!(Gil::Py39.is_safe_point(step, Statement::Augmented));
        }
        let py310: Vec<Step> = Mode::PyMutex
            .spec()
            .steps
            .iter()
            .copied()
            .filter(|&s| Gil::Py310.is_safe_point(s, Statement::Augmented))
            .collect();
        assert_eq!(py310, [LockRelease, Jump]);
    }

    #[test]
    fn weights_are_the_time_since_the_previous_safe_point() {
        use Step::*;
        assert_eq!(
            serve_weights(Mode::Racy, Gil::Py39, Statement::Augmented),
            [(Loop, 10), (Read, 13), (Add, 19), (Write, 15), (Jump, 2)]
        );
        assert_eq!(serve_weights(Mode::Racy, Gil::Py310, Statement::Augmented), [(Jump, 59)]);
        assert_eq!(
            serve_weights(Mode::Mutex, Gil::Py310, Statement::Augmented),
            [(LockRelease, 10 + 120 + 13 + 19 + 15 + 120), (Jump, 2)]
        );
        // Inside the read-write window in 3.9: after Read and after Add, 32 of 59.
        let window: u32 = serve_weights(Mode::Racy, Gil::Py39, Statement::Augmented)
            .iter()
            .filter(|w| matches!(w.0, Read | Add))
            .map(|w| w.1)
            .sum();
        assert_eq!(window, 32);
    }

    #[test]
    fn names_parse() {
        assert_eq!("3.9".parse::<Gil>().unwrap(), Gil::Py39);
        assert_eq!("3.10".parse::<Gil>().unwrap(), Gil::Py310);
        assert_eq!("off".parse::<Gil>().unwrap(), Gil::Off);
        assert_eq!("3.11".parse::<Gil>().unwrap_err().code(), "unknown-gil");
        assert_eq!(serde_json::to_string(&Gil::Py39).unwrap(), "\"3.9\"");
        assert!(serve_weights(Mode::Racy, Gil::Off, Statement::Augmented).is_empty());
    }
}
