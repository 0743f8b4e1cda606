// Runs on the page: the seed talk's benchmark in one click, the same cells as the CLI's
// `gil-playground matrix` (the engine's table: four scripts, each with the GIL's 3.10+ safe
// points, with 3.9's, and without a GIL), laid out like the seed's run.sh output with each
// time relative to the single thread of its column. Threaded scripts run one thread per core
// (as the seed's start os.cpu_count() threads) or the form's count. Below, in words, what the
// measured numbers show: every sentence is computed from them, none is canned.
import { h, fill } from './dom.js';
import { choiceLabel, count, gilOn, ratio, percent } from './format.js';

/** The cells, column by column, with the page's other settings (objects, total, interval). */
export function matrixCells(settings, matrix, threads) {
  return matrix.columns.flatMap((gil) => matrix.scripts.map((script) => ({
    script,
    settings: { ...settings, gil, mode: script.mode, threads: script.one_thread ? 1 : threads },
  })));
}

export class MatrixView {
  /**
   * @param {(settings) => Promise<{report}|{error}>} runOnce runs one setting and shows it
   * @param {number} cores threads measured to run at once: the seed's "one per core"
   */
  constructor(root, runOnce, cores) {
    this.root = root;
    this.runOnce = runOnce;
    this.cores = cores;
    // One thread cannot race: where fewer than 2 cores were measured free, two threads share one.
    this.perCoreThreads = Math.max(2, cores);
    this.perCore = true;
  }

  /** The seed's twelve runs, one after the other; stops at the first failure. */
  async run(settings, matrix) {
    const threads = this.perCore ? this.perCoreThreads : settings.threads;
    const cells = matrixCells(settings, matrix, threads);
    const done = [];
    for (const [i, cell] of cells.entries()) {
      this.showProgress(i, cells);
      const outcome = await this.runOnce(cell.settings);
      done.push({ ...cell, ...outcome });
      if (outcome.error || outcome.report?.stopped) break;
    }
    this.show(done, { ...settings, threads }, matrix);
    this.root.scrollIntoView?.({ block: 'nearest' });
  }

  showProgress(done, cells) {
    this.root.hidden = false;
    const current = cells[done];
    fill(this.root, h('h2', {}, 'Seed matrix'),
      h('p', { class: 'verdict running' },
        `Run ${done + 1} of ${cells.length}: ${current.script.label}, ${gilWords(current.settings.gil)}…`));
  }

  /** @param {{ script, settings, report?, error? }[]} results in the cells' order */
  show(results, settings, matrix) {
    this.root.hidden = false;
    const threadChoice = h('select', { 'data-role': 'matrix-threads', 'aria-label': 'threads of the threaded scripts' },
      h('option', { value: 'core' }, this.cores >= 2 ? `one per core (${this.cores}), as the seed`
        : `one per core, as the seed, but at least 2 (${this.cores} ran at once here)`),
      h('option', { value: 'form' }, 'the form\'s thread count'));
    threadChoice.value = this.perCore ? 'core' : 'form';
    threadChoice.addEventListener('change', () => { this.perCore = threadChoice.value === 'core'; });
    fill(this.root,
      h('h2', {}, 'Seed matrix'),
      h('p', { class: 'fine' }, `${count(settings.total)} increments per script, ${settings.threads} thread${settings.threads === 1 ? '' : 's'} for the `
        + `threaded scripts, objects: ${choiceLabel('objects', settings.objects)}, run one after the other on this page's threads. `,
      h('label', {}, 'Next time, threads: ', threadChoice)),
      summary(results, matrix),
      h('div', { class: 'seed-columns' }, matrix.columns.map((gil) => {
        const rows = results.filter((r) => r.settings.gil === gil);
        const single = rows.find((r) => r.script.one_thread)?.report;
        return h('div', { class: 'seed-column', 'data-gil': gil },
          h('h3', {}, gilWords(gil, rows[0]?.settings.interval)),
          h('pre', { class: 'seed-output', tabindex: 0 }, rows.map((r) => block(r, single)).join('\n\n')));
      })),
      h('h3', {}, 'What these numbers show'),
      h('ul', { class: 'shape', 'data-role': 'shape' }, describe(results, settings, matrix).map((line) => h('li', {}, line))));
  }
}

/** The matrix at a glance: each script's time relative to its column's single thread, and its losses. */
function summary(results, matrix) {
  const cell = (gil, name) => results.find((r) => r.settings.gil === gil && r.script.name === name)?.report;
  // A narrow screen scrolls the table sideways inside its box, never the page.
  return h('div', { class: 'table-scroll', tabindex: 0, role: 'region', 'aria-label': 'the seed matrix at a glance' }, h('table', { class: 'seed-summary', 'data-role': 'matrix-summary' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'script'),
      matrix.columns.map((gil) => h('th', { scope: 'col' }, gilWords(gil))))),
    h('tbody', {}, matrix.scripts.map((script) => h('tr', {},
      h('th', { scope: 'row' }, script.label),
      matrix.columns.map((gil) => {
        const report = cell(gil, script.name);
        const single = results.find((r) => r.settings.gil === gil && r.script.one_thread)?.report;
        if (!report || !single) return h('td', {}, '—');
        const lost = report.lost ? ` · ${percent(report.loss_percent)} lost` : '';
        return h('td', { class: report.lost ? 'lost' : '' }, `${ratio(report.wall_ms / single.wall_ms)}${lost}`);
      }))))));
}

function gilWords(gil, interval) {
  const label = choiceLabel('gil', gil);
  return !gilOn({ gil }) || interval === undefined ? `GIL ${label}` : `GIL ${label}, ${interval} ms`;
}

function block({ script, report, error }, single) {
  const lines = [`===== Running ${script.label} =====`];
  if (report) {
    const relative = single ? ` (${ratio(report.wall_ms / single.wall_ms)} single)` : '';
    lines.push(`Execution time: ${(report.wall_ms / 1000).toFixed(6)} seconds${relative}`,
      `Final counter value: ${report.final}`,
      `Lost updates: ${report.lost} (${percent(report.loss_percent)})`);
  } else {
    lines.push(`Failed: ${error}`);
  }
  lines.push('===== Finished  =====');
  return lines.join('\n');
}

/** Sentences about the shape of the results, each computed from the measurements. */
export function describe(results, settings, matrix) {
  const lines = [];
  const n = settings.threads;
  for (const gil of matrix.columns) {
    const cell = (name) => results.find((r) => r.settings.gil === gil && r.script.name === name)?.report;
    const [single, share, lock, priv] = ['single', 'share', 'lock', 'private'].map(cell);
    if (!single) continue;
    const rel = (r) => r.wall_ms / single.wall_ms;
    const where = gilWords(gil);
    if (share) {
      lines.push(share.lost > 0
        ? `${where}: the shared counter lost ${count(share.lost)} of ${count(share.expected)} updates (${percent(share.loss_percent)}) and took ${ratio(rel(share))} the single-thread time.`
        : `${where}: the shared counter lost nothing and took ${ratio(rel(share))} the single-thread time.`);
    }
    if (lock && share && priv) {
      const slowest = [['the shared counter', share], ['the lock', lock], ['private counters', priv]]
        .reduce((a, b) => (b[1].wall_ms > a[1].wall_ms ? b : a));
      lines.push(`${where}: the lock took ${ratio(rel(lock))}, private counters ${ratio(rel(priv))}; the slowest was ${slowest[0]}.`);
    }
    if (priv && !gilOn({ gil })) {
      const speedup = single.wall_ms / priv.wall_ms;
      lines.push(speedup >= 1.2
        ? `Without the GIL, private counters scaled: ${ratio(speedup)} faster than one thread on ${n} threads.`
        : `Without the GIL, private counters did not scale here (${ratio(speedup)} the single-thread speed): this device may not have ${n} free cores right now.`);
    }
  }
  lines.push(`The seed measured CPython 3.13t on a machine whose core count it does not give, with os.cpu_count() threads: with the GIL the lock took 3.7× single, without it 27×; this run used ${n} threads.`);
  return lines;
}
