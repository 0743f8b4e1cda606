//! `gil-playground`: the native CLI over the same core the browser runs.
//!
//! `run` executes a workload on std threads and prints what the page prints (a baseline to
//! compare the browser against); `serve` serves the page with the headers that make it
//! cross-origin isolated, so that it may use shared-memory threads.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    match cli::Cli::parse().command {
        cli::Command::Run(args) => cli::run::main(args),
        cli::Command::Serve(args) => cli::serve::main(args),
        cli::Command::Info(args) => cli::info::main(args),
        cli::Command::Matrix(args) => cli::matrix::main(args),
        cli::Command::Latency(args) => cli::latency::main(args),
        cli::Command::Child(args) => cli::child::main(args),
    }
}
