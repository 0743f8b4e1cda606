// The host worker's side of a `processes` run (a module of host.js, in the host worker): each
// process is a web worker started fresh for this run (nested in the host worker), with its own
// instance of the engine's wasm build and a memory no one else is given (engine/process.js),
// so nothing is shared and nothing can race. The host's engine prepares the run and makes the report; jobs go out and
// results come back by postMessage (structured clone: a real copy). Times are read on the
// host's performance.now(), which is the engine's clock; each worker reads the same clock.

let current = null;

/** How long the processes may take to start before the run fails in words (they take 20-40 ms
 * in Chromium here; Firefox under automation sometimes never runs a worker's script). */
const START_TIMEOUT_MS = 20_000;

/** Resolves with the first message of `type` from `worker`; rejects on its error. */
function answer(worker, type) {
  return new Promise((resolve, reject) => {
    worker.addEventListener('message', function listen({ data }) {
      if (data?.type === 'error') reject(Object.assign(new Error(data.message), { code: data.code }));
      else if (data?.type === type) resolve(data);
      else return;
      worker.removeEventListener('message', listen);
    });
    worker.addEventListener('error', (event) => {
      event.preventDefault();
      reject(new Error(`A process's worker failed: ${event.message || 'it did not load'}`));
    });
  });
}

/**
 * Runs `settings` (model: processes) with the host's engine `wasm` of build `flavor`: starts
 * one worker per process, sends each its job once all are ready, collects the results.
 * Resolves with the report; refused settings throw with their code, a stop with code `stopped`.
 */
export async function runProcesses(wasm, flavor, settings) {
  const checked = wasm.start_processes(settings);
  const workers = [];
  let stop;
  const stopped = new Promise((_, reject) => {
    stop = () => reject(Object.assign(
      new Error('Stopped: the run\'s processes were ended, so nothing they counted came back.'),
      { code: 'stopped' }));
  });
  current = { stop };
  try {
    const started = performance.now();
    for (let index = 0; index < checked.threads; index++) {
      const script = new URL('./process.js', import.meta.url);
      script.searchParams.set('worker', String(index));
      script.searchParams.set('origin', String(performance.timeOrigin));
      script.searchParams.set('flavor', flavor);
      workers.push(new Worker(script, { type: 'module' }));
    }
    let timer;
    const late = new Promise((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error(
        `A process's worker failed: it did not load within ${START_TIMEOUT_MS / 1000} s (the browser never ran its script). Run again.`),
      { code: 'process-failed' })), START_TIMEOUT_MS);
    });
    try {
      await Promise.race([Promise.all(workers.map((w) => answer(w, 'ready'))), stopped, late]);
    } finally {
      clearTimeout(timer);
    }
    const go = performance.now();
    const results = workers.map((worker, index) => {
      const result = answer(worker, 'result');
      worker.postMessage({ type: 'job', ...wasm.process_job(index) });
      return result;
    });
    const done = await Promise.race([Promise.all(results), stopped]);
    const collected = performance.now();
    return wasm.finish_processes(started, go, collected, done.map((d) => d.result));
  } finally {
    current = null;
    for (const worker of workers) worker.terminate();
  }
}

/** Ends the processes of the run under way, if any: it fails with code `stopped`. */
export function stopProcesses() {
  current?.stop();
  return Boolean(current);
}
