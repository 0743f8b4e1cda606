// Runs on the page: the one place that owns what the engine is doing, mirrored into
// `body[data-engine]` (which styles and tests read) and announced to whoever listens.
//   preparing   the page reloads once to become cross-origin isolated
//   starting    the worker, the wasm module and the threads are loading
//   ready       idle, a run may start
//   busy        a run (or a matrix, a sweep) is under way
//   failed      the engine died; it can be restarted
//   unavailable nothing can run here (file://)
//   still       a still frame (a deck's speaker view or print): no engine on purpose

const STATES = new Set(['preparing', 'starting', 'ready', 'busy', 'failed', 'unavailable', 'still']);

export class EngineStatus {
  constructor(body = document.body) {
    this.body = body;
    this.listeners = [];
    this.state = null;
  }

  set(state) {
    if (!STATES.has(state)) throw new Error(`unknown engine state ${state}`);
    if (state === this.state) return;
    this.state = state;
    this.body.dataset.engine = state;
    if (state === 'ready') this.body.dataset.readyAt = String(performance.now());
    for (const listener of this.listeners) listener(state);
  }

  /** Whether a run may start now. */
  get canRun() {
    return this.state === 'ready';
  }

  get busy() {
    return this.state === 'busy';
  }

  onChange(listener) {
    this.listeners.push(listener);
  }
}
