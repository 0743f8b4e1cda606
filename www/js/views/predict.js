// Runs on the page: predict, then run. Before a run reveals anything the room guesses (what
// will the counter read, or how long against one thread), the page records the guess, runs,
// and shows guess against result. A short quiz on seed 001's opening claims about CPython
// threads, each answered by a run. Keys: a-d guess, Enter runs, n next question.
import { h, fill } from './dom.js';
import { count, ratio } from './format.js';

/** What the counter will read, as a share of the increments. */
const FINAL_GUESSES = [
  { key: 'a', label: 'exactly the total', test: (r) => r.lost === 0 },
  { key: 'b', label: 'a little less (75-99%)', test: (r) => r.lost > 0 && r.final / r.expected >= 0.75 },
  { key: 'c', label: 'about half (45-75%)', test: (r) => r.final / r.expected >= 0.45 && r.final / r.expected < 0.75 },
  { key: 'd', label: 'less than half', test: (r) => r.final / r.expected < 0.45 },
];

/**
 * Seed 001's claims, each answered by a run with its own settings: the guesses are true or
 * false, and the verdict is computed from what the run measured.
 */
export const QUIZ = [
  {
    claim: '“CPython doesn’t support multi-threading.”',
    question: 'Two threads that wait for I/O, with the GIL: do they run at the same time?',
    settings: { mode: 'waiting', threads: 2, gil: '3.10', total: 4_000_000 },
    baseline: { mode: 'waiting', threads: 1, gil: '3.10', total: 2_000_000 },
    guesses: [{ key: 'a', label: 'yes: they overlap' }, { key: 'b', label: 'no: one after the other' }],
    judge: (report, one) => (report.wall_ms < 1.5 * one.wall_ms ? 'a' : 'b'),
    explain: (report, one) => `Each of 2 threads did the work of 1 in ${ratio(report.wall_ms / one.wall_ms)} its time: waiting releases the GIL, so threads do run at once. The claim is false.`,
  },
  {
    claim: '“CPython can run only on a single core.”',
    question: 'Two threads counting privately without the GIL (the free-threaded build): faster than one?',
    settings: { mode: 'private', threads: 2, gil: 'off', total: 40_000_000 },
    baseline: { mode: 'private', threads: 1, gil: 'off', total: 20_000_000 },
    guesses: [{ key: 'a', label: 'yes: about twice as fast' }, { key: 'b', label: 'no: one core only' }],
    judge: (report, one) => (report.wall_ms < 1.5 * one.wall_ms ? 'a' : 'b'),
    explain: (report, one) => `Two threads did twice the work of one in ${ratio(report.wall_ms / one.wall_ms)} its time: CPython threads are OS threads on every core, and without the GIL they run Python at once. The claim is false.`,
  },
  {
    claim: '“A CPython process can execute Python bytecode in one thread at a time.”',
    question: 'Two threads counting on their own, with the GIL: faster than one?',
    settings: { mode: 'private', threads: 2, gil: '3.10', total: 40_000_000 },
    baseline: { mode: 'private', threads: 1, gil: '3.10', total: 20_000_000 },
    guesses: [{ key: 'a', label: 'yes: about twice as fast' }, { key: 'b', label: 'no: about the same' }],
    judge: (report, one) => (report.wall_ms < 1.5 * one.wall_ms ? 'a' : 'b'),
    explain: (report, one) => `Two threads did twice the work of one in ${ratio(report.wall_ms / one.wall_ms)} its time: with the GIL only one thread runs bytecode at a time. The claim is true (for builds with a GIL).`,
  },
];

export class Predict {
  /**
   * @param {(settings) => Promise<{report}|{error}>} runOnce runs one setting and shows it
   */
  constructor(root, runOnce) {
    this.root = root;
    this.runOnce = runOnce;
    this.item = null; // null: guess the final counter of the form's settings; else a quiz item
    this.guess = null;
    this.outcome = null;
  }

  /** Opens the prediction for the form's `settings` (or the quiz when `quiz`). */
  open(settings, quiz = false) {
    this.settings = settings;
    this.item = quiz ? 0 : null;
    this.guess = null;
    this.outcome = null;
    this.root.hidden = false;
    this.draw();
  }

  /** Records a guess by its key. */
  choose(key) {
    if (this.outcome || !this.guesses().some((g) => g.key === key)) return false;
    this.guess = key;
    this.draw();
    return true;
  }

  guesses() {
    return this.item === null ? FINAL_GUESSES : QUIZ[this.item].guesses;
  }

  /** Runs what was guessed about and shows guess against result. */
  async reveal() {
    if (!this.guess || this.outcome) return;
    if (this.item === null) {
      const { report, error } = await this.runOnce(this.settings);
      this.outcome = report ? { report, right: FINAL_GUESSES.find((g) => g.test(report))?.key } : { error };
    } else {
      const item = QUIZ[this.item];
      const one = await this.runOnce({ ...this.settings, ...item.baseline });
      const run = one.report ? await this.runOnce({ ...this.settings, ...item.settings }) : one;
      this.outcome = run.report
        ? { report: run.report, right: item.judge(run.report, one.report), words: item.explain(run.report, one.report) }
        : { error: run.error };
    }
    this.draw();
  }

  /** The next quiz question. */
  next() {
    if (this.item === null) return;
    this.item = (this.item + 1) % QUIZ.length;
    this.guess = null;
    this.outcome = null;
    this.draw();
  }

  /** Keys for a slide: a-d guess, Enter runs, n next question. */
  key(key) {
    if (this.root.hidden) return false;
    if (/^[a-d]$/.test(key)) return this.choose(key);
    if (key === 'Enter') this.reveal();
    else if (key === 'n') this.next();
    else return false;
    return true;
  }

  draw() {
    const item = this.item === null ? null : QUIZ[this.item];
    const question = item ? item.question
      : `${this.settings.threads} threads add 1 to a counter ${count(this.settings.total)} times in all (${this.settings.mode}, GIL ${this.settings.gil}). What will it read?`;
    const { outcome } = this;
    fill(this.root,
      h('h2', {}, item ? `Quiz ${this.item + 1} of ${QUIZ.length}: ${item.claim}` : 'Predict, then run'),
      h('p', { class: 'predict-question' }, question),
      h('ol', { class: 'predict-guesses', 'data-role': 'guesses' }, this.guesses().map((g) => h('li', {},
        h('button', {
          type: 'button', 'data-key': g.key, 'aria-pressed': String(this.guess === g.key),
          class: [this.guess === g.key ? 'chosen' : '', outcome?.right === g.key ? 'right' : ''].join(' ').trim(),
          onclick: () => this.choose(g.key), disabled: Boolean(outcome),
        }, h('kbd', {}, g.key), ` ${g.label}`)))),
      h('p', { class: 'predict-tools' },
        h('button', { type: 'button', 'data-role': 'reveal', onclick: () => this.reveal(), disabled: !this.guess || Boolean(outcome) }, 'Run to find out'),
        item ? h('button', { type: 'button', 'data-role': 'next-question', onclick: () => this.next() }, 'Next question') : null),
      outcome ? h('p', { class: `verdict ${outcome.right === this.guess ? 'exact' : 'lost'}`, 'data-role': 'predict-verdict' },
        outcome.error ? `The run failed: ${outcome.error}`
          : `${outcome.right === this.guess ? 'Right' : 'Not this time'}: `
            + (item ? outcome.words : `the counter read ${count(outcome.report.final)} of ${count(outcome.report.expected)}.`)) : null);
  }
}
