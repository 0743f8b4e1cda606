// Runs on the page: the run settings form (mode, threads, total, the emulated GIL) and the
// Run / Seed matrix / Stop buttons. The mode list and its explanations live in index.html,
// one <option> per mode.
import { h, fill } from './dom.js';
import { count, short } from './format.js';

export class Controls {
  /**
   * @param {HTMLFormElement} form
   * @param {{ onRun: (settings) => void, onMatrix: (settings) => void, onStop: () => void,
   *           onChange: (settings) => void }} handlers
   */
  constructor(form, { onRun, onMatrix, onSweep, onStop, onChange = () => {} }) {
    this.form = form;
    this.fields = form.elements;
    this.runButton = form.querySelector('[data-role=run]');
    this.matrixButton = form.querySelector('[data-role=matrix]');
    this.sweepButton = form.querySelector('[data-role=sweep]');
    this.stopButton = form.querySelector('[data-role=stop]');
    this.explain = document.getElementById('mode-explain');
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      if (!this.busy) onRun(this.settings());
    });
    this.matrixButton.addEventListener('click', () => {
      if (!this.busy) onMatrix(this.settings());
    });
    this.sweepButton.addEventListener('click', () => {
      if (!this.busy) onSweep(this.settings());
    });
    this.stopButton.addEventListener('click', onStop);
    form.addEventListener('change', () => {
      this.showExplanation();
      this.showGilState();
      onChange(this.settings());
    });
    this.showExplanation();
    this.showGilState();
    this.setEnabled(false);
  }

  /** Offers 1..poolSize threads, keeping the current choice where possible. */
  setPoolSize(poolSize, preferred) {
    const select = this.fields.threads;
    const current = Number(select.value) || preferred;
    fill(select, Array.from({ length: poolSize }, (_, i) =>
      h('option', { value: i + 1 }, `${i + 1} thread${i ? 's' : ''}`)));
    select.value = String(Math.min(Math.max(current, 1), poolSize));
  }

  /** Sets the form to `settings` (a total that is not a preset gets an option of its own). */
  apply(settings) {
    const f = this.fields;
    f.mode.value = settings.mode;
    f.threads.value = String(settings.threads);
    if (![...f.total.options].some((o) => Number(o.value) === settings.total)) {
      const option = document.createElement('option');
      option.value = String(settings.total);
      f.total.append(option);
      Controls.labelTotals(f.total);
    }
    f.total.value = String(settings.total);
    f.layout.value = settings.layout;
    f.gil.checked = settings.gil;
    f.safePoints.value = settings.safePoints;
    f.switchIntervalMs.value = String(settings.switchIntervalMs);
    this.showExplanation();
    this.showGilState();
  }

  settings() {
    return {
      mode: this.fields.mode.value,
      threads: Number(this.fields.threads.value),
      total: Number(this.fields.total.value),
      layout: this.fields.layout.value,
      gil: this.fields.gil.checked,
      safePoints: this.fields.safePoints.value,
      // An empty or garbled field reads as NaN, which the engine refuses in words.
      switchIntervalMs: this.fields.switchIntervalMs.value === ''
        ? NaN : Number(this.fields.switchIntervalMs.value),
    };
  }

  /** Dims the GIL's own settings while the GIL is off (they still travel with a run). */
  showGilState() {
    this.form.querySelector('fieldset.gil').classList.toggle('off', !this.fields.gil.checked);
  }

  setEnabled(enabled) {
    for (const el of this.form.querySelectorAll('select, button, input')) el.disabled = !enabled;
    this.stopButton.disabled = false;
  }

  /** Shows that a run is under way (Run disabled and animated, Stop offered). */
  setBusy(busy) {
    this.busy = busy;
    this.form.setAttribute('aria-busy', String(busy));
    this.runButton.classList.toggle('running', busy);
    this.runButton.disabled = busy;
    this.matrixButton.disabled = busy;
    this.sweepButton.disabled = busy;
    this.stopButton.hidden = !busy;
    if (!busy) this.runButton.textContent = 'Run';
  }

  /** Updates the Run button's elapsed-time label while busy. */
  setElapsed(ms) {
    if (this.busy) this.runButton.textContent = `Running… ${(ms / 1000).toFixed(1)} s`;
  }

  showExplanation() {
    const mode = this.fields.mode.selectedOptions[0];
    const layout = this.fields.layout.selectedOptions[0];
    const isPrivate = this.fields.mode.value === 'private';
    this.form.querySelector('label.layout').classList.toggle('off', !isPrivate);
    this.explain.textContent = [mode?.dataset.explain, isPrivate ? layout?.dataset.explain : '']
      .filter(Boolean).join(' ');
  }

  /** Labels totals with both forms: "20M (20,000,000)". */
  static labelTotals(select) {
    for (const option of select.options) {
      option.textContent = `${short(Number(option.value))} increments (${count(Number(option.value))})`;
    }
  }
}
