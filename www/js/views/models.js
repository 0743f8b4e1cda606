// Runs on the page: threads, subinterpreters and processes side by side, as the per-interpreter
// GIL workshop sums them up. The form's workload (mode, total, size, GIL…) runs with each
// execution model at 1, 2, … workers; one bar per model and worker count, its start-up,
// transfer and compute stacked (each measured, see report.rs: they add up to the total), drawn
// by uPlot (vendored, loaded with this view). Below, in words computed from the numbers, which
// model won for this size and why; then the published figures, apart, never mixed in.
import { chartsToPng, uPlot } from './charts.js';
import { h, fill } from './dom.js';
import { choiceLabel, count, gilLabel, gilOn, ms, ratio } from './format.js';

/** The phases, bottom to top, with their colours. */
const PHASES = [
  { key: 'startup_ms', label: 'start-up', color: '#c2261f' },
  { key: 'transfer_ms', label: 'transfer', color: '#e0a526' },
  { key: 'compute_ms', label: 'compute', color: '#2757c5' },
];
const HEIGHT = 300;

/** The runs of a comparison: every model at 1..maxWorkers workers, the form's other settings kept. */
export function comparisonRuns(settings, models, maxWorkers) {
  return models.flatMap((model) => Array.from({ length: maxWorkers }, (_, i) => ({ ...settings, model, threads: i + 1 })));
}

export class ModelsView {
  /**
   * @param {(settings) => Promise<{report}|{error}>} runOnce runs one setting and shows it
   * @param {{ workers: number, models: object[], poolStartMs?: number, stopRequested: () => boolean }} options
   *   workers: threads measured to run at once (the comparison goes up to it, 2 at least);
   *   models: the engine's table of execution models; poolStartMs: the pool's start at page load
   */
  constructor(root, runOnce, { workers, models, poolStartMs, stopRequested }) {
    this.root = root;
    this.runOnce = runOnce;
    this.workers = Math.min(4, Math.max(2, workers));
    this.models = models;
    this.poolStartMs = poolStartMs;
    this.stopRequested = stopRequested;
    this.status = root.querySelector('[data-role=models-status]');
    this.chartBox = root.querySelector('[data-role=models-chart]');
    this.shape = root.querySelector('[data-role=models-shape]');
    this.references = root.querySelector('[data-role=models-references]');
    this.chart = null;
    new ResizeObserver(() => this.chart?.setSize({ width: this.chartWidth(), height: HEIGHT })).observe(root);
  }

  /** Runs the form's `settings` with every model at 1..workers workers, then charts and explains. */
  async run(settings) {
    const runs = comparisonRuns(settings, this.models.map((m) => m.name), this.workers);
    const cells = [];
    this.root.hidden = false;
    this.root.dataset.state = 'running';
    for (const run of runs) {
      if (this.stopRequested()) break;
      this.status.textContent = `Comparing: ${modelWords(run.model)} with ${run.threads} worker${run.threads > 1 ? 's' : ''} (${cells.length + 1} of ${runs.length})…`;
      const outcome = await this.runOnce(run);
      if (outcome.report?.stopped || outcome.code === 'stopped') break;
      cells.push({ settings: run, ...outcome });
    }
    this.show(settings, cells, cells.length < runs.length);
    this.root.scrollIntoView?.({ block: 'nearest' });
  }

  /** Charts `cells` ({ settings, report? , error? }) and says what they show. */
  show(settings, cells, cancelled = false) {
    this.cells = cells;
    this.settings = settings;
    this.root.dataset.state = cancelled ? 'cancelled' : 'done';
    this.status.textContent = `${taskWords(settings)}, ${gilLabel(settings)}; every bar measured in this browser`
      + (cancelled ? ' (stopped before the end)' : '') + '.';
    this.draw();
    fill(this.shape, describe(cells, settings, this.poolStartMs).map((line) => h('li', {}, line)));
    fill(this.references, this.models.flatMap((m) => m.references.map((r) =>
      h('li', {}, `${modelWords(m.name)}: ${r.what}, ${ms(r.ms)} (${r.source}).`))));
  }

  draw() {
    this.chart?.destroy();
    fill(this.chartBox);
    const slots = chartSlots(this.cells);
    const parts = slots.map((slot) => PHASES.map((p) => slot.report?.[p.key] ?? null));
    // Stacked by drawing the running sums, tallest first: each bar covers the one before it.
    const stacks = PHASES.map((_, top) => parts.map((p) => (p[0] === null ? null : p.slice(0, top + 1).reduce((a, b) => a + b, 0))));
    const bars = uPlot.paths.bars({ size: [0.75, 64] });
    const series = PHASES.map((phase, i) => ({
      label: phase.label,
      fill: phase.color,
      stroke: phase.color,
      paths: bars,
      points: { show: false },
      // The legend shows the phase's own time, not the running sum.
      value: (u, v, si, idx) => (idx == null || parts[idx]?.[i] == null ? '—' : ms(parts[idx][i])),
    })).reverse();
    const holder = h('div', { class: 'chart' });
    this.chartBox.append(holder);
    this.chart = new uPlot({
      title: 'Where the time went, per model and worker count',
      width: this.chartWidth(),
      height: HEIGHT,
      scales: { x: { time: false, range: (u, min, max) => [min - 0.6, max + 0.6] } },
      axes: [
        { splits: () => slots.map((_, i) => i), values: () => slots.map((s) => s.label), gap: 4, size: 48 },
        { label: 'ms' },
      ],
      series: [{ label: 'workers', value: (u, v) => slots[v]?.label.replace('\n', ' ') ?? '—' }, ...series],
    }, [slots.map((_, i) => i), ...[...stacks].reverse()], holder);
  }

  chartWidth() {
    return Math.max(300, (this.root.clientWidth || 640) - 32);
  }

  /** The chart with its title, legend and the sentences below it, as one PNG blob. */
  png() {
    if (!this.chart) return Promise.resolve(null);
    return chartsToPng([this.chart], PHASES.map((phase) => [phase.label, phase.color]), this.status.textContent, {
      title: 'Threads, subinterpreters and processes',
      lines: [...this.shape.querySelectorAll('li')].map((li) => li.textContent),
    });
  }
}

/** One slot per model and worker count, with an empty slot between models. */
function chartSlots(cells) {
  const slots = [];
  let model = null;
  for (const cell of cells) {
    if (model && cell.settings.model !== model) slots.push({ label: '' });
    model = cell.settings.model;
    slots.push({ label: `×${cell.settings.threads}\n${shortModel(model)}`, report: cell.report });
  }
  return slots;
}

const SHORT = { threads: 'threads', subinterpreters: 'interpreters', processes: 'processes' };
const shortModel = (model) => SHORT[model] ?? model;
/** "threads", "subinterpreters" in words, from the engine's label ("Threads (threading)" → "threads"). */
const modelWords = (model) => choiceLabel('model', model).replace(/ \(.*$/, '').toLowerCase();
const workers = (n) => `${n} worker${n > 1 ? 's' : ''}`;
const where = (cell) => `${modelWords(cell.settings.model)} with ${workers(cell.settings.threads)}`;

function taskWords(settings) {
  const work = settings.mode === 'sum'
    ? `${count(settings.total)} additions over ${count(settings.size)} numbers (${(4 * settings.size / 1e6).toFixed(1)} MB)`
    : `${count(settings.total)} increments`;
  return `${choiceLabel('mode', settings.mode)}: ${work}`;
}

/** The phase in which `cell` lost most time against `best`, and how much. */
function biggestLoss(cell, best) {
  return PHASES.map((p) => ({ phase: p, ms: cell.report[p.key] - best.report[p.key] }))
    .reduce((a, b) => (b.ms > a.ms ? b : a));
}

/**
 * Sentences about the comparison, each computed from the measured numbers: which model won
 * for this size and why, how each scaled in compute, what start-up and copying cost.
 */
export function describe(cells, settings, poolStartMs) {
  const done = cells.filter((c) => c.report);
  const lines = [];
  for (const model of [...new Set(cells.filter((c) => c.error).map((c) => c.settings.model))]) {
    const refused = cells.find((c) => c.settings.model === model && c.error);
    lines.push(`${modelWords(model)} did not run: ${refused.error}`);
  }
  if (!done.length) return lines.length ? lines : ['No run finished: nothing to compare.'];
  const total = (c) => c.report.total_ms;
  const best = done.reduce((a, b) => (total(b) < total(a) ? b : a));
  const rivals = [...new Set(done.map((c) => c.settings.model))].filter((m) => m !== best.settings.model)
    .map((model) => done.filter((c) => c.settings.model === model).reduce((a, b) => (total(b) < total(a) ? b : a)));
  const reasons = rivals.map((rival) => {
    const loss = biggestLoss(rival, best);
    const shared = loss.phase.key === 'compute_ms' && rival.settings.model === 'threads' && gilOn(settings)
      ? ', as one GIL makes threads take turns' : '';
    return `${where(rival)} took ${ratio(total(rival) / total(best))} as long, losing most in ${loss.phase.label} (${ms(loss.ms)} more${shared})`;
  });
  lines.push(`For this task, ${where(best)} won: ${ms(total(best))} from creating the workers to holding every result`
    + (reasons.length ? `; the best of the others: ${reasons.join('; ')}.` : '.'));
  const scaling = [...new Set(done.map((c) => c.settings.model))].map((model) => {
    const runs = done.filter((c) => c.settings.model === model);
    const one = runs.find((c) => c.settings.threads === 1);
    const most = runs.reduce((a, b) => (b.settings.threads > a.settings.threads ? b : a));
    return one && most !== one
      ? `${modelWords(model)} ${ratio(one.report.compute_ms / most.report.compute_ms)} at ${most.settings.threads}` : null;
  }).filter(Boolean);
  if (scaling.length) {
    lines.push(`Compute against the same model with 1 worker: ${scaling.join(', ')}`
      + (gilOn(settings) ? ' (with the GIL on, threads share one GIL; interpreters and processes have one each).' : '.'));
  }
  const oneThread = done.find((c) => c.settings.model === 'threads' && c.settings.threads === 1);
  const processes = done.filter((c) => c.settings.model === 'processes');
  if (oneThread && processes.length) {
    const fastest = processes.reduce((a, b) => (total(b) < total(a) ? b : a));
    const startup = fastest.report.startup_ms;
    lines.push(total(fastest) > total(oneThread)
      ? `A task this size does not pay for processes: their best, ${ms(total(fastest))}, is slower than one thread's ${ms(total(oneThread))}; starting them alone took ${ms(startup)}.`
      : `The task is big enough for processes: their best, ${ms(total(fastest))}, beats one thread's ${ms(total(oneThread))} although starting them took ${ms(startup)}.`);
    const threads = done.filter((c) => c.settings.model === 'threads');
    const threadStart = Math.max(...threads.map((c) => c.report.startup_ms));
    const processStart = Math.min(...processes.map((c) => c.report.startup_ms));
    if (threadStart > 0) {
      lines.push(`Start-up: ${ms(processStart)} for processes at the quickest, ${ms(threadStart)} for threads at the slowest, ${ratio(processStart / threadStart)} as long.`);
    }
  }
  const copied = done.filter((c) => c.report.transfer_bytes > 0);
  if (copied.length) {
    const biggest = copied.reduce((a, b) => (b.report.transfer_ms > a.report.transfer_ms ? b : a));
    lines.push(`Copying the numbers (${(biggest.report.transfer_bytes / 1e6).toFixed(1)} MB) cost ${where(biggest)} ${ms(biggest.report.transfer_ms)} in transfer, `
      + `${Math.round((100 * biggest.report.transfer_ms) / total(biggest))}% of its total; threads read them where they lie.`);
  }
  if (poolStartMs !== undefined && done.some((c) => c.settings.model === 'threads')) {
    lines.push(`Threads here come from the pool the page started once (it took ${ms(poolStartMs)} at page load), so their start-up is a wake-up; processes are started fresh for every run.`);
  }
  return lines;
}
