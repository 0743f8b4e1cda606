// How a browser test file runs its tests in every engine: `forEachEngine` opens one
// `describe(engine)` per engine of enginesToTest() (GIL_ENGINES, else every engine installed),
// whose hooks start the project's server and launch that engine, and optionally open one page
// with a ready engine. The file's body declares its tests once, for all engines:
//
//   forEachEngine((engine, s) => {
//     it('…', { skip: lacks(engine, 'offline') }, async () => { await s.page.click(…); });
//   }, { page: { total: 2_000_000 } });
//
// `s` is filled in by the hooks: s.server, s.browser, and with `page`: s.page, s.context.
import { after, before, describe } from 'node:test';
import { forceOption, openPage, startServer, waitForEngine } from './harness.mjs';
import { enginesToTest, launch } from './engines/index.mjs';

/**
 * For each engine: a `describe(engine)` that starts the server (with `serverArgs`) and the
 * engine, then calls `body(engine, s)`. With `page` ({ total, contextOptions }), also opens a
 * page with a ready engine whose form offers `page.total`.
 */
export function forEachEngine(body, { page, serverArgs = [] } = {}) {
  for (const engine of enginesToTest()) {
    describe(engine, () => {
      const s = { engine };
      before(async () => {
        s.server = await startServer(serverArgs);
        s.browser = await launch(engine);
        if (page) {
          Object.assign(s, await openPage(s.browser, s.server.url, page.contextOptions));
          await waitForEngine(s.page);
          if (page.total) await forceOption(s.page, 'total', page.total);
        }
      });
      after(async () => {
        await s.browser?.close();
        s.server?.close();
      });
      body(engine, s);
    });
  }
}

