#!/usr/bin/env node
// The benchmark (./build.sh bench): the native CLI and the page's own code path in headless
// Chromium (the same host worker and wasm build a user gets), interleaved so that machine
// noise hits both sides alike; medians of several repetitions. It prints figures and never
// fails on timing. It also measures the speed budget: long tasks on the page's main thread
// during a 5-second run, cold load to the first result, the gzipped wasm size, and what the
// emulated GIL costs at 1 thread.
//
//   node bench/bench.mjs [--total N] [--reps R] [--smoke] [--out FILE]
//   node bench/bench.mjs --matrix | --models (see matrix.mjs, models.mjs)
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { gzipSync } from 'node:zlib';
import { ROOT, choices, launchBrowser, openPage, startServer, waitForEngine } from '../tests/browser/harness.mjs';
import { browserRun, machine, median, native, parseArgs } from './sides.mjs';

const args = parseArgs(process.argv.slice(2));
if (args.matrix) {
  await import('./matrix.mjs');
  process.exit(0);
}
if (args.models) {
  await import('./models.mjs');
  process.exit(0);
}
const SMOKE = args.smoke;
const TOTAL = Number(args.total ?? (SMOKE ? 100_000 : 20_000_000));
const REPS = Number(args.reps ?? (SMOKE ? 1 : 5));
const MODES = choices('mode');

/**
 * Opens a fresh page (cold cache) and times navigation to the first result of a small run.
 * The run starts itself (autorun=1) the moment the engine is ready, so the figure holds no
 * test-driver latency: both times are read by the page on its own clock.
 */
async function coldLoad(browser, url) {
  const { page, context } = await openPage(browser, `${url}?autorun=1&mode=racy&threads=2&total=1000000`);
  await page.waitForSelector('#result[data-state=done]', { timeout: 60_000 });
  const shown = Number(await page.getAttribute('#result', 'data-shown-at'));
  const ready = Number(await page.evaluate(() => document.body.dataset.readyAt));
  await context.close();
  return { ready_ms: ready, first_result_ms: shown };
}

/** Runs `settings` from the page's Run button and records every long task meanwhile. */
async function longTasks(browser, url, settings) {
  const { page, context } = await openPage(browser, url);
  await waitForEngine(page);
  await page.evaluate(() => {
    window.longTasks = [];
    new PerformanceObserver((list) => window.longTasks.push(...list.getEntries().map((e) => e.duration)))
      .observe({ type: 'longtask' });
  });
  await page.evaluate((s) => {
    const form = document.getElementById('controls');
    const option = Object.assign(document.createElement('option'), { value: s.total, textContent: s.total });
    form.elements.total.append(option);
    form.elements.total.value = String(s.total);
    form.elements.mode.value = s.mode;
    form.elements.threads.value = String(s.threads);
    form.elements.gil.value = s.gil ?? 'off';
    form.elements.interval.value = String(s.interval ?? 5);
  }, settings);
  await page.click('button[data-role=run]');
  await page.waitForSelector('#controls[aria-busy=false]', { timeout: 600_000 });
  await page.waitForTimeout(500); // the timeline is drawn after the result
  const result = await page.evaluate(() => ({
    wall_ms: window.gilPlayground.history.entries[0].report.wall_ms,
    events: window.gilPlayground.history.entries[0].report.timeline.reduce((n, t) => n + t.code.length, 0),
    long_tasks_ms: window.longTasks,
  }));
  await context.close();
  return result;
}

async function main() {
  const server = await startServer();
  const browser = await launchBrowser();
  try {
    const { page } = await openPage(browser, server.url);
    await waitForEngine(page);
    const env = await page.evaluate(() => ({
      cores: navigator.hardwareConcurrency, poolSize: window.gilPlayground.poolSize,
      browser: window.gilPlayground.env.browser,
    }));
    const threads = [...new Set([1, 2, env.cores])].filter((t) => t <= env.poolSize).sort((a, b) => a - b);
    const configs = MODES.flatMap((mode) => threads.map((t) => ({ mode, threads: t, total: TOTAL })));
    const samples = new Map(configs.map((c) => [key(c), { native: [], browser: [] }]));
    console.error(`${configs.length} settings x ${REPS} repetitions x 2 sides, ${TOTAL} increments each`);
    for (let rep = 0; rep < REPS; rep++) {
      for (const config of configs) {
        samples.get(key(config)).native.push(await native(config));
        samples.get(key(config)).browser.push(await browserRun(page, config));
      }
      console.error(`repetition ${rep + 1} of ${REPS} done`);
    }
    const rows = configs.map((config) => summarize(config, samples.get(key(config))));
    for (const row of rows) {
      const one = rows.find((r) => r.mode === row.mode && r.threads === 1);
      for (const side of ['native', 'browser']) {
        row[`${side}_speedup`] = one[`${side}_ms`] / row[`${side}_ms`];
        row[`${side}_efficiency`] = row[`${side}_speedup`] / row.threads;
      }
    }

    // What the GIL check costs at 1 thread: racy with the GIL off, on (3.10) and on (3.9).
    const gilConfigs = [{ gil: 'off' }, { gil: '3.10' }, { gil: '3.9' }]
      .map((g) => ({ mode: 'racy', threads: 1, total: TOTAL, ...g }));
    const gilSamples = gilConfigs.map(() => ({ native: [], browser: [] }));
    for (let rep = 0; rep < REPS; rep++) {
      for (const [i, config] of gilConfigs.entries()) {
        gilSamples[i].native.push((await native(config)).wall_ms);
        gilSamples[i].browser.push((await browserRun(page, config)).wall_ms);
      }
    }
    const gilOverhead = gilConfigs.slice(1).map((config, i) => ({
      gil: config.gil,
      native_percent: 100 * (median(gilSamples[i + 1].native) / median(gilSamples[0].native) - 1),
      browser_percent: 100 * (median(gilSamples[i + 1].browser) / median(gilSamples[0].browser) - 1),
    }));

    // Long tasks during a 5-second run, plain and with a full GIL event log.
    const racyOne = rows.find((r) => r.mode === 'racy' && r.threads === 1);
    const seconds = SMOKE ? 0.3 : 5;
    const longTotal = Math.min(2e9, Math.round((seconds * 1000 * TOTAL) / racyOne.browser_ms));
    const long = [
      { label: `racy, 2 threads, ~${seconds} s`, ...(await longTasks(browser, server.url, { mode: 'racy', threads: 2, total: longTotal })) },
      { label: 'pymutex, 4 threads, GIL on (3.9), 0.1 ms interval: full event logs', ...(await longTasks(browser, server.url, { mode: 'pymutex', threads: Math.min(4, env.poolSize), total: SMOKE ? 100_000 : 4_000_000, gil: '3.9', interval: 0.1 })) },
    ];

    const cold = [];
    for (let i = 0; i < (SMOKE ? 1 : 3); i++) cold.push(await coldLoad(browser, server.url));
    const wasm = await readFile(`${ROOT}www/pkg/gil_playground_bg.wasm`);
    const result = {
      date: new Date().toISOString(),
      machine: machine(),
      browser: env,
      total: TOTAL,
      repetitions: REPS,
      smoke: Boolean(SMOKE),
      rows,
      gil_overhead_at_1_thread: gilOverhead,
      long_tasks: long,
      cold_load: { runs: cold, median_first_result_ms: median(cold.map((c) => c.first_result_ms)) },
      wasm: { bytes: wasm.length, gzip_bytes: gzipSync(wasm, { level: 9 }).length },
    };
    result.budget = budget(result, threads);
    const out = args.out ?? `${ROOT}bench/results/${result.date.slice(0, 16).replace(/[:T]/g, '-')}.json`;
    await mkdir(new URL('.', `file://${out}`).pathname, { recursive: true });
    await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
    print(result);
    console.log(`\nwritten to ${out}`);
  } finally {
    await browser.close();
    server.close();
  }
}

const key = (c) => `${c.mode}/${c.threads}`;

function summarize(config, { native: n, browser: b }) {
  const nativeMs = median(n.map((r) => r.wall_ms));
  const browserMs = median(b.map((r) => r.wall_ms));
  return {
    mode: config.mode,
    threads: config.threads,
    native_ms: nativeMs,
    browser_ms: browserMs,
    // Throughput ratio: the same work, so native time over browser time.
    browser_over_native: nativeMs / browserMs,
    native_lost: median(n.map((r) => r.lost)),
    browser_lost: median(b.map((r) => r.lost)),
    native_lock_owner_changes: median(n.map((r) => r.summary.lock_owner_changes)),
    browser_lock_owner_changes: median(b.map((r) => r.summary.lock_owner_changes)),
    native_samples_ms: n.map((r) => r.wall_ms),
    browser_samples_ms: b.map((r) => r.wall_ms),
  };
}

function budget(r, threads) {
  const cores = Math.max(...threads);
  const lines = [];
  const check = (name, met, figure) => lines.push({ name, met, figure });
  for (const row of r.rows) {
    if (row.threads === 1 || row.mode === 'atomic' || row.mode === 'private') {
      check(`browser/native >= 0.9: ${row.mode} at ${row.threads} thread(s)`, row.browser_over_native >= 0.9, row.browser_over_native.toFixed(2));
    }
  }
  const priv = r.rows.find((row) => row.mode === 'private' && row.threads === cores);
  check(`private efficiency at ${cores} threads >= 0.9, native`, priv.native_efficiency >= 0.9, priv.native_efficiency.toFixed(2));
  check(`private efficiency at ${cores} threads >= 0.9, browser`, priv.browser_efficiency >= 0.9, priv.browser_efficiency.toFixed(2));
  for (const l of r.long_tasks) {
    const worst = Math.max(0, ...l.long_tasks_ms);
    check(`no long task over 50 ms: ${l.label}`, worst <= 50, `${l.long_tasks_ms.length} long tasks, longest ${worst.toFixed(0)} ms`);
  }
  check('cold load to first result <= 1500 ms', r.cold_load.median_first_result_ms <= 1500, `${r.cold_load.median_first_result_ms.toFixed(0)} ms`);
  check('wasm <= 60 KB gzipped', r.wasm.gzip_bytes <= 60_000, `${(r.wasm.gzip_bytes / 1000).toFixed(1)} KB`);
  return lines;
}

function print(r) {
  const pad = (v, n) => String(v).padStart(n);
  console.log(`\nmachine: ${r.machine.cpu}, ${r.machine.logical_cores} logical cores; browser: ${r.browser.browser}, pool ${r.browser.poolSize}`);
  console.log(`median of ${r.repetitions} runs of ${r.total.toLocaleString('en-US')} increments each\n`);
  console.log(`${'mode'.padEnd(8)} ${pad('thr', 3)} ${pad('native ms', 10)} ${pad('browser ms', 10)} ${pad('br/nat', 7)} ${pad('speedup n', 9)} ${pad('speedup b', 9)} ${pad('eff n', 6)} ${pad('eff b', 6)} ${pad('lost n', 12)} ${pad('lost b', 12)}`);
  for (const row of r.rows) {
    console.log(`${row.mode.padEnd(8)} ${pad(row.threads, 3)} ${pad(row.native_ms.toFixed(1), 10)} ${pad(row.browser_ms.toFixed(1), 10)} ${pad(row.browser_over_native.toFixed(2), 7)} ${pad(row.native_speedup.toFixed(2), 9)} ${pad(row.browser_speedup.toFixed(2), 9)} ${pad(row.native_efficiency.toFixed(2), 6)} ${pad(row.browser_efficiency.toFixed(2), 6)} ${pad(row.native_lost, 12)} ${pad(row.browser_lost, 12)}`);
  }
  console.log('\nGIL check at 1 thread (racy, GIL on vs off):');
  for (const g of r.gil_overhead_at_1_thread) console.log(`  ${g.gil} safe points: native ${g.native_percent.toFixed(1)}%, browser ${g.browser_percent.toFixed(1)}%`);
  console.log('\nlock owner changes (median), a contended lock in the browser vs natively:');
  for (const row of r.rows.filter((x) => x.threads > 1 && (x.mode === 'mutex' || x.mode === 'pymutex'))) {
    console.log(`  ${row.mode} at ${row.threads} threads: native ${row.native_lock_owner_changes}, browser ${row.browser_lock_owner_changes}`);
  }
  console.log('\nspeed budget:');
  for (const b of r.budget) console.log(`  ${b.met ? 'met    ' : 'NOT MET'}  ${b.name}: ${b.figure}`);
}

await main();
