//! `gil-playground latency`: the responsiveness probe natively. One thread sleeps `--wait`
//! milliseconds (1 by default) again and again beside K CPU-bound threads and records how
//! late each wake-up is: with the GIL, a waking thread waits for the holder to be asked to
//! drop it, about one switch interval (the convoy effect behind stalled GUIs and servers).

use std::process::ExitCode;

use clap::Args;
use gil_playground::measure::clock::InstantClock;
use gil_playground::model::gil::Gil;
use gil_playground::model::mode::Mode;
use gil_playground::run::run;
use gil_playground::run::team::{MAX_NATIVE_THREADS, ScopedThreads};
use gil_playground::settings::{Raw, Settings};

#[derive(Args)]
pub struct LatencyArgs {
    /// CPU-bound threads beside the probe (1 or more; `--gil off` gives the baseline).
    #[arg(long, default_value_t = 1)]
    cpu_threads: usize,
    /// What the CPU-bound threads run.
    #[arg(long, value_enum, default_value_t = Mode::Racy)]
    mode: Mode,
    /// The emulated GIL: `off`, `3.10` (or `on`) or `3.9`.
    #[arg(long, default_value = "3.10", value_parser = parse_gil)]
    gil: Gil,
    /// The GIL's switch interval in milliseconds.
    #[arg(long, default_value_t = Settings::default().interval)]
    interval: f64,
    /// How long each sleep lasts, in milliseconds.
    #[arg(long, default_value_t = Settings::default().wait)]
    wait: f64,
    /// Wake-ups to record.
    #[arg(long, default_value_t = 300)]
    samples: u32,
    /// One JSON object instead of text.
    #[arg(long)]
    json: bool,
}

fn parse_gil(text: &str) -> Result<Gil, String> {
    let mut settings = Settings::default();
    settings.set("gil", Raw::Text(text), MAX_NATIVE_THREADS).map_err(|err| err.to_string())?;
    Ok(settings.gil)
}

pub fn main(args: LatencyArgs) -> ExitCode {
    if args.cpu_threads == 0 {
        eprintln!(
            "error: the probe runs beside 1 or more CPU-bound threads: --cpu-threads 1 or more \
             (for a baseline without the GIL's handoffs, use --gil off)"
        );
        return ExitCode::from(2);
    }
    let settings = Settings {
        mode: args.mode,
        threads: args.cpu_threads,
        gil: args.gil,
        interval: args.interval,
        wait: args.wait,
        probe: args.samples,
        ..Settings::default()
    };
    if args.samples == 0 {
        eprintln!("error: a probe needs at least one sample: --samples 1 or more");
        return ExitCode::from(2);
    }
    let report = match run(settings.clone(), &ScopedThreads, &InstantClock::new()) {
        Ok(report) => report,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::from(2);
        }
    };
    let latency = report.latency.expect("a run with a probe reports its latency");
    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "p50_ms": latency.p50_ms,
                "p90_ms": latency.p90_ms,
                "max_ms": latency.max_ms,
                "samples": latency.samples,
                "cpu_threads": settings.threads,
                "mode": settings.mode,
                "gil": settings.gil,
                "interval": settings.interval,
                "wait": settings.wait,
            })
        );
    } else {
        println!(
            "probe: {} sleeps of {} ms beside {} {} thread(s), GIL {} ({} ms interval)\n\
             late by: median {:.2} ms, p90 {:.2} ms, max {:.2} ms",
            latency.samples,
            settings.wait,
            settings.threads,
            settings.mode,
            settings.gil,
            settings.interval,
            latency.p50_ms,
            latency.p90_ms,
            latency.max_ms
        );
    }
    ExitCode::SUCCESS
}
