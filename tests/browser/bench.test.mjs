// A smoke run of the benchmark (tiny totals, one repetition): the script runs end to end
// against the real page (in every engine installed here) and the CLI and writes a complete
// results file. It asserts the shape of the results, never a timing.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { ROOT, modesWhere } from './harness.mjs';
import { enginesToTest } from './engines/index.mjs';

const BENCHED_MODES = ['racy', 'pymutex', 'atomic', 'private'];

describe('the benchmark script', () => {
  it('measures the counters natively and in every engine, through the form too, and writes the results', async () => {
    const out = `${await mkdtemp(`${tmpdir()}/gil-bench-`)}/smoke.json`;
    const { stdout } = await promisify(execFile)('node', [`${ROOT}bench/bench.mjs`, '--smoke', '--out', out],
      { timeout: 600_000 });
    assert.match(stdout, /speed budget:/);
    const result = JSON.parse(await readFile(out, 'utf8'));
    assert.deepEqual(result.engines.map((e) => e.engine), enginesToTest());
    assert.ok(result.wasm.gzip_bytes > 10_000 && result.wasm.gzip_bytes < result.wasm.bytes);
    for (const e of result.engines) {
      assert.deepEqual([...new Set(e.rows.map((r) => r.mode))], BENCHED_MODES, e.engine);
      for (const row of e.rows) {
        const where = `${e.engine} ${row.mode} x${row.threads} gil ${row.gil}`;
        assert.ok(row.native_ms > 0 && row.direct_ms > 0 && row.form_ms > 0, where);
        assert.equal(row.form_samples_ms.length, result.repetitions, where);
        if (modesWhere('exact').includes(row.mode)) {
          assert.equal(row.native_lost + row.direct_lost + row.form_lost, 0, `${where} is exact`);
        }
      }
      assert.ok(e.rows.some((r) => r.threads === 2) && e.rows.some((r) => r.gil === '3.9'), e.engine);
      for (const kernel of ['load_store', 'load_swap', 'rmw_add']) assert.ok(e.kernels[kernel] > 0, `${e.engine} ${kernel}`);
      assert.ok(e.cold_load_ms.every((ms) => ms > 0), e.engine);
      assert.ok(e.budget.length >= 6 && e.budget.every((b) => typeof b.met === 'boolean' && b.figure), e.engine);
    }
  });
});
