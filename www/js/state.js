// Runs on the page: the settings <-> the URL, the only place URL input is read. Parsing is
// strict: a value out of range is clamped and a value that makes no sense falls back to the
// default, each with a notice in words; unknown keys are ignored, with a notice. Values only
// ever reach the page as text, never as markup.

/** Every setting: its URL key, its default, and how a raw URL value becomes a setting. */
const MAX_TOTAL = 2_000_000_000;
export const SETTINGS = {
  mode: { key: 'mode', default: 'racy', parse: oneOf(['racy', 'pymutex', 'mutex', 'atomic', 'private']) },
  threads: { key: 'threads', default: 2, parse: integer(1, (limits) => limits.maxThreads) },
  total: { key: 'total', default: 50_000_000, parse: integer(1, () => MAX_TOTAL) },
  layout: { key: 'layout', default: 'padded', parse: oneOf(['padded', 'packed']) },
  gil: { key: 'gil', default: false, parse: flag },
  safePoints: { key: 'safe', default: '3.10', parse: oneOf(['3.10', '3.9']) },
  switchIntervalMs: { key: 'interval', default: 5, parse: decimal(0.1, 100) },
};

/** Keys that configure the page rather than a run. */
const PAGE_KEYS = {
  embed: flag,
  autorun: flag,
  // The one other origin allowed to drive an embedded playground with postMessage.
  parent: (raw) => {
    try {
      const origin = new URL(raw).origin;
      return origin === 'null' ? { error: 'is not an http(s) origin' } : { value: origin };
    } catch {
      return { error: 'is not an origin such as https://slides.example.org' };
    }
  },
  // Set by the one reload that lets the service worker make the page isolated.
  'coi-retry': () => ({ value: true }),
};

const SHOWN_LENGTH = 40;
/** A URL value as it may appear in a notice: quoted, shortened, never markup (callers use text nodes). */
export const shown = (raw) => `“${raw.length > SHOWN_LENGTH ? `${raw.slice(0, SHOWN_LENGTH)}…` : raw}”`;

/**
 * Reads settings and page options from a query string.
 * @param {string} search location.search
 * @param {{ maxThreads: number }} limits
 * @returns {{ settings: object, page: object, notices: string[] }}
 */
export function readUrl(search, limits) {
  const params = new URLSearchParams(search);
  const settings = Object.fromEntries(Object.entries(SETTINGS).map(([name, s]) => [name, s.default]));
  settings.threads = Math.min(settings.threads, limits.maxThreads);
  const page = { embed: false, autorun: false, parent: null, 'coi-retry': false };
  const notices = [];
  const seen = new Set();
  const repeated = new Set();
  for (const [key, raw] of params) {
    if (seen.has(key)) {
      if (!repeated.has(key)) notices.push(`The link sets ${shown(key)} more than once: the first value was used.`);
      repeated.add(key);
      continue;
    }
    seen.add(key);
    const name = Object.keys(SETTINGS).find((n) => SETTINGS[n].key === key);
    if (name) {
      const result = SETTINGS[name].parse(raw, limits);
      if ('value' in result) settings[name] = result.value;
      if (result.error) notices.push(`The link's ${key}=${shown(raw)} ${result.error}: using ${result.value ?? settings[name]}.`);
    } else if (key in PAGE_KEYS) {
      const result = PAGE_KEYS[key](raw);
      if ('value' in result) page[key] = result.value;
      else notices.push(`The link's ${key}=${shown(raw)} ${result.error}: ignored.`);
    } else {
      notices.push(`The link has a setting this page does not know, ${shown(key)}: ignored.`);
    }
  }
  return { settings, page, notices };
}

/** The URL of the current page with `settings` (and the page options that persist). */
export function urlFor(settings, page, base = location.href) {
  const url = new URL(base);
  url.search = '';
  for (const [name, s] of Object.entries(SETTINGS)) {
    const value = settings[name];
    if (name === 'safePoints' || name === 'switchIntervalMs') {
      if (!settings.gil) continue; // GIL details only matter with the GIL on
    }
    url.searchParams.set(s.key, typeof value === 'boolean' ? (value ? '1' : '0') : String(value));
  }
  if (page.embed) url.searchParams.set('embed', '1');
  if (page.parent) url.searchParams.set('parent', page.parent);
  return url.href;
}

/**
 * Checks settings that arrive as an object (the embed API): known keys with valid values,
 * clamped like the URL's. Returns { settings } or { error } in words.
 */
export function checkSettings(input, limits, current) {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return { error: 'settings must be an object' };
  const settings = { ...current };
  for (const [name, value] of Object.entries(input)) {
    const spec = SETTINGS[name];
    if (!spec) return { error: `unknown setting ${shown(String(name))}` };
    if (!['string', 'number', 'boolean'].includes(typeof value)) return { error: `setting ${name} must be a string, number or boolean` };
    const result = spec.parse(String(value), limits);
    if (result.error) return { error: `${name}: ${String(value).slice(0, SHOWN_LENGTH)} ${result.error}` };
    settings[name] = result.value;
  }
  return { settings };
}

function oneOf(choices) {
  return (raw) => (choices.includes(raw)
    ? { value: raw }
    : { error: `is not one of ${choices.join(', ')}` });
}

function integer(min, max) {
  return (raw, limits) => {
    const top = max(limits);
    if (!/^\s*-?\d+(\.0+)?\s*$/.test(raw)) return { error: 'is not a whole number' };
    const n = Number(raw);
    if (n < min) return { value: min, error: `is below ${min}` };
    if (n > top) return { value: top, error: `is above ${top.toLocaleString('en-US')}` };
    return { value: n };
  };
}

function decimal(min, max) {
  return (raw) => {
    if (!/^\s*-?(\d+(\.\d*)?|\.\d+)\s*$/.test(raw)) return { error: 'is not a number' };
    const n = Number(raw);
    if (n < min) return { value: min, error: `is below ${min}` };
    if (n > max) return { value: max, error: `is above ${max}` };
    return { value: n };
  };
}

function flag(raw) {
  if (['1', 'on', 'true', 'yes', ''].includes(raw)) return { value: true };
  if (['0', 'off', 'false', 'no'].includes(raw)) return { value: false };
  return { error: 'is not on or off' };
}
