// WebKit adapter: WebKitGTK's MiniBrowser (`--automation`) under Debian's WebKitWebDriver,
// driven by selenium-webdriver over WebDriver classic, on an Xvfb display that each launch
// starts on a free display number (Xvfb -displayfd). Each context is its own WebKitWebDriver
// and MiniBrowser session, with a fresh HOME/XDG folder (the automation session is ephemeral
// too), so service workers and storage never carry over.
//
// - SharedArrayBuffer: WebKitGTK leaves it off even in an isolated page unless the DRIVER's
//   environment has JSC_useSharedArrayBuffer=1 (MiniBrowser and its web processes inherit it).
// - Locale: under the C locale WebKitGTK reports navigator.language "C"; the driver gets en_US.
// - Window size: MiniBrowser's toolbar makes the window at least 447 px wide; a GTK user style
//   sheet in the context's XDG_CONFIG_HOME shrinks it, and the viewport is set by sizing the
//   window, measuring innerWidth/innerHeight and correcting for the toolbar.
// - WebDriver is one command at a time, and frames are entered by switching: every command goes
//   through one queue that first switches to the frame path it is meant for.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { Builder, By, Capabilities, Key } from 'selenium-webdriver';
import { oneColour } from './facade.mjs';
import { forget, release, removeAtExit, spawnGroup, stopGroup } from './processes.mjs';

const onPath = (name) => (process.env.PATH ?? '').split(':').some((dir) => existsSync(`${dir}/${name}`));

function findMiniBrowser() {
  if (process.env.MINIBROWSER) return process.env.MINIBROWSER;
  try {
    return execFileSync('dpkg', ['-L', 'libwebkit2gtk-4.1-0'], { encoding: 'utf8' })
      .split('\n').find((line) => line.endsWith('/MiniBrowser'));
  } catch {
    return undefined;
  }
}
const MINIBROWSER = findMiniBrowser();

export const installed = () => !!MINIBROWSER && onPath('WebKitWebDriver') && onPath('Xvfb');

const TOOLBAR_CSS = '* { min-height: 0; min-width: 0; padding: 0; margin: 0; border-width: 0; font-size: 1px; }\n';

const KEYS = {
  Enter: Key.ENTER, Escape: Key.ESCAPE, Tab: Key.TAB, Backspace: Key.BACK_SPACE, Delete: Key.DELETE,
  ArrowUp: Key.ARROW_UP, ArrowDown: Key.ARROW_DOWN, ArrowLeft: Key.ARROW_LEFT, ArrowRight: Key.ARROW_RIGHT,
  PageUp: Key.PAGE_UP, PageDown: Key.PAGE_DOWN, Home: Key.HOME, End: Key.END,
  Shift: Key.SHIFT, Control: Key.CONTROL, Alt: Key.ALT, Meta: Key.META,
};
function webdriverKey(name) {
  if (KEYS[name]) return KEYS[name];
  if ([...name].length === 1) return name;
  throw new Error(`no WebDriver key for "${name}"`);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function startXvfb() {
  const xvfb = spawnGroup('Xvfb', ['-displayfd', '3', '-screen', '0', '2560x1600x24', '-nolisten', 'tcp', '-noreset'],
    { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
  let log = '';
  xvfb.stderr.on('data', (chunk) => { log += chunk; });
  const display = await new Promise((resolve, reject) => {
    let out = '';
    xvfb.stdio[3].on('data', (chunk) => { out += chunk; if (out.includes('\n')) resolve(out.trim()); });
    xvfb.once('exit', (code) => reject(new Error(`Xvfb exited with ${code}: ${log.trim()}`)));
    xvfb.once('error', reject);
  });
  release(xvfb);
  return { display: `:${display}`, stop: () => stopGroup(xvfb) };
}

const freePort = () => new Promise((resolve, reject) => {
  const server = createServer().once('error', reject).listen(0, '127.0.0.1', () => {
    const { port } = server.address();
    server.close(() => resolve(port));
  });
});

/** WebKitWebDriver on a free port, its environment carrying the display, profile and flags. */
async function startDriver({ display, home, sharedArrayBuffer }) {
  const port = await freePort();
  const env = {
    ...process.env, DISPLAY: display, GDK_BACKEND: 'x11', NO_AT_BRIDGE: '1', HOME: home,
    XDG_CONFIG_HOME: `${home}/config`, XDG_DATA_HOME: `${home}/data`, XDG_CACHE_HOME: `${home}/cache`,
  };
  delete env.WAYLAND_DISPLAY;
  // Under the C locale (LANG=C.UTF-8, as on CI) WebKitGTK reports navigator.language "C", which
  // is no BCP 47 tag: `new Intl.NumberFormat(navigator.language)` throws (vendored uPlot does
  // that when loaded). Chromium and Firefox say en-US there; so does WebKit, with this.
  if (/^(C|POSIX)([._@]|$)/.test(env.LC_ALL || env.LC_MESSAGES || env.LANG || 'C')) {
    Object.assign(env, { LANG: 'en_US.UTF-8' });
    delete env.LC_ALL;
    delete env.LC_MESSAGES;
  }
  if (sharedArrayBuffer) env.JSC_useSharedArrayBuffer = '1';
  else delete env.JSC_useSharedArrayBuffer;
  const driver = spawnGroup('WebKitWebDriver', [`--port=${port}`], { env, stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  for (const deadline = Date.now() + 10_000; ;) {
    if (driver.exitCode !== null) throw new Error(`WebKitWebDriver exited with ${driver.exitCode}`);
    if (await fetch(`${url}/status`).then((r) => r.ok, () => false)) break;
    if (Date.now() > deadline) throw new Error('WebKitWebDriver did not answer within 10 s');
    await sleep(50);
  }
  release(driver);
  return { url, stop: () => stopGroup(driver) };
}

/** One WebDriver session's command queue; `path` is the frame selectors to switch into first. */
function queue(driver) {
  let last = Promise.resolve();
  let inFrame = false;
  return (path, command) => {
    const next = last.then(async () => {
      if (path.length || inFrame) await driver.switchTo().defaultContent();
      inFrame = path.length > 0;
      for (const selector of path) await driver.switchTo().frame(await driver.findElement(By.css(selector)));
      return command(driver);
    });
    last = next.catch(() => {});
    return next;
  };
}

/** A document: the top one (path []) or the frame that the selectors in `path` lead to. */
function target(run, path, page) {
  return {
    page,
    evaluate: (src, arg) => run(path, (d) => d.executeScript(`return (${src})(...arguments)`, ...(arg === undefined ? [] : [arg]))),
    click: (selector, index) => run(path, async (d) => (await d.findElements(By.css(selector)))[index].click()),
    async frame(selector) {
      const tag = await run(path, (d) => d.executeScript('return document.querySelector(arguments[0])?.localName', selector));
      if (tag !== 'iframe') throw new Error('not an <iframe>');
      return target(run, [...path, selector], page);
    },
    url: () => run(path, (d) => (path.length ? d.executeScript('return location.href') : d.getCurrentUrl())),
  };
}

/**
 * Sizes the window so that the viewport is width x height: MiniBrowser's toolbar (`chrome`,
 * learnt on the first try) is added, and the web process learns the new size a moment after the
 * window has it, so the viewport is read until it is the one asked for or stops changing.
 */
async function resize(d, width, height, chrome) {
  for (let attempt = 0; attempt < 3; attempt++) {
    const rect = { width: width + chrome.width, height: height + chrome.height };
    await d.manage().window().setRect(rect);
    const [w, h] = await settle(d, rect, [width, height]);
    if (w === width && h === height) return;
    Object.assign(chrome, { width: rect.width - w, height: rect.height - h });
  }
  const [w, h] = await d.executeScript('return [innerWidth, innerHeight]');
  throw new Error(`the viewport stayed ${w}x${h}`);
}

async function settle(d, rect, wanted) {
  let last;
  let same = 0;
  for (let i = 0; i < 100; i++) {
    const now = await d.executeScript('return [innerWidth, innerHeight, outerWidth, outerHeight]');
    if (now[0] === wanted[0] && now[1] === wanted[1]) return now;
    same = String(now) === String(last) ? same + 1 : 0;
    if (same >= 3 && now[2] === rect.width && now[3] === rect.height) return now;
    last = now;
    await sleep(50);
  }
  return last;
}

function openPage(run) {
  const chrome = { width: 0, height: 0 };
  const page = {
    goto: (url) => run([], (d) => d.get(url)),
    reload: () => run([], (d) => d.navigate().refresh()),
    press: (mods, key) => run([], (d) => {
      const keys = [...mods, key].map(webdriverKey);
      let actions = d.actions({ async: true });
      for (const k of keys) actions = actions.keyDown(k);
      for (const k of keys.reverse()) actions = actions.keyUp(k);
      return actions.perform();
    }),
    type: (text) => run([], (d) => d.actions({ async: true }).sendKeys(text).perform()),
    // Some MiniBrowser windows under Xvfb stop painting (black or stale snapshots) until they
    // are resized: the window grows a pixel and shrinks back before every snapshot, then two
    // frames are painted. Now and then one stays black after that: it is made again, up to
    // three times, before the facade's single-colour check sees it.
    screenshot: () => run([], async (d) => {
      const [width, height] = await d.executeScript('return [innerWidth, innerHeight]');
      let png;
      for (let attempt = 0; attempt < 4 && (!png || oneColour(png)); attempt++) {
        if (attempt) await sleep(500);
        await resize(d, width + 1, height, chrome);
        await resize(d, width, height, chrome);
        await d.executeAsyncScript(`const done = arguments[arguments.length - 1];
          requestAnimationFrame(() => requestAnimationFrame(done)); setTimeout(done, 1000);`);
        png = Buffer.from(await d.takeScreenshot(), 'base64');
      }
      return png;
    }),
    setViewport: (width, height) => run([], (d) => resize(d, width, height, chrome)),
  };
  page.main = target(run, [], page);
  return page;
}

/** options.sharedArrayBuffer: false leaves JSC_useSharedArrayBuffer out (the 1-thread fallback). */
export async function launch({ sharedArrayBuffer = true } = {}) {
  const xvfb = await startXvfb();
  return {
    close: () => xvfb.stop(),
    async newContext({ viewport, serviceWorkers }) {
      const home = await mkdtemp(`${tmpdir()}/gil-webkit-`);
      removeAtExit(home);
      await mkdir(`${home}/config/gtk-3.0`, { recursive: true });
      await writeFile(`${home}/config/gtk-3.0/gtk.css`, TOOLBAR_CSS);
      const driver = await startDriver({ display: xvfb.display, home, sharedArrayBuffer });
      const close = async () => {
        await driver.stop();
        await rm(home, { recursive: true, force: true });
        forget(home);
      };
      try {
        const args = ['--automation', ...(serviceWorkers === 'block' ? ['--features=-ServiceWorkers'] : [])];
        const session = await new Builder().usingServer(driver.url).withCapabilities(new Capabilities({
          browserName: 'MiniBrowser', 'webkitgtk:browserOptions': { binary: MINIBROWSER, args },
        })).build();
        await session.manage().setTimeouts({ script: 15 * 60_000 }); // runs await in executeScript
        const run = queue(session);
        return {
          async newPage() {
            const page = openPage(run);
            await page.setViewport(viewport.width, viewport.height);
            return page;
          },
          async close() {
            await session.quit().catch(() => {});
            await close();
          },
        };
      } catch (e) {
        await close();
        throw e;
      }
    },
  };
}
