// Test harness shared by the browser tests: the project's own server (the release binary that
// ./build.sh builds), the engine's tables, and page helpers that work in every engine of
// engines/ (Chromium, Firefox, WebKit) through its Playwright-like facade.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { lacks } from './engines/capabilities.mjs';

export const ROOT = new URL('../../', import.meta.url).pathname;
const BIN = `${ROOT}target/release/gil-playground`;

/**
 * The engine's tables (settings with their choices and limits, modes, bytecode), from the
 * same Rust the page's wasm module is built from: tests take their lists from here.
 */
export const ENGINE = JSON.parse(execFileSync(BIN, ['info'], { encoding: 'utf8' }));
/** The names of a choice setting's choices (`choices('mode')`). */
export const choices = (setting) => ENGINE.settings.find((f) => f.name === setting).choices.map((c) => c.name);
/** The mode names whose table entry has `flag` set (`modesWhere('exact')`). */
export const modesWhere = (flag) => ENGINE.modes.filter((m) => m[flag]).map((m) => m.name);
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
// Without the background-networking flags Chromium keeps dialling Google on a closed network.
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/**
 * Starts `gil-playground serve` on a free port; resolves with { url, origin, close }.
 * `root` is the folder to serve (www/ by default), `host` the address to listen on.
 */
export async function startServer(args = [], { root = `${ROOT}www`, host = '127.0.0.1' } = {}) {
  const child = spawn(BIN, ['serve', '--port', '0', '--root', root, '--host', host, ...args],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const [line] = await Promise.race([
    once(lines, 'line'),
    once(child, 'exit').then(([code]) => { throw new Error(`the server exited with ${code}`); }),
  ]);
  const url = line.match(/http:\/\/\S+/)?.[0];
  if (!url) throw new Error(`the server printed no URL: ${line}`);
  // A test that fails before its cleanup must not leave a server that keeps node alive.
  child.unref();
  child.stdout.unref();
  process.once('exit', () => child.kill());
  return { url, origin: new URL(url).origin, close: () => child.kill() };
}

/** The same server under its other loopback name (another origin, still a secure context). */
export const otherOrigin = (url) => url.replace('127.0.0.1', 'localhost');

/** Playwright's Chromium as the Chromium adapter launches it (bench/ uses it directly). */
export function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
}

/**
 * Opens `url` in a new context of `browser` (an engines/ Browser; `options` as newContext's).
 * Resolves with { page, context, problems }: `problems` is the page's console errors and
 * uncaught exceptions as they come, or null where the engine cannot report them (see
 * `expectNoProblems`). bench/ still passes Playwright's own Browser: that keeps working.
 */
export async function openPage(browser, url, options = {}) {
  if (!browser.supports) return openPlaywrightPage(browser, url, options);
  const context = await browser.newContext(options);
  const page = await context.newPage();
  await page.goto(url);
  return { page, context, problems: lacks(browser.name, 'console-errors') ? null : page.problems };
}

/** Opens `url` as openPage does and waits for its engine (with waitForEngine's Firefox rescue). */
export async function openReady(browser, url, options = {}) {
  const opened = await openPage(browser, url, options);
  await waitForEngine(opened.page);
  return opened;
}

async function openPlaywrightPage(browser, url, options) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  await page.goto(url);
  return { page, problems, context };
}

/**
 * Asserts that the page logged no console error and threw nothing uncaught (but what `except`
 * matches). Where the engine cannot report them, the test says so in its output instead.
 */
export function expectNoProblems(t, page, except) {
  const why = lacks(page.engine, 'console-errors');
  if (why) {
    t.diagnostic(`${page.engine}: console errors not checked: ${why}`);
    return;
  }
  assert.deepEqual(page.problems.filter((p) => !except?.test(p)), []);
}

// Firefox ESR driven over WebDriver BiDi: about one start in ten of the wasm thread pool never
// ends (a pool worker made from a blob: URL never runs its script, or the host worker's fetch of
// the helper never resolves), in any tab the remote agent has navigated, also on an engine
// restart; started by hand, or in a tab the agent never touched, the same Firefox never hangs.
// The page says so itself after 30 s ("The engine did not start") and offers a restart; after
// such a restart the host worker itself has also failed to load ("could not run"), which the page
// reports the same way. A first start is rescued sooner by loading the page again. Every rescue
// is printed: it is not a pass.
const FIREFOX_STUCK_MS = 8_000; // a start takes under 1 s in Firefox here
const RESCUES = 4; // three hangs in a row were seen once (2026-12-02), in a tab that had just started fine

/** What a page that did not get ready shows: its engine's state, its notice and its URL. */
const pageState = (page) => page.evaluate(() => JSON.stringify({
  engine: document.body?.dataset.engine ?? null,
  notice: document.getElementById('notice')?.textContent.replace(/\s+/g, ' ').trim().slice(0, 300) ?? null,
  url: location.href,
  readyState: document.readyState,
})).catch((e) => `(not readable: ${e.message})`);

/**
 * Waits until `body[data-engine=<state>]` (in a page or a frame, shown or not: a deck's frame
 * on a hidden slide starts its engine too). Resolves with the number of Firefox rescues (0
 * unless the pool's start hung, see above).
 */
export async function waitForEngine(page, state = 'ready') {
  if (page.engine !== 'firefox' || state !== 'ready') {
    await page.waitForSelector(`body[data-engine=${state}]`, { timeout: 60_000, state: 'attached' })
      .catch(async (e) => { throw new Error(`${e.message}; the page: ${await pageState(page)}`, { cause: e }); });
    return 0;
  }
  let deadline = Date.now() + 60_000;
  let startingSince = null; // when this first start was first seen under way
  for (let rescues = 0; ;) {
    const now = await page.waitForFunction(() => {
      const engine = document.body?.dataset.engine;
      // Only the threaded build starts a pool: a stuck 1-thread start would be the page's own.
      const threaded = window.gilPlayground?.threaded;
      const stuck = threaded && engine === 'failed' && /did not start within|worker could not run/.test(document.getElementById('notice')?.textContent);
      if (engine === 'ready' || stuck) return { engine, stuck };
      return threaded && engine === 'starting' && { engine, firstStart: !document.querySelector('#mode option') };
    }, null, { timeout: Math.max(1, deadline - Date.now()) })
      .catch(async (e) => { throw new Error(`${e.message}; the page: ${await pageState(page)}`, { cause: e }); });
    if (now.engine === 'ready') return rescues;
    if (now.firstStart) startingSince ??= Date.now();
    const firstStartStuck = now.firstStart && Date.now() - startingSince > FIREFOX_STUCK_MS;
    if (!now.stuck && !firstStartStuck) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      continue;
    }
    if (++rescues > RESCUES) throw new Error(`firefox: the engine did not start ${RESCUES + 1} times in a row`);
    console.log(`firefox: the thread pool did not start (${now.stuck ? 'the page says it failed' : `still starting after ${FIREFOX_STUCK_MS / 1000} s`}): ${now.stuck ? 'restarting the engine' : 'loading the page again'}`);
    if (now.stuck) await page.clickText('#notice button', 'Restart engine');
    else if (page.goto) await page.goto(page.openedUrl ?? await page.url());
    else await page.evaluate(() => location.reload());
    startingSince = null;
    deadline = Date.now() + 60_000;
  }
}

/**
 * The `n` newest history entries, newest first. Each lane of a report's timeline (typed arrays,
 * which do not survive JSON) becomes `{ events }`, its number of events.
 */
export function latestEntries(page, n = 1) {
  return page.evaluate((count) => window.gilPlayground.history.entries.slice(0, count).map((entry) => ({
    ...entry,
    report: entry.report && {
      ...entry.report, timeline: entry.report.timeline.map((lane) => ({ events: lane.code.length })),
    },
  })), n);
}

/** The number of runs in the history. */
export const historyLength = (page) => page.evaluate(() => window.gilPlayground.history.entries.length);

/** Waits until the history holds `count` runs and the controls are free again. */
export const runFinished = (page, count, timeout = 120_000) => page.waitForFunction((n) => window.gilPlayground.history.entries.length >= n
  && document.querySelector('#controls').getAttribute('aria-busy') === 'false', count, { timeout });

/** Sets form fields the way a user's change does (a change event per field). */
export const setForm = (page, values) => page.evaluate((v) => {
  for (const [name, value] of Object.entries(v)) {
    const field = document.getElementById(name);
    field.value = String(value);
    if (field.value !== String(value)) throw new Error(`the form has no ${name} = ${value}`);
    field.dispatchEvent(new Event('change', { bubbles: true }));
  }
}, values);

/** Presses Run, waits until the run it started has ended and resolves with its history entry (as latestEntries gives it). */
export async function pressRun(page) {
  const before = await historyLength(page);
  await page.click('button[data-role=run]');
  await runFinished(page, before + 1);
  return (await latestEntries(page))[0];
}

/** Chooses settings in the form, presses Run and waits until the run has ended. */
export async function runFromForm(page, { mode, threads, total }) {
  if (mode !== undefined) await page.selectOption('#mode', String(mode));
  if (threads !== undefined) await page.selectOption('#threads', String(threads));
  if (total !== undefined) await page.selectOption('#total', String(total));
  return pressRun(page);
}

/** Runs `settings` on the page's engine directly (no form) and resolves with the report's numbers. */
export const engineRun = (page, settings) => page.evaluate(async (s) => {
  const { timeline, ...report } = await window.gilPlayground.engine.run(s);
  return { ...report, lanes: timeline.length };
}, settings);

/** Adds an option the form would never offer, to send settings the engine must refuse. */
export async function forceOption(page, select, value) {
  await page.evaluate(([id, v]) => {
    const option = document.createElement('option');
    option.value = v;
    option.textContent = v;
    document.getElementById(id).append(option);
  }, [select, String(value)]);
}

/** True if an element that matches `selector` and whose text contains `text` is visible. */
export const isVisibleWithText = (target, selector, text) => target.$$eval(selector, (els, t) => els.some((el) => {
  const box = el.getBoundingClientRect();
  return el.textContent.includes(t) && box.width > 0 && box.height > 0 && getComputedStyle(el).visibility !== 'hidden';
}), text);

/** Waits until the first match of `selector` contains `text` (Playwright's `:text()` wait). */
export const waitForText = (target, selector, text, options) => target.waitForFunction(([s, t]) => [...document.querySelectorAll(s)]
  .some((el) => el.textContent.includes(t)), [selector, text], options);

const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * A screenshot of `view`, checked to be a PNG as wide as the viewport. Chromium's go to
 * docs/ (`readme`, the README shows them); with `perEngine`, each other engine's go to
 * docs/screenshots/engines/<engine>-<view>.png; the others are only checked.
 */
export async function screenshot(page, view, { readme, perEngine = false } = {}) {
  const png = await page.screenshot();
  assert.deepEqual([...png.subarray(0, 8)], PNG, 'a PNG');
  const [width, dpr] = await page.evaluate(() => [innerWidth, devicePixelRatio]);
  assert.equal(png.readUInt32BE(16), Math.round(width * dpr), 'as wide as the viewport');
  const path = page.engine === 'chromium' ? readme
    : perEngine ? `${ROOT}docs/screenshots/engines/${page.engine}-${view}.png` : undefined;
  if (path) await writeFile(path, png);
  return png;
}
