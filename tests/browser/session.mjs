// Setup shared by the browser test files: the server and the browser for a whole file, and
// optionally one page whose engine is ready. `assign` receives them once `before` has run.
import { after, before } from 'node:test';
import { forceOption, launchBrowser, openPage, startServer, waitForEngine } from './harness.mjs';

/**
 * Starts the project's server and Chromium before the file's tests and closes both after.
 * With `page`, also opens a page with a ready engine whose form offers `page.total`.
 */
function useSession(assign, { page, serverArgs = [] } = {}) {
  const session = {};
  before(async () => {
    session.server = await startServer(serverArgs);
    session.browser = await launchBrowser();
    if (page) {
      Object.assign(session, await openPage(session.browser, session.server.url, page.contextOptions));
      await waitForEngine(session.page);
      if (page.total) await forceOption(session.page, 'total', page.total);
    }
    assign(session);
  });
  after(async () => {
    await session.browser?.close();
    session.server?.close();
  });
}

/** The server and the browser for a test file. */
export const useServerAndBrowser = (assign, serverArgs) => useSession(assign, { serverArgs });

/** The server, the browser and one ready page whose form offers `total`. */
export const usePlayground = (assign, page = {}) => useSession(assign, { page });
