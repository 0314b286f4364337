/**
 * Header files for static hosts, written into the build (vite.config.ts) from the same header set
 * as `vite preview`, so every host we ship for sends the same COOP/COEP/CSP. Hosts that read none of
 * these (GitHub Pages) get the isolation headers from the service worker instead.
 */

export type HeaderSet = Readonly<Record<string, string>>;

export interface HostingHeaders {
  /** Sent with every response. */
  all: HeaderSet;
  /** Extra headers by path pattern (`/assets/*`, `/sw.js`), in the hosts' shared glob syntax. */
  paths: ReadonlyArray<{ pattern: string; headers: HeaderSet }>;
}

export interface HostingFile {
  fileName: string;
  source: string;
}

/** Types some hosts don't know: a wrong type for the wasm stops streaming compilation, for the manifest installability. */
const MIME_TYPES = { '.wasm': 'application/wasm', '.mjs': 'text/javascript', '.onnx': 'application/octet-stream', '.webmanifest': 'application/manifest+json' };

/** Netlify and Cloudflare Pages: `_headers` in the published folder. */
function netlifyHeaders({ all, paths }: HostingHeaders): string {
  const block = (pattern: string, headers: HeaderSet) => [pattern, ...Object.entries(headers).map(([name, value]) => `  ${name}: ${value}`)].join('\n');
  return `${[block('/*', all), ...paths.map(({ pattern, headers }) => block(pattern, headers))].join('\n')}\n`;
}

/** `/assets/*` → Vercel's path-to-regexp `/assets/(.*)`. */
function vercelSource(pattern: string): string {
  return pattern.replace(/\*$/, '(.*)');
}

/** Vercel: `vercel.json` at the deployed folder's root. */
function vercelJson({ all, paths }: HostingHeaders): string {
  const entry = (source: string, headers: HeaderSet) => ({ source, headers: Object.entries(headers).map(([key, value]) => ({ key, value })) });
  return `${JSON.stringify({ headers: [entry('/(.*)', all), ...paths.map(({ pattern, headers }) => entry(vercelSource(pattern), headers))] }, null, 2)}\n`;
}

/** Azure Static Web Apps: `staticwebapp.config.json` in the app's output folder. */
function staticWebAppConfig({ all, paths }: HostingHeaders): string {
  return `${JSON.stringify(
    {
      globalHeaders: all,
      routes: paths.map(({ pattern, headers }) => ({ route: pattern, headers })),
      mimeTypes: MIME_TYPES,
    },
    null,
    2,
  )}\n`;
}

export function hostingHeaderFiles(headers: HostingHeaders): HostingFile[] {
  return [
    { fileName: '_headers', source: netlifyHeaders(headers) },
    { fileName: 'vercel.json', source: vercelJson(headers) },
    { fileName: 'staticwebapp.config.json', source: staticWebAppConfig(headers) },
  ];
}
