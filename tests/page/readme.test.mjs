// The README's settings and modes tables are the engine's own (tools/readme.mjs writes them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

test('the README lists the settings and modes the engine has', () => {
  const check = spawnSync('node', [new URL('../../tools/readme.mjs', import.meta.url).pathname, '--check'], { encoding: 'utf8' });
  assert.equal(check.status, 0, check.stderr);
});
