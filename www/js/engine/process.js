// One process of a `processes` run: a web worker the host worker starts fresh for the run
// (engine/processes.js), with its own instance of the engine's wasm build: its own memory, its
// own emulated GIL, nothing shared with anyone. It says when it is ready, runs the one job it
// is sent on its own thread and posts its result back (structured clone: a copy).
//
// It loads the build the engine's threads run (`flavor`), so a process counts with the same
// instructions as a thread: the single-threaded build has no atomics, so its counters are
// plain loads and stores, several times faster here, a speed that has nothing to do with
// being a process. Its memory stays its own either way: no one else is given it.
const params = new URL(import.meta.url).searchParams;
const { default: init, setup, process_ready, run_job } = params.get('flavor') === 'single'
  ? await import('../../pkg-single/gil_playground.js')
  : await import('../../pkg/gil_playground.js');

self.addEventListener('message', ({ data }) => {
  if (data?.type !== 'job') return;
  try {
    self.postMessage({ type: 'result', result: run_job(data.settings, data.numbers) });
  } catch (err) {
    self.postMessage({ type: 'error', code: err?.code ?? 'process-failed', message: `A process failed: ${err?.message ?? err}` });
  }
});

try {
  await init();
  setup();
  process_ready(Number(params.get('worker')), Number(params.get('origin')));
  self.postMessage({ type: 'ready' });
} catch (err) {
  self.postMessage({ type: 'error', code: 'process-failed', message: `A process could not start: ${err?.message ?? err}` });
}
