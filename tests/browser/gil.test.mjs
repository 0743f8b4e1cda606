// The emulated GIL on the page, in each engine: its settings reach the runs and the results,
// the timeline draws every thread, the safe points are marked, out-of-range intervals are
// refused, and the seed matrix yields one run per script and GIL column. Chromium takes the README's screenshot.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  ENGINE, ROOT, expectNoProblems, historyLength, latestEntries, openPage, runFromForm, screenshot, waitForEngine,
} from './harness.mjs';
import { forEachEngine } from './session.mjs';
import { lacks } from './engines/index.mjs';

const TOTAL = 2_000_000;

forEachEngine((engine, s) => {
  async function setGil(gil, interval = '5') {
    await s.page.selectOption('#gil', gil);
    await s.page.fill('#interval', interval);
  }

  describe('the emulated GIL on the page', () => {
    it('changes the run settings shown in the results when switched', async () => {
      const { page } = s;
      await setGil('off');
      let entry = await runFromForm(page, { mode: 'racy', threads: 2, total: TOTAL });
      assert.equal(entry.report.gil, 'off');
      assert.match(await page.textContent('[data-field=settings]'), /GIL off/);

      await setGil('3.9', '1');
      entry = await runFromForm(page, { mode: 'racy', threads: 2, total: TOTAL });
      assert.deepEqual([entry.report.gil, entry.report.interval], ['3.9', 1]);
      assert.match(await page.textContent('[data-field=settings]'), /GIL on, 3\.9 safe points, 1 ms/);
      assert.equal(entry.report.summary.overwritten, entry.report.lost, 'stale writes account for every loss');

      await setGil('3.10', '0.5');
      entry = await runFromForm(page, { mode: 'racy', threads: 2, total: TOTAL });
      assert.deepEqual([entry.report.gil, entry.report.interval], ['3.10', 0.5]);
      assert.match(await page.textContent('[data-field=settings]'), /GIL on, 3\.10\+ safe points, 0\.5 ms/);
      assert.equal(entry.report.final, TOTAL, '3.10 safe points never split "+="');
      const row = await page.textContent('#history tbody tr:first-child');
      assert.match(row, /on, 3\.10\+ safe points, 0\.5 ms/);
    });

    it('draws a non-empty lane for every thread of the last run', async () => {
      const { page } = s;
      await setGil('3.9', '0.5');
      const entry = await runFromForm(page, { mode: 'pymutex', threads: 4, total: TOTAL });
      assert.equal(entry.report.timeline.length, 4);
      assert.ok(await page.isVisible('#timeline canvas'));
      assert.equal(await page.getAttribute('#timeline canvas', 'data-drawn-lanes'), '4');
      // Count painted pixels in each lane's row of the canvas.
      const painted = await page.evaluate(() => {
        const canvas = document.querySelector('#timeline canvas');
        const g = canvas.getContext('2d');
        const dpr = canvas.width / canvas.clientWidth;
        return [0, 1, 2, 3].map((i) => {
          const y = Math.round((22 + i * 32 + 13) * dpr);
          const row = g.getImageData(Math.round(70 * dpr), y, canvas.width - Math.round(70 * dpr), 1).data;
          let coloured = 0;
          for (let p = 0; p < row.length; p += 4) if (!(row[p] === 244 && row[p + 1] === 246 && row[p + 2] === 248) && row[p + 3] > 0) coloured++;
          return coloured;
        });
      });
      for (const [i, n] of painted.entries()) assert.ok(n > 0, `lane ${i + 1} is empty`);
      const counts = await page.textContent('#timeline [data-role=counts]');
      assert.match(counts, /GIL handoffs/);
      assert.match(counts, /Drop requests/);
      assert.match(counts, /Mean GIL hold/);
      // Zooming changes the window shown, and "whole run" restores it.
      const whole = await page.textContent('#timeline [data-role=window]');
      await page.click('#timeline [data-zoom=in]');
      assert.notEqual(await page.textContent('#timeline [data-role=window]'), whole);
      await page.click('#timeline [data-zoom=reset]');
      assert.equal(await page.textContent('#timeline [data-role=window]'), whole);
    });

    it('marks the safe points of the chosen version in the bytecode', async () => {
      const { page } = s;
      // As many marks as the engine's listing for that version has safe points.
      const checks = (gil) => ENGINE.bytecode.find((b) => b.gil === gil && b.statement === 'augmented' && !b.locked)
        .ops.filter((op) => op.check).length;
      await page.selectOption('#statement', 'augmented');
      await page.selectOption('#mode', 'racy');
      await setGil('3.9');
      await page.dispatchEvent('#gil', 'change');
      assert.equal(await page.count('#python .bytecode li.safe-point'), checks('3.9'));
      await page.selectOption('#mode', 'racy');
      assert.match(await page.textContent('#python [data-role=serve-weights]'),
        /after loop 17%, after read 22%, after add 32%, after write 25%, after jump 3%/);
      await setGil('3.10');
      await page.dispatchEvent('#gil', 'change');
      assert.equal(await page.count('#python .bytecode li.safe-point'), checks('3.10'));
      assert.match(await page.textContent('#python .bytecode li.safe-point'), /JUMP_BACKWARD/);
    });

    it('refuses a switch interval out of range, in words', async () => {
      const { page } = s;
      await setGil('3.10', '0');
      const zero = await runFromForm(page, { mode: 'racy', threads: 2, total: TOTAL });
      assert.match(zero.error, /A switch interval of 0 ms is out of range: choose between 0\.1 and 100 ms/);
      await setGil('3.10', '');
      const empty = await runFromForm(page, { mode: 'racy', threads: 2, total: TOTAL });
      assert.match(empty.error, /The switch interval must be a number between 0\.1 and 100 ms, not “”/);
      await setGil('3.10', '5');
    });

    it('runs the seed matrix: one run per script and GIL column, with finals that fit their modes', async () => {
      const { page } = s;
      await setGil('3.10', '5');
      await page.selectOption('#threads', '2');
      await page.selectOption('#total', String(TOTAL));
      const { scripts, columns } = ENGINE.matrix;
      const cells = scripts.length * columns.length;
      const before = await historyLength(page);
      await page.click('button[data-role=matrix]');
      await page.waitForSelector('#controls[aria-busy=false]', { timeout: 180_000 });
      assert.equal(await historyLength(page), before + cells);
      const entries = (await latestEntries(page, cells)).reverse();
      const expect = columns.flatMap((gil) => scripts.map((script) => [script, gil]));
      for (const [i, [script, gil]] of expect.entries()) {
        const { report } = entries[i];
        assert.equal(report.mode, script.mode, script.name);
        assert.equal(report.gil, gil);
        if (script.one_thread) assert.equal(report.threads, 1);
        else assert.ok(report.threads >= 2, `${script.name} runs threads (one per core, at least 2)`);
        const mayLose = script.mode === 'racy' && report.threads > 1 && gil !== '3.10';
        if (mayLose) assert.ok(report.final <= TOTAL);
        else assert.equal(report.final, TOTAL, `${script.name} ${report.threads} GIL ${gil}`);
      }
      const output = await page.textContent('#matrix');
      assert.equal(output.match(/===== Running /g).length, cells);
      assert.equal(output.match(/Final counter value: /g).length, cells);
      assert.match(output, /GIL on, 3\.10\+ safe points, 5 ms/);
      const shape = await page.$$eval('#matrix [data-role=shape] li', (lis) => lis.map((li) => li.textContent));
      assert.ok(shape.length >= 5, shape.join('\n'));
      // The words follow the numbers: with 3.10 safe points and the GIL, nothing was lost.
      assert.ok(shape.some((line) => /^GIL on, 3\.10\+ safe points: the shared counter lost nothing/.test(line)), shape.join('\n'));
    });

    it('logged no console errors', { skip: lacks(engine, 'console-errors') }, (t) => {
      expectNoProblems(t, s.page);
    });

    it('shows 3.9 safe points losing updates under the GIL straight from a link (the README\'s screenshot)', async () => {
      const { page, context } = await openPage(s.browser,
        `${s.server.url}?mode=racy&threads=2&total=20000000&gil=3.9`, { viewport: { width: 1200, height: 1500 } });
      await waitForEngine(page);
      const { report } = await runFromForm(page, {});
      assert.deepEqual([report.mode, report.threads, report.gil, report.expected], ['racy', 2, '3.9', 20_000_000]);
      await screenshot(page, 'main', { readme: `${ROOT}docs/screenshot.png` });
      await context.close();
    });
  });
}, { page: { total: TOTAL } });
