// The playground in slides, in each engine: embed mode fits a 960x540 frame with no scrolling,
// autorun and the presenter's keys work, the example deck keeps its iframe isolated and drives
// it with postMessage (same origin and cross-origin), and messages from an origin that is not
// allowed, or that do not fit the schema, are ignored with a warning in the frame's console.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  ROOT, expectNoProblems, historyLength, openPage, otherOrigin, screenshot, startServer, waitForEngine, waitForText,
} from './harness.mjs';
import { forEachEngine } from './session.mjs';

const slide = { viewport: { width: 960, height: 540 } };

/** The deck's iframe once its playground is ready. */
async function playgroundFrame(page) {
  const frame = await page.frame('#playground');
  await waitForEngine(frame);
  return frame;
}

/** Records the frame's console warnings in window.warned from now on (every engine can read that). */
const recordWarnings = (frame) => frame.evaluate(() => {
  window.warned = [];
  const warn = console.warn.bind(console);
  console.warn = (...args) => { window.warned.push(args.join(' ')); warn(...args); };
});

forEachEngine((engine, s) => {
  describe('embed mode', () => {
    it('fits a 960x540 slide without scrolling, and runs on its own with autorun', async (t) => {
      const { page, context } = await openPage(s.browser,
        `${s.server.url}?embed=1&autorun=1&mode=racy&threads=2&total=2000000`, slide);
      await waitForEngine(page);
      await page.waitForSelector('#result[data-state=done]', { timeout: 60_000 });
      const size = await page.evaluate(() => ({
        scrollHeight: document.documentElement.scrollHeight, scrollWidth: document.documentElement.scrollWidth,
        innerHeight, innerWidth,
      }));
      assert.deepEqual([size.innerWidth, size.innerHeight], [960, 540]);
      assert.ok(size.scrollHeight <= size.innerHeight, `page is ${size.scrollHeight}px tall in ${size.innerHeight}`);
      assert.ok(size.scrollWidth <= size.innerWidth, `page is ${size.scrollWidth}px wide in ${size.innerWidth}`);
      assert.equal(await page.isHidden('#history'), true, 'only the essentials');
      const fontSize = await page.evaluate(() => parseFloat(getComputedStyle(document.body).fontSize));
      assert.ok(fontSize >= 18, `large type (${fontSize}px)`);
      await screenshot(page, 'embed', { readme: `${ROOT}docs/screenshots/embed.png`, perEngine: true });
      expectNoProblems(t, page);
      await context.close();
    });

    it('takes a presenter\'s keys, listed in a help overlay', async () => {
      const { page, context } = await openPage(s.browser, `${s.server.url}?embed=1&mode=racy&threads=1&total=1000000`, slide);
      await waitForEngine(page);
      await page.keyboard.press('?');
      assert.equal(await page.isVisible('#help-overlay'), true);
      assert.match(await page.textContent('#help-overlay'), /GIL on or off/);
      await page.keyboard.press('Escape');
      assert.equal(await page.isHidden('#help-overlay'), true);
      await page.keyboard.press('g');
      assert.equal(await page.inputValue('#gil'), '3.10');
      await page.keyboard.press('s');
      assert.equal(await page.inputValue('#gil'), '3.9');
      await page.keyboard.press('ArrowUp');
      assert.equal(await page.inputValue('#threads'), '2');
      await page.keyboard.press('m');
      assert.equal(await page.inputValue('#mode'), 'pymutex');
      assert.match(await page.url(), /mode=pymutex&threads=2&.*gil=3\.9/, 'keys update the URL too');
      await page.keyboard.press('r');
      await page.waitForSelector('#result[data-state=done]', { timeout: 60_000 });
      const report = await page.evaluate(() => window.gilPlayground.history.entries[0].report);
      assert.deepEqual([report.mode, report.threads, report.gil], ['pymutex', 2, '3.9']);
      await context.close();
    });
  });

  describe('the example deck', () => {
    it('keeps its iframe isolated and drives it with postMessage', async (t) => {
      const { page, context } = await openPage(s.browser, `${s.server.url}deck.html`, { viewport: { width: 1100, height: 720 } });
      const frame = await playgroundFrame(page);
      await page.keyboard.press('ArrowRight');
      await page.waitForSelector('body[data-slide=demo]');
      assert.equal(await page.evaluate(() => self.crossOriginIsolated), true, 'the deck is isolated');
      assert.equal(await frame.evaluate(() => self.crossOriginIsolated), true, 'so is the iframe');
      assert.equal(await frame.evaluate(() => window.gilPlayground.threaded), true);
      await page.clickText('button', 'GIL, Python 3.9');
      await page.waitForSelector('#deck-result[data-id=deck-1]', { timeout: 60_000 });
      assert.match(await page.textContent('#deck-result'), /racy, 2 threads, GIL on \(3\.9\): [\d.]+ s, [\d,]+ updates lost/);
      const report = await frame.evaluate(() => window.gilPlayground.history.entries[0].report);
      assert.deepEqual([report.mode, report.threads, report.gil], ['racy', 2, '3.9']);
      await screenshot(page, 'deck', { readme: `${ROOT}docs/screenshots/deck.png` });
      // Keys pressed inside the frame still move the slides.
      await frame.click('h1');
      await page.keyboard.press('ArrowRight');
      await page.waitForSelector('body[data-slide=end]');
      expectNoProblems(t, page);
      await context.close();
    });

    it('ignores messages that do not fit the schema, and runs nothing', async () => {
      const { page, context } = await openPage(s.browser, `${s.server.url}deck.html?slide=1`);
      const frame = await playgroundFrame(page);
      await recordWarnings(frame);
      const before = await historyLength(frame);
      await page.evaluate(() => {
        const target = window.deck.frame.contentWindow;
        for (const message of [
          'run', { type: 'gil:exec', code: 'alert(1)' }, { type: 'gil:run', id: { toString: 1 } },
          { type: 'gil:run', settings: { threads: 2 }, extra: '<script>' }, [1, 2],
        ]) target.postMessage(message, location.origin);
        target.postMessage({ type: 'gil:run', id: 'bad', settings: { mode: 'spinlock' } }, location.origin);
      });
      await waitForText(page, '#deck-result', 'The playground refused');
      assert.match(await page.textContent('#deck-result'), /There is no mode called “spinlock”/);
      const warnings = await frame.evaluate(() => window.warned.filter((w) => /ignored a message/.test(w)));
      assert.equal(warnings.length, 5, warnings.join('\n'));
      assert.equal(await historyLength(frame), before);
      await context.close();
    });
  });

  describe('a deck on another origin', () => {
    let playground;
    before(async () => { playground = await startServer(['--cross-origin-embed']); });
    after(() => playground?.close());

    const deckUrl = (playgroundUrl) => `${otherOrigin(s.server.url)}deck.html?slide=1&playground=${encodeURIComponent(playgroundUrl)}`;

    it('drives an isolated playground that allows its origin', async () => {
      const { page, context } = await openPage(s.browser, deckUrl(`${playground.url}index.html`));
      const frame = await playgroundFrame(page);
      assert.notEqual(new URL(await frame.url()).origin, new URL(await page.url()).origin);
      assert.equal(await frame.evaluate(() => self.crossOriginIsolated), true);
      await page.clickText('button', 'No GIL, no lock');
      await page.waitForSelector('#deck-result[data-id=deck-1]', { timeout: 60_000 });
      assert.match(await page.textContent('#deck-result'), /GIL off/);
      assert.equal(await historyLength(frame), 1);
      await context.close();
    });

    it('ignores a deck whose origin the playground does not allow', async () => {
      const { page, context } = await openPage(s.browser,
        deckUrl(`${playground.url}index.html?parent=${encodeURIComponent('https://slides.example.org')}`));
      const frame = await playgroundFrame(page);
      await recordWarnings(frame);
      await page.clickText('button', 'No GIL, no lock');
      await frame.waitForFunction(() => window.warned.some((w) => /ignored a message: it came from http:\/\/localhost/.test(w)));
      assert.equal(await historyLength(frame), 0, 'nothing ran');
      assert.match(await page.textContent('#deck-result'), /drive the playground/, 'no result came back');
      await context.close();
    });
  });
});
