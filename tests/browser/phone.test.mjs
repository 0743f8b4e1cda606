// Phones, in each engine at 390x844 and 360x740: no horizontal scrolling, the Run button within
// a thumb's reach and still there after scrolling to the results, results readable; and a run
// started by a tap where the driver can emulate touch. Chromium's screenshots (touch, 2x) go to
// docs/screenshots/ (the README shows them), the other engines' to docs/screenshots/engines/.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ROOT, expectNoProblems, openPage, screenshot, waitForEngine } from './harness.mjs';
import { forEachEngine } from './session.mjs';
import { lacks } from './engines/index.mjs';

const RUN = 'button[data-role=run]';

/** The Run button's top and height in the viewport. */
const runBox = (page) => page.evaluate((selector) => {
  const { y, height } = document.querySelector(selector).getBoundingClientRect();
  return { y, height };
}, RUN);

forEachEngine((engine, s) => {
  /** A phone's context options: touch and a 2x screen where the engine's driver can emulate them. */
  function phone(t, width, height) {
    const missing = ['touch', 'device-scale'].filter((c) => lacks(engine, c));
    if (missing.length) t.diagnostic(`${engine}: a ${width}x${height} viewport without ${missing.join(' or ')} emulation (${missing.map((c) => lacks(engine, c)).join('; ')})`);
    return {
      viewport: { width, height },
      ...(lacks(engine, 'device-scale') ? {} : { deviceScaleFactor: 2 }),
      ...(lacks(engine, 'touch') ? {} : { isMobile: true, hasTouch: true }),
    };
  }

  for (const [width, height] of [[390, 844], [360, 740]]) {
    describe(`a ${width}x${height} phone`, () => {
      it('fits the width, keeps Run within reach and shows readable results', async (t) => {
        const { page, context } = await openPage(s.browser, `${s.server.url}?mode=racy&threads=2&total=10000000`,
          phone(t, width, height));
        await waitForEngine(page);
        assert.deepEqual(await page.evaluate(() => [innerWidth, innerHeight]), [width, height]);
        const box = await runBox(page);
        assert.ok(box.y + box.height <= height, 'Run is on the first screen');
        assert.ok(box.height >= 44, `Run is ${box.height}px tall: big enough for a thumb`);
        await page.click(RUN);
        await page.waitForSelector('#result[data-state=done]', { timeout: 60_000 });
        const fit = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth }));
        assert.ok(fit.scrollWidth <= fit.innerWidth, `${fit.scrollWidth}px of content in ${fit.innerWidth}px`);
        const verdict = await page.evaluate(() => parseFloat(getComputedStyle(document.querySelector('.verdict')).fontSize));
        const figure = await page.evaluate(() => parseFloat(getComputedStyle(document.querySelector('.figure dd')).fontSize));
        assert.ok(verdict >= 20 && figure >= 16, `verdict ${verdict}px, figures ${figure}px`);
        // After scrolling to the results, Run is still within reach (the buttons stick to the bottom).
        await page.evaluate(() => document.getElementById('result').scrollIntoView({ block: 'center' }));
        assert.ok(await page.evaluate(() => scrollY) > 0, 'the page scrolled to the results');
        const stuck = await runBox(page);
        assert.ok(stuck.y >= 0 && stuck.y + stuck.height <= height, 'Run stays on screen');
        await screenshot(page, `phone-${width}`, { readme: `${ROOT}docs/screenshots/phone-${width}.png`, perEngine: true });
        expectNoProblems(t, page);
        await context.close();
      });
    });
  }

  describe('a touch screen', () => {
    it('starts a run with a tap on Run', { skip: lacks(engine, 'touch') }, async (t) => {
      const { page, context } = await openPage(s.browser, `${s.server.url}?mode=atomic&threads=2&total=1000000`,
        phone(t, 390, 844));
      await waitForEngine(page);
      assert.equal(await page.evaluate(() => navigator.maxTouchPoints > 0 && 'ontouchstart' in window), true, 'a touch screen');
      await page.tap(RUN);
      await page.waitForSelector('#result[data-state=done]', { timeout: 60_000 });
      const report = await page.evaluate(() => window.gilPlayground.history.entries[0].report);
      assert.deepEqual([report.mode, report.threads, report.final], ['atomic', 2, 1_000_000]);
      await context.close();
    });
  });
});
