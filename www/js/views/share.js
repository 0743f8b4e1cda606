// Runs on the page: sharing the current settings. "Copy link" puts the URL on the clipboard
// (or shows it selected where the clipboard is refused, as in some frames), and "QR code"
// shows the URL as a QR code large enough to scan from the back of a room. The code is drawn
// module by module on a canvas from qrcode-generator's matrix: the URL never becomes markup.
import { h, fill } from './dom.js';
import { Modal } from './dialog.js';

export class Share {
  /** @param {() => string} currentUrl */
  constructor(root, dialog, currentUrl) {
    this.root = root;
    this.dialog = dialog;
    this.modal = new Modal(dialog);
    this.currentUrl = currentUrl;
    this.status = root.querySelector('[data-role=share-status]');
    root.querySelector('[data-role=copy-link]').addEventListener('click', () => this.copy());
    root.querySelector('[data-role=show-qr]').addEventListener('click', () => this.showQr());
  }

  async copy() {
    const url = this.currentUrl();
    try {
      await navigator.clipboard.writeText(url);
      this.status.textContent = 'Link copied.';
    } catch {
      const field = h('input', { type: 'text', readonly: true, value: url, 'aria-label': 'link to these settings' });
      fill(this.status, 'Copy this link: ', field);
      field.select();
    }
  }

  async showQr() {
    const url = this.currentUrl();
    // The QR library is loaded on first use, not with the page.
    const { default: qrcode } = await import('../../vendor/qrcode.mjs');
    const qr = qrcode(0, 'M');
    qr.addData(url);
    qr.make();
    const canvas = drawQr(qr);
    fill(this.dialog.querySelector('[data-role=qr-body]'),
      canvas,
      h('p', { class: 'qr-url' }, url));
    this.modal.open();
  }

  hideQr() {
    this.modal.close();
  }
}

/** The QR code on a canvas: dark modules black, with the 4-module quiet zone the standard asks. */
function drawQr(qr) {
  const modules = qr.getModuleCount();
  const quiet = 4;
  const scale = Math.max(4, Math.floor(1024 / (modules + 2 * quiet)));
  const size = (modules + 2 * quiet) * scale;
  const canvas = h('canvas', { width: size, height: size, class: 'qr', role: 'img', 'aria-label': 'QR code of this page with its settings' });
  const g = canvas.getContext('2d');
  g.fillStyle = '#fff';
  g.fillRect(0, 0, size, size);
  g.fillStyle = '#000';
  for (let row = 0; row < modules; row++) {
    for (let col = 0; col < modules; col++) {
      if (qr.isDark(row, col)) g.fillRect((col + quiet) * scale, (row + quiet) * scale, scale, scale);
    }
  }
  return canvas;
}
