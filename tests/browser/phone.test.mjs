// Attendees' phones, at 390x844 and 360x740, in every engine installed here (Chromium with touch
// and a phone's pixel ratio; Firefox and WebKitGTK at the same viewport, where their drivers
// offer no touch): after tapping Run the verdict and the lost updates are on screen; every view
// (result, timeline, sweep, seed matrix, step-through, histogram, prediction, QR code, help)
// fits the width, its targets are 44x44 CSS px at least, and nothing hides behind the buttons
// fixed at the bottom. The timeline pans and zooms by touch. Each view's screenshot goes to
// test-results/screenshots/phone-<engine>-<width>-<view>.png (the README shows two of them,
// copied to docs/screenshots/).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { ROOT, startServer, waitForEngine } from './harness.mjs';
import { enginesToTest, lacks, launch } from './engines/index.mjs';

const SHOTS = `${ROOT}test-results/screenshots`;
const PHONES = [[390, 844], [360, 740]];

let server;
before(async () => {
  server = await startServer();
  await mkdir(SHOTS, { recursive: true });
});
after(() => server?.close());

/** A tap where the engine has touch (a real touch point through CDP), else a click. */
async function tap(page, touch, selector) {
  if (!touch) return page.click(selector);
  await page.waitForSelector(`${selector}:not(:disabled)`);
  const box = await page.evaluate((s) => {
    const el = document.querySelector(s);
    if (getComputedStyle(el.closest('.buttons') ?? el).position !== 'fixed') el.scrollIntoView({ block: 'center' });
    const r = el.getBoundingClientRect();
    return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
  }, selector);
  const cdp = await page.cdp();
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [box] });
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
}

/** Fingers moving together: `from` and `to` are lists of points, one per finger. */
async function gesture(page, from, to, steps = 8) {
  const cdp = await page.cdp();
  const at = (k) => from.map((p, i) => ({ x: p.x + ((to[i].x - p.x) * k) / steps, y: p.y + ((to[i].y - p.y) * k) / steps, id: i }));
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: at(0) });
  for (let k = 1; k <= steps; k++) await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: at(k) });
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
}

/**
 * What is wrong with the layout as a phone user sees it: horizontal scrolling, targets under
 * 44x44 px inside `scope`, and content that ends behind the buttons fixed at the bottom.
 */
function layoutProblems(page, scope, width = 390) {
  return page.evaluate(([sel, screen]) => {
    const problems = [];
    const doc = document.documentElement;
    const y = scrollY;
    // A phone zooms out to show content wider than its screen: innerWidth grows with it.
    if (doc.scrollWidth > screen || innerWidth > screen) problems.push(`the page is ${doc.scrollWidth}px wide on a ${screen}px screen`);
    const shown = (e) => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== 'hidden'; };
    for (const root of document.querySelectorAll(sel)) {
      for (const e of root.querySelectorAll('button, select, input, a[href], summary, [tabindex="0"]:not(pre):not(canvas)')) {
        if (!shown(e)) continue;
        // A checkbox's label takes the tap too: the label is the target.
        const r = (e.matches('[type=checkbox], [type=radio]') ? e.closest('label') ?? e : e).getBoundingClientRect();
        if (r.width < 44 || r.height < 44) problems.push(`${e.id || e.dataset.role || e.dataset.key || e.localName} "${e.textContent.trim().slice(0, 20)}" is ${Math.round(r.width)}x${Math.round(r.height)}`);
      }
    }
    // Scrolled to the end, the last content is above the fixed buttons.
    const bar = document.querySelector('.buttons');
    if (bar && getComputedStyle(bar).position === 'fixed') {
      scrollTo(0, doc.scrollHeight);
      const last = [...document.querySelectorAll('body > main > *, body > footer > *')].filter(shown).at(-1);
      const hidden = last && last.getBoundingClientRect().bottom > bar.getBoundingClientRect().top + 1;
      if (hidden) problems.push(`${last.id || last.localName} ends behind the buttons`);
      scrollTo(0, y);
    }
    return problems;
  }, [scope, width]);
}

/** Resolves once the page has stopped scrolling (a smooth scroll may follow a run). */
const settled = (page) => page.waitForFunction(() => new Promise((resolve) => {
  const y = scrollY;
  setTimeout(() => resolve(scrollY === y), 300);
}), null, { timeout: 10_000 });

const finished = (page, n) => page.waitForFunction((k) => window.gilPlayground.history.entries.length >= k
  && document.querySelector('#controls').getAttribute('aria-busy') === 'false', n, { timeout: 180_000 });

for (const engine of enginesToTest()) {
  describe(`${engine} on phones`, () => {
    let browser;
    const touch = !lacks(engine, 'touch') && !lacks(engine, 'cdp');
    before(async () => { browser = await launch(engine); });
    after(async () => { await browser?.close(); });

    for (const [width, height] of PHONES) {
      it(`${width}x${height}: after tapping Run the verdict and the lost updates are on screen`, async () => {
        const options = { viewport: { width, height } };
        if (touch) Object.assign(options, { isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
        const context = await browser.newContext(options);
        const page = await context.newPage();
        await page.goto(`${server.url}?mode=racy&threads=2&total=10000000`);
        await waitForEngine(page);
        const run = await page.evaluate(() => { const r = document.querySelector('button[data-role=run]').getBoundingClientRect(); return { top: r.top, bottom: r.bottom, height: r.height }; });
        assert.ok(run.bottom <= height && run.top >= 0, 'Run is on the first screen');
        assert.ok(run.height >= 44, `Run is ${run.height}px tall`);
        await tap(page, touch, 'button[data-role=run]');
        await finished(page, 1);
        // The page may still be scrolling smoothly: wait for the verdict to come to rest in view.
        const seen = await page.waitForFunction(() => {
          const bar = document.querySelector('.buttons').getBoundingClientRect().top;
          const verdict = document.querySelector('#result .verdict').getBoundingClientRect();
          const lost = document.querySelector('#result [data-field=lost]').getBoundingClientRect();
          const inView = (r) => r.top >= 0 && r.bottom <= bar;
          return inView(verdict) && inView(lost) && { verdict: verdict.top, lost: lost.bottom, bar };
        }, null, { timeout: 5_000 });
        assert.ok(seen.lost <= seen.bar);
        assert.deepEqual(await layoutProblems(page, '#controls, #result', width), []);
        await page.screenshot({ path: `${SHOTS}/phone-${engine}-${width}-result.png` });
        // Changing a setting afterwards does not move what the reader looks at.
        const verdictTop = () => page.evaluate(() => Math.round(document.querySelector('#result .verdict').getBoundingClientRect().top));
        const y = await verdictTop();
        await page.evaluate(() => {
          const mode = document.getElementById('mode');
          mode.value = 'atomic';
          mode.dispatchEvent(new Event('change', { bubbles: true }));
        });
        assert.ok(Math.abs(await verdictTop() - y) <= 1, 'a settings change does not move the result');
        await context.close();
      });
    }

    it('390x844: every view fits, with targets a thumb can hit', async () => {
      const options = { viewport: { width: 390, height: 844 } };
      if (touch) Object.assign(options, { isMobile: true, hasTouch: true });
      const context = await browser.newContext(options);
      const page = await context.newPage();
      await page.goto(`${server.url}?mode=pymutex&threads=2&total=100000&gil=3.10`);
      await waitForEngine(page);
      const shot = (view) => page.screenshot({ path: `${SHOTS}/phone-${engine}-390-${view}.png` });
      const check = async (view, scope) => {
        await settled(page);
        await page.evaluate((s) => document.querySelector(s).scrollIntoView({ block: 'start' }), scope.split(',')[0]);
        await shot(view);
        assert.deepEqual(await layoutProblems(page, scope), [], view);
      };
      await tap(page, touch, 'button[data-role=run]');
      await finished(page, 1);
      await check('timeline', '#timeline');
      await tap(page, touch, 'button[data-role=sweep]');
      await finished(page, 2);
      await page.waitForSelector('#sweep canvas');
      await check('sweep', '#sweep');
      const runs = await page.evaluate(() => window.gilPlayground.history.entries.length);
      await tap(page, touch, 'button[data-role=matrix]');
      await page.waitForFunction((n) => window.gilPlayground.history.entries.length > n
        && document.querySelector('#controls').getAttribute('aria-busy') === 'false', runs, { timeout: 180_000 });
      await check('matrix', '#matrix');
      await tap(page, touch, 'button[data-role=step]');
      await page.waitForSelector('#step button');
      await check('step', '#step');
      await tap(page, touch, 'button[data-role=repeat]');
      await page.waitForSelector('#histogram canvas', { timeout: 180_000 });
      await finished(page, 1);
      await check('histogram', '#histogram');
      await tap(page, touch, 'button[data-role=predict]');
      await page.waitForSelector('#predict button');
      await check('predict', '#predict');
      await tap(page, touch, '[data-role=show-qr]');
      await page.waitForSelector('#qr-overlay[open] canvas');
      await shot('qr');
      assert.deepEqual(await layoutProblems(page, '#qr-overlay'), [], 'QR code');
      const qr = await page.evaluate(() => { const r = document.querySelector('#qr-overlay canvas').getBoundingClientRect(); return { left: r.left, right: r.right }; });
      assert.ok(qr.left >= 0 && qr.right <= 390, 'the QR code is whole on screen');
      await page.keyboard.press('Escape');
      await tap(page, touch, '[data-role=show-help]');
      await page.waitForSelector('#help-overlay[open]');
      await shot('help');
      assert.deepEqual(await layoutProblems(page, '#help-overlay'), [], 'help');
      await page.keyboard.press('Escape');
      await context.close();
    });

    it('390x844: the timeline pans with one finger and zooms with two', { skip: touch ? false : lacks(engine, 'touch') }, async () => {
      const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
      const page = await context.newPage();
      await page.goto(`${server.url}?mode=pymutex&threads=2&total=200000`);
      await waitForEngine(page);
      await tap(page, true, 'button[data-role=run]');
      await finished(page, 1);
      await settled(page);
      const box = await page.evaluate(() => {
        const canvas = document.querySelector('#timeline > canvas');
        canvas.scrollIntoView({ block: 'center' });
        const r = canvas.getBoundingClientRect();
        return { left: r.left, right: r.right, y: r.top + r.height / 2 };
      });
      const windowLabel = () => page.textContent('#timeline [data-role=window]');
      const whole = await windowLabel();
      const mid = (box.left + box.right) / 2;
      await gesture(page, [{ x: mid - 20, y: box.y }, { x: mid + 20, y: box.y }], [{ x: mid - 120, y: box.y }, { x: mid + 120, y: box.y }]);
      const zoomed = await windowLabel();
      assert.notEqual(zoomed, whole, 'spreading two fingers zooms in');
      await gesture(page, [{ x: mid + 80, y: box.y }], [{ x: mid - 80, y: box.y }]);
      assert.notEqual(await windowLabel(), zoomed, 'one finger pans');
      await context.close();
    });
  });
}
