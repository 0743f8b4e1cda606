// axe-core (npm, pinned in package.json) in any engine's page or frame, through the engine
// facade: injected from node_modules (the site never ships it), run with the WCAG 2.x A/AA and
// best-practice rules, and its violations returned as one line each, so a failing assertion
// says which rule, how bad, and where.
import { readFileSync } from 'node:fs';
import { ROOT } from './harness.mjs';

const SOURCE = readFileSync(`${ROOT}node_modules/axe-core/axe.min.js`, 'utf8');
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];

/**
 * Rules switched off, each with its reason. Only what axe cannot judge here belongs in this list.
 * - region: in a slide (embed mode) the page is one view of 960x540 with no landmarks around
 *   the controls on purpose; everywhere else the rule stays on.
 */
export const EMBED_EXCEPTIONS = { region: 'a slide is one view inside the deck\'s own page structure' };

/** The violations axe-core finds in `target` (a facade Page or frame Target), one line each. */
export async function axeViolations(target, { except = {} } = {}) {
  return target.evaluate(async ({ source, tags, disabled }) => {
    if (!window.axe) (0, eval)(source);
    const rules = Object.fromEntries(disabled.map((id) => [id, { enabled: false }]));
    const { violations } = await window.axe.run(document, { runOnly: { type: 'tag', values: tags }, rules, resultTypes: ['violations'] });
    return violations.map((v) => `${v.id} (${v.impact}): ${v.help}; at ${v.nodes.slice(0, 4).map((n) => n.target.join(' ')).join(' | ')}`);
  }, { source: SOURCE, tags: TAGS, disabled: Object.keys(except) });
}
