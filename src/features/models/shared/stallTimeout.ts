/**
 * How long a model download may go without a byte before the worker gives up on it. The default
 * is for people; tests shorten it with `?debug=1&stallTimeoutMs=3000` (honoured only with debug on,
 * like the other test hooks) so a stalled-host test does not sit out half a minute.
 */

/** No byte from the model host for this long while a request is under way: the request is abandoned. */
export const STALL_TIMEOUT_MS = 30_000;
/** The shortest override accepted: below this, a busy machine's normal gaps would count as stalls. */
export const MIN_STALL_TIMEOUT_MS = 500;
/** The longest override accepted (ten minutes). */
export const MAX_STALL_TIMEOUT_MS = 600_000;

/** The `stallTimeoutMs` override in a page's query string, when debug is on and the value is a sane number of milliseconds. */
export function stallTimeoutOverride(search: string): number | undefined {
  const params = new URLSearchParams(search);
  if (params.get('debug') !== '1') return undefined;
  const raw = params.get('stallTimeoutMs');
  if (raw === null || !/^\d+$/.test(raw)) return undefined;
  const ms = Number(raw);
  return ms >= MIN_STALL_TIMEOUT_MS && ms <= MAX_STALL_TIMEOUT_MS ? ms : undefined;
}
