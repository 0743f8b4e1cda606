// Build helper: the README's tables of settings and modes, written from the engine's own
// description (`gil-playground info`), so the README cannot drift from what the page, the
// URL, the embed API and the CLI accept.
//   node tools/readme.mjs           rewrites the tables between their markers in README.md
//   node tools/readme.mjs --check   exits 1 (saying which) if a table is out of date
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

const ROOT = new URL('../', import.meta.url).pathname;
const info = JSON.parse(execFileSync(`${ROOT}target/release/gil-playground`, ['info'], { encoding: 'utf8' }));
const code = (v) => `\`${v}\``;
const number = (v) => (Number.isInteger(v) ? v.toLocaleString('en-US') : String(v));

function values(setting) {
  if (setting.kind === 'choice') return setting.choices.map((c) => code(c.name)).join(', ');
  const range = `${number(setting.min)} to ${number(setting.max)} ${setting.unit}`;
  return setting.whole ? range : `${range} (decimals allowed)`;
}

function appliesWhen(setting) {
  const when = setting.applies_when;
  return when ? `${code(when.setting)} is ${when.values.map(code).join(', ')}` : 'always';
}

const settingsTable = [
  '| Setting (URL, embed API, CLI `--name`) | On the page | Values | Default | Used when |',
  '|---|---|---|---|---|',
  ...info.settings.map((s) => `| ${code(s.name)}${s.in_links ? '' : ' (CLI only)'} | ${s.label} | ${values(s)} | ${code(s.default)} | ${appliesWhen(s)} |`),
].join('\n');

const modesTable = [
  '| Mode | On the page | What it does |',
  '|---|---|---|',
  ...info.modes.map((m) => `| ${code(m.name)} | ${m.label} | ${m.explain.replace(/\|/g, '\\|')} |`),
].join('\n');

const TABLES = { settings: settingsTable, modes: modesTable };

const readme = readFileSync(`${ROOT}README.md`, 'utf8');
let updated = readme;
for (const [name, table] of Object.entries(TABLES)) {
  const pattern = new RegExp(`(<!-- ${name}:begin.*?-->)[\\s\\S]*?(<!-- ${name}:end -->)`);
  if (!pattern.test(updated)) {
    console.error(`README.md has no <!-- ${name}:begin --> … <!-- ${name}:end --> markers`);
    process.exit(2);
  }
  updated = updated.replace(pattern, (_, begin, end) => `${begin}\n${table}\n${end}`);
}
if (process.argv.includes('--check')) {
  if (updated !== readme) {
    console.error('README.md: the settings or modes table is out of date: run node tools/readme.mjs');
    process.exit(1);
  }
} else if (updated !== readme) {
  writeFileSync(`${ROOT}README.md`, updated);
}
