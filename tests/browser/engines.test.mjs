// The playground in every engine installed here (or those named in GIL_ENGINES), through the
// engine facade only (engines/): isolation and threads, a run through the engine and one through
// the form, a presenter's key, a phone viewport, a screenshot, the example deck's playground
// frame, no console errors where the engine reports them, and WebKit's 1-thread fallback.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { startServer } from './harness.mjs';
import { enginesToTest, lacks, launch } from './engines/index.mjs';

const READY = { timeout: 60_000 };
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

let server;
before(async () => { server = await startServer(); });
after(() => server?.close());

/** A new context's page at `url`, once its engine is ready. */
async function open(browser, url, contextOptions) {
  const context = await browser.newContext(contextOptions);
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForSelector('body[data-engine=ready]', READY);
  return { context, page };
}

const engineRun = (page, settings) => page.evaluate((s) => window.gilPlayground.engine.run(s), settings);

/** The GIL control's state: a checkbox's checked, or (since controls come from the schema) a select's value. */
const gilState = async (page) => (await page.getAttribute('#gil', 'type') === 'checkbox'
  ? page.isChecked('#gil') : page.inputValue('#gil'));

for (const engine of enginesToTest()) {
  describe(engine, () => {
    let browser;
    let page;
    let took;
    before(async () => {
      const start = performance.now();
      browser = await launch(engine);
      const launched = performance.now();
      const context = await browser.newContext();
      page = await context.newPage();
      took = `launch ${Math.round(launched - start)} ms, first context and page ${Math.round(performance.now() - launched)} ms`;
      await page.goto(server.url);
      await page.waitForSelector('body[data-engine=ready]', READY);
    });
    after(async () => { await browser?.close(); });

    it('is cross-origin isolated and threaded', async (t) => {
      t.diagnostic(`${engine}: ${took}`);
      assert.equal(await page.evaluate(() => self.crossOriginIsolated), true);
      assert.equal(await page.evaluate(() => window.gilPlayground.threaded), true);
    });

    it('runs private on 2 distinct threads through the engine', async () => {
      const report = await engineRun(page, { mode: 'private', threads: 2, total: 2_000_000 });
      assert.equal(report.final, 2_000_000);
      assert.equal(report.distinct_threads, 2);
    });

    it('runs racy on 2 threads through the form', async () => {
      const before = await page.evaluate(() => window.gilPlayground.history.entries.length);
      await page.selectOption('#mode', 'racy');
      await page.selectOption('#threads', '2');
      await page.selectOption('#total', '1000000');
      await page.click('button[data-role=run]');
      await page.waitForSelector('#controls[aria-busy=false]', { timeout: 120_000 });
      const { count, report, error } = await page.evaluate(() => {
        const { entries } = window.gilPlayground.history;
        return { count: entries.length, report: entries[0].report, error: entries[0].error };
      });
      assert.equal(count, before + 1, 'the click started one run');
      assert.equal(error, undefined);
      assert.deepEqual([report.mode, report.threads, report.expected], ['racy', 2, 1_000_000]);
      assert.ok(report.lost >= 0);
      assert.equal(report.lost, report.expected - report.final);
    });

    it('toggles the GIL with the g key', async () => {
      await page.evaluate(() => document.activeElement?.blur());
      const was = await gilState(page);
      await page.keyboard.press('g');
      assert.notEqual(await gilState(page), was);
      await page.keyboard.press('g');
      assert.equal(await gilState(page), was);
    });

    it('lays the page out in a 390x844 phone viewport', async () => {
      const { context, page: phone } = await open(browser, server.url, { viewport: { width: 390, height: 844 } });
      const size = await phone.evaluate(() => ({
        innerWidth, innerHeight, scrollWidth: document.documentElement.scrollWidth }));
      assert.deepEqual([size.innerWidth, size.innerHeight], [390, 844]);
      assert.ok(size.scrollWidth <= 390, `the page is ${size.scrollWidth}px wide`);
      await context.close();
    });

    it('writes a screenshot of the viewport', async () => {
      const dir = await mkdtemp(`${tmpdir()}/gil-shot-`);
      try {
        const png = await page.screenshot({ path: `${dir}/${engine}.png` });
        assert.deepEqual(png.subarray(0, 8), PNG);
        assert.equal(png.readUInt32BE(16), 1280, 'as wide as the viewport');
        assert.equal((await stat(`${dir}/${engine}.png`)).size, png.length);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('drives the isolated playground in the example deck\'s frame', async () => {
      const context = await browser.newContext({ viewport: { width: 1100, height: 720 } });
      const deck = await context.newPage();
      await deck.goto(`${server.url}deck.html?slide=1`);
      const frame = await deck.frame('#playground');
      await frame.waitForSelector('body[data-engine=ready]', READY);
      assert.equal(await deck.evaluate(() => self.crossOriginIsolated), true, 'the deck is isolated');
      assert.equal(await frame.evaluate(() => self.crossOriginIsolated), true, 'so is its frame');
      assert.equal(await frame.evaluate(() => window.gilPlayground.threaded), true);
      await deck.clickText('button', 'No GIL, no lock');
      await deck.waitForSelector('#deck-result[data-id=deck-1]', READY);
      assert.match(await deck.textContent('#deck-result'), /racy, 2 threads, GIL off/);
      assert.equal(await frame.evaluate(() => window.gilPlayground.history.entries[0].report.threads), 2);
      if (!lacks(engine, 'console-errors')) assert.deepEqual(deck.problems, []);
      await context.close();
    });

    it('reported no console errors or uncaught exceptions', { skip: lacks(engine, 'console-errors') }, () => {
      assert.deepEqual(page.problems, []);
    });

    if (engine === 'webkit') {
      it('falls back to 1 thread without JSC_useSharedArrayBuffer', async () => {
        const plain = await launch('webkit', { sharedArrayBuffer: false });
        try {
          const { page: single } = await open(plain, server.url);
          assert.equal(await single.evaluate(() => self.crossOriginIsolated), true);
          assert.equal(await single.evaluate(() => typeof SharedArrayBuffer), 'undefined');
          assert.equal(await single.evaluate(() => window.gilPlayground.threaded), false);
          const report = await engineRun(single, { mode: 'atomic', threads: 1, total: 1_000_000 });
          assert.equal(report.final, 1_000_000);
        } finally {
          await plain.close();
        }
      });
    }
  });
}
