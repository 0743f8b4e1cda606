// Build helper (called by build.sh): the app icons, drawn from one description.
//   node tools/icons.mjs <folder>   writes <folder>/icons/icon.svg (the favicon) and the PNGs
//       a phone installs (192 and 512 px; the 512 one full-bleed, safe as a maskable icon)
// The picture is the timeline in miniature: four thread lanes, taking turns, on the accent blue.
// PNG encoding is pngjs's; the shapes are rectangles, so both formats draw the same picture.
import { mkdirSync, writeFileSync } from 'node:fs';
import pngjs from 'pngjs';

const BACKGROUND = '#1f4fa8';
const LANE = '#ffffff';
const TRACK = '#5f86cf';
/** Rectangles on a 48-unit square: [x, y, width, height, colour]. */
const SHAPES = [
  [8, 10, 32, 5, TRACK], [8, 18, 32, 5, TRACK], [8, 26, 32, 5, TRACK], [8, 34, 32, 5, TRACK],
  [8, 10, 11, 5, LANE], [19, 18, 8, 5, LANE], [27, 26, 6, 5, LANE], [33, 34, 7, 5, LANE],
];
const UNITS = 48;

function svg() {
  const rects = SHAPES.map(([x, y, w, h, c]) => `<rect x="${x}" y="${y}" width="${w}" height="${h}" rx="1" fill="${c}"/>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${UNITS} ${UNITS}">`
    + `<rect width="${UNITS}" height="${UNITS}" rx="8" fill="${BACKGROUND}"/>${rects.join('')}</svg>\n`;
}

/** A square PNG of `size` px; `inset` shrinks the picture toward the centre (maskable safe zone). */
function png(size, inset = 0) {
  const image = new pngjs.PNG({ width: size, height: size });
  const rgb = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  const paint = (x0, y0, x1, y1, colour) => {
    const [r, g, b] = rgb(colour);
    for (let y = Math.max(0, Math.round(y0)); y < Math.min(size, Math.round(y1)); y++) {
      for (let x = Math.max(0, Math.round(x0)); x < Math.min(size, Math.round(x1)); x++) {
        const i = 4 * (y * size + x);
        image.data[i] = r; image.data[i + 1] = g; image.data[i + 2] = b; image.data[i + 3] = 255;
      }
    }
  };
  paint(0, 0, size, size, BACKGROUND);
  const scale = (size * (1 - 2 * inset)) / UNITS;
  const offset = size * inset;
  for (const [x, y, w, h, c] of SHAPES) paint(offset + x * scale, offset + y * scale, offset + (x + w) * scale, offset + (y + h) * scale, c);
  return pngjs.PNG.sync.write(image);
}

const root = process.argv[2];
if (!root) {
  console.error('usage: node tools/icons.mjs <folder>');
  process.exit(2);
}
mkdirSync(`${root}/icons`, { recursive: true });
writeFileSync(`${root}/icons/icon.svg`, svg());
writeFileSync(`${root}/icons/icon-192.png`, png(192));
writeFileSync(`${root}/icons/icon-512.png`, png(512));
writeFileSync(`${root}/icons/maskable-512.png`, png(512, 0.1));
