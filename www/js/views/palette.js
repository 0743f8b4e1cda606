// The timeline's palette: one colour, one pattern and one word per state, one shape per mark.
// Readable by everyone in the room: every state colour has at least 3:1 contrast against the
// white lane and the white line that separates two spans (so two states are never told apart
// by colour alone), each state has a pattern as a second cue, and marks are dark shapes in a
// white halo, so they stand out on any state. The tests compute these contrasts from this
// file for normal vision and simulated protanopia, deuteranopia and tritanopia.
// No DOM here: the tests import it in node.

/** What a span is drawn on, and what separates two spans. */
export const LANE_COLOR = '#ffffff';

/**
 * State colours, patterns (drawn in white over the colour) and words; legend order. `gil`
 * says in which world a state occurs (absent: both), so two states that never share a
 * timeline may share a look.
 */
export const STATES = {
  running: { color: '#1f4fa8', pattern: 'solid', gil: 'off', label: 'running (no GIL)' },
  holding_gil: { color: '#1b6e34', pattern: 'solid', gil: 'on', label: 'holding the GIL, running' },
  waiting_gil: { color: '#5b6672', pattern: 'horizontal', gil: 'on', label: 'waiting for the GIL' },
  switch_wait: { color: '#8a5a00', pattern: 'dots', gil: 'on', label: 'dropped on request, waiting for the switch' },
  waiting_lock: { color: '#b0300e', pattern: 'diagonal', label: 'waiting for the lock (GIL released)' },
  parked: { color: '#6d2f8f', pattern: 'cross', label: 'parked in the lock (asleep)' },
  sleeping: { color: '#1d6a85', pattern: 'vertical', label: 'waiting for I/O (GIL released)' },
};

/** A white bar along the top of a span: the thread held the user's lock meanwhile. */
export const HOLDING_LOCK = { label: 'while holding the lock (white bar on top)' };

/** Marks: a dark shape with a white halo. */
export const MARKS = {
  drop_request: { color: '#111111', label: 'drop request', shape: 'triangle' },
  handoff: { color: '#111111', label: 'GIL handoff', shape: 'tick' },
  stale_write: { color: '#a3001b', label: 'stale write (lost updates)', shape: 'dot' },
  lock_handoff: { color: '#111111', label: 'lock handed over', shape: 'diamond' },
  busy_retry: { color: '#111111', label: 'woke up, GIL taken again (busy retry)', shape: 'square' },
  lock_taken: { color: '#111111', label: 'took the lock', shape: 'bar' },
};

/** The white that patterns, separators and mark halos are drawn in. */
export const HALO = '#ffffff';

/** A colour's relative luminance (WCAG 2.x), from sRGB components 0-255. */
export function luminance([r, g, b]) {
  const lin = (c) => {
    const v = c / 255;
    return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

/** The contrast ratio of two sRGB colours (WCAG 2.x). */
export function contrast(a, b) {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

export const rgb = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));

/**
 * Colour-vision deficiency simulation (Machado, Oliveira and Fernandes 2009, severity 1),
 * applied in linear RGB: what a person with protanopia, deuteranopia or tritanopia sees.
 */
const CVD = {
  protanopia: [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
  deuteranopia: [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]],
  tritanopia: [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]],
};
export const VISIONS = ['normal', ...Object.keys(CVD)];

export function simulate(vision, [r, g, b]) {
  if (vision === 'normal') return [r, g, b];
  const toLinear = (c) => { const v = c / 255; return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  const toSrgb = (v) => {
    const c = Math.min(1, Math.max(0, v));
    return 255 * (c <= 0.0031308 ? 12.92 * c : 1.055 * c ** (1 / 2.4) - 0.055);
  };
  const lin = [r, g, b].map(toLinear);
  return CVD[vision].map((row) => toSrgb(row[0] * lin[0] + row[1] * lin[1] + row[2] * lin[2]));
}
