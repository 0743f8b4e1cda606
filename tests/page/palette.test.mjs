// The timeline's palette, checked without a browser: every state must stand out from the
// white lane and from the white pattern and separator lines, and every mark from its halo,
// for normal vision and the three simulated colour-vision deficiencies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HALO, LANE_COLOR, MARKS, STATES, VISIONS, contrast, rgb, simulate } from '../../www/js/views/palette.js';

const MIN = 3; // WCAG 2.x non-text contrast

for (const vision of VISIONS) {
  test(`every state colour has ${MIN}:1 against the lane and the white lines (${vision})`, () => {
    for (const [name, state] of Object.entries(STATES)) {
      const seen = simulate(vision, rgb(state.color));
      for (const against of [LANE_COLOR, HALO]) {
        const ratio = contrast(seen, simulate(vision, rgb(against)));
        assert.ok(ratio >= MIN, `${name} ${state.color} vs ${against}: ${ratio.toFixed(2)}:1 for ${vision}`);
      }
    }
  });

  test(`every mark has ${MIN}:1 against its white halo (${vision})`, () => {
    for (const [name, mark] of Object.entries(MARKS)) {
      const ratio = contrast(simulate(vision, rgb(mark.color)), simulate(vision, rgb(HALO)));
      assert.ok(ratio >= MIN, `${name}: ${ratio.toFixed(2)}:1 for ${vision}`);
    }
  });
}

test('no two states share a colour or a pattern-and-colour pair', () => {
  const colors = Object.values(STATES).map((s) => s.color);
  assert.equal(new Set(colors).size, colors.length);
});

test('states that can share a timeline and look alike to someone get different patterns', () => {
  // Two states closer than 1.5:1 in luminance under some vision must differ in pattern,
  // unless one occurs only with the GIL and the other only without it.
  const entries = Object.entries(STATES);
  const together = (a, b) => !a.gil || !b.gil || a.gil === b.gil;
  for (const vision of VISIONS) {
    for (let i = 0; i < entries.length; i++) {
      for (let j = i + 1; j < entries.length; j++) {
        const [a, sa] = entries[i];
        const [b, sb] = entries[j];
        const ratio = contrast(simulate(vision, rgb(sa.color)), simulate(vision, rgb(sb.color)));
        if (ratio < 1.5 && together(sa, sb)) assert.notEqual(sa.pattern, sb.pattern, `${a} and ${b} under ${vision} (${ratio.toFixed(2)}:1)`);
      }
    }
  }
});

test('the simulation is the identity for normal vision and darkens red for protanopia', () => {
  assert.deepEqual(simulate('normal', [10, 20, 30]), [10, 20, 30]);
  const red = simulate('protanopia', [255, 0, 0]);
  assert.ok(contrast(red, [255, 255, 255]) > contrast([255, 0, 0], [255, 255, 255]));
});
