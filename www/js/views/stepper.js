// Runs on the page: the race by hand. Two or three threads walk the real bytecode of the
// chosen statement one instruction at a time; the user (or a presenter's keys 1, 2, 3) picks
// which thread runs next, and only the switches the chosen interpreter allows are offered.
// The engine replays the choices from the start each time (model/stepper.rs), so this view
// draws what it is given: each thread's instruction pointer and value stack, the counter, and
// the events, a lost update pointed out with the two writes that caused it. The choices live
// in the link (steps=0101…), so a link replays the same interleaving.
import { h, fill } from './dom.js';
import { choiceLabel } from './format.js';

const MAX_THREADS = 3;

export class Stepper {
  /**
   * @param {HTMLElement} root the #step section
   * @param {{ step: (settings, threads, choices) => Promise<object>, onChoices: (choices) => void }} engine
   */
  constructor(root, { step, onChoices }) {
    this.root = root;
    this.step = step;
    this.onChoices = onChoices;
    this.choices = [];
    this.state = null;
    this.settings = null;
    this.threads = 2;
  }

  /** Shows the step-through for `settings` (GIL, statement, mode), replaying `choices`. */
  async open(settings, choices = this.choices) {
    this.settings = settings;
    this.threads = Math.min(MAX_THREADS, Math.max(2, settings.threads));
    this.root.hidden = false;
    await this.replay(choices);
  }

  async replay(choices) {
    this.state = await this.step(this.settings, this.threads, choices);
    this.choices = this.state.choices;
    this.draw();
    this.onChoices(this.choices);
  }

  /** Thread `index` runs its next instruction, if the interpreter allows it now. */
  async run(index) {
    if (!this.state || this.state.finished || this.state.threads[index]?.not_now !== '') return;
    await this.replay([...this.choices, index]);
  }

  async undo() {
    if (this.choices.length) await this.replay(this.choices.slice(0, -1));
  }

  async reset() {
    await this.replay([]);
  }

  /** Keys for a presenter: 1-3 run a thread, Backspace undoes, 0 starts again. */
  key(key) {
    if (this.root.hidden) return false;
    if (/^[1-3]$/.test(key)) this.run(Number(key) - 1);
    else if (key === 'Backspace') this.undo();
    else if (key === '0') this.reset();
    else return false;
    return true;
  }

  draw() {
    const { state, settings } = this;
    const lostEvents = state.events.filter((e) => e.lost);
    fill(this.root,
      h('h2', {}, 'Step through the race'),
      h('p', { class: 'fine' }, `${this.threads} threads, ${choiceLabel('gil', settings.gil)}, `
        + `statement ${choiceLabel('statement', settings.statement)}; each thread loops twice. `
        + 'Choose which thread runs its next instruction (keys 1, 2, 3; Backspace undoes, 0 starts again).'),
      h('p', { class: `step-counter ${lostEvents.length ? 'lost' : ''}`, 'data-role': 'step-counter' },
        `counter["value"] = ${state.counter}`,
        h('span', { class: 'fine' }, ` after ${state.writes} write${state.writes === 1 ? '' : 's'}`
          + (state.lock_owner === null ? '' : `; thread ${state.lock_owner + 1} holds the lock`))),
      h('div', { class: 'step-threads' }, state.threads.map((thread, i) => this.threadColumn(thread, i))),
      h('p', { class: 'step-tools' },
        h('button', { type: 'button', 'data-role': 'step-undo', onclick: () => this.undo(), disabled: !this.choices.length }, 'Undo'),
        h('button', { type: 'button', 'data-role': 'step-reset', onclick: () => this.reset() }, 'Start again')),
      state.refused ? h('p', { class: 'notice', 'data-kind': 'warn' }, state.refused) : null,
      h('ol', { class: 'step-events', 'data-role': 'step-events', 'aria-live': 'polite' },
        state.events.slice(-8).map((e) => h('li', { class: e.lost ? 'lost' : '' }, e.text))),
      state.finished ? h('p', { class: 'verdict', 'data-role': 'step-verdict' },
        lostEvents.length ? `Finished: ${state.writes} updates written, the counter is ${state.counter}.`
          : `Finished: every update counted, the counter is ${state.counter}.`) : null);
  }

  threadColumn(thread, i) {
    const ops = this.state.ops;
    return h('div', { class: `step-thread status-${thread.status}`, 'data-thread': i },
      h('h3', {}, `Thread ${i + 1}`, h('span', { class: 'fine' }, ` · ${thread.status.replace('_', ' ')}, loop ${thread.iteration} of 2`)),
      h('button', {
        type: 'button', class: 'step-run', 'data-role': 'step-run', 'data-thread': i,
        disabled: thread.not_now !== '' || this.state.finished, title: thread.not_now || undefined,
        onclick: () => this.run(i),
      }, `Run thread ${i + 1}`),
      thread.not_now ? h('p', { class: 'fine step-why' }, thread.not_now) : null,
      h('ol', { class: 'bytecode step-code' }, ops.map((op, k) => h('li', {
        class: [op.check ? 'safe-point' : '', k === thread.ip && thread.status !== 'done' ? 'current' : ''].join(' ').trim(),
        'aria-current': k === thread.ip && thread.status !== 'done' ? 'step' : undefined,
      }, h('span', { class: 'marker' }, k === thread.ip && thread.status !== 'done' ? '→' : op.check ? '▶' : ''),
      h('code', {}, op.code)))),
      h('p', { class: 'step-stack', 'data-role': 'stack' }, 'stack: ', thread.stack.length ? thread.stack.join(' | ') : '(empty)'));
  }
}
