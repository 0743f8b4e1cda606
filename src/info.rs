//! What the engine tells its users about itself: every setting with its choices and limits,
//! each mode's table entry, the bytecode listings and how to decode event logs. The page gets
//! it from the wasm boundary (`engine_info`), the tests and the bench from the CLI
//! (`gil-playground info`): the same tables, so nothing outside Rust keeps a list of its own.

use serde::Serialize;

use crate::measure::timeline::{EVENT_NAMES, EVENTS_PER_THREAD};
use crate::model::bytecode::{Listing, Statement, StatementSpec, listing};
use crate::model::execution::{Model, ModelSpec};
use crate::model::gil::{Gil, serve_weights};
use crate::model::interp::Step;
use crate::model::mode::{Mode, ModeSpec};
use crate::run::matrix::{COLUMNS, Script, ScriptSpec};
use crate::settings::{Field, schema};

/// The engine's tables.
#[derive(Serialize)]
pub struct Tables {
    /// Every setting, for a machine with `max_threads` threads.
    pub settings: Vec<Field>,
    /// Every mode's table entry, and where each GIL version serves a drop request.
    pub modes: Vec<ModeInfo>,
    /// Every execution model's table entry (its Python, what it shares, published figures).
    pub models: Vec<&'static ModelSpec>,
    /// The loop body's bytecode under each GIL version, statement, and with or without a lock.
    pub bytecode: Vec<BytecodeEntry>,
    /// Each statement's Python line and what it needs before it.
    pub statements: Vec<&'static StatementSpec>,
    /// The seed's scripts, and the GIL columns its matrix runs them in.
    pub matrix: Matrix,
    /// Events each thread's log keeps.
    pub events_per_thread: usize,
    /// Event names by code (logs travel as codes).
    pub event_names: [&'static str; 14],
}

/// A mode's table entry and, per GIL version, where a drop request is served.
#[derive(Serialize)]
pub struct ModeInfo {
    /// The table entry.
    #[serde(flatten)]
    pub spec: &'static ModeSpec,
    /// Per GIL version and statement: the safe points and their chances (as weights).
    pub weights: Vec<WeightsEntry>,
}

/// Where a drop request is served, for one GIL version and statement.
#[derive(Serialize)]
pub struct WeightsEntry {
    /// The GIL version.
    pub gil: Gil,
    /// The statement.
    pub statement: Statement,
    /// Each safe point with its weight.
    pub weights: Vec<(Step, u32)>,
}

/// A listing, and what it is the listing of.
#[derive(Serialize)]
pub struct BytecodeEntry {
    /// The GIL version (its safe points).
    pub gil: Gil,
    /// The statement.
    pub statement: Statement,
    /// Whether inside `with lock:`.
    pub locked: bool,
    /// The listing.
    #[serde(flatten)]
    pub listing: Listing,
}

/// The seed's benchmark: its scripts, and the GIL of each column.
#[derive(Serialize)]
pub struct Matrix {
    /// The scripts in order (name, file name, the mode that runs it, whether on one thread).
    pub scripts: Vec<&'static ScriptSpec>,
    /// The columns.
    pub columns: [Gil; 3],
}

/// The tables for an engine that can start `max_threads` threads.
pub fn tables(max_threads: usize) -> Tables {
    Tables {
        settings: schema(max_threads),
        modes: Mode::ALL
            .iter()
            .map(|&mode| ModeInfo {
                spec: mode.spec(),
                weights: Gil::ALL
                    .iter()
                    .flat_map(|&gil| {
                        Statement::ALL.iter().map(move |&statement| WeightsEntry {
                            gil,
                            statement,
                            weights: serve_weights(mode, gil, statement),
                        })
                    })
                    .collect(),
            })
            .collect(),
        models: Model::ALL.iter().map(|m| m.spec()).collect(),
        bytecode: Gil::ALL
            .iter()
            .flat_map(|&gil| {
                Statement::ALL.iter().flat_map(move |&statement| {
                    [false, true].map(|locked| BytecodeEntry {
                        gil,
                        statement,
                        locked,
                        listing: listing(gil, statement, locked),
                    })
                })
            })
            .collect(),
        statements: Statement::ALL.iter().map(|s| s.spec()).collect(),
        matrix: Matrix {
            scripts: Script::ALL.iter().map(|s| s.spec()).collect(),
            columns: COLUMNS,
        },
        events_per_thread: EVENTS_PER_THREAD,
        event_names: EVENT_NAMES,
    }
}
