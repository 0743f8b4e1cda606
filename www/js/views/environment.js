// Runs on the page: what this browser offers and what the engine measured when it started, in
// the footer. Cores are shown honestly: what the browser reports (which may be clamped or
// invented: iOS always says 4) and how many threads the engine saw run at once.
import { fill, h } from './dom.js';
import { ms, ratio } from './format.js';

/** How many threads can be trusted to run at once: the measured parallelism, rounded. */
export function trustedCores(calibration, reported) {
  if (!calibration) return reported || 1;
  return Math.max(1, Math.round(calibration.parallelism));
}

export class Environment {
  constructor(root) {
    this.root = root;
  }

  show({ env, poolSize, threaded, calibration }) {
    const cores = env.cores ? `${env.cores} logical cores (as the browser reports)` : 'core count not reported';
    const parts = [cores, threaded ? `pool of ${poolSize} threads` : 'single-thread fallback',
      `cross-origin isolated: ${env.isolated ? 'yes' : 'no'}`, env.browser];
    const lines = [h('span', { 'data-role': 'platform' }, parts.join(' · '))];
    if (calibration && threaded) {
      const best = calibration.scaling.reduce((a, b) => (b.speedup > a.speedup ? b : a));
      lines.push(h('span', { 'data-role': 'measured' },
        `Measured at start: about ${calibration.parallelism.toFixed(1)} threads ran at once `
        + `(private counters ${ratio(best.speedup)} faster on ${best.threads} threads than on 1); `
        + `racy increments write back with an atomic ${calibration.write} here `
        + `(${calibration.writes.map((w) => `${w.write} ${ms(w.ms)}`).join(', ')} for ${calibration.total / 1e6}M).`));
      const trusted = trustedCores(calibration, env.cores);
      if (env.cores && env.cores > trusted) {
        lines.push(h('span', { 'data-role': 'clamped' },
          `The browser reports ${env.cores} cores, but only about ${trusted} thread${trusted > 1 ? 's' : ''} ran at once here: `
          + 'its number looks clamped, shared or invented, so the sweep\'s ideal line stops there.'));
      }
    }
    fill(this.root, lines.flatMap((line, i) => (i ? [h('br'), line] : [line])));
  }
}
