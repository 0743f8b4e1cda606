// Runs on the page: the composition root. It only wires: the environment and isolation
// (hosting/), the engine (engine/), the link (link.js), the views (views/), the runner and the
// embed API (embed/). Nothing here blocks: every run happens in the host worker's threads.
import { detectEnvironment, poolSizeFor } from './hosting/env.js';
import { ensureIsolation, explain, keepForOffline } from './hosting/isolation.js';
import { Engine } from './engine/client.js';
import { EngineStatus } from './engine/status.js';
import { linkFor, splitLink } from './link.js';
import { startEmbedApi } from './embed/api.js';
import { Runner } from './runner.js';
import { Controls } from './views/controls.js';
import { Results } from './views/results.js';
import { History } from './views/history.js';
import { Notice } from './views/notice.js';
import { Timeline } from './views/timeline.js';
import { PythonPanel } from './views/python.js';
import { MatrixView } from './views/matrix.js';
import { Stepper } from './views/stepper.js';
import { Predict } from './views/predict.js';
import { Share } from './views/share.js';
import { Help } from './views/help.js';
import { listenForKeys } from './views/keyboard.js';
import { Environment, trustedCores } from './views/environment.js';
import { download, runsToCsv, runsToJson } from './views/export.js';
import { gilOn, useSchema } from './views/format.js';

const status = new EngineStatus();
const env = detectEnvironment();
const isolation = await ensureIsolation(env);
const notice = new Notice(document.getElementById('notice'));
if (isolation.status === 'reloading') {
  status.set('preparing');
  notice.show({ title: 'Preparing the page for threads (one reload)…' });
  await new Promise(() => {}); // the reload replaces this page
}
const threaded = isolation.status === 'isolated';
const poolSize = threaded ? poolSizeFor(env.cores) : 1;
const link = splitLink(location.search);
if (link.page.embed) document.body.classList.add('embed', `view-${link.page.view ?? 'result'}`);
/** In a slide only its view's work may start: nothing the slide cannot show. */
const slideShows = (view) => !link.page.embed || (link.page.view ?? 'result') === view
  || (view === 'result' && link.page.view === 'timeline');
// Start the engine first: its worker, wasm and threads load while the views are built. It
// also reads the link's settings, with the same rules as every other input.
const engine = env.protocol === 'file:' || link.page.still ? null
  : new Engine({ poolSize, flavor: threaded ? 'threads' : 'single' });
const engineStart = engine?.start(link.settings);

const results = new Results(document.getElementById('result'));
const history = new History(document.getElementById('history'));
const timeline = new Timeline(document.getElementById('timeline'));
const python = new PythonPanel(document.getElementById('python'));
const help = new Help(document.getElementById('help-overlay'));
const environment = new Environment(document.getElementById('environment'));
const controls = new Controls(document.getElementById('controls'), {
  onRun: (settings) => runner.busy(async () => {
    results.bringIntoView();
    // A slide measures its own 1-thread baseline first, so it can show a speedup.
    if (link.page.embed && settings.threads > 1 && history.baseline(settings.mode, settings.gil) === null) {
      const baseline = await runner.run({ ...settings, threads: 1 });
      if (baseline.error || baseline.report.stopped) return baseline;
    }
    const outcome = await runner.run(settings);
    results.bringIntoView();
    return outcome;
  }),
  onMatrix: (settings) => runner.busy(() => matrixView().run(settings, engine.info.matrix)),
  onSweep: (settings) => runner.busy(async () => (await sweepView()).run(settings, poolSize)),
  onModels: (settings) => runner.busy(async () => (await modelsView()).run(settings)),
  onStep: (settings) => stepper.open(settings, []),
  onRepeat: (settings) => runner.busy(async () => (await histogramView()).run(settings)),
  onPredict: (settings) => predict.open(settings),
  onStop: stop,
  onChange: settingsChanged,
});
const share = new Share(document.getElementById('share'), document.getElementById('qr-overlay'), fullUrl);
const api = startEmbedApi({
  allowedOrigin: link.page.parent ?? location.origin,
  check: (changes, current) => engine.check(changes, current),
  apply: (settings) => { controls.apply(settings); settingsChanged(settings); },
  current: () => controls.settings(),
  busy: () => status.busy,
  run: (settings, id) => runner.busy(() => runner.run(settings, id)),
  // reveal.js tells the iframes of a slide when it is shown and left.
  slideStart: () => { if (link.page.autorun && status.canRun) controls.form.requestSubmit(); },
  slideStop: () => { if (status.busy) stop(); },
});
const stepper = new Stepper(document.getElementById('step'), {
  step: (settings, threads, choices) => engine.step(settings, threads, choices),
  onChoices: (choices) => {
    link.page.view = 'step';
    link.page.steps = choices;
    settingsChanged(controls.settings());
  },
});
const runner = new Runner({
  engine, status, controls, results, timeline, history, notice, api, standing: fallbackNotice,
  announce: (text) => { document.getElementById('announce').textContent = text; },
});
const predict = new Predict(document.getElementById('predict'), (settings) => runner.busy(() => runner.run(settings)));
// The histogram brings uPlot too: loaded on first use.
let histogram = null;
async function histogramView() {
  const { Histogram } = await import('./views/histogram.js');
  histogram ??= new Histogram(document.getElementById('histogram'), (settings) => runner.run(settings),
    () => runner.stopRequested);
  histogram.onDownload = (png) => download(png, `gil-playground-outcomes-${new Date().toISOString().replace(/[:.]/g, '-')}.png`);
  return histogram;
}
let matrix = null;
function matrixView() {
  matrix ??= new MatrixView(document.getElementById('matrix'), (settings) => runner.run(settings),
    trustedCores(engine.info.calibration, env.cores));
  return matrix;
}
// The sweep view brings the chart library (uPlot, 145 KB): loaded on first use, not at start.
let sweep = null;
async function sweepView() {
  const { SweepView } = await import('./views/sweep.js');
  sweep ??= new SweepView(document.getElementById('sweep'), (settings) => runner.run(settings),
    trustedCores(engine.info.calibration, env.cores));
  return sweep;
}
// The comparison of execution models draws with uPlot too: loaded on first use as well.
let models = null;
async function modelsView() {
  const { ModelsView } = await import('./views/models.js');
  models ??= new ModelsView(document.getElementById('models'), (settings) => runner.run(settings), {
    workers: trustedCores(engine.info.calibration, env.cores),
    models: engine.info.models,
    poolStartMs: threaded ? engine.info.pool_start_ms : undefined,
    stopRequested: () => runner.stopRequested,
  });
  return models;
}
status.onChange((state) => controls.setEnabled(state === 'ready' || state === 'busy'));
listenForKeys(keyActions(), { framed: api.framed });
document.querySelector('[data-role=show-help]').addEventListener('click', () => help.open());
wireExports();

// Exposed for the tests and for anyone curious in the console; read-only use.
window.gilPlayground = { env, poolSize, threaded, isolation, history, engine, api, status };

showEnvironment();
if (link.page.still) {
  status.set('still');
  notice.show({ title: 'A still frame', text: 'This is a preview (a speaker view or a printed deck): the live playground runs on the slide itself, so no threads start here.' });
} else if (!engine) {
  status.set('unavailable');
  notice.show({ kind: 'error', title: 'This page cannot run here', text: explain('file', env) });
} else {
  engine.onProgress = (progress, shares, live) => {
    results.showProgress(progress, shares);
    timeline.appendLive(live, engine.info.event_names);
  };
  engine.onFatal = engineDied;
  awaitEngine(engineStart, link.notices).then((started) => {
    if (!started) return;
    if (link.page.view === 'step') stepper.open(controls.settings(), link.page.steps);
    if (link.page.view === 'predict') predict.open(controls.settings());
    if (link.page.embed) showSlideHint();
    if (link.page.autorun) controls.form.requestSubmit();
    if (threaded) keepForOffline(env);
  });
}

/** The names of a choice setting's choices, from the engine's schema. */
function choices(setting) {
  return engine.info.settings.find((f) => f.name === setting).choices.map((c) => c.name);
}

/** The notice that stays while the page runs on one thread: why, and what to do. */
function fallbackNotice() {
  if (threaded || !isolation.cause) return null;
  const [why, fix] = explain(isolation.cause, env);
  return {
    kind: 'warn',
    title: 'Single-thread mode: this page cannot run threads here',
    text: [why, fix, 'Meanwhile every workload runs here on 1 thread, measured for real.'],
    actions: [{ label: 'Open in a new tab', onClick: () => window.open(fullUrl(), '_blank', 'noopener') }],
  };
}

let formBuilt = false;

/**
 * Shows "starting" until the engine has started; then builds the form from its schema, applies
 * the link's settings as the engine read them, and says what the link asked that could not be.
 * Resolves with whether the engine is ready.
 */
async function awaitEngine(starting, pageNotices = []) {
  status.set('starting');
  notice.show({ title: 'Starting the engine…', text: `Loading the wasm module and ${poolSize} worker thread${poolSize > 1 ? 's' : ''}.` });
  let started;
  try {
    started = await starting;
  } catch {
    return false; // engineDied has said why
  }
  const { info } = started;
  let lines = [];
  if (!formBuilt) {
    // Once: a restarted engine has the same tables, and the form keeps what the user chose.
    formBuilt = true;
    useSchema(info.settings);
    controls.setSchema(info.settings);
    controls.apply(started.link.settings);
    python.useEngine(info, controls.settings());
    settingsChanged(controls.settings());
    lines = [...pageNotices, ...started.link.notices];
  }
  const fallback = fallbackNotice();
  if (fallback) notice.show({ ...fallback, text: [...fallback.text, ...lines] });
  else if (lines.length) notice.show({ kind: 'warn', title: 'Some settings in the link were adjusted', text: lines });
  else notice.clear();
  showEnvironment();
  if (threaded) controls.showParallelism(trustedCores(info.calibration, env.cores));
  controls.showEngineNotes(info.calibration?.notes);
  status.set('ready');
  api.ready(controls.settings(), info.settings);
  return true;
}

function fullUrl() {
  return linkFor(controls.settings(), { ...link.page, embed: false }, engine?.info?.settings ?? []);
}

function settingsChanged(settings) {
  python.show(settings);
  if (!engine?.info) return;
  // Settings live in the URL: replace this history entry, no reload.
  window.history.replaceState(window.history.state, '', linkFor(settings, link.page, engine.info.settings));
  document.getElementById('open-full').href = fullUrl();
}

/** An empty view in a slide says what starts it. */
function showSlideHint() {
  const hints = { matrix: ['matrix', 'Press Seed matrix (or x) to run the seed\'s twelve cells.'],
    histogram: ['histogram', 'Press Repeat (or h) to run these settings 10 times.'] };
  const [id, text] = hints[link.page.view] ?? [];
  if (!id) return;
  const section = document.getElementById(id);
  if (!section.childElementCount) section.append(Object.assign(document.createElement('p'), { className: 'verdict running', textContent: text }));
}

function keyActions() {
  const change = (mutate) => {
    if (!status.canRun) return;
    const settings = controls.settings();
    mutate(settings);
    controls.apply(settings);
    settingsChanged(settings);
  };
  const next = (list, value, step = 1) => list[(list.indexOf(value) + step + list.length) % list.length];
  let lastGil = null;
  return {
    run: () => { if (status.canRun && slideShows('result')) controls.form.requestSubmit(); },
    nextMode: () => change((s) => { s.mode = next(choices('mode'), s.mode); }),
    threads: (delta) => change((s) => { s.threads = Math.min(poolSize, Math.max(1, s.threads + delta)); }),
    // g: the GIL off, or back on with the version it had.
    toggleGil: () => change((s) => {
      const on = choices('gil').filter((gil) => gilOn({ gil }));
      if (gilOn(s)) [lastGil, s.gil] = [s.gil, choices('gil').find((gil) => !gilOn({ gil }))];
      else s.gil = lastGil ?? on[0];
    }),
    // s: the next GIL version's safe points (the GIL on).
    toggleSafePoints: () => change((s) => {
      const on = choices('gil').filter((gil) => gilOn({ gil }));
      s.gil = gilOn(s) ? next(on, s.gil) : on[0];
    }),
    matrix: () => { if (status.canRun && slideShows('matrix')) controls.matrixButton.click(); },
    intercept: (key) => stepper.key(key) || predict.key(key),
    repeat: () => { if (status.canRun && slideShows('histogram')) controls.form.querySelector('[data-role=repeat]').click(); },
    predict: () => { if (slideShows('predict')) predict.open(controls.settings()); },
    quiz: () => { if (slideShows('predict')) predict.open(controls.settings(), true); },
    help: () => help.toggle(),
    onDeckKey: (key) => api.key(key),
  };
}

function wireExports() {
  const stamp = () => new Date().toISOString().replace(/[:.]/g, '-');
  const environment = () => ({ ...env, poolSize, threaded, userAgent: navigator.userAgent });
  document.querySelector('[data-role=export-csv]').addEventListener('click', () =>
    download(new Blob([runsToCsv(history.entries)], { type: 'text/csv' }), `gil-playground-runs-${stamp()}.csv`));
  document.querySelector('[data-role=export-json]').addEventListener('click', () =>
    download(new Blob([runsToJson(history.entries, environment())], { type: 'application/json' }),
      `gil-playground-runs-${stamp()}.json`));
  document.querySelector('[data-role=export-png]').addEventListener('click', async () => {
    const png = await sweep?.png();
    if (png) download(png, `gil-playground-sweep-${stamp()}.png`);
  });
  document.querySelector('[data-role=export-models-png]').addEventListener('click', async () => {
    const png = await models?.png();
    if (png) download(png, `gil-playground-models-${stamp()}.png`);
  });
}

/**
 * Stop: the run ends cooperatively (its threads notice between blocks and give up waiting)
 * and the same pool stays; only a run that does not end in time makes the engine restart.
 */
async function stop() {
  if (await runner.stop()) return;
  restartEngine(`The run did not stop within ${STOP_TIMEOUT_MS / 1000} s: the engine and its threads were restarted.`);
}
const STOP_TIMEOUT_MS = 2000;

function engineDied(error) {
  status.set('failed');
  notice.show({
    kind: 'error',
    title: 'The engine stopped',
    text: [error.message, 'Its threads cannot be trusted any more; restarting it starts fresh ones.'],
    actions: [{ label: 'Restart engine', onClick: () => restartEngine() }],
  });
}

async function restartEngine(message) {
  const started = await awaitEngine(engine.restart());
  if (started && message) notice.show({ title: message });
}

function showEnvironment() {
  environment.show({ env, poolSize, threaded, calibration: engine?.info?.calibration });
}
