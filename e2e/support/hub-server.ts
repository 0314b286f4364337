/**
 * A local stand-in for the Hugging Face Hub: serves `GET|HEAD /{org}/{name}/resolve/{revision}/{path}`
 * from directories on disk, the way transformers.js downloads model files from a (mirror) host.
 *
 *   const hub = await HubServer.start({ 'test-org/clip-shapes': BUILTIN_MODEL_DIR });
 *   page.goto(`/?model=test-org/clip-shapes&hub=${hub.url}`);
 *   hub.requestsFor('onnx/vision_model.onnx');  // what the app fetched
 *   hub.mode = 'not-found';                     // every request now answers 404
 *   await hub.stop();
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
/** The built-in model's files (E2E_MODELS_ROOT overrides `public/models`, e.g. to try another export). */
export const MODELS_ROOT = process.env.E2E_MODELS_ROOT ?? join(REPO_ROOT, 'public', 'models');
export const BUILTIN_MODEL_DIR = join(MODELS_ROOT, 'builtin', 'clip-shapes');
export const DEFAULT_HUB_MODELS: Readonly<Record<string, string>> = { 'test-org/clip-shapes': BUILTIN_MODEL_DIR };

export type HubMode = 'normal' | 'not-found';

export interface HubRequest {
  method: string;
  /** Raw request path + query. */
  url: string;
  /** `org/name`, when the path has the resolve layout. */
  model?: string;
  revision?: string;
  /** File path inside the repository, e.g. `onnx/vision_model.onnx`. */
  file?: string;
  range?: string;
  status: number;
  /** Body bytes sent. */
  bytes: number;
  at: number;
}

const CORS_HEADERS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Expose-Headers': 'Content-Length, ETag, Content-Range, Accept-Ranges, X-Repo-Commit, X-Linked-Size, X-Linked-Etag, X-Error-Code, X-Error-Message',
  'Cross-Origin-Resource-Policy': 'cross-origin',
} as const;

const CONTENT_TYPES: Record<string, string> = {
  '.json': 'application/json',
  '.onnx': 'application/octet-stream',
  '.txt': 'text/plain; charset=utf-8',
  '.model': 'application/octet-stream',
};

const RESOLVE_PATH = /^\/([^/]+)\/([^/]+)\/resolve\/([^/]+)\/(.+)$/;

export class HubServer {
  /** `http://127.0.0.1:PORT/`, the value for the app's `?hub=` parameter. */
  readonly url: string;
  readonly port: number;
  mode: HubMode = 'normal';
  readonly requests: HubRequest[] = [];
  /** Set to log every request to stdout (handy when debugging a spec). */
  verbose = process.env.HUB_VERBOSE === '1';

  private constructor(
    private readonly server: Server,
    private readonly models: Record<string, string>,
  ) {
    const { port } = server.address() as AddressInfo;
    this.port = port;
    this.url = `http://127.0.0.1:${port}/`;
  }

  static async start(models: Readonly<Record<string, string>> = DEFAULT_HUB_MODELS): Promise<HubServer> {
    // No request can arrive before `hub` exists: nobody knows the port until start() returns.
    const server = createServer((req, res) => hub.handle(req, res));
    // Keep-alive sockets would otherwise hold `stop()` open.
    server.keepAliveTimeout = 1000;
    await new Promise<void>((resolveListen, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolveListen());
    });
    const hub = new HubServer(server, { ...models });
    return hub;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  /** Forgets the request log (e.g. just before a reload whose requests a test wants to count). */
  clearLog(): void {
    this.requests.length = 0;
  }

  /** Requests for a repository file (model-relative path), excluding CORS preflights. */
  requestsFor(file: string | RegExp): HubRequest[] {
    return this.requests.filter(
      (r) => r.method !== 'OPTIONS' && r.file !== undefined && (typeof file === 'string' ? r.file === file : file.test(r.file)),
    );
  }

  /** Requests per file path (or raw URL when not a resolve path), excluding preflights. */
  countsByPath(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const r of this.requests) {
      if (r.method === 'OPTIONS') continue;
      const key = r.file ?? r.url;
      counts[key] = (counts[key] ?? 0) + 1;
    }
    return counts;
  }

  /** A human-readable log, for assertion messages. */
  describe(requests: readonly HubRequest[] = this.requests): string {
    if (requests.length === 0) return '(no requests)';
    return requests
      .map((r) => `${r.method} ${r.url}${r.range ? ` [Range: ${r.range}]` : ''} -> ${r.status} (${r.bytes} B)`)
      .join('\n');
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const method = req.method ?? 'GET';
    const rawUrl = req.url ?? '/';
    const pathname = decodeURIComponent(new URL(rawUrl, 'http://hub.invalid').pathname);
    const match = RESOLVE_PATH.exec(pathname);
    const entry: HubRequest = { method, url: rawUrl, status: 0, bytes: 0, at: Date.now() };
    if (match) {
      entry.model = `${match[1]}/${match[2]}`;
      entry.revision = match[3];
      entry.file = match[4];
    }
    const range = req.headers.range;
    if (range) entry.range = range;
    this.requests.push(entry);
    res.on('finish', () => {
      if (this.verbose) console.log(`[hub] ${this.describe([entry])}`);
    });

    for (const [k, v] of Object.entries(CORS_HEADERS)) res.setHeader(k, v);

    if (method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Methods', 'GET, HEAD, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', req.headers['access-control-request-headers'] ?? '*');
      res.setHeader('Access-Control-Max-Age', '0');
      entry.status = 204;
      res.writeHead(204).end();
      return;
    }
    if (method !== 'GET' && method !== 'HEAD') {
      this.sendError(res, entry, 405, 'Method not allowed');
      return;
    }
    if (this.mode === 'not-found') {
      this.sendError(res, entry, 404, 'Repository not found', 'RepoNotFound');
      return;
    }
    if (!match || !entry.model || !entry.file) {
      this.sendError(res, entry, 404, 'Not found');
      return;
    }
    const root = this.models[entry.model];
    if (!root) {
      this.sendError(res, entry, 404, 'Repository not found', 'RepoNotFound');
      return;
    }
    const filePath = normalize(join(root, entry.file));
    if (!filePath.startsWith(normalize(root) + sep) || !existsSync(filePath) || !statSync(filePath).isFile()) {
      this.sendError(res, entry, 404, 'Entry not found', 'EntryNotFound');
      return;
    }
    this.sendFile(req, res, entry, filePath);
  }

  private sendFile(req: IncomingMessage, res: ServerResponse, entry: HubRequest, filePath: string): void {
    const stat = statSync(filePath);
    const size = stat.size;
    const etag = `"${size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`;
    res.setHeader('Content-Type', CONTENT_TYPES[extname(filePath)] ?? 'application/octet-stream');
    res.setHeader('Accept-Ranges', 'bytes');
    res.setHeader('ETag', etag);
    res.setHeader('X-Repo-Commit', '0000000000000000000000000000000000000000');
    res.setHeader('Cache-Control', 'public, max-age=0, must-revalidate');

    let start = 0;
    let end = size - 1;
    let status = 200;
    const range = req.headers.range;
    if (range) {
      const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
      if (!m || (m[1] === '' && m[2] === '')) {
        this.sendRangeNotSatisfiable(res, entry, size);
        return;
      }
      if (m[1] === '') {
        // Suffix range: the last N bytes.
        start = Math.max(0, size - Number(m[2]));
      } else {
        start = Number(m[1]);
        if (m[2] !== '') end = Math.min(end, Number(m[2]));
      }
      if (start >= size || start > end) {
        this.sendRangeNotSatisfiable(res, entry, size);
        return;
      }
      status = 206;
      res.setHeader('Content-Range', `bytes ${start}-${end}/${size}`);
    }
    const length = Math.max(0, end - start + 1);
    res.setHeader('Content-Length', String(length));
    entry.status = status;
    res.writeHead(status);
    if (req.method === 'HEAD' || length === 0) {
      res.end();
      return;
    }
    entry.bytes = length;
    createReadStream(filePath, { start, end }).pipe(res);
  }

  private sendRangeNotSatisfiable(res: ServerResponse, entry: HubRequest, size: number): void {
    res.setHeader('Content-Range', `bytes */${size}`);
    this.sendError(res, entry, 416, 'Requested range not satisfiable');
  }

  private sendError(res: ServerResponse, entry: HubRequest, status: number, message: string, code?: string): void {
    const body = Buffer.from(JSON.stringify({ error: message }));
    entry.status = status;
    entry.bytes = body.length;
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.setHeader('Content-Length', String(body.length));
    if (code) res.setHeader('X-Error-Code', code);
    res.setHeader('X-Error-Message', message);
    res.writeHead(status);
    res.end(res.req.method === 'HEAD' ? undefined : body);
  }
}

/**
 * An http://127.0.0.1:PORT/ address nothing listens on: a port the OS just handed out and that
 * was closed again (connection refused, immediately, no DNS involved).
 */
export async function unreachableHubUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return `http://127.0.0.1:${port}/`;
}
