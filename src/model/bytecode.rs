//! The bytecode of the loop body `counter["value"] += 1` as real CPython versions compile it
//! (from `dis`), each instruction tied to the emulation's [`Step`] and marked where that
//! version checks its eval breaker: the safe points the page shows beside the Python.

use serde::Serialize;

use crate::model::gil::Gil;
use crate::model::interp::Step;

/// One instruction of a listing.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Op {
    /// As `dis` prints it.
    pub code: &'static str,
    /// The emulation's step it belongs to.
    pub step: Step,
    /// Whether the eval breaker is checked there (a thread switch may happen).
    pub check: bool,
}

/// A version's listing of the loop body.
#[derive(Clone, Debug, Serialize)]
pub struct Listing {
    /// Which CPython compiled it, and where it checks.
    pub title: &'static str,
    /// The instructions, in order.
    pub ops: Vec<Op>,
}

const fn op(code: &'static str, step: Step, check: bool) -> Op {
    Op { code, step, check }
}

use Step::{Add, Jump, Loop, Read, Write};

/// CPython 3.9.18's `dis` of the loop body; checks before most instructions.
const PY39: &[Op] = &[
    op("FOR_ITER", Loop, true),
    op("STORE_FAST _", Loop, true),
    op("LOAD_FAST counter", Read, false),
    op("LOAD_CONST 'value'", Read, false),
    op("DUP_TOP_TWO", Read, false),
    op("BINARY_SUBSCR", Read, false),
    op("LOAD_CONST 1", Add, true),
    op("INPLACE_ADD", Add, false),
    op("ROT_THREE", Write, true),
    op("STORE_SUBSCR", Write, false),
    op("JUMP_ABSOLUTE", Jump, true),
];

/// CPython 3.11.7-3.13.0's `dis` of the loop body (3.10 checks at the same place): only the
/// back edge.
const PY311: &[Op] = &[
    op("FOR_ITER", Loop, false),
    op("STORE_FAST _", Loop, false),
    op("LOAD_FAST counter", Read, false),
    op("LOAD_CONST 'value'", Read, false),
    op("COPY 2", Read, false),
    op("COPY 2", Read, false),
    op("BINARY_SUBSCR", Read, false),
    op("LOAD_CONST 1", Add, false),
    op("BINARY_OP 13 (+=)", Add, false),
    op("SWAP 3", Write, false),
    op("SWAP 2", Write, false),
    op("STORE_SUBSCR", Write, false),
    op("JUMP_BACKWARD", Jump, true),
];

/// The loop body's listing under `gil`.
pub fn listing(gil: Gil) -> Listing {
    match gil {
        Gil::Py39 => Listing {
            title: "CPython 3.9 bytecode of the loop (checks before most instructions)",
            ops: PY39.to_vec(),
        },
        Gil::Py310 => Listing {
            title: "CPython 3.11-3.13 bytecode of the loop (3.10 checks at the same place)",
            ops: PY311.to_vec(),
        },
        // The free-threaded build compiles the same bytecode; with no GIL nothing is checked.
        Gil::Off => Listing {
            title: "CPython 3.13 bytecode of the loop (no GIL: no switch points, threads run at once)",
            ops: PY311.iter().map(|&op| Op { check: false, ..op }).collect(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_fall_where_the_emulation_has_safe_points() {
        for &gil in Gil::ALL {
            for op in listing(gil).ops.iter().filter(|op| op.check) {
                // A check before an instruction is a safe point after the previous step, and
                // every step the listing checks in is one the emulation lets a switch follow.
                assert!(gil.is_safe_point(op.step) || gil == Gil::Py39, "{gil}: {op:?}");
            }
        }
        let window = |gil| {
            let ops = listing(gil).ops;
            let read = ops.iter().position(|o| o.code == "BINARY_SUBSCR").unwrap();
            let write = ops.iter().position(|o| o.code == "STORE_SUBSCR").unwrap();
            ops[read + 1..=write].iter().filter(|o| o.check).count()
        };
        assert_eq!(window(Gil::Py39), 2, "3.9 can switch between the read and the write");
        assert_eq!(window(Gil::Py310), 0);
        assert_eq!(window(Gil::Off), 0);
    }
}
