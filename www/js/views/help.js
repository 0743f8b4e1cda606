// Runs on the page: the help dialog that lists the keys (press ? or the footer's button), with
// the switch that turns the single-key shortcuts off.
import { h, fill } from './dom.js';
import { KEYS, setShortcutsEnabled, shortcutsEnabled } from './keyboard.js';
import { Modal } from './dialog.js';

export class Help extends Modal {
  constructor(dialog) {
    super(dialog);
    fill(dialog.querySelector('[data-role=keys]'), KEYS.map(([key, what]) =>
      h('div', {}, h('dt', {}, h('kbd', {}, key)), h('dd', {}, what))));
    const toggle = dialog.querySelector('[data-role=shortcuts]');
    toggle.checked = shortcutsEnabled();
    toggle.addEventListener('change', () => setShortcutsEnabled(toggle.checked));
  }

  hide() {
    this.close();
  }
}
