//! The bytecode of the loop body as real CPython versions compile it (from `dis` on this
//! machine: 3.9.18, and 3.12.1 / 3.13.0 for 3.11 and later), for each [`Statement`], with and
//! without `with lock:`. Each instruction is tied to the emulation's [`Step`], says what it
//! does to the shared counter ([`Effect`]), and is marked where that version checks its eval
//! breaker: the safe points the page shows, and the only places the step-through lets another
//! thread take over.
//!
//! Where the checks are. CPython 3.9 checks before every instruction reached through
//! `DISPATCH()`, i.e. after any instruction that is not one of the cheap `FAST_DISPATCH` ones
//! (`LOAD_FAST`, `LOAD_CONST`, `STORE_FAST`, `POP_TOP`, `ROT_*`, `DUP_TOP*`), and never just
//! before `SETUP_WITH`. CPython 3.10 and later (bpo-29988) check on backward jumps and after
//! calls (`CALL` checks once the callee has returned; the callee's own `RESUME` checks too), so
//! `+=` has one safe point, at the back edge, but `add_one()` has a second one between the read
//! and the write. The 3.9 listings mark the instruction before which the check happens; the
//! 3.10+ ones the instruction that does the check.

use serde::Serialize;

use crate::choice::{About, Spec, choices};
use crate::model::gil::Gil;
use crate::model::interp::Step;

/// What the statement says about itself.
#[derive(Debug, Serialize)]
pub struct StatementSpec {
    /// Name, label, explanation.
    #[serde(flatten)]
    pub about: About,
    /// The Python line (replaces `counter["value"] += 1` in a mode's Python).
    pub line: &'static str,
    /// Lines the script needs before it (a function definition).
    pub prelude: &'static str,
}

impl Spec for StatementSpec {
    fn about(&self) -> &About {
        &self.about
    }
}

choices! {
    /// How the increment is written in Python.
    pub enum Statement: "statement" => StatementSpec {
        /// `counter["value"] += 1`.
        Augmented => StatementSpec {
            about: About {
                name: "augmented",
                label: "counter[\"value\"] += 1",
                explain: "An augmented assignment: read, add and write with no call in between. Since 3.10 no thread switch can fall inside it, so the GIL keeps it whole (a side effect of bpo-29988, not a language guarantee).",
            },
            line: "counter[\"value\"] += 1",
            prelude: "",
        },
        /// `counter["value"] = add_one(counter["value"])`.
        Call => StatementSpec {
            about: About {
                name: "call",
                label: "counter[\"value\"] = add_one(counter[\"value\"])",
                explain: "The same update through a function call. CPython checks for a thread switch after every call, so even under the 3.10+ GIL another thread can run between the read and the write: updates are lost (28-41% on CPython 3.10-3.13 here).",
            },
            line: "counter[\"value\"] = add_one(counter[\"value\"])",
            prelude: "def add_one(value):\n    return value + 1\n\n",
        },
    }
}

/// What an instruction does to the shared counter (or the lock), for the step-through.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// Nothing shared.
    None,
    /// Starts an iteration (or ends the loop).
    Next,
    /// Reads the counter onto the stack.
    Read,
    /// Adds one to the value on the stack.
    Add,
    /// Writes the value on the stack back to the counter.
    Write,
    /// Takes the lock (blocks while another thread holds it).
    Acquire,
    /// Releases the lock.
    Release,
}

/// One instruction of a listing.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Op {
    /// As `dis` prints it.
    pub code: &'static str,
    /// The emulation's step it belongs to.
    pub step: Step,
    /// Whether the eval breaker is checked there (a thread switch may happen).
    pub check: bool,
    /// What it does to the counter or the lock.
    pub effect: Effect,
}

/// A version's listing of the loop body.
#[derive(Clone, Debug, Serialize)]
pub struct Listing {
    /// Which CPython compiled it, and where it checks.
    pub title: &'static str,
    /// The instructions, in order.
    pub ops: Vec<Op>,
}

const fn op(code: &'static str, step: Step, check: bool, effect: Effect) -> Op {
    Op { code, step, check, effect }
}

use Effect as E;
use Step::{Add, Jump, LockAcquire, LockRelease, Loop, Read, Write};

const LOOP_39: [Op; 2] =
    [op("FOR_ITER", Loop, false, E::Next), op("STORE_FAST _", Loop, false, E::None)];
const LOOP_311: [Op; 2] =
    [op("FOR_ITER", Loop, false, E::Next), op("STORE_FAST _", Loop, false, E::None)];

// The 3.9 listings' checks are computed by `mark_checks_39` from CPython 3.9's dispatch rule.

/// 3.9, `+=`.
const AUGMENTED_39: [Op; 8] = [
    op("LOAD_FAST counter", Read, false, E::None),
    op("LOAD_CONST 'value'", Read, false, E::None),
    op("DUP_TOP_TWO", Read, false, E::None),
    op("BINARY_SUBSCR", Read, false, E::Read),
    op("LOAD_CONST 1", Add, false, E::None),
    op("INPLACE_ADD", Add, false, E::Add),
    op("ROT_THREE", Write, false, E::None),
    op("STORE_SUBSCR", Write, false, E::Write),
];
const CALL_39: [Op; 8] = [
    op("LOAD_GLOBAL add_one", Read, false, E::None),
    op("LOAD_FAST counter", Read, false, E::None),
    op("LOAD_CONST 'value'", Read, false, E::None),
    op("BINARY_SUBSCR", Read, false, E::Read),
    op("CALL_FUNCTION 1", Add, false, E::Add),
    op("LOAD_FAST counter", Write, false, E::None),
    op("LOAD_CONST 'value'", Write, false, E::None),
    op("STORE_SUBSCR", Write, false, E::Write),
];
const AUGMENTED_311: [Op; 10] = [
    op("LOAD_FAST counter", Read, false, E::None),
    op("LOAD_CONST 'value'", Read, false, E::None),
    op("COPY 2", Read, false, E::None),
    op("COPY 2", Read, false, E::None),
    op("BINARY_SUBSCR", Read, false, E::Read),
    op("LOAD_CONST 1", Add, false, E::None),
    op("BINARY_OP 13 (+=)", Add, false, E::Add),
    op("SWAP 3", Write, false, E::None),
    op("SWAP 2", Write, false, E::None),
    op("STORE_SUBSCR", Write, false, E::Write),
];
const CALL_311: [Op; 8] = [
    op("LOAD_GLOBAL add_one", Read, false, E::None),
    op("LOAD_FAST counter", Read, false, E::None),
    op("LOAD_CONST 'value'", Read, false, E::None),
    op("BINARY_SUBSCR", Read, false, E::Read),
    op("CALL 1", Add, true, E::Add),
    op("LOAD_FAST counter", Write, false, E::None),
    op("LOAD_CONST 'value'", Write, false, E::None),
    op("STORE_SUBSCR", Write, false, E::Write),
];
const ENTER_39: [Op; 3] = [
    op("LOAD_GLOBAL lock", LockAcquire, false, E::None),
    op("SETUP_WITH", LockAcquire, false, E::Acquire),
    op("POP_TOP", LockAcquire, false, E::None),
];
const EXIT_39: [Op; 6] = [
    op("POP_BLOCK", LockRelease, false, E::None),
    op("LOAD_CONST None", LockRelease, false, E::None),
    op("DUP_TOP", LockRelease, false, E::None),
    op("DUP_TOP", LockRelease, false, E::None),
    op("CALL_FUNCTION 3", LockRelease, false, E::Release),
    op("POP_TOP", LockRelease, false, E::None),
];
const ENTER_311: [Op; 3] = [
    op("LOAD_GLOBAL lock", LockAcquire, false, E::None),
    op("BEFORE_WITH", LockAcquire, false, E::Acquire),
    op("POP_TOP", LockAcquire, false, E::None),
];
const EXIT_311: [Op; 5] = [
    op("LOAD_CONST None", LockRelease, false, E::None),
    op("LOAD_CONST None", LockRelease, false, E::None),
    op("LOAD_CONST None", LockRelease, false, E::None),
    op("CALL 2", LockRelease, true, E::Release),
    op("POP_TOP", LockRelease, false, E::None),
];
const JUMP_39: Op = op("JUMP_ABSOLUTE", Jump, false, E::None);
const JUMP_311: Op = op("JUMP_BACKWARD", Jump, true, E::None);

/// CPython 3.9's rule, applied to a listing: a check before every instruction that follows
/// one ending in `DISPATCH()` (anything but the `FAST_DISPATCH` ones), except `SETUP_WITH`.
/// The loop wraps: the first instruction follows the jump back.
fn mark_checks_39(ops: &mut [Op]) {
    const FAST: [&str; 7] =
        ["LOAD_FAST", "LOAD_CONST", "STORE_FAST", "POP_TOP", "ROT_", "DUP_TOP", "NOP"];
    let fast = |code: &str| FAST.iter().any(|prefix| code.starts_with(prefix));
    let checks: Vec<bool> = (0..ops.len())
        .map(|i| {
            let previous = ops[(i + ops.len() - 1) % ops.len()].code;
            !fast(previous) && !ops[i].code.starts_with("SETUP_WITH")
        })
        .collect();
    for (op, check) in ops.iter_mut().zip(checks) {
        op.check = check;
    }
}

/// The loop body's listing under `gil`, for `statement`, with or without `with lock:`.
pub fn listing(gil: Gil, statement: Statement, locked: bool) -> Listing {
    let old = gil == Gil::Py39;
    let body: &[Op] = match (old, statement) {
        (true, Statement::Augmented) => &AUGMENTED_39,
        (true, Statement::Call) => &CALL_39,
        (false, Statement::Augmented) => &AUGMENTED_311,
        (false, Statement::Call) => &CALL_311,
    };
    let (head, enter, exit, jump) = if old {
        (&LOOP_39, &ENTER_39[..], &EXIT_39[..], JUMP_39)
    } else {
        (&LOOP_311, &ENTER_311[..], &EXIT_311[..], JUMP_311)
    };
    let mut ops: Vec<Op> = head.to_vec();
    if locked {
        ops.extend_from_slice(enter);
    }
    ops.extend_from_slice(body);
    if locked {
        ops.extend_from_slice(exit);
    }
    ops.push(jump);
    if old {
        mark_checks_39(&mut ops);
    }
    let title = match gil {
        Gil::Py39 => "CPython 3.9 bytecode of the loop (checks before most instructions)",
        Gil::Py310 => "CPython 3.11-3.13 bytecode of the loop (3.10 checks at the same places)",
        // The free-threaded build compiles the same bytecode; with no GIL nothing is checked.
        Gil::Off => {
            for op in &mut ops {
                op.check = false;
            }
            "CPython 3.13 bytecode of the loop (no GIL: no switch points, threads run at once)"
        }
    };
    Listing { title, ops }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks between the read (BINARY_SUBSCR) and the write (STORE_SUBSCR).
    fn window(gil: Gil, statement: Statement, locked: bool) -> usize {
        let ops = listing(gil, statement, locked).ops;
        let read = ops.iter().position(|o| o.effect == Effect::Read).unwrap();
        let write = ops.iter().position(|o| o.effect == Effect::Write).unwrap();
        ops[read + 1..=write].iter().filter(|o| o.check).count()
    }

    #[test]
    fn checks_fall_where_each_version_switches() {
        for locked in [false, true] {
            assert_eq!(window(Gil::Py39, Statement::Augmented, locked), 2, "3.9 splits +=");
            assert_eq!(window(Gil::Py310, Statement::Augmented, locked), 0, "3.10+ keeps += whole");
            assert_eq!(window(Gil::Py310, Statement::Call, locked), 1, "a call lets 3.10+ switch");
            assert_eq!(window(Gil::Py39, Statement::Call, locked), 2);
            assert_eq!(window(Gil::Off, Statement::Call, locked), 0, "no GIL: nothing to check");
        }
    }

    #[test]
    fn every_listing_reads_adds_and_writes_once_in_its_steps() {
        for &gil in Gil::ALL {
            for &statement in Statement::ALL {
                for locked in [false, true] {
                    let ops = listing(gil, statement, locked).ops;
                    for effect in [Effect::Next, Effect::Read, Effect::Add, Effect::Write] {
                        assert_eq!(ops.iter().filter(|o| o.effect == effect).count(), 1);
                    }
                    let locks = ops.iter().filter(|o| o.effect == Effect::Acquire).count();
                    assert_eq!(locks, usize::from(locked));
                    // Steps appear in the emulation's order.
                    let steps: Vec<Step> = ops.iter().map(|o| o.step).collect();
                    assert!(steps.windows(2).all(|w| w[0] as u8 <= w[1] as u8), "{steps:?}");
                    // Every checked step is one the emulation lets a switch follow.
                    for op in ops.iter().filter(|op| op.check && gil == Gil::Py310) {
                        assert!(gil.is_safe_point(op.step, statement), "{gil} {statement}: {op:?}");
                    }
                }
            }
        }
    }
}
