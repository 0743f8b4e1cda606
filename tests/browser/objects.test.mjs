// The object model (issue 16), in every engine installed here: `objects=` in a link round-trips
// and is applied to the run (a hostile value is refused with a notice and runs nothing from
// it); the embed API sets and runs it (and refuses a bad one in words); the seed matrix runs
// every cell with the object model the form has; and the reference-count demo shows the
// mechanism: the default build's plain counts go wrong with the GIL off on a shared object,
// while the free-threaded build's biased counts and naive atomic counts stay exact, and the
// default build stays exact where nothing is shared or the GIL serialises the threads.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ENGINE, choices, openReady, pressRun, runFinished, setForm, startServer, waitForEngine } from './harness.mjs';
import { enginesToTest, launch } from './engines/index.mjs';

const RUN = { timeout: 120_000 };
/** The non-atomic counts go wrong by chance (two threads must meet on one count): a few tries. */
const ATTEMPTS = 3;

let server;
before(async () => { server = await startServer(); });
after(() => server?.close());

const setting = (name) => ENGINE.settings.find((f) => f.name === name);
const OBJECTS = choices('objects');
const label = (name) => setting('objects').choices.find((c) => c.name === name).label;
const GIL_ON = choices('gil').filter((gil) => setting('interval').applies_when.values.includes(gil));
const GIL_OFF = choices('gil').find((gil) => !GIL_ON.includes(gil));
/** The builds by what the issue calls them (each must be one of the engine's choices). */
const BUILD = { gil: 'gil', freeThreaded: 'free-threaded', atomic: 'atomic' };
/** The reference-count demo's modes, by what they reference: a shared object, each thread's own, an immortal one. */
const REFS = Object.fromEntries(ENGINE.modes.filter((m) => /^ref_/.test(m.objects)).map((m) => [m.objects, m.name]));

/** What went wrong with the objects, from a report (empty: the counts are exact). */
function countProblems({ counts, check }) {
  return Object.entries({
    drift: check.dict_count_drift + check.object_count_drift,
    freed_while_in_use: counts.freed_while_in_use,
    used_after_free: counts.used_after_free,
    over_released: counts.over_released,
    leaked_ints: check.leaked_ints,
    immortal_written: check.immortal_written ? 1 : 0,
  }).filter(([, n]) => n !== 0).map(([what, n]) => `${what} ${n}`);
}

/** Presses Run; resolves with the report (without its event logs) and the page's objects figure. */
async function runOnce(page) {
  const { report, error } = await pressRun(page);
  assert.equal(error, undefined, 'the run did not fail');
  const figure = await page.evaluate(() => {
    const dd = document.querySelector('#result [data-field=objects]');
    return dd && { text: dd.textContent, wrong: dd.classList.contains('wrong') };
  });
  return { report, figure };
}

/** Starts recording what the deck page receives from its playground frame. */
const listen = (deck) => deck.evaluate(() => {
  window.objectsTest = [];
  window.addEventListener('message', (event) => {
    if (event.source === window.deck.frame.contentWindow) window.objectsTest.push(event.data);
  });
});
/** Posts `message` to the playground as the deck, forgetting earlier replies. */
const post = (deck, message) => deck.evaluate((m) => {
  window.objectsTest.length = 0;
  window.deck.frame.contentWindow.postMessage(m, location.origin);
}, message);
/** The first reply of `type` (with `id`, if given). */
const reply = (deck, type, id) => deck.waitForFunction((q) => window.objectsTest
  .find((m) => m.type === q.type && (q.id === null || m.id === q.id)) ?? false, { type, id: id ?? null }, RUN);

for (const engine of enginesToTest()) {
  describe(engine, () => {
    let browser;
    before(async () => { browser = await launch(engine); });
    after(async () => { await browser?.close(); });

    it('objects= in a link round-trips and is applied to the run, for every object model', async () => {
      for (const objects of OBJECTS) {
        const { context, page } = await openReady(browser, `${server.url}?mode=racy&threads=2&gil=${GIL_ON[0]}&total=1000000&objects=${objects}`);
        assert.equal(await page.inputValue('#objects'), objects, `${objects}: the form took it`);
        assert.equal(await page.isVisible('#notice'), false, `${objects}: a clean link gives no notice`);
        assert.equal(new URL(await page.url()).searchParams.get('objects'), objects, `${objects}: the link keeps it`);
        const { report, figure } = await runOnce(page);
        assert.equal(report.objects, objects, `${objects}: the run used it`);
        const settingsLine = await page.textContent('#result [data-field=settings]');
        if (objects === 'none') {
          assert.equal(report.summary.objects, null, 'the bare counter has no objects');
          assert.equal(figure, null);
        } else {
          assert.ok(report.summary.objects, `${objects}: the objects' counts are reported`);
          assert.ok(settingsLine.includes(`objects: ${label(objects)}`), settingsLine);
          // Under the GIL every build's counts are exact: the GIL serialises the threads.
          assert.deepEqual(countProblems(report.summary.objects), [], `${objects} under the GIL`);
          assert.deepEqual(figure, { text: 'exact', wrong: false });
        }
        await context.close();
      }
    });

    it('refuses a hostile objects= with a notice, runs nothing from it, and keeps working', async () => {
      const hostile = '<img src=x onerror=window.pwned=1>';
      const fallback = setting('objects').default;
      const { context, page } = await openReady(browser,
        `${server.url}?mode=racy&threads=2&total=1000000&objects=${encodeURIComponent(hostile)}`);
      assert.equal(await page.evaluate(() => window.pwned), undefined);
      assert.equal(await page.count('#notice img, #notice script'), 0, 'no markup from the URL');
      const text = await page.textContent('#notice');
      assert.ok(text.includes(`objects=“${hostile}”`), text);
      assert.ok(text.includes(`is not one of ${OBJECTS.join(', ')}: using ${fallback}`), text);
      assert.equal(await page.inputValue('#objects'), fallback);
      assert.equal(new URL(await page.url()).searchParams.get('objects'), fallback, 'the link now says what runs');
      const { report } = await runOnce(page);
      assert.equal(report.objects, fallback);
      assert.equal(await page.evaluate(() => window.pwned), undefined);
      await context.close();
    });

    it('the embed API sets and runs the object model, and refuses one that does not exist', async () => {
      const context = await browser.newContext({ viewport: { width: 1100, height: 720 } });
      const page = await context.newPage();
      await page.goto(`${server.url}deck.html?slide=1`);
      const frame = await page.frame('#playground');
      await waitForEngine(frame);
      await listen(page);

      await post(page, { type: 'gil:set', settings: { objects: BUILD.atomic } });
      const state = await reply(page, 'gil:state');
      assert.equal(state.settings.objects, BUILD.atomic, 'gil:state says what was set');
      assert.equal(await frame.inputValue('#objects'), BUILD.atomic, 'the frame\'s form shows it');
      assert.equal(new URL(await frame.url()).searchParams.get('objects'), BUILD.atomic, 'and its link');

      const settings = { mode: 'racy', threads: 2, total: 1_000_000, gil: GIL_ON[0], objects: BUILD.freeThreaded };
      await post(page, { type: 'gil:run', id: 'objects-1', settings });
      const result = await reply(page, 'gil:result', 'objects-1');
      assert.equal(result.settings.objects, BUILD.freeThreaded);
      assert.equal(result.result.objects, BUILD.freeThreaded, 'the run used it');
      assert.ok(result.result.summary.objects, 'with its objects\' counts');
      const ran = await frame.evaluate(() => window.gilPlayground.history.entries.map((e) => e.report?.objects));
      assert.deepEqual(ran, [BUILD.freeThreaded]);

      await post(page, { type: 'gil:run', id: 'objects-bad', settings: { objects: 'nogil<b>' } });
      const error = await reply(page, 'gil:error', 'objects-bad');
      assert.match(error.message, /nogil<b>/);
      assert.ok(error.message.includes(OBJECTS.join(', ')), `says which exist: ${error.message}`);
      await post(page, { type: 'gil:get' });
      const after = await reply(page, 'gil:state');
      assert.equal(after.settings.objects, BUILD.freeThreaded, 'a refused message changes nothing');
      assert.equal(await frame.evaluate(() => window.gilPlayground.history.entries.length), 1, 'and runs nothing');
      await context.close();
    });

    it('the seed matrix runs every cell with the object model the form has', async () => {
      const { context, page } = await openReady(browser, `${server.url}?mode=racy&threads=2&total=1000000&objects=${BUILD.freeThreaded}`);
      // Changed in the form after the link: the matrix takes what the form has now.
      await setForm(page, { objects: BUILD.atomic });
      const cells = ENGINE.matrix.scripts.length * ENGINE.matrix.columns.length;
      await page.click('button[data-role=matrix]');
      await runFinished(page, cells);
      await page.waitForSelector('#matrix [data-role=matrix-summary]');
      const reports = await page.evaluate(() => window.gilPlayground.history.entries.map((e) => {
        const { timeline, ...rest } = e.report;
        return rest;
      }).reverse());
      assert.equal(reports.length, cells, 'one run per cell');
      assert.deepEqual([...new Set(reports.map((r) => r.objects))], [BUILD.atomic], 'every cell carries the object model');
      for (const r of reports) assert.ok(r.summary.objects || ENGINE.modes.find((m) => m.name === r.mode).objects === 'not_python', `${r.mode}: objects counted`);
      // The cells are the engine's: each script under each column's GIL.
      const expected = ENGINE.matrix.columns.flatMap((gil) => ENGINE.matrix.scripts.map((s) => `${s.mode}@${gil}`));
      assert.deepEqual(reports.map((r) => `${r.mode}@${r.gil}`), expected);
      const threaded = [...new Set(reports.filter((r, i) => !ENGINE.matrix.scripts[i % ENGINE.matrix.scripts.length].one_thread).map((r) => r.threads))];
      assert.equal(threaded.length, 1, 'the threaded scripts all ran the same thread count');
      assert.ok(threaded[0] >= 2);
      const text = await page.textContent('#matrix');
      assert.ok(text.includes(`objects: ${label(BUILD.atomic)}`), 'the matrix says which object model it ran');
      await context.close();
    });

    it('reference counts: the default build goes wrong on a shared object without the GIL; biased and atomic counts stay exact', async () => {
      assert.ok(REFS.ref_shared && REFS.ref_own && REFS.ref_immortal, `the engine offers the reference-count demo (${Object.values(REFS)})`);
      for (const build of Object.values(BUILD)) assert.ok(OBJECTS.includes(build), `the engine offers the ${build} build`);
      // No busy work between count operations (the cost's lowest value): the most chances to meet.
      const cost = setting('cost').min;
      const { context, page } = await openReady(browser,
        `${server.url}?mode=${REFS.ref_shared}&threads=2&total=4000000&gil=${GIL_OFF}&objects=${BUILD.gil}&cost=${cost}`);
      const run = async (values) => {
        await setForm(page, values);
        const outcome = await runOnce(page);
        for (const [name, value] of Object.entries(values)) assert.equal(String(outcome.report[name]), String(value), name);
        // The page says what the report says.
        assert.equal(outcome.figure.wrong, countProblems(outcome.report.summary.objects).length > 0, JSON.stringify(outcome.figure));
        return outcome;
      };

      // The default build's plain counts, the GIL off, one shared object: updates to it are lost.
      const tries = [];
      for (let i = 0; i < ATTEMPTS && !tries.some((t) => t.problems.length); i++) {
        const { report, figure } = await run({ mode: REFS.ref_shared, objects: BUILD.gil, gil: GIL_OFF });
        tries.push({ problems: countProblems(report.summary.objects), figure, plain: report.summary.objects.counts.plain_ops });
      }
      const wrong = tries.find((t) => t.problems.length) ?? tries.at(-1);
      assert.ok(wrong.problems.length > 0, `plain counts shared by 2 threads without the GIL went wrong (tries: ${JSON.stringify(tries)})`);
      assert.ok(wrong.plain > 0, 'the default build counts plainly');
      assert.equal(wrong.figure.wrong, true);
      assert.notEqual(wrong.figure.text, 'exact');

      // The same object in the builds made for it: exact.
      for (const objects of [BUILD.freeThreaded, BUILD.atomic]) {
        const { report, figure } = await run({ mode: REFS.ref_shared, objects, gil: GIL_OFF });
        assert.deepEqual(countProblems(report.summary.objects), [], `${objects}: exact without the GIL`);
        assert.ok(report.summary.objects.counts.atomic_ops > 0, `${objects}: another thread's counts are atomic`);
        assert.deepEqual(figure, { text: 'exact', wrong: false });
      }
      // The default build where nothing is shared (each thread's own object, an immortal one),
      // or where the GIL serialises: exact too.
      for (const values of [
        { mode: REFS.ref_own, objects: BUILD.gil, gil: GIL_OFF },
        { mode: REFS.ref_immortal, objects: BUILD.gil, gil: GIL_OFF },
        { mode: REFS.ref_shared, objects: BUILD.gil, gil: GIL_ON[0] },
      ]) {
        const { report, figure } = await run(values);
        assert.deepEqual(countProblems(report.summary.objects), [], JSON.stringify(values));
        assert.deepEqual(figure, { text: 'exact', wrong: false });
        if (values.mode === REFS.ref_immortal) {
          assert.equal(report.summary.objects.check.immortal_written, false, 'an immortal object is never written');
          assert.equal(report.summary.objects.counts.plain_ops, 0, 'so no count operation happens');
        }
      }
      await context.close();
    });
  });
}
