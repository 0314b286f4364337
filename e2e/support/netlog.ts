/**
 * Reads a Chromium NetLog (`--log-net-log=<file>`): the browser network stack's own record of
 * every URL request (pages, workers, service workers, CORS preflights, the browser's own
 * background fetches), the request headers it put on the wire, and every TCP connection it opened.
 */
import { readFileSync } from 'node:fs';

export interface NetLogRequest {
  url: string;
  method: string;
  /**
   * The origin of the page or worker that asked for it; Chromium writes 'not an origin' for
   * requests with none: navigations typed in (Playwright's `goto`) and the browser's own traffic.
   */
  initiator?: string;
}

export interface NetLog {
  requests: NetLogRequest[];
  /** Every header line sent (`Name: value`), from HTTP_TRANSACTION_SEND_REQUEST_HEADERS. */
  sentHeaders: string[];
  /** `address:port` of every TCP connection attempt. */
  connections: string[];
  /** Host names looked up (DNS). */
  resolvedHosts: string[];
}

interface RawEvent {
  type: number;
  params?: Record<string, unknown>;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function readNetLog(path: string): NetLog {
  let raw = readFileSync(path, 'utf8').trimEnd();
  // A browser that did not shut down cleanly leaves the events array open.
  if (!raw.endsWith('}')) raw = `${raw.replace(/,$/, '')}]}`;
  const parsed = JSON.parse(raw) as { constants: { logEventTypes: Record<string, number> }; events: RawEvent[] };
  const types = parsed.constants.logEventTypes;
  const typeOf = (name: string): number => types[name] ?? -1;
  const log: NetLog = { requests: [], sentHeaders: [], connections: [], resolvedHosts: [] };
  for (const event of parsed.events) {
    const params = event.params ?? {};
    if (event.type === typeOf('URL_REQUEST_START_JOB')) {
      const url = text(params.url);
      if (url) log.requests.push({ url, method: text(params.method) ?? '?', ...(text(params.initiator) ? { initiator: text(params.initiator) } : {}) });
    } else if (event.type === typeOf('HTTP_TRANSACTION_SEND_REQUEST_HEADERS')) {
      const headers = params.headers;
      if (Array.isArray(headers)) log.sentHeaders.push(...headers.filter((h): h is string => typeof h === 'string'));
      const line = text(params.line);
      if (line) log.sentHeaders.push(line);
    } else if (event.type === typeOf('TCP_CONNECT_ATTEMPT')) {
      const address = text(params.address);
      if (address) log.connections.push(address);
    } else if (event.type === typeOf('HOST_RESOLVER_MANAGER_REQUEST') || event.type === typeOf('HOST_RESOLVER_DNS_TASK')) {
      const host = text(params.host);
      if (host) log.resolvedHosts.push(host);
    }
  }
  return log;
}
