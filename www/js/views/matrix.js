// Runs on the page: the seed talk's benchmark in one click. Its four scripts (single thread;
// shared counter, no lock; shared with a lock; private counters), first with the GIL, then
// without, laid out like the seed's run.sh output, plus lost updates. Below, in words, what
// the measured numbers show: every sentence is computed from them, none is canned.
import { h, fill } from './dom.js';
import { choiceLabel, count, gilOn, ratio, percent } from './format.js';

/** The seed's scripts and the mode that runs each. The lock is the PyMutex-like one. */
export const SCRIPTS = [
  { script: 'single_thread.py', mode: 'racy', threads: 1 },
  { script: 'multi_thread_share.py', mode: 'racy' },
  { script: 'multi_thread_share_lock.py', mode: 'pymutex' },
  { script: 'multi_thread_private.py', mode: 'private' },
];

/**
 * The eight runs, GIL on first as run.sh did (the form's GIL version, or 3.10+ when it is
 * off), then without, with the page's other settings.
 */
export function matrixRuns(settings, gilChoices) {
  const on = gilOn(settings) ? settings.gil : gilChoices.find((gil) => gilOn({ gil }));
  const off = gilChoices.find((gil) => !gilOn({ gil }));
  return [on, off].flatMap((gil) => SCRIPTS.map((s) => ({
    script: s.script,
    settings: { ...settings, mode: s.mode, threads: s.threads ?? settings.threads, gil },
  })));
}

export class MatrixView {
  /** @param {(settings) => Promise<{report}|{error}>} runOnce runs one setting and shows it */
  constructor(root, runOnce) {
    this.root = root;
    this.runOnce = runOnce;
  }

  /** The seed's eight runs, one after the other; stops at the first failure. */
  async run(settings, gilChoices) {
    const runs = matrixRuns(settings, gilChoices);
    const done = [];
    for (const [i, run] of runs.entries()) {
      this.showProgress(i, runs);
      const outcome = await this.runOnce(run.settings);
      done.push({ ...run, ...outcome });
      if (outcome.error) break;
    }
    this.show(done, settings);
    this.root.scrollIntoView?.({ block: 'nearest' });
  }

  showProgress(done, runs) {
    this.root.hidden = false;
    const current = runs[done];
    fill(this.root, h('h2', {}, 'Seed matrix'),
      h('p', { class: 'verdict running' },
        `Run ${done + 1} of ${runs.length}: ${current.script}, GIL ${gilOn(current.settings) ? 'on' : 'off'}…`));
  }

  /** @param {{ script, settings, report?, error? }[]} results in matrixRuns order */
  show(results, settings) {
    this.root.hidden = false;
    const column = (on) => {
      const rows = results.filter((r) => gilOn(r.settings) === on);
      const first = rows[0]?.settings;
      return h('div', { class: 'seed-column', 'data-gil': on ? 'on' : 'off' },
        h('h3', {}, on ? `With GIL (${choiceLabel('gil', first?.gil)}, ${first?.interval} ms)` : 'Without GIL'),
        h('pre', { class: 'seed-output' }, rows.map(block).join('\n\n')));
    };
    fill(this.root,
      h('h2', {}, 'Seed matrix'),
      h('p', { class: 'fine' }, `${count(settings.total)} increments per script, ${settings.threads} threads `
        + 'for the threaded scripts, run one after the other on this page\'s threads.'),
      h('div', { class: 'seed-columns' }, column(true), column(false)),
      h('h3', {}, 'What these numbers show'),
      h('ul', { class: 'shape', 'data-role': 'shape' }, describe(results, settings).map((line) => h('li', {}, line))));
  }
}

function block({ script, report, error }) {
  const lines = [`===== Running ${script} =====`];
  if (report) {
    lines.push(`Execution time: ${(report.wall_ms / 1000).toFixed(6)} seconds`,
      `Final counter value: ${report.final}`,
      `Lost updates: ${report.lost} (${percent(report.loss_percent)})`);
  } else {
    lines.push(`Failed: ${error}`);
  }
  lines.push('===== Finished  =====');
  return lines.join('\n');
}

/** Sentences about the shape of the results, each computed from the measurements. */
export function describe(results, settings) {
  const find = (script, on) => results.find((r) => r.script === script && gilOn(r.settings) === on)?.report;
  const lines = [];
  const n = settings.threads;
  const times = (a, b) => a.wall_ms / b.wall_ms;

  const single = find('single_thread.py', true);
  const share = find('multi_thread_share.py', true);
  const lock = find('multi_thread_share_lock.py', true);
  if (single && share) {
    const r = times(share, single);
    lines.push(r > 0.8
      ? `With the GIL, ${n} threads brought no speedup: the shared counter took ${ratio(r)} the single-thread time.`
      : `With the GIL, ${n} threads took only ${ratio(r)} the single-thread time: faster, which the GIL should not allow (a noisy run? try again).`);
    lines.push(share.lost === 0
      ? `With the GIL nothing was lost: ${share.gil === '3.9' ? 'no switch happened to fall between a read and its write this time' : 'with 3.10+ safe points a switch never falls inside "+="'}.`
      : `Even with the GIL, ${count(share.lost)} updates were lost (${percent(share.loss_percent)}): with 3.9 safe points a switch can fall between the read and the write, and the stale write wipes out the other thread's whole time slice.`);
  }
  if (single && lock) lines.push(`With the GIL, the lock cost ${ratio(times(lock, single))} the single-thread time.`);

  const freeSingle = find('single_thread.py', false);
  const freeShare = find('multi_thread_share.py', false);
  const freeLock = find('multi_thread_share_lock.py', false);
  const freePrivate = find('multi_thread_private.py', false);
  if (freeShare) {
    lines.push(freeShare.lost > 0
      ? `Without the GIL, the shared counter lost ${count(freeShare.lost)} of ${count(freeShare.expected)} updates (${percent(freeShare.loss_percent)}): threads read the same value and overwrote each other.`
      : 'Without the GIL, the shared counter lost nothing this time: the threads barely overlapped. Try more increments.');
  }
  if (freeSingle) {
    const free = [freeShare, freeLock, freePrivate].filter(Boolean);
    const slowest = free.reduce((a, b) => (b.wall_ms > a.wall_ms ? b : a), free[0]);
    if (freeLock && slowest === freeLock) {
      lines.push(`Without the GIL, the lock was the slowest: ${ratio(times(freeLock, freeSingle))} the single-thread time (the seed measured about 27× on CPython 3.13t, where every increment also contends on reference counts and the dict's own lock).`);
    } else if (freeLock && slowest) {
      const name = results.find((r) => r.report === slowest)?.script;
      lines.push(`Without the GIL, the slowest was ${name} (${ratio(times(slowest, freeSingle))} the single-thread time); the lock took ${ratio(times(freeLock, freeSingle))}.`);
    }
    if (freePrivate) {
      const speedup = freeSingle.wall_ms / freePrivate.wall_ms;
      lines.push(speedup >= 1.2
        ? `Without the GIL, private counters scaled: ${ratio(speedup)} faster than one thread on ${n} threads.`
        : `Without the GIL, private counters did not scale here (${ratio(speedup)} the single-thread speed): this device may not have ${n} free cores right now.`);
    }
  }
  return lines;
}
