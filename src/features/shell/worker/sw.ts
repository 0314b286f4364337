/**
 * The app's service worker (built by vite-plugin-pwa's injectManifest from this file):
 * - precaches the app shell, the ORT runtime under /ort/ and the built-in models under /models/
 *   (Workbox), so the app opens and classifies with no network after its first visit;
 * - adds the response headers the app needs (COOP/COEP/CORP for cross-origin isolation, hence WASM
 *   threads; the CSP as a real header, which also covers the workers) to every same-origin response
 *   it serves, for static hosts that can't send headers (GitHub Pages), as coi-serviceworker does;
 * - waits with a new version until the page asks for it (the update banner), never swapping the
 *   app under a running batch;
 * - never touches cross-origin requests: model files from the Hub go to the network and into
 *   transformers.js's own Cache Storage bucket.
 */
import { clientsClaim, type WorkboxPlugin } from 'workbox-core';
import { addPlugins, cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute, type PrecacheEntry } from 'workbox-precaching';
import { RangeRequestsPlugin } from 'workbox-range-requests';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import { isServiceWorkerMessage } from '../shared/messages';

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: Array<PrecacheEntry | string> };
/** Set by vite.config.ts (`define`): the same headers `vite preview` and the static-host header files send. */
declare const __ZSP_RESPONSE_HEADERS__: Record<string, string>;

/** A copy of the response with the app's headers added (those the server already sent are kept). */
function withAppHeaders(response: Response): Response {
  // Opaque and error responses can't be rebuilt (and never are same-origin app files).
  if (response.type === 'opaque' || response.type === 'opaqueredirect' || response.status === 0) return response;
  const headers = new Headers(response.headers);
  for (const [name, value] of Object.entries(__ZSP_RESPONSE_HEADERS__)) {
    if (!headers.has(name)) headers.set(name, value);
  }
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

const appHeadersPlugin: WorkboxPlugin = {
  cachedResponseWillBeUsed: ({ cachedResponse }) => Promise.resolve(cachedResponse ? withAppHeaders(cachedResponse) : cachedResponse),
};

// transformers.js asks each model file's size with `Range: bytes=0-0`: answered from the cache as a 206.
// Order matters: the range is cut first, then the headers go on the part that is sent.
addPlugins([new RangeRequestsPlugin(), appHeadersPlugin]);
precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();

// Any navigation in scope (`/?task=audio`, `/?debug=1#demo=…`) gets the precached index.html of the
// version that controls the page; once an update is accepted that is the new one.
registerRoute(new NavigationRoute(createHandlerBoundToURL('index.html')));

// Same-origin files outside the precache (none today, but a host may add some): from the network,
// with the headers, so nothing the page loads breaks its isolation.
registerRoute(
  ({ url, request }) => url.origin === self.location.origin && request.method === 'GET',
  async ({ request }) => withAppHeaders(await fetch(request)),
);

self.addEventListener('message', (event) => {
  if (isServiceWorkerMessage(event.data) && event.data.type === 'SKIP_WAITING') void self.skipWaiting();
});

// The first version takes the open page at once (the page then reloads once if it was not
// isolated yet, see the client); later versions wait for SKIP_WAITING from the banner. Claiming
// takes every open tab, also those whose user did not click Reload: the client keeps them running
// on their old code and shows that a newer version took over, rather than reload them.
clientsClaim();
