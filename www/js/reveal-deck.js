// Runs on the example reveal.js deck (reveal.html): makes the deck cross-origin isolated (the
// playground's service worker adds the headers where the host cannot), starts reveal.js with
// its notes plugin (the speaker view), and, in the speaker view's previews (?receiver) and in
// print (?print-pdf), points the playground iframes at a still frame: the previews would
// otherwise start three more thread pools on the presenter's laptop.
import { detectEnvironment } from './hosting/env.js';
import { ensureIsolation } from './hosting/isolation.js';
import Reveal from '../vendor/reveal/reveal.mjs';
import Notes from '../vendor/reveal/plugin/notes.mjs';

await ensureIsolation(detectEnvironment());

const preview = /receiver|print-pdf/i.test(location.search);
if (preview) {
  for (const frame of document.querySelectorAll('iframe[data-src]')) {
    const url = new URL(frame.dataset.src, location.href);
    url.searchParams.set('still', '1');
    url.searchParams.delete('autorun');
    frame.dataset.src = url.href;
  }
}

const deck = new Reveal({ hash: true, plugins: [Notes], width: 1100, height: 700, margin: 0.02 });
await deck.initialize();
window.deck = deck;
document.body.dataset.deck = preview ? 'preview' : 'ready';
