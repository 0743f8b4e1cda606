// Shareable state, in each engine: every setting survives a round trip through the URL,
// out-of-range values are clamped with a notice, hostile parameters execute nothing and leave
// the page working, the copy-link button and the QR code both carry the current URL.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import jsQR from 'jsqr';
import { ENGINE, choices, expectNoProblems, openPage, runFromForm, waitForEngine, waitForText } from './harness.mjs';
import { forEachEngine } from './session.mjs';

/** The form's settings as the page reads them. */
const formSettings = (page) => page.evaluate(() => {
  const f = document.getElementById('controls').elements;
  return {
    mode: f.mode.value, threads: Number(f.threads.value), total: Number(f.total.value), layout: f.layout.value,
    gil: f.gil.value, interval: Number(f.interval.value),
  };
});

const hostile = [
  ['mode', '<script>window.pwned=1</script>'],
  ['threads', 'javascript:window.pwned=1'],
  ['total', '1e400'],
  ['interval', 'NaN'],
  ['gil', '"><img src=x onerror="window.pwned=1">'],
  ['parent', 'javascript:window.pwned=1'],
  ['<img src=x onerror=window.pwned=1>', '1'],
  ['layout', 'A'.repeat(50_000)],
];

forEachEngine((engine, s) => {
  describe('settings in the URL', () => {
    it('round-trips every setting through the URL', async (t) => {
      const { page, context } = await openPage(s.browser, s.server.url);
      await waitForEngine(page);
      await page.selectOption('#mode', 'private');
      await page.selectOption('#threads', '3');
      await page.selectOption('#total', '10000000');
      await page.selectOption('#layout', 'packed');
      await page.selectOption('#gil', '3.9');
      await page.fill('#interval', '2.5');
      await page.dispatchEvent('#interval', 'change');
      const url = new URL(await page.url());
      const params = Object.fromEntries(url.searchParams);
      // Every setting a link carries is in it, in the engine's order, with what was chosen.
      assert.deepEqual(Object.keys(params), ENGINE.settings.filter((f) => f.in_links).map((f) => f.name));
      assert.deepEqual(
        [params.mode, params.threads, params.total, params.layout, params.gil, params.interval],
        ['private', '3', '10000000', 'packed', '3.9', '2.5'],
      );
      const chosen = await formSettings(page);
      await context.close();

      const { page: again, context: second } = await openPage(s.browser, url.href);
      await waitForEngine(again);
      assert.deepEqual(await formSettings(again), chosen);
      assert.equal(await again.isHidden('#notice'), true, 'a clean link gives no notice');
      const { report } = await runFromForm(again, {});
      assert.deepEqual([report.layout, report.gil, report.interval], ['packed', '3.9', 2.5]);
      expectNoProblems(t, again);
      await second.close();
    });

    it('clamps out-of-range values and says so', async () => {
      const { page, context } = await openPage(s.browser,
        `${s.server.url}?threads=99&total=5000000000&interval=0.01&mode=atomic`);
      await waitForEngine(page);
      const settings = await formSettings(page);
      const poolSize = await page.evaluate(() => window.gilPlayground.poolSize);
      assert.equal(settings.threads, poolSize);
      assert.equal(settings.total, 2_000_000_000);
      assert.equal(settings.interval, 0.1);
      assert.equal(settings.mode, 'atomic');
      const text = await page.textContent('#notice');
      assert.match(text, new RegExp(`threads=“99” is above ${poolSize}: using ${poolSize}`));
      assert.match(text, /total=“5000000000” is above 2,000,000,000: using 2000000000/);
      assert.match(text, /interval=“0\.01” is below 0\.1: using 0\.1/);
      await context.close();
    });

    it('executes nothing from hostile parameters and keeps working', async (t) => {
      const query = [...hostile.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`),
        'threads=2', 'threads=3'].join('&');
      const { page, context } = await openPage(s.browser, `${s.server.url}?${query}`);
      await waitForEngine(page);
      // Every payload would set window.pwned (none opens a dialog: a driver could not see one
      // in every engine, and WebDriver would refuse its next command anyway).
      assert.equal(await page.evaluate(() => window.pwned), undefined);
      assert.equal(await page.count('#notice img, #notice script'), 0, 'no markup from the URL');
      const text = await page.textContent('#notice');
      assert.ok(text.includes(`mode=“<script>window.pwned=1</script>” is not one of ${choices('mode').join(', ')}: using racy`));
      assert.match(text, /threads=“javascript:window\.pwned=1” is not a whole number between 1 and \d+: using 2/);
      assert.match(text, /total=“1e400” is above 2,000,000,000: using 2000000000/);
      assert.match(text, /interval=“NaN” is not a number between 0\.1 and 100 ms: using 5/);
      assert.match(text, /gil=“"><img src=x onerror="window\.pwned=1">” is not one of off, 3\.10, 3\.9: using off/);
      assert.match(text, /parent=“javascript:window\.pwned=1” is not an http\(s\) origin: ignored/);
      assert.match(text, /does not know, “<img src=x onerror=window\.pwned=1>”: ignored/);
      assert.match(text, /layout=“A{40}…” is not one of padded, packed/, 'long values are shortened');
      assert.equal(text.match(/sets “threads” more than once: the first value was used/g).length, 1);
      assert.ok(text.length < 5000, 'a 50,000-character value is not repeated in full');
      const { report } = await runFromForm(page, { total: '1000000' });
      assert.equal(report.mode, 'racy');
      assert.equal(report.expected, 1_000_000);
      assert.ok(report.final <= 1_000_000);
      assert.equal(report.threads, 2, 'the first threads= (not a number) gave the default, not a later one');
      assert.equal(await page.evaluate(() => window.pwned), undefined, 'nor did the run');
      expectNoProblems(t, page);
      await context.close();
    });

    it('copies the current link to the clipboard', async () => {
      const { page, context } = await openPage(s.browser, `${s.server.url}?mode=pymutex&threads=2`);
      await waitForEngine(page);
      // What the page hands the clipboard (reading it back needs a permission that not every
      // engine's driver can grant).
      await page.evaluate(() => {
        const { clipboard } = navigator;
        const write = clipboard.writeText.bind(clipboard);
        window.copied = [];
        clipboard.writeText = (text) => { window.copied.push(text); return write(text); };
      });
      await page.click('[data-role=copy-link]');
      await waitForText(page, '[data-role=share-status]', 'Link copied.');
      const [copied, ...more] = await page.evaluate(() => window.copied);
      assert.deepEqual(more, []);
      assert.equal(new URL(copied).searchParams.get('mode'), 'pymutex');
      assert.equal(copied, (await page.url()).replace(/\?.*/, '') + new URL(copied).search);
      await context.close();
    });

    it('shows a QR code that decodes to the current URL, large enough for the back of a room', async () => {
      const { page, context } = await openPage(s.browser, `${s.server.url}?mode=racy&threads=2&gil=3.9`);
      await waitForEngine(page);
      await page.click('[data-role=show-qr]');
      await page.waitForSelector('#qr-overlay canvas.qr');
      // The code is black on white: the red channel carries it, as base64 to keep the JSON small.
      const image = await page.evaluate(() => {
        const canvas = document.querySelector('#qr-overlay canvas.qr');
        const { data, width, height } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
        let red = '';
        for (let i = 0; i < data.length; i += 4) red += String.fromCharCode(data[i]);
        const box = canvas.getBoundingClientRect();
        return { width, height, red: btoa(red), shown: box.width, viewport: Math.min(innerWidth, innerHeight) };
      });
      const red = Buffer.from(image.red, 'base64');
      const rgba = new Uint8ClampedArray(red.length * 4);
      red.forEach((v, i) => rgba.set([v, v, v, 255], i * 4));
      const code = jsQR(rgba, image.width, image.height);
      assert.ok(code, 'the QR code decodes');
      const url = new URL(code.data);
      assert.equal(url.origin, s.server.origin);
      assert.equal(url.searchParams.get('gil'), '3.9');
      assert.equal(code.data, await page.textContent('.qr-url'));
      // Large enough to scan from the back of a room: most of the viewport.
      assert.ok(image.shown >= 0.6 * image.viewport, `${image.shown}px wide`);
      await page.keyboard.press('Escape');
      assert.equal(await page.isHidden('#qr-overlay'), true);
      await context.close();
    });
  });
});
