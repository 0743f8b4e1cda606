// Runs on the page: the latest run, large. Lost updates and expected-vs-final come first;
// then time, throughput, speedup, where the time went (start-up, transfer, compute), and one
// bar per thread (or interpreter, or process) drawn from its own measured start and end. During a long run it shows each thread's progress instead (the engine sends
// it only after the run has lasted a while, so short runs repaint nothing while timed).
import { h, fill } from './dom.js';
import { choiceLabel, count, gilLabel, ms, percent, rate, ratio } from './format.js';

export class Results {
  constructor(root) {
    this.root = root;
  }

  showRunning(settings) {
    this.root.dataset.state = 'running';
    this.root.removeAttribute('data-lost');
    fill(this.root,
      h('p', { class: 'verdict running' }, `Running ${settings.mode} on ${workers(settings)}, ${gilLabel(settings)}…`),
      h('div', { class: 'lanes', 'aria-label': 'progress of each thread' }));
  }

  /** Each thread's increments so far, of its share. */
  showProgress(progress, shares) {
    if (this.root.dataset.state !== 'running') return;
    const box = this.root.querySelector('.lanes');
    if (box.children.length !== shares.length) {
      fill(box, shares.map((share, i) => lane(`thread ${i + 1}`, 0, 0, `0 of ${count(share)}`, 'progress')));
    }
    const lanes = box.querySelectorAll('.lane');
    progress.forEach((done, i) => {
      const share = shares[i] || 1;
      const bar = lanes[i]?.querySelector('.bar');
      if (!bar) return;
      bar.style.width = `${(100 * done) / share}%`;
      lanes[i].querySelector('.lane-label').textContent = `${count(done)} of ${count(share)}`;
    });
  }

  /** @param {object} report from the engine; @param {number|null} speedup vs 1 thread */
  showReport(report, speedup) {
    this.root.dataset.state = 'done';
    // When the page showed it, on its own clock: the benchmark's "first result" time.
    this.root.dataset.shownAt = String(performance.now());
    const lost = report.lost > 0;
    this.root.toggleAttribute('data-lost', lost);
    const wall = report.wall_ms || 1;
    fill(this.root,
      h('p', { class: `verdict ${lost ? 'lost' : 'exact'}`, 'data-field': 'verdict' },
        lost ? `${count(report.lost)} updates lost (${percent(report.loss_percent)})`
          : 'No update lost',
        report.stopped ? h('span', { class: 'stopped' }, ` · stopped after ${count(report.expected)} of ${count(report.total)} increments`) : null),
      h('dl', { class: 'figures' },
        figure('Expected', count(report.expected), 'expected'),
        figure('Final counter', count(report.final), 'final'),
        figure('Lost updates', `${count(report.lost)} (${percent(report.loss_percent)})`, 'lost'),
        figure('Wall time', ms(report.wall_ms), 'wall'),
        figure('Throughput', rate(report.million_per_second), 'throughput'),
        figure('Speedup vs 1 thread', speedup === null ? 'needs a 1-thread run' : ratio(speedup), 'speedup', speedup === null ? 'hint' : ''),
        report.summary.objects ? figure('Reference counts', objectVerdict(report.summary.objects), 'objects',
          objectProblems(report.summary.objects).length ? 'wrong' : '') : null,
        report.latency ? figure(`Wake-ups late by (${report.latency.samples} sleeps of ${report.latency.wait_ms} ms)`,
          `median ${ms(report.latency.p50_ms)} · p90 ${ms(report.latency.p90_ms)} · max ${ms(report.latency.max_ms)}`, 'latency', 'wide') : null,
        figure('Start-up', ms(report.startup_ms), 'startup'),
        figure('Transfer', report.transfer_bytes ? `${ms(report.transfer_ms)} · ${megabytes(report.transfer_bytes)}` : ms(report.transfer_ms), 'transfer'),
        figure('Compute', ms(report.compute_ms), 'compute'),
        figure('Total', ms(report.total_ms), 'total'),
        report.sum ? figure('Sum of the numbers', report.sum.sum === report.sum.expected_sum
          ? `${count(report.sum.sum)}, as expected` : `${count(report.sum.sum)}, expected ${count(report.sum.expected_sum)}`, 'sum',
        report.sum.sum === report.sum.expected_sum ? '' : 'wrong') : null,
        report.workers.some((w) => w.memory_bytes) ? figure('Each one\'s own memory',
          report.workers.map((w) => megabytes(w.memory_bytes)).join(' · '), 'memory') : null),
      h('div', { class: 'lanes', 'aria-label': `time of each ${WORKER[report.model] ?? 'thread'}` },
        report.per_thread_ms.map((t, i) => lane(`${WORKER[report.model] ?? 'thread'} ${i + 1}`,
          (100 * report.start_offsets_ms[i]) / wall, (100 * t) / wall,
          `${ms(t)} · ${count(report.per_thread_increments[i])}`, 'time'))),
      report.threads > 1 ? h('p', { class: report.overlap < 0.5 ? 'overlap low' : 'overlap', 'data-field': 'overlap' },
        `All ${workers(report)} ran at the same time for ${Math.round(100 * report.overlap)}% of the run`,
        report.overlap < 0.5 ? ': mostly one after the other, so they could hardly race. More increments make them overlap.' : '.') : null,
      h('p', { class: 'fine', 'data-field': 'settings' },
        `${report.mode} · ${workers(report)} · `
        + `${gilLabel(report)} · `
        + (report.objects && report.objects !== 'none' ? `objects: ${choiceLabel('objects', report.objects)}, ${report.cost} ns per instruction · ` : '')
        + `${report.distinct_threads} distinct worker${report.distinct_threads > 1 ? 's' : ''} ran · `
        + `every time measured inside the threads`));
  }

  /** The verdict in one line, for the screen reader's announcement of a run's end. */
  verdictText() {
    return this.root.querySelector('.verdict')?.textContent ?? '';
  }

  /**
   * On a narrow screen, brings the verdict and the figures into view (a user who tapped Run
   * must see its answer); elsewhere, and when they are already in view, the page stays put.
   */
  bringIntoView() {
    if (!matchMedia('(max-width: 600px)').matches || document.body.classList.contains('embed')) return;
    const box = this.root.getBoundingClientRect();
    // On phones the buttons are fixed to the bottom of the screen: above them is what is seen.
    const bar = document.querySelector('.buttons');
    const bottom = bar && getComputedStyle(bar).position === 'fixed' ? bar.getBoundingClientRect().top : innerHeight;
    const wanted = Math.min(box.height, 320); // the verdict and the first figures
    if (box.top >= 0 && box.top + wanted <= bottom) return;
    const still = matchMedia('(prefers-reduced-motion: reduce)').matches;
    this.root.scrollIntoView({ block: 'start', behavior: still ? 'auto' : 'smooth' });
  }

  showFailure(message) {
    this.root.dataset.state = 'failed';
    fill(this.root, h('p', { class: 'verdict failed' }, 'Run failed'), h('p', {}, message));
  }
}

/** What one worker is called in each execution model. */
const WORKER = { threads: 'thread', subinterpreters: 'interpreter', processes: 'process' };

/** "2 threads", "1 process", "3 interpreters". */
function workers({ model = 'threads', threads }) {
  return `${threads} ${WORKER[model] ?? 'thread'}${threads > 1 ? (model === 'processes' ? 'es' : 's') : ''}`;
}

const megabytes = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;

/** What went wrong with the objects, in words (empty: nothing). */
export function objectProblems({ counts, check }) {
  const problems = [];
  const drift = check.dict_count_drift + check.object_count_drift;
  if (drift) problems.push(`count off by ${count(drift)}`);
  if (counts.freed_while_in_use) problems.push(`reached zero ${count(counts.freed_while_in_use)} times while in use`);
  if (counts.used_after_free) problems.push(`${count(counts.used_after_free)} uses after free`);
  if (counts.over_released) problems.push(`${count(counts.over_released)} double releases`);
  if (check.leaked_ints > 0) problems.push(`${count(check.leaked_ints)} ints leaked`);
  if (check.immortal_written) problems.push('an immortal object written');
  return problems;
}

function objectVerdict(objects) {
  const problems = objectProblems(objects);
  return problems.length ? problems.join(', ') : 'exact';
}

function figure(label, value, field, kind = '') {
  return h('div', { class: 'figure' }, h('dt', {}, label), h('dd', { 'data-field': field, class: kind }, value));
}

function lane(name, offsetPercent, widthPercent, label, kind) {
  return h('div', { class: `lane ${kind}` },
    h('span', { class: 'lane-name' }, name),
    h('span', { class: 'track' },
      h('span', { class: 'bar', style: `margin-left:${offsetPercent}%;width:${widthPercent}%` })),
    h('span', { class: 'lane-label' }, label));
}
