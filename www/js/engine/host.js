// The host worker (a module Worker the page starts): owns the wasm module and the rayon thread
// pool, so nothing that blocks (Atomics.wait, spinning) ever runs on the page's main thread. A
// run never blocks this worker either: it polls the module for progress and the result, and so
// stays free to report panics and errors from the pool's workers. Messages: engine/protocol.js.
// The "single" flavour loads the fallback build (no threads, no shared memory) for pages that
// cannot be cross-origin isolated; it runs every workload at 1 thread. A `processes` run starts
// workers of its own from here (engine/processes.js): the host still owns the engine.
import { MSG } from './protocol.js';
import { runProcesses, stopProcesses } from './processes.js';

/** The wasm package's exports, once loaded, and which build they are ('threads', 'single'). */
let wasm = null;
let build = null;

// Start loading the build at once (the page names it in this script's URL), before the page's
// init message arrives.
const flavorInUrl = new URL(import.meta.url).searchParams.get('flavor');
const loading = { threads: null, single: null };
const load = (flavor) => (loading[flavor] ??= flavor === 'single'
  ? import('../../pkg-single/gil_playground.js')
  : import('../../pkg/gil_playground.js'));
if (flavorInUrl === 'threads' || flavorInUrl === 'single') load(flavorInUrl);

// Latency of the result only: every time is measured inside the threads. Where the browser has
// Atomics.waitAsync the host sleeps until the run signals its end instead of polling.
const POLL_MS = 10;
// Progress only for runs long enough to need it, and rarely: on a 2-core machine every repaint
// is taken from the threads being timed.
const FIRST_PROGRESS_MS = 500;
const PROGRESS_MS = 500;
const WATCH_AFTER_DEBUG_PANIC_MS = 10_000;

/** The engine's "a run finished" counter (threaded build), for Atomics.waitAsync. */
let doneSignal = null;
/** How many live events of each thread of the run under way the page has been sent. */
let live = [];
let busy = false;

const post = (type, body = {}) => self.postMessage({ type, ...body });

function fail(id, code, message) {
  post(MSG.error, { id, code, message, fatal: true });
}

// An uncaught error in this worker, or one a pool worker below it did not handle.
self.addEventListener('error', (event) => {
  event.preventDefault();
  fail(null, 'worker-error', `The engine's worker failed: ${event.message || 'unknown error'}`);
});
self.addEventListener('unhandledrejection', (event) => {
  event.preventDefault();
  fail(null, 'worker-error', `The engine's worker failed: ${event.reason?.message ?? event.reason}`);
});

/** Resolves when a run has finished since `seq` was read, or after `timeoutMs` at the latest. */
function waitForDone(seq, timeoutMs) {
  const timer = new Promise((resolve) => setTimeout(resolve, Math.min(POLL_MS, timeoutMs)));
  if (doneSignal && Atomics.waitAsync) {
    const wait = Atomics.waitAsync(doneSignal, 0, seq, timeoutMs);
    // A timer beside it: WebKitGTK under load fired waitAsync's timeout seconds late, which
    // left progress, live events and Stop unanswered meanwhile.
    return wait.async ? Promise.race([wait.value, timer]) : Promise.resolve(wait.value);
  }
  return timer;
}

/**
 * Starts `settings` and follows the run to its end: progress now and then, the report (or a
 * panic's text) at the end. `onProgress` is called for long runs; resolves with the report.
 * Throws refused settings as they are (with their `code`).
 */
async function runToEnd(settings, onProgress = () => {}) {
  const seq = doneSignal ? Atomics.load(doneSignal, 0) : 0;
  wasm.start_run(settings);
  live = [];
  let nextProgress = performance.now() + FIRST_PROGRESS_MS;
  for (;;) {
    const state = wasm.poll();
    if (state.state === 'panicked') throw Object.assign(new Error(`A thread panicked: ${state.message}`), { panic: true });
    if (state.state === 'done') return state.report;
    if (state.state === 'running' && performance.now() >= nextProgress) {
      onProgress(state);
      nextProgress = performance.now() + PROGRESS_MS;
    }
    await waitForDone(seq, Math.max(1, nextProgress - performance.now()));
  }
}

// V8 first runs wasm with its baseline compiler and swaps in optimized code for a function
// only after it has run hot for a while. These short runs, before the page is told the engine
// is ready, make sure a user's first measured run already uses optimized code (without them
// the first run of a session was up to 40% slower): every mode, and the racy kernel under each
// GIL version, as the engine lists them.
const choices = (info, name) => info.settings.find((f) => f.name === name).choices.map((c) => c.name);
async function warmUp(info) {
  for (const mode of choices(info, 'mode')) await runToEnd({ mode, threads: 1, total: 1 << 18 });
  for (const gil of choices(info, 'gil')) await runToEnd({ mode: 'racy', threads: 1, total: 1 << 20, gil });
}

const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];
const CALIBRATION_TOTAL = 2_000_000;

/**
 * Measures what this engine does fastest and how many threads it really runs at once:
 * - the write-back of a racy increment (store or swap), racy at 1 thread, interleaved: the
 *   faster becomes the engine's choice (engines differ: see interp.rs);
 * - private counters at 1 thread and at up to as many threads as the browser reports cores:
 *   the speedup says how many threads ran at once (browsers may clamp or invent core counts).
 */
async function calibrate(info, reportedCores, poolSize) {
  const writes = {};
  for (const write of choices(info, 'write')) writes[write] = [];
  const atomic = [];
  for (let round = 0; round < 3; round++) {
    for (const write of Object.keys(writes)) {
      writes[write].push((await runToEnd({ mode: 'racy', threads: 1, total: CALIBRATION_TOTAL, write })).wall_ms);
    }
    atomic.push((await runToEnd({ mode: 'atomic', threads: 1, total: CALIBRATION_TOTAL })).wall_ms);
  }
  const perWrite = Object.entries(writes).map(([write, ms]) => ({ write, ms: median(ms) }));
  const fastest = perWrite.reduce((a, b) => (b.ms < a.ms ? b : a));
  wasm.set_write(fastest.write);

  const most = Math.min(poolSize, Math.max(2, reportedCores || 2), 8);
  const counts = [...new Set([1, 2, most])].filter((n) => n <= poolSize);
  const times = Object.fromEntries(counts.map((n) => [n, []]));
  for (let round = 0; round < 2; round++) {
    for (const threads of counts) {
      times[threads].push((await runToEnd({ mode: 'private', threads, total: 4_000_000, write: fastest.write })).wall_ms);
    }
  }
  const one = median(times[1]);
  const scaling = counts.map((threads) => ({ threads, ms: median(times[threads]), speedup: one / median(times[threads]) }));
  const atomicMs = median(atomic);
  // What a choice's explanation should add in this engine, measured just now: { setting: { value: sentence } }.
  const notes = { mode: {} };
  if (atomicMs * 1.1 < fastest.ms) {
    notes.mode.atomic = `In this browser one atomic add is cheaper than the plain read and write a racy `
      + `increment needs (${atomicMs.toFixed(1)} ms against ${fastest.ms.toFixed(1)} ms for ${CALIBRATION_TOTAL / 1e6}M, `
      + 'measured when the engine started): this engine runs one locked add faster than a separate atomic load '
      + 'and store, so here atomic beats racy even at 1 thread. What sharing costs is still the 2-thread figure.';
  }
  return {
    total: CALIBRATION_TOTAL,
    write: fastest.write,
    writes: perWrite,
    atomic_ms: atomicMs,
    notes,
    scaling,
    // A speedup above the thread count is noise in the 1-thread run, not extra cores.
    parallelism: Math.max(...scaling.map((s) => Math.min(s.speedup, s.threads))),
  };
}

async function start({ poolSize, flavor, link, cores }) {
  try {
    build = flavor === 'single' ? 'single' : 'threads';
    wasm = await load(build);
    await wasm.default();
    wasm.setup();
    // The pool's workers start once, here: a `threads` run only wakes them (measured, so the
    // page can say what starting them cost).
    const poolStarted = performance.now();
    if (wasm.initThreadPool) await wasm.initThreadPool(poolSize);
    const poolStartMs = performance.now() - poolStarted;
    doneSignal = wasm.done_signal() ?? null;
    const info = wasm.engine_info();
    await warmUp(info);
    const calibration = await calibrate(info, cores, info.pool_size);
    post(MSG.ready, {
      info: { ...info, write: calibration.write, calibration, pool_start_ms: poolStartMs },
      link: wasm.read_link(link ?? []),
      timeOrigin: performance.timeOrigin,
    });
  } catch (err) {
    fail(null, 'init-failed', `The engine could not start: ${err?.message ?? err}`);
  }
}

async function run({ id, settings }) {
  if (busy) return post(MSG.error, { id, code: 'busy', message: 'A run is already under way: wait for it to finish.', fatal: false });
  busy = true;
  try {
    // The engine's own check says which model the settings ask for (refusals throw here).
    const report = wasm.check_settings(settings, {}).model === 'processes'
      ? await runProcesses(wasm, build, settings)
      : await runToEnd(settings, (state) => {
        // What each thread logged since the last progress: the page draws the timeline live.
        const batch = wasm.poll_live(Uint32Array.from(live));
        batch.forEach((events, i) => { live[i] = (live[i] ?? 0) + events.code.length; });
        const buffers = batch.flatMap((e) => [e.t_ns.buffer, e.code.buffer, e.value.buffer]);
        self.postMessage({ type: MSG.progress, id, progress: state.progress, shares: state.shares, live: batch }, buffers);
      });
    // The event logs are typed arrays: hand their buffers over instead of copying them.
    const buffers = report.timeline.flatMap((t) => [t.t_ns, t.code, t.switch_number, t.value]).map((a) => a.buffer);
    self.postMessage({ type: MSG.done, id, report }, buffers);
  } catch (err) {
    if (err?.code) {
      // Refused settings: the engine is fine.
      post(MSG.error, { id, code: err.code, message: err.message, fatal: false });
    } else if (err?.panic) {
      fail(id, 'panic', err.message);
    } else {
      // A trap: poll() has the panic text if a panic caused it.
      const state = wasm.poll();
      if (state.state === 'panicked') fail(id, 'panic', `A thread panicked: ${state.message}`);
      else fail(id, 'worker-error', `The engine failed: ${err?.message ?? err}`);
    }
  } finally {
    busy = false;
  }
}

function check({ id, changes, current }) {
  try {
    post(MSG.checked, { id, settings: wasm.check_settings(changes, current) });
  } catch (err) {
    post(MSG.error, { id, code: err?.code ?? 'bad-settings', message: err?.message ?? String(err), fatal: false });
  }
}

function step({ id, settings, threads, choices }) {
  try {
    post(MSG.stepped, { id, state: wasm.step_replay(settings, threads, Uint32Array.from(choices)) });
  } catch (err) {
    post(MSG.error, { id, code: err?.code ?? 'bad-settings', message: err?.message ?? String(err), fatal: false });
  }
}

/** After a deliberate panic (tests), watch for it for a while. */
async function debugPanic({ message }) {
  wasm.panic_in_pool(String(message));
  const until = performance.now() + WATCH_AFTER_DEBUG_PANIC_MS;
  while (performance.now() < until) {
    const state = wasm.poll();
    if (state.state === 'panicked') return fail(null, 'panic', `A thread panicked: ${state.message}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

self.addEventListener('message', ({ data }) => {
  switch (data?.type) {
    case MSG.init:
      return start(data);
    case MSG.run:
      return run(data);
    case MSG.check:
      return check(data);
    case MSG.step:
      return step(data);
    case MSG.stop:
      return stopProcesses() || wasm?.stop_run();
    case MSG.debugPanic:
      return debugPanic(data);
  }
});
