//! `gil-playground matrix`: the seed's benchmark natively, without a browser. Its four
//! scripts with the GIL (3.10+ safe points, then 3.9's) and without it, for one object model,
//! printed like the seed's `run.sh` output (or one JSON object per cell with `--json`).

use std::process::ExitCode;

use clap::Args;
use gil_playground::choice::Choice;
use gil_playground::measure::clock::InstantClock;
use gil_playground::model::gil::Gil;
use gil_playground::model::objects::Objects;
use gil_playground::run::matrix::cells;
use gil_playground::run::report::RunReport;
use gil_playground::run::run;
use gil_playground::run::team::{MAX_NATIVE_THREADS, ScopedThreads};
use gil_playground::settings::Settings;

#[derive(Args)]
pub struct MatrixArgs {
    /// The object model every cell runs with (see `run --help`).
    #[arg(long, value_enum, default_value_t = Objects::None)]
    objects: Objects,
    /// Threads of the threaded scripts. Default: one per core, as the seed's scripts start
    /// `os.cpu_count()` threads.
    #[arg(long)]
    threads: Option<usize>,
    /// Increments per script, split across its threads.
    #[arg(long, default_value_t = 20_000_000)]
    total: u64,
    /// The GIL's switch interval in milliseconds.
    #[arg(long, default_value_t = Settings::default().interval)]
    interval: f64,
    /// With an object model: the busy work per bytecode instruction, in nanoseconds.
    #[arg(long, default_value_t = Settings::default().cost)]
    cost: f64,
    /// Runs per cell; the one with the median time is printed.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    repeat: u32,
    /// One JSON object per cell instead of text.
    #[arg(long)]
    json: bool,
}

pub fn main(args: MatrixArgs) -> ExitCode {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let base = Settings {
        objects: args.objects,
        threads: args.threads.unwrap_or(cores),
        total: args.total,
        interval: args.interval,
        cost: args.cost,
        ..Settings::default()
    };
    if let Err(err) = base.validate(MAX_NATIVE_THREADS) {
        eprintln!("error: {err}");
        return ExitCode::from(2);
    }
    let clock = InstantClock::new();
    let mut single_ms = 0.0;
    let mut column = None;
    for (script, settings) in cells(&base) {
        let mut runs: Vec<RunReport> = (0..args.repeat)
            .map(|_| run(settings.clone(), &ScopedThreads, &clock).expect("checked settings"))
            .collect();
        runs.sort_by(|a, b| a.wall_ms.total_cmp(&b.wall_ms));
        let report = runs.swap_remove(runs.len() / 2);
        if script.spec().one_thread {
            single_ms = report.wall_ms;
        }
        let relative = report.wall_ms / single_ms;
        if args.json {
            println!(
                "{}",
                serde_json::json!({
                    "script": script.name(),
                    "gil": settings.gil,
                    "objects": settings.objects,
                    "threads": settings.threads,
                    "total": settings.total,
                    "expected": report.expected,
                    "final": report.final_count,
                    "lost": report.lost,
                    "wall_ms": report.wall_ms,
                    "relative_to_single": relative,
                    "cores": cores,
                })
            );
            continue;
        }
        if column != Some(settings.gil) {
            column = Some(settings.gil);
            let heading = match settings.gil {
                Gil::Off => "without GIL".to_owned(),
                gil => format!("with GIL, {} safe points", gil.name()),
            };
            println!(
                "\n### {heading} (objects: {}, {} threads for the threaded scripts, {} cores)",
                settings.objects.name(),
                base.threads,
                cores
            );
        }
        println!("===== Running {} =====", script.about().label);
        println!("Execution time: {:.6} seconds ({relative:.2}x single)", report.wall_ms / 1000.0);
        println!("Final counter value: {}", report.final_count);
        println!("Lost updates: {} ({:.2}%)", report.lost, report.loss_percent);
        println!("===== Finished  =====");
    }
    ExitCode::SUCCESS
}
