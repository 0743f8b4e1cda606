// What each engine's facade can and cannot do, with the reason, so that a test can skip in words:
// `it('…', { skip: lacks(engine, 'cdp') }, …)`. Using a missing capability throws that reason.

export const CAPABILITIES = [
  'frames', // page.frame(selector): same-origin and cross-origin iframes
  'keyboard', // page.keyboard.press(key): real key events to the focused element
  'viewport', // newContext({ viewport }) and page.setViewportSize()
  'console-errors', // page.problems
  'request-log', // context.requests: every URL the context's pages requested, workers' too
  'offline', // context.setOffline(bool)
  'block-service-workers', // newContext({ serviceWorkers: 'block' })
  'touch', // newContext({ isMobile, hasTouch }) and page.tap(selector)
  'device-scale', // newContext({ deviceScaleFactor }) other than 1
  'several-pages', // more than one context.newPage()
  'cdp', // page.cdp(): a Chrome DevTools Protocol session
];

const NO_BIDI = 'Debian\'s WebKitWebDriver 2.50 has no WebDriver BiDi (asking for webSocketUrl gives "Failed to match capabilities") and WebDriver classic has no';

const LACKS = {
  chromium: {},
  firefox: {
    cdp: 'Firefox is driven over WebDriver BiDi; it has no Chrome DevTools Protocol',
    touch: 'puppeteer over BiDi ignores isMobile and hasTouch in Firefox ESR (no touch events, maxTouchPoints 0)',
  },
  webkit: {
    cdp: 'WebKit speaks WebDriver, not the Chrome DevTools Protocol',
    'console-errors': `${NO_BIDI} log endpoint; MiniBrowser's console-to-stderr setting is silent in ephemeral sessions, and automation sessions are ephemeral`,
    'request-log': `${NO_BIDI} network events`,
    offline: `${NO_BIDI} network emulation`,
    touch: 'WebKitGTK under WebDriver has no touch or mobile emulation',
    'device-scale': 'WebKitGTK under WebDriver has no device scale emulation',
    'several-pages': 'a context is one MiniBrowser automation session with one window',
  },
};

/** false, or why `engine` cannot offer `capability` (a string, as node:test's `skip` takes it). */
export function lacks(engine, capability) {
  if (!CAPABILITIES.includes(capability)) throw new Error(`no capability called '${capability}'`);
  return LACKS[engine][capability] ?? false;
}

/** The capabilities `engine` offers. */
export const supported = (engine) => new Set(CAPABILITIES.filter((c) => !lacks(engine, c)));

/** Throws, saying why, when `engine` lacks `capability`. */
export function need(engine, capability) {
  const why = lacks(engine, capability);
  if (why) throw new Error(`${engine} cannot offer '${capability}': ${why}`);
}
