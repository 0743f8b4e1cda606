// Threads, subinterpreters and processes on both sides (./build.sh bench --models): each
// model at 1 and 2 workers, natively (the CLI, processes as child processes) and in Chromium
// (the page's engine, processes as web workers), interleaved so that machine noise hits every
// cell alike; the median of several runs per cell. Prints start-up, transfer, compute and
// total per cell, then the shape issue 12 asks for as ratios within this one run. It asserts
// nothing.
//
//   node bench/bench.mjs --models [--reps R] [--out FILE]
import { mkdir, writeFile } from 'node:fs/promises';
import { ROOT, launchBrowser, openPage, startServer, waitForEngine } from '../tests/browser/harness.mjs';
import { browserRun, machine, median, native, parseArgs } from './sides.mjs';

const args = parseArgs(process.argv.slice(2));
const REPS = Number(args.reps ?? 3);
const MODELS = ['threads', 'subinterpreters', 'processes'];
const PHASES = ['startup_ms', 'transfer_ms', 'compute_ms', 'total_ms'];

/** The tasks: one where compute dominates, a tiny one, and a sum small and large in data. */
const TASKS = [
  { name: 'private, 20M increments', settings: { mode: 'private', total: 20_000_000 }, gils: ['off', '3.10'] },
  { name: 'private, 100k increments', settings: { mode: 'private', total: 100_000 }, gils: ['off'] },
  { name: 'sum, 20M additions over 1,000 numbers', settings: { mode: 'sum', total: 20_000_000, size: 1_000 }, gils: ['off'] },
  { name: 'sum, 16M additions over 16M numbers (64 MB)', settings: { mode: 'sum', total: 16_000_000, size: 16_000_000 }, gils: ['off'] },
];

const cellsOf = (task) => task.gils.flatMap((gil) => MODELS.flatMap((model) => [1, 2].map((threads) =>
  ({ ...task.settings, gil, model, threads }))));
const key = (s) => `${s.model}|${s.gil}|${s.threads}`;

const server = await startServer();
const browser = await launchBrowser();
const results = [];
try {
  const { page } = await openPage(browser, server.url);
  await waitForEngine(page);
  for (const task of TASKS) {
    const runs = {};
    for (let rep = 0; rep < REPS; rep++) {
      for (const settings of cellsOf(task)) {
        for (const [side, run] of [['native', native], ['browser', (s) => browserRun(page, s)]]) {
          const report = await run(settings);
          (runs[`${side}|${key(settings)}`] ??= []).push(report);
        }
      }
    }
    const cells = Object.entries(runs).map(([name, reports]) => {
      const [side, model, gil, threads] = name.split('|');
      const exact = reports.every((r) => r.final === r.expected && (!r.sum || r.sum.sum === r.sum.expected_sum));
      return { side, model, gil, threads: Number(threads), exact,
        ...Object.fromEntries(PHASES.map((p) => [p, median(reports.map((r) => r[p]))])) };
    });
    results.push({ task: task.name, settings: task.settings, cells });
    print(task, cells);
  }
  shape(results);
  const out = args.out ?? `${ROOT}bench/results/models-${new Date().toISOString().slice(0, 16).replace(/[:T]/g, '-')}.json`;
  await mkdir(new URL('results/', import.meta.url), { recursive: true });
  await writeFile(out, JSON.stringify({ machine: machine(), reps: REPS, results }, null, 2));
  console.log(`\nwritten: ${out}`);
} finally {
  await browser.close();
  server.close();
}

function print(task, cells) {
  console.log(`\n### ${task.name} (median of ${REPS})\n`);
  console.log('| side | model | GIL | workers | start-up ms | transfer ms | compute ms | total ms | exact |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const c of cells) {
    const f = (v) => (v < 1 ? v.toFixed(3) : v.toFixed(1));
    console.log(`| ${c.side} | ${c.model} | ${c.gil} | ${c.threads} | ${PHASES.map((p) => f(c[p])).join(' | ')} | ${c.exact ? 'yes' : 'NO'} |`);
  }
}

/** The shape issue 12 asks for, as ratios within this run. */
function shape(all) {
  const find = (task, side, model, gil, threads) => all.find((r) => r.task === task).cells
    .find((c) => c.side === side && c.model === model && c.gil === gil && c.threads === threads);
  const [large, small] = [TASKS[0].name, TASKS[1].name];
  console.log('\n### Shape\n');
  for (const side of ['native', 'browser']) {
    const scaling = [['threads', 'off'], ['subinterpreters', 'off'], ['processes', 'off'], ['threads', '3.10'], ['subinterpreters', '3.10'], ['processes', '3.10']]
      .map(([model, gil]) => `${model} GIL ${gil} ${(find(large, side, model, gil, 1).compute_ms / find(large, side, model, gil, 2).compute_ms).toFixed(2)}x`);
    console.log(`- ${side}: compute at 2 workers against the same model's 1 (${large}): ${scaling.join(', ')}`);
    const startup = find(large, side, 'processes', 'off', 2).startup_ms / find(large, side, 'threads', 'off', 2).startup_ms;
    console.log(`- ${side}: processes' start-up / threads' start-up at 2 workers: ${startup.toFixed(1)}x`);
    const tiny = find(small, side, 'processes', 'off', 2).total_ms / find(small, side, 'threads', 'off', 1).total_ms;
    console.log(`- ${side}: ${small}: processes at 2, total / one thread's total: ${tiny.toFixed(2)}x`);
    const big = find(large, side, 'processes', '3.10', 2).total_ms / find(large, side, 'threads', '3.10', 2).total_ms;
    console.log(`- ${side}: ${large}, GIL on: processes at 2, total / 2 threads under one GIL: ${big.toFixed(2)}x`);
  }
}
