// Runs on the page: makes the page cross-origin isolated where the host cannot send the
// headers, with the service worker (sw.js) that adds them to every response and keeps the
// files for offline use. The first visit to such a host takes two loads: this one installs the
// worker, one reload (marked coi-retry=1 in the URL, never more than once) is served by it.
// Verified traps: a hard reload bypasses the worker; a framed page, plain http on a LAN
// address and file:// cannot be rescued; storage (hence the worker) may be refused in frames.

const READY_TIMEOUT_MS = 10_000;

/**
 * @returns {Promise<{ status: 'isolated' } | { status: 'reloading' } |
 *   { status: 'unavailable', cause: string }>}
 */
export async function ensureIsolation(env) {
  const retried = new URL(location.href).searchParams.has('coi-retry');
  if (env.isolated && env.sharedMemory) {
    if (retried) dropRetryMark();
    return { status: 'isolated' };
  }
  const worker = await registerWorker(env);
  if (env.protocol === 'file:') return { status: 'unavailable', cause: 'file' };
  if (!env.secure) return { status: 'unavailable', cause: 'insecure' };
  if (env.framed) return { status: 'unavailable', cause: 'framed' };
  if (env.isolated && !env.sharedMemory) return { status: 'unavailable', cause: 'no-shared-memory' };
  if (worker.error) return { status: 'unavailable', cause: 'no-service-worker', detail: worker.error };
  if (retried) {
    dropRetryMark();
    return { status: 'unavailable', cause: 'worker-bypassed' };
  }
  // The worker is active but this load did not go through it (first visit or a hard
  // reload): load once more, through it.
  const url = new URL(location.href);
  url.searchParams.set('coi-retry', '1');
  location.replace(url.href);
  return { status: 'reloading' };
}

/**
 * Installs the worker for offline use where the page is isolated already (it was, or will
 * be, needed for isolation elsewhere). Call it once the page is ready: installing saves every
 * file of the build, which would otherwise compete with the page's own first load.
 */
export function keepForOffline(env) {
  const idle = window.requestIdleCallback ?? ((f) => setTimeout(f, 200));
  idle(() => registerWorker(env));
}

async function registerWorker(env) {
  if (!('serviceWorker' in navigator) || !env.secure || env.protocol === 'file:') {
    return { error: 'this browser offers no service workers here' };
  }
  try {
    await navigator.serviceWorker.register('sw.js', { scope: './' });
    const ready = await Promise.race([
      navigator.serviceWorker.ready,
      new Promise((resolve) => setTimeout(resolve, READY_TIMEOUT_MS)),
    ]);
    return ready ? {} : { error: 'the service worker did not start' };
  } catch (err) {
    // Frames without storage access, private windows of some browsers, blocked cookies.
    return { error: `the service worker could not be registered (${err?.name ?? 'error'})` };
  }
}

function dropRetryMark() {
  const url = new URL(location.href);
  url.searchParams.delete('coi-retry');
  history.replaceState(history.state, '', url.href);
}

/** What to tell the user when threads cannot run, by cause: why, and what to do. */
export function explain(cause, env) {
  const newTab = 'Open the playground in a tab of its own (the link below keeps your settings).';
  switch (cause) {
    case 'file':
      return ['It was opened as a file, and browsers allow neither module scripts nor shared-memory threads from files.',
        'Serve the folder (./build.sh serve, or any static server) or open the hosted URL.'];
    case 'insecure':
      return [`It was loaded over plain http from ${location.host}, which is not a secure context: the browser withholds SharedArrayBuffer and service workers.`,
        'Share the https URL (or the QR code of it), not a laptop\'s LAN address; on this computer use http://localhost or http://127.0.0.1.'];
    case 'framed':
      return ['It is inside a frame that is not cross-origin isolated: the page around it must be isolated itself (it sends Cross-Origin-Opener-Policy and Cross-Origin-Embedder-Policy headers) and the frame needs allow="cross-origin-isolated".',
        `${newTab} Presenters: see the example deck (deck.html) for a frame that works.`];
    case 'no-shared-memory':
      return ['This browser does not offer SharedArrayBuffer even though the page is isolated.',
        'Use a current Chromium, Firefox, or Safari 16.4 or later.'];
    case 'no-service-worker':
      return ['The server sends no isolation headers, and the service worker that would add them could not run here (a private window, blocked storage, or an old browser).',
        'Open it in a normal window of a current browser, or serve it with ./build.sh serve.'];
    case 'worker-bypassed':
      return ['The service worker that isolates this page is installed, but this load bypassed it (a hard reload with Shift, or "Bypass for network" in DevTools).',
        'Reload normally (without Shift) to run threads.'];
    default:
      return [`Threads are unavailable (${cause}).`, newTab];
  }
}
