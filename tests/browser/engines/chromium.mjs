// Chromium adapter: Debian's Chromium through playwright-core, launched exactly as harness.mjs
// does. Playwright gives every capability; the facade uses only its primitives.
import { existsSync } from 'node:fs';
import { launchBrowser } from '../harness.mjs';

export const installed = () => existsSync(process.env.CHROMIUM ?? '/usr/bin/chromium');

/** A document of a Playwright Frame. */
function target(frame, page) {
  return {
    page,
    evaluate: (src, arg) => frame.evaluate(`(${src})(${JSON.stringify(arg)})`),
    click: (selector, index) => frame.locator(selector).nth(index).click({ timeout: 5000 }),
    tap: (selector, index) => frame.locator(selector).nth(index).tap({ timeout: 5000 }),
    async frame(selector) {
      const handle = await frame.$(selector);
      const child = await handle?.contentFrame();
      await handle?.dispose();
      if (!child) throw new Error('not an <iframe>');
      return target(child, page);
    },
    url: async () => frame.url(),
  };
}

async function openPage(context) {
  const p = await context.newPage();
  const problems = [];
  p.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  p.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  const page = {
    problems,
    goto: (url) => p.goto(url),
    reload: () => p.reload(),
    press: (mods, key) => p.keyboard.press([...mods, key].join('+')),
    type: (text) => p.keyboard.type(text),
    screenshot: () => p.screenshot(),
    setViewport: (width, height) => p.setViewportSize({ width, height }),
    cdp: () => context.newCDPSession(p),
  };
  page.main = target(p.mainFrame(), page);
  return page;
}

export async function launch() {
  const browser = await launchBrowser();
  return {
    close: () => browser.close(),
    async newContext(options) {
      const context = await browser.newContext(options);
      const requests = [];
      context.on('request', (request) => requests.push(request.url()));
      return {
        requests,
        newPage: () => openPage(context),
        setOffline: (offline) => context.setOffline(offline),
        close: () => context.close(),
      };
    },
  };
}
