// Runs on the page: the help overlay that lists the keys (press ?).
import { h, fill } from './dom.js';
import { KEYS } from './keyboard.js';

export class Help {
  constructor(overlay) {
    this.overlay = overlay;
    fill(overlay.querySelector('[data-role=keys]'), KEYS.map(([key, what]) =>
      h('div', {}, h('dt', {}, h('kbd', {}, key)), h('dd', {}, what))));
    overlay.addEventListener('click', (event) => {
      if (event.target === overlay || event.target.dataset.role === 'close') this.hide();
    });
  }

  toggle() {
    this.overlay.hidden = !this.overlay.hidden;
  }

  hide() {
    this.overlay.hidden = true;
  }
}
