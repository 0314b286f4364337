/**
 * What the page may post to the service worker. `SKIP_WAITING` is the message workbox-window's
 * `messageSkipWaiting()` sends when the user accepts an update: the waiting version activates.
 */
export type ServiceWorkerMessage = { type: 'SKIP_WAITING' };

export function isServiceWorkerMessage(data: unknown): data is ServiceWorkerMessage {
  return typeof data === 'object' && data !== null && 'type' in data && data.type === 'SKIP_WAITING';
}
