// Phones, in real headless Chromium at 390x844 and 360x740 with touch: no horizontal
// scrolling, the Run button within a thumb's reach, results readable. The screenshots go
// to docs/screenshots/ (the README shows them).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ROOT, openPage, waitForEngine } from './harness.mjs';
import { useServerAndBrowser } from './session.mjs';

let server;
let browser;
useServerAndBrowser((s) => ({ server, browser } = s));


for (const [width, height] of [[390, 844], [360, 740]]) {
  describe(`a ${width}x${height} phone`, () => {
    it('fits the width, keeps Run within reach and shows readable results', async () => {
      const { page, context, problems } = await openPage(browser, `${server.url}?mode=racy&threads=2&total=10000000`,
        { viewport: { width, height }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
      await waitForEngine(page);
      const run = page.locator('button[data-role=run]');
      const box = await run.boundingBox();
      assert.ok(box.y + box.height <= height, 'Run is on the first screen');
      assert.ok(box.height >= 44, `Run is ${box.height}px tall: big enough for a thumb`);
      await run.tap();
      await page.waitForSelector('#result[data-state=done]', { timeout: 60_000 });
      const fit = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth }));
      assert.ok(fit.scrollWidth <= fit.innerWidth, `${fit.scrollWidth}px of content in ${fit.innerWidth}px`);
      const verdict = await page.evaluate(() => parseFloat(getComputedStyle(document.querySelector('.verdict')).fontSize));
      const figure = await page.evaluate(() => parseFloat(getComputedStyle(document.querySelector('.figure dd')).fontSize));
      assert.ok(verdict >= 20 && figure >= 16, `verdict ${verdict}px, figures ${figure}px`);
      // After scrolling to the results, Run is still within reach (the buttons stick to the bottom).
      await page.locator('#result').scrollIntoViewIfNeeded();
      const stuck = await run.boundingBox();
      assert.ok(stuck.y >= 0 && stuck.y + stuck.height <= height, 'Run stays on screen');
      await page.screenshot({ path: `${ROOT}docs/screenshots/phone-${width}.png` });
      assert.deepEqual(problems, []);
      await context.close();
    });
  });
}
