// Shared by the page (engine.js) and the host worker (engine-host.js): the names of the
// messages between them. Prefixed so they cannot clash with wasm-bindgen-rayon's own.
export const MSG = Object.freeze({
  init: 'gil:init', // page -> host: { poolSize, }
  ready: 'gil:ready', // host -> page: { info } (pool size, modes, limits)
  run: 'gil:run', // page -> host: { id, settings }
  progress: 'gil:progress', // host -> page: { id, progress: [per-thread increments] }
  done: 'gil:done', // host -> page: { id, report }
  error: 'gil:error', // host -> page: { id?, code, message, fatal }
  debugPanic: 'gil:debug-panic', // page -> host: make a pool thread panic (tests)
});

// Errors after which the engine cannot be trusted: its threads may be dead or stuck.
export const FATAL_CODES = new Set(['panic', 'worker-error', 'init-failed', 'init-timeout', 'engine-lost']);
