// One driver interface for three engines, so the same test bodies run in each:
//   const browser = await launch('firefox');
//   const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
//   const page = await context.newPage();   // a Playwright-Page-like facade (facade.mjs)
//   ...; await browser.close();             // also stops every process the launch started
// Adapters: chromium.mjs (playwright-core), firefox.mjs (puppeteer-core, WebDriver BiDi),
// webkit.mjs (selenium-webdriver, WebDriver classic). What each cannot do: capabilities.mjs.
import * as chromium from './chromium.mjs';
import * as firefox from './firefox.mjs';
import * as webkit from './webkit.mjs';
import { need, supported } from './capabilities.mjs';
import { Page, attempt } from './facade.mjs';

export { CAPABILITIES, lacks } from './capabilities.mjs';

export const ENGINES = ['chromium', 'firefox', 'webkit'];
const ADAPTERS = { chromium, firefox, webkit };
const DEFAULT_VIEWPORT = { width: 1280, height: 720 }; // Playwright's

/** The engines named in GIL_ENGINES (comma-separated), else every engine installed here. */
export function enginesToTest() {
  const wanted = process.env.GIL_ENGINES?.split(',').map((e) => e.trim()).filter(Boolean);
  if (!wanted) return ENGINES.filter((engine) => ADAPTERS[engine].installed());
  const unknown = wanted.filter((engine) => !ENGINES.includes(engine));
  if (unknown.length) throw new Error(`GIL_ENGINES names no engine called ${unknown.join(', ')} (known: ${ENGINES.join(', ')})`);
  return wanted;
}

class Context {
  #pages = 0;

  constructor(name, backend, onClose) {
    this.name = name;
    this.backend = backend;
    this.onClose = onClose;
  }

  async newPage() {
    if (this.#pages++) need(this.name, 'several-pages');
    return new Page(this.name, await attempt(this.name, 'newPage', () => this.backend.newPage()));
  }

  /** Every URL requested by the context's pages (and their workers), in order. */
  get requests() {
    need(this.name, 'request-log');
    return this.backend.requests;
  }

  async setOffline(offline) {
    need(this.name, 'offline');
    await attempt(this.name, 'setOffline', () => this.backend.setOffline(offline));
  }

  async close() {
    this.onClose();
    await attempt(this.name, 'close the context', () => this.backend.close());
  }
}

class Browser {
  #contexts = new Set();

  constructor(name, backend) {
    this.name = name;
    this.backend = backend;
    this.supports = supported(name);
  }

  /** Options as Playwright's: viewport (default 1280x720), isMobile, hasTouch, deviceScaleFactor, serviceWorkers. */
  async newContext({ viewport = DEFAULT_VIEWPORT, isMobile, hasTouch, deviceScaleFactor, serviceWorkers } = {}) {
    if (isMobile || hasTouch) need(this.name, 'touch');
    if (deviceScaleFactor !== undefined && deviceScaleFactor !== 1) need(this.name, 'device-scale');
    if (serviceWorkers === 'block') need(this.name, 'block-service-workers');
    const backend = await attempt(this.name, 'newContext',
      () => this.backend.newContext({ viewport, isMobile, hasTouch, deviceScaleFactor, serviceWorkers }));
    const context = new Context(this.name, backend, () => this.#contexts.delete(context));
    this.#contexts.add(context);
    return context;
  }

  /** Closes every context, then the browser and whatever the launch started. */
  async close() {
    try {
      await Promise.allSettled([...this.#contexts].map((context) => context.close()));
    } finally {
      await attempt(this.name, 'close', () => this.backend.close());
    }
  }
}

/**
 * Starts `engine` ('chromium' | 'firefox' | 'webkit'). options.sharedArrayBuffer (WebKit only,
 * default true): false starts WebKitGTK without JSC_useSharedArrayBuffer.
 */
export async function launch(engine, options = {}) {
  const adapter = ADAPTERS[engine];
  if (!adapter) throw new Error(`no engine called '${engine}' (known: ${ENGINES.join(', ')})`);
  if (!adapter.installed()) throw new Error(`${engine} is not installed here`);
  return new Browser(engine, await attempt(engine, 'launch', () => adapter.launch(options)));
}
