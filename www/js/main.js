// Runs on the page: wires the environment check, the engine (host worker), the URL state and
// the views. Nothing here blocks: every run happens in the host worker's threads.
import { detectEnvironment, poolSizeFor } from './env.js';
import { ensureIsolation, explain, keepForOffline } from './isolation.js';
import { Engine } from './engine.js';
import { readUrl, urlFor, checkSettings } from './state.js';
import { startEmbedApi } from './embed-api.js';
import { Controls } from './ui/controls.js';
import { Results } from './ui/results.js';
import { History } from './ui/history.js';
import { Notice } from './ui/notice.js';
import { Timeline } from './ui/timeline.js';
import { PythonPanel } from './ui/python.js';
import { MatrixView, matrixRuns } from './ui/matrix.js';
import { Share } from './ui/share.js';
import { KEYS, listenForKeys } from './ui/keyboard.js';
import { download, runsToCsv, runsToJson } from './ui/export.js';
import { h, fill } from './ui/dom.js';

const env = detectEnvironment();
const isolation = await ensureIsolation(env);
if (isolation.status === 'reloading') {
  document.body.dataset.engine = 'preparing';
  document.getElementById('notice').hidden = false;
  document.getElementById('notice').textContent = 'Preparing the page for threads (one reload)…';
  await new Promise(() => {}); // the reload replaces this page
}
const threaded = isolation.status === 'isolated';
const poolSize = threaded ? poolSizeFor(env.cores) : 1;
// Start the engine first: its worker, wasm and threads load while the views are built.
const engine = env.protocol === 'file:' ? null : new Engine({ poolSize, flavor: threaded ? 'threads' : 'single' });
const engineReady = engine?.start().then(() => true, () => false);

const { settings: initial, page, notices: urlNotices } = readUrl(location.search, { maxThreads: poolSize });
const limits = { maxThreads: poolSize };
if (page.embed) document.body.classList.add('embed');

const notice = new Notice(document.getElementById('notice'));
const results = new Results(document.getElementById('result'));
const sessionRuns = new History(document.getElementById('history'));
const timeline = new Timeline(document.getElementById('timeline'));
const python = new PythonPanel(document.getElementById('python'));
const matrix = new MatrixView(document.getElementById('matrix'));
const controls = new Controls(document.getElementById('controls'), {
  onRun: (settings) => busy(() => runOnce(settings)),
  onMatrix: (settings) => busy(() => runMatrix(settings)),
  onSweep: (settings) => busy(() => runSweep(settings)),
  onStop: stop,
  onChange: settingsChanged,
});
Controls.labelTotals(document.getElementById('total'));
controls.setPoolSize(poolSize, initial.threads);
controls.apply(initial);
python.show(initial);
const share = new Share(document.getElementById('share'), document.getElementById('qr-overlay'), currentUrl);
const api = startEmbedApi({
  allowedOrigin: page.parent ?? location.origin,
  checkSettings: (input) => checkSettings(input, limits, controls.settings()),
  apply: (settings) => { controls.apply(settings); settingsChanged(settings); },
  current: () => controls.settings(),
  busy: () => Boolean(controls.busy),
  run: (settings, id) => busy(() => runOnce(settings, id)),
});
listenForKeys(keyActions(), { framed: api.framed });
wireExports();
document.getElementById('open-full').href = urlFor(initial, { ...page, embed: false });

// The sweep view brings the chart library (uPlot, 145 KB): loaded on first use, not at start.
let sweepView = null;
let sweepCancelled = false;
async function sweepModule() {
  const module = await import('./ui/sweep.js');
  sweepView ??= new module.SweepView(document.getElementById('sweep'), { onCancel: () => { sweepCancelled = true; } });
  return { sweep: sweepView, sweepRuns: module.sweepRuns };
}

// Exposed for the tests and for anyone curious in the console; read-only use.
window.gilPlayground = { env, poolSize, threaded, isolation, history: sessionRuns, engine, api };

showEnvironment();
if (!engine) {
  notice.show({ kind: 'error', title: 'This page cannot run here', text: explain('file', env) });
  document.body.dataset.engine = 'unavailable';
} else {
  engine.onProgress = (p) => results.showProgress(p);
  engine.onFatal = engineDied;
  awaitEngine(engineReady).then(() => {
    if (page.autorun && document.body.dataset.engine === 'ready') controls.form.requestSubmit();
    if (threaded) keepForOffline(env);
  });
}

/** What the user must know before the engine is usable: fallback reasons and URL notices. */
function standingNotices() {
  const lines = [...urlNotices];
  if (!threaded && isolation.cause) {
    const [why, fix] = explain(isolation.cause, env);
    return {
      kind: 'warn',
      title: 'Single-thread mode: this page cannot run threads here',
      text: [why, fix, 'Meanwhile every workload runs here on 1 thread, measured for real.', ...lines],
      actions: [{ label: 'Open in a new tab', onClick: () => window.open(currentUrl(), '_blank', 'noopener') }],
    };
  }
  return lines.length ? { kind: 'warn', title: 'Some settings in the link were adjusted', text: lines } : null;
}

/** Shows "starting" until `starting` settles; enables the controls once the engine is ready. */
async function awaitEngine(starting) {
  document.body.dataset.engine = 'starting';
  notice.show({ title: 'Starting the engine…', text: `Loading the wasm module and ${poolSize} worker thread${poolSize > 1 ? 's' : ''}.` });
  if (!(await starting)) return; // engineDied has said why
  const standing = standingNotices();
  if (standing) notice.show(standing);
  else notice.clear();
  controls.setEnabled(true);
  python.setSteps(engine.info.steps, controls.settings());
  document.body.dataset.engine = 'ready';
  document.body.dataset.readyAt = String(performance.now());
  api.ready(controls.settings(), poolSize);
}

function currentUrl() {
  return urlFor(controls.settings(), { ...page, embed: false });
}

function settingsChanged(settings) {
  python.show(settings);
  // Settings live in the URL: replace this history entry, no reload.
  window.history.replaceState(window.history.state, '', urlFor(settings, page));
  document.getElementById('open-full').href = urlFor(settings, { ...page, embed: false });
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
    return await work();
  } finally {
    controls.setBusy(false);
  }
}

/**
 * One run: shows progress, then the result, its timeline and a history row. Resolves with
 * { report }, or with { error, code } after saying what went wrong. `id` tags the result
 * event a framing deck receives.
 */
async function runOnce(settings, id = null) {
  const shares = Array.from({ length: settings.threads }, (_, i) =>
    Math.floor(settings.total / settings.threads) + (i < settings.total % settings.threads ? 1 : 0));
  results.showRunning(settings, shares);
  try {
    const report = await engine.run(settings);
    const speedup = sessionRuns.speedup(report);
    results.showReport(report, speedup);
    timeline.show(report, {
      hostOffsetMs: engine.hostClockOffsetMs,
      capacity: engine.info.events_per_thread,
      names: engine.info.event_names,
    });
    sessionRuns.add({ settings, report, speedup });
    document.getElementById('export-runs').hidden = false;
    const standing = standingNotices();
    if (standing?.kind === 'warn' && !threaded) notice.show(standing);
    else notice.clear();
    api.result(id, settings, report);
    return { report };
  } catch (error) {
    results.showFailure(error.message);
    if (!error.fatal) notice.show({ kind: 'warn', title: 'Those settings cannot run', text: error.message });
    if (error.code !== 'engine-restarted') sessionRuns.add({ settings, error: error.message });
    return { error: error.message, code: error.code };
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

function keyActions() {
  const form = controls.form;
  const change = (mutate) => {
    if (controls.busy || document.body.dataset.engine !== 'ready') return;
    const settings = controls.settings();
    mutate(settings);
    controls.apply(settings);
    settingsChanged(settings);
  };
  const modes = [...form.elements.mode.options].map((o) => o.value);
  const help = document.getElementById('help-overlay');
  fill(help.querySelector('[data-role=keys]'), KEYS.map(([key, what]) =>
    h('div', {}, h('dt', {}, h('kbd', {}, key)), h('dd', {}, what))));
  help.addEventListener('click', (event) => {
    if (event.target === help || event.target.dataset.role === 'close') help.hidden = true;
  });
  return {
    run: () => { if (!controls.busy && document.body.dataset.engine === 'ready') form.requestSubmit(); },
    nextMode: () => change((s) => { s.mode = modes[(modes.indexOf(s.mode) + 1) % modes.length]; }),
    threads: (delta) => change((s) => { s.threads = Math.min(poolSize, Math.max(1, s.threads + delta)); }),
    toggleGil: () => change((s) => { s.gil = !s.gil; }),
    toggleSafePoints: () => change((s) => { s.safePoints = s.safePoints === '3.9' ? '3.10' : '3.9'; }),
    matrix: () => { if (!controls.busy && document.body.dataset.engine === 'ready') controls.matrixButton.click(); },
    help: () => { help.hidden = !help.hidden; },
    closeOverlays: () => { help.hidden = true; share.hideQr(); },
    onDeckKey: (key) => api.key(key),
  };
}

function wireExports() {
  const stamp = () => new Date().toISOString().replace(/[:.]/g, '-');
  const environment = () => ({ ...env, poolSize, threaded, userAgent: navigator.userAgent });
  document.querySelector('[data-role=export-csv]').addEventListener('click', () =>
    download(new Blob([runsToCsv(sessionRuns.entries)], { type: 'text/csv' }), `gil-playground-runs-${stamp()}.csv`));
  document.querySelector('[data-role=export-json]').addEventListener('click', () =>
    download(new Blob([runsToJson(sessionRuns.entries, environment())], { type: 'application/json' }),
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
  line.textContent = [cores, threaded ? `pool of ${poolSize} threads` : 'single-thread fallback',
    `cross-origin isolated: ${env.isolated ? 'yes' : 'no'}`, env.browser].join(' · ');
}
