// Runs on the page when it is framed: the postMessage API a slide deck uses to drive it
// (messages in embed/protocol.js). Messages are checked against the schema; anything else is
// ignored and reported in the console, never executed. Only the page that frames the
// playground may send, and only from this origin or the one origin named by `parent=`.
// Settings are checked by the engine itself, with the same rules and words as everywhere.
import { OUT, problemWith } from './protocol.js';

/**
 * @param {{ allowedOrigin: string, check: (changes, current) => Promise<object>,
 *           apply: (settings) => void, current: () => object, busy: () => boolean,
 *           run: (settings, id) => Promise<{report}|{error, code}> }} page
 */
export function startEmbedApi(page) {
  const parent = window.parent;
  const framed = parent !== window;
  const send = (message, origin = page.allowedOrigin) => {
    if (framed) parent.postMessage(message, origin);
  };

  window.addEventListener('message', async (event) => {
    if (!framed || event.source !== parent) return; // only the page that frames this one
    // reveal.js posts these plain strings to the iframes of a slide it shows or leaves: they
    // only start (with autorun) or stop a run, so any deck may send them.
    if (event.data === 'slide:start') return page.slideStart?.();
    if (event.data === 'slide:stop') return page.slideStop?.();
    if (event.origin !== location.origin && event.origin !== page.allowedOrigin) {
      return ignore(`it came from ${event.origin}, which is not allowed (set parent= in the URL to allow one origin)`);
    }
    const problem = problemWith(event.data);
    if (problem) return ignore(problem);
    const { type, id = null } = event.data;
    const reply = (message) => send(message, event.origin);
    let settings = page.current();
    if (event.data.settings !== undefined) {
      try {
        settings = await page.check(event.data.settings, settings);
      } catch (error) {
        return reply(OUT.error(id, error.code ?? 'bad-settings', error.message));
      }
    }
    if (type === 'gil:get') return reply(OUT.state(settings, page.busy()));
    if (page.busy()) return reply(OUT.error(id, 'busy', 'A run is already under way.'));
    page.apply(settings);
    if (type === 'gil:set') return reply(OUT.state(page.current(), false));
    const outcome = await page.run(page.current(), id);
    if (outcome.error) reply(OUT.error(id, outcome.code ?? 'run-failed', outcome.error));
  });

  return {
    framed,
    ready: (settings, schema) => send(OUT.ready(settings, schema)),
    /** Tells the deck about a finished run (runs started by its messages carry their id). */
    result: (id, settings, report) => send(OUT.result(id, settings, report)),
    key: (key) => send(OUT.key(key)),
  };
}

function ignore(reason) {
  console.warn(`gil-playground: ignored a message: ${reason}.`);
}
