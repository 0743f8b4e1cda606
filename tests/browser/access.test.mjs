// Usable by everyone in the room, in every engine installed here: axe-core finds nothing on the
// main page, its dialogs, every slide view and the single-thread notice; the page works from the
// keyboard alone (Tab to every control, change every setting, run, stop, copy the link, the QR
// code); shortcuts can be switched off and never take a focused control's keys; the timeline
// has keys and a table; screen readers hear a run's start and end only; reduced motion is
// honoured; and the web app manifest installs a start URL that is isolated and works offline.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { ENGINE, openReady, runFinished, startServer, waitForEngine } from './harness.mjs';
import { enginesToTest, lacks, launch } from './engines/index.mjs';
import { EMBED_EXCEPTIONS, axeViolations } from './axe.mjs';

const READY = { timeout: 60_000 };
const SLIDE_VIEWS = ['result', 'timeline', 'matrix', 'step', 'histogram', 'predict'];

let server;
before(async () => { server = await startServer(); });
after(() => server?.close());

/** What has the focus, as a test can name it: id, data-role or tag. */
const focused = (page) => page.evaluate(() => {
  const e = document.activeElement;
  return e ? e.id || e.dataset.role || e.localName : null;
});

for (const engine of enginesToTest()) {
  describe(engine, () => {
    let browser;
    before(async () => { browser = await launch(engine); });
    after(async () => { await browser?.close(); });

    it('axe-core finds no violation on the page, before and after a run, and in its dialogs', async () => {
      const { context, page } = await openReady(browser, `${server.url}?mode=racy&threads=2&total=100000`);
      assert.deepEqual(await axeViolations(page), [], 'ready');
      await page.click('button[data-role=run]');
      await runFinished(page, 1);
      assert.deepEqual(await axeViolations(page), [], 'after a run, with its timeline');
      await page.click('[data-role=show-help]');
      await page.waitForSelector('#help-overlay[open]');
      assert.deepEqual(await axeViolations(page), [], 'help open');
      await page.keyboard.press('Escape');
      await page.click('[data-role=show-qr]');
      await page.waitForSelector('#qr-overlay[open] canvas');
      assert.deepEqual(await axeViolations(page), [], 'QR code open');
      await context.close();
    });

    it('axe-core finds no violation in any slide view', async () => {
      const context = await browser.newContext({ viewport: { width: 960, height: 540 } });
      const page = await context.newPage();
      for (const view of SLIDE_VIEWS) {
        await page.goto(`${server.url}?embed=1&view=${view}&mode=racy&threads=2&total=100000`);
        await waitForEngine(page);
        assert.deepEqual(await axeViolations(page, { except: EMBED_EXCEPTIONS }), [], `view=${view}`);
      }
      await context.close();
    });

    it('axe-core finds no violation in the single-thread notice of a frame that is not isolated', async () => {
      const dir = await mkdtemp(`${tmpdir()}/gil-axe-parent-`);
      await writeFile(`${dir}/index.html`, '<!doctype html><html lang="en"><title>a page that is not isolated</title>'
        + `<link rel="icon" href="data:,"><iframe title="GIL playground" src="${server.url}?threads=4" width="900" height="700"></iframe></html>`);
      const parent = await startServer(['--no-isolation-headers'], { root: dir });
      const context = await browser.newContext();
      try {
        const page = await context.newPage();
        await page.goto(parent.url.replace('127.0.0.1', 'localhost'));
        const frame = await page.frame('iframe');
        await frame.waitForSelector('body[data-engine=ready]', READY);
        assert.match(await frame.textContent('#notice'), /Single-thread mode/);
        assert.deepEqual(await axeViolations(frame), []);
      } finally {
        await context.close();
        parent.close();
      }
    });

    it('works from the keyboard alone: every control, every setting, run, stop, link, QR code', async () => {
      const { context, page } = await openReady(browser, `${server.url}?mode=racy&threads=2&total=100000`);
      await page.evaluate(() => document.activeElement?.blur());
      // Tab once through the page, changing every setting on the way (never past its last
      // control: beyond it some browsers move the focus into their own toolbar).
      const reached = [];
      const changed = {};
      for (let i = 0; i < 60 && !reached.includes('show-help'); i++) {
        await page.keyboard.press('Tab');
        const name = await focused(page);
        reached.push(name);
        const field = await page.evaluate(() => {
          const e = document.activeElement;
          return e.form?.id === 'controls' && e.name ? { name: e.name, tag: e.localName, value: e.value } : null;
        });
        if (!field) continue;
        if (field.tag === 'select') {
          // Down, or up from the last option (smaller totals and thread counts keep runs short).
          const first = field.name === 'total' || field.name === 'threads' ? 'ArrowUp' : 'ArrowDown';
          await page.keyboard.press(first);
          if (await page.inputValue(`#${field.name}`) === field.value) {
            await page.keyboard.press(first === 'ArrowUp' ? 'ArrowDown' : 'ArrowUp');
          }
        } else {
          await page.keyboard.press('Control+a');
          await page.keyboard.press('Backspace');
          for (const key of String(Number(field.value) + 1)) await page.keyboard.press(key);
          await page.keyboard.press('Tab'); // a number field commits on leaving it
          await page.keyboard.press('Shift+Tab');
        }
        changed[field.name] = await page.evaluate(([n, v]) => document.getElementById(n).value !== v
          && new URL(location.href).searchParams.get(n) === document.getElementById(n).value, [field.name, field.value]);
      }
      const linked = ENGINE.settings.filter((f) => f.in_links).map((f) => f.name);
      for (const name of linked) assert.equal(changed[name], true, `${name}: reached by Tab and changed by keys, and the link follows`);
      for (const role of ['copy-link', 'show-qr', 'run', 'matrix', 'sweep', 'step', 'repeat', 'predict', 'show-help']) {
        assert.ok(reached.includes(role), `Tab reaches ${role} (reached: ${reached.join(' ')})`);
      }
      // Run with Enter on the Run button; the focus comes back to it. (Fresh settings: the
      // pass above changed every one of them.)
      await page.goto(`${server.url}?mode=racy&threads=2&total=100000`);
      await waitForEngine(page);
      await page.evaluate(() => document.activeElement?.blur());
      while (await focused(page) !== 'run') await page.keyboard.press('Tab');
      await page.keyboard.press('Enter');
      await runFinished(page, 1);
      assert.equal(await focused(page), 'run', 'the focus is back on Run');
      // A long run: Enter starts it, the focus is on Stop, Enter stops it.
      await page.evaluate(() => {
        const total = document.getElementById('total');
        total.value = total.options[total.options.length - 1].value;
        total.dispatchEvent(new Event('change', { bubbles: true }));
      });
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => document.activeElement?.dataset.role === 'stop', null, { timeout: 10_000 });
      await page.keyboard.press('Enter');
      await runFinished(page, 2);
      assert.equal(await page.evaluate(() => window.gilPlayground.history.entries[0].report?.stopped), true, 'the run stopped');
      // Copy the link: Enter on the button says what happened (copied, or the link to copy).
      while (await focused(page) !== 'copy-link') await page.keyboard.press('Shift+Tab');
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => document.querySelector('[data-role=share-status]').textContent.trim() !== '');
      // The QR code: Space opens it with the focus inside, Tab stays inside, Escape closes it
      // and gives the focus back.
      await page.keyboard.press('Tab');
      assert.equal(await focused(page), 'show-qr');
      await page.keyboard.press(' ');
      await page.waitForSelector('#qr-overlay[open] canvas');
      assert.equal(await focused(page), 'close');
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.getElementById('qr-overlay').contains(document.activeElement)
        || document.activeElement === document.body), true, 'the focus does not leave the dialog for the page');
      await page.keyboard.press('Escape');
      await page.waitForSelector('#qr-overlay', { state: 'hidden' });
      assert.equal(await focused(page), 'show-qr', 'the focus is back where it was');
      await context.close();
    });

    it('keeps a focused control\'s keys, and its shortcuts can be switched off for good', async () => {
      const { context, page } = await openReady(browser, `${server.url}?mode=racy&threads=2&total=100000&gil=off`);
      const gil = () => page.inputValue('#gil');
      await page.evaluate(() => document.activeElement?.blur());
      await page.keyboard.press('g');
      assert.notEqual(await gil(), 'off', 'g turns the GIL on while nothing is focused');
      // A focused menu keeps its keys: g there is not the shortcut.
      await page.evaluate(() => document.getElementById('mode').focus());
      const mode = await page.inputValue('#mode');
      const gilBefore = await gil();
      await page.keyboard.press('g');
      assert.equal(await gil(), gilBefore, 'g in a menu does not toggle the GIL');
      // Enter on a focused button presses that button, not Run.
      await page.evaluate(() => document.querySelector('[data-role=show-help]').focus());
      await page.keyboard.press('Enter');
      await page.waitForSelector('#help-overlay[open]');
      assert.equal(await page.evaluate(() => window.gilPlayground.history.entries.length), 0, 'Enter on a button started no run');
      // Switch the shortcuts off in the help, with the keyboard.
      // Backwards from Close: forwards, Firefox leaves the page for its own toolbar first.
      for (let i = 0; i < 10 && await focused(page) !== 'shortcuts'; i++) await page.keyboard.press('Shift+Tab');
      await page.keyboard.press(' ');
      assert.equal(await page.isChecked('[data-role=shortcuts]'), false);
      await page.keyboard.press('Escape');
      await page.reload();
      await waitForEngine(page);
      await page.evaluate(() => document.activeElement?.blur());
      const after = await gil();
      await page.keyboard.press('g');
      assert.equal(await gil(), after, 'after a reload, g does nothing: the choice was remembered');
      assert.equal(await page.inputValue('#mode'), mode);
      await page.click('[data-role=show-help]');
      await page.setChecked('[data-role=shortcuts]', true);
      await page.keyboard.press('Escape');
      await context.close();
    });

    it('gives the timeline keys and a table, and announces only a run\'s start and end', async () => {
      const { context, page } = await openReady(browser, `${server.url}?mode=pymutex&threads=2&total=200000&gil=off`);
      assert.equal(await page.getAttribute('#result', 'aria-live'), null, 'the result is not a live region');
      // Every text the live region takes, recorded in the page (WebDriver runs one script at a time).
      await page.evaluate(() => {
        const region = document.getElementById('announce');
        window.announced = [];
        new MutationObserver(() => window.announced.push(region.textContent))
          .observe(region, { childList: true, characterData: true, subtree: true });
      });
      await page.click('button[data-role=run]');
      const texts = await page.waitForFunction(() => window.announced.some((t) => /^(Finished|Stopped)/.test(t))
        && window.announced, null, { timeout: 120_000 });
      assert.equal(texts[0], 'Running…');
      assert.equal(texts.length, 2, `two announcements: ${JSON.stringify(texts)}`);
      assert.match(texts[1], /^Finished: No update lost/);
      await page.waitForSelector('#timeline > canvas');
      const whole = await page.textContent('#timeline [data-role=window]');
      await page.evaluate(() => document.querySelector('#timeline > canvas').focus());
      await page.keyboard.press('+');
      const zoomed = await page.textContent('#timeline [data-role=window]');
      assert.notEqual(zoomed, whole, '+ zooms in');
      await page.keyboard.press('ArrowRight');
      assert.notEqual(await page.textContent('#timeline [data-role=window]'), zoomed, 'the right arrow pans');
      await page.keyboard.press('Home');
      assert.equal(await page.textContent('#timeline [data-role=window]'), whole, 'Home shows the whole run');
      const rows = await page.$$eval('#timeline [data-role=table] tbody tr', (trs) => trs.map((tr) => tr.querySelector('th').textContent));
      assert.deepEqual(rows, ['thread 1', 'thread 2']);
      const headers = await page.$$eval('#timeline [data-role=table] thead th', (ths) => ths.map((th) => th.textContent));
      assert.ok(headers.includes('running (no GIL)'), headers.join(', '));
      await context.close();
    });

    it('honours prefers-reduced-motion', { skip: lacks(engine, 'cdp') }, async () => {
      const { context, page } = await openReady(browser, server.url);
      const session = await page.cdp();
      const transition = () => page.evaluate(() => {
        const bar = document.createElement('span');
        bar.className = 'bar';
        const lane = Object.assign(document.createElement('div'), { className: 'lane progress' });
        lane.append(bar);
        document.body.append(lane);
        const value = getComputedStyle(bar).transitionDuration;
        lane.remove();
        return value;
      });
      assert.notEqual(await transition(), '0s', 'the progress bars move smoothly by default');
      await session.send('Emulation.setEmulatedMedia', { features: [{ name: 'prefers-reduced-motion', value: 'reduce' }] });
      assert.equal(await transition(), '0s');
      await context.close();
    });

    it('serves a web app manifest whose start URL is isolated and threaded', async () => {
      const { context, page } = await openReady(browser, server.url);
      const manifest = await page.evaluate(async () => {
        const link = document.querySelector('link[rel=manifest]');
        const response = await fetch(link.href);
        const json = await response.json();
        const icons = await Promise.all(json.icons.map(async (icon) => {
          const r = await fetch(new URL(icon.src, link.href));
          const bytes = new Uint8Array(await r.arrayBuffer());
          const png = icon.type === 'image/png';
          const view = new DataView(bytes.buffer);
          return { ...icon, status: r.status, type: r.headers.get('content-type'),
            size: png ? `${view.getUint32(16)}x${view.getUint32(20)}` : 'any' };
        }));
        return { href: link.href, type: response.headers.get('content-type'), json, icons };
      });
      assert.match(manifest.type, /^application\/manifest\+json/);
      const { json } = manifest;
      assert.equal(json.name, 'GIL playground');
      assert.equal(json.display, 'standalone');
      const start = new URL(json.start_url, manifest.href);
      const scope = new URL(json.scope, manifest.href);
      assert.ok(start.href.startsWith(scope.href), 'the start URL is in the scope');
      assert.equal(start.origin, new URL(server.url).origin);
      for (const icon of manifest.icons) {
        assert.equal(icon.status, 200, icon.src);
        assert.equal(icon.size, icon.sizes, `${icon.src} is ${icon.sizes}`);
      }
      assert.ok(manifest.icons.some((i) => i.sizes === '512x512' && i.purpose === 'maskable'));
      assert.ok(manifest.icons.some((i) => i.sizes === '192x192'));
      // What the service worker keeps for offline use includes the manifest and its icons.
      const kept = await page.evaluate(async () => (await (await fetch('sw-manifest.js')).text()));
      for (const file of ['manifest.webmanifest', ...json.icons.map((i) => i.src)]) assert.ok(kept.includes(`"${file}"`), file);
      // An installed copy opens the start URL: isolated, with threads.
      await page.goto(start.href);
      await waitForEngine(page);
      assert.equal(await page.evaluate(() => self.crossOriginIsolated), true);
      assert.equal(await page.evaluate(() => window.gilPlayground.threaded), true);
      await context.close();
    });

    it('opens the installed start URL offline, from the service worker', { skip: lacks(engine, 'offline') }, async () => {
      const { context, page } = await openReady(browser, server.url);
      await page.waitForFunction(() => navigator.serviceWorker.controller !== null
        || navigator.serviceWorker.ready.then(() => true), null, READY);
      // Wait until the worker has saved the files.
      await page.waitForFunction(async () => (await caches.keys()).length > 0
        && (await (await caches.open((await caches.keys())[0])).match('manifest.webmanifest')) !== undefined, null, READY);
      // Read from the worker's cache, as an installed app would (no request that a Firefox
      // rescue reload could cut).
      const start = await page.evaluate(async () => {
        const saved = await (await caches.open((await caches.keys())[0])).match('manifest.webmanifest');
        return new URL((await saved.json()).start_url, new URL('manifest.webmanifest', location.href)).href;
      });
      await context.setOffline(true);
      await page.goto(start);
      await waitForEngine(page);
      assert.equal(await page.evaluate(() => self.crossOriginIsolated), true);
      const report = await page.evaluate(() => window.gilPlayground.engine.run({ mode: 'private', threads: 2, total: 100_000 }));
      assert.equal(report.final, 100_000);
      await context.setOffline(false);
      await context.close();
    });
  });
}
