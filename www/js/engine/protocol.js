// The protocol between the page (engine/client.js) and the host worker (engine/host.js), defined
// once here. Messages are prefixed `engine:` so they cannot clash with wasm-bindgen-rayon's own
// (`wasm_bindgen_worker_…`) or with the embed API's public `gil:` messages (embed/protocol.js).
//
// page -> host                                   host -> page
//   init { poolSize, flavor, link, cores }          ready { info, link, timeOrigin }
//     link: the URL's [key, value] setting pairs       link: { settings, notices } (read by the engine)
//     cores: what the browser reports                  info.calibration: write-back and scaling measured
//                                                      info.pool_start_ms: how long the pool took to start
//   run { id, settings }                            progress { id, progress, shares, live }
//                                                     live: each thread's new events (typed arrays)
//                                                   done { id, report }
//   check { id, changes, current }                  checked { id, settings }
//   step { id, settings, threads, choices }         stepped { id, state } (the step-through)
//   stop {}   (the run under way ends early; its done message says stopped)
//   debugPanic { message }   (tests)                error { id?, code, message, fatal }
export const MSG = Object.freeze({
  init: 'engine:init',
  ready: 'engine:ready',
  run: 'engine:run',
  progress: 'engine:progress',
  done: 'engine:done',
  check: 'engine:check',
  checked: 'engine:checked',
  step: 'engine:step',
  stop: 'engine:stop',
  stepped: 'engine:stepped',
  error: 'engine:error',
  debugPanic: 'engine:debug-panic',
});

// Errors after which the engine cannot be trusted: its threads may be dead or stuck.
export const FATAL_CODES = new Set(['panic', 'worker-error', 'init-failed', 'init-timeout', 'engine-lost']);
