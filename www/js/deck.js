// Runs on the example deck page (deck.html): slides moved with the keyboard, a playground in
// an iframe that stays cross-origin isolated, and buttons that drive it through its
// postMessage API. The playground's URL may come from ?playground= (a playground on another
// origin); messages go to, and are accepted from, that origin only.
import { detectEnvironment } from './hosting/env.js';
import { ensureIsolation } from './hosting/isolation.js';

const params = new URLSearchParams(location.search);
await ensureIsolation(detectEnvironment());

const slides = [...document.querySelectorAll('.slide')];
const frame = document.getElementById('playground');
const resultLine = document.getElementById('deck-result');
const playground = playgroundUrl(params.get('playground'));
frame.src = playground.href;
let current = 0;
let nextId = 1;

function playgroundUrl(raw) {
  let url;
  try {
    url = new URL(raw ?? 'index.html', location.href);
  } catch {
    url = new URL('index.html', location.href);
  }
  if (!/^https?:$/.test(url.protocol)) url = new URL('index.html', location.href);
  url.searchParams.set('embed', '1');
  if (!url.searchParams.has('total')) url.searchParams.set('total', '20000000');
  if (url.origin !== location.origin && !url.searchParams.has('parent')) {
    url.searchParams.set('parent', location.origin);
  }
  return url;
}

function show(index) {
  current = Math.max(0, Math.min(slides.length - 1, index));
  slides.forEach((slide, i) => { slide.hidden = i !== current; });
  document.body.dataset.slide = slides[current].dataset.title;
}

const move = { ArrowRight: 1, PageDown: 1, ' ': 1, ArrowLeft: -1, PageUp: -1 };
document.addEventListener('keydown', (event) => {
  if (event.key in move) {
    event.preventDefault();
    show(current + move[event.key]);
  }
});

window.addEventListener('message', (event) => {
  if (event.source !== frame.contentWindow || event.origin !== playground.origin) return;
  const data = event.data;
  if (data?.type === 'gil:key' && data.key in move) show(current + move[data.key]);
  if (data?.type === 'gil:ready') document.body.dataset.playground = 'ready';
  if (data?.type === 'gil:result') {
    const r = data.result;
    resultLine.textContent = `${r.mode}, ${r.threads} threads, GIL ${r.gil === 'off' ? 'off' : `on (${r.gil})`}: `
      + `${(r.wall_ms / 1000).toFixed(3)} s, ${r.lost.toLocaleString('en-US')} updates lost`;
    resultLine.dataset.id = String(data.id);
  }
  if (data?.type === 'gil:error') resultLine.textContent = `The playground refused: ${data.message}`;
});

for (const button of document.querySelectorAll('[data-run]')) {
  button.addEventListener('click', () => {
    const settings = JSON.parse(button.dataset.run);
    frame.contentWindow.postMessage({ type: 'gil:run', id: `deck-${nextId++}`, settings }, playground.origin);
  });
}

show(Number(params.get('slide') ?? 0) || 0);
window.deck = { show, frame, playground };
