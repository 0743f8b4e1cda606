// Firefox adapter: Debian's firefox-esr, headless, driven by puppeteer-core over WebDriver BiDi
// (playwright cannot drive a stock Firefox). Each launch gets a fresh temporary profile (made
// and removed by puppeteer) with the prefs below on top of puppeteer's own; each context is a
// BiDi user context, with its own cookies, storage and service workers; a context that blocks
// service workers is a Firefox of its own (the switch is a profile pref).
import { existsSync } from 'node:fs';
import puppeteer from 'puppeteer-core';

const FIREFOX = process.env.FIREFOX ?? '/usr/bin/firefox-esr';
export const installed = () => existsSync(FIREFOX);

// The machine reaches no network but package registries: keep every background service quiet.
const PREFS = {
  'app.normandy.enabled': false,
  'app.shield.optoutstudies.enabled': false,
  'app.update.auto': false,
  'browser.discovery.enabled': false,
  'browser.ping-centre.telemetry': false,
  'browser.region.network.url': '',
  'browser.region.update.enabled': false,
  'browser.safebrowsing.downloads.remote.enabled': false,
  'browser.safebrowsing.provider.google4.updateURL': '',
  'browser.safebrowsing.provider.mozilla.updateURL': '',
  'browser.search.geoip.url': '',
  'browser.topsites.contile.enabled': false,
  'browser.translations.enable': false,
  'captivedetect.canonicalURL': '',
  'dom.push.connection.enabled': false,
  'extensions.blocklist.enabled': false,
  'extensions.systemAddon.update.enabled': false,
  'geo.provider.network.url': '',
  'identity.fxaccounts.enabled': false,
  'media.gmp-manager.url': '',
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
  'network.dns.disablePrefetch': true,
  'network.predictor.enabled': false,
  'network.prefetch-next': false,
  'network.trr.mode': 5,
  'security.OCSP.enabled': 0,
  'security.remote_settings.crlite_filters.enabled': false,
  'security.remote_settings.intermediates.enabled': false,
  'toolkit.telemetry.archive.enabled': false,
  'toolkit.telemetry.enabled': false,
  'toolkit.telemetry.server': '',
  'toolkit.telemetry.unified': false,
};

/** A document of a puppeteer Frame. */
function target(frame, page) {
  return {
    page,
    evaluate: (src, arg) => frame.evaluate(`(${src})(${JSON.stringify(arg)})`),
    async click(selector, index) {
      const handles = await frame.$$(selector);
      try {
        await handles[index].click();
      } finally {
        await Promise.all(handles.map((h) => h.dispose()));
      }
    },
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

function wrapPage(p) {
  const problems = [];
  p.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  p.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  const page = {
    problems,
    goto: (url) => p.goto(url),
    reload: () => p.reload(),
    async press(mods, key) {
      for (const mod of mods) await p.keyboard.down(mod);
      await p.keyboard.press(key);
      for (const mod of mods.reverse()) await p.keyboard.up(mod);
    },
    type: (text) => p.keyboard.type(text),
    screenshot: async () => Buffer.from(await p.screenshot()),
    setViewport: (width, height) => p.setViewport({ width, height, deviceScaleFactor: p.viewport()?.deviceScaleFactor ?? 1 }),
  };
  page.main = target(p.mainFrame(), page);
  return page;
}

const start = (prefs = {}) => puppeteer.launch({
  browser: 'firefox', executablePath: FIREFOX, headless: true, defaultViewport: null, extraPrefsFirefox: { ...PREFS, ...prefs },
});

/** A BiDi user context of `browser` as the facade's context backend; `onClose` runs after it closes. */
function wrapContext(context, { viewport, deviceScaleFactor = 1 }, onClose = async () => {}) {
  const requests = [];
  const pages = [];
  let offline = false;
  return {
    requests,
    async newPage() {
      const p = await context.newPage();
      p.on('request', (request) => requests.push(request.url()));
      await p.setViewport({ ...viewport, deviceScaleFactor });
      if (offline) await p.setOfflineMode(true);
      pages.push(p);
      return wrapPage(p);
    },
    async setOffline(value) {
      offline = value;
      for (const p of pages) await p.setOfflineMode(value);
    },
    async close() {
      await context.close();
      await onClose();
    },
  };
}

export async function launch() {
  const browser = await start();
  return {
    close: () => browser.close(),
    async newContext(options) {
      if (options.serviceWorkers !== 'block') return wrapContext(await browser.createBrowserContext(), options);
      // Firefox turns service workers off only for a whole profile: such a context is a
      // Firefox of its own, started with dom.serviceWorkers.enabled off, and stopped with it.
      const own = await start({ 'dom.serviceWorkers.enabled': false });
      try {
        return wrapContext(await own.createBrowserContext(), options, () => own.close());
      } catch (e) {
        await own.close();
        throw e;
      }
    },
  };
}
