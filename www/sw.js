// The service worker (one for everything, as a scope can have only one): it keeps every file
// of the build for offline use, and adds the cross-origin isolation headers to every response
// it serves, so that a host that cannot send them (a plain static host) still gets a page
// that may use shared-memory threads. It handles only this origin's GET requests; the page
// makes no other. sw-manifest.js (written by build.sh) lists the files, the headers and a
// version that changes with them: a new build installs a new cache and deletes the old one.
importScripts('./sw-manifest.js');

const BUILD = self.GIL_PLAYGROUND_BUILD;
const CACHE = `gil-playground-${BUILD.version}`;

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE)
    .then((cache) => cache.addAll(BUILD.files.map((file) => new Request(file, { cache: 'reload' }))))
    .then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys
      .filter((key) => key.startsWith('gil-playground-') && key !== CACHE)
      .map((key) => caches.delete(key))))
    .then(() => self.clients.claim()));
});

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== self.location.origin) return;
  event.respondWith(respond(event.request));
});

/** Cache first (the files of this build), then the network; isolation headers on both. */
async function respond(request) {
  const cache = await caches.open(CACHE);
  let response = await cache.match(request, { ignoreSearch: true });
  if (!response) {
    try {
      response = await fetch(request);
    } catch {
      return new Response('Offline, and this file is not part of the saved build.',
        { status: 503, headers: { 'content-type': 'text/plain; charset=utf-8' } });
    }
  }
  return isolated(response);
}

/** The response with COOP, COEP and CORP (the build's list) added where the server did not send them. */
function isolated(response) {
  if (response.type === 'opaque' || response.status === 0) return response;
  const headers = new Headers(response.headers);
  for (const [name, value] of Object.entries(BUILD.headers)) {
    if (!headers.has(name)) headers.set(name, value);
  }
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}
