//! The thin wasm-bindgen boundary the page's host worker calls (compiled for wasm32 only).
//!
//! The host worker owns this module and the thread pool. A run never blocks it: `start_run`
//! checks the settings, hands the run to the pool and returns; the host then polls `poll` for
//! progress and the result, so it stays free to report errors from the pool's workers.
//! Settings come in and reports go out as plain JS objects (serde-wasm-bindgen); every error
//! leaves as a JS `Error` with a stable `code` and a message meant for the user.
//!
//! A `processes` run has two sides here: the host's engine prepares it (`start_processes`),
//! gives out each worker's job (`process_job`) and makes the report (`finish_processes`); each
//! process is a web worker with an instance of its own (of the same build, so it counts with
//! the same instructions as a thread) that says it is ready (`process_ready`) and runs its job
//! on its own thread (`run_job`).

use std::sync::{Arc, Mutex};

use serde::Serialize;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::error::SettingsError;
use crate::info::{Tables, tables};
use crate::measure::clock::Clock;
use crate::model::execution::Model;
use crate::model::interp::WriteBack;
use crate::model::mode::{Mode, make_numbers};
use crate::run::Run;
use crate::run::processes::{Child, WorkerResult, job, mark_engine, report};
use crate::run::report::{EngineTimes, RunReport};
use crate::run::team::{CurrentThread, ThreadTeam, name_instance};
use crate::settings::{NAMES, Raw, Settings};

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
/// How racy increments write back in this engine, unless a run asks for one.
static WRITE: Mutex<WriteBack> = Mutex::new(WriteBack::Store);
/// The `processes` run being prepared by the host's engine: its settings and numbers.
static PROCESSES: Mutex<Option<(Settings, Option<Vec<u32>>)>> = Mutex::new(None);
/// A process worker between saying it is ready and getting its job.
static CHILD: Mutex<Option<Child>> = Mutex::new(None);

/// Prepares the module: installs the panic hook and fixes the clock's base. Call once, in the
/// host worker, before anything else.
#[wasm_bindgen]
pub fn setup() {
    *lock(&BASE_ORIGIN_MS) = worker_performance().time_origin();
    // A wasm instance has no process id: a random number names its memory in reports (below
    // 2^53, so that it stays exact as a JS number).
    name_instance(1 + (js_sys::Math::random() * 9e15) as u64);
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

/// What the page needs to know about this build: its pool, how it writes back, and the
/// engine's tables (every setting with its choices and limits, each mode's entry…).
#[wasm_bindgen]
pub fn engine_info() -> JsValue {
    #[derive(Serialize)]
    struct Info {
        pool_size: usize,
        threaded: bool,
        write: WriteBack,
        #[serde(flatten)]
        tables: Tables,
    }
    to_js(&Info {
        pool_size: Pool.capacity(),
        threaded: cfg!(feature = "threads"),
        write: *lock(&WRITE),
        tables: tables(Pool.capacity()),
    })
}

/// Reads a link's settings: `pairs` is an array of `[key, value]` (page options already taken
/// out). Returns `{ settings, notices }`: out-of-range values clamped, nonsense left at its
/// default, each with a notice in words.
#[wasm_bindgen]
pub fn read_link(pairs: js_sys::Array) -> JsValue {
    let pairs: Vec<(String, String)> = pairs
        .iter()
        .map(|pair| {
            let pair: js_sys::Array = pair.unchecked_into();
            (
                pair.get(0).as_string().unwrap_or_default(),
                pair.get(1).as_string().unwrap_or_default(),
            )
        })
        .collect();
    let (settings, notices) =
        Settings::from_link(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())), Pool.capacity());
    #[derive(Serialize)]
    struct Reading {
        settings: Settings,
        notices: Vec<String>,
    }
    to_js(&Reading { settings, notices })
}

/// Checks settings a program sent (`changes`, applied over `current`): returns the complete
/// settings, or throws an `Error` with a `code` and a message in words.
///
/// # Errors
/// A JS `Error` with one of [`SettingsError::code`].
#[wasm_bindgen]
pub fn check_settings(changes: JsValue, current: JsValue) -> Result<JsValue, JsValue> {
    let base =
        program_settings(&current, default_settings()).unwrap_or_else(|_| default_settings());
    let settings = program_settings(&changes, base).map_err(|err| settings_error(&err))?;
    Ok(to_js(&settings))
}

/// Settings for this engine when a program names none: the schema's defaults, within the pool.
fn default_settings() -> Settings {
    Settings { threads: Settings::default().threads.min(Pool.capacity()), ..Settings::default() }
}

/// Applies a program's settings object over `base`, strictly: any unknown name, wrong type
/// or value out of range is refused in words (the core's own checks).
fn program_settings(value: &JsValue, base: Settings) -> Result<Settings, SettingsError> {
    if !value.is_object() || js_sys::Array::is_array(value) {
        return Err(SettingsError::NotAnObject);
    }
    let mut settings = base;
    for entry in js_sys::Object::entries(value.unchecked_ref()).iter() {
        let entry: js_sys::Array = entry.unchecked_into();
        let name = entry.get(0).as_string().unwrap_or_default();
        let value = entry.get(1);
        let text;
        let raw = if let Some(s) = value.as_string() {
            text = s;
            Raw::Text(&text)
        } else if let Some(n) = value.as_f64() {
            text = js_sys::Number::from(n)
                .to_string_with_radix(10)
                .map(String::from)
                .unwrap_or_default();
            Raw::Number { value: n, text: &text }
        } else if let Some(b) = value.as_bool() {
            Raw::Bool(b)
        } else {
            return Err(match NAMES.iter().find(|&&known| known == name) {
                Some(setting) => SettingsError::WrongType { setting },
                None => SettingsError::UnknownSetting { name, known: NAMES.to_vec() },
            });
        };
        settings.set(&name, raw, Pool.capacity())?;
    }
    Ok(settings)
}

/// Checks `settings` and starts the run on the pool. Returns at once; see [`poll`].
///
/// # Errors
/// A JS `Error` with code `busy`, or one of [`SettingsError::code`].
#[wasm_bindgen]
pub fn start_run(settings: JsValue) -> Result<(), JsValue> {
    let mut settings =
        program_settings(&settings, default_settings()).map_err(|err| settings_error(&err))?;
    settings.write = Some(settings.write.unwrap_or(*lock(&WRITE)));
    let run = Arc::new(Run::new(settings, &Pool).map_err(|err| settings_error(&err))?);
    {
        let mut current = lock(&CURRENT);
        if current.is_some() {
            return Err(js_error("busy", "A run is already under way: wait for it to finish."));
        }
        *current = Some(Arc::clone(&run));
    }
    Pool::spawn(move || {
        let report = run.execute(&Pool, &WorkerClock::new());
        // Both under CURRENT's lock: once `poll` hands out the report, a new run can start
        // (WebKit under load preempted this thread between the two and refused the next run).
        let mut current = lock(&CURRENT);
        *lock(&FINISHED) = Some(report);
        *current = None;
        drop(current);
        Pool::signal_done();
    });
    Ok(())
}

/// The events each thread of the run under way has published since `cursors[thread]` (how
/// many the caller has read): per thread `{ t_ns, code, value }` as typed arrays, times on
/// the host's clock. Empty when no run is under way.
#[wasm_bindgen]
pub fn poll_live(cursors: Vec<u32>) -> js_sys::Array {
    let Some(run) = lock(&CURRENT).clone() else {
        return js_sys::Array::new();
    };
    let from: Vec<usize> = cursors.iter().map(|&c| c as usize).collect();
    run.live_since(&from)
        .into_iter()
        .map(|(t_ns, code, value)| {
            let object = js_sys::Object::new();
            let times: Vec<f64> = t_ns.iter().map(|&t| t as f64).collect();
            let values: Vec<f64> = value.iter().map(|&v| v as f64).collect();
            let set = |key: &str, v: &JsValue| {
                let _ = js_sys::Reflect::set(&object, &key.into(), v);
            };
            set("t_ns", &js_sys::Float64Array::from(&times[..]).into());
            set("code", &js_sys::Uint8Array::from(&code[..]).into());
            set("value", &js_sys::Float64Array::from(&values[..]).into());
            JsValue::from(object)
        })
        .collect()
}

/// Prepares a `processes` run of `settings` (checked as every run's are), makes its numbers and
/// marks this memory; returns the complete settings. The host then starts the workers.
///
/// # Errors
/// A JS `Error` with one of [`SettingsError::code`].
#[wasm_bindgen]
pub fn start_processes(settings: JsValue) -> Result<JsValue, JsValue> {
    let mut settings =
        program_settings(&settings, default_settings()).map_err(|err| settings_error(&err))?;
    settings.write = Some(settings.write.unwrap_or(*lock(&WRITE)));
    settings.validate(Pool.capacity()).map_err(|err| settings_error(&err))?;
    debug_assert_eq!(settings.model, Model::Processes);
    let numbers = (settings.mode == Mode::Sum).then(|| make_numbers(settings.size));
    mark_engine();
    let complete = to_js(&settings);
    *lock(&PROCESSES) = Some((settings, numbers));
    Ok(complete)
}

/// The job of worker `index` of the prepared `processes` run: `{ settings, numbers }`, its
/// numbers copied out of this memory into a buffer of their own.
#[wasm_bindgen]
pub fn process_job(index: usize) -> JsValue {
    let prepared = lock(&PROCESSES);
    let (settings, numbers) = prepared.as_ref().expect("a processes run is prepared");
    let job = job(settings, numbers.as_deref(), index);
    let out = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&out, &"settings".into(), &to_js(&job.settings));
    let _ = js_sys::Reflect::set(
        &out,
        &"numbers".into(),
        &js_sys::Uint32Array::from(&job.numbers[..]).into(),
    );
    out.into()
}

/// The report of the prepared `processes` run from its workers' `results` and the host's
/// clock readings (milliseconds on its `performance.now()`, which is this engine's clock).
///
/// # Errors
/// A JS `Error` if a result is not one a worker sends.
#[wasm_bindgen]
pub fn finish_processes(
    started_ms: f64,
    go_ms: f64,
    collected_ms: f64,
    results: js_sys::Array,
) -> Result<JsValue, JsValue> {
    let (settings, numbers) = lock(&PROCESSES).take().expect("a processes run is prepared");
    let results = results
        .iter()
        .map(|numbers| {
            let numbers: js_sys::Float64Array = numbers.dyn_into().ok()?;
            WorkerResult::from_numbers(&numbers.to_vec())
        })
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| js_error("bad-result", "A process sent something that is not a result."))?;
    let ns = |ms: f64| (ms.max(0.0) * 1e6) as u64;
    let engine = EngineTimes {
        started_ns: ns(started_ms),
        go_ns: ns(go_ms),
        collected_ns: ns(collected_ms),
    };
    let bytes = 4 * numbers.as_ref().map_or(0, |n| n.len() as u64);
    Ok(report_to_js(report(&settings, numbers.as_deref(), engine, results, bytes)))
}

/// A process worker's first call (after `setup`): reads time on the host's clock from now on
/// (`host_origin_ms`: its `performance.timeOrigin`), and marks its memory as worker `index`.
#[wasm_bindgen]
pub fn process_ready(index: usize, host_origin_ms: f64) {
    *lock(&BASE_ORIGIN_MS) = host_origin_ms;
    *lock(&CHILD) = Some(Child::ready(index, &WorkerClock::new()));
}

/// Runs a process worker's job (`settings`, and its `numbers`, copied into this memory by the
/// call) and returns its result as numbers (see [`WorkerResult::to_numbers`]), with the size
/// of this instance's memory.
///
/// # Errors
/// A JS `Error` with one of [`SettingsError::code`].
#[wasm_bindgen]
pub fn run_job(settings: JsValue, numbers: Vec<u32>) -> Result<Vec<f64>, JsValue> {
    let settings =
        program_settings(&settings, default_settings()).map_err(|err| settings_error(&err))?;
    let child = lock(&CHILD).take().expect("a process says it is ready before its job");
    // The process's own thread: in the threaded build its pool is never started.
    let mut result = child
        .run(settings, numbers, &CurrentThread, &WorkerClock::new())
        .map_err(|err| settings_error(&err))?;
    let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    let buffer: js_sys::ArrayBuffer = memory.buffer().unchecked_into();
    result.place.memory_bytes = Some(u64::from(buffer.byte_length()));
    Ok(result.to_numbers())
}

/// Asks the run under way, if any, to stop: its threads end within a block of iterations
/// and the report counts what ran (`stopped: true`).
#[wasm_bindgen]
pub fn stop_run() {
    if let Some(run) = lock(&CURRENT).as_ref() {
        run.stop();
    }
}

/// Uses `write` (a name of the `write` setting) for runs that do not name one: the host
/// worker measures both write-backs when the engine starts and sets the faster.
///
/// # Errors
/// A JS `Error` if `write` is not a write-back's name.
#[wasm_bindgen]
pub fn set_write(write: &str) -> Result<(), JsValue> {
    *lock(&WRITE) = write.parse().map_err(|err| settings_error(&err))?;
    Ok(())
}

/// A one-element view of the counter a finished run increments and notifies, so the host can
/// `Atomics.waitAsync` on it instead of polling (`None` in the single-threaded build).
#[wasm_bindgen]
pub fn done_signal() -> Option<js_sys::Int32Array> {
    Pool::done_signal()
}

/// The state of the engine: `{ state: "idle" }`, `{ state: "running", progress: [...] }`,
/// `{ state: "done", report }` (once) or `{ state: "panicked", message }`.
#[wasm_bindgen]
pub fn poll() -> JsValue {
    #[derive(Serialize)]
    #[serde(tag = "state", rename_all = "lowercase")]
    enum State {
        Idle,
        Running {
            progress: Vec<u64>,
            shares: Vec<u64>,
        },
        /// The report is added as it is (see [`report_to_js`]).
        Done,
        Panicked {
            message: String,
        },
    }
    let state = if let Some(message) = lock(&PANIC).clone() {
        State::Panicked { message }
    } else if let Some(report) = lock(&FINISHED).take() {
        let value = to_js(&State::Done);
        let _ = js_sys::Reflect::set(&value, &"report".into(), &report_to_js(report));
        return value;
    } else if let Some(run) = lock(&CURRENT).as_ref() {
        State::Running { progress: run.progress(), shares: run.settings().shares() }
    } else {
        State::Idle
    };
    to_js(&state)
}

/// A report as a JS object, its event logs as typed arrays (see [`timeline_to_js`]).
fn report_to_js(mut report: RunReport) -> JsValue {
    let timeline = std::mem::take(&mut report.timeline);
    let value = to_js(&report);
    let _ = js_sys::Reflect::set(&value, &"timeline".into(), &timeline_to_js(&timeline));
    value
}

/// Each thread's log as typed arrays (`t_ns`, `code`, `switch_number`, `value`), which the
/// host posts to the page without copying event by event; the rest as plain objects.
fn timeline_to_js(timeline: &[crate::measure::timeline::ThreadTimeline]) -> js_sys::Array {
    timeline
        .iter()
        .map(|thread| {
            let column = |f: fn(&crate::measure::timeline::Event) -> f64| {
                let values: Vec<f64> = thread.events.iter().map(f).collect();
                js_sys::Float64Array::from(&values[..])
            };
            let codes: Vec<u8> = thread.events.iter().map(|e| e.code()).collect();
            #[derive(Serialize)]
            struct Rest<'a> {
                dropped: u64,
                state_ns: &'a crate::measure::timeline::StateTimes,
                counts: &'a crate::measure::timeline::Counts,
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

/// The step-through after `choices` (thread indices), replayed from the start: `settings`
/// gives the GIL, the statement and the mode (whether under a lock); `threads` is 2 or 3.
///
/// # Errors
/// A JS `Error` with one of [`SettingsError::code`].
#[wasm_bindgen]
pub fn step_replay(settings: JsValue, threads: u32, choices: Vec<u32>) -> Result<JsValue, JsValue> {
    let settings =
        program_settings(&settings, default_settings()).map_err(|err| settings_error(&err))?;
    let choices: Vec<usize> = choices.into_iter().map(|c| c as usize).collect();
    Ok(to_js(&crate::model::stepper::replay(
        settings.gil,
        settings.statement,
        settings.mode.spec().locks,
        threads as usize,
        &choices,
    )))
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

fn settings_error(err: &SettingsError) -> JsValue {
    js_error(&err.code(), &err.to_string())
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

    /// Without shared memory a worker cannot block (std's sleep would trap): the only thread
    /// waits on the clock, which takes the same time, with no other thread to run meanwhile.
    #[cfg(not(target_feature = "atomics"))]
    fn sleep(&self, duration: std::time::Duration) {
        let end = self.now_ns() + duration.as_nanos() as u64;
        while self.now_ns() < end {
            std::hint::spin_loop();
        }
    }
}

/// The threads of a run: wasm-bindgen-rayon's pool of web workers, built once by
/// `initThreadPool`. A broadcast reaches every pool thread; the first `n` run the body, so
/// exactly `n` distinct threads run at once.
#[cfg(feature = "threads")]
struct Pool;

/// Incremented and notified each time a run finishes (see [`done_signal`]).
#[cfg(feature = "threads")]
static DONE: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

#[cfg(feature = "threads")]
impl Pool {
    fn spawn(job: impl FnOnce() + Send + 'static) {
        rayon::spawn(job);
    }

    fn signal_done() {
        DONE.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if let Some(view) = Pool::done_signal() {
            let _ = js_sys::Atomics::notify(&view, 0);
        }
    }

    fn done_signal() -> Option<js_sys::Int32Array> {
        let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
        Some(js_sys::Int32Array::new_with_byte_offset_and_length(
            &memory.buffer(),
            DONE.as_ptr() as u32,
            1,
        ))
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

    /// Runs finish before `start_run` returns here: nothing to wait for.
    fn signal_done() {}

    fn done_signal() -> Option<js_sys::Int32Array> {
        None
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
