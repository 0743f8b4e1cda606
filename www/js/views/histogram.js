// Runs on the page: one run is an anecdote (seed 000: "results vary not only between machines
// but also between runs"). Repeat the same settings N times and show how often each outcome
// occurred, jcstress-style: a table of outcomes with their counts, min / median / max, and two
// bar charts (lost updates, time) drawn by uPlot. Every run is a real run: each also lands in
// the session's history and its exports.
import { h, fill } from './dom.js';
import { count, ms, percent } from './format.js';
import { COLORS, chartsToPng, uPlot } from './charts.js';

/** Lost-update outcomes, as a share of the expected count. */
const LOSS_BUCKETS = [
  ['nothing lost', (p) => p === 0],
  ['under 1%', (p) => p > 0 && p < 1],
  ['1-10%', (p) => p >= 1 && p < 10],
  ['10-25%', (p) => p >= 10 && p < 25],
  ['25-50%', (p) => p >= 25 && p < 50],
  ['50% or more', (p) => p >= 50],
];
const TIME_BINS = 8;

export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[(sorted.length - 1) >> 1];
};

/** How many reports fall into each lost-update outcome. */
export function lossOutcomes(reports) {
  return LOSS_BUCKETS.map(([label, test]) => ({ label, count: reports.filter((r) => test(r.loss_percent)).length }));
}

/** The times binned into `TIME_BINS` equal bins between the fastest and the slowest. */
export function timeBins(reports) {
  const times = reports.map((r) => r.wall_ms);
  const [lo, hi] = [Math.min(...times), Math.max(...times)];
  const width = (hi - lo) / TIME_BINS || 1;
  const bins = Array.from({ length: TIME_BINS }, (_, i) => ({ from: lo + i * width, count: 0 }));
  for (const t of times) bins[Math.min(TIME_BINS - 1, Math.floor((t - lo) / width))].count++;
  return bins;
}

export class Histogram {
  /** @param {(settings) => Promise<{report}|{error}>} runOnce runs one setting and shows it */
  constructor(root, runOnce, stopRequested) {
    this.root = root;
    this.runOnce = runOnce;
    this.stopRequested = stopRequested;
    this.repeat = 10;
    this.charts = [];
  }

  /** Runs `settings` this.repeat times, then shows the distribution of the outcomes. */
  async run(settings) {
    const reports = [];
    this.root.hidden = false;
    for (let i = 0; i < this.repeat; i++) {
      fill(this.root, h('h2', {}, 'Outcomes of repeated runs'),
        h('p', { class: 'verdict running' }, `Run ${i + 1} of ${this.repeat}…`));
      const outcome = await this.runOnce(settings);
      if (outcome.error || outcome.report.stopped) break;
      reports.push(outcome.report);
      if (this.stopRequested()) break;
    }
    this.show(reports);
  }

  show(reports) {
    this.reports = reports;
    for (const chart of this.charts) chart.destroy();
    this.charts = [];
    if (!reports.length) {
      fill(this.root, h('h2', {}, 'Outcomes of repeated runs'), h('p', {}, 'No run finished.'));
      return;
    }
    const first = reports[0];
    const losses = reports.map((r) => r.loss_percent);
    const times = reports.map((r) => r.wall_ms);
    const outcomes = lossOutcomes(reports);
    const choice = h('select', { 'data-role': 'repeat-count', 'aria-label': 'runs to repeat' },
      [10, 100].map((n) => h('option', { value: n }, `${n} runs`)));
    choice.value = String(this.repeat);
    choice.addEventListener('change', () => { this.repeat = Number(choice.value); });
    const charts = h('div', { class: 'sweep-charts' });
    fill(this.root,
      h('h2', {}, 'Outcomes of repeated runs'),
      h('p', { class: 'fine' }, `${reports.length} runs of ${first.mode}, ${first.threads} threads, `
        + `${count(first.total)} increments, GIL ${first.gil}. Next time: `, choice),
      h('table', { class: 'outcomes', 'data-role': 'outcomes' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Lost updates'), h('th', { scope: 'col' }, 'Runs'), h('th', { scope: 'col' }, 'Share'))),
        h('tbody', {}, outcomes.filter((o) => o.count).map((o) => h('tr', {},
          h('td', {}, o.label), h('td', {}, count(o.count)), h('td', {}, percent((100 * o.count) / reports.length)))))),
      h('dl', { class: 'figures', 'data-role': 'spread' },
        ...[['Lost, min', percent(Math.min(...losses))], ['Lost, median', percent(median(losses))],
          ['Lost, max', percent(Math.max(...losses))], ['Time, min', ms(Math.min(...times))],
          ['Time, median', ms(median(times))], ['Time, max', ms(Math.max(...times))]]
          .map(([label, value]) => h('div', { class: 'figure' }, h('dt', {}, label), h('dd', {}, value)))),
      charts,
      h('p', { class: 'export' }, h('button', { type: 'button', 'data-role': 'histogram-png', onclick: () => this.download() }, 'Download chart (PNG)')));
    const width = Math.max(260, Math.min(480, (this.root.clientWidth || 600) / 2 - 32));
    // A slide has room for short charts only.
    const height = document.body.classList.contains('embed') ? 150 : 220;
    const bars = uPlot.paths.bars({ size: [0.8] });
    const make = (title, labels, values, color) => {
      const holder = h('div', { class: 'chart' });
      charts.append(holder);
      return new uPlot({
        title, width, height,
        scales: { x: { time: false } },
        axes: [{ values: (_, ticks) => ticks.map((t) => labels[t] ?? '') }, { label: 'runs' }],
        series: [{}, { label: 'runs', fill: color, stroke: color, paths: bars, points: { show: false } }],
      }, [labels.map((_, i) => i), values], holder);
    };
    this.charts = [
      make('Lost updates', outcomes.map((o) => o.label), outcomes.map((o) => o.count), COLORS[1]),
      make('Time', timeBins(reports).map((b) => ms(b.from)), timeBins(reports).map((b) => b.count), COLORS[0]),
    ];
  }

  async download() {
    const png = await chartsToPng(this.charts, [['runs', COLORS[0]]],
      `${this.reports.length} runs measured in this browser by the GIL playground.`);
    if (png) this.onDownload?.(png);
  }
}
