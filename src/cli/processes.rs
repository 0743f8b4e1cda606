//! `processes` runs natively: the CLI starts itself as child processes (`gil-playground
//! child`), one per worker, each with its own memory and its own (emulated) GIL.
//!
//! The protocol, over each child's standard input and output:
//! 1. the child prints `ready` as soon as it runs (the start-up phase ends with the last one);
//! 2. the parent sends each its job, one after the other: a JSON line with its settings and
//!    how many numbers follow, then the numbers as little-endian bytes (pickled, piped and
//!    unpickled: every byte copied, as multiprocessing does);
//! 3. the child prints its result as one JSON line ([`WorkerResult`]) and exits.
//!
//! Parent and children read one clock: the system's real-time clock, the one every process
//! sees, counted from a base the parent passes on (`--clock-base`).

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use gil_playground::measure::clock::Clock;
use gil_playground::model::mode::{Mode, make_numbers};
use gil_playground::run::processes::{WorkerResult, job, mark_engine, report};
use gil_playground::run::report::{EngineTimes, RunReport};
use gil_playground::settings::Settings;

/// Nanoseconds on the system's real-time clock since `base_ns` (itself a reading of it).
pub struct SharedClock {
    base_ns: u64,
}

impl SharedClock {
    /// A clock whose base is now.
    pub fn new() -> Self {
        SharedClock { base_ns: since_epoch_ns() }
    }

    /// The clock another process made with base `base_ns`.
    pub fn with_base(base_ns: u64) -> Self {
        SharedClock { base_ns }
    }
}

fn since_epoch_ns() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64)
}

impl Clock for SharedClock {
    fn now_ns(&self) -> u64 {
        since_epoch_ns().saturating_sub(self.base_ns)
    }
}

/// The job header a child reads before its numbers.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Header {
    /// What the child runs, under the settings' usual names.
    pub settings: serde_json::Value,
    /// How many numbers follow (4 bytes each, little-endian).
    pub numbers: usize,
}

/// Runs `settings` (checked already) as child processes and reports.
pub fn run(settings: &Settings) -> Result<RunReport, String> {
    let program =
        std::env::current_exe().map_err(|err| format!("cannot find this program: {err}"))?;
    let numbers = (settings.mode == Mode::Sum).then(|| make_numbers(settings.size));
    let clock = SharedClock::new();
    mark_engine();
    let started_ns = clock.now_ns();
    let mut children = (0..settings.threads)
        .map(|worker| {
            Command::new(&program)
                .args(["child", "--worker", &worker.to_string()])
                .args(["--clock-base", &clock.base_ns.to_string()])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .map_err(|err| format!("cannot start a child process: {err}"))
        })
        .collect::<Result<Vec<Child>, String>>()?;
    let mut outputs: Vec<BufReader<ChildStdout>> = children
        .iter_mut()
        .map(|child| BufReader::new(child.stdout.take().expect("stdout is piped")))
        .collect();
    for output in &mut outputs {
        if read_line(output)? != "ready" {
            return Err("a child process did not say it was ready".to_owned());
        }
    }
    let go_ns = clock.now_ns();
    let mut bytes = 0;
    for (worker, child) in children.iter_mut().enumerate() {
        let job = job(settings, numbers.as_deref(), worker);
        let header = Header {
            settings: serde_json::to_value(&job.settings).expect("settings serialize"),
            numbers: job.numbers.len(),
        };
        let mut message = serde_json::to_vec(&header).expect("a header serializes");
        message.push(b'\n');
        message.extend(job.numbers.iter().flat_map(|n| n.to_le_bytes()));
        bytes += 4 * job.numbers.len() as u64;
        // Dropping stdin closes it: the child has all it will get.
        let mut stdin = child.stdin.take().expect("stdin is piped");
        stdin.write_all(&message).map_err(|err| format!("cannot send a job: {err}"))?;
    }
    let results = outputs
        .iter_mut()
        .map(|output| {
            let line = read_line(output)?;
            serde_json::from_str::<WorkerResult>(&line)
                .map_err(|err| format!("a child process sent no result ({err}): {line}"))
        })
        .collect::<Result<Vec<_>, String>>()?;
    let collected_ns = clock.now_ns();
    for child in &mut children {
        let status = child.wait().map_err(|err| format!("cannot wait for a child: {err}"))?;
        if !status.success() {
            return Err(format!("a child process failed ({status})"));
        }
    }
    let engine = EngineTimes { started_ns, go_ns, collected_ns };
    Ok(report(settings, numbers.as_deref(), engine, results, bytes))
}

fn read_line(output: &mut impl BufRead) -> Result<String, String> {
    let mut line = String::new();
    output.read_line(&mut line).map_err(|err| format!("cannot read a child process: {err}"))?;
    Ok(line.trim_end().to_owned())
}
