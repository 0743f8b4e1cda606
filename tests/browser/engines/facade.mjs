// The engine-neutral facade: a Playwright-Page-like subset (CSS selectors only) whose waiting,
// element queries and errors are written once, here, and run the same way in every engine.
// An adapter gives only primitives: evaluate a function's source in a frame, click the n-th
// match of a selector with real input, press keys, type, take a screenshot, resize. Errors name
// the engine and the selector; a missing capability is an error that says why.
import { writeFile } from 'node:fs/promises';
import pngjs from 'pngjs';
import { need } from './capabilities.mjs';

const DEFAULT_TIMEOUT = 30_000; // Playwright's
const POLL_MS = 100;
const UNDEFINED = '\u0000undefined'; // stands for undefined in JSON, so results keep it

/** Wraps a function's source so that the page returns its (awaited) result as JSON text. */
const asJson = (src) => `async (arg) => JSON.stringify(await (${src})(arg), (k, v) => v === undefined ? ${JSON.stringify(UNDEFINED)} : v)`;

function revive(value) {
  if (value === UNDEFINED) return undefined;
  if (value && typeof value === 'object') for (const key of Object.keys(value)) value[key] = revive(value[key]);
  return value;
}

// Runs in the page, spliced into `onElement`'s wrapper: Playwright's notion of visible.
function visible(el) {
  const box = el.getBoundingClientRect();
  return box.width > 0 && box.height > 0 && getComputedStyle(el).visibility !== 'hidden';
}

/**
 * In-page source: finds the first element matching `a.selector` (and containing `a.text`, with
 * whitespace collapsed), then returns `{ value, index }` from `reader(el, a.arg)`, `{ waiting }`
 * while the element is missing or `reader` returns `wait(why)`, or `{ error }` if it threw.
 */
const onElement = (reader) => `(a) => {
  const visible = ${visible};
  const wait = (why) => ({ waiting: why });
  const all = [...document.querySelectorAll(a.selector)];
  const index = a.text === undefined ? 0 : all.findIndex((e) => e.textContent.replace(/\\s+/g, ' ').includes(a.text));
  const el = all[index];
  if (!el) return wait(all.length ? 'no match contains that text' : 'no element matches');
  try {
    const value = (${reader})(el, a.arg);
    return value?.waiting ? value : { value, index };
  } catch (e) { return { error: e.message }; }
}`;

// Readers (run in the page, inside `onElement`, where `visible` and `wait` are defined).
const READ = {
  text: (el) => el.textContent,
  attribute: (el, name) => el.getAttribute(name),
  disabled: (el) => el.matches(':disabled'),
  checked: (el) => {
    if (!['checkbox', 'radio'].includes(el.type)) throw new Error('not a checkbox or radio input');
    return el.checked;
  },
  value: (el) => {
    if (!['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName)) throw new Error('not an <input>, <textarea> or <select>');
    return el.value;
  },
  // Playwright's actionability: visible, enabled, and the element itself receives a click.
  clickable: (el) => {
    if (!visible(el)) return wait('not visible');
    if (el.matches(':disabled')) return wait('disabled');
    let box = el.getBoundingClientRect();
    if (box.top < 0 || box.left < 0 || box.bottom > innerHeight || box.right > innerWidth) {
      el.scrollIntoView({ block: 'center', inline: 'center' });
      box = el.getBoundingClientRect();
    }
    const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
    if (hit && hit !== el && !el.contains(hit)) return wait(`covered by <${hit.localName}${hit.id ? `#${hit.id}` : ''}>`);
    return true;
  },
  // Playwright's fill: focus the field and select its content, so that typing replaces it.
  editable: (el) => {
    if (!visible(el)) return wait('not visible');
    if (el.matches(':disabled') || el.readOnly) return wait('not editable');
    el.focus();
    if (el.select) el.select();
    else getSelection().selectAllChildren(el);
    return true;
  },
  // Playwright's selectOption: by value or label, then input and change events that bubble.
  select: (el, value) => {
    if (el.tagName !== 'SELECT') throw new Error('not a <select>');
    const option = [...el.options].find((o) => o.value === value || o.label === value);
    if (!option) return wait(`no option "${value}"`);
    el.value = option.value;
    el.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
    el.dispatchEvent(new Event('change', { bubbles: true }));
    return [option.value];
  },
  dispatch: (el, type) => {
    const Kind = /^(click|dblclick|mouse|contextmenu)/.test(type) ? MouseEvent
      : /^key/.test(type) ? KeyboardEvent : /^(focus|blur)/.test(type) ? FocusEvent : Event;
    el.dispatchEvent(new Kind(type, { bubbles: true, cancelable: true, composed: true }));
  },
};

const STATE = `(a) => {
  const visible = ${visible};
  const el = document.querySelector(a.selector);
  const shown = !!el && visible(el);
  return { attached: !!el, detached: !el, visible: shown, hidden: !shown }[a.state];
}`;

/** Calls an adapter primitive; its errors name the engine and what was asked. */
export async function attempt(engine, what, fn) {
  try {
    return await fn();
  } catch (e) {
    const message = e.message.replace(/\n\s+at .*/g, ''); // Playwright puts the page's stack in it
    throw new Error(`${engine}: ${what}: ${message}`, { cause: e });
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const quote = (selector) => JSON.stringify(selector);

/**
 * A document: the page's or a frame's. `backend` is the adapter's target: { evaluate(src, arg)
 * -> the result, click(selector, index), frame(selector) -> target, url(), page }.
 */
export class Target {
  constructor(engine, backend) {
    this.engine = engine;
    this.backend = backend;
  }

  call(what, fn) {
    return attempt(this.engine, what, fn);
  }

  async run(src, arg) {
    return revive(JSON.parse(await this.backend.evaluate(asJson(src), arg)));
  }

  /** Runs `fn(arg)` in the page (fn may be async; arg and the result are JSON values). */
  evaluate(fn, arg) {
    return this.call('evaluate', () => this.run(String(fn), arg));
  }

  /** Retries `check` every 100 ms until it returns { done, value }; a timeout names `what`. */
  async poll(what, timeout, check) {
    const deadline = Date.now() + (timeout ?? DEFAULT_TIMEOUT);
    let last = '';
    for (;;) {
      try {
        const result = await check();
        if (result.done) return result.value;
        last = result.why ?? '';
      } catch (e) {
        if (e.fatal) throw e;
        last = e.message; // e.g. a navigation replaced the document: try again
      }
      if (Date.now() >= deadline) {
        throw new Error(`${this.engine}: ${what} timed out after ${timeout ?? DEFAULT_TIMEOUT} ms${last ? ` (${last})` : ''}`);
      }
      await sleep(POLL_MS);
    }
  }

  /**
   * Waits until the first match satisfies `reader`, runs `act(index)` (an adapter's input, retried
   * with the wait if it fails) and resolves with the reader's value.
   */
  element(what, selector, reader, { arg, text, timeout, act } = {}) {
    const src = onElement(reader);
    return this.poll(`${what}(${quote(selector)}${text === undefined ? '' : `, ${quote(text)}`})`, timeout, async () => {
      const r = await this.run(src, { selector, arg, text });
      if (r.error) throw Object.assign(new Error(`${this.engine}: ${what}(${quote(selector)}): ${r.error}`), { fatal: true });
      if (r.waiting) return { why: r.waiting };
      if (act) await act(r.index);
      return { done: true, value: r.value };
    });
  }

  /**
   * Resolves with the truthy value of `fn(arg)`, polled every 100 ms. Unlike Playwright, an error
   * thrown by `fn` is retried (it may come from a navigation); the timeout's message shows it.
   */
  waitForFunction(fn, arg, { timeout } = {}) {
    const src = String(fn);
    return this.poll(`waitForFunction(${src.slice(0, 80)})`, timeout, async () => {
      const value = await this.run(src, arg);
      return { done: !!value, value };
    });
  }

  /** state: 'visible' (default), 'attached', 'hidden' or 'detached'. Resolves with nothing. */
  async waitForSelector(selector, { timeout, state = 'visible' } = {}) {
    await this.poll(`waitForSelector(${quote(selector)}, state ${state})`, timeout, async () => (
      { done: await this.run(STATE, { selector, state }), why: `not ${state} yet` }));
  }

  /** A real click (the adapter's mouse input) once the element is visible, enabled and on top. */
  async click(selector, { timeout, text } = {}) {
    await this.element('click', selector, READ.clickable,
      { text, timeout, act: (index) => this.backend.click(selector, index) });
  }

  /** A tap on a touch screen (a context with hasTouch), once the element could take a click. */
  async tap(selector, { timeout } = {}) {
    need(this.engine, 'touch');
    await this.element('tap', selector, READ.clickable, { timeout, act: (index) => this.backend.tap(selector, index) });
  }

  /** Clicks the first match of `selector` whose text contains `text` (for Playwright's :text()). */
  clickText(selector, text, options = {}) {
    return this.click(selector, { ...options, text });
  }

  async setChecked(selector, checked, options) {
    if (await this.isChecked(selector, options) === checked) return;
    await this.click(selector, options);
    if (await this.isChecked(selector, options) !== checked) {
      throw new Error(`${this.engine}: setChecked(${quote(selector)}, ${checked}): clicking did not change the state`);
    }
  }

  check(selector, options) {
    return this.setChecked(selector, true, options);
  }

  /** Focuses the field, selects its content and types `text` over it with real key events. */
  async fill(selector, text, options) {
    const type = () => (text ? this.backend.page.type(text) : this.backend.page.press([], 'Delete'));
    await this.element('fill', selector, READ.editable, { ...options, act: type });
  }

  selectOption(selector, value, options) {
    return this.element('selectOption', selector, READ.select, { ...options, arg: String(value) });
  }

  textContent(selector, options) { return this.element('textContent', selector, READ.text, options); }
  inputValue(selector, options) { return this.element('inputValue', selector, READ.value, options); }
  getAttribute(selector, name, options) { return this.element('getAttribute', selector, READ.attribute, { ...options, arg: name }); }
  isChecked(selector, options) { return this.element('isChecked', selector, READ.checked, options); }
  isDisabled(selector, options) { return this.element('isDisabled', selector, READ.disabled, options); }
  async dispatchEvent(selector, type, options) { await this.element('dispatchEvent', selector, READ.dispatch, { ...options, arg: type }); }

  /** Like Playwright: no waiting, false when nothing matches. */
  isVisible(selector) {
    return this.call(`isVisible(${quote(selector)})`, () => this.run(STATE, { selector, state: 'visible' }));
  }

  async isHidden(selector) {
    return !(await this.isVisible(selector));
  }

  /** The number of matches, now (Playwright's locator(selector).count()). */
  count(selector) {
    return this.call(`count(${quote(selector)})`, () => this.run('(s) => document.querySelectorAll(s).length', selector));
  }

  $$eval(selector, fn, arg) {
    const src = `(a) => (${fn})([...document.querySelectorAll(a.selector)], a.arg)`;
    return this.call(`$$eval(${quote(selector)})`, () => this.run(src, { selector, arg }));
  }

  /** The document in the <iframe> that `selector` matches (waits for the iframe to be attached). */
  async frame(selector, { timeout } = {}) {
    await this.waitForSelector(selector, { timeout, state: 'attached' });
    return new Target(this.engine, await this.call(`frame(${quote(selector)})`, () => this.backend.frame(selector)));
  }

  /** The document's URL (a promise in every engine: WebDriver has to ask). */
  url() {
    return this.call('url', () => this.backend.url());
  }
}

/** A top-level page: a Target plus navigation, keys, screenshots, size and console problems. */
export class Page extends Target {
  constructor(engine, backend) {
    super(engine, backend.main);
    this.page = backend;
    this.keyboard = { press: (key) => this.#press(key) };
  }

  /** Console errors, uncaught exceptions and unhandled rejections, as 'console: …' / 'pageerror: …'. */
  get problems() {
    need(this.engine, 'console-errors');
    return this.page.problems;
  }

  async goto(url) {
    this.openedUrl = url; // what waitForEngine's Firefox rescue loads again
    try {
      await this.call(`goto(${url})`, () => this.page.goto(url));
    } catch (e) {
      // Firefox under automation: a navigation can stall like its pool start (see harness.mjs).
      if (this.engine !== 'firefox' || !/Navigation timeout/.test(e.message)) throw e;
      console.log(`firefox: a navigation to ${url} timed out: trying it once more`);
      await this.call(`goto(${url}), again`, () => this.page.goto(url));
    }
  }
  async reload() { await this.call('reload', () => this.page.reload()); }

  /** Playwright key names, optionally with modifiers: 'g', 'Enter', 'Shift+Tab', ' '… */
  async #press(key) {
    const [, mods, main] = key.match(/^((?:(?:Shift|Control|Alt|Meta)\+)*)(.+)$/);
    await this.call(`keyboard.press(${quote(key)})`, () => this.page.press(mods.split('+').filter(Boolean), main));
  }

  /**
   * Writes a PNG of the viewport to `path` and returns its bytes. A picture of a single colour
   * is an error: a page that shows anything is never one colour. WebKitGTK windows under Xvfb
   * sometimes stay black however its adapter tries (a driver's fault, not the page's: the DOM
   * checks before every screenshot hold): there it is printed, not failed.
   */
  async screenshot({ path } = {}) {
    const png = await this.call('screenshot', () => this.page.screenshot());
    if (oneColour(png)) {
      const why = `${this.engine}: screenshot: the picture is a single colour`;
      if (this.engine !== 'webkit') throw new Error(why);
      console.log(`${why} (WebKitGTK under Xvfb stopped painting this window)`);
    }
    if (path) await writeFile(path, png);
    return png;
  }

  async setViewportSize({ width, height }) {
    await this.call(`setViewportSize(${width}x${height})`, () => this.page.setViewport(width, height));
  }

  /** A Chrome DevTools Protocol session (Playwright's CDPSession). */
  cdp() {
    need(this.engine, 'cdp');
    return this.page.cdp();
  }
}

/** Whether every pixel of `png` has the same colour. */
export function oneColour(png) {
  const { data } = pngjs.PNG.sync.read(png);
  const first = data.readUInt32BE(0);
  for (let i = 4; i < data.length; i += 4) if (data.readUInt32BE(i) !== first) return false;
  return true;
}
