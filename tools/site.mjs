// Build helper for the static site (called by build.sh):
//   node tools/site.mjs manifest <folder>   writes <folder>/sw-manifest.js: every file the
//       service worker saves for offline use, a version that changes with any of them (a new
//       build then replaces the old cache), and the isolation headers it adds to responses
//   node tools/site.mjs headers <folder>    writes <folder>/_headers for hosts that read one
//       (Netlify, Cloudflare Pages)
// The headers come from isolation-headers.json, the one list the server uses too.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';

const [command, root] = process.argv.slice(2);
const { headers } = JSON.parse(readFileSync(new URL('../isolation-headers.json', import.meta.url)));

if (command === 'manifest') {
  const skip = new Set(['sw.js', 'sw-manifest.js', '_headers']);
  const walk = (dir) => readdirSync(`${root}/${dir}`).sort().flatMap((name) => {
    const path = dir ? `${dir}/${name}` : name;
    return statSync(`${root}/${path}`).isDirectory() ? walk(path) : skip.has(path) ? [] : [path];
  });
  const files = walk('');
  const hash = createHash('sha256');
  for (const file of files) hash.update(file).update(readFileSync(`${root}/${file}`));
  const build = { version: hash.digest('hex').slice(0, 12), headers, files: ['./', ...files] };
  writeFileSync(`${root}/sw-manifest.js`,
    `// Written by build.sh (tools/site.mjs): what sw.js saves and the headers it adds.\nself.GIL_PLAYGROUND_BUILD = ${JSON.stringify(build, null, 1)};\n`);
} else if (command === 'headers') {
  writeFileSync(`${root}/_headers`, `/*\n${Object.entries(headers).map(([k, v]) => `  ${k}: ${v}\n`).join('')}`);
} else {
  console.error('usage: node tools/site.mjs manifest|headers <folder>');
  process.exit(2);
}
