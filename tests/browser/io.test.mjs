// Threads that wait (issue 14), in every engine installed here: the responsiveness probe wakes
// later with the GIL on than off (a CPU-bound thread holds the GIL until it is asked to drop
// it), and earlier with a shorter switch interval than with a longer one; threads in the waiting
// mode release the GIL while they wait, so they overlap: their waits add up to more than the
// run's wall time, and N of them take far less than N times one. Each is a comparison of runs
// within one test (medians of many wake-ups), never a threshold on a time; the page's figures
// (the wake-up distribution, the overlap line, the probe's lane) are checked against the report.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { ENGINE, ROOT, choices, openReady, pressRun, setForm, startServer } from './harness.mjs';
import { enginesToTest, launch } from './engines/index.mjs';

/** The orderings hold by mechanism, but a 2-core machine is noisy: a few tries each. */
const ATTEMPTS = 3;
/** Wake-ups per probe run: enough for a median. */
const SAMPLES = 30;

let server;
before(async () => { server = await startServer(); });
after(() => server?.close());

const setting = (name) => ENGINE.settings.find((f) => f.name === name);
const GIL_ON = choices('gil').filter((gil) => setting('interval').applies_when.values.includes(gil));
const GIL_OFF = choices('gil').find((gil) => !GIL_ON.includes(gil));
/** The newest GIL: 3.10+'s safe points (the first "on" choice the engine lists). */
const GIL = GIL_ON[0];

/** Presses Run and resolves with the report of the run it started (`lanes`: its timeline's). */
async function runOnce(page) {
  const { report, error } = await pressRun(page);
  assert.equal(error, undefined, 'the run did not fail');
  return { ...report, lanes: report.timeline.length };
}

/** The wake-up figure as the page shows it, and as it should read for `latency`. */
const latencyShown = (page, latency) => page.evaluate(async (l) => {
  const { ms } = await import(new URL('js/views/format.js', location.href).href);
  const dd = document.querySelector('#result [data-field=latency]');
  return {
    label: dd?.previousElementSibling?.textContent ?? null,
    text: dd?.textContent ?? null,
    expected: `median ${ms(l.p50_ms)} · p90 ${ms(l.p90_ms)} · max ${ms(l.max_ms)}`,
    probeLane: [...document.querySelectorAll('#timeline [data-role=table] tbody th')].at(-1)?.textContent ?? null,
  };
}, latency);

/** Runs the probe with the form as it is; checks what the page shows; resolves with the latency. */
async function probe(page) {
  const report = await runOnce(page);
  assert.ok(report.latency, 'a run with a probe reports its wake-ups');
  assert.equal(report.latency.samples, SAMPLES);
  assert.equal(report.latency.late_ms.length, SAMPLES);
  assert.ok(report.latency.p50_ms <= report.latency.p90_ms && report.latency.p90_ms <= report.latency.max_ms);
  const shown = await latencyShown(page, report.latency);
  assert.equal(shown.text, shown.expected, 'the page shows the distribution the probe measured');
  assert.match(shown.label, new RegExp(`${SAMPLES} sleeps of ${report.latency.wait_ms} ms`));
  assert.equal(shown.probeLane, 'probe', 'the probe has a lane of its own on the timeline');
  assert.equal(report.lanes, report.threads + 1);
  return { ...report.latency, gil: report.gil, interval: report.interval };
}

const medians = (runs) => runs.map((r) => `GIL ${r.gil}${r.gil === GIL_OFF ? '' : ` ${r.interval} ms`}: median ${r.p50_ms} ms`).join('; ');

describe('the native CLI', () => {
  const BIN = `${ROOT}target/release/gil-playground`;
  const latency = (...args) => JSON.parse(execFileSync(BIN, ['latency', '--cpu-threads', '1', '--samples', String(SAMPLES), ...args, '--json'], { encoding: 'utf8' }));

  it('latency: the GIL on wakes the sleeper later than off', () => {
    const tries = [];
    for (let i = 0; i < ATTEMPTS; i++) {
      const on = latency('--gil', 'on', '--interval', '5');
      const off = latency('--gil', 'off');
      tries.push([on, off]);
      if (on.p50_ms > 2 * off.p50_ms) break;
    }
    const [on, off] = tries.at(-1);
    for (const r of [on, off]) {
      for (const field of ['p50_ms', 'p90_ms', 'max_ms', 'samples', 'cpu_threads', 'gil']) assert.ok(field in r, `prints ${field}`);
      assert.equal(r.samples, SAMPLES);
    }
    assert.equal(off.gil, 'off');
    assert.ok(on.p50_ms > 2 * off.p50_ms, tries.map(([a, b]) => `on ${a.p50_ms} ms, off ${b.p50_ms} ms`).join('; '));
  });
});

for (const engine of enginesToTest()) {
  describe(engine, () => {
    let browser;
    before(async () => { browser = await launch(engine); });
    after(async () => { await browser?.close(); });

    it('the probe: with the GIL on, wake-ups come later than with it off', async () => {
      const { context, page } = await openReady(browser,
        `${server.url}?mode=racy&threads=1&gil=${GIL}&interval=5&probe=${SAMPLES}&wait=1`);
      const tries = [];
      for (let i = 0; i < ATTEMPTS; i++) {
        await setForm(page, { gil: GIL });
        const on = await probe(page);
        await setForm(page, { gil: GIL_OFF });
        const off = await probe(page);
        tries.push([on, off]);
        assert.deepEqual([on.gil, off.gil], [GIL, GIL_OFF]);
        if (on.p50_ms > 2 * off.p50_ms) break;
      }
      const [on, off] = tries.at(-1);
      assert.ok(on.p50_ms > 2 * off.p50_ms,
        `the waking thread waits for the GIL: ${tries.map(medians).join(' | ')}`);
      await context.close();
    });

    it('the probe: a shorter switch interval gives earlier wake-ups than a longer one', async () => {
      const { context, page } = await openReady(browser,
        `${server.url}?mode=racy&threads=1&gil=${GIL}&interval=1&probe=${SAMPLES}&wait=1`);
      const tries = [];
      for (let i = 0; i < ATTEMPTS; i++) {
        await setForm(page, { interval: 1 });
        const short = await probe(page);
        await setForm(page, { interval: 20 });
        const long = await probe(page);
        tries.push([short, long]);
        assert.deepEqual([short.interval, long.interval], [1, 20]);
        if (2 * short.p50_ms < long.p50_ms) break;
      }
      const [short, long] = tries.at(-1);
      assert.ok(2 * short.p50_ms < long.p50_ms,
        `the CPU thread is asked to drop the GIL one interval after the sleeper wakes: ${tries.map(medians).join(' | ')}`);
      await context.close();
    });

    it('waiting threads overlap under the GIL: their waits add up to more than the run, and N take far less than N times one', async () => {
      assert.ok(choices('mode').includes('waiting'), 'the engine offers the waiting mode');
      const perThread = 300_000; // 30 waits of 1 ms each (a wait every 10,000 increments)
      const { context, page } = await openReady(browser, `${server.url}?mode=waiting&threads=1&gil=${GIL}&total=${perThread}&wait=1`);
      const poolSize = await page.evaluate(() => window.gilPlayground.poolSize);
      const n = Math.min(3, poolSize);
      // The link's total has an option in the form; N times it gets one too, as a link's would.
      await page.evaluate((total) => {
        const select = document.getElementById('total');
        if (![...select.options].some((o) => o.value === String(total))) select.append(new Option(String(total), String(total)));
      }, n * perThread);
      const tries = [];
      for (let i = 0; i < ATTEMPTS; i++) {
        await setForm(page, { threads: 1, total: perThread });
        const one = await runOnce(page);
        await setForm(page, { threads: n, total: n * perThread });
        const many = await runOnce(page);
        const asleepAtOnce = many.summary.state_ns.sleeping / 1e6 / many.wall_ms;
        tries.push({ one, many, asleepAtOnce });
        if (asleepAtOnce > 1.5 && many.wall_ms < 0.75 * n * one.wall_ms && many.overlap >= 0.5) break;
      }
      const { one, many, asleepAtOnce } = tries.at(-1);
      const said = tries.map((t) => `${n} threads ${t.many.wall_ms.toFixed(1)} ms (overlap ${t.many.overlap.toFixed(2)}, `
        + `${t.asleepAtOnce.toFixed(2)} asleep at once on average), 1 thread ${t.one.wall_ms.toFixed(1)} ms`).join(' | ');
      assert.deepEqual([many.mode, many.gil, many.threads, one.threads], ['waiting', GIL, n, 1]);
      assert.equal(many.lost, 0, 'each thread counts on its own counter');
      assert.ok(many.summary.state_ns.sleeping > 0 && one.summary.state_ns.sleeping > 0, 'the threads waited');
      // Waits summed over the threads exceed the wall time only if threads waited at once.
      assert.ok(asleepAtOnce > 1.5, `the threads waited at the same time: ${said}`);
      // Run one after the other, N threads would take N times one thread's time.
      assert.ok(many.wall_ms < 0.75 * n * one.wall_ms, `N waiting threads take far less than N times one: ${said}`);
      assert.ok(many.overlap >= 0.5, `the threads overlapped: ${said}`);
      // The page shows the same (the last run was the N-thread one).
      const line = await page.textContent('#result [data-field=overlap]');
      assert.ok(line.includes(`All ${n} threads ran at the same time for ${Math.round(100 * many.overlap)}%`), line);
      await context.close();
    });
  });
}
