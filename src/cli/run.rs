//! `gil-playground run`: one or more native runs, printed as text or JSON lines.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use gil_playground::clock::InstantClock;
use gil_playground::config::RunConfig;
use gil_playground::gil::{DEFAULT_SWITCH_INTERVAL_MS, GilSettings, SafePoints};
use gil_playground::report::RunReport;
use gil_playground::run::run;
use gil_playground::team::ScopedThreads;
use gil_playground::workload::{Layout, MemoryOrder, Mode};

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
    /// Where `private` mode's counters live: `padded` (a cache line each) or `packed` (side
    /// by side, so cores fight over shared lines: false sharing).
    #[arg(long, value_enum, default_value_t = Layout::Padded)]
    layout: Layout,
    /// Runs to make in a row.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    repeat: u32,
    /// Run under the emulated GIL (`on`) or with free threads (`off`, the free-threaded world).
    #[arg(long, value_enum, default_value_t = Switch::Off)]
    gil: Switch,
    /// The GIL's switch interval in milliseconds (0.1 to 100), like `sys.setswitchinterval`.
    #[arg(long, default_value_t = DEFAULT_SWITCH_INTERVAL_MS)]
    switch_interval_ms: f64,
    /// Whose safe points the GIL models: `3.10` (and later: one `+=` is never split) or `3.9`
    /// (and earlier: a switch can fall between the read and the write).
    #[arg(long, default_value = "3.10", value_parser = ["3.9", "3.10"])]
    safe_points: String,
    /// Write every run's per-thread event log (what the page's timeline draws) to this file.
    #[arg(long)]
    timeline: Option<PathBuf>,
    /// Print one JSON object per run instead of text (the event logs go to --timeline).
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Switch {
    On,
    Off,
}

pub fn main(args: RunArgs) -> ExitCode {
    let mut config =
        RunConfig { order: args.order, ..RunConfig::new(args.mode, args.threads, args.total) }
            .with_layout(args.layout);
    if args.gil == Switch::On {
        let safe_points: SafePoints = args.safe_points.parse().expect("clap checked the value");
        config = config.with_gil(GilSettings::new(args.switch_interval_ms, safe_points));
    }
    let clock = InstantClock::new();
    let mut timelines = Vec::new();
    for _ in 0..args.repeat {
        let report = match run(config.clone(), &ScopedThreads, &clock) {
            Ok(report) => report,
            Err(err) => {
                eprintln!("error: {err}");
                return ExitCode::from(2);
            }
        };
        if args.json {
            let mut json = serde_json::to_value(&report).expect("reports serialize");
            json.as_object_mut().expect("a report is an object").remove("timeline");
            println!("{json}");
        } else {
            print!("{}", text(&report));
        }
        if args.timeline.is_some() {
            timelines.push(serde_json::json!({
                "mode": report.mode,
                "threads": report.threads,
                "total": report.total,
                "gil": report.gil,
                "wall_ms": report.wall_ms,
                "timeline": report.timeline,
            }));
        }
    }
    if let Some(path) = &args.timeline {
        let json = serde_json::to_string(&timelines).expect("timelines serialize");
        if let Err(err) = std::fs::write(path, json) {
            eprintln!("error: cannot write {}: {err}", path.display());
            return ExitCode::from(1);
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
    let s = &r.summary;
    let gil = match &r.gil {
        None => "gil         off (free threads)\n".to_owned(),
        Some(g) => format!(
            "gil         on: {} safe points, {} ms switch interval\n            \
             {} handoffs, {} drop requests, mean hold {:.2} ms, {} stale writes\n",
            g.safe_points.name(),
            g.switch_interval_ms,
            group(s.counts.handoffs),
            group(s.counts.drop_requests),
            s.mean_gil_hold_ms,
            group(s.counts.stale_writes),
        ),
    };
    let layout = if r.mode == Mode::Private {
        format!("layout      {} private counters\n", r.layout.name())
    } else {
        String::new()
    };
    let lock = if r.mode.steps().contains(&gil_playground::workload::Step::LockAcquire) {
        format!(
            "lock        {} owner changes, {} contended, {} parks, {} direct handoffs\n",
            group(s.counts.lock_owner_changes),
            group(s.counts.lock_waits),
            group(s.counts.parks),
            group(s.counts.lock_handoffs)
        )
    } else {
        String::new()
    };
    format!(
        "mode {} | {} threads | {} increments | {order}\n\
         wall        {:>12.1} ms   ({:.1} M increments/s)\n\
         per thread  {} ms\n\
         expected    {:>12}\n\
         final       {:>12}\n\
         lost        {:>12}   ({:.2}%)\n{gil}{lock}{layout}\n",
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
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
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
