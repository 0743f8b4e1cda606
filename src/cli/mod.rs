//! The native binary's commands and their arguments (parsed by clap).

pub mod child;
pub mod info;
pub mod latency;
pub mod matrix;
pub mod processes;
pub mod run;
pub mod serve;

use clap::{Parser, Subcommand};

/// See what Python's GIL does to threads: counter workloads on real threads.
#[derive(Parser)]
#[command(version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run a workload natively and print what it measured.
    Run(run::RunArgs),
    /// Serve the playground page with cross-origin isolation headers.
    Serve(serve::ServeArgs),
    /// Print the engine's tables (settings, modes, bytecode) as JSON.
    Info(info::InfoArgs),
    /// The seed's four scripts with the GIL (3.10+, 3.9) and without, for one object model.
    Matrix(matrix::MatrixArgs),
    /// How late a sleeping thread wakes up beside CPU-bound threads, with and without the GIL.
    Latency(latency::LatencyArgs),
    /// One worker process of `run --model processes` (started by it, not by hand).
    #[command(hide = true)]
    Child(child::ChildArgs),
}
