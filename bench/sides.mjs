// Shared by the benchmark scripts: arguments, medians, the machine, and one run of the
// native CLI with the same settings object the page uses.
import { execFile } from 'node:child_process';
import os from 'node:os';
import { promisify } from 'node:util';
import { ROOT } from '../tests/browser/harness.mjs';

const CLI = `${ROOT}target/release/gil-playground`;
const exec = promisify(execFile);

/** `--key value` pairs and bare `--flag`s. */
export function parseArgs(list) {
  const out = {};
  for (let i = 0; i < list.length; i++) {
    const key = list[i].replace(/^--/, '');
    if (i + 1 < list.length && !list[i + 1].startsWith('--')) out[key] = list[++i];
    else out[key] = true;
  }
  return out;
}

export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/**
 * One run of the native CLI (`gil-playground run --json`) with the page's settings: the same
 * names as flags (`{ gil: '3.9' }` is `--gil 3.9`).
 */
export async function native(settings) {
  const flags = ['run', '--json'];
  for (const [name, value] of Object.entries(settings)) flags.push(`--${name}`, String(value));
  const { stdout } = await exec(CLI, flags);
  return JSON.parse(stdout);
}

export const machine = () => ({
  cpu: os.cpus()[0]?.model,
  logical_cores: os.availableParallelism(),
  memory_gib: Math.round(os.totalmem() / 2 ** 30),
  platform: `${os.type()} ${os.release()}`,
});
