// The seed matrix on every side (./build.sh bench --matrix): the seed talk's four scripts with
// the emulated GIL (3.10+ and 3.9 safe points) and without it, natively (gil-playground matrix)
// and in each browser engine (the same cells, from the engine's table), each time relative to
// the single thread of its column. For comparing shapes with the seed's tables and with real
// CPython (bench/seed.py); it prints figures and asserts nothing.
//
//   node bench/bench.mjs --matrix [--objects free-threaded] [--total N] [--threads N] [--reps R]
//                                 [--engines chromium,firefox,webkit]
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { ENGINE, ROOT, openReady, startServer } from '../tests/browser/harness.mjs';
import { enginesToTest, launch } from '../tests/browser/engines/index.mjs';
import { machine, parseArgs } from './sides.mjs';

const args = parseArgs(process.argv.slice(2));
const TOTAL = Number(args.total ?? 20_000_000);
const REPS = Number(args.reps ?? 3);
const OBJECTS = String(args.objects ?? 'none');
const ENGINES = args.engines ? String(args.engines).split(',') : enginesToTest();
const exec = promisify(execFile);

/** The median run (by time) of each cell, natively. */
async function nativeCells(threads) {
  const flags = ['matrix', '--json', '--objects', OBJECTS, '--total', String(TOTAL), '--repeat', String(REPS)];
  if (threads) flags.push('--threads', String(threads));
  const { stdout } = await exec(`${ROOT}target/release/gil-playground`, flags, { maxBuffer: 1 << 24 });
  return stdout.trim().split('\n').map((line) => JSON.parse(line));
}

/** The same cells on one engine's page, called directly, median of REPS. */
async function browserCells(name, server, threads) {
  const browser = await launch(name);
  try {
    const { context, page } = await openReady(browser, server.url); // rescues Firefox's stuck pool start
    const cells = [];
    for (const gil of ENGINE.matrix.columns) {
      let single = null;
      for (const script of ENGINE.matrix.scripts) {
        const settings = { mode: script.mode, threads: script.one_thread ? 1 : threads, total: TOTAL, gil, objects: OBJECTS };
        const runs = [];
        for (let i = 0; i < REPS; i++) {
          runs.push(await page.evaluate((s) => window.gilPlayground.engine.run(s).then(({ wall_ms, final, lost }) => ({ wall_ms, final, lost })), settings));
        }
        const report = runs.sort((a, b) => a.wall_ms - b.wall_ms)[runs.length >> 1];
        if (script.one_thread) single = report.wall_ms;
        cells.push({ script: script.name, gil, ...report, relative_to_single: report.wall_ms / single });
      }
    }
    await context.close();
    return cells;
  } finally {
    await browser.close();
  }
}

const server = await startServer();
try {
  const nativeRuns = await nativeCells(args.threads);
  const threads = Number(args.threads ?? nativeRuns.find((c) => c.script === 'share').threads);
  const sides = { native: nativeRuns };
  for (const name of ENGINES) sides[name] = await browserCells(name, server, threads);
  for (const gil of ENGINE.matrix.columns) {
    console.log(`\n### GIL ${gil} (objects ${OBJECTS}, ${threads} threads, ${TOTAL.toLocaleString('en-US')} increments, median of ${REPS})`);
    console.log(`${'script'.padEnd(9)} ${Object.keys(sides).map((s) => s.padStart(20)).join(' ')}`);
    for (const script of ENGINE.matrix.scripts) {
      const cell = (side) => sides[side].find((c) => c.script === script.name && c.gil === gil);
      console.log(`${script.name.padEnd(9)} ${Object.keys(sides).map((s) => {
        const c = cell(s);
        const lost = c.lost ? `, ${(100 * c.lost / TOTAL).toFixed(0)}% lost` : '';
        return `${c.relative_to_single.toFixed(2)}x${lost}`.padStart(20);
      }).join(' ')}`);
    }
  }
  const out = args.out ?? `${ROOT}bench/results/matrix-${new Date().toISOString().slice(0, 16).replace(/[:T]/g, '-')}.json`;
  await mkdir(`${ROOT}bench/results`, { recursive: true });
  await writeFile(out, `${JSON.stringify({ date: new Date().toISOString(), machine: machine(), total: TOTAL, threads, objects: OBJECTS, sides }, null, 2)}\n`);
  console.log(`\nwritten to ${out}`);
} finally {
  server.close();
}
