// Where the page is served from, in each engine: a header-less static host (the service worker
// isolates the page), dist/ from a sub-path, offline after a first visit, no request ever
// leaving the origin, and the honest fallbacks: file://, plain http on a LAN address, a frame in
// a page that is not isolated, and WebKit without shared memory. What a driver cannot do in an
// engine (block service workers, bypass them, go offline, log requests) is skipped there, saying why.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { networkInterfaces, tmpdir } from 'node:os';
import {
  ROOT, choices, engineRun, expectNoProblems, isVisibleWithText, openPage, otherOrigin, startServer, waitForEngine,
} from './harness.mjs';
import { forEachEngine } from './session.mjs';
import { lacks, launch } from './engines/index.mjs';

/** Waits until the service worker controls the page (after its one reload if there was one). */
async function waitForWorker(page) {
  await page.waitForFunction(() => navigator.serviceWorker?.controller?.state === 'activated', null,
    { timeout: 30_000 });
}

const lan = Object.values(networkInterfaces()).flat()
  .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

forEachEngine((engine, s) => {
  describe('a static host that sends no headers', () => {
    let site;
    let server;
    before(async () => {
      // dist/ as a project page would serve it: under a sub-path, with no isolation headers.
      site = await mkdtemp(`${tmpdir()}/gil-site-`);
      await cp(`${ROOT}dist`, `${site}/project`, { recursive: true });
      server = await startServer(['--no-isolation-headers'], { root: site });
    });
    after(async () => {
      server?.close();
      await rm(site, { recursive: true, force: true });
    });

    it('becomes cross-origin isolated through the service worker and runs threads', async (t) => {
      const { page, context } = await openPage(s.browser, `${server.url}project/?mode=private&threads=2`);
      await waitForEngine(page);
      assert.equal(await page.evaluate(() => self.crossOriginIsolated), true);
      assert.equal(await page.evaluate(() => window.gilPlayground.threaded), true);
      assert.doesNotMatch(await page.url(), /coi-retry/, 'the reload mark is removed');
      const report = await engineRun(page, { mode: 'private', threads: 2, total: 1_000_000 });
      assert.equal(report.distinct_threads, 2);
      assert.equal(report.final, 1_000_000);
      expectNoProblems(t, page);
      await context.close();
    });

    it('says so when service workers are refused (as in some private windows), and runs at 1 thread',
      { skip: lacks(engine, 'block-service-workers') }, async () => {
        const { page, context } = await openPage(s.browser, `${server.url}project/`, { serviceWorkers: 'block' });
        await waitForEngine(page);
        assert.equal(await page.evaluate(() => window.gilPlayground.threaded), false);
        assert.match(await page.textContent('#notice'), /service worker that would add them could not run here/);
        const report = await engineRun(page, { mode: 'atomic', threads: 1, total: 100_000 });
        assert.equal(report.final, 100_000);
        await context.close();
      });

    it('says so when a load bypasses the installed worker (hard reload), without looping',
      { skip: lacks(engine, 'cdp') }, async () => {
        const { page, context } = await openPage(s.browser, `${server.url}project/`);
        await waitForEngine(page);
        await waitForWorker(page);
        // A hard reload as DevTools makes one; CDP also counts the loads that follow.
        const cdp = await page.cdp();
        await cdp.send('Network.enable');
        await cdp.send('Network.setBypassServiceWorker', { bypass: true });
        await cdp.send('Page.enable');
        let loads = 0;
        cdp.on('Page.loadEventFired', () => { loads++; });
        await page.reload();
        await waitForEngine(page);
        assert.ok(loads >= 1 && loads <= 2, `loaded ${loads} times`);
        assert.match(await page.textContent('#notice'), /bypassed it.*Reload normally/s);
        assert.equal(await page.evaluate(() => window.gilPlayground.threaded), false);
        await context.close();
      });

    it('works offline after the first visit, with the server gone', { skip: lacks(engine, 'offline') }, async () => {
      const offline = await startServer(['--no-isolation-headers'], { root: `${ROOT}dist` });
      const { page, context } = await openPage(s.browser, offline.url);
      await waitForEngine(page);
      await waitForWorker(page);
      offline.close();
      await context.setOffline(true);
      await page.reload();
      await waitForEngine(page);
      assert.equal(await page.evaluate(() => self.crossOriginIsolated), true);
      const report = await engineRun(page, { mode: 'racy', threads: 2, total: 1_000_000, gil: '3.10' });
      assert.equal(report.final, 1_000_000);
      // The deck too was saved for offline use.
      const deck = await page.evaluate(() => fetch('deck.html').then((r) => r.status));
      assert.equal(deck, 200);
      await context.close();
    });
  });

  describe('requests', () => {
    it('never leave the origin during load, a run, the QR code and a sweep', { skip: lacks(engine, 'request-log') }, async () => {
      const { page, context } = await openPage(s.browser, `${s.server.url}?total=1000000`);
      await waitForEngine(page);
      await page.click('button[data-role=run]');
      await page.waitForSelector('#controls[aria-busy=false]');
      await page.click('[data-role=show-qr]');
      await page.waitForSelector('#qr-overlay canvas');
      await page.keyboard.press('Escape');
      await page.click('button[data-role=sweep]');
      await page.waitForSelector('#sweep[data-state=done]', { timeout: 60_000 });
      const urls = context.requests;
      const foreign = urls.filter((url) => !url.startsWith(s.server.origin) && !/^(blob|data):/.test(url));
      assert.deepEqual(foreign, []);
      assert.ok(urls.some((url) => url.endsWith('.wasm')), 'the workers\' requests were recorded');
      assert.ok(urls.some((url) => url.endsWith('/vendor/uPlot.esm.js')), 'so were the sweep\'s');
      await context.close();
    });
  });

  describe('honest fallbacks', () => {
    it('explains file:// from its inline script, never a blank page', async () => {
      const { page, context } = await openPage(s.browser, `file://${ROOT}www/index.html`);
      await page.waitForSelector('#notice:not([hidden])');
      assert.match(await page.textContent('#notice'), /opened as a file.*Serve the folder/s);
      await context.close();
    });

    it('runs every workload at 1 thread in a frame of a page that is not isolated', async (t) => {
      // The framing page: another origin, served with no headers at all.
      const dir = await mkdtemp(`${tmpdir()}/gil-parent-`);
      await writeFile(`${dir}/index.html`,
        `<!doctype html><title>a page that is not isolated</title><link rel="icon" href="data:,"><iframe src="${s.server.url}?threads=4&mode=pymutex" width="900" height="700"></iframe>`);
      const parent = await startServer(['--no-isolation-headers'], { root: dir });
      try {
        const { page, context } = await openPage(s.browser, otherOrigin(parent.url));
        const frame = await page.frame('iframe');
        await waitForEngine(frame);
        assert.equal(await frame.evaluate(() => self.crossOriginIsolated), false);
        assert.equal(await frame.evaluate(() => window.gilPlayground.threaded), false);
        const notice = await frame.textContent('#notice');
        assert.match(notice, /Single-thread mode/);
        assert.match(notice, /inside a frame that is not cross-origin isolated/);
        assert.match(notice, /threads=“4” is above 1: using 1/, 'the link asked for more threads than can run');
        assert.ok(await isVisibleWithText(frame, '#notice button', 'Open in a new tab'));
        for (const mode of choices('mode')) {
          const report = await engineRun(frame, { mode, threads: 1, total: 200_000 });
          assert.equal(report.final, 200_000, mode);
        }
        const refused = await frame.evaluate(() => window.gilPlayground.engine.run({ mode: 'racy', threads: 2, total: 10 })
          .catch((e) => e.message));
        assert.match(refused, /this browser runs one thread only/);
        // The playground answers only the origin it allows (its own here), so the browser drops
        // its ready message to this parent; Firefox reports the drop as an error.
        expectNoProblems(t, page, /does not match the recipient window’s origin/);
        await context.close();
      } finally {
        parent.close();
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('explains plain http on a LAN address and still runs at 1 thread', { skip: lan ? false : 'no LAN address on this machine' }, async () => {
      const lanServer = await startServer([], { host: lan });
      try {
        const { page, context } = await openPage(s.browser, lanServer.url);
        await waitForEngine(page);
        assert.equal(await page.evaluate(() => self.isSecureContext), false);
        assert.match(await page.textContent('#notice'), /not a secure context.*https URL/s);
        const report = await engineRun(page, { mode: 'racy', threads: 1, total: 100_000 });
        assert.equal(report.final, 100_000);
        await context.close();
      } finally {
        lanServer.close();
      }
    });

    if (engine === 'webkit') {
      it('falls back to 1 thread when WebKit offers no SharedArrayBuffer (no JSC_useSharedArrayBuffer)', async () => {
        const plain = await launch('webkit', { sharedArrayBuffer: false });
        try {
          const { page } = await openPage(plain, s.server.url);
          await waitForEngine(page);
          assert.equal(await page.evaluate(() => self.crossOriginIsolated), true);
          assert.equal(await page.evaluate(() => typeof SharedArrayBuffer), 'undefined');
          assert.equal(await page.evaluate(() => window.gilPlayground.threaded), false);
          assert.match(await page.textContent('#environment'), /single-thread fallback/);
          const report = await engineRun(page, { mode: 'atomic', threads: 1, total: 1_000_000 });
          assert.equal(report.final, 1_000_000);
        } finally {
          await plain.close();
        }
      });
    }
  });
});
