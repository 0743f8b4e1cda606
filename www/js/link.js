// Runs on the page: the page's own options in a link (embed, autorun, parent…) and writing
// links. The run settings in a link are read by the engine (settings.rs, `read_link`), which
// clamps and explains in words; this module only splits them off and writes them back, taking
// the settings' names from the engine's schema. Values only ever reach the page as text.

/** Keys that configure the page rather than a run, and how each is read. */
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
  // A still frame, for a deck's speaker view or print: no engine starts.
  still: flag,
  // What a slide shows (embed mode), and what the full page opens with.
  view: (raw) => (VIEWS.includes(raw) ? { value: raw } : { error: `is not one of ${VIEWS.join(', ')}` }),
  // The step-through's interleaving so far: the thread (1-3) that ran each instruction.
  steps: (raw) => (/^[1-3]{0,400}$/.test(raw)
    ? { value: [...raw].map((c) => Number(c) - 1) }
    : { error: 'is not a list of thread numbers 1 to 3 (at most 400)' }),
};

/** The views a link may open. */
export const VIEWS = ['result', 'timeline', 'matrix', 'step', 'histogram', 'predict'];

/** A URL value as it may appear in a notice: quoted, shortened (callers use text nodes). */
const shown = (raw) => `“${raw.length > 40 ? `${raw.slice(0, 40)}…` : raw}”`;

/**
 * Splits a query string into the page's options and the run settings' pairs (for the engine).
 * @returns {{ page: object, settings: [string, string][], notices: string[] }}
 */
export function splitLink(search) {
  const page = { embed: false, autorun: false, still: false, parent: null, 'coi-retry': false, view: null, steps: [] };
  const settings = [];
  const notices = [];
  const seen = new Set();
  for (const [key, raw] of new URLSearchParams(search)) {
    if (!(key in PAGE_KEYS)) {
      settings.push([key, raw]);
      continue;
    }
    if (seen.has(key)) continue;
    seen.add(key);
    const result = PAGE_KEYS[key](raw);
    if ('value' in result) page[key] = result.value;
    else notices.push(`The link's ${key}=${shown(raw)} ${result.error}: ignored.`);
  }
  return { page, settings, notices };
}

/** The URL of this page with `settings` (every setting a link carries) and the page options that persist. */
export function linkFor(settings, page, schema, base = location.href) {
  const url = new URL(base);
  url.search = '';
  for (const field of schema.filter((f) => f.in_links)) {
    url.searchParams.set(field.name, String(settings[field.name]));
  }
  if (page.embed) url.searchParams.set('embed', '1');
  if (page.parent) url.searchParams.set('parent', page.parent);
  if (page.view) url.searchParams.set('view', page.view);
  if (page.view === 'step' && page.steps?.length) url.searchParams.set('steps', page.steps.map((t) => t + 1).join(''));
  return url.href;
}

function flag(raw) {
  if (['1', 'on', 'true', 'yes', ''].includes(raw)) return { value: true };
  if (['0', 'off', 'false', 'no'].includes(raw)) return { value: false };
  return { error: 'is not on or off' };
}
