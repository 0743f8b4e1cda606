//! `gil-playground child` (hidden): one worker of a `processes` run, started by
//! `gil-playground run --model processes` (see `processes.rs` for the protocol). It says it
//! is ready, reads its job on standard input, runs it on its own thread in its own memory and
//! prints its result, with its peak resident memory, on standard output.

use std::io::{BufRead, Read, Write};
use std::process::ExitCode;

use clap::Args;
use gil_playground::run::processes::Child;
use gil_playground::run::team::CurrentThread;
use gil_playground::settings::{Raw, Settings};

use crate::cli::processes::{Header, SharedClock};

#[derive(Args)]
pub struct ChildArgs {
    /// Which worker of the run this process is.
    #[arg(long)]
    worker: usize,
    /// The base of the run's clock, in nanoseconds on the system's real-time clock.
    #[arg(long)]
    clock_base: u64,
}

pub fn main(args: ChildArgs) -> ExitCode {
    match work(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: worker {}: {message}", args.worker);
            ExitCode::FAILURE
        }
    }
}

fn work(args: &ChildArgs) -> Result<(), String> {
    let clock = SharedClock::with_base(args.clock_base);
    let child = Child::ready(args.worker, &clock);
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "ready").and_then(|()| stdout.flush()).map_err(|e| e.to_string())?;
    let mut input = std::io::stdin().lock();
    let mut line = String::new();
    input.read_line(&mut line).map_err(|e| e.to_string())?;
    let header: Header = serde_json::from_str(&line).map_err(|e| format!("bad job: {e}"))?;
    let mut bytes = vec![0; 4 * header.numbers];
    input.read_exact(&mut bytes).map_err(|e| format!("the numbers did not all arrive: {e}"))?;
    let numbers =
        bytes.chunks_exact(4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
    drop(bytes);
    let settings = settings_from(&header.settings)?;
    let mut result =
        child.run(settings, numbers, &CurrentThread, &clock).map_err(|e| e.to_string())?;
    result.place.memory_bytes = peak_resident_bytes();
    let json = serde_json::to_string(&result).expect("a result serializes");
    writeln!(stdout, "{json}").and_then(|()| stdout.flush()).map_err(|e| e.to_string())
}

/// Settings from their JSON, each through [`Settings::set`] as a program's would be.
fn settings_from(json: &serde_json::Value) -> Result<Settings, String> {
    let object = json.as_object().ok_or("the job's settings are not an object")?;
    let mut settings = Settings::default();
    for (name, value) in object {
        let text = value.to_string();
        let raw = match value {
            serde_json::Value::String(s) => Raw::Text(s),
            serde_json::Value::Bool(b) => Raw::Bool(*b),
            serde_json::Value::Number(n) => {
                Raw::Number { value: n.as_f64().unwrap_or(f64::NAN), text: &text }
            }
            _ => return Err(format!("the job's setting {name} is not a value")),
        };
        settings.set(name, raw, 1).map_err(|e| e.to_string())?;
    }
    Ok(settings)
}

/// This process's peak resident set (Linux's `VmHWM`), if the system reports it.
fn peak_resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kilobytes: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kilobytes * 1024)
}
