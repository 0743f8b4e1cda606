// The embed API's messages (the public protocol a slide deck speaks with a framed playground),
// defined once here: what a deck may send, how each message is checked, and what the
// playground sends back. Version 2: settings use the engine's names (mode, threads, total,
// layout, gil, interval), the same as links and reports.
//
// Deck -> playground                       Playground -> deck
//   { type: 'gil:get' }                       { type: 'gil:ready', version, settings, schema }
//   { type: 'gil:set', settings }             { type: 'gil:state', settings, busy }
//   { type: 'gil:run', id?, settings? }       { type: 'gil:result', id, settings, result }
//                                             { type: 'gil:error', id, code, message }
//                                             { type: 'gil:key', key }   (deck navigation keys)
// `settings` holds any of the settings a link carries, with the same values and ranges;
// `id` is a string of up to 64 characters or a number.

export const API_VERSION = 2;

/** What a deck may send: each type and the fields it may carry. */
const INCOMING = {
  'gil:get': ['type'],
  'gil:set': ['type', 'settings'],
  'gil:run': ['type', 'id', 'settings'],
};

/** Why a message does not fit the schema, or null if it does. */
export function problemWith(data) {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return 'it is not an object';
  if (!Object.hasOwn(INCOMING, data.type)) return `its type is not one of ${Object.keys(INCOMING).join(', ')}`;
  const extra = Object.keys(data).filter((k) => !INCOMING[data.type].includes(k));
  if (extra.length) return `it has unexpected fields (${extra.slice(0, 3).join(', ')})`;
  if ('id' in data && !((typeof data.id === 'string' && data.id.length <= 64)
    || (typeof data.id === 'number' && Number.isFinite(data.id)))) {
    return 'its id is not a short string or a number';
  }
  return null;
}

/** The messages the playground sends. */
export const OUT = {
  ready: (settings, schema) => ({ type: 'gil:ready', version: API_VERSION, settings, schema }),
  state: (settings, busy) => ({ type: 'gil:state', settings, busy }),
  result: (id, settings, report) => {
    const { timeline, ...result } = report; // the figures a deck needs, without the event logs
    return { type: 'gil:result', id, settings, result };
  },
  error: (id, code, message) => ({ type: 'gil:error', id, code, message }),
  key: (key) => ({ type: 'gil:key', key }),
};
