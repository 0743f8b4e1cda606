// Runs on the page: what every uPlot chart of the page shares: the library (vendored from npm
// by build.sh, loaded on first use) and the PNG export of a row of charts with their titles,
// a legend and a line saying where the numbers come from.
import './language.js'; // first: uPlot reads the language as it loads
import uPlot from '../../vendor/uPlot.esm.js';

export { uPlot };

export const COLORS = ['#2757c5', '#c2261f', '#1f7a3a', '#8e44ad', '#e0a526', '#0f766e'];

/** `text` broken into lines no wider than `width` on `g` (continuation lines indented). */
function wrap(g, text, width) {
  const lines = [];
  let line = '';
  for (const word of text.split(' ')) {
    const next = line ? `${line} ${word}` : word;
    if (g.measureText(next).width > width && line) {
      lines.push(line);
      line = `  ${word}`;
    } else {
      line = next;
    }
  }
  return [...lines, line];
}

/**
 * The charts side by side as one PNG blob. `legend` is [label, color] pairs; `note` the line
 * saying where the numbers come from; `title` stands for a chart without a title of its own;
 * `lines`, sentences printed below, wrapped.
 */
export function chartsToPng(charts, legend, note, { title = '', lines = [] } = {}) {
  if (!charts.length) return Promise.resolve(null);
  const pad = 16;
  const canvases = charts.map((c) => c.ctx.canvas);
  const width = canvases.reduce((w, c) => w + c.width, 0) + pad * (canvases.length + 1);
  const measure = document.createElement('canvas').getContext('2d');
  measure.font = '14px system-ui, sans-serif';
  const wrapped = lines.flatMap((line) => wrap(measure, `• ${line}`, width - 2 * pad));
  const height = Math.max(...canvases.map((c) => c.height)) + 48 + 22 * (legend.length + 1 + wrapped.length);
  const out = Object.assign(document.createElement('canvas'), { width, height });
  const g = out.getContext('2d');
  g.fillStyle = '#fff';
  g.fillRect(0, 0, width, height);
  g.fillStyle = '#1d232b';
  g.font = '600 18px system-ui, sans-serif';
  let x = pad;
  charts.forEach((chart, i) => {
    g.fillText(chart.root.querySelector('.u-title')?.textContent ?? title, x, 28);
    g.drawImage(canvases[i], x, 40);
    x += canvases[i].width + pad;
  });
  g.font = '14px system-ui, sans-serif';
  let y = 48 + Math.max(...canvases.map((c) => c.height)) + 18;
  for (const [label, color] of legend) {
    g.fillStyle = color;
    g.fillRect(pad, y - 10, 14, 10);
    g.fillStyle = '#1d232b';
    g.fillText(label, pad + 22, y);
    y += 22;
  }
  g.fillStyle = '#5b6672';
  g.fillText(note, pad, y);
  g.fillStyle = '#1d232b';
  for (const line of wrapped) {
    y += 22;
    g.fillText(line, pad, y);
  }
  return new Promise((resolve) => out.toBlob(resolve, 'image/png'));
}
