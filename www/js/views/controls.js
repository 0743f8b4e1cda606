// Runs on the page: the run settings form and its buttons. Every control is built from the
// engine's settings schema (names, labels, choices, ranges, defaults): the page has no list of
// its own. The engine checks what the form sends, with the same rules as links and the API.
import { h, fill } from './dom.js';
import { count, short } from './format.js';

export class Controls {
  /**
   * @param {HTMLFormElement} form
   * @param {{ onRun, onMatrix, onSweep, onModels, onStep, onStop, onChange }} handlers, each given the settings
   */
  constructor(form, { onRun, onMatrix, onSweep, onModels, onStep, onRepeat, onPredict, onStop, onChange = () => {} }) {
    this.form = form;
    this.engineNotes = {};
    this.fieldsBox = form.querySelector('[data-role=fields]');
    this.runButton = form.querySelector('[data-role=run]');
    this.matrixButton = form.querySelector('[data-role=matrix]');
    this.sweepButton = form.querySelector('[data-role=sweep]');
    this.modelsButton = form.querySelector('[data-role=models]');
    this.stepButton = form.querySelector('[data-role=step]');
    this.stopButton = form.querySelector('[data-role=stop]');
    this.explain = document.getElementById('mode-explain');
    this.schema = [];
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      if (!this.busy) onRun(this.settings());
    });
    this.matrixButton.addEventListener('click', () => { if (!this.busy) onMatrix(this.settings()); });
    this.sweepButton.addEventListener('click', () => { if (!this.busy) onSweep(this.settings()); });
    this.modelsButton.addEventListener('click', () => { if (!this.busy) onModels(this.settings()); });
    this.stepButton.addEventListener('click', () => { if (!this.busy) onStep(this.settings()); });
    this.extraButtons = [['repeat', onRepeat], ['predict', onPredict]].map(([role, handler]) => {
      const button = form.querySelector(`[data-role=${role}]`);
      button.addEventListener('click', () => { if (!this.busy) handler(this.settings()); });
      return button;
    });
    this.stopButton.addEventListener('click', onStop);
    form.addEventListener('change', () => {
      const keep = visibleAnchor();
      this.showApplicable();
      onChange(this.settings());
      keep();
    });
    this.setEnabled(false);
    // On phones the buttons are fixed to the bottom: the page keeps room for them below its end.
    const buttons = form.querySelector('.buttons');
    new ResizeObserver(() => document.body.style.setProperty('--buttons-height', `${buttons.offsetHeight}px`)).observe(buttons);
  }

  /** Builds one control per setting a link carries, from the engine's schema. */
  setSchema(schema) {
    this.schema = schema.filter((f) => f.in_links);
    fill(this.fieldsBox, this.schema.map((field) => h('label', { 'data-setting': field.name },
      field.label, control(field))));
    this.setEnabled(false);
  }

  field(name) {
    return this.form.elements[name];
  }

  /** Sets the form to `settings` (a total that is not a preset gets an option of its own). */
  apply(settings) {
    for (const field of this.schema) {
      const control = this.field(field.name);
      const value = String(settings[field.name]);
      if (control.tagName === 'SELECT' && ![...control.options].some((o) => o.value === value)) {
        control.append(h('option', { value }, optionLabel(field, Number(value))));
      }
      control.value = value;
    }
    this.showApplicable();
  }

  /** The form's settings, named as everywhere; a garbled number stays text for the engine to refuse in words. */
  settings() {
    const settings = {};
    for (const field of this.schema) {
      const raw = this.field(field.name).value;
      if (field.kind === 'choice') settings[field.name] = raw;
      else settings[field.name] = raw.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
    }
    return settings;
  }

  /** Adds what this engine measured about a choice to its explanation ({ setting: { value: sentence } }). */
  showEngineNotes(notes = {}) {
    this.engineNotes = notes;
    this.showApplicable();
  }

  /**
   * Says in the thread menu how many threads ran at once here (measured when the engine
   * started): above that, threads take turns on the cores. Phones and browsers that clamp or
   * invent their core count differ most from what they report.
   */
  showParallelism(parallel) {
    const menu = this.field('threads');
    if (!(menu instanceof HTMLSelectElement)) return;
    for (const option of menu.options) {
      option.textContent = option.textContent.replace(/ · .*$/, '');
      if (Number(option.value) === parallel) option.textContent += ' · as many as ran at once here';
      else if (Number(option.value) > parallel) option.textContent += ' · more than run at once here';
    }
  }

  /** Dims settings that do not apply (layout without private counters, interval without a GIL) and explains the choices. */
  showApplicable() {
    const settings = this.settings();
    const lines = [];
    for (const field of this.schema) {
      const label = this.fieldsBox.querySelector(`[data-setting="${field.name}"]`);
      const applies = !field.applies_when
        || field.applies_when.values.includes(settings[field.applies_when.setting]);
      label.classList.toggle('off', !applies);
      const control = this.field(field.name);
      if (applies) control.removeAttribute('aria-description');
      else control.setAttribute('aria-description', 'not used with the other settings chosen');
      const chosen = field.choices?.find((c) => c.name === settings[field.name]);
      if (applies && chosen && field.explained) lines.push(chosen.explain);
      const measured = this.engineNotes[field.name]?.[settings[field.name]];
      if (applies && measured) lines.push(measured);
    }
    this.explain.textContent = lines.join(' ');
  }

  setEnabled(enabled) {
    for (const el of this.form.querySelectorAll('select, button, input')) el.disabled = !enabled;
    this.stopButton.disabled = false;
  }

  /** Shows that a run is under way (Run disabled, Stop offered). Nothing animates: the threads need the cores. */
  setBusy(busy) {
    // The button pressed is about to be disabled: a keyboard user lands on Stop, and back on
    // the button they pressed when the run ends (if the focus has not moved on meanwhile).
    const focused = document.activeElement;
    const fromButton = busy && focused instanceof HTMLButtonElement && this.form.contains(focused);
    const backTo = !busy && (focused === this.stopButton || focused === document.body) ? this.pressed : null;
    this.busy = busy;
    this.form.setAttribute('aria-busy', String(busy));
    this.runButton.classList.toggle('running', busy);
    this.runButton.disabled = busy;
    this.matrixButton.disabled = busy;
    this.sweepButton.disabled = busy;
    this.modelsButton.disabled = busy;
    this.stepButton.disabled = busy;
    for (const button of this.extraButtons) button.disabled = busy;
    this.stopButton.hidden = !busy;
    this.runButton.textContent = busy ? 'Running…' : 'Run';
    if (busy) this.pressed = fromButton ? focused : null;
    if (fromButton) this.stopButton.focus();
    backTo?.focus();
  }

  /** Updates the Run button's elapsed-time label (called rarely: once a second at most). */
  setElapsed(ms) {
    if (this.busy) this.runButton.textContent = `Running… ${Math.floor(ms / 1000)} s`;
  }
}

/**
 * A settings change rewrites the text between the form and the result (which settings apply,
 * what the mode does): where the result is on screen, it stays where it was, so changing a
 * setting never moves what the reader is looking at. Returns the function that puts it back.
 */
function visibleAnchor() {
  const result = document.getElementById('result');
  const top = result?.getBoundingClientRect().top;
  if (top === undefined || top >= innerHeight || result.getBoundingClientRect().bottom <= 0) return () => {};
  return () => {
    const moved = result.getBoundingClientRect().top - top;
    if (Math.abs(moved) >= 1) scrollBy({ top: moved, behavior: 'instant' });
  };
}

/** A select for choices, threads and preset totals; a number field for the rest. */
function control(field) {
  if (field.kind === 'choice') {
    return h('select', { name: field.name, id: field.name }, field.choices.map((c) => h('option', { value: c.name }, c.label)));
  }
  // A menu where the values are few: presets, or every whole number in a short range.
  if (field.presets.length || (field.whole && field.max - field.min < 64)) {
    const values = field.presets.length ? field.presets
      : Array.from({ length: field.max - field.min + 1 }, (_, i) => field.min + i);
    return h('select', { name: field.name, id: field.name }, values.map((v) => h('option', { value: v }, optionLabel(field, v))));
  }
  return h('input', { type: 'number', name: field.name, id: field.name, min: field.min, max: field.max,
    step: field.whole ? 1 : 'any', inputmode: 'decimal' });
}

/** "2 threads", "1 thread", "20M increments (20,000,000)". */
function optionLabel(field, value) {
  const unit = value === 1 ? field.unit.replace(/s$/, '') : field.unit;
  return value >= 10_000 ? `${short(value)} ${unit} (${count(value)})` : `${value} ${unit}`;
}
