//! The `gil-playground` binary: `run` prints what the page prints, `serve` sends the headers
//! that make the page cross-origin isolated and nothing outside its folder.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_gil-playground");

fn run(args: &[&str]) -> std::process::Output {
    Command::new(BIN).arg("run").args(args).output().expect("the binary runs")
}

fn json_lines(output: &std::process::Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON object per line"))
        .collect()
}

#[test]
fn run_json_has_the_documented_fields() {
    let output = run(&["--mode", "mutex", "--threads", "3", "--total", "100001", "--json"]);
    assert!(output.status.success());
    let reports = json_lines(&output);
    assert_eq!(reports.len(), 1);
    let r = &reports[0];
    for field in [
        "mode",
        "model",
        "threads",
        "total",
        "expected",
        "final",
        "lost",
        "wall_ms",
        "per_thread_ms",
        "startup_ms",
        "transfer_ms",
        "compute_ms",
        "total_ms",
        "workers",
    ] {
        assert!(r.get(field).is_some(), "missing {field} in {r}");
    }
    assert_eq!((r["mode"].as_str(), r["model"].as_str()), (Some("mutex"), Some("threads")));
    assert_eq!(r["threads"], 3);
    assert_eq!(r["final"], 100_001);
    assert_eq!(r["lost"], 0);
    assert_eq!(r["order"], "seqcst");
    assert_eq!(r["per_thread_ms"].as_array().unwrap().len(), 3);
}

#[test]
fn repeat_prints_one_object_per_run() {
    let output =
        run(&["--mode", "private", "--threads", "2", "--total", "5000", "--repeat", "3", "--json"]);
    let reports = json_lines(&output);
    assert_eq!(reports.len(), 3);
    assert!(reports.iter().all(|r| r["final"] == 5000));
}

#[test]
fn text_output_names_expected_final_and_lost() {
    let output = run(&["--mode", "racy", "--threads", "1", "--total", "20000"]);
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("expected") && text.contains("20,000"), "{text}");
    assert!(text.contains("lost") && text.contains("(0.00%)"), "{text}");
    assert!(text.contains("seqcst, the browser's orderings"), "{text}");
}

#[test]
fn gil_flags_reach_the_json_and_the_timeline_file() {
    let file = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("timeline.json");
    let _ = std::fs::remove_file(&file);
    let output = run(&[
        "--mode",
        "racy",
        "--threads",
        "2",
        "--total",
        "4000000",
        "--gil",
        "3.9",
        "--interval",
        "0.5",
        "--json",
        "--timeline",
    ]
    .iter()
    .copied()
    .chain([file.to_str().unwrap()])
    .collect::<Vec<_>>());
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let r = &json_lines(&output)[0];
    assert_eq!(r["gil"], "3.9");
    assert_eq!(r["interval"], 0.5);
    assert!(r["summary"]["handoffs"].as_u64().unwrap() >= 1);
    assert!(r["summary"].get("drop_requests").is_some());
    assert_eq!(r["summary"]["overwritten"], r["lost"]);
    assert!(r.get("timeline").is_none(), "event logs go to --timeline, not stdout");

    let runs: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let threads = runs[0]["timeline"].as_array().unwrap();
    assert_eq!(threads.len(), 2);
    for thread in threads {
        let events = thread["events"].as_array().unwrap();
        assert_eq!(events.first().unwrap()["state"], "waiting_gil");
        assert_eq!(events.last().unwrap()["state"], "done");
    }
}

#[test]
fn gil_text_output_and_refused_interval() {
    let output = run(&["--mode", "pymutex", "--total", "100000", "--gil", "on"]);
    assert!(output.status.success(), "`on` means 3.10");
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("gil         on: 3.10 safe points, 5 ms switch interval"), "{text}");
    assert!(text.contains("owner changes"), "{text}");

    let refused = run(&["--gil", "3.10", "--interval", "500"]);
    assert_eq!(refused.status.code(), Some(2));
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(message.contains("A switch interval of 500 ms is out of range"), "{message}");
}

#[test]
fn bad_arguments_fail_with_a_message() {
    let unknown = run(&["--mode", "spinlock"]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("invalid value 'spinlock'"));

    let zero = run(&["--threads", "0", "--total", "10"]);
    assert_eq!(zero.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&zero.stderr).contains("0 threads is out of range"));

    let huge = run(&["--total", "2000000001"]);
    assert!(!huge.status.success());
    assert!(String::from_utf8_lossy(&huge.stderr).contains("out of range"));
}

/// A server on a free port, stopped when dropped.
struct Server {
    child: Child,
    address: String,
}

impl Server {
    /// Serves a scratch folder holding a page, a script and a wasm file, next to a secret
    /// file that must never be served.
    fn start() -> Server {
        let scratch = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("serve-test");
        let root = scratch.join("site");
        std::fs::create_dir_all(root.join("pkg")).unwrap();
        std::fs::write(root.join("index.html"), "<!doctype html><title>t</title>").unwrap();
        std::fs::write(root.join("pkg/module.js"), "export {};").unwrap();
        std::fs::write(root.join("pkg/module.wasm"), b"\0asm\x01\0\0\0").unwrap();
        std::fs::write(scratch.join("secret.txt"), "[package] secret").unwrap();
        let mut child = Command::new(BIN)
            .args(["serve", "--port", "0", "--root"])
            .arg(&root)
            .stdout(Stdio::piped())
            .spawn()
            .expect("the server starts");
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().unwrap()).read_line(&mut line).unwrap();
        let address = line
            .split("http://")
            .nth(1)
            .expect("the server prints its URL")
            .trim()
            .trim_end_matches('/')
            .to_owned();
        Server { child, address }
    }

    /// A raw GET, so the path reaches the server exactly as written.
    fn get(&self, path: &str) -> String {
        let mut stream = TcpStream::connect(&self.address).unwrap();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.address
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        response.to_ascii_lowercase()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

#[test]
fn serve_sends_isolation_headers_and_mime_types() {
    let server = Server::start();
    let page = server.get("/");
    assert!(page.starts_with("http/1.1 200"), "{page}");
    assert!(page.contains("cross-origin-opener-policy: same-origin"));
    assert!(page.contains("cross-origin-embedder-policy: require-corp"));
    assert!(page.contains("cross-origin-resource-policy: same-origin"));
    assert!(page.contains("content-type: text/html"));
    let script = server.get("/pkg/module.js");
    assert!(script.contains("content-type: text/javascript"), "{script}");
    assert!(script.contains("cross-origin-embedder-policy: require-corp"));
    let wasm = server.get("/pkg/module.wasm");
    assert!(wasm.contains("content-type: application/wasm"), "{wasm}");
    assert!(server.get("/missing.js").starts_with("http/1.1 404"));
}

#[test]
fn serve_refuses_paths_outside_its_root() {
    let server = Server::start();
    for path in [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/pkg/../../secret.txt",
        "/..%2fsecret.txt",
        "/%2e%2e%2fsecret.txt",
    ] {
        let response = server.get(path);
        assert!(!response.starts_with("http/1.1 200"), "{path} was served: {response}");
        assert!(!response.contains("secret"), "{path} leaked the file outside the root");
    }
}

#[test]
fn processes_are_real_children_that_share_no_memory() {
    let output = run(&[
        "--model",
        "processes",
        "--mode",
        "sum",
        "--threads",
        "3",
        "--total",
        "300001",
        "--size",
        "10007",
        "--json",
    ]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let r = &json_lines(&output)[0];
    assert_eq!((r["model"].as_str(), r["final"].as_u64()), (Some("processes"), Some(300_001)));
    assert_eq!(r["sum"]["sum"], r["sum"]["expected_sum"]);
    let workers = r["workers"].as_array().unwrap();
    let pids: std::collections::HashSet<_> =
        workers.iter().map(|w| w["instance"].as_u64()).collect();
    assert_eq!(pids.len(), 3, "three processes: {workers:?}");
    assert!(!pids.contains(&Some(u64::from(std::process::id()))));
    for (i, worker) in workers.iter().enumerate() {
        // Each found its memory fresh and kept its own number, though every child had written
        // its own before any read: no child's write reached another, nor the parent.
        assert_eq!(worker["found"], 0, "{worker}");
        assert_eq!(worker["found_after"], i + 1, "{worker}");
        assert!(worker["memory_bytes"].as_u64().unwrap() > 0);
    }
    assert_eq!(r["engine_cell_after"], 1_000_000, "the parent's mark is untouched");
    for phase in ["startup_ms", "transfer_ms", "compute_ms", "total_ms"] {
        assert!(r[phase].as_f64().unwrap() >= 0.0, "{phase} in {r}");
    }
    assert_eq!(r["transfer_bytes"], 4 * 10_007);
}

#[test]
fn a_shared_counter_for_processes_is_refused_in_words() {
    let refused = run(&["--model", "processes", "--mode", "racy"]);
    assert_eq!(refused.status.code(), Some(2));
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(message.contains("processes share no memory"), "{message}");
}

#[test]
fn latency_refuses_a_probe_beside_no_threads_instead_of_running_one() {
    let latency = |args: &[&str]| {
        Command::new(BIN).arg("latency").args(args).output().expect("the binary runs")
    };
    let zero = latency(&["--cpu-threads", "0", "--samples", "5"]);
    assert_eq!(zero.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&zero.stderr).contains("--cpu-threads 1 or more"));
    let one = latency(&["--cpu-threads", "1", "--gil", "off", "--samples", "5", "--json"]);
    assert!(one.status.success(), "{}", String::from_utf8_lossy(&one.stderr));
    assert_eq!(json_lines(&one)[0]["cpu_threads"], 1);
}
