//! What each thread did over time: a bounded log of state changes and marks per thread, plus
//! exact counters that keep counting when the log is full.
//!
//! Every thread records into its own [`Recorder`] (no sharing, no locks). A state change
//! says what the thread does from then on (holds the GIL, waits for it, waits for the lock…);
//! a mark is a point event (a drop request, a handoff, a stale write). The page draws one lane
//! per thread from these; the CLI writes them with `--timeline`.

use std::sync::atomic::{AtomicI64, AtomicU8, AtomicU64, AtomicUsize, Ordering};

use serde::Serialize;

use crate::measure::clock::Clock;

/// Events kept per thread; later ones are counted in [`ThreadTimeline::dropped`].
pub const EVENTS_PER_THREAD: usize = 20_000;

/// What a thread is doing, from one state change to the next.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum State {
    /// Running its loop with no GIL (the free-threaded world).
    Running,
    /// Holding the emulated GIL and running its loop.
    HoldingGil,
    /// Waiting for the GIL, in timed waits of one switch interval.
    WaitingGil,
    /// Dropped the GIL on request and waiting until another thread has taken it
    /// (CPython's FORCE_SWITCHING).
    SwitchWait,
    /// Blocked on the user's lock (with the GIL released, as CPython does).
    WaitingLock,
    /// Parked in the PyMutex-like lock, asleep until the holder wakes it.
    Parked,
    /// Waiting for I/O (`time.sleep`, a blocking read), the GIL released.
    Sleeping,
    /// Finished its share.
    Done,
}

/// A point in time worth marking on a lane.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum Mark {
    /// This thread, waiting for the GIL for a whole interval with no switch, asked the holder
    /// to drop it.
    DropRequest,
    /// The GIL changed hands to this thread (the switch number went up).
    Handoff,
    /// This thread wrote back a value read before a switch, overwriting `value` updates
    /// (negative when the write moved the counter forward).
    StaleWrite,
    /// The PyMutex-like lock was handed directly to this thread after it waited over 1 ms.
    LockHandoff,
    /// This thread woke up waiting for the GIL and found it taken again by someone else: a
    /// failed wake-up ("busy retry", as Beazley drew them).
    BusyRetry,
    /// This thread took the user's lock after another thread had held it.
    LockTaken,
}

/// One entry of a thread's log.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Event {
    /// Nanoseconds on the run's clock.
    pub t_ns: u64,
    /// The state entered, or `None` for a mark.
    pub state: Option<State>,
    /// The mark, or `None` for a state change.
    pub mark: Option<Mark>,
    /// The GIL's switch number when this happened (orders handoffs where clocks are coarse).
    pub switch_number: u64,
    /// For [`Mark::StaleWrite`]: the updates overwritten. For a wait state entered while the
    /// thread holds the user's lock: 1.
    pub value: i64,
}

/// Every state, then every mark, by [`Event::code`]: the browser receives events as typed
/// arrays of codes and decodes them with this list.
pub const EVENT_NAMES: [&str; 14] = [
    "running",
    "holding_gil",
    "waiting_gil",
    "switch_wait",
    "waiting_lock",
    "parked",
    "sleeping",
    "done",
    "drop_request",
    "handoff",
    "stale_write",
    "lock_handoff",
    "busy_retry",
    "lock_taken",
];

impl Event {
    /// The event's index in [`EVENT_NAMES`].
    pub fn code(&self) -> u8 {
        match (self.state, self.mark) {
            (Some(state), _) => state as u8,
            (None, Some(mark)) => State::Done as u8 + 1 + mark as u8,
            (None, None) => unreachable!("an event is a state change or a mark"),
        }
    }
}

/// Time spent in each state, in nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct StateTimes {
    /// See [`State::Running`].
    pub running: u64,
    /// See [`State::HoldingGil`].
    pub holding_gil: u64,
    /// See [`State::WaitingGil`].
    pub waiting_gil: u64,
    /// See [`State::SwitchWait`].
    pub switch_wait: u64,
    /// See [`State::WaitingLock`].
    pub waiting_lock: u64,
    /// See [`State::Parked`].
    pub parked: u64,
    /// See [`State::Sleeping`].
    pub sleeping: u64,
}

impl StateTimes {
    /// The sum over several threads.
    pub fn sum<'a>(all: impl IntoIterator<Item = &'a StateTimes>) -> StateTimes {
        all.into_iter().fold(StateTimes::default(), |acc, t| StateTimes {
            running: acc.running + t.running,
            holding_gil: acc.holding_gil + t.holding_gil,
            waiting_gil: acc.waiting_gil + t.waiting_gil,
            switch_wait: acc.switch_wait + t.switch_wait,
            waiting_lock: acc.waiting_lock + t.waiting_lock,
            parked: acc.parked + t.parked,
            sleeping: acc.sleeping + t.sleeping,
        })
    }

    fn add(&mut self, state: State, ns: u64) {
        let slot = match state {
            State::Running => &mut self.running,
            State::HoldingGil => &mut self.holding_gil,
            State::WaitingGil => &mut self.waiting_gil,
            State::SwitchWait => &mut self.switch_wait,
            State::WaitingLock => &mut self.waiting_lock,
            State::Parked => &mut self.parked,
            State::Sleeping => &mut self.sleeping,
            State::Done => return,
        };
        *slot += ns;
    }
}

/// Exact counts of one thread, or summed over a run's threads (kept even when an event log
/// is full). A worker process sends them back with its result.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Counts {
    /// Times it took the GIL.
    pub gil_acquisitions: u64,
    /// Times it took the GIL over from another thread.
    pub handoffs: u64,
    /// Drop requests it raised.
    pub drop_requests: u64,
    /// Writes of a stale value.
    pub stale_writes: u64,
    /// Sum of the updates its stale writes overwrote (signed).
    pub overwritten: i64,
    /// Times it blocked on the user's lock.
    pub lock_waits: u64,
    /// Times it parked in the PyMutex-like lock.
    pub parks: u64,
    /// Times the PyMutex-like lock was handed to it directly.
    pub lock_handoffs: u64,
    /// Times it took the user's lock after another thread had held it.
    pub lock_owner_changes: u64,
    /// Times it woke up waiting for the GIL and found it taken by another thread.
    pub busy_retries: u64,
    /// Without a GIL: sampled writes that replaced another thread's newer value.
    pub sampled_lost_writes: u64,
}

impl Counts {
    /// The counts of several threads added up.
    pub fn sum<'a>(all: impl IntoIterator<Item = &'a Counts>) -> Counts {
        all.into_iter().fold(Counts::default(), |a, c| Counts {
            gil_acquisitions: a.gil_acquisitions + c.gil_acquisitions,
            handoffs: a.handoffs + c.handoffs,
            drop_requests: a.drop_requests + c.drop_requests,
            stale_writes: a.stale_writes + c.stale_writes,
            overwritten: a.overwritten + c.overwritten,
            lock_waits: a.lock_waits + c.lock_waits,
            parks: a.parks + c.parks,
            lock_handoffs: a.lock_handoffs + c.lock_handoffs,
            lock_owner_changes: a.lock_owner_changes + c.lock_owner_changes,
            busy_retries: a.busy_retries + c.busy_retries,
            sampled_lost_writes: a.sampled_lost_writes + c.sampled_lost_writes,
        })
    }
}

/// One thread's log, as reported.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ThreadTimeline {
    /// State changes and marks, in the order they happened on this thread.
    pub events: Vec<Event>,
    /// Events that did not fit in the log.
    pub dropped: u64,
    /// Time in each state.
    pub state_ns: StateTimes,
    /// Exact counts.
    pub counts: Counts,
}

/// Events a thread publishes while it runs, for a live timeline: one writer (the thread),
/// any number of readers (the host worker between polls). Each slot is written once, before
/// the length that covers it is published (release), so a reader that loads the length
/// (acquire) reads whole events. Bounded: later events reach the report only.
pub struct LiveLog {
    t_ns: Box<[AtomicU64]>,
    code: Box<[AtomicU8]>,
    value: Box<[AtomicI64]>,
    len: AtomicUsize,
}

/// Events each thread publishes live.
pub const LIVE_EVENTS: usize = 4096;

impl Default for LiveLog {
    fn default() -> Self {
        LiveLog {
            t_ns: (0..LIVE_EVENTS).map(|_| AtomicU64::new(0)).collect(),
            code: (0..LIVE_EVENTS).map(|_| AtomicU8::new(0)).collect(),
            value: (0..LIVE_EVENTS).map(|_| AtomicI64::new(0)).collect(),
            len: AtomicUsize::new(0),
        }
    }
}

impl LiveLog {
    fn push(&self, event: &Event) {
        let i = self.len.load(Ordering::Relaxed);
        if i < LIVE_EVENTS {
            self.t_ns[i].store(event.t_ns, Ordering::Relaxed);
            self.code[i].store(event.code(), Ordering::Relaxed);
            self.value[i].store(event.value, Ordering::Relaxed);
            self.len.store(i + 1, Ordering::Release);
        }
    }

    /// The events published from index `from` on: times (on the run's clock), codes, values.
    pub fn since(&self, from: usize) -> (Vec<u64>, Vec<u8>, Vec<i64>) {
        let to = self.len.load(Ordering::Acquire);
        let range = from.min(to)..to;
        (
            self.t_ns[range.clone()].iter().map(|a| a.load(Ordering::Relaxed)).collect(),
            self.code[range.clone()].iter().map(|a| a.load(Ordering::Relaxed)).collect(),
            self.value[range].iter().map(|a| a.load(Ordering::Relaxed)).collect(),
        )
    }
}

/// Records one thread's events. Not shared: each thread owns its recorder.
pub struct Recorder<'c> {
    clock: &'c dyn Clock,
    log: ThreadTimeline,
    state: State,
    since_ns: u64,
    live: Option<&'c LiveLog>,
}

impl<'c> Recorder<'c> {
    /// A recorder whose thread starts in `state` now.
    pub fn new(clock: &'c dyn Clock, state: State) -> Self {
        let mut recorder = Recorder {
            clock,
            log: ThreadTimeline {
                // Most threads log a handful of events; the log grows only where there is more.
                events: Vec::new(),
                dropped: 0,
                state_ns: StateTimes::default(),
                counts: Counts::default(),
            },
            state,
            since_ns: clock.now_ns(),
            live: None,
        };
        recorder.push(recorder.since_ns, Some(state), None, 0, 0);
        recorder
    }

    /// Publishes this thread's events to `live` as they happen (the ones so far included).
    pub fn publish_to(&mut self, live: &'c LiveLog) {
        for event in &self.log.events {
            live.push(event);
        }
        self.live = Some(live);
    }

    /// The clock's reading now.
    pub fn now(&self) -> u64 {
        self.clock.now_ns()
    }

    /// The thread is in `state` from `t_ns` on.
    pub fn enter(&mut self, t_ns: u64, state: State, switch_number: u64, value: i64) {
        self.log.state_ns.add(self.state, t_ns.saturating_sub(self.since_ns));
        self.state = state;
        self.since_ns = t_ns;
        self.push(t_ns, Some(state), None, switch_number, value);
    }

    /// Marks a point event.
    pub fn mark(&mut self, t_ns: u64, mark: Mark, switch_number: u64, value: i64) {
        self.push(t_ns, None, Some(mark), switch_number, value);
    }

    /// The exact counters, to update.
    pub fn counts(&mut self) -> &mut Counts {
        &mut self.log.counts
    }

    /// The state the thread is in.
    pub fn state(&self) -> State {
        self.state
    }

    fn push(
        &mut self,
        t_ns: u64,
        state: Option<State>,
        mark: Option<Mark>,
        switch: u64,
        value: i64,
    ) {
        if self.log.events.len() < EVENTS_PER_THREAD {
            let event = Event { t_ns, state, mark, switch_number: switch, value };
            if let Some(live) = self.live {
                live.push(&event);
            }
            self.log.events.push(event);
        } else {
            self.log.dropped += 1;
        }
    }

    /// Ends the log with [`State::Done`] at `t_ns` and hands it over.
    pub fn finish(mut self, t_ns: u64) -> ThreadTimeline {
        self.enter(t_ns, State::Done, 0, 0);
        self.log
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A clock that reads whatever the test sets.
    struct Manual(AtomicU64);
    impl Clock for Manual {
        fn now_ns(&self) -> u64 {
            self.0.load(Ordering::Relaxed)
        }
    }

    #[test]
    fn time_is_summed_per_state_and_the_log_is_bounded() {
        let clock = Manual(AtomicU64::new(100));
        let mut rec = Recorder::new(&clock, State::WaitingGil);
        rec.enter(150, State::HoldingGil, 1, 0);
        rec.mark(160, Mark::Handoff, 1, 0);
        rec.enter(400, State::WaitingGil, 1, 0);
        for i in 0..EVENTS_PER_THREAD as u64 {
            rec.mark(400 + i, Mark::StaleWrite, 1, 1);
        }
        let log = rec.finish(1000);
        assert_eq!(log.state_ns.waiting_gil, 50 + 600);
        assert_eq!(log.state_ns.holding_gil, 250);
        assert_eq!(log.events.len(), EVENTS_PER_THREAD);
        // 1 start + 2 changes + 1 mark fitted with room for EVENTS - 4 stale writes; 4 more
        // stale writes and the final Done were dropped.
        assert_eq!(log.dropped, 5);
        assert_eq!(log.events[0].state, Some(State::WaitingGil));
    }

    #[test]
    fn event_codes_name_what_serde_names() {
        let states = [
            State::Running,
            State::HoldingGil,
            State::WaitingGil,
            State::SwitchWait,
            State::WaitingLock,
            State::Parked,
            State::Sleeping,
            State::Done,
        ];
        let marks = [
            Mark::DropRequest,
            Mark::Handoff,
            Mark::StaleWrite,
            Mark::LockHandoff,
            Mark::BusyRetry,
            Mark::LockTaken,
        ];
        let events = states
            .iter()
            .map(|&s| (Some(s), None, serde_json::to_string(&s).unwrap()))
            .chain(marks.iter().map(|&m| (None, Some(m), serde_json::to_string(&m).unwrap())));
        let mut seen = 0;
        for (state, mark, json) in events {
            let event = Event { t_ns: 0, state, mark, switch_number: 0, value: 0 };
            assert_eq!(format!("\"{}\"", EVENT_NAMES[event.code() as usize]), json);
            seen += 1;
        }
        assert_eq!(seen, EVENT_NAMES.len());
    }

    #[test]
    fn a_quiet_thread_logs_its_start_and_end() {
        let clock = Manual(AtomicU64::new(5));
        let mut rec = Recorder::new(&clock, State::Running);
        rec.counts().parks += 3;
        let log = rec.finish(30);
        let states: Vec<_> = log.events.iter().map(|e| (e.t_ns, e.state)).collect();
        assert_eq!(states, [(5, Some(State::Running)), (30, Some(State::Done))]);
        assert_eq!((log.counts.parks, log.state_ns.running), (3, 25));
    }
}
