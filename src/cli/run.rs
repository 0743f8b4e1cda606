//! `gil-playground run`: one or more native runs, printed as text or JSON lines.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use gil_playground::measure::clock::InstantClock;
use gil_playground::model::bytecode::Statement;
use gil_playground::model::execution::Model;
use gil_playground::model::gil::Gil;
use gil_playground::model::interp::{MemoryOrder, WriteBack};
use gil_playground::model::mode::{Layout, Mode};
use gil_playground::model::objects::Objects;
use gil_playground::run::report::RunReport;
use gil_playground::run::run;
use gil_playground::run::team::{MAX_NATIVE_THREADS, ScopedThreads};
use gil_playground::settings::{Raw, Settings};

use crate::cli::processes;

/// The run's settings: the same names, values and defaults as the page's links and the
/// engine's settings object (see `settings.rs`).
#[derive(Args)]
pub struct SettingsArgs {
    /// The workload.
    #[arg(long, value_enum, default_value_t = Settings::default().mode)]
    mode: Mode,
    /// How the workers are made: `threads` (one interpreter, one GIL), `subinterpreters` (a
    /// GIL each, jobs and results copied through channels) or `processes` (this program
    /// started as child processes, jobs and results through pipes).
    #[arg(long, value_enum, default_value_t = Settings::default().model)]
    model: Model,
    /// Threads (or interpreters, or processes) that run it at once.
    #[arg(long, default_value_t = Settings::default().threads)]
    threads: usize,
    /// Increments in all, split across the threads (at most 2,000,000,000).
    #[arg(long, default_value_t = Settings::default().total)]
    total: u64,
    /// `sum`: how many numbers to make, split in slices across the workers (at most
    /// 16,000,000).
    #[arg(long, default_value_t = Settings::default().size)]
    size: usize,
    /// Where `private` mode's counters live: `padded` (a cache line each) or `packed` (side
    /// by side, so cores fight over shared lines: false sharing).
    #[arg(long, value_enum, default_value_t = Settings::default().layout)]
    layout: Layout,
    /// The emulated GIL: `off` (the free-threaded world), `3.10` (on, with the safe points of
    /// 3.10 and later: one `+=` is never split; `on` means the same) or `3.9` (on, with 3.9's:
    /// a switch can fall between the read and the write).
    #[arg(long, default_value = "off", value_parser = parse_gil)]
    gil: Gil,
    /// The GIL's switch interval in milliseconds (0.1 to 100), like `sys.setswitchinterval`.
    #[arg(long, default_value_t = Settings::default().interval)]
    interval: f64,
    /// How the increment is written: `augmented` (`counter["value"] += 1`) or `call`
    /// (`counter["value"] = add_one(counter["value"])`, which 3.10+ can switch inside).
    #[arg(long, value_enum, default_value_t = Settings::default().statement)]
    statement: Statement,
    /// How the emulated interpreter keeps its objects: `none` (a bare counter), `gil` (the
    /// default build's plain reference counts), `free-threaded` (3.13t: biased counts,
    /// immortal constants, a lock in every dict) or `atomic` (every count an atomic add).
    #[arg(long, value_enum, default_value_t = Settings::default().objects)]
    objects: Objects,
    /// With an object model: the busy work per bytecode instruction, in nanoseconds.
    #[arg(long, default_value_t = Settings::default().cost)]
    cost: f64,
    /// How long one wait lasts in the waiting mode, in milliseconds.
    #[arg(long, default_value_t = Settings::default().wait)]
    wait: f64,
    /// Memory orderings: `seqcst` executes what the browser executes (wasm atomics are all
    /// sequentially consistent); `relaxed` is a native-only extra, not comparable with the page.
    #[arg(long, value_enum, default_value_t = MemoryOrder::SeqCst)]
    order: MemoryOrder,
    /// How a racy increment writes back: `store` or `swap` (the browser measures which is
    /// faster in its engine; the bench passes the same here for a like-for-like baseline).
    #[arg(long, value_enum, default_value_t = WriteBack::Store)]
    write: WriteBack,
}

impl SettingsArgs {
    /// The settings, checked with the same words the page uses.
    pub fn settings(&self) -> Result<Settings, String> {
        let settings = Settings {
            mode: self.mode,
            model: self.model,
            threads: self.threads,
            total: self.total,
            size: self.size,
            layout: self.layout,
            gil: self.gil,
            interval: self.interval,
            statement: self.statement,
            objects: self.objects,
            cost: self.cost,
            wait: self.wait,
            probe: 0,
            order: self.order,
            write: Some(self.write),
        };
        settings.validate(MAX_NATIVE_THREADS).map_err(|err| err.to_string())?;
        Ok(settings)
    }
}

fn parse_gil(text: &str) -> Result<Gil, String> {
    let mut settings = Settings::default();
    settings.set("gil", Raw::Text(text), MAX_NATIVE_THREADS).map_err(|err| err.to_string())?;
    Ok(settings.gil)
}

#[derive(Args)]
pub struct RunArgs {
    #[command(flatten)]
    settings: SettingsArgs,
    /// Runs to make in a row.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    repeat: u32,
    /// Write every run's per-thread event log (what the page's timeline draws) to this file.
    #[arg(long)]
    timeline: Option<PathBuf>,
    /// Print one JSON object per run instead of text (the event logs go to --timeline).
    #[arg(long)]
    json: bool,
}

pub fn main(args: RunArgs) -> ExitCode {
    let settings = match args.settings.settings() {
        Ok(settings) => settings,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    let clock = InstantClock::new();
    let mut timelines = Vec::new();
    for _ in 0..args.repeat {
        let report = match settings.model {
            Model::Processes => processes::run(&settings),
            _ => run(settings.clone(), &ScopedThreads, &clock).map_err(|err| err.to_string()),
        };
        let report = match report {
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
            let mut json = serde_json::to_value(&report).expect("reports serialize");
            json.as_object_mut().expect("a report is an object").remove("summary");
            timelines.push(json);
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
    let settings = &r.settings;
    let order = match settings.order {
        MemoryOrder::SeqCst => "seqcst, the browser's orderings",
        MemoryOrder::Relaxed => "relaxed, native only",
    };
    let per_thread: Vec<String> = r.per_thread_ms.iter().map(|t| format!("{t:.1}")).collect();
    let s = &r.summary;
    let gil = match settings.gil {
        Gil::Off => "gil         off (free threads)\n".to_owned(),
        version => format!(
            "gil         on: {} safe points, {} ms switch interval\n            \
             {} handoffs, {} drop requests, mean hold {:.2} ms, {} stale writes\n",
            version.name(),
            settings.interval,
            group(s.counts.handoffs),
            group(s.counts.drop_requests),
            s.mean_gil_hold_ms,
            group(s.counts.stale_writes),
        ),
    };
    let layout = if settings.mode == Mode::Private {
        format!("layout      {} private counters\n", settings.layout.name())
    } else {
        String::new()
    };
    let lock = if settings.mode.spec().locks {
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
    let p = &r.phases;
    let memory: Vec<String> = r
        .workers
        .iter()
        .filter_map(|w| w.memory_bytes)
        .map(|bytes| format!("{:.1} MB", bytes as f64 / 1e6))
        .collect();
    let memory = match memory.is_empty() {
        true => String::new(),
        false => format!("            each worker's own memory: {}\n", memory.join(", ")),
    };
    let sum = r.sum.map_or(String::new(), |check| {
        format!("sum         {} (expected {})\n", check.sum, check.expected_sum)
    });
    format!(
        "mode {} | {} | {} workers | {} increments | {order}\n\
         phases      start-up {:.3} ms, transfer {:.3} ms, compute {:.1} ms, total {:.1} ms\n{memory}\
         wall        {:>12.1} ms   ({:.1} M increments/s)\n\
         per thread  {} ms\n\
         expected    {:>12}\n\
         final       {:>12}\n\
         lost        {:>12}   ({:.2}%)\n{sum}{gil}{lock}{layout}\n",
        settings.mode,
        settings.model,
        settings.threads,
        group(settings.total),
        p.startup_ms,
        p.transfer_ms,
        p.compute_ms,
        p.total_ms,
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
