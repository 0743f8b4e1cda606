// The host worker (a module Worker the page starts): owns the wasm module and the rayon thread
// pool, so nothing that blocks (Atomics.wait, spinning) ever runs on the page's main thread. A
// run never blocks this worker either: it polls the module for progress and the result, and so
// stays free to report panics and errors from the pool's workers. Messages: engine/protocol.js.
// The "single" flavour loads the fallback build (no threads, no shared memory) for pages that
// cannot be cross-origin isolated; it runs every workload at 1 thread.
import { MSG } from './protocol.js';

/** The wasm package's exports, once loaded. */
let wasm = null;

// Start loading the build at once (the page names it in this script's URL), before the page's
// init message arrives.
const flavorInUrl = new URL(import.meta.url).searchParams.get('flavor');
const loading = { threads: null, single: null };
const load = (flavor) => (loading[flavor] ??= flavor === 'single'
  ? import('../../pkg-single/gil_playground.js')
  : import('../../pkg/gil_playground.js'));
if (flavorInUrl === 'threads' || flavorInUrl === 'single') load(flavorInUrl);

const POLL_MS = 4; // result latency only: every time is measured inside the threads
const PROGRESS_MS = 100;
const WATCH_AFTER_DEBUG_PANIC_MS = 10_000;

let runId = null;
let watchUntil = 0; // keep polling until then even with no run (debug panics)
let lastProgress = 0;
let polling = false;

const post = (type, body = {}) => self.postMessage({ type, ...body });

function fail(code, message) {
  post(MSG.error, { id: runId, code, message, fatal: true });
  runId = null;
  watchUntil = 0;
}

// An uncaught error in this worker, or one a pool worker below it did not handle.
self.addEventListener('error', (event) => {
  event.preventDefault();
  fail('worker-error', `The engine's worker failed: ${event.message || 'unknown error'}`);
});
self.addEventListener('unhandledrejection', (event) => {
  event.preventDefault();
  fail('worker-error', `The engine's worker failed: ${event.reason?.message ?? event.reason}`);
});

// Reports a panic if one happened; true if so.
function reportPanic(state) {
  if (state.state !== 'panicked') return false;
  fail('panic', `A thread panicked: ${state.message}`);
  return true;
}

function tick() {
  const state = wasm.poll();
  if (reportPanic(state)) {
    polling = false;
    return;
  }
  if (state.state === 'done') {
    // The event logs are typed arrays: hand their buffers over instead of copying them.
    const buffers = state.report.timeline.flatMap((t) => [t.t_ns, t.code, t.switch_number, t.value])
      .map((array) => array.buffer);
    self.postMessage({ type: MSG.done, id: runId, report: state.report }, buffers);
    runId = null;
  } else if (state.state === 'running' && performance.now() - lastProgress > PROGRESS_MS) {
    lastProgress = performance.now();
    post(MSG.progress, { id: runId, progress: state.progress, shares: state.shares });
  }
  if (runId === null && performance.now() > watchUntil) {
    polling = false;
    return;
  }
  setTimeout(tick, POLL_MS);
}

function startPolling() {
  if (!polling) {
    polling = true;
    lastProgress = performance.now();
    setTimeout(tick, POLL_MS);
  }
}

// V8 first runs wasm with its baseline compiler and swaps in optimized code for a function
// only after it has run hot for a while. These short runs, before the page is told the engine
// is ready, make sure a user's first measured run already uses optimized code (without them
// the first run of a session was up to 40% slower): every mode, and the racy kernel under each
// GIL version, as the engine lists them.
function warmUpRuns(info) {
  const choices = (name) => info.settings.find((f) => f.name === name).choices.map((c) => c.name);
  return [
    ...choices('mode').map((mode) => ({ mode, threads: 1, total: 1 << 18 })),
    ...choices('gil').map((gil) => ({ mode: 'racy', threads: 1, total: 1 << 20, gil })),
  ];
}

async function warmUp(info) {
  for (const settings of warmUpRuns(info)) {
    wasm.start_run(settings);
    for (;;) {
      const state = wasm.poll();
      if (state.state === 'done') break;
      if (state.state === 'panicked') throw new Error(`a thread panicked: ${state.message}`);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }
}

async function start({ poolSize, flavor, link }) {
  try {
    wasm = await load(flavor === 'single' ? 'single' : 'threads');
    await wasm.default();
    wasm.setup();
    if (wasm.initThreadPool) await wasm.initThreadPool(poolSize);
    const info = wasm.engine_info();
    await warmUp(info);
    post(MSG.ready, { info, link: wasm.read_link(link ?? []), timeOrigin: performance.timeOrigin });
  } catch (err) {
    fail('init-failed', `The engine could not start: ${err?.message ?? err}`);
  }
}

function run({ id, settings }) {
  runId = id;
  try {
    wasm.start_run(settings);
  } catch (err) {
    runId = null;
    if (err?.code) {
      // Refused settings: the engine is fine.
      post(MSG.error, { id, code: err.code, message: err.message, fatal: false });
    } else {
      // A trap: poll() has the panic text if a panic caused it.
      runId = id;
      if (!reportPanic(wasm.poll())) fail('worker-error', `The engine failed: ${err?.message ?? err}`);
    }
    return;
  }
  startPolling();
}

function check({ id, changes, current }) {
  try {
    post(MSG.checked, { id, settings: wasm.check_settings(changes, current) });
  } catch (err) {
    post(MSG.error, { id, code: err?.code ?? 'bad-settings', message: err?.message ?? String(err), fatal: false });
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
    case MSG.debugPanic:
      watchUntil = performance.now() + WATCH_AFTER_DEBUG_PANIC_MS;
      wasm.panic_in_pool(String(data.message));
      return startPolling();
  }
});
