//! `gil-playground run`: one or more native runs, printed as text or JSON lines.

use std::process::ExitCode;

use clap::Args;
use gil_playground::clock::InstantClock;
use gil_playground::config::RunConfig;
use gil_playground::report::RunReport;
use gil_playground::run::run;
use gil_playground::team::ScopedThreads;
use gil_playground::workload::{MemoryOrder, Mode};

#[derive(Args)]
pub struct RunArgs {
    /// The workload.
    #[arg(long, value_enum, default_value_t = Mode::Racy)]
    mode: Mode,
    /// Threads that run it at once.
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Increments in all, split across the threads (at most 2,000,000,000).
    #[arg(long, default_value_t = 20_000_000)]
    total: u64,
    /// Memory orderings: `seqcst` executes what the browser executes (wasm atomics are all
    /// sequentially consistent); `relaxed` is a native-only extra, not comparable with the page.
    #[arg(long, value_enum, default_value_t = MemoryOrder::SeqCst)]
    order: MemoryOrder,
    /// Runs to make in a row.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    repeat: u32,
    /// Print one JSON object per run instead of text.
    #[arg(long)]
    json: bool,
}

pub fn main(args: RunArgs) -> ExitCode {
    let config = RunConfig {
        order: args.order,
        ..RunConfig::new(args.mode, args.threads, args.total)
    };
    let clock = InstantClock::new();
    for _ in 0..args.repeat {
        match run(config.clone(), &ScopedThreads, &clock) {
            Ok(report) if args.json => {
                println!(
                    "{}",
                    serde_json::to_string(&report).expect("reports serialize")
                );
            }
            Ok(report) => print!("{}", text(&report)),
            Err(err) => {
                eprintln!("error: {err}");
                return ExitCode::from(2);
            }
        }
    }
    ExitCode::SUCCESS
}

/// The report as the page shows it, for a terminal.
fn text(r: &RunReport) -> String {
    let order = match r.order {
        MemoryOrder::SeqCst => "seqcst, the browser's orderings",
        MemoryOrder::Relaxed => "relaxed, native only",
    };
    let per_thread: Vec<String> = r.per_thread_ms.iter().map(|t| format!("{t:.1}")).collect();
    format!(
        "mode {} | {} threads | {} increments | {order}\n\
         wall        {:>12.1} ms   ({:.1} M increments/s)\n\
         per thread  {} ms\n\
         expected    {:>12}\n\
         final       {:>12}\n\
         lost        {:>12}   ({:.2}%)\n\n",
        r.mode,
        r.threads,
        group(r.total),
        r.wall_ms,
        r.million_per_second,
        per_thread.join(", "),
        group(r.expected),
        group(r.final_count),
        group(r.lost),
        r.loss_percent,
    )
}

/// 20000000 -> "20,000,000".
fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn groups_thousands() {
        assert_eq!(super::group(0), "0");
        assert_eq!(super::group(999), "999");
        assert_eq!(super::group(1000), "1,000");
        assert_eq!(super::group(20_000_000), "20,000,000");
    }
}
