//! `gil-playground info`: the engine's tables as JSON (every setting with its choices and
//! limits, every mode, the bytecode listings), the same the page gets from the wasm module.
//! The browser tests and the bench read their lists from here.

use std::process::ExitCode;

use clap::Args;
use gil_playground::info::tables;
use gil_playground::run::team::MAX_NATIVE_THREADS;

#[derive(Args)]
pub struct InfoArgs {
    /// The most threads to list as the limit (the browser's limit is its pool size).
    #[arg(long, default_value_t = MAX_NATIVE_THREADS)]
    max_threads: usize,
}

pub fn main(args: InfoArgs) -> ExitCode {
    println!(
        "{}",
        serde_json::to_string_pretty(&tables(args.max_threads)).expect("tables serialize")
    );
    ExitCode::SUCCESS
}
