// Issue 16's shape targets, natively: the seed matrix for each object model, the refcount
// demos, the free-threaded single-thread tax, and the per-instruction cost against real CPython
// 3.13 (bench/python/calibrate.py). Every process is run REPS times, interleaved (rep, then
// each setting), so a busy spell of the shared machine hits every setting alike; a cell's
// figure is the median over reps of the ratio measured inside one process (matrix: the
// script's wall time ÷ the single script of the same column).
//
//   cargo build --release --bin gil-playground
//   node bench/objects.mjs [--reps 5] [--total 10000000] [--threads 2,4,8] [--out FILE.md]
//                          [--builds none,gil,free-threaded,atomic] [--phases calibrate,tax,refs,matrix]
//   node bench/objects.mjs --calibrate-only --costs 3,4,5 [--reps 9]   (the cost sweep only)
//   node bench/objects.mjs --from FILE.json --out FILE.md [--threads/--builds as measured]   (report again)
//
// Writes FILE.md (default bench/results/objects-native-YYYY-MM-DD.md) and the raw records
// beside it as .json. Needs node and, for the calibration, ~/.pyenv/versions/3.13*/bin/python.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, homedir, loadavg } from 'node:os';

const ROOT = new URL('..', import.meta.url).pathname;
const BIN = `${ROOT}target/release/gil-playground`;
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : process.argv[i + 1];
};
const FROM = arg('from', null);
const saved = FROM ? JSON.parse(readFileSync(FROM, 'utf8')) : null;
const ARGS = saved ? saved.args : process.argv.slice(2);
const REPS = saved ? saved.reps : Number(arg('reps', 5));
const TOTAL = saved ? saved.total : Number(arg('total', 10_000_000));
const THREADS = arg('threads', '2,4,8').split(',').map(Number);
const COSTS = arg('costs', '').split(',').filter(Boolean);
const CALIBRATE_ONLY = process.argv.includes('--calibrate-only');
const DATE = (saved ? saved.started : new Date().toISOString()).slice(0, 10);
const OUT = arg('out', `${ROOT}bench/results/objects-native-${DATE}.md`);
const BUILDS = arg('builds', 'none,gil,free-threaded,atomic').split(',');
const PHASES = arg('phases', 'calibrate,tax,refs,matrix').split(',');
const REFS = ['refs', 'refs-own', 'refs-immortal'];
const PYENV = `${homedir()}/.pyenv/versions`;
const PY313 = existsSync(PYENV) && readdirSync(PYENV).filter((v) => /^3\.13[.\d]*$/.test(v)).map((v) => `${PYENV}/${v}/bin/python`)[0];

const records = [];
const commands = new Set();
const load = () => loadavg()[0].toFixed(2);
/** CPU ticks (1/100 s) busy on the whole machine, and used by this process and its children. */
const busyTicks = () => {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
  return f.reduce((a, b) => a + b) - f[3] - f[4];
};
const ownTicks = () => readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ').slice(11, 15).reduce((a, b) => a + Number(b), 0);

/** Runs a command, returns its stdout's JSON lines (or RESULT-JSON line), each with the load:
 * the 1-minute load average before and after, and `others`, the cores kept busy meanwhile by
 * other processes (the machine's busy time minus ours, over the wall time). */
function json(cmd, argv) {
  const template = `${cmd.replace(ROOT, '')} ${argv.join(' ')}`.replace(/--total \d+/, '--total $TOTAL');
  commands.add(template.replace(/--objects \S+/, '--objects $OBJECTS').replace(/--mode \S+/, '--mode $REFS').replace(/--order \d+/, '--order $REP').replace(/matrix (.*)--threads \d+/, 'matrix $1--threads $THREADS'));
  const [before, busy, own, t0] = [load(), busyTicks(), ownTicks(), performance.now()];
  const r = spawnSync(cmd, argv, { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')}: ${r.stderr}`);
  const others = Math.max(0, (busyTicks() - busy - (ownTicks() - own)) / 100 / ((performance.now() - t0) / 1000));
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l.replace(/^RESULT-JSON:/, '')));
  return lines.map((l) => ({ ...l, load: `${before}-${load()}`, others }));
}
const run = (flags) => json(BIN, ['run', '--json', ...flags])[0];
const add = (kind, rep, rec) => records.push({ kind, rep, ...rec });

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const stat = (xs, d = 2) => (xs.length ? `${median(xs).toFixed(d)} [${Math.min(...xs).toFixed(d)}–${Math.max(...xs).toFixed(d)}]` : 'n/a');
const verdict = (ok) => (ok ? '**MET**' : '**NOT MET**');
/** Which records the report uses: all, or (for a second pass) only those of quiet processes. */
let keep = () => true;
const QUIET = 0.5;
const pick = (kind, f) => records.filter((r) => r.kind === kind && keep(r) && Object.entries(f).every(([k, v]) => r[k] === v));

/** CPython 3.13's `counter["value"] += 1` beside the native gil build, GIL 3.10, one thread. */
function calibrate(rep, costs) {
  if (PY313) {
    const [py] = json(PY313, [`${ROOT}bench/python/calibrate.py`, '--child', '--n', '10000000', '--order', String(rep)]);
    add('cpython', rep, { wall_ns: py.wall_ns_per_iter.plus_eq, cpu_ns: py.cpu_ns_per_iter.plus_eq, load: py.load, others: py.others });
  }
  for (const cost of costs) {
    const flags = ['--objects', 'gil', '--gil', '3.10', '--threads', '1', '--total', String(TOTAL)];
    const r = run(cost ? [...flags, '--cost', cost] : flags);
    add('single', rep, { cost: r.cost, units: r.summary.objects.units_per_instruction, ns: (r.wall_ms * 1e6) / r.total, load: r.load, others: r.others });
  }
}

function calibrationTable() {
  const py = pick('cpython', {});
  const rows = ['| what | runs | ns per increment, median [min–max] |', '|---|---|---|'];
  rows.push(`| CPython 3.13, wall | ${py.length} | ${stat(py.map((r) => r.wall_ns), 1)} |`);
  rows.push(`| CPython 3.13, thread CPU | ${py.length} | ${stat(py.map((r) => r.cpu_ns), 1)} |`);
  const single = pick('single', {});
  for (const cost of [...new Set(single.map((r) => r.cost))].sort((a, b) => a - b)) {
    const at = single.filter((r) => r.cost === cost);
    rows.push(`| native gil build, GIL 3.10, 1 thread, cost ${cost} ns (all) | ${at.length} | ${stat(at.map((r) => r.ns), 1)} |`);
    for (const units of [...new Set(at.map((r) => r.units))].sort((a, b) => a - b)) {
      const u = at.filter((r) => r.units === units);
      rows.push(`| … of which ${units} spin units per instruction | ${u.length} | ${stat(u.map((r) => r.ns), 1)} |`);
    }
  }
  return rows.join('\n');
}

function matrix(rep) {
  for (const threads of THREADS) {
    for (const objects of BUILDS) {
      for (const c of json(BIN, ['matrix', '--json', '--objects', objects, '--threads', String(threads), '--total', String(TOTAL)])) {
        add('matrix', rep, { objects, threads, gil: c.gil, script: c.script, ratio: c.relative_to_single, lost_pct: (100 * c.lost) / c.expected, wall_ms: c.wall_ms, load: c.load, others: c.others });
      }
    }
  }
}

function refs(rep) {
  for (const mode of REFS) {
    for (const objects of BUILDS) {
      for (const [gil, threads, cost] of [['off', 1, null], ['off', 2, null], ['off', 2, '0'], ['3.10', 2, null]]) {
        const flags = ['--mode', mode, '--objects', objects, '--gil', gil, '--threads', String(threads), '--total', String(2 * TOTAL)];
        const r = run(cost ? [...flags, '--cost', cost] : flags);
        const o = r.summary.objects;
        add('refs', rep, {
          mode, objects, gil, threads, cost: cost ? 0 : 'default',
          ns_per_iter: (r.wall_ms * 1e6 * threads) / r.total,
          drift: o ? Math.abs(o.check.object_count_drift) : 0,
          freed_in_use: o ? o.counts.freed_while_in_use + o.counts.over_released : 0,
          atomic_ops: o ? o.counts.atomic_ops / r.total : 0,
          overlap: r.overlap, load: r.load, others: r.others,
        });
      }
    }
  }
}

function tax(rep) {
  for (const gil of ['off', '3.10']) {
    const pair = ['gil', 'free-threaded'].map((objects) => run(['--objects', objects, '--gil', gil, '--threads', '1', '--total', String(TOTAL)]));
    const [g, f] = pair.map((r) => ({ ms: r.wall_ms, units: r.summary.objects.units_per_instruction, others: r.others }));
    add('tax', rep, { gil, ratio: f.ms / g.ms, same_units: g.units === f.units, units: `${g.units}/${f.units}`, gil_ns: (g.ms * 1e6) / TOTAL, ft_ns: (f.ms * 1e6) / TOTAL, others: Math.max(g.others, f.others) });
  }
}

// --- measure, interleaved (or --from FILE.json: report on records measured before) ---
const started = saved ? saved.started : new Date().toISOString();
const uptimes = saved ? saved.uptimes : [`start ${started}: ${spawnSync('uptime', { encoding: 'utf8' }).stdout.trim()}`];
if (saved) records.push(...saved.records), saved.commands.forEach((c) => commands.add(c));
for (let rep = 0; !saved && rep < REPS; rep++) {
  console.error(`rep ${rep + 1}/${REPS}, load ${load()}`);
  if (PHASES.includes('calibrate') || CALIBRATE_ONLY) calibrate(rep, CALIBRATE_ONLY ? COSTS : [null]);
  if (CALIBRATE_ONLY) continue;
  if (PHASES.includes('tax')) tax(rep);
  if (PHASES.includes('refs')) refs(rep);
  if (PHASES.includes('matrix')) matrix(rep);
}
if (!saved) uptimes.push(`end ${new Date().toISOString()}: ${spawnSync('uptime', { encoding: 'utf8' }).stdout.trim()}`);
if (CALIBRATE_ONLY) {
  console.log(calibrationTable());
  process.exit(0);
}
if (!saved) writeFileSync(OUT.replace(/\.md$/, '.json'), JSON.stringify({ started, args: ARGS, reps: REPS, total: TOTAL, uptimes, commands: [...commands], records }, null, 1));

// --- report ---
const cells = (f) => pick('matrix', f);
const ratios = (f) => cells(f).map((r) => r.ratio);
const lost = (f) => cells(f).map((r) => r.lost_pct);
const med = (f) => median(ratios(f));
const loads = (rs) => `${Math.min(...rs.map((r) => Number(r.load.split('-')[0])))}–${Math.max(...rs.map((r) => Number(r.load.split('-')[1])))} / ${stat(rs.map((r) => r.others), 1)}`;

function matrixTable(objects, gil) {
  const rows = [`| threads | share | lost % (share) | lock | private | load / others |`, '|---|---|---|---|---|---|'];
  for (const threads of THREADS) {
    const f = { objects, gil, threads };
    rows.push(`| ${threads} | ${stat(ratios({ ...f, script: 'share' }))} | ${stat(lost({ ...f, script: 'share' }), 1)} | ${stat(ratios({ ...f, script: 'lock' }))} | ${stat(ratios({ ...f, script: 'private' }))} | ${loads(cells(f))} |`);
  }
  return rows.join('\n');
}

const py = pick('cpython', {});
const single = pick('single', {});
let sections = [];
/** One target: a table of checks, each [what, target, measured, met]. */
const target = (title, runs, checks, body = '') => {
  const head = '| check | target | measured: median [min–max] | verdict |\n|---|---|---|---|';
  const table = runs ? `${head}\n${checks.map(([what, goal, got, ok]) => `| ${what} | ${goal} | ${got} | ${verdict(ok)} |`).join('\n')}` : 'No runs.';
  sections.push(`### ${title} (${runs} processes)\n\n${table}\n${body && `\n${body}\n`}`);
};
const x = (xs) => `${stat(xs)}x`;

function shapeTargets() {
  for (const threads of THREADS) {
    const f = { objects: 'free-threaded', gil: 'off', threads };
    const [share, lock, priv] = ['share', 'lock', 'private'].map((script) => med({ ...f, script }));
    const over = cells({ ...f, script: 'lock' }).map((l) => l.ratio / cells({ ...f, script: 'share' }).find((s) => s.rep === l.rep).ratio);
    target(`Free-threaded objects, GIL off, ${threads} threads${threads === cpus().length ? ' (one per core, the seed\'s setting)' : ''}`, cells({ ...f, script: 'lock' }).length, [
      ['share ÷ single', '1.3–2.5x', x(ratios({ ...f, script: 'share' })), share >= 1.3 && share <= 2.5],
      ['share: lost %', '> 0 (seed: 88 %)', stat(lost({ ...f, script: 'share' }), 1), median(lost({ ...f, script: 'share' })) > 0],
      ['lock ÷ single', 'the slowest column (seed: 27.2x)', x(ratios({ ...f, script: 'lock' })), lock > share && lock > priv],
      ['lock ratio ÷ share ratio', '≥ 2 (seed: 16.6)', stat(over), median(over) >= 2],
      ['private ÷ single', '≤ 0.65x', x(ratios({ ...f, script: 'private' })), priv <= 0.65],
    ]);
  }
  sections.push(`### How the free-threaded lock's ratio grows with the thread count (GIL off; seed 000: 27.2x at an unknown core count, at least 4)\n\n${matrixTable('free-threaded', 'off')}\n`);

  for (const threads of THREADS) {
    const f = { objects: 'free-threaded', gil: '3.10', threads };
    const [share, lock, priv] = ['share', 'lock', 'private'].map((script) => med({ ...f, script }));
    const allLost = cells(f).map((r) => r.lost_pct);
    target(`Free-threaded objects, GIL on (3.10 safe points), ${threads} threads (seed: 3.13t with PYTHON_GIL=1)`, cells({ ...f, script: 'lock' }).length, [
      ['share ÷ single', '0.8–1.3x', x(ratios({ ...f, script: 'share' })), share >= 0.8 && share <= 1.3],
      ['private ÷ single', '0.8–1.3x', x(ratios({ ...f, script: 'private' })), priv >= 0.8 && priv <= 1.3],
      ['lock ÷ single', 'the slowest (seed: 3.7x; "every script 0.8–1.3x" would exclude that)', x(ratios({ ...f, script: 'lock' })), lock > share && lock > priv],
      ['lost %, every script', '0 in every run', stat(allLost, 1), Math.max(...allLost) === 0],
    ]);
  }

  const threads = cpus().length;
  const f = { objects: 'gil', gil: '3.10', threads };
  const [share, lock, priv] = ['share', 'lock', 'private'].map((script) => med({ ...f, script }));
  const allLost = cells(f).map((r) => r.lost_pct);
  target(`Default-build objects, GIL on (3.10 safe points), ${threads} threads, against CPython 3.13 here (bench/seed.py: share 1.0x, lock 3.78x)`, cells({ ...f, script: 'lock' }).length, [
    ['share ÷ single', 'near 1, below lock', x(ratios({ ...f, script: 'share' })), share < lock],
    ['private ÷ single', 'near 1, below lock', x(ratios({ ...f, script: 'private' })), priv < lock],
    ['lock ÷ single', '1.89–7.56x (0.5–2x of 3.78x)', x(ratios({ ...f, script: 'lock' })), lock >= 1.89 && lock <= 7.56],
    ['lost %, every script', '0 in every run', stat(allLost, 1), Math.max(...allLost) === 0],
  ]);
  const g39 = { objects: 'gil', gil: '3.9', threads, script: 'share' };
  const l39 = median(lost(g39));
  target(`Default-build objects, GIL on, 3.9 safe points, ${threads} threads`, cells(g39).length, [
    ['share: lost %', '20–45 % (CPython 3.9 here: 26–29 %, statements.py 34 %)', stat(lost(g39), 1), l39 >= 20 && l39 <= 45],
  ]);
  sections.push(`### Every build, every column (median ratio to the column's single [min–max] over the processes)\n\n${BUILDS.flatMap((o) => ['3.10', '3.9', 'off'].map((g) => `#### objects ${o}, GIL ${g}\n\n${matrixTable(o, g)}\n`)).join('\n')}`);

  const rows = ['| GIL | free-threaded ÷ gil, all pairs | pairs with equal spin units | gil ns/inc | free-threaded ns/inc | others |', '|---|---|---|---|---|---|'];
  const checks = [];
  for (const gil of ['off', '3.10']) {
    const t = pick('tax', { gil });
    const same = t.filter((r) => r.same_units);
    checks.push([`free-threaded ÷ gil at 1 thread, GIL ${gil}`, '> 1 (PEP 703: 1.05–1.08, 3.13 docs: ~1.4)', stat(t.map((r) => r.ratio)), median(t.map((r) => r.ratio)) > 1]);
    rows.push(`| ${gil} | ${stat(t.map((r) => r.ratio))} | ${same.length}: ${stat(same.map((r) => r.ratio))} | ${stat(t.map((r) => r.gil_ns), 1)} | ${stat(t.map((r) => r.ft_ns), 1)} | ${stat(t.map((r) => r.others), 1)} |`);
  }
  target('Free-threaded single-thread tax', 2 * pick('tax', {}).length, checks, rows.join('\n'));
  return sections.splice(0);
}
const allTargets = shapeTargets();
keep = (r) => r.others < QUIET;
const quietTargets = shapeTargets();
keep = () => true;


if (pick('refs', {}).length) {
  const rows = ['| mode | objects | GIL | threads | cost | ns per iteration per thread (take + drop) | net count drift (lost updates) | freed in use / over-released | atomic RMW per iteration | others |', '|---|---|---|---|---|---|---|---|---|---|'];
  for (const mode of REFS) {
    for (const objects of BUILDS) {
      for (const [gil, threads, cost] of [['off', 1, 'default'], ['off', 2, 'default'], ['off', 2, 0], ['3.10', 2, 'default']]) {
        const rs = pick('refs', { mode, objects, gil, threads, cost });
        rows.push(`| ${mode} | ${objects} | ${gil} | ${threads} | ${cost} | ${stat(rs.map((r) => r.ns_per_iter), 1)} | ${stat(rs.map((r) => r.drift), 0)} | ${stat(rs.map((r) => r.freed_in_use), 0)} | ${median(rs.map((r) => r.atomic_ops)).toFixed(2)} | ${stat(rs.map((r) => r.others), 1)} |`);
      }
    }
  }
  sections.push(`### Refcount demos (seed 003), ${2 * TOTAL} iterations per run\n\n"Net count drift" is |final count − expected| of the shared objects: a lost increment and a lost decrement cancel, so it is a lower bound on the lost updates. Cost 0 removes the per-instruction busy work, leaving the count operations themselves.\n\n${rows.join('\n')}\n`);
}

const calibration = `| CPython 3.13 (\`bench/python/calibrate.py --child\`), wall | ${py.length} | ${stat(py.map((r) => r.wall_ns), 1)} |\n| CPython 3.13, thread CPU | ${py.length} | ${stat(py.map((r) => r.cpu_ns), 1)} |\n| native gil build, GIL 3.10, 1 thread, default cost | ${single.length} | ${stat(single.map((r) => r.ns), 1)} (spin units: ${single.map((r) => r.units).join(', ')}) |\n\nOther processes kept ${stat([...py, ...single].map((r) => r.others), 1)} cores busy during these runs.`;
writeFileSync(OUT, `# Object models natively (issue 16), ${DATE}

Generated by \`node bench/objects.mjs ${ARGS.join(' ')}\` (raw records: \`${OUT.replace(ROOT, '').replace(/\.md$/, '.json')}\`).
${cpus().length} cores (${cpus()[0].model}). Each setting ran in ${REPS} processes, interleaved; a figure is the median over them [min–max] of a ratio taken inside one process.

Machine load (\`uptime\`; the machine is shared, other sessions ran browser tests meanwhile). In the tables, "load / others" is the 1-minute load average around the runs (min–max; our own threads count in it, up to 8) and the cores other processes kept busy while each process ran (a matrix process runs all 12 cells; from /proc/stat minus our own CPU time; median [min–max]). With 2 cores, a run with others ≥ 1 had at most one core to itself.

${uptimes.map((u) => `    ${u}`).join('\n')}

## Calibration: the gil build at one thread against CPython 3.13

| what | runs | ns per increment, median [min–max] |
|---|---|---|
${calibration}

## Shape targets, all runs

${allTargets.join('\n')}
## Shape targets, quiet processes only (other processes kept < ${QUIET} core busy during the run)

On 2 cores, a process that shared the machine with another busy process ran its threads on about one core: its GIL-off multi-thread cells then measure time-slicing, not contention (share and lock fall towards 1x, private rises towards 1x). The all-runs medians above mix such processes in; these tables leave them out.

${quietTargets.filter((t) => !t.startsWith('### Every build')).join('\n')}
${sections.join('\n')}
## Commands

Each rep runs these in this order, for OBJECTS in ${BUILDS.join(' ')}, REFS in ${REFS.join(' ')}, THREADS in ${THREADS.join(' ')}; TOTAL = ${TOTAL} (refs: ${2 * TOTAL}).

${[...commands].map((c) => `    ${c}`).join('\n')}
`);
console.error(`wrote ${OUT}`);
