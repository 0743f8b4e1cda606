// The thread-scaling sweep, the packed/padded toggle and the exports, in each engine: one
// point per thread count up to the pool the page chose, finals that fit the mode, a layout
// that reaches the report, and CSV/JSON/PNG files that parse and hold every run.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { expectNoProblems, historyLength, latestEntries, modesWhere, runFromForm } from './harness.mjs';
import { forEachEngine } from './session.mjs';
import { lacks } from './engines/index.mjs';

const TOTAL = 1_000_000;

/**
 * Catches the page's downloads instead of letting the browser save them (only Playwright can
 * wait for a download): views/export.js's download() clicks an <a download> to a blob: URL, so
 * the blob is kept when its URL is made and read when the link is clicked. Each download
 * becomes { name, base64 } in window.downloads.
 */
const catchDownloads = (page) => page.evaluate(() => {
  window.downloads = [];
  const blobs = new Map();
  const createObjectURL = URL.createObjectURL.bind(URL);
  URL.createObjectURL = (blob) => {
    const url = createObjectURL(blob);
    blobs.set(url, blob);
    return url;
  };
  document.addEventListener('click', (event) => {
    const link = event.target.closest?.('a[download]');
    if (!link) return;
    event.preventDefault();
    const file = { name: link.download, base64: null };
    window.downloads.push(file);
    const reader = new FileReader();
    reader.onload = () => { file.base64 = reader.result.slice(reader.result.indexOf(',') + 1); };
    reader.readAsDataURL(blobs.get(link.href));
  }, true);
});

forEachEngine((engine, s) => {
  /** Clicks `selector` and returns the downloaded file's name and bytes. */
  async function downloadFrom(selector) {
    const n = await s.page.evaluate(() => window.downloads.length);
    await s.page.click(selector);
    const file = await s.page.waitForFunction((i) => window.downloads[i]?.base64 !== null && window.downloads[i], n);
    return { name: file.name, body: Buffer.from(file.base64, 'base64') };
  }

  describe('scaling, false sharing and exports', () => {
    it('reports the counter layout the toggle chose', async () => {
      const { page } = s;
      for (const layout of ['packed', 'padded']) {
        await page.selectOption('#layout', layout);
        const { report } = await runFromForm(page, { mode: 'private', threads: 2, total: TOTAL });
        assert.equal(report.layout, layout);
        assert.equal(report.final, TOTAL);
      }
      assert.match(await page.textContent('#mode-explain'), /a cache line of its own/);
    });

    it('sweeps 1 to the pool size, one point per thread count, with finals that fit', async () => {
      const { page } = s;
      const poolSize = await page.evaluate(() => window.gilPlayground.poolSize);
      for (const [mode, layout] of [['private', 'packed'], ['racy', 'padded']]) {
        await page.selectOption('#mode', mode);
        await page.selectOption('#layout', layout);
        const before = await historyLength(page);
        await page.click('button[data-role=sweep]');
        await page.waitForSelector('#sweep[data-state=running]');
        await page.waitForSelector('#controls[aria-busy=false]', { timeout: 120_000 });
        assert.equal(await historyLength(page), before + poolSize);
        const runs = (await latestEntries(page, poolSize)).reverse();
        assert.deepEqual(runs.map((r) => r.report.threads), Array.from({ length: poolSize }, (_, i) => i + 1));
        for (const { report } of runs) {
          assert.equal(report.mode, mode);
          if (!modesWhere('exact').includes(mode) && report.threads > 1) assert.ok(report.final <= TOTAL);
          else assert.equal(report.final, TOTAL);
        }
        assert.equal(await page.getAttribute('#sweep', 'data-state'), 'done');
      }
      // Both sweeps are on both charts, each with the ideal line on the speedup chart.
      const legends = await page.$$eval('#sweep .u-legend', (ls) => ls.map((l) => l.textContent));
      assert.equal(legends.length, 2);
      assert.match(legends[1], /private packed, GIL off.*racy, GIL off.*ideal/s);
    });

    it('cancels a sweep after the run under way', async () => {
      const { page } = s;
      await page.selectOption('#mode', 'atomic');
      // Runs long enough (hundreds of ms each) that the sweep cannot end before the click lands.
      await page.selectOption('#total', '50000000');
      await page.click('button[data-role=sweep]');
      await page.waitForSelector('#sweep [data-role=sweep-cancel]:not([hidden])');
      await page.click('#sweep [data-role=sweep-cancel]');
      await page.waitForSelector('#controls[aria-busy=false]', { timeout: 60_000 });
      assert.equal(await page.getAttribute('#sweep', 'data-state'), 'cancelled');
      assert.match(await page.textContent('#sweep [data-role=sweep-status]'), /Sweep cancelled after \d thread count/);
      await page.selectOption('#total', String(TOTAL));
    });

    it('exports every run as CSV and JSON, and the chart as PNG', async () => {
      const { page } = s;
      await catchDownloads(page);
      const entries = await historyLength(page);
      const csv = await downloadFrom('[data-role=export-csv]');
      assert.match(csv.name, /^gil-playground-runs-.*\.csv$/);
      const lines = csv.body.toString().trim().split('\n');
      const header = lines[0].split(',');
      assert.equal(lines.length, entries + 1, 'a header and one line per run');
      for (const column of ['mode', 'threads', 'total', 'gil', 'layout', 'wall_ms', 'final', 'lost']) {
        assert.ok(header.includes(column), `CSV has ${column}`);
      }
      const rows = lines.slice(1).map((line) => Object.fromEntries(line.split(',').map((v, i) => [header[i], v])));
      assert.deepEqual(rows.map((r) => Number(r.run)), Array.from({ length: entries }, (_, i) => i + 1));
      assert.ok(rows.every((r) => Number(r.final) <= Number(r.total)));

      const json = await downloadFrom('[data-role=export-json]');
      assert.match(json.name, /^gil-playground-runs-.*\.json$/);
      const data = JSON.parse(json.body.toString());
      assert.equal(data.runs.length, entries);
      assert.equal(data.environment.isolated, true);
      assert.ok(data.runs.every((r) => r.report && r.settings && r.report.timeline === undefined));
      assert.equal(data.runs.at(-1).report.final, Number(rows.at(-1).final));

      const png = await downloadFrom('#sweep [data-role=export-png]');
      assert.match(png.name, /^gil-playground-sweep-.*\.png$/);
      assert.deepEqual([...png.body.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      assert.ok(png.body.length > 5000, 'the PNG holds a drawing');
    });

    it('logged no console errors', { skip: lacks(engine, 'console-errors') }, (t) => {
      expectNoProblems(t, s.page);
    });
  });
}, { page: { total: TOTAL } });
