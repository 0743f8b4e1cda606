// Where the page is served from, in real headless Chromium: a header-less static host (the
// service worker isolates the page), dist/ from a sub-path, offline after a first visit, no
// request ever leaving the origin, and the honest fallbacks: file://, plain http on a LAN
// address, a frame in a page that is not isolated.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, writeFile } from 'node:fs/promises';
import { networkInterfaces, tmpdir } from 'node:os';
import { ROOT, choices, launchBrowser, openPage, startServer, waitForEngine } from './harness.mjs';

let browser;

before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

/** Runs on the page's engine and returns the report. */
const engineRun = (page, settings) => page.evaluate((s) => window.gilPlayground.engine.run(s), settings);

/** Waits until the service worker controls the page (after its one reload if there was one). */
async function waitForWorker(page) {
  await page.waitForFunction(() => navigator.serviceWorker?.controller?.state === 'activated', null,
    { timeout: 30_000 });
}

describe('a static host that sends no headers', () => {
  let server;
  before(async () => {
    // dist/ as a project page would serve it: under a sub-path, with no isolation headers.
    const site = await mkdtemp(`${tmpdir()}/gil-site-`);
    await cp(`${ROOT}dist`, `${site}/project`, { recursive: true });
    server = await startServer(['--no-isolation-headers'], { root: site });
  });
  after(() => server?.close());

  it('becomes cross-origin isolated through the service worker and runs threads', async () => {
    const { page, problems, context } = await openPage(browser, `${server.url}project/?mode=private&threads=2`);
    await waitForEngine(page);
    assert.equal(await page.evaluate(() => self.crossOriginIsolated), true);
    assert.equal(await page.evaluate(() => window.gilPlayground.threaded), true);
    assert.doesNotMatch(page.url(), /coi-retry/, 'the reload mark is removed');
    const report = await engineRun(page, { mode: 'private', threads: 2, total: 1_000_000 });
    assert.equal(report.distinct_threads, 2);
    assert.equal(report.final, 1_000_000);
    assert.deepEqual(problems, []);
    await context.close();
  });

  it('says so when service workers are refused (as in some private windows), and runs at 1 thread', async () => {
    const { page, context } = await openPage(browser, `${server.url}project/`, { serviceWorkers: 'block' });
    await waitForEngine(page);
    assert.equal(await page.evaluate(() => window.gilPlayground.threaded), false);
    assert.match(await page.textContent('#notice'), /service worker that would add them could not run here/);
    const report = await engineRun(page, { mode: 'atomic', threads: 1, total: 100_000 });
    assert.equal(report.final, 100_000);
    await context.close();
  });

  it('says so when a load bypasses the installed worker (hard reload), without looping', async () => {
    const { page, context } = await openPage(browser, `${server.url}project/`);
    await waitForEngine(page);
    await waitForWorker(page);
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setBypassServiceWorker', { bypass: true });
    const loads = [];
    page.on('load', () => loads.push(page.url()));
    await page.reload();
    await waitForEngine(page);
    assert.ok(loads.length <= 2, `reloaded ${loads.length} times`);
    assert.match(await page.textContent('#notice'), /bypassed it.*Reload normally/s);
    assert.equal(await page.evaluate(() => window.gilPlayground.threaded), false);
    await context.close();
  });

  it('works offline after the first visit, with the server gone', async () => {
    const offline = await startServer(['--no-isolation-headers'], { root: `${ROOT}dist` });
    const { page, context } = await openPage(browser, offline.url);
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
  let server;
  before(async () => { server = await startServer(); });
  after(() => server?.close());

  it('never leave the origin during load, a run, the QR code and a sweep', async () => {
    const context = await browser.newContext();
    const urls = [];
    context.on('request', (request) => urls.push(request.url()));
    const page = await context.newPage();
    await page.goto(`${server.url}?total=1000000`);
    await waitForEngine(page);
    await page.click('button[data-role=run]');
    await page.waitForSelector('#controls[aria-busy=false]');
    await page.click('[data-role=show-qr]');
    await page.waitForSelector('#qr-overlay canvas');
    await page.keyboard.press('Escape');
    await page.click('button[data-role=sweep]');
    await page.waitForSelector('#controls[aria-busy=false]', { timeout: 60_000 });
    const foreign = urls.filter((url) => !url.startsWith(server.origin) && !/^(blob|data):/.test(url));
    assert.deepEqual(foreign, []);
    assert.ok(urls.some((url) => url.endsWith('.wasm')), 'requests were recorded');
    await context.close();
  });
});

describe('honest fallbacks', () => {
  let server;
  before(async () => { server = await startServer(); });
  after(() => server?.close());

  it('explains file:// from its inline script, never a blank page', async () => {
    const { page, context } = await openPage(browser, `file://${ROOT}www/index.html`);
    await page.waitForSelector('#notice:not([hidden])');
    assert.match(await page.textContent('#notice'), /opened as a file.*Serve the folder/s);
    await context.close();
  });

  it('runs every workload at 1 thread in a frame of a page that is not isolated', async () => {
    // The framing page: another origin, served with no headers at all.
    const dir = await mkdtemp(`${tmpdir()}/gil-parent-`);
    await writeFile(`${dir}/index.html`,
      `<!doctype html><title>a page that is not isolated</title><link rel="icon" href="data:,"><iframe src="${server.url}?threads=4&mode=pymutex" width="900" height="700"></iframe>`);
    const parent = await startServer(['--no-isolation-headers'], { root: dir });
    const { page, context, problems } = await openPage(browser, parent.url.replace('127.0.0.1', 'localhost'));
    const frame = await (await page.waitForSelector('iframe')).contentFrame();
    await frame.waitForSelector('body[data-engine=ready]', { timeout: 60_000 });
    assert.equal(await frame.evaluate(() => self.crossOriginIsolated), false);
    assert.equal(await frame.evaluate(() => window.gilPlayground.threaded), false);
    const notice = await frame.textContent('#notice');
    assert.match(notice, /Single-thread mode/);
    assert.match(notice, /inside a frame that is not cross-origin isolated/);
    assert.match(notice, /threads=“4” is above 1: using 1/, 'the link asked for more threads than can run');
    assert.ok(await frame.isVisible('#notice button:text("Open in a new tab")'));
    for (const mode of choices('mode')) {
      const report = await frame.evaluate((m) => window.gilPlayground.engine.run({ mode: m, threads: 1, total: 200_000 }), mode);
      assert.equal(report.final, 200_000, mode);
    }
    const refused = await frame.evaluate(() => window.gilPlayground.engine.run({ mode: 'racy', threads: 2, total: 10 })
      .catch((e) => e.message));
    assert.match(refused, /this browser runs one thread only/);
    assert.deepEqual(problems, []);
    await context.close();
    parent.close();
  });

  const lan = Object.values(networkInterfaces()).flat()
    .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
  it('explains plain http on a LAN address and still runs at 1 thread', { skip: lan ? false : 'no LAN address on this machine' }, async () => {
    const lanServer = await startServer([], { host: lan });
    try {
      const { page, context } = await openPage(browser, lanServer.url);
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
});
