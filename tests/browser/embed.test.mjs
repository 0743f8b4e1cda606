// The playground in slides, in real headless Chromium: embed mode fits a 960x540 frame with no
// scrolling, autorun and the presenter's keys work, the example deck keeps its iframe isolated
// and drives it with postMessage (same origin and cross-origin), and messages from an origin
// that is not allowed, or that do not fit the schema, are ignored.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ROOT, openPage, startServer, waitForEngine, otherOrigin } from './harness.mjs';
import { useServerAndBrowser } from './session.mjs';

let server;
let browser;
useServerAndBrowser((s) => ({ server, browser } = s));


const slide = { viewport: { width: 960, height: 540 } };

/** The deck's iframe once its playground is ready. */
async function playgroundFrame(page) {
  const frame = await (await page.waitForSelector('#playground')).contentFrame();
  await frame.waitForSelector('body[data-engine=ready]', { timeout: 60_000 });
  return frame;
}

describe('embed mode', () => {
  it('fits a 960x540 slide without scrolling, and runs on its own with autorun', async () => {
    const { page, context, problems } = await openPage(browser,
      `${server.url}?embed=1&autorun=1&mode=racy&threads=2&total=2000000`, slide);
    await page.waitForSelector('#result[data-state=done]', { timeout: 60_000 });
    const size = await page.evaluate(() => ({
      scrollHeight: document.documentElement.scrollHeight, scrollWidth: document.documentElement.scrollWidth,
      innerHeight, innerWidth,
    }));
    assert.ok(size.scrollHeight <= size.innerHeight, `page is ${size.scrollHeight}px tall in ${size.innerHeight}`);
    assert.ok(size.scrollWidth <= size.innerWidth, `page is ${size.scrollWidth}px wide in ${size.innerWidth}`);
    assert.equal(await page.isHidden('#history'), true, 'only the essentials');
    const fontSize = await page.evaluate(() => parseFloat(getComputedStyle(document.body).fontSize));
    assert.ok(fontSize >= 18, `large type (${fontSize}px)`);
    await page.screenshot({ path: `${ROOT}docs/screenshots/embed.png` });
    assert.deepEqual(problems, []);
    await context.close();
  });

  it('takes a presenter\'s keys, listed in a help overlay', async () => {
    const { page, context } = await openPage(browser, `${server.url}?embed=1&mode=racy&threads=1&total=1000000`, slide);
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
    assert.match(page.url(), /mode=pymutex&threads=2&.*gil=3\.9/, 'keys update the URL too');
    await page.keyboard.press('r');
    await page.waitForSelector('#result[data-state=done]', { timeout: 60_000 });
    const report = await page.evaluate(() => window.gilPlayground.history.entries[0].report);
    assert.deepEqual([report.mode, report.threads, report.gil], ['pymutex', 2, '3.9']);
    await context.close();
  });
});

describe('the example deck', () => {
  it('keeps its iframe isolated and drives it with postMessage', async () => {
    const { page, context, problems } = await openPage(browser, `${server.url}deck.html`, { viewport: { width: 1100, height: 720 } });
    await page.keyboard.press('ArrowRight');
    const frame = await playgroundFrame(page);
    assert.equal(await page.evaluate(() => self.crossOriginIsolated), true, 'the deck is isolated');
    assert.equal(await frame.evaluate(() => self.crossOriginIsolated), true, 'so is the iframe');
    assert.equal(await frame.evaluate(() => window.gilPlayground.threaded), true);
    await page.click('button:text("GIL, Python 3.9")');
    await page.waitForSelector('#deck-result[data-id=deck-1]', { timeout: 60_000 });
    assert.match(await page.textContent('#deck-result'), /racy, 2 threads, GIL on \(3\.9\): [\d.]+ s, [\d,]+ updates lost/);
    const report = await frame.evaluate(() => window.gilPlayground.history.entries[0].report);
    assert.equal(report.gil, '3.9');
    await page.screenshot({ path: `${ROOT}docs/screenshots/deck.png` });
    // Keys pressed inside the frame still move the slides.
    await frame.click('h1');
    await page.keyboard.press('ArrowRight');
    await page.waitForSelector('body[data-slide=end]');
    assert.deepEqual(problems, []);
    await context.close();
  });

  it('ignores messages that do not fit the schema, and runs nothing', async () => {
    const { page, context } = await openPage(browser, `${server.url}deck.html?slide=1`);
    const frame = await playgroundFrame(page);
    const warnings = [];
    page.on('console', (m) => { if (m.type() === 'warning' && /ignored a message/.test(m.text())) warnings.push(m.text()); });
    const before = await frame.evaluate(() => window.gilPlayground.history.entries.length);
    await page.evaluate(() => {
      const target = window.deck.frame.contentWindow;
      for (const message of [
        'run', { type: 'gil:exec', code: 'alert(1)' }, { type: 'gil:run', id: { toString: 1 } },
        { type: 'gil:run', settings: { threads: 2 }, extra: '<script>' }, [1, 2],
      ]) target.postMessage(message, location.origin);
      target.postMessage({ type: 'gil:run', id: 'bad', settings: { mode: 'spinlock' } }, location.origin);
    });
    await page.waitForSelector('#deck-result:text("The playground refused")');
    assert.match(await page.textContent('#deck-result'), /There is no mode called “spinlock”/);
    assert.equal(warnings.length, 5, warnings.join('\n'));
    assert.equal(await frame.evaluate(() => window.gilPlayground.history.entries.length), before);
    await context.close();
  });
});

describe('a deck on another origin', () => {
  let playground;
  before(async () => { playground = await startServer(['--cross-origin-embed']); });
  after(() => playground?.close());

  const deckUrl = (playgroundUrl) => `${otherOrigin(server.url)}deck.html?slide=1&playground=${encodeURIComponent(playgroundUrl)}`;

  it('drives an isolated playground that allows its origin', async () => {
    const { page, context } = await openPage(browser, deckUrl(`${playground.url}index.html`));
    const frame = await playgroundFrame(page);
    assert.notEqual(new URL(frame.url()).origin, new URL(page.url()).origin);
    assert.equal(await frame.evaluate(() => self.crossOriginIsolated), true);
    await page.click('button:text("No GIL, no lock")');
    await page.waitForSelector('#deck-result[data-id=deck-1]', { timeout: 60_000 });
    assert.match(await page.textContent('#deck-result'), /GIL off/);
    await context.close();
  });

  it('ignores a deck whose origin the playground does not allow', async () => {
    const { page, context } = await openPage(browser,
      deckUrl(`${playground.url}index.html?parent=${encodeURIComponent('https://slides.example.org')}`));
    const frame = await playgroundFrame(page);
    const warned = new Promise((resolve) => page.on('console', (m) => {
      if (/ignored a message: it came from http:\/\/localhost/.test(m.text())) resolve(m.text());
    }));
    await page.click('button:text("No GIL, no lock")');
    await warned;
    assert.equal(await frame.evaluate(() => window.gilPlayground.history.entries.length), 0, 'nothing ran');
    assert.match(await page.textContent('#deck-result'), /drive the playground/, 'no result came back');
    await context.close();
  });
});
