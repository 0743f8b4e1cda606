// On stage (issue 11), in every engine installed here: the step-through drives a lost update
// with a chosen interleaving (buttons, keys, and a link that replays it) and checks the shared
// value; under the 3.10+ GIL `+=` offers no switch between its read and its write while
// `add_one()` does, and that statement loses updates under GIL 3.10 on the page and in the
// native CLI; predict-then-run records a guess and shows it beside the result; Repeat gives a
// histogram of N outcomes; the timeline is drawn while a run is under way; every slide view
// fits 960x540 (with a screenshot of each); a speaker-view preview starts no engine; Stop is
// cooperative (same engine, controls free again); and a run shows how much its threads
// overlapped.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, stat } from 'node:fs/promises';
import { ENGINE, ROOT, choices, historyLength, openReady, pressRun, runFinished, startServer } from './harness.mjs';
import { enginesToTest, lacks, launch } from './engines/index.mjs';

const READY = { timeout: 60_000 };
const RUN = { timeout: 120_000 };
const SLIDE = { viewport: { width: 960, height: 540 } };
const SHOTS = `${ROOT}test-results/screenshots`;
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** What each slide view is for: these must be on the slide, inside the view's own section. */
const MUST_SHOW = {
  result: ['[data-field=verdict]', '.figures', '[data-field=overlap]'],
  timeline: ['canvas'],
  matrix: ['[data-role=matrix-summary]'],
  histogram: ['[data-role=spread]', 'canvas'],
  predict: ['[data-role=guesses]', '[data-role=predict-verdict]'],
  step: ['[data-role=step-counter]', 'button[data-role=step-run]', '[data-role=step-events]'],
};
/** Probabilistic outcomes get this many runs before a test gives up. */
const ATTEMPTS = 3;

let server;
before(async () => { server = await startServer(); });
after(() => server?.close());

/** The loop's listing the step-through walks, from the engine's own tables. */
function listing(gil, statement) {
  const found = ENGINE.bytecode.find((b) => b.gil === gil && b.statement === statement && !b.locked);
  assert.ok(found, `the engine lists the bytecode of ${statement} under GIL ${gil}`);
  const ops = found.ops;
  const read = ops.findIndex((op) => op.effect === 'read');
  const write = ops.findIndex((op) => op.effect === 'write');
  assert.ok(read >= 0 && write > read, `${statement} reads, then writes`);
  return { ops, read, write };
}

/** A steps= value: `runs` is [[thread (0-based), instructions], …]. */
const stepsParam = (runs) => runs.map(([thread, n]) => String(thread + 1).repeat(n)).join('');

/** Presses Run and resolves with the report of the run it started. */
async function runOnce(page) {
  const { report, error } = await pressRun(page);
  assert.equal(error, undefined, 'the run did not fail');
  return report;
}

/** The step-through as the page shows it. */
const stepView = (page) => page.evaluate(() => {
  const root = document.getElementById('step');
  const counter = root.querySelector('[data-role=step-counter]')?.textContent ?? '';
  return {
    counter: Number(counter.match(/=\s*(-?\d+)/)?.[1]),
    writes: Number(counter.match(/after (\d+) write/)?.[1]),
    events: [...root.querySelectorAll('[data-role=step-events] li')].map((li) => ({ text: li.textContent, lost: li.classList.contains('lost') })),
    runnable: [...root.querySelectorAll('button[data-role=step-run]')].map((b) => !b.disabled),
    why: [...root.querySelectorAll('button[data-role=step-run]')].map((b) => b.title),
    refused: root.querySelector('.notice[data-kind=warn]')?.textContent ?? null,
    steps: new URL(location.href).searchParams.get('steps') ?? '',
    view: new URL(location.href).searchParams.get('view'),
  };
});

/** Waits until the interleaving in the link has `n` choices (each step replays in the engine). */
const stepsReached = (page, n) => page.waitForFunction((k) => (new URL(location.href).searchParams.get('steps') ?? '').length === k
  && document.querySelector('#step [data-role=step-counter]') !== null, n, { timeout: 15_000 });

/** Thread `thread` (0-based) runs its next instruction: by its button, or by its number key. */
async function step(page, thread, how) {
  const before = (await stepView(page)).steps.length;
  if (how === 'key') {
    await page.evaluate(() => document.activeElement?.blur());
    await page.keyboard.press(String(thread + 1));
  } else {
    await page.click(`#step button[data-role=step-run][data-thread="${thread}"]`);
  }
  await stepsReached(page, before + 1);
}

describe('the native CLI', () => {
  const BIN = `${ROOT}target/release/gil-playground`;
  const cli = (...args) => JSON.parse(execFileSync(BIN, ['run', ...args, '--json'], { encoding: 'utf8' }).split('\n')[0]);

  it('loses updates with add_one() under GIL 3.10, and none with += under the same GIL', () => {
    const common = ['--mode', 'racy', '--threads', '2', '--gil', '3.10', '--total', '10000000'];
    const augmented = cli(...common, '--statement', 'augmented');
    assert.deepEqual([augmented.statement, augmented.gil], ['augmented', '3.10']);
    assert.equal(augmented.lost, 0, '3.10+ never switches inside +=');
    const tries = [];
    for (let i = 0; i < ATTEMPTS && !tries.some((r) => r.lost > 0); i++) tries.push(cli(...common, '--statement', 'call'));
    const last = tries.at(-1);
    assert.deepEqual([last.statement, last.gil, last.threads], ['call', '3.10', 2]);
    assert.ok(tries.some((r) => r.lost > 0), `add_one() lost updates under GIL 3.10 (lost: ${tries.map((r) => r.lost).join(', ')})`);
    for (const r of tries) assert.equal(r.lost, r.expected - r.final);
  });
});

for (const engine of enginesToTest()) {
  describe(engine, () => {
    let browser;
    before(async () => { browser = await launch(engine); });
    after(async () => { await browser?.close(); });

    it('step-through: buttons and keys drive a lost update, and its link replays it', async () => {
      const { context, page } = await openReady(browser, `${server.url}?mode=racy&threads=2&gil=off&statement=augmented`);
      const { read, write } = listing('off', 'augmented');
      await page.click('button[data-role=step]');
      await page.waitForSelector('#step [data-role=step-counter]');
      assert.deepEqual((await stepView(page)).runnable, [true, true], 'without a GIL either thread may run');
      // Both threads read 0 before either writes: thread 1 by its button, thread 2 by its key.
      for (let i = 0; i <= read; i++) await step(page, 0, 'click');
      for (let i = 0; i <= read; i++) await step(page, 1, 'key');
      let view = await stepView(page);
      assert.ok(view.events.some((e) => /Thread 1 reads the counter: 0/.test(e.text)), JSON.stringify(view.events));
      assert.ok(view.events.some((e) => /Thread 2 reads the counter: 0/.test(e.text)), JSON.stringify(view.events));
      for (let i = read; i < write; i++) await step(page, 0, 'click');
      view = await stepView(page);
      assert.deepEqual([view.counter, view.writes], [1, 1]);
      assert.ok(!view.events.some((e) => e.lost), 'the first write loses nothing');
      for (let i = read; i < write; i++) await step(page, 1, 'key');
      view = await stepView(page);
      assert.deepEqual([view.counter, view.writes], [1, 2], 'two writes, one update: the counter reads 1');
      const lost = view.events.filter((e) => e.lost);
      assert.equal(lost.length, 1, 'the lost update is pointed out once');
      assert.match(lost[0].text, /Thread 2 writes 1 over 1: it read 0/);
      const steps = stepsParam([[0, read + 1], [1, read + 1], [0, write - read], [1, write - read]]);
      assert.deepEqual([view.view, view.steps], ['step', steps], 'the link carries the interleaving');
      // Backspace undoes the last instruction; the link follows.
      await page.evaluate(() => document.activeElement?.blur());
      await page.keyboard.press('Backspace');
      await stepsReached(page, steps.length - 1);
      assert.deepEqual([(await stepView(page)).writes, (await stepView(page)).counter], [1, 1]);
      await context.close();

      // The link replays the same interleaving in a fresh page.
      const replay = await openReady(browser, `${server.url}?mode=racy&threads=2&gil=off&statement=augmented&view=step&steps=${steps}`);
      await replay.page.waitForSelector('#step [data-role=step-counter]');
      await stepsReached(replay.page, steps.length);
      const replayed = await stepView(replay.page);
      assert.deepEqual([replayed.counter, replayed.writes, replayed.refused], [1, 2, null]);
      assert.equal(replayed.events.filter((e) => e.lost).length, 1);
      await replay.context.close();
    });

    it('step-through under GIL 3.10: no switch inside +=, one after add_one()\'s call that loses an update', async () => {
      // +=: from thread 1's read to its write, thread 2 is never offered.
      const augmented = listing('3.10', 'augmented');
      const { context, page } = await openReady(browser, `${server.url}?mode=racy&threads=2&gil=3.10&statement=augmented&view=step`);
      await page.waitForSelector('#step [data-role=step-counter]');
      for (let i = 0; i <= augmented.write; i++) {
        await step(page, 0, i % 2 ? 'key' : 'click');
        if (i < augmented.read) continue;
        const view = await stepView(page);
        assert.equal(view.runnable[1], false, `after instruction ${i} (${augmented.ops[i].code}) thread 2 may not run`);
        assert.match(view.why[1], /not at a safe point/);
      }
      await context.close();
      // A link that asks for the switch anyway is refused in words, and replays up to it.
      const refusedSteps = stepsParam([[0, augmented.read + 1], [1, 1]]);
      const refused = await openReady(browser, `${server.url}?mode=racy&threads=2&gil=3.10&statement=augmented&view=step&steps=${refusedSteps}`);
      await refused.page.waitForSelector('#step .notice[data-kind=warn]');
      const shown = await stepView(refused.page);
      assert.match(shown.refused, /not at a safe point/);
      assert.equal(shown.steps.length, augmented.read + 1, 'the replay stops at the refused switch');
      await refused.context.close();

      // add_one(): the call's return is a safe point between the read and the write.
      const call = listing('3.10', 'call');
      const safe = call.ops.findIndex((op, i) => i > call.read && i < call.write && op.check);
      assert.ok(safe > 0, 'the engine lists a safe point between add_one()\'s read and its write');
      const second = await openReady(browser, `${server.url}?mode=racy&threads=2&gil=3.10&statement=call&view=step`);
      await second.page.waitForSelector('#step [data-role=step-counter]');
      for (let i = 0; i <= safe; i++) await step(second.page, 0, 'click');
      let view = await stepView(second.page);
      assert.equal(view.runnable[1], true, `after ${call.ops[safe].code}, before the write, thread 2 may run`);
      assert.equal(view.writes, 0);
      // Thread 2 takes the GIL and runs to the same point; thread 1 writes and goes on to its
      // next safe point (the back edge), where thread 2 takes over and writes.
      const backEdge = call.ops.findIndex((op, i) => i > call.write && op.check);
      assert.ok(backEdge > call.write, 'a safe point after the write');
      for (let i = 0; i <= safe; i++) await step(second.page, 1, 'key');
      for (let i = safe; i < backEdge; i++) await step(second.page, 0, 'key');
      assert.deepEqual([(await stepView(second.page)).counter, (await stepView(second.page)).runnable[1]], [1, true]);
      for (let i = safe; i < call.write; i++) await step(second.page, 1, 'click');
      view = await stepView(second.page);
      assert.deepEqual([view.counter, view.writes], [1, 2], 'a lost update under the 3.10+ GIL');
      assert.equal(view.events.filter((e) => e.lost).length, 1);
      const steps = stepsParam([[0, safe + 1], [1, safe + 1], [0, backEdge - safe], [1, call.write - safe]]);
      assert.equal(view.steps, steps);
      await second.context.close();

      // The same interleaving from a link alone.
      const linked = await openReady(browser, `${server.url}?mode=racy&threads=2&gil=3.10&statement=call&view=step&steps=${steps}`);
      await stepsReached(linked.page, steps.length);
      const replayed = await stepView(linked.page);
      assert.deepEqual([replayed.counter, replayed.writes, replayed.refused], [1, 2, null]);
      assert.equal(replayed.events.filter((e) => e.lost).length, 1);
      await linked.context.close();
    });

    it('add_one() loses updates under GIL 3.10 on the page, where += loses none', async () => {
      assert.ok(choices('statement').includes('call'));
      const { context, page } = await openReady(browser, `${server.url}?mode=racy&threads=2&gil=3.10&statement=call&total=10000000`);
      const reports = [];
      for (let i = 0; i < ATTEMPTS && !reports.some((r) => r.lost > 0); i++) reports.push(await runOnce(page));
      const last = reports.at(-1);
      assert.deepEqual([last.statement, last.gil, last.threads, last.expected], ['call', '3.10', 2, 10_000_000]);
      assert.ok(reports.some((r) => r.lost > 0), `add_one() lost updates under GIL 3.10 (lost: ${reports.map((r) => r.lost).join(', ')})`);
      if (last.lost > 0) {
        assert.equal(await page.getAttribute('#result', 'data-lost'), '');
        assert.match(await page.textContent('#result [data-field=verdict]'), /updates lost/);
      }
      await page.selectOption('#statement', 'augmented');
      const augmented = await runOnce(page);
      assert.deepEqual([augmented.statement, augmented.gil], ['augmented', '3.10']);
      assert.equal(augmented.lost, 0, 'the 3.10+ GIL never switches inside +=');
      assert.match(await page.textContent('#result [data-field=verdict]'), /No update lost/);
      await context.close();
    });

    it('predict, then run: the guess is recorded and shown beside the result', async () => {
      const { context, page } = await openReady(browser, `${server.url}?mode=racy&threads=2&gil=off&total=2000000`);
      await page.click('button[data-role=predict]');
      await page.waitForSelector('#predict [data-role=guesses]');
      assert.equal(await page.isDisabled('#predict [data-role=reveal]'), true, 'nothing runs before a guess');
      const before = await historyLength(page);
      await page.click('#predict button[data-key=a]');
      assert.equal(await page.getAttribute('#predict button[data-key=a]', 'aria-pressed'), 'true', 'the guess is recorded');
      assert.equal(await historyLength(page), before, 'guessing runs nothing');
      await page.click('#predict [data-role=reveal]');
      await page.waitForSelector('#predict [data-role=predict-verdict]', RUN);
      await runFinished(page, before + 1);
      const report = await page.evaluate(() => window.gilPlayground.history.entries[0].report);
      const verdict = await page.textContent('#predict [data-role=predict-verdict]');
      const grouped = (n) => n.toLocaleString('en-US');
      assert.ok(verdict.includes(`the counter read ${grouped(report.final)} of ${grouped(report.expected)}`), verdict);
      // Guess a is "exactly the total": right exactly when nothing was lost.
      assert.match(verdict, report.lost === 0 ? /^Right/ : /^Not this time/);
      assert.equal(await page.getAttribute('#predict button[data-key=a]', 'aria-pressed'), 'true', 'the guess stays shown');
      assert.equal(await page.count('#predict [data-role=guesses] button.right'), 1, 'one guess is marked as the outcome');
      assert.equal(await page.isDisabled('#predict button[data-key=b]'), true, 'no second guess after the result');
      await context.close();
    });

    it('predict, then run, by keys alone in a slide', async () => {
      const { context, page } = await openReady(browser, `${server.url}?embed=1&view=predict&mode=racy&threads=2&gil=off&total=2000000`, SLIDE);
      await page.waitForSelector('#predict [data-role=guesses]');
      await page.evaluate(() => document.activeElement?.blur());
      await page.keyboard.press('d');
      await page.waitForSelector('#predict button[data-key=d][aria-pressed=true]');
      assert.equal(await historyLength(page), 0, 'a guess runs nothing');
      await page.keyboard.press('Enter');
      await page.waitForSelector('#predict [data-role=predict-verdict]', RUN);
      await runFinished(page, 1);
      const verdict = await page.textContent('#predict [data-role=predict-verdict]');
      const right = await page.getAttribute('#predict [data-role=guesses] button.right', 'data-key');
      assert.match(verdict, right === 'd' ? /^Right/ : /^Not this time/, `the outcome was ${right}`);
      await context.close();
    });

    it('Repeat runs N times and shows a histogram of N outcomes with min, median and max', async () => {
      const { context, page } = await openReady(browser, `${server.url}?mode=racy&threads=2&gil=off&total=1000000`);
      const label = await page.textContent('button[data-role=repeat]');
      const n = Number(label.match(/(\d+)\s*×/)?.[1]);
      assert.ok(n >= 2, `the button says how many runs (${label})`);
      const before = await historyLength(page);
      await page.click('button[data-role=repeat]');
      await runFinished(page, before + n);
      await page.waitForSelector('#histogram [data-role=spread]', RUN);
      assert.equal(await historyLength(page), before + n, `${n} runs, each in the history`);
      const shown = await page.evaluate(async (k) => {
        const { ms, percent } = await import(new URL('js/views/format.js', location.href).href);
        const reports = window.gilPlayground.history.entries.slice(0, k).map((e) => e.report);
        const mid = (values) => [...values].sort((a, b) => a - b)[(values.length - 1) >> 1];
        const losses = reports.map((r) => r.loss_percent);
        const times = reports.map((r) => r.wall_ms);
        const expected = {
          'Lost, min': percent(Math.min(...losses)), 'Lost, median': percent(mid(losses)), 'Lost, max': percent(Math.max(...losses)),
          'Time, min': ms(Math.min(...times)), 'Time, median': ms(mid(times)), 'Time, max': ms(Math.max(...times)),
        };
        const figures = Object.fromEntries([...document.querySelectorAll('#histogram [data-role=spread] .figure')]
          .map((f) => [f.querySelector('dt').textContent, f.querySelector('dd').textContent]));
        const outcomes = [...document.querySelectorAll('#histogram [data-role=outcomes] tbody tr')]
          .map((tr) => Number(tr.children[1].textContent.replace(/,/g, '')));
        const charts = [...document.querySelectorAll('#histogram canvas')].length;
        return { expected, figures, outcomes, charts };
      }, n);
      assert.deepEqual(shown.figures, shown.expected, 'min, median and max of the runs just made');
      assert.equal(shown.outcomes.reduce((a, b) => a + b, 0), n, 'the outcome table counts every run once');
      assert.ok(shown.charts >= 2, 'two bar charts: lost updates and time');
      await context.close();
    });

    it('draws the timeline live, before a long run ends; Stop ends it', async () => {
      const total = ENGINE.settings.find((f) => f.name === 'total').presets.at(-1);
      const { context, page } = await openReady(browser, `${server.url}?mode=racy&threads=2&gil=3.10&total=${total}`);
      await page.click('button[data-role=run]');
      // One check, in one instant: the timeline is live and drawn while the run is under way.
      const live = await page.waitForFunction(() => {
        const root = document.getElementById('timeline');
        const canvas = root.querySelector('canvas');
        let painted = false;
        if (canvas.width && canvas.height) {
          const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
          for (let i = 3; i < data.length && !painted; i += 4) painted = data[i] > 0;
        }
        return root.dataset.live === 'true' && !root.hidden && painted
          && document.body.dataset.engine === 'busy'
          && document.getElementById('controls').getAttribute('aria-busy') === 'true'
          && window.gilPlayground.history.entries.length === 0
          && { note: root.querySelector('[data-role=timeline-note]').textContent };
      }, undefined, { timeout: 60_000 });
      assert.match(live.note, /live/);
      await page.click('button[data-role=stop]');
      await runFinished(page, 1);
      const report = await page.evaluate(() => window.gilPlayground.history.entries[0].report);
      assert.equal(report.stopped, true);
      assert.equal(await page.getAttribute('#timeline', 'data-live'), 'false', 'the complete log replaced the live one');
      await context.close();
    });

    it('fits every slide view in 960x540 with its work done, and takes its screenshot', async (t) => {
      await mkdir(SHOTS, { recursive: true });
      const first = await openReady(browser, server.url, SLIDE);
      const views = await first.page.evaluate(async () => (await import(new URL('js/link.js', location.href).href)).VIEWS);
      await first.context.close();
      assert.ok(views.length >= 6, `the page offers its slide views (${views})`);
      const cells = ENGINE.matrix.scripts.length * ENGINE.matrix.columns.length;
      const problems = [];
      // What a presenter presses in each view, and how many runs it makes.
      const work = {
        result: { keys: ['r'], runs: 2 }, // with the slide's own 1-thread baseline
        timeline: { keys: ['r'], runs: 2 },
        matrix: { keys: ['x'], runs: cells },
        histogram: { keys: ['h'], runs: 10 },
        predict: { keys: ['a', 'Enter'], runs: 1 },
        // Thread 1 runs until it has read the counter: the events say so.
        step: { keys: Array(listing('off', 'augmented').read + 1).fill('1'), runs: 0 },
      };
      for (const view of views) {
        const { context, page } = await openReady(browser, `${server.url}?embed=1&view=${view}&mode=racy&threads=2&gil=off&total=1000000`, SLIDE);
        await page.evaluate(() => document.activeElement?.blur());
        const { keys = [], runs = 0 } = work[view] ?? {};
        if (view === 'step') {
          // Nothing the slide cannot show: run, matrix and repeat keys start nothing here.
          for (const key of ['r', 'x', 'h']) await page.keyboard.press(key);
          assert.equal(await page.evaluate(() => document.body.dataset.engine), 'ready', 'no run started in the step slide');
          assert.equal(await historyLength(page), 0);
          await page.waitForSelector('#step [data-role=step-counter]');
          for (const [i, key] of keys.entries()) {
            await page.keyboard.press(key);
            await stepsReached(page, i + 1);
          }
        } else {
          for (const key of keys) {
            await page.keyboard.press(key);
            if (key !== keys.at(-1)) await page.waitForSelector(`#predict button[data-key=${key}][aria-pressed=true]`);
          }
          if (runs) await runFinished(page, runs);
        }
        if (view === 'result') {
          const threads = await page.evaluate(() => window.gilPlayground.history.entries.map((e) => e.report.threads));
          assert.deepEqual(threads.sort(), [1, 2], 'the slide ran its own 1-thread baseline');
          assert.match(await page.textContent('#result [data-field=speedup]'), /×/, 'a speedup, not a request for a baseline');
        }
        if (view === 'histogram') await page.waitForSelector('#histogram [data-role=spread]');
        if (view === 'matrix') await page.waitForSelector('#matrix [data-role=matrix-summary]');
        assert.equal(await page.isVisible(`#${view}`), true, `view=${view} shows its own section`);
        const fit = await page.evaluate(([id, selectors]) => {
          const section = document.getElementById(id);
          const clip = section.getBoundingClientRect();
          const shown = (el) => {
            const box = el.getBoundingClientRect();
            return box.width > 0 && box.height > 0 && box.top >= 0 && box.left >= 0
              && box.bottom <= Math.min(innerHeight, clip.bottom) + 1 && box.right <= Math.min(innerWidth, clip.right) + 1;
          };
          return {
            scrollHeight: document.documentElement.scrollHeight, scrollWidth: document.documentElement.scrollWidth,
            innerHeight, innerWidth,
            hidden: selectors.filter((s) => { const el = section.querySelector(s); return !el || !shown(el); }),
            clipped: section.scrollHeight - section.clientHeight,
          };
        }, [view, MUST_SHOW[view] ?? []]);
        // Every view is checked and photographed; what does not fit is reported at the end.
        if (fit.scrollHeight > fit.innerHeight) problems.push(`view=${view}: the page is ${fit.scrollHeight}px tall in ${fit.innerHeight} (it scrolls)`);
        if (fit.scrollWidth > fit.innerWidth) problems.push(`view=${view}: the page is ${fit.scrollWidth}px wide in ${fit.innerWidth} (it scrolls)`);
        for (const selector of fit.hidden) problems.push(`view=${view}: ${selector} is not on the slide`);
        if (fit.clipped > 2) t.diagnostic(`${engine} view=${view}: ${fit.clipped}px of its section's content is cut off below the slide`);
        const path = `${SHOTS}/slide-${view}-${engine}.png`;
        const png = await page.screenshot({ path });
        assert.deepEqual(png.subarray(0, 8), PNG);
        assert.equal(png.readUInt32BE(16), 960, 'as wide as the slide');
        assert.equal((await stat(path)).size, png.length);
        await context.close();
      }
      assert.deepEqual(problems, [], `what each slide is for is on it, with no scrolling (screenshots in ${SHOTS})`);
    });

    it('starts no engine in a still frame (a speaker view\'s preview, a printed deck)', async () => {
      const context = await browser.newContext(SLIDE);
      const page = await context.newPage();
      await page.goto(`${server.url}?embed=1&view=result&still=1&autorun=1&mode=racy&threads=2`);
      await page.waitForSelector('body[data-engine=still]', READY);
      // Give a wrongly started engine time to ask for its worker and module.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      assert.equal(await page.evaluate(() => document.body.dataset.engine), 'still');
      assert.equal(await page.evaluate(() => window.gilPlayground.engine), null, 'no engine object');
      assert.match(await page.textContent('#notice'), /still frame/i);
      if (!lacks(engine, 'request-log')) {
        const started = context.requests.filter((url) => /engine\/host\.js|\.wasm(\?|$)/.test(url));
        assert.deepEqual(started, [], 'no worker or wasm requested');
      }
      await context.close();
    });

    it('reveal.js: the speaker view\'s previews (?receiver) and print start no engine; the slide itself does', async () => {
      const HOST = /engine\/host\.js|\.wasm(\?|$)/;
      const resultFrame = '.reveal section[data-title=result] iframe';
      // The speaker view's preview of the playground's slide.
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      await page.goto(`${server.url}reveal.html?receiver#/1`);
      await page.waitForSelector('body[data-deck=preview]', READY);
      const sources = await page.$$eval('.reveal iframe', (frames) => frames.map((f) => f.getAttribute('data-src') ?? f.getAttribute('src')));
      assert.ok(sources.length > 0, 'the deck has playground frames');
      for (const src of sources) {
        const params = new URL(src, 'http://x/').searchParams;
        assert.equal(params.get('still'), '1', `${src}: a still frame`);
        assert.equal(params.get('autorun'), null, `${src}: no autorun`);
      }
      // reveal.js leaves a preview's iframes unloaded; whichever loads one gets the still frame.
      await page.evaluate((selector) => {
        const frame = document.querySelector(selector);
        if (!frame.getAttribute('src')) frame.setAttribute('src', frame.getAttribute('data-src'));
      }, resultFrame);
      const still = await page.frame(resultFrame);
      await still.waitForSelector('body[data-engine=still]', READY);
      await new Promise((resolve) => setTimeout(resolve, 1500)); // time for a wrongly started engine to ask for its files
      assert.equal(await still.evaluate(() => document.body.dataset.engine), 'still');
      if (!lacks(engine, 'request-log')) assert.deepEqual(context.requests.filter((url) => HOST.test(url)), [], 'no worker or wasm requested by the preview');
      await context.close();

      // The printed deck: no engine either.
      const print = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const printed = await print.newPage();
      await printed.goto(`${server.url}reveal.html?print-pdf`);
      await printed.waitForSelector('body[data-deck=preview]', READY);
      const printSources = await printed.$$eval('.reveal iframe', (frames) => frames.map((f) => f.getAttribute('src') || f.getAttribute('data-src')));
      assert.ok(printSources.every((src) => new URL(src, 'http://x/').searchParams.get('still') === '1'), printSources.join(' '));
      await new Promise((resolve) => setTimeout(resolve, 1500));
      if (!lacks(engine, 'request-log')) assert.deepEqual(print.requests.filter((url) => HOST.test(url)), []);
      await print.close();

      // The control: on stage the same slide does start its playground.
      const stage = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const deck = await stage.newPage();
      await deck.goto(`${server.url}reveal.html#/1`);
      await deck.waitForSelector('body[data-deck=ready]', READY);
      const live = await deck.frame(resultFrame);
      // Started is enough: whether its pool then comes up is other tests' business (and Firefox
      // under automation sometimes hangs there, see harness.mjs).
      await live.waitForSelector('body[data-engine=starting], body[data-engine=ready], body[data-engine=busy]', READY);
      if (!lacks(engine, 'request-log')) {
        const asked = () => stage.requests.some((url) => HOST.test(url));
        for (const until = Date.now() + 10_000; !asked() && Date.now() < until;) await new Promise((resolve) => setTimeout(resolve, 100));
        assert.ok(asked(), 'the slide itself starts its engine');
      }
      await stage.close();
    });

    it('stops cooperatively: the same engine and pool, the controls free again, the run marked stopped', async () => {
      const total = ENGINE.settings.find((f) => f.name === 'total').presets.at(-1);
      // Waiting for the emulated GIL and parked in a lock; four threads spinning on a shared line
      // without one (the link's threads are clamped to the pool, which has at least four).
      const cases = [
        { mode: 'pymutex', threads: 2, gil: '3.10' },
        { mode: 'racy', threads: 4, gil: 'off' },
      ];
      for (const settings of cases) {
        const query = new URLSearchParams({ ...settings, total }).toString();
        const { context, page } = await openReady(browser, `${server.url}?${query}`);
        await page.evaluate(() => {
          const { engine } = window.gilPlayground;
          window.stageBefore = { worker: engine.worker, info: engine.info };
        });
        await page.click('button[data-role=run]');
        await page.waitForSelector('#result[data-state=running]');
        // A run well under way (a presenter stops it to move on), not one that just began.
        await new Promise((resolve) => setTimeout(resolve, 1500));
        assert.equal(await historyLength(page), 0, 'the run is still under way');
        await page.click('button[data-role=stop]');
        await page.waitForSelector('#controls[aria-busy=false]', { timeout: 30_000 });
        const after = await page.evaluate(() => {
          const { engine, history } = window.gilPlayground;
          return {
            sameWorker: engine.worker === window.stageBefore.worker && engine.worker !== null,
            sameInfo: engine.info === window.stageBefore.info,
            report: history.entries[0]?.report ?? null,
            state: document.body.dataset.engine,
            runEnabled: !document.querySelector('button[data-role=run]').disabled,
            stopHidden: document.querySelector('button[data-role=stop]').hidden,
            notice: document.getElementById('notice').hidden ? '' : document.getElementById('notice').textContent,
          };
        });
        const what = `${settings.mode}, GIL ${settings.gil}`;
        assert.equal(after.sameWorker, true, `${what}: the same host worker, not a restarted engine (notice: ${after.notice})`);
        assert.ok(after.report, `${what}: the stopped run is reported`);
        assert.equal(after.report.stopped, true, `${what}: the report says it was stopped`);
        assert.ok(after.report.expected < after.report.total, `${what}: it stopped before the end`);
        assert.equal(after.sameInfo, true, `${what}: the same engine (its pool was not rebuilt)`);
        assert.doesNotMatch(after.notice, /restart/i);
        assert.deepEqual([after.state, after.runEnabled, after.stopHidden], ['ready', true, true], `${what}: the controls are free`);
        assert.match(await page.textContent('#result [data-field=verdict]'), /stopped after/);
        // The same engine runs again at once.
        await page.selectOption('#total', String(ENGINE.settings.find((f) => f.name === 'total').presets[0]));
        const next = await runOnce(page);
        assert.equal(next.stopped, false);
        assert.equal(await page.evaluate(() => window.gilPlayground.engine.worker === window.stageBefore.worker), true);
        await context.close();
      }
    });

    it('shows how much of a run its threads ran at the same time', async () => {
      const { context, page } = await openReady(browser, `${server.url}?mode=racy&threads=2&gil=off&total=10000000`);
      const report = await runOnce(page);
      assert.ok(report.overlap >= 0 && report.overlap <= 1, `overlap ${report.overlap}`);
      const text = await page.textContent('#result [data-field=overlap]');
      assert.ok(text.includes(`${Math.round(100 * report.overlap)}%`), text);
      const low = (await page.getAttribute('#result [data-field=overlap]', 'class')).split(' ').includes('low');
      assert.equal(low, report.overlap < 0.5);
      if (low) assert.match(text, /one after the other/);
      // One thread has nothing to overlap with: no such line.
      await page.selectOption('#threads', '1');
      await runOnce(page);
      assert.equal(await page.count('#result [data-field=overlap]'), 0);
      await context.close();
    });
  });
}
