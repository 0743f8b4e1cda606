// The playground page in each engine (Chromium, Firefox, WebKit): isolation and the pool the
// page chose, every mode at 1, 2 and 4 threads, refused settings, a responsive main thread,
// Stop, a panic reaching the page, the GIL key, and no console errors.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  choices, expectNoProblems, forceOption, historyLength, latestEntries, modesWhere, runFromForm, waitForEngine,
} from './harness.mjs';
import { forEachEngine } from './session.mjs';
import { lacks } from './engines/index.mjs';

const MODES = choices('mode');
const EXACT = modesWhere('exact');
const TOTAL = 2_000_000; // not a preset: the session adds it to the form with forceOption
const PANIC = /deliberate panic 42|unreachable/; // the panic's own console output is expected

/** The GIL control's state: a checkbox's checked, or (since controls come from the schema) a select's value. */
const gilState = async (page) => (await page.getAttribute('#gil', 'type') === 'checkbox'
  ? page.isChecked('#gil') : page.inputValue('#gil'));

forEachEngine((engine, s) => {
  const poolSize = () => s.page.evaluate(() => window.gilPlayground.poolSize);

  describe('the playground page', () => {
    it('is cross-origin isolated and offers the whole pool', async () => {
      const { page } = s;
      assert.equal(await page.evaluate(() => self.crossOriginIsolated), true);
      assert.equal(await page.evaluate(() => window.gilPlayground.threaded), true);
      assert.match(await page.textContent('#environment'), /cross-origin isolated: yes/);
      // The pool follows the cores the browser reports (WebKit reports 4 on any machine).
      const { pool, cores } = await page.evaluate(() => ({
        pool: window.gilPlayground.poolSize, cores: navigator.hardwareConcurrency }));
      assert.equal(pool, Math.min(32, Math.max(4, 2 * cores)));
      const offered = await page.$$eval('#threads option', (os) => os.map((o) => Number(o.value)));
      assert.deepEqual(offered, Array.from({ length: pool }, (_, i) => i + 1));
    });

    it('lists exactly the modes and settings the engine knows', async () => {
      const { page } = s;
      const inPage = await page.$$eval('#mode option', (os) => os.map((o) => o.value));
      const inEngine = await page.evaluate(() => window.gilPlayground.engine.info.modes.map((m) => m.name));
      assert.deepEqual(inPage, inEngine);
      assert.deepEqual(inEngine, MODES, 'the wasm build and the CLI have the same table');
      const fields = await page.$$eval('#controls [data-setting]', (ls) => ls.map((l) => l.dataset.setting));
      const inLinks = await page.evaluate(() => window.gilPlayground.engine.info.settings
        .filter((f) => f.in_links).map((f) => f.name));
      assert.deepEqual(fields, inLinks);
    });

    it('explains a mode with what this engine measured at start, and only what it measured', async () => {
      const { page } = s;
      const calibration = await page.evaluate(() => window.gilPlayground.engine.info.calibration);
      assert.ok(calibration.atomic_ms > 0 && calibration.writes.every((w) => w.ms > 0));
      const cheaper = calibration.atomic_ms * 1.1 < Math.min(...calibration.writes.map((w) => w.ms));
      assert.equal(Boolean(calibration.notes.mode.atomic), cheaper, 'a note exactly when atomic measured cheaper');
      await page.selectOption('#mode', 'atomic');
      const text = await page.textContent('#mode-explain');
      if (cheaper) assert.ok(text.includes(`${calibration.atomic_ms.toFixed(1)} ms`), text);
      else assert.doesNotMatch(text, /cheaper than the plain read and write/);
      await page.selectOption('#mode', 'racy');
      assert.doesNotMatch(await page.textContent('#mode-explain'), /cheaper than the plain read and write/);
    });

    for (const mode of MODES) {
      for (const threads of [1, 2, 4]) {
        it(`runs ${mode} on ${threads} distinct thread(s) with a final count its mode allows`, async () => {
          const { page } = s;
          const { report, error } = await runFromForm(page, { mode, threads, total: TOTAL });
          assert.equal(error, undefined);
          assert.equal(report.mode, mode);
          assert.equal(report.threads, threads);
          assert.equal(report.expected, TOTAL);
          assert.equal(report.distinct_threads, threads, 'each share ran on its own worker');
          assert.equal(new Set(report.thread_ids).size, threads);
          assert.equal(report.per_thread_increments.reduce((a, b) => a + b, 0), TOTAL);
          assert.equal(report.lost, report.expected - report.final);
          if (!EXACT.includes(mode) && threads > 1) assert.ok(report.final <= TOTAL);
          else assert.equal(report.final, TOTAL, 'exact');
          // The page shows the same numbers the engine measured.
          const shownFinal = await page.textContent('[data-field=final]');
          assert.equal(shownFinal.replaceAll(',', ''), String(report.final));
          assert.equal(await page.count('#result .lane'), threads);
        });
      }
    }

    it('shows speedup against the 1-thread run of the same mode', async () => {
      const { page } = s;
      const latest = (await latestEntries(page, await historyLength(page)))
        .find((e) => e.report?.mode === 'private' && e.report.threads === 4);
      const base = await page.evaluate(() => window.gilPlayground.history.baseline('private'));
      assert.ok(base > 0);
      assert.equal(latest.speedup, latest.report.million_per_second / base);
    });

    const refusals = [
      ['threads', 99, (pool) => new RegExp(`99 threads is out of range: choose between 1 and ${pool} threads`)],
      ['total', 0, () => /A total of 0 increments is out of range/],
      ['total', 3_000_000_000, () => /A total of 3000000000 increments is out of range: choose between 1 and 2000000000/],
      ['mode', 'spinlock', () => /There is no mode called “spinlock”/],
    ];
    for (const [field, value, message] of refusals) {
      it(`refuses ${field} = ${value} with a message and keeps working`, async () => {
        const { page } = s;
        const expected = message(await poolSize());
        await forceOption(page, field, value);
        const entry = await runFromForm(page, { [field]: value });
        assert.match(entry.error, expected);
        assert.match(await page.textContent('#notice'), expected);
        // Nothing was lost: the engine still runs the next valid run.
        const next = await runFromForm(page, { mode: 'atomic', threads: 2, total: TOTAL });
        assert.equal(next.report.final, TOTAL);
        assert.equal(await page.isHidden('#notice'), true);
      });
    }

    it('toggles the GIL with the g key, and back', async () => {
      const { page } = s;
      await page.evaluate(() => document.activeElement?.blur());
      const was = await gilState(page);
      await page.keyboard.press('g');
      assert.notEqual(await gilState(page), was);
      await page.keyboard.press('g');
      assert.equal(await gilState(page), was);
    });

    it('keeps the main thread responsive and shows that a run is under way', async () => {
      const { page } = s;
      await page.selectOption('#mode', 'racy');
      await page.selectOption('#threads', '2');
      await page.selectOption('#total', '100000000');
      await page.click('button[data-role=run]');
      assert.equal(await page.getAttribute('#controls', 'aria-busy'), 'true');
      assert.match(await page.textContent('button[data-role=run]'), /Running/);
      assert.equal(await page.isVisible('button[data-role=stop]'), true);
      // Count animation frames for as long as the run is under way.
      const seen = await page.evaluate(() => new Promise((resolve) => {
        let count = 0;
        const start = performance.now();
        const tick = () => {
          count++;
          if (document.getElementById('controls').getAttribute('aria-busy') === 'true') {
            requestAnimationFrame(tick);
          } else resolve({ count, ms: performance.now() - start });
        };
        requestAnimationFrame(tick);
      }));
      const [entry] = await latestEntries(page);
      // A main thread blocked by the run would paint about once; this one keeps animating.
      assert.ok(seen.count >= 10, `only ${seen.count} frames in ${seen.ms} ms of a ${entry.report.wall_ms} ms run`);
    });

    it('stops a long run cooperatively: the same engine, its threads free again', async () => {
      const { page } = s;
      await page.evaluate(() => { window.engineBeforeStop = window.gilPlayground.engine.worker; });
      await page.selectOption('#mode', 'mutex');
      await page.selectOption('#threads', '4');
      await page.selectOption('#total', '500000000');
      await page.click('button[data-role=run]');
      await page.waitForFunction(() => [...document.querySelectorAll('#result .lane .bar')]
        .some((bar) => parseFloat(bar.style.width) > 0), null, { timeout: 30_000 });
      await page.click('button[data-role=stop]');
      await page.waitForSelector('#controls[aria-busy=false]');
      const stopped = await page.evaluate(() => {
        const { timeline, ...report } = window.gilPlayground.history.entries[0].report;
        return report;
      });
      assert.equal(stopped.stopped, true, 'the report says the run was stopped');
      assert.ok(stopped.expected < 500_000_000, 'it ended early');
      assert.equal(stopped.final, stopped.expected, 'a lock mode counts what it did, stopped or not');
      assert.match(await page.textContent('#result'), /stopped after/);
      assert.equal(await page.evaluate(() => window.gilPlayground.engine.worker === window.engineBeforeStop), true,
        'the engine was not restarted');
      const next = await runFromForm(page, { mode: 'private', threads: 4, total: TOTAL });
      assert.equal(next.report.final, TOTAL);
    });

    it('reports a panic in a pool thread with its text, and restarts', async (t) => {
      const { page } = s;
      await page.evaluate(() => window.gilPlayground.engine.debugPanic('deliberate panic 42'));
      await waitForEngine(page, 'failed');
      const text = await page.textContent('#notice');
      assert.match(text, /A thread panicked: .*deliberate panic 42/s);
      assert.equal(await page.isDisabled('button[data-role=run]'), true);
      await page.clickText('#notice button', 'Restart engine');
      await waitForEngine(page);
      const next = await runFromForm(page, { mode: 'racy', threads: 1, total: TOTAL });
      assert.equal(next.report.final, TOTAL);
      expectNoProblems(t, page, PANIC);
    });
  });

  describe('console', () => {
    it('had no errors but the deliberate panic\'s', { skip: lacks(engine, 'console-errors') }, (t) => {
      expectNoProblems(t, s.page, PANIC);
    });
  });
}, { page: { total: TOTAL } });
