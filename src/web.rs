//! The thin wasm-bindgen boundary the page's host worker calls (compiled for wasm32 only).
//!
//! The host worker owns this module and the thread pool. A run never blocks it: `start_run`
//! checks the settings, hands the run to the pool and returns; the host then polls `poll` for
//! progress and the result, so it stays free to report errors from the pool's workers.
//! Settings come in and reports go out as plain JS objects (serde-wasm-bindgen); every error
//! leaves as a JS `Error` with a stable `code` and a message meant for the user.

use std::sync::{Arc, Mutex};

use serde::Serialize;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::clock::Clock;
use crate::config::{ConfigError, MAX_TOTAL, RunConfig};
use crate::report::RunReport;
use crate::run::Run;
use crate::team::ThreadTeam;
use crate::workload::{Layout, Mode};

#[cfg(feature = "threads")]
pub use wasm_bindgen_rayon::init_thread_pool;

/// The run under way, if any (its progress is polled while it runs).
static CURRENT: Mutex<Option<Arc<Run>>> = Mutex::new(None);
/// The finished run's report, until the host collects it.
static FINISHED: Mutex<Option<RunReport>> = Mutex::new(None);
/// The text of the first panic in any thread (the thread itself aborts right after).
static PANIC: Mutex<Option<String>> = Mutex::new(None);
/// The host worker's `performance.timeOrigin`: every thread reports time from it.
static BASE_ORIGIN_MS: Mutex<f64> = Mutex::new(0.0);

/// Prepares the module: installs the panic hook and fixes the clock's base. Call once, in the
/// host worker, before anything else.
#[wasm_bindgen]
pub fn setup() {
    *lock(&BASE_ORIGIN_MS) = worker_performance().time_origin();
    // The hook keeps the panic's message and place for `poll`; the host worker shows them on
    // the page (a worker's console is invisible to users).
    std::panic::set_hook(Box::new(|info| {
        let message = info.payload_as_str().unwrap_or("a panic without a message");
        let text = match info.location() {
            Some(at) => format!("{message} (at {}:{})", at.file(), at.line()),
            None => message.to_owned(),
        };
        // try_lock: never deadlock inside a panic; the first panic is the one that matters.
        if let Ok(mut slot) = PANIC.try_lock() {
            slot.get_or_insert(text);
        }
    }));
}

/// What the page needs to know about this build: pool size, modes and limits.
#[wasm_bindgen]
pub fn engine_info() -> JsValue {
    #[derive(Serialize)]
    struct Info {
        pool_size: usize,
        threaded: bool,
        modes: Vec<&'static str>,
        max_total: u64,
        /// Each mode's steps and, per safe-point model, the serve weights (shown on the page).
        steps: Vec<ModeSteps>,
        events_per_thread: usize,
        event_names: [&'static str; 11],
    }
    #[derive(Serialize)]
    struct ModeSteps {
        mode: &'static str,
        steps: &'static [crate::workload::Step],
        weights_39: Vec<(crate::workload::Step, u32)>,
        weights_310: Vec<(crate::workload::Step, u32)>,
    }
    use crate::gil::{SafePoints, serve_weights};
    to_js(&Info {
        pool_size: Pool.capacity(),
        threaded: cfg!(feature = "threads"),
        modes: Mode::ALL.iter().map(|m| m.name()).collect(),
        max_total: MAX_TOTAL,
        steps: Mode::ALL
            .iter()
            .map(|&mode| ModeSteps {
                mode: mode.name(),
                steps: mode.steps(),
                weights_39: serve_weights(mode, SafePoints::Py39),
                weights_310: serve_weights(mode, SafePoints::Py310),
            })
            .collect(),
        events_per_thread: crate::timeline::EVENTS_PER_THREAD,
        event_names: crate::timeline::EVENT_NAMES,
    })
}

/// Reads the settings object the page sends, field by field and loosely: a missing or
/// mistyped count reads as NaN, a mistyped name as "(not text)", and both are then refused in
/// words by the core's checks. (Settings are read by hand, not with serde: serde's
/// deserializer and its type-error formatting were 9 KB of the 60 KB gzipped budget, for six
/// fields whose every wrong value needs the core's own message anyway.)
fn settings(value: &JsValue) -> Result<RunConfig, ConfigError> {
    let field =
        |name: &str| js_sys::Reflect::get(value, &name.into()).unwrap_or(JsValue::UNDEFINED);
    let text = |name: &str, default: &str| {
        let v = field(name);
        if v.is_undefined() {
            default.to_owned()
        } else {
            v.as_string().unwrap_or_else(|| "(not text)".to_owned())
        }
    };
    let number = |name: &str, default: f64| {
        let v = field(name);
        if v.is_undefined() { default } else { v.as_f64().unwrap_or(f64::NAN) }
    };
    Ok(RunConfig::from_loose(
        &text("mode", ""),
        number("threads", f64::NAN),
        number("total", f64::NAN),
    )?
    .with_loose_gil(
        field("gil").is_truthy(),
        number("switchIntervalMs", crate::gil::DEFAULT_SWITCH_INTERVAL_MS),
        &text("safePoints", crate::gil::SafePoints::default().name()),
    )?
    .with_layout(text("layout", Layout::default().name()).parse()?))
}

/// Checks `settings` and starts the run on the pool. Returns at once; see [`poll`].
///
/// # Errors
/// A JS `Error` with `code` `malformed-settings`, `busy`, or one of [`ConfigError::code`].
#[wasm_bindgen]
pub fn start_run(settings: JsValue) -> Result<(), JsValue> {
    if !settings.is_object() {
        return Err(js_error(
            "malformed-settings",
            "The run settings must be an object with a mode, threads and a total.",
        ));
    }
    let config = self::settings(&settings).map_err(|err| config_error(&err))?;
    let run = Arc::new(Run::new(config, &Pool).map_err(|err| config_error(&err))?);
    {
        let mut current = lock(&CURRENT);
        if current.is_some() {
            return Err(js_error("busy", "A run is already under way: wait for it to finish."));
        }
        *current = Some(Arc::clone(&run));
    }
    Pool::spawn(move || {
        let report = run.execute(&Pool, &WorkerClock::new());
        *lock(&FINISHED) = Some(report);
        *lock(&CURRENT) = None;
    });
    Ok(())
}

/// The state of the engine: `{ state: "idle" }`, `{ state: "running", progress: [...] }`,
/// `{ state: "done", report }` (once) or `{ state: "panicked", message }`.
#[wasm_bindgen]
pub fn poll() -> JsValue {
    #[derive(Serialize)]
    #[serde(tag = "state", rename_all = "lowercase")]
    enum State {
        Idle,
        Running { progress: Vec<u64> },
        Done { report: RunReport },
        Panicked { message: String },
    }
    let mut timeline = Vec::new();
    let state = if let Some(message) = lock(&PANIC).clone() {
        State::Panicked { message }
    } else if let Some(mut report) = lock(&FINISHED).take() {
        timeline = std::mem::take(&mut report.timeline);
        State::Done { report }
    } else if let Some(run) = lock(&CURRENT).as_ref() {
        State::Running { progress: run.progress() }
    } else {
        State::Idle
    };
    let value = to_js(&state);
    if !timeline.is_empty() {
        let report =
            js_sys::Reflect::get(&value, &"report".into()).expect("a done state has a report");
        let _ = js_sys::Reflect::set(&report, &"timeline".into(), &timeline_to_js(&timeline));
    }
    value
}

/// Each thread's log as typed arrays (`t_ns`, `code`, `switch_number`, `value`), which the
/// host posts to the page without copying event by event; the rest as plain objects.
fn timeline_to_js(timeline: &[crate::timeline::ThreadTimeline]) -> js_sys::Array {
    timeline
        .iter()
        .map(|thread| {
            let column = |f: fn(&crate::timeline::Event) -> f64| {
                let values: Vec<f64> = thread.events.iter().map(f).collect();
                js_sys::Float64Array::from(&values[..])
            };
            let codes: Vec<u8> = thread.events.iter().map(|e| e.code()).collect();
            #[derive(Serialize)]
            struct Rest<'a> {
                dropped: u64,
                state_ns: &'a crate::timeline::StateTimes,
                counts: &'a crate::timeline::Counts,
            }
            let object = to_js(&Rest {
                dropped: thread.dropped,
                state_ns: &thread.state_ns,
                counts: &thread.counts,
            });
            let set = |key: &str, value: &JsValue| {
                let _ = js_sys::Reflect::set(&object, &key.into(), value);
            };
            set("t_ns", &column(|e| e.t_ns as f64));
            set("code", &js_sys::Uint8Array::from(&codes[..]));
            set("switch_number", &column(|e| e.switch_number as f64));
            set("value", &column(|e| e.value as f64));
            object
        })
        .collect()
}

/// Panics on a pool thread on purpose: lets the tests check that a panic reaches the page.
#[wasm_bindgen]
pub fn panic_in_pool(message: String) {
    Pool::spawn(move || panic!("{message}"));
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn to_js<T: Serialize>(value: &T) -> JsValue {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .expect("reports hold only numbers, strings and lists")
}

fn js_error(code: &str, message: &str) -> JsValue {
    let error = js_sys::Error::new(message);
    let _ = js_sys::Reflect::set(&error, &"code".into(), &code.into());
    error.into()
}

fn config_error(err: &ConfigError) -> JsValue {
    js_error(err.code(), &err.to_string())
}

/// The `performance` object of whichever worker this thread is.
fn worker_performance() -> web_sys::Performance {
    let scope: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
    scope.performance().expect("workers have performance")
}

/// Time from the worker's `performance`, shifted to the host worker's time origin so that
/// readings from different workers (each with its own origin) are comparable.
struct WorkerClock {
    base_origin_ms: f64,
}

impl WorkerClock {
    fn new() -> Self {
        WorkerClock { base_origin_ms: *lock(&BASE_ORIGIN_MS) }
    }
}

thread_local! {
    /// This thread's `performance` and its offset from the host's time origin.
    static PERFORMANCE: web_sys::Performance = worker_performance();
}

impl Clock for WorkerClock {
    fn now_ns(&self) -> u64 {
        PERFORMANCE.with(|p| {
            let ms = p.time_origin() - self.base_origin_ms + p.now();
            (ms.max(0.0) * 1e6) as u64
        })
    }
}

/// The threads of a run: wasm-bindgen-rayon's pool of web workers, built once by
/// `initThreadPool`. A broadcast reaches every pool thread; the first `n` run the body, so
/// exactly `n` distinct threads run at once.
#[cfg(feature = "threads")]
struct Pool;

#[cfg(feature = "threads")]
impl Pool {
    fn spawn(job: impl FnOnce() + Send + 'static) {
        rayon::spawn(job);
    }
}

#[cfg(feature = "threads")]
impl ThreadTeam for Pool {
    fn capacity(&self) -> usize {
        rayon::current_num_threads()
    }

    fn run(&self, n: usize, body: &(dyn Fn(usize) + Sync)) {
        rayon::broadcast(|context| {
            if context.index() < n {
                body(context.index());
            }
        });
    }
}

/// The single-threaded fallback build: the host worker's own thread, one at a time.
#[cfg(not(feature = "threads"))]
struct Pool;

#[cfg(not(feature = "threads"))]
impl Pool {
    fn spawn(job: impl FnOnce() + Send + 'static) {
        job();
    }
}

#[cfg(not(feature = "threads"))]
impl ThreadTeam for Pool {
    fn capacity(&self) -> usize {
        1
    }

    fn run(&self, n: usize, body: &(dyn Fn(usize) + Sync)) {
        debug_assert_eq!(n, 1);
        body(0);
    }
}
