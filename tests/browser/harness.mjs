// Test harness shared by the browser tests: starts the project's own server (the release
// binary that ./build.sh builds) and Debian's Chromium through playwright-core.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

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

export function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
}

/**
 * Opens a page and records every console error and uncaught exception in `problems`.
 * wasm-bindgen-rayon's pool workers log a harmless deprecation warning; warnings are not errors.
 */
export async function openPage(browser, url, options = {}) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  await page.goto(url);
  return { page, problems, context };
}

export async function waitForEngine(page, state = 'ready') {
  await page.waitForSelector(`body[data-engine=${state}]`, { timeout: 60_000 });
}

/** Chooses settings in the form, presses Run and waits until the run has ended. */
export async function runFromForm(page, { mode, threads, total }) {
  if (mode !== undefined) await page.selectOption('#mode', String(mode));
  if (threads !== undefined) await page.selectOption('#threads', String(threads));
  if (total !== undefined) await page.selectOption('#total', String(total));
  await page.click('button[data-role=run]');
  await page.waitForSelector('#controls[aria-busy=false]', { timeout: 120_000 });
  return page.evaluate(() => window.gilPlayground.history.entries[0]);
}

/** Adds an option the form would never offer, to send settings the engine must refuse. */
export async function forceOption(page, select, value) {
  await page.evaluate(([id, v]) => {
    const option = document.createElement('option');
    option.value = v;
    option.textContent = v;
    document.getElementById(id).append(option);
  }, [select, String(value)]);
}
