/**
 * A plain static file server, like GitHub Pages: it sends the files of a folder with a content
 * type, answers byte ranges and 404s, and sends only the headers it is given (none by default: no
 * COOP/COEP/CSP). Every request is logged, for tests that must prove what reached a server.
 * Also `copyBuild()`: a throw-away copy of a build, for tests that deploy a "new version" over it.
 */
import { cpSync, createReadStream, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { REPO_ROOT } from './hub-server';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.onnx': 'application/octet-stream',
};

export interface LoggedRequest {
  method: string;
  /** Path and query, as sent. */
  url: string;
  status: number;
  /** The `Service-Worker` request header: set on the browser's fetches of a service worker script. */
  serviceWorker: boolean;
}

export class StaticServer {
  readonly requests: LoggedRequest[] = [];
  readonly origin: string;

  private constructor(
    private readonly server: Server,
    private readonly root: string,
    private readonly headers: Readonly<Record<string, string>>,
    host: string,
  ) {
    const { port } = server.address() as AddressInfo;
    this.origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  }

  /**
   * Serves `root` on a free port of `host` (`127.0.0.1`, or `::1` for an address the app's policy
   * does not list), sending `headers` with every response and CORS for any origin.
   */
  static async start(root: string, options: { host?: string; headers?: Readonly<Record<string, string>> } = {}): Promise<StaticServer> {
    const host = options.host ?? '127.0.0.1';
    const server = createServer((req, res) => instance.handle(req, res));
    server.keepAliveTimeout = 1000;
    await new Promise<void>((resolveListen, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => resolveListen());
    });
    const instance = new StaticServer(server, resolve(root), options.headers ?? {}, host);
    return instance;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  /** Requests whose path (without query) is `path`. */
  requestsFor(path: string): LoggedRequest[] {
    return this.requests.filter((r) => new URL(r.url, 'http://x').pathname === path);
  }

  describe(): string {
    return this.requests.length === 0 ? '(no requests)' : this.requests.map((r) => `${r.method} ${r.url} -> ${r.status}`).join('\n');
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const entry: LoggedRequest = { method: req.method ?? 'GET', url: req.url ?? '/', status: 0, serviceWorker: req.headers['service-worker'] === 'script' };
    this.requests.push(entry);
    res.on('finish', () => (entry.status = res.statusCode));
    for (const [name, value] of Object.entries(this.headers)) res.setHeader(name, value);
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Cache-Control', 'no-cache');
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(entry.url, 'http://x').pathname);
    } catch {
      return this.notFound(res);
    }
    if (pathname.endsWith('/')) pathname += 'index.html';
    const path = normalize(join(this.root, pathname));
    if (!path.startsWith(this.root + sep) || !existsSync(path) || !statSync(path).isFile()) return this.notFound(res);
    const size = statSync(path).size;
    res.setHeader('Content-Type', CONTENT_TYPES[extname(path)] ?? 'application/octet-stream');
    res.setHeader('Accept-Ranges', 'bytes');
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    let start = 0;
    let end = size - 1;
    if (range) {
      start = Number(range[1]);
      end = range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
      if (start > end) {
        res.statusCode = 416;
        res.setHeader('Content-Range', `bytes */${size}`);
        return void res.end();
      }
      res.statusCode = 206;
      res.setHeader('Content-Range', `bytes ${start}-${end}/${size}`);
    }
    res.setHeader('Content-Length', end - start + 1);
    if (entry.method === 'HEAD') return void res.end();
    createReadStream(path, { start, end }).pipe(res);
  }

  private notFound(res: ServerResponse): void {
    res.statusCode = 404;
    res.setHeader('Content-Type', 'text/plain');
    res.end('not found');
  }
}

/** The build the suite tests (`ZSP_DIST_DIR`, default dist/). */
export const DIST_DIR = resolve(REPO_ROOT, process.env.ZSP_DIST_DIR ?? 'dist');

/** A fresh copy of the build under e2e/.tmp/, to change as a new deployment would. */
export function copyBuild(name: string): string {
  const target = join(REPO_ROOT, 'e2e', '.tmp', name);
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  cpSync(DIST_DIR, target, { recursive: true });
  return target;
}
