// The seed matrix on both sides (./build.sh bench --matrix): the seed talk's four scripts with
// the emulated GIL (3.10+ and 3.9 safe points) and without it, natively and in Chromium,
// printed like the seed's run.sh output. For comparing shapes with the seed's tables and with
// real CPython (bench/seed.py); it prints figures and asserts nothing.
//
//   node bench/bench.mjs --matrix [--total N] [--threads N] [--reps R]
import { mkdir, writeFile } from 'node:fs/promises';
import { ROOT, launchBrowser, openPage, startServer, waitForEngine } from '../tests/browser/harness.mjs';
import { SCRIPTS } from '../www/js/ui/matrix.js';
import { browserRun, machine, native, parseArgs } from './sides.mjs';

const args = parseArgs(process.argv.slice(2));
const TOTAL = Number(args.total ?? 20_000_000);
const THREADS = Number(args.threads ?? 2);
const REPS = Number(args.reps ?? 3);
const WORLDS = [
  { label: 'GIL on, 3.10+ safe points', gil: '3.10' },
  { label: 'GIL on, 3.9 safe points', gil: '3.9' },
  { label: 'without GIL', gil: 'off' },
];

const server = await startServer();
const browser = await launchBrowser();
try {
  const { page } = await openPage(browser, server.url);
  await waitForEngine(page);
  const results = [];
  for (const world of WORLDS) {
    for (const script of SCRIPTS) {
      const settings = { mode: script.mode, threads: script.threads ?? THREADS, total: TOTAL,
        gil: world.gil, interval: 5 };
      // The median run of REPS (by time), each side interleaved with the other.
      const runs = { native: [], browser: [] };
      for (let i = 0; i < REPS; i++) {
        runs.native.push(pick(await native(settings)));
        runs.browser.push(pick(await browserRun(page, settings)));
      }
      results.push({ world: world.label, script: script.script, settings,
        native: middle(runs.native), browser: middle(runs.browser) });
    }
  }
  for (const world of WORLDS) {
    console.log(`\n### ${world.label} (${THREADS} threads, ${TOTAL.toLocaleString('en-US')} increments, median of ${REPS})`);
    console.log(`${'script'.padEnd(28)} ${'native s'.padStart(9)} ${'final'.padStart(11)} ${'lost'.padStart(10)}   ${'browser s'.padStart(9)} ${'final'.padStart(11)} ${'lost'.padStart(10)}`);
    for (const r of results.filter((x) => x.world === world.label)) {
      const side = (s) => `${(s.wall_ms / 1000).toFixed(3).padStart(9)} ${String(s.final).padStart(11)} ${String(s.lost).padStart(10)}`;
      console.log(`${r.script.padEnd(28)} ${side(r.native)}   ${side(r.browser)}`);
    }
  }
  const out = args.out ?? `${ROOT}bench/results/matrix-${new Date().toISOString().slice(0, 16).replace(/[:T]/g, '-')}.json`;
  await mkdir(`${ROOT}bench/results`, { recursive: true });
  await writeFile(out, `${JSON.stringify({ date: new Date().toISOString(), machine: machine(), total: TOTAL, threads: THREADS, results }, null, 2)}\n`);
  console.log(`\nwritten to ${out}`);
} finally {
  await browser.close();
  server.close();
}

function middle(runs) {
  return [...runs].sort((a, b) => a.wall_ms - b.wall_ms)[runs.length >> 1];
}

function pick(report) {
  const { wall_ms, final, lost, loss_percent, summary } = report;
  return { wall_ms, final, lost, loss_percent, handoffs: summary.handoffs, lock_owner_changes: summary.lock_owner_changes };
}
