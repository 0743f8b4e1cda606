// Runs on the page: keyboard control for a presenter with a keyboard or a clicker.
// A focused control keeps the keys it uses: a field, a menu or an open dialog all of them, a
// button, link or disclosure Enter and Space (so they press it, as everywhere else), the
// timeline its arrows and +/-. The single-key shortcuts get only what is left, and can be
// switched off in the help overlay (WCAG 2.1.4), remembered in this browser. In a frame, the
// keys a slide deck navigates with are handed back to the deck (`onDeckKey`).

/** The keys, in the order the help overlay lists them. */
export const KEYS = [
  ['r or Enter', 'run'],
  ['m', 'next mode'],
  ['↑ or +', 'one thread more'],
  ['↓ or -', 'one thread fewer'],
  ['g', 'GIL on or off'],
  ['s', 'GIL version: 3.10+ or 3.9 safe points'],
  ['x', 'seed matrix'],
  ['h', 'repeat the run 10 (or 100) times: a histogram'],
  ['p / q', 'predict, then run / the quiz'],
  ['1, 2, 3', 'step-through: run that thread\'s next instruction'],
  ['Backspace / 0', 'step-through: undo / start again'],
  ['a-d, Enter, n', 'prediction: guess, run, next question'],
  ['?', 'this help'],
  ['Esc', 'close the help or the QR code'],
];

/** Keys a deck moves slides with: passed to the deck when framed. */
const DECK_KEYS = new Set(['ArrowLeft', 'ArrowRight', 'PageUp', 'PageDown', ' ', 'Home', 'End']);

const STORAGE_KEY = 'gil-playground.shortcuts';

/** Whether single-key shortcuts are on (the default), as remembered in this browser. */
export function shortcutsEnabled() {
  try {
    return localStorage.getItem(STORAGE_KEY) !== 'off';
  } catch {
    return true; // storage refused (a sandboxed frame, private mode): the default
  }
}

/** Remembers the choice; in a browser that refuses storage it holds for this page only. */
export function setShortcutsEnabled(on) {
  enabled = on;
  try {
    localStorage.setItem(STORAGE_KEY, on ? 'on' : 'off');
  } catch {
    // not remembered: nothing else to do
  }
}

let enabled = shortcutsEnabled();

/** Whether the focused element uses `key` itself. */
function ownedByFocus(target, key) {
  if (!(target instanceof Element) || target === document.body) return false;
  if (target.closest('dialog[open]')) return true;
  if (target.matches('input, select, textarea, [contenteditable=""], [contenteditable=true]')) return true;
  if (target.matches('button, a[href], summary, [role=button]')) return key === 'Enter' || key === ' ';
  return false;
}

/**
 * @param {{ run, nextMode, threads: (delta) => void, toggleGil, toggleSafePoints, matrix,
 *           help, intercept?: (key) => boolean, onDeckKey?: (key) => void }} actions
 */
export function listenForKeys(actions, { framed }) {
  document.addEventListener('keydown', (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
    if (ownedByFocus(event.target, event.key)) return;
    // In a slide the deck keeps its keys, whether or not the shortcuts are on.
    if (framed && DECK_KEYS.has(event.key) && actions.onDeckKey) {
      event.preventDefault();
      return actions.onDeckKey(event.key);
    }
    if (!enabled) return;
    // An open step-through or prediction takes its own keys first.
    if (actions.intercept?.(event.key)) {
      event.preventDefault();
      return;
    }
    const action = {
      r: actions.run, Enter: actions.run, m: actions.nextMode,
      ArrowUp: () => actions.threads(1), '+': () => actions.threads(1), '=': () => actions.threads(1),
      ArrowDown: () => actions.threads(-1), '-': () => actions.threads(-1),
      g: actions.toggleGil, s: actions.toggleSafePoints, x: actions.matrix, '?': actions.help,
      h: actions.repeat, p: actions.predict, q: actions.quiz,
    }[event.key];
    if (action) {
      event.preventDefault();
      action();
    }
  });
}
