// Runs on the page's main thread: the client of the host worker (engine/host.js, messages in
// engine/protocol.js). Turns messages into promises, notices when the engine dies (panic,
// worker error, no answer at start-up) and can restart it. It never waits forever: a run is
// answered, fails, or the page can stop it by restarting the engine.
import { MSG, FATAL_CODES } from './protocol.js';

const INIT_TIMEOUT_MS = 30_000;

/** An error from the engine, with a stable code and a message meant for the user. */
export class EngineError extends Error {
  constructor(code, message, fatal = FATAL_CODES.has(code)) {
    super(message);
    this.name = 'EngineError';
    this.code = code;
    this.fatal = fatal;
  }
}

export class Engine {
  /**
   * @param {object} options
   * @param {number} options.poolSize threads in the pool (built once, cannot be resized)
   * @param {'threads'|'single'} [options.flavor] the threaded build, or the 1-thread fallback
   * @param {(progress: number[], shares: number[], live: object[]) => void} [options.onProgress]
   * @param {(error: EngineError) => void} [options.onFatal] the engine died
   */
  constructor({ poolSize, flavor = 'threads', onProgress = () => {}, onFatal = () => {} }) {
    this.poolSize = poolSize;
    this.flavor = flavor;
    this.onProgress = onProgress;
    this.onFatal = onFatal;
    this.worker = null;
    this.info = null;
    this.pending = new Map();
    this.nextId = 1;
    this.broken = null;
    this.hostClockOffsetMs = 0;
  }

  /**
   * Starts the host worker and the thread pool; resolves with `{ info, link }`: the engine's
   * info (settings schema, modes, pool) and the link's settings as the engine read them.
   * @param {[string, string][]} link the URL's setting pairs
   */
  start(link = this.link ?? []) {
    this.terminate();
    this.broken = null;
    this.link = link;
    // The flavour travels in the URL too, so the worker starts loading its build at once.
    const script = new URL('./host.js', import.meta.url);
    script.searchParams.set('flavor', this.flavor);
    const worker = new Worker(script, { type: 'module' });
    this.worker = worker;
    const ready = new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => this.die(new EngineError('init-timeout',
          `The engine did not start within ${INIT_TIMEOUT_MS / 1000} s.`)),
        INIT_TIMEOUT_MS);
      this.pending.set('init', {
        resolve: (info) => { clearTimeout(timer); resolve(info); },
        reject: (err) => { clearTimeout(timer); reject(err); },
      });
    });
    worker.addEventListener('message', ({ data }) => this.receive(data));
    worker.addEventListener('error', (event) => {
      event.preventDefault();
      this.die(new EngineError('engine-lost',
        `The engine's worker could not run: ${event.message || 'it failed to load'}.`));
    });
    worker.postMessage({ type: MSG.init, poolSize: this.poolSize, flavor: this.flavor, link,
      cores: navigator.hardwareConcurrency || null });
    return ready;
  }

  /** Runs one workload; resolves with the report, rejects with an EngineError. */
  run(settings) {
    return this.request(MSG.run, { settings });
  }

  /**
   * Checks settings a program sent (`changes` over `current`) with the engine's own rules;
   * resolves with complete settings, rejects with an EngineError saying what is wrong.
   */
  check(changes, current) {
    return this.request(MSG.check, { changes, current });
  }

  /**
   * The step-through after `choices` (thread indices) with `settings`' GIL, statement and
   * mode, for `threads` threads (2 or 3); resolves with the state the engine replayed.
   */
  step(settings, threads, choices) {
    return this.request(MSG.step, { settings, threads, choices });
  }

  /** Sends a request answered by one message with the same id. */
  request(type, body) {
    if (this.broken) return Promise.reject(this.broken);
    if (!this.info) return Promise.reject(new EngineError('not-ready', 'The engine is still starting.', false));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ type, id, ...body });
    });
  }

  /** Makes a pool thread panic on purpose (tests and the demo of error handling). */
  debugPanic(message = 'deliberate test panic') {
    this.worker?.postMessage({ type: MSG.debugPanic, message });
  }

  /** Stops everything, including a run under way, and starts afresh. */
  restart() {
    return this.start(this.link);
  }

  /** Asks the run under way to stop: it ends soon, and its report says it was stopped. */
  stopRun() {
    this.worker?.postMessage({ type: MSG.stop });
  }

  /** Ends the worker and everything in it (a run, the pool); rejects what was pending. */
  terminate() {
    this.worker?.terminate();
    this.worker = null;
    this.info = null;
    this.rejectAll(new EngineError('engine-restarted', 'The engine was restarted.', false));
  }

  receive(data) {
    switch (data?.type) {
      case MSG.ready:
        this.info = data.info;
        this.hostClockOffsetMs = data.timeOrigin - performance.timeOrigin;
        return this.settle('init', (p) => p.resolve({ info: data.info, link: data.link }));
      case MSG.progress:
        return this.onProgress(data.progress, data.shares, data.live ?? []);
      case MSG.done:
        return this.settle(data.id, (p) => p.resolve(data.report));
      case MSG.checked:
        return this.settle(data.id, (p) => p.resolve(data.settings));
      case MSG.stepped:
        return this.settle(data.id, (p) => p.resolve(data.state));
      case MSG.error: {
        const error = new EngineError(data.code, data.message, data.fatal);
        if (error.fatal) return this.die(error);
        return this.settle(data.id, (p) => p.reject(error));
      }
    }
  }

  settle(id, action) {
    const pending = this.pending.get(id);
    this.pending.delete(id);
    if (pending) action(pending);
  }

  die(error) {
    if (this.broken) return;
    this.broken = error;
    this.rejectAll(error);
    this.onFatal(error);
  }

  rejectAll(error) {
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(error);
  }
}
