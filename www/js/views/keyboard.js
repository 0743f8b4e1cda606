// Runs on the page: keyboard control for a presenter with a keyboard or a clicker, and the
// help overlay that lists the keys. In a frame, the keys a slide deck navigates with are
// handed back to the deck (`onDeckKey`), because a click into the frame keeps them otherwise.

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
  ['Esc', 'close overlays'],
];

/** Keys a deck moves slides with: passed to the deck when framed. */
const DECK_KEYS = new Set(['ArrowLeft', 'ArrowRight', 'PageUp', 'PageDown', ' ', 'Home', 'End']);

/**
 * @param {{ run, nextMode, threads: (delta) => void, toggleGil, toggleSafePoints, matrix,
 *           help, closeOverlays, onDeckKey?: (key) => void }} actions
 */
export function listenForKeys(actions, { framed }) {
  document.addEventListener('keydown', (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    const typing = target instanceof HTMLInputElement || target instanceof HTMLSelectElement
      || target instanceof HTMLTextAreaElement;
    if (event.key === 'Escape') return actions.closeOverlays();
    if (typing) return;
    // An open step-through or prediction takes its own keys first.
    if (actions.intercept?.(event.key)) {
      event.preventDefault();
      return;
    }
    if (framed && DECK_KEYS.has(event.key) && actions.onDeckKey) {
      event.preventDefault();
      return actions.onDeckKey(event.key);
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
