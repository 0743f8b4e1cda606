// Runs on the page: the one place that tells the user what happened and what to do, with
// optional action buttons ("Restart engine", "Open in a new tab").
import { h, fill } from './dom.js';

export class Notice {
  constructor(root) {
    this.root = root;
  }

  /**
   * @param {{ kind?: 'info'|'warn'|'error', title: string, text?: string[]|string,
   *           actions?: { label: string, onClick: () => void }[] }} notice
   */
  show({ kind = 'info', title, text = [], actions = [] }) {
    const lines = Array.isArray(text) ? text : [text];
    this.root.hidden = false;
    this.root.dataset.kind = kind;
    this.root.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    fill(this.root,
      h('strong', { class: 'notice-title' }, title),
      lines.map((line) => h('p', {}, line)),
      actions.length ? h('p', { class: 'notice-actions' },
        actions.map((a) => h('button', { type: 'button', onclick: a.onClick }, a.label))) : null);
  }

  clear() {
    this.root.hidden = true;
    this.root.replaceChildren();
  }
}
