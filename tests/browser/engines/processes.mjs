// Processes the WebKit adapter starts itself (Xvfb, WebKitWebDriver): each in its own process
// group, so that stopping it also stops what it started (MiniBrowser outlives a deleted WebDriver
// session, and its parent driver, otherwise). Once started they do not keep node alive, and
// whatever is still running (or a temporary folder still there) when node exits is removed then.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { rmSync } from 'node:fs';

const running = new Set();
const folders = new Set();
process.on('exit', () => {
  for (const child of running) signal(child, 'SIGKILL');
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

/** Removes `folder` when node exits, unless `forget(folder)` is called first. */
export const removeAtExit = (folder) => folders.add(folder);
export const forget = (folder) => folders.delete(folder);

function signal(child, name) {
  try {
    process.kill(-child.pid, name);
  } catch { /* already gone */ }
}

/** Spawns `command` as the leader of a new process group. */
export function spawnGroup(command, args, options) {
  const child = spawn(command, args, { ...options, detached: true });
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

/** Lets node exit while `child` runs (call once it is ready). */
export function release(child) {
  child.unref();
  for (const stream of child.stdio) stream?.unref?.();
}

/** SIGTERM to the whole group, SIGKILL after 3 s; resolves once the leader has exited. */
export async function stopGroup(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  signal(child, 'SIGTERM');
  const timer = setTimeout(() => signal(child, 'SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}
