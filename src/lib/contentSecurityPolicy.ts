/**
 * The app's Content-Security-Policy: built once at build time (vite.config.ts puts it in the built
 * index.html and in the header files for static hosts) and read back at run time, so the app can
 * say "this host is not allowed" before the browser refuses a connection with a bare network error.
 */

/**
 * The Hugging Face Hub and the hosts its `resolve` URLs redirect large files to. CSP checks every
 * redirect hop, and the Hub has moved its CDN more than once (cdn-lfs.huggingface.co,
 * cdn-lfs-us-1.hf.co, cas-bridge.xethub.hf.co, us.aws.cdn.hf.co): a wildcard over its two domains
 * keeps downloads working through the next move without allowing any other site.
 */
export const HUB_MODEL_HOSTS = ['https://huggingface.co', 'https://*.huggingface.co', 'https://*.hf.co'] as const;

/**
 * A model server on the user's own machine (a mirror in `npx http-server`, a dev box): requests to
 * it never leave the device, which is the promise the policy keeps. Any port, since such servers
 * pick their own. `[::1]` is not listed: CSP host sources cannot name an IPv6 address.
 */
export const LOCAL_MODEL_HOSTS = ['http://localhost:*', 'http://127.0.0.1:*'] as const;

/** The default for `ZSP_MODEL_HOSTS`: the Hub and the user's own machine. */
export const DEFAULT_MODEL_HOSTS: readonly string[] = [...HUB_MODEL_HOSTS, ...LOCAL_MODEL_HOSTS];

/** scheme://host[:port], the host optionally `*.`-prefixed, the port a number or `*`; no path. */
const HOST_SOURCE = /^(https?):\/\/(\*\.)?([a-z0-9-]+(?:\.[a-z0-9-]+)*)(?::(\d{1,5}|\*))?\/?$/i;

/**
 * Parses a build's model-host list (`ZSP_MODEL_HOSTS`: comma or space separated host sources,
 * e.g. `https://hf-mirror.com,https://*.example.org`). Anything that is not a plain host source
 * is refused, so a typo can't widen the policy (`*`, `https:`, a path, a quote).
 */
export function parseModelHosts(text: string | undefined): string[] {
  if (text === undefined || text.trim() === '') return [...DEFAULT_MODEL_HOSTS];
  const hosts = text.split(/[\s,]+/).filter(Boolean);
  for (const host of hosts) {
    if (!HOST_SOURCE.test(host)) {
      throw new Error(`ZSP_MODEL_HOSTS: "${host}" is not a host source like https://hf-mirror.com or https://*.example.org (no paths, no bare wildcards)`);
    }
  }
  return hosts.map((host) => host.replace(/\/$/, ''));
}

export type PolicyDelivery = 'meta' | 'header';

/**
 * The policy. `header` adds what a `<meta>` policy cannot carry (browsers ignore frame-ancestors
 * there), for hosts that can send real headers.
 */
export function contentSecurityPolicy(modelHosts: readonly string[], delivery: PolicyDelivery): string {
  const directives: Array<[string, string[]]> = [
    ['default-src', ["'self'"]],
    // Our own bundles only; WebAssembly compilation (ONNX Runtime) needs 'wasm-unsafe-eval', nothing needs eval.
    ['script-src', ["'self'", "'wasm-unsafe-eval'"]],
    // The model workers and ONNX Runtime's thread workers are all files of the app, none is a blob:.
    ['worker-src', ["'self'"]],
    ['connect-src', ["'self'", ...modelHosts]],
    // Previews of the user's own files are object URLs; data: images can't run script.
    ['img-src', ["'self'", 'blob:', 'data:']],
    ['media-src', ["'self'", 'blob:', 'data:']],
    // Stylesheets are files; React and uPlot set styles through the CSSOM, which CSP does not restrict.
    ['style-src', ["'self'"]],
    ['font-src', ["'self'"]],
    ['manifest-src', ["'self'"]],
    ['object-src', ["'none'"]],
    ['base-uri', ["'none'"]],
    ['form-action', ["'none'"]],
  ];
  if (delivery === 'header') directives.push(['frame-ancestors', ["'none'"]]);
  return directives.map(([name, sources]) => `${name} ${sources.join(' ')}`).join('; ');
}

/** The sources of one directive in a serialised policy, or null when the policy doesn't have it. */
export function directiveSources(policy: string, directive: string): string[] | null {
  for (const part of policy.split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name?.toLowerCase() === directive) return sources;
  }
  return null;
}

const DEFAULT_PORTS: Record<string, string> = { 'http:': '80', 'https:': '443' };

/**
 * Whether one CSP source expression allows a URL, as the browser matches it (CSP3 "does url match
 * expression"): 'self', scheme sources, and host sources with `*.` and `:*`; an http source also
 * allows the https upgrade of its host.
 */
export function sourceAllowsUrl(source: string, url: URL, selfOrigin: string): boolean {
  if (source === "'self'") return url.origin === selfOrigin;
  if (source.startsWith("'")) return false;
  const scheme = /^([a-z][a-z0-9+.-]*):$/i.exec(source);
  if (scheme) return url.protocol === `${scheme[1]!.toLowerCase()}:`;
  const match = HOST_SOURCE.exec(source);
  if (!match) return false;
  const [, sourceScheme, wildcard, sourceHost, sourcePort] = match;
  const protocol = url.protocol;
  if (!(protocol === `${sourceScheme!.toLowerCase()}:` || (sourceScheme!.toLowerCase() === 'http' && protocol === 'https:'))) return false;
  const host = url.hostname.toLowerCase();
  const wanted = sourceHost!.toLowerCase();
  if (wildcard ? !host.endsWith(`.${wanted}`) : host !== wanted) return false;
  if (sourcePort === '*') return true;
  const port = url.port || DEFAULT_PORTS[protocol];
  const allowedPort = sourcePort ?? DEFAULT_PORTS[`${sourceScheme!.toLowerCase()}:`];
  // A source without a port on http also matches https's default port (the upgrade).
  return port === allowedPort || (sourcePort === undefined && port === DEFAULT_PORTS[protocol]);
}

/** Whether the policy's connect-src (or its default-src) lets the page fetch this URL. No policy allows everything. */
export function policyAllowsConnect(policy: string | null, url: URL, selfOrigin: string): boolean {
  if (policy === null) return true;
  const sources = directiveSources(policy, 'connect-src') ?? directiveSources(policy, 'default-src');
  if (sources === null) return true;
  return sources.some((source) => sourceAllowsUrl(source, url, selfOrigin));
}

/** The host sources the policy lets the page connect to besides its own origin, for messages. */
export function allowedConnectHosts(policy: string): string[] {
  return (directiveSources(policy, 'connect-src') ?? []).filter((source) => !source.startsWith("'"));
}

/** Where the built index.html carries the policy (vite.config.ts puts it there). */
export const POLICY_META_SELECTOR = 'meta[http-equiv="Content-Security-Policy"]';

/** The page's own policy as its <meta> states it, or null (the dev server has none). Structural, so workers' lib types it. */
export function policyFromDocument(doc: { querySelector(selector: string): { getAttribute(name: string): string | null } | null }): string | null {
  return doc.querySelector(POLICY_META_SELECTOR)?.getAttribute('content') ?? null;
}
