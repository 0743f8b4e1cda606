//! The race by hand: two or three threads walk the real bytecode of the chosen statement one
//! instruction at a time, and the user picks which thread runs next. Only the switches the
//! chosen interpreter allows are offered: without a GIL any thread may run; with one, the
//! thread holding it keeps it until it reaches a safe point (the listing's checks), blocks on
//! the lock, or finishes. A lost update is pointed out when it happens, with the two writes.
//!
//! The instructions are the engine's own listings (`bytecode.rs`), each executed by its
//! [`Effect`] on the shared counter and its effect on a small value stack, so the page shows
//! what CPython's stack would hold. A state is a replay of a list of choices from the start:
//! a link that carries the choices replays the same interleaving.

use serde::Serialize;

use crate::model::bytecode::{Effect, Op, Statement, listing};
use crate::model::gil::Gil;

/// The most threads the step-through offers (and the fewest).
pub const MAX_THREADS: usize = 3;
const MIN_THREADS: usize = 2;
/// Iterations of the loop each thread runs.
pub const ITERATIONS: u32 = 2;
/// The most choices a replay follows.
pub const MAX_CHOICES: usize = 400;

/// What one thread is doing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Not started yet.
    Ready,
    /// Ran last (holds the GIL, if there is one).
    Running,
    /// Switched out, waiting to run again (for the GIL, if there is one).
    Waiting,
    /// Waiting for the lock another thread holds (the GIL released).
    Blocked,
    /// Done with its iterations.
    Done,
}

/// One thread of the step-through.
#[derive(Clone, Debug, Serialize)]
pub struct ThreadState {
    /// The instruction it runs next (an index into the listing).
    pub ip: usize,
    /// Its value stack, bottom first, as CPython would show it.
    pub stack: Vec<String>,
    /// Iterations started.
    pub iteration: u32,
    /// The counter's value it read in this iteration, if it has read it.
    pub read: Option<i64>,
    /// What it is doing.
    pub status: Status,
    /// Why it may not run next (empty if it may).
    pub not_now: String,
}

/// Something worth pointing out, in the order it happened.
#[derive(Clone, Debug, Serialize)]
pub struct Event {
    /// The step number (how many instructions ran before it).
    pub at: usize,
    /// The thread.
    pub thread: usize,
    /// What happened, in words.
    pub text: String,
    /// Whether it lost updates.
    pub lost: bool,
}

/// The whole state after a list of choices.
#[derive(Clone, Debug, Serialize)]
pub struct StepState {
    /// The listing every thread runs.
    pub ops: Vec<Op>,
    /// Its title.
    pub title: &'static str,
    /// The threads.
    pub threads: Vec<ThreadState>,
    /// The shared counter.
    pub counter: i64,
    /// What the counter would be if nothing were lost so far (writes done).
    pub writes: i64,
    /// Which thread holds the lock, if the statement runs under one.
    pub lock_owner: Option<usize>,
    /// The choices followed (those that were allowed).
    pub choices: Vec<usize>,
    /// The events so far.
    pub events: Vec<Event>,
    /// Whether every thread is done.
    pub finished: bool,
    /// Why the first refused choice was refused (the replay stops there).
    pub refused: Option<String>,
}

/// A step-through of `threads` threads (2 or 3) running `statement` under `gil`, inside
/// `with lock:` if `locked`; replays `choices` (thread indices) from the start.
pub fn replay(
    gil: Gil,
    statement: Statement,
    locked: bool,
    threads: usize,
    choices: &[usize],
) -> StepState {
    let listing = listing(gil, statement, locked);
    let n = threads.clamp(MIN_THREADS, MAX_THREADS);
    let mut state = StepState {
        ops: listing.ops,
        title: listing.title,
        threads: (0..n)
            .map(|_| ThreadState {
                ip: 0,
                stack: Vec::new(),
                iteration: 0,
                read: None,
                status: Status::Ready,
                not_now: String::new(),
            })
            .collect(),
        counter: 0,
        writes: 0,
        lock_owner: None,
        choices: Vec::new(),
        events: Vec::new(),
        finished: false,
        refused: None,
    };
    let mut last: Option<usize> = None;
    for &choice in choices.iter().take(MAX_CHOICES) {
        mark_allowed(&mut state, gil, last);
        let why = match state.threads.get(choice) {
            None => Some(format!("There is no thread {}.", choice + 1)),
            Some(t) if !t.not_now.is_empty() => Some(t.not_now.clone()),
            Some(_) => None,
        };
        if let Some(why) = why {
            state.refused = Some(why);
            break;
        }
        if last.is_some_and(|l| l != choice) && gil.is_on() {
            state.events.push(Event {
                at: state.choices.len(),
                thread: choice,
                text: format!("The GIL passes to thread {}.", choice + 1),
                lost: false,
            });
        }
        execute(&mut state, choice);
        state.choices.push(choice);
        last = Some(choice);
    }
    mark_allowed(&mut state, gil, last);
    state.finished = state.threads.iter().all(|t| t.status == Status::Done);
    state
}

/// Says, for every thread, whether it may run the next instruction and why not.
fn mark_allowed(state: &mut StepState, gil: Gil, last: Option<usize>) {
    // With a GIL, the thread that ran last holds it unless it finished or blocked; another
    // thread may take over only where the holder's interpreter checks for a switch.
    let holder = last.filter(|&l| {
        gil.is_on() && !matches!(state.threads[l].status, Status::Done | Status::Blocked)
    });
    let at_safe_point = holder.is_none_or(|h| {
        let thread = &state.threads[h];
        match gil {
            // 3.9 checks before the instruction it is about to run.
            Gil::Py39 => state.ops[thread.ip].check,
            // 3.10+ checks in the instruction it has just run (a back edge, a call's return).
            _ => {
                thread.ip == 0 && thread.iteration > 0 && state.ops.last().is_some_and(|o| o.check)
                    || thread.ip > 0 && state.ops[thread.ip - 1].check
            }
        }
    });
    let lock_owner = state.lock_owner;
    for (i, thread) in state.threads.iter_mut().enumerate() {
        thread.not_now = match thread.status {
            Status::Done => format!("Thread {} has finished.", i + 1),
            Status::Blocked if lock_owner.is_some() => format!(
                "Thread {} waits for the lock, which thread {} holds.",
                i + 1,
                lock_owner.map_or(0, |o| o + 1)
            ),
            _ if Some(i) != holder && !at_safe_point => format!(
                "Thread {} holds the GIL and is not at a safe point: {} cannot switch threads here.",
                holder.map_or(0, |h| h + 1),
                if gil == Gil::Py39 { "CPython 3.9" } else { "CPython 3.10+" }
            ),
            _ => String::new(),
        };
    }
}

/// Runs thread `t`'s next instruction.
fn execute(state: &mut StepState, t: usize) {
    let op = state.ops[state.threads[t].ip];
    let at = state.choices.len();
    for (i, other) in state.threads.iter_mut().enumerate() {
        if i != t && other.status == Status::Running {
            other.status = Status::Waiting;
        }
    }
    state.threads[t].status = Status::Running;
    match op.effect {
        Effect::Next => {
            let thread = &mut state.threads[t];
            if thread.iteration == ITERATIONS {
                thread.status = Status::Done;
                thread.stack.clear();
                state.events.push(Event {
                    at,
                    thread: t,
                    text: format!("Thread {} has finished its loop.", t + 1),
                    lost: false,
                });
                return;
            }
            thread.iteration += 1;
            thread.read = None;
            thread.stack.push(format!("{}", thread.iteration - 1));
        }
        Effect::Acquire => {
            if state.lock_owner.is_some_and(|o| o != t) {
                // The acquire does not complete: the thread blocks (releasing the GIL) and will
                // retry this instruction when it runs again.
                state.threads[t].status = Status::Blocked;
                state.events.push(Event {
                    at,
                    thread: t,
                    text: format!(
                        "Thread {} finds the lock held by thread {} and waits for it.",
                        t + 1,
                        state.lock_owner.map_or(0, |o| o + 1)
                    ),
                    lost: false,
                });
                return;
            }
            state.lock_owner = Some(t);
            stack_effect(&mut state.threads[t].stack, op.code, None);
        }
        Effect::Release => {
            state.lock_owner = None;
            for thread in &mut state.threads {
                if thread.status == Status::Blocked {
                    thread.status = Status::Waiting;
                }
            }
            stack_effect(&mut state.threads[t].stack, op.code, None);
        }
        Effect::Read => {
            let value = state.counter;
            state.threads[t].read = Some(value);
            stack_effect(&mut state.threads[t].stack, op.code, Some(value));
            state.events.push(Event {
                at,
                thread: t,
                text: format!("Thread {} reads the counter: {value}.", t + 1),
                lost: false,
            });
        }
        Effect::Add => {
            let thread = &mut state.threads[t];
            let top = thread.read.unwrap_or(0) + 1;
            stack_effect(&mut thread.stack, op.code, Some(top));
        }
        Effect::Write => {
            let thread = &mut state.threads[t];
            let read = thread.read.unwrap_or(0);
            let value = read + 1;
            stack_effect(&mut thread.stack, op.code, None);
            let replaced = state.counter;
            state.counter = value;
            state.writes += 1;
            let lost = replaced - read;
            let text = if lost > 0 {
                format!(
                    "Thread {} writes {value} over {replaced}: it read {read} before another thread wrote, so {lost} update{} {} lost.",
                    t + 1,
                    if lost == 1 { "" } else { "s" },
                    if lost == 1 { "is" } else { "are" }
                )
            } else {
                format!("Thread {} writes {value}.", t + 1)
            };
            state.events.push(Event { at, thread: t, text, lost: lost > 0 });
        }
        Effect::None => stack_effect(&mut state.threads[t].stack, op.code, None),
    }
    let thread = &mut state.threads[t];
    thread.ip = (thread.ip + 1) % state.ops.len();
}

/// What an instruction does to the value stack (the counter's value, where it matters, is
/// `value`), by its name as `dis` prints it.
fn stack_effect(stack: &mut Vec<String>, code: &str, value: Option<i64>) {
    let name = code.split_whitespace().next().unwrap_or(code);
    let argument = code.split_once(' ').map_or("", |(_, rest)| rest);
    let pop = |stack: &mut Vec<String>, n: usize| stack.truncate(stack.len().saturating_sub(n));
    match name {
        "LOAD_FAST" | "LOAD_GLOBAL" | "LOAD_CONST" => stack.push(argument.to_owned()),
        "STORE_FAST" | "POP_TOP" => pop(stack, 1),
        "DUP_TOP" => {
            let top = stack.last().cloned().unwrap_or_default();
            stack.push(top);
        }
        "DUP_TOP_TWO" => {
            let two: Vec<String> = stack.iter().rev().take(2).rev().cloned().collect();
            stack.extend(two);
        }
        "COPY" => {
            let depth: usize = argument.parse().unwrap_or(1);
            let item = stack.len().checked_sub(depth).map(|i| stack[i].clone()).unwrap_or_default();
            stack.push(item);
        }
        "SWAP" => {
            let depth: usize = argument.parse().unwrap_or(2);
            let len = stack.len();
            if len >= depth {
                stack.swap(len - 1, len - depth);
            }
        }
        "ROT_THREE" => {
            let len = stack.len();
            if len >= 3 {
                let top = stack.remove(len - 1);
                stack.insert(len - 3, top);
            }
        }
        "BINARY_SUBSCR" => {
            pop(stack, 2);
            stack.push(value.map_or_else(String::new, |v| v.to_string()));
        }
        "INPLACE_ADD" | "BINARY_OP" => {
            pop(stack, 2);
            stack.push(value.map_or_else(String::new, |v| v.to_string()));
        }
        "CALL" | "CALL_FUNCTION" if argument == "1" => {
            pop(stack, 2);
            stack.push(value.map_or_else(String::new, |v| v.to_string()));
        }
        "CALL" | "CALL_FUNCTION" => {
            // `__exit__(None, None, None)`: the exit method and its arguments go, None comes.
            let args: usize = argument.parse().unwrap_or(0);
            pop(stack, args + 1);
            stack.push("None".to_owned());
        }
        "STORE_SUBSCR" => pop(stack, 3),
        "SETUP_WITH" | "BEFORE_WITH" => {
            pop(stack, 1);
            stack.push("lock.__exit__".to_owned());
            stack.push("True".to_owned());
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs thread `t` until the counter has been read.
    fn until_read(choices: &mut Vec<usize>, gil: Gil, statement: Statement, t: usize) {
        until(choices, gil, statement, t, |s| s.threads[t].read.is_some());
    }

    /// Runs thread `t` until `done` says so.
    fn until(
        choices: &mut Vec<usize>,
        gil: Gil,
        statement: Statement,
        t: usize,
        done: impl Fn(&StepState) -> bool,
    ) {
        for _ in 0..40 {
            choices.push(t);
            let state = replay(gil, statement, false, 2, choices);
            assert_eq!(state.refused, None);
            if done(&state) {
                return;
            }
        }
        panic!("thread {t} never got there");
    }

    fn run_out(mut choices: Vec<usize>, gil: Gil, statement: Statement, locked: bool) -> StepState {
        for _ in 0..MAX_CHOICES {
            let state = replay(gil, statement, locked, 2, &choices);
            assert_eq!(state.refused, None);
            if state.finished {
                return state;
            }
            let next =
                (0..2).find(|&t| state.threads[t].not_now.is_empty()).expect("someone may run");
            choices.push(next);
        }
        panic!("did not finish")
    }

    #[test]
    fn without_the_gil_both_threads_read_then_both_write_and_one_update_is_lost() {
        let mut choices = Vec::new();
        until_read(&mut choices, Gil::Off, Statement::Augmented, 0);
        until_read(&mut choices, Gil::Off, Statement::Augmented, 1);
        until(&mut choices, Gil::Off, Statement::Augmented, 0, |s| s.writes == 1);
        until(&mut choices, Gil::Off, Statement::Augmented, 1, |s| s.writes == 2);
        let state = run_out(choices, Gil::Off, Statement::Augmented, false);
        assert_eq!(state.writes, 4);
        assert_eq!(state.counter, 3, "one of four updates lost");
        let lost: Vec<&Event> = state.events.iter().filter(|e| e.lost).collect();
        assert_eq!(lost.len(), 1);
        assert!(lost[0].text.contains("writes 1 over 1: it read 0"), "{}", lost[0].text);
        assert_eq!(state.threads[0].stack, Vec::<String>::new());
    }

    #[test]
    fn the_310_gil_refuses_a_switch_inside_augmented_assignment_but_not_after_a_call() {
        let mut choices = Vec::new();
        until_read(&mut choices, Gil::Py310, Statement::Augmented, 0);
        let state = replay(Gil::Py310, Statement::Augmented, false, 2, &choices);
        assert!(state.threads[1].not_now.contains("not at a safe point"), "{:?}", state.threads[1]);
        choices.push(1);
        assert!(replay(Gil::Py310, Statement::Augmented, false, 2, &choices).refused.is_some());
        // After the call returns (before the write) 3.10+ checks: thread 2 may run.
        let mut choices = Vec::new();
        until_read(&mut choices, Gil::Py310, Statement::Call, 0);
        choices.push(0); // CALL add_one
        let state = replay(Gil::Py310, Statement::Call, false, 2, &choices);
        assert!(state.threads[1].not_now.is_empty(), "{:?}", state.threads[1]);
        until_read(&mut choices, Gil::Py310, Statement::Call, 1);
        let state = run_out(choices, Gil::Py310, Statement::Call, false);
        assert!(state.events.iter().any(|e| e.lost), "a lost update under the 3.10+ GIL");
    }

    #[test]
    fn with_the_lock_the_other_thread_blocks_and_nothing_is_lost() {
        // Thread 1 takes the lock and reads; without a GIL thread 2 runs until it blocks.
        let mut choices = vec![0; 6];
        choices.extend([1; 4]);
        let state = replay(Gil::Off, Statement::Augmented, true, 2, &choices);
        assert_eq!(state.lock_owner, Some(0));
        assert_eq!(state.threads[1].status, Status::Blocked);
        assert!(state.threads[1].not_now.contains("waits for the lock"));
        let state = run_out(choices, Gil::Off, Statement::Augmented, true);
        assert_eq!((state.counter, state.writes), (4, 4));
        assert!(!state.events.iter().any(|e| e.lost));
    }

    #[test]
    fn a_replay_stops_at_a_refused_choice_and_keeps_what_came_before() {
        let state = replay(Gil::Py39, Statement::Augmented, false, 2, &[0, 0, 0, 7, 0]);
        assert_eq!(state.choices, [0, 0, 0]);
        assert_eq!(state.refused.as_deref(), Some("There is no thread 8."));
    }
}
