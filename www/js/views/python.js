// Runs on the page: the Python each mode stands for (from the seed talk's scripts), how its
// workers are started in the chosen execution model (threading, interpreters, processes), and the
// bytecode of `counter["value"] += 1` with the safe points of the chosen GIL version marked,
// i.e. where the (emulated) GIL may switch threads. Everything shown comes from the engine's
// tables (engine_info): the modes' Python, the listings and where drop requests are served.
import { h, fill } from './dom.js';

export class PythonPanel {
  constructor(root) {
    this.code = root.querySelector('[data-role=python-code]');
    this.title = root.querySelector('[data-role=bytecode-title]');
    this.list = root.querySelector('[data-role=bytecode]');
    this.weights = root.querySelector('[data-role=serve-weights]');
    this.info = null;
  }

  /** The engine's tables; shows `settings` with them. */
  useEngine(info, settings) {
    this.info = info;
    this.show(settings);
  }

  show({ mode, gil, statement = 'augmented', model = 'threads' }) {
    if (!this.info) return;
    const entry = this.info.modes.find((m) => m.name === mode);
    const weights = entry?.weights.find((w) => w.gil === gil && w.statement === statement)?.weights ?? [];
    const sum = weights.reduce((n, [, w]) => n + w, 0);
    this.weights.textContent = weights.length
      ? `Where the emulated GIL serves a drop request in this mode (chance ∝ CPython 3.9's measured `
        + `cost of the steps since the previous safe point): ${weights.map(([step, w]) =>
          `after ${step} ${Math.round((100 * w) / sum)}%`).join(', ')}.`
      : '';
    const started = model === 'threads' ? null : this.info.models.find((m) => m.name === model);
    this.code.textContent = pythonOf(entry, this.info.statements, statement)
      + (started ? `\n\n# …with the workers started this way instead:\n${started.python}` : '');
    const listing = this.info.bytecode.find((b) => b.gil === gil && b.statement === statement
      && b.locked === Boolean(entry?.locks));
    if (!listing) return;
    this.title.textContent = `${listing.title}. ▶ marks a safe point, where the GIL may switch `
      + 'threads; one between BINARY_SUBSCR (read) and STORE_SUBSCR (write) splits the update.';
    fill(this.list, listing.ops.map((op) => h('li',
      { class: op.check ? 'safe-point' : '', 'data-step': op.step },
      h('span', { class: 'marker', 'aria-label': op.check ? 'safe point' : undefined }, op.check ? '▶' : ''),
      h('code', {}, op.code),
      h('span', { class: 'step' }, op.step))));
  }
}

/** The mode's Python with the chosen statement in place of the seed's `+=` line. */
export function pythonOf(entry, statements, statement) {
  if (!entry) return '';
  const seed = statements[0];
  const chosen = statements.find((c) => c.name === statement);
  if (!seed || !chosen || chosen === seed || !entry.python.includes(seed.line)) return entry.python;
  return `${chosen.prelude}${entry.python.replaceAll(seed.line, chosen.line)}`;
}
