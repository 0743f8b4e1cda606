// Runs on the page when it is framed: the postMessage API a slide deck uses to drive it.
// Messages are checked against the schema below; anything else is ignored and reported in the
// console, never executed. Only the page that frames the playground may send, and only from
// this origin or the one origin named by the URL's `parent=` setting.
//
// Deck -> playground                          Playground -> deck
//   { type: 'gil:get' }                          { type: 'gil:ready', version, settings, maxThreads }
//   { type: 'gil:set', settings }                { type: 'gil:state', settings, busy }
//   { type: 'gil:run', id?, settings? }          { type: 'gil:result', id, settings, result }
//                                                { type: 'gil:error', id, code, message }
//                                                { type: 'gil:key', key }   (deck navigation keys)
// `settings` holds any of: mode, threads, total, layout, gil, safePoints, switchIntervalMs
// (the URL's settings, same ranges); `id` is a string of up to 64 characters or a number.

export const API_VERSION = 1;
const TYPES = new Set(['gil:get', 'gil:set', 'gil:run']);
const KEYS = { 'gil:get': ['type'], 'gil:set': ['type', 'settings'], 'gil:run': ['type', 'id', 'settings'] };

/**
 * @param {{ allowedOrigin: string, checkSettings: (input) => ({settings}|{error}),
 *           apply: (settings) => void, current: () => object, busy: () => boolean,
 *           run: (settings) => Promise<{report}|{error, code}> }} page
 */
export function startEmbedApi(page) {
  const parent = window.parent;
  const framed = parent !== window;
  const send = (message, origin = page.allowedOrigin) => {
    if (framed) parent.postMessage(message, origin);
  };

  window.addEventListener('message', async (event) => {
    if (!framed || event.source !== parent) return; // only the page that frames this one
    if (event.origin !== location.origin && event.origin !== page.allowedOrigin) {
      return ignore(`it came from ${event.origin}, which is not allowed (set parent= in the URL to allow one origin)`);
    }
    const problem = validate(event.data);
    if (problem) return ignore(problem);
    const { type, id = null } = event.data;
    const reply = (message) => send(message, event.origin);
    let settings = page.current();
    if (event.data.settings !== undefined) {
      const checked = page.checkSettings(event.data.settings);
      if (checked.error) return reply({ type: 'gil:error', id, code: 'bad-settings', message: checked.error });
      settings = checked.settings;
    }
    if (type === 'gil:get') return reply({ type: 'gil:state', settings, busy: page.busy() });
    if (page.busy()) return reply({ type: 'gil:error', id, code: 'busy', message: 'A run is already under way.' });
    page.apply(settings);
    if (type === 'gil:set') return reply({ type: 'gil:state', settings: page.current(), busy: false });
    const outcome = await page.run(page.current(), id);
    if (outcome.error) reply({ type: 'gil:error', id, code: outcome.code ?? 'run-failed', message: outcome.error });
  });

  return {
    framed,
    ready: (settings, maxThreads) => send({ type: 'gil:ready', version: API_VERSION, settings, maxThreads }),
    /** Tells the deck about a finished run (runs started by its messages carry their id). */
    result: (id, settings, report) => send({ type: 'gil:result', id, settings, result: summary(report) }),
    key: (key) => send({ type: 'gil:key', key }),
  };
}

function ignore(reason) {
  console.warn(`gil-playground: ignored a message: ${reason}.`);
}

/** Why a message does not fit the schema, or null if it does. */
function validate(data) {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return 'it is not an object';
  if (!TYPES.has(data.type)) return `its type is not one of ${[...TYPES].join(', ')}`;
  const extra = Object.keys(data).filter((k) => !KEYS[data.type].includes(k));
  if (extra.length) return `it has unexpected fields (${extra.slice(0, 3).join(', ')})`;
  if ('id' in data && !((typeof data.id === 'string' && data.id.length <= 64)
    || (typeof data.id === 'number' && Number.isFinite(data.id)))) {
    return 'its id is not a short string or a number';
  }
  return null;
}

/** The figures a deck needs, without the event logs. */
function summary(report) {
  const { timeline, ...rest } = report;
  return rest;
}
