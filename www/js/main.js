// Runs on the page: wires the environment check, the engine (host worker) and the views.
// Nothing here blocks: every run happens in the host worker's thread pool.
import { detectEnvironment, poolSizeFor, threadsProblem } from './env.js';
import { Engine } from './engine.js';
import { Controls } from './ui/controls.js';
import { Results } from './ui/results.js';
import { History } from './ui/history.js';
import { Notice } from './ui/notice.js';
import { Timeline } from './ui/timeline.js';
import { PythonPanel } from './ui/python.js';
import { MatrixView, matrixRuns } from './ui/matrix.js';
import { download, runsToCsv, runsToJson } from './ui/export.js';

const env = detectEnvironment();
const poolSize = poolSizeFor(env.cores);
const problem = threadsProblem(env);
// Start the engine first: its worker, wasm and thread pool load while the views are built.
const engine = problem ? null : new Engine({ poolSize });
const engineReady = engine?.start().then(() => true, () => false);
const notice = new Notice(document.getElementById('notice'));
const results = new Results(document.getElementById('result'));
const history = new History(document.getElementById('history'));
const timeline = new Timeline(document.getElementById('timeline'));
const python = new PythonPanel(document.getElementById('python'));
const matrix = new MatrixView(document.getElementById('matrix'));
// The sweep view brings the chart library (uPlot, 145 KB): loaded on first use, not at start.
let sweepView = null;
async function sweepModule() {
  const module = await import('./ui/sweep.js');
  sweepView ??= new module.SweepView(document.getElementById('sweep'), { onCancel: () => { sweepCancelled = true; } });
  return { sweep: sweepView, sweepRuns: module.sweepRuns };
}
let sweepCancelled = false;
const controls = new Controls(document.getElementById('controls'), {
  onRun: (settings) => busy(() => runOnce(settings)),
  onMatrix: (settings) => busy(() => runMatrix(settings)),
  onSweep: (settings) => busy(() => runSweep(settings)),
  onStop: stop,
  onChange: (settings) => python.show(settings),
});
Controls.labelTotals(document.getElementById('total'));
controls.setPoolSize(poolSize, Math.min(env.cores || 2, poolSize));
python.show(controls.settings());
wireExports();

// Exposed for the tests and for anyone curious in the console; read-only use.
window.gilPlayground = { env, poolSize, history, engine };

showEnvironment();
if (problem) {
  notice.show({ kind: 'error', title: problem.title, text: [problem.why, problem.fix] });
  document.body.dataset.engine = 'unavailable';
} else {
  engine.onProgress = (p) => results.showProgress(p);
  engine.onFatal = engineDied;
  if (engine.broken) engineDied(engine.broken);
  awaitEngine(engineReady);
}

/** Shows "starting" until `starting` settles; enables the controls once the engine is ready. */
async function awaitEngine(starting) {
  document.body.dataset.engine = 'starting';
  notice.show({ title: 'Starting the engine…', text: `Loading the wasm module and ${poolSize} worker threads.` });
  if (!(await starting)) return; // engineDied has said why
  notice.clear();
  controls.setEnabled(true);
  document.body.dataset.engine = 'ready';
}

/** Runs `work` with the controls showing a run under way and an elapsed time. */
async function busy(work) {
  controls.setBusy(true);
  const started = performance.now();
  requestAnimationFrame(function tick() {
    controls.setElapsed(performance.now() - started);
    if (controls.busy) requestAnimationFrame(tick);
  });
  try {
    await work();
  } finally {
    controls.setBusy(false);
  }
}

/**
 * One run: shows progress, then the result, its timeline and a history row. Resolves with the
 * report, or with { error } after saying what went wrong.
 */
async function runOnce(settings) {
  const shares = Array.from({ length: settings.threads }, (_, i) =>
    Math.floor(settings.total / settings.threads) + (i < settings.total % settings.threads ? 1 : 0));
  results.showRunning(settings, shares);
  try {
    const report = await engine.run(settings);
    const speedup = history.speedup(report);
    results.showReport(report, speedup);
    timeline.show(report, {
      hostOffsetMs: engine.hostClockOffsetMs,
      capacity: engine.info.events_per_thread,
      names: engine.info.event_names,
    });
    history.add({ settings, report, speedup });
    document.getElementById('export-runs').hidden = false;
    notice.clear();
    return { report };
  } catch (error) {
    results.showFailure(error.message);
    if (!error.fatal) notice.show({ kind: 'warn', title: 'Those settings cannot run', text: error.message });
    if (error.code !== 'engine-restarted') history.add({ settings, error: error.message });
    return { error: error.message };
  }
}

/** The seed's eight runs, one after the other; stops at the first failure. */
async function runMatrix(settings) {
  const runs = matrixRuns(settings);
  const done = [];
  for (const [i, run] of runs.entries()) {
    matrix.showProgress(i, runs);
    const outcome = await runOnce(run.settings);
    done.push({ ...run, ...outcome });
    if (outcome.error) break;
  }
  matrix.show(done, settings);
  matrix.root.scrollIntoView?.({ block: 'nearest' });
}

/** The chosen settings at 1..pool-size threads, charted; Cancel stops after the current run. */
async function runSweep(settings) {
  const { sweep, sweepRuns } = await sweepModule();
  const runs = sweepRuns(settings, poolSize);
  const points = [];
  sweepCancelled = false;
  for (const run of runs) {
    if (sweepCancelled) break;
    sweep.showProgress(settings, points.length, runs.length);
    const outcome = await runOnce(run);
    if (outcome.error) break;
    points.push({ threads: run.threads, report: outcome.report });
  }
  if (points.length) sweep.add(settings, points, { cancelled: points.length < runs.length });
  else sweep.root.hidden = true;
}

function wireExports() {
  const stamp = () => new Date().toISOString().replace(/[:.]/g, '-');
  const environment = () => ({ ...env, poolSize, userAgent: navigator.userAgent });
  document.querySelector('[data-role=export-csv]').addEventListener('click', () =>
    download(new Blob([runsToCsv(history.entries)], { type: 'text/csv' }), `gil-playground-runs-${stamp()}.csv`));
  document.querySelector('[data-role=export-json]').addEventListener('click', () =>
    download(new Blob([runsToJson(history.entries, environment())], { type: 'application/json' }),
      `gil-playground-runs-${stamp()}.json`));
  document.querySelector('[data-role=export-png]').addEventListener('click', async () => {
    const png = await sweepView?.png();
    if (png) download(png, `gil-playground-sweep-${stamp()}.png`);
  });
}

function stop() {
  restartEngine('The run was stopped: the engine and its threads were restarted.');
}

function engineDied(error) {
  controls.setEnabled(false);
  document.body.dataset.engine = 'failed';
  notice.show({
    kind: 'error',
    title: 'The engine stopped',
    text: [error.message, 'Its threads cannot be trusted any more; restarting it starts fresh ones.'],
    actions: [{ label: 'Restart engine', onClick: () => restartEngine() }],
  });
}

async function restartEngine(message) {
  controls.setEnabled(false);
  await awaitEngine(engine.restart().then(() => true, () => false));
  if (message && document.body.dataset.engine === 'ready') notice.show({ title: message });
}

function showEnvironment() {
  const line = document.getElementById('environment');
  const cores = env.cores ? `${env.cores} logical cores (as the browser reports)` : 'core count not reported';
  line.textContent = [cores, `pool of ${poolSize} threads`,
    `cross-origin isolated: ${env.isolated ? 'yes' : 'no'}`, env.browser].join(' · ');
}
