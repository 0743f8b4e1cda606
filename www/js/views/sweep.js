// Runs on the page: the thread-scaling sweep. One mode (with the page's GIL and layout
// settings) at 1, 2, … pool-size threads; throughput and speedup against thread count, with
// the ideal line, drawn by uPlot (vendored from npm). Every sweep of the session stays on the
// charts, so padded and packed counters (or GIL on and off) can be compared.
import { COLORS, chartsToPng, uPlot } from './charts.js';
import { h, fill } from './dom.js';
import { applies, count, gilLabel } from './format.js';

const MAX_SWEEPS = COLORS.length;

/** The runs of a sweep over 1..maxThreads threads with the page's other settings. */
export function sweepRuns(settings, maxThreads) {
  return Array.from({ length: maxThreads }, (_, i) => ({ ...settings, threads: i + 1 }));
}

export function sweepLabel(settings) {
  const layout = applies('layout', settings) ? ` ${settings.layout}` : '';
  const model = settings.model && settings.model !== 'threads' ? `, ${settings.model}` : '';
  return `${settings.mode}${layout}${model}, ${gilLabel(settings)}`;
}

export class SweepView {
  /** @param {(settings) => Promise<{report}|{error}>} runOnce runs one setting and shows it */
  /** @param {number} cores threads that can really run at once (measured), for the ideal line */
  constructor(root, runOnce, cores) {
    this.root = root;
    this.runOnce = runOnce;
    this.cores = cores;
    this.sweeps = [];
    this.status = root.querySelector('[data-role=sweep-status]');
    this.cancelButton = root.querySelector('[data-role=sweep-cancel]');
    this.cancelButton.addEventListener('click', () => { this.cancelled = true; });
    this.charts = [];
    new ResizeObserver(() => this.resize()).observe(root);
  }

  /** The settings at 1..maxThreads threads, charted; Cancel stops after the current run. */
  async run(settings, maxThreads) {
    const runs = sweepRuns(settings, maxThreads);
    const points = [];
    this.cancelled = false;
    for (const run of runs) {
      if (this.cancelled) break;
      this.showProgress(settings, points.length, runs.length);
      const outcome = await this.runOnce(run);
      if (outcome.error || outcome.report.stopped) break;
      points.push({ threads: run.threads, report: outcome.report });
    }
    if (points.length) this.add(settings, points, { cancelled: points.length < runs.length });
    else this.root.hidden = true;
  }

  /** Shows progress: `done` of `total` thread counts measured. */
  showProgress(settings, done, total) {
    this.root.hidden = false;
    this.cancelButton.hidden = false;
    this.status.textContent = `Sweeping ${sweepLabel(settings)}: ${done} of ${total} thread counts measured…`;
    this.root.dataset.state = 'running';
  }

  /**
   * Adds a finished (or cancelled) sweep and redraws. `points` are { threads, report }.
   * Speedup is against the sweep's own 1-thread run.
   */
  add(settings, points, { cancelled = false } = {}) {
    const base = points.find((p) => p.threads === 1)?.report.million_per_second;
    this.sweeps.push({
      label: sweepLabel(settings),
      points: points.map(({ threads, report }) => ({
        threads, mips: report.million_per_second, speedup: base ? report.million_per_second / base : null,
        final: report.final, expected: report.expected,
      })),
    });
    if (this.sweeps.length > MAX_SWEEPS) this.sweeps.shift();
    this.cancelButton.hidden = true;
    this.root.dataset.state = cancelled ? 'cancelled' : 'done';
    this.status.textContent = cancelled
      ? `Sweep cancelled after ${points.length} thread count${points.length === 1 ? '' : 's'}.`
      : `Sweep done: ${points.length} thread counts, ${count(points[0]?.report.total ?? 0)} increments each.`;
    this.draw();
  }

  draw() {
    const box = this.root.querySelector('[data-role=sweep-charts]');
    for (const chart of this.charts) chart.destroy();
    fill(box);
    const maxThreads = Math.max(...this.sweeps.flatMap((s) => s.points.map((p) => p.threads)), 1);
    const xs = Array.from({ length: maxThreads }, (_, i) => i + 1);
    const column = (sweep, key) => xs.map((x) => sweep.points.find((p) => p.threads === x)?.[key] ?? null);
    const series = this.sweeps.map((s, i) => ({ label: s.label, stroke: COLORS[i], width: 2, points: { show: true, size: 7 } }));
    const width = this.chartWidth();
    const make = (title, yLabel, data, extraSeries = []) => {
      const holder = h('div', { class: 'chart' });
      box.append(holder);
      return new uPlot({
        title, width, height: 260,
        scales: { x: { time: false } },
        axes: [{ label: 'threads', incrs: [1, 2, 4, 8, 16] }, { label: yLabel }],
        series: [{ label: 'threads' }, ...series, ...extraSeries],
      }, [xs, ...data], holder);
    };
    this.charts = [
      make('Throughput', 'million increments / s', this.sweeps.map((s) => column(s, 'mips'))),
      make('Speedup over 1 thread', 'speedup (×)',
        [...this.sweeps.map((s) => column(s, 'speedup')), xs.map((x) => Math.min(x, this.cores))],
        [{ label: `ideal (= threads, up to the ${this.cores} measured to run at once)`, stroke: '#999', dash: [6, 4], width: 1, points: { show: false } }]),
    ];
    this.root.hidden = false;
  }

  chartWidth() {
    const width = this.root.clientWidth || 600;
    return Math.max(260, width >= 760 ? Math.floor((width - 48) / 2) : width - 32);
  }

  resize() {
    const width = this.chartWidth();
    for (const chart of this.charts) chart.setSize({ width, height: 260 });
  }

  /** Both charts, side by side with their titles and legends, as one PNG blob. */
  png() {
    return chartsToPng(this.charts, this.sweeps.map((s, i) => [s.label, COLORS[i]]),
      'Measured in this browser by the GIL playground; dashed: ideal speedup.');
  }
}
