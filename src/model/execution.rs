//! The execution models of the per-interpreter GIL workshop: threads, subinterpreters and
//! processes, each described once in the [`Model`] table with what it stands for in Python,
//! what its workers share, and the published start-up figures that may stand beside what a
//! run measures (never mixed with it).
//!
//! What each model is made of here, and why:
//! - `threads`: the workload's threads in one memory, one emulated GIL for all (when it is on).
//! - `subinterpreters`: one thread per interpreter in the same memory, each interpreter with
//!   its own counters, objects and GIL (PEP 684), and nothing shared but two channels: a main
//!   interpreter sends each its job and collects the results, every message a copy.
//! - `processes`: each worker in a memory of its own: natively a child process of the CLI,
//!   in the browser a fresh web worker with a wasm instance of its own (of the engine's build,
//!   so that it counts with the same instructions as a thread); jobs and results travel as
//!   copies (pipes, `postMessage`).

use serde::Serialize;

use crate::choice::{About, Spec, choices};

/// What the table says about an execution model.
#[derive(Debug, Serialize)]
pub struct ModelSpec {
    /// Name, label and explanation.
    #[serde(flatten)]
    pub about: About,
    /// The Python module it stands for.
    pub python_module: &'static str,
    /// How the Python starts its workers and collects their results (`work` is the mode's loop).
    pub python: &'static str,
    /// Whether workers can update objects they share (a shared counter needs it).
    pub shares_objects: bool,
    /// Whether each worker has a GIL of its own (with the GIL on).
    pub own_gil: bool,
    /// Whether each worker has a memory of its own.
    pub own_memory: bool,
    /// Published figures for starting one worker, with their sources: shown beside what a run
    /// measures, never mixed with it.
    pub references: &'static [Reference],
}

impl Spec for ModelSpec {
    fn about(&self) -> &About {
        &self.about
    }
}

/// A start-up cost someone else measured.
#[derive(Debug, Serialize)]
pub struct Reference {
    /// What was measured.
    pub what: &'static str,
    /// How long it took, in milliseconds.
    pub ms: f64,
    /// Where the figure comes from.
    pub source: &'static str,
}

/// CPython's own start-up costs, measured with the project's CPython start-up benchmark on the
/// 2-vCPU VM the README's tables come from (median of 3 children, each the median of its
/// repetitions).
const MEASURED_HERE: &str =
    "CPython 3.9-3.13 measured on the project's 2-vCPU VM (start-up benchmark)";
const PEP_703: &str = "PEP 703, Alternatives: \"Starting a thread takes ~100 µs, while spawning a subprocess takes ~50 ms\"";

choices! {
    /// How a run's workers are made, and what they share.
    pub enum Model: "model" => ModelSpec {
        /// Threads of one interpreter: every object shared, one GIL.
        Threads => ModelSpec {
            about: About {
                name: "threads",
                label: "Threads (threading)",
                explain: "The workers are threads of one interpreter: they share every object, read the engine's memory directly and, with the GIL on, take turns holding its one GIL.",
            },
            python_module: "threading",
            python: "# threading: one interpreter, every object shared, one GIL
threads = [threading.Thread(target=work, args=(share,)) for share in shares]
for t in threads: t.start()
for t in threads: t.join()",
            shares_objects: true,
            own_gil: false,
            own_memory: false,
            references: &[
                Reference { what: "start a thread", ms: 0.1, source: PEP_703 },
                Reference { what: "create, start and join a thread", ms: 0.08, source: MEASURED_HERE },
            ],
        },
        /// Interpreters in one process, each with its own GIL (PEP 684, PEP 734).
        Subinterpreters => ModelSpec {
            about: About {
                name: "subinterpreters",
                label: "Subinterpreters (concurrent.interpreters)",
                explain: "Each worker is an interpreter of its own in one process (PEP 684 and 734: concurrent.interpreters in Python 3.14, _interpreters in 3.13), on a thread of its own with a GIL of its own, so they run in parallel even with the GIL on. They share no objects: a main interpreter sends each its job through a channel, a queue in the shared memory that copies what it carries (a slice of the numbers too), and collects the results the same way. A shared counter is refused, as CPython refuses to share a dict.",
            },
            python_module: "concurrent.interpreters (3.14; _interpreters in 3.13)",
            python: "# concurrent.interpreters (Python 3.14): one GIL per interpreter, nothing shared
from concurrent import interpreters

jobs = [interpreters.create_queue() for _ in range(N)]
results = interpreters.create_queue()
threads = [interpreters.create().call_in_thread(work, q, results) for q in jobs]
for q, share in zip(jobs, shares): q.put(share)   # a copy, through the queue
total = sum(results.get() for _ in threads)       # each result a copy too",
            shares_objects: false,
            own_gil: true,
            own_memory: false,
            references: &[
                Reference { what: "create, run and destroy an interpreter (3.12, 3.13)", ms: 8.0, source: MEASURED_HERE },
            ],
        },
        /// Processes, each with its own memory and GIL (multiprocessing).
        Processes => ModelSpec {
            about: About {
                name: "processes",
                label: "Processes (multiprocessing)",
                explain: "Each worker is a process of its own (multiprocessing), with its own memory and its own GIL: nothing is shared, nothing can race. Its job goes to it and its result comes back as a copy. Natively the CLI starts itself as child processes and talks through pipes; in the browser each process is a web worker started fresh for this run, with a wasm instance and a memory of its own, answering by postMessage. A shared counter is refused: processes share no memory.",
            },
            python_module: "multiprocessing",
            python: "# multiprocessing: a fresh interpreter per process, nothing shared
import multiprocessing as mp

ctx = mp.get_context(\"spawn\")
results = ctx.Queue()
procs = [ctx.Process(target=work, args=(share, results)) for share in shares]
for p in procs: p.start()                        # each share pickled to the child
total = sum(results.get() for _ in procs)       # each result pickled back through a pipe
for p in procs: p.join()",
            shares_objects: false,
            own_gil: true,
            own_memory: true,
            references: &[
                Reference { what: "spawn a process", ms: 50.0, source: PEP_703 },
                Reference { what: "start and join a process, fork", ms: 1.5, source: MEASURED_HERE },
                Reference { what: "start and join a process, spawn", ms: 40.0, source: MEASURED_HERE },
                Reference { what: "send 1 MB through a pipe and back", ms: 0.7, source: MEASURED_HERE },
            ],
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_complete_and_its_names_round_trip() {
        for &model in Model::ALL {
            let spec = model.spec();
            assert_eq!(model.name().parse::<Model>().unwrap(), model);
            assert!(spec.python.starts_with('#') && !spec.python_module.is_empty(), "{model}");
            assert!(!spec.references.is_empty(), "{model}");
            assert_eq!(spec.shares_objects, !spec.own_gil, "{model}: only threads share a GIL");
        }
        assert_eq!("forks".parse::<Model>().unwrap_err().code(), "unknown-model");
    }
}
