// Runs on the page: a modal dialog (the QR code, the help) on the browser's own <dialog>:
// showModal makes the rest of the page inert and keeps the focus inside, Escape closes it,
// and the focus goes back to what had it before, so a keyboard user continues where they were.

export class Modal {
  constructor(dialog) {
    this.dialog = dialog;
    this.returnTo = null;
    dialog.addEventListener('click', (event) => {
      // A click on the backdrop lands on the dialog itself, outside its box.
      if (event.target === dialog || event.target.closest('[data-role=close]')) this.close();
    });
    dialog.addEventListener('close', () => {
      const target = this.returnTo;
      this.returnTo = null;
      if (target?.isConnected) target.focus();
    });
  }

  get isOpen() {
    return this.dialog.open;
  }

  /** Opens the dialog and focuses `focus` (its Close button by default). */
  open(focus = this.dialog.querySelector('[data-role=close]')) {
    if (this.dialog.open) return;
    this.returnTo = document.activeElement;
    this.dialog.showModal();
    focus?.focus();
  }

  close() {
    if (this.dialog.open) this.dialog.close();
  }

  toggle() {
    if (this.dialog.open) this.close();
    else this.open();
  }
}
