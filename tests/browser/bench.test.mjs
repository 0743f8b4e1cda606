// A smoke run of the benchmark (tiny totals, one repetition): the script runs end to end
// against the real page and CLI and writes a complete results file. It asserts the shape of
// the results, never a timing. bench/bench.mjs drives Chromium only (through Playwright, with
// harness.launchBrowser), so this runs when GIL_ENGINES includes Chromium.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { ROOT, choices, modesWhere } from './harness.mjs';
import { enginesToTest } from './engines/index.mjs';

const chromium = enginesToTest().includes('chromium');

describe('the benchmark script', { skip: !chromium && 'bench/bench.mjs drives Chromium only, and GIL_ENGINES leaves it out' }, () => {
  it('measures every mode natively and in the browser and writes the results', async () => {
    const out = `${await mkdtemp(`${tmpdir()}/gil-bench-`)}/smoke.json`;
    const { stdout } = await promisify(execFile)('node', [`${ROOT}bench/bench.mjs`, '--smoke', '--out', out],
      { timeout: 300_000 });
    assert.match(stdout, /speed budget:/);
    const result = JSON.parse(await readFile(out, 'utf8'));
    const modes = choices('mode');
    assert.deepEqual([...new Set(result.rows.map((r) => r.mode))], modes);
    for (const row of result.rows) {
      assert.ok(row.native_ms > 0 && row.browser_ms > 0, `${row.mode} ${row.threads}`);
      assert.ok(row.browser_over_native > 0);
      assert.equal(row.native_samples_ms.length, result.repetitions);
      if (modesWhere('exact').includes(row.mode)) assert.equal(row.native_lost + row.browser_lost, 0, `${row.mode} is exact`);
    }
    assert.ok(result.rows.some((r) => r.threads === 1) && result.rows.some((r) => r.threads === 2));
    assert.equal(result.gil_overhead_at_1_thread.length, 2);
    assert.equal(result.long_tasks.length, 2);
    assert.ok(result.long_tasks[1].events > 0, 'the GIL run logged events');
    assert.ok(result.cold_load.median_first_result_ms > 0);
    assert.ok(result.wasm.gzip_bytes > 10_000 && result.wasm.gzip_bytes < result.wasm.bytes);
    assert.ok(result.budget.length >= 10);
  });
});
