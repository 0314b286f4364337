/**
 * A local stand-in for the Hugging Face Hub that answers the way huggingface.co does, so the app is
 * tested against the Hub's real behaviour rather than a friendlier one:
 *
 * - `GET|HEAD /{org}/{name}/resolve/{revision}/{path}` on the Hub origin. Small files are served
 *   directly with their git blob SHA-1 as ETag; large files (LFS: `.onnx`, or over 1 MB) answer
 *   **302** to a second origin (the "CDN", another port with its own CORS headers) whose path
 *   carries the file's SHA-256, as huggingface.co redirects to cdn-lfs / cas-bridge.xethub.hf.co.
 *   The 302 carries `X-Linked-Size`, `X-Linked-Etag` (the SHA-256) and `X-Repo-Commit`.
 * - Content-hash ETags on both origins; `If-None-Match` with the current ETag → 304.
 * - A missing **or private** repository → 401 with `X-Error-Code: RepoNotFound` (the Hub does not
 *   tell them apart); a missing file in an existing repository → 404 `EntryNotFound`.
 * - Range requests (transformers.js probes sizes with `Range: bytes=0-0`), OPTIONS preflights,
 *   CORS + CORP headers (the app is cross-origin isolated: COEP require-corp).
 *
 *   const hub = await HubServer.start({ 'test-org/clip-shapes': BUILTIN_MODEL_DIR });
 *   page.goto(`/?model=test-org/clip-shapes&hub=${hub.url}`);
 *   hub.requestsFor('onnx/vision_model.onnx');  // what the app fetched, from either origin
 *   hub.mode = 'stall'; hub.faultFiles = /vision_model/;   // faults, see HubMode
 *   await hub.goOffline(); await hub.goOnline();           // the Hub origin down and back, same port
 *   await hub.stop();
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
/** The built-in model's files (E2E_MODELS_ROOT overrides `public/models`, e.g. to try another export). */
export const MODELS_ROOT = process.env.E2E_MODELS_ROOT ?? join(REPO_ROOT, 'public', 'models');
export const BUILTIN_MODEL_DIR = join(MODELS_ROOT, 'builtin', 'clip-shapes');
export const BUILTIN_WHISPER_DIR = join(MODELS_ROOT, 'builtin', 'whisper-words');
export const DEFAULT_HUB_MODELS: Readonly<Record<string, string>> = { 'test-org/clip-shapes': BUILTIN_MODEL_DIR };

/** Files above this size are "LFS" files, served through the CDN redirect (as are all `.onnx` files). */
export const LFS_THRESHOLD_BYTES = 1_000_000;
/** A stalled download sends this much of the body (or half the file, if smaller) and then nothing. */
export const STALL_AFTER_BYTES = 64 * 1024;

/**
 * How the mimic misbehaves, for the files matching `faultFiles` (all files when unset):
 * - `not-found`: the Hub answers 404 EntryNotFound.
 * - `server-error`: the Hub answers 500.
 * - `stall`: headers and the first STALL_AFTER_BYTES of the body, then silence (the socket stays open).
 * - `truncate`: `Content-Length` says the full size, half the body is sent, then the connection closes.
 * - `corrupt`: the right length of deterministic random bytes instead of the file.
 * The body faults (`stall`, `truncate`, `corrupt`) apply to downloads (GETs without a Range header),
 * on whichever origin sends the body (the CDN for LFS files). Missing and private repositories
 * answer 401 in every mode.
 */
export type HubMode = 'normal' | 'not-found' | 'server-error' | 'stall' | 'truncate' | 'corrupt';

export type HubOrigin = 'hub' | 'cdn';

export interface HubRequest {
  origin: HubOrigin;
  method: string;
  /** Raw request path + query. */
  url: string;
  /** `org/name`: from the resolve path on the Hub, from the SHA-256 in the path on the CDN. */
  model?: string;
  revision?: string;
  /** File path inside the repository, e.g. `onnx/vision_model.onnx`. */
  file?: string;
  range?: string;
  ifNoneMatch?: string;
  status: number;
  /** Body bytes sent. */
  bytes: number;
  /** The client closed the connection before the whole response was sent (an abort, a cancel). */
  closedEarly?: boolean;
  /** Where a 302 pointed. */
  location?: string;
  at: number;
}

export interface HubOptions {
  /** Repositories that exist but are private or gated: they answer 401 RepoNotFound like missing ones. */
  privateRepos?: readonly string[];
  /**
   * The address the CDN origin listens on (default 127.0.0.1). `::1` puts it where the app's
   * policy can't reach (CSP host sources can't name an IPv6 address): a mirror whose CDN hop the build doesn't list.
   */
  cdnHost?: '127.0.0.1' | '::1';
}

const CORS_HEADERS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Expose-Headers':
    'Content-Length, ETag, Content-Range, Accept-Ranges, X-Repo-Commit, X-Linked-Size, X-Linked-Etag, X-Error-Code, X-Error-Message',
  'Cross-Origin-Resource-Policy': 'cross-origin',
} as const;

const CDN_CORS_HEADERS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Expose-Headers': 'Content-Length, Content-Range, ETag, Accept-Ranges',
  'Cross-Origin-Resource-Policy': 'cross-origin',
} as const;

const CONTENT_TYPES: Record<string, string> = {
  '.json': 'application/json',
  '.onnx': 'application/octet-stream',
  '.txt': 'text/plain; charset=utf-8',
  '.model': 'application/octet-stream',
};

const RESOLVE_PATH = /^\/([^/]+)\/([^/]+)\/resolve\/([^/]+)\/(.+)$/;
/** `/repos/{aa}/{bb}/{repo hash}/{sha256}`, the shape of cdn-lfs.hf.co object paths. */
const CDN_PATH = /^\/repos\/[0-9a-f]{2}\/[0-9a-f]{2}\/[0-9a-f]{64}\/([0-9a-f]{64})$/;
const REPO_COMMIT = 'f0e1d2c3b4a5968778695a4b3c2d1e0f12345678';

interface FileIdentity {
  size: number;
  /** Git blob SHA-1 of the file (small files) or of its LFS pointer (large files), the Hub's ETag. */
  gitSha: string;
  /** SHA-256 of the content: the LFS object id, X-Linked-Etag and the CDN's ETag. */
  sha256: string;
  lfs: boolean;
}

interface CdnObject {
  model: string;
  file: string;
  path: string;
}

function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

function gitBlobSha(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

/** Deterministic noise (xorshift32) the size of the real file: a CDN handing out the wrong bytes. */
function corruptBytes(size: number, seed: string): Buffer {
  const out = Buffer.alloc(size);
  let x = Number.parseInt(sha256Hex(seed).slice(0, 8), 16) | 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

async function listen(server: Server, port = 0, host = '127.0.0.1'): Promise<number> {
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  return (server.address() as AddressInfo).port;
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
}

export class HubServer {
  /** `http://127.0.0.1:PORT/`, the value for the app's `?hub=` parameter. */
  readonly url: string;
  readonly port: number;
  /** The CDN origin large files redirect to. */
  readonly cdnUrl: string;
  mode: HubMode = 'normal';
  /** Which files a fault applies to (repository paths); all when null. */
  faultFiles: RegExp | null = null;
  /** Both origins' requests, in arrival order. */
  readonly requests: HubRequest[] = [];
  /** Set to log every request to stdout (handy when debugging a spec). */
  verbose = process.env.HUB_VERBOSE === '1';

  private readonly identities = new Map<string, FileIdentity>();
  private readonly cdnObjects = new Map<string, CdnObject>();
  private readonly privateRepos: ReadonlySet<string>;
  private hubServer: Server;
  private offline = false;

  private constructor(
    hubServer: Server,
    private readonly cdnServer: Server,
    hubPort: number,
    cdnPort: number,
    private readonly models: Record<string, string>,
    options: HubOptions,
  ) {
    this.hubServer = hubServer;
    this.port = hubPort;
    this.url = `http://127.0.0.1:${hubPort}/`;
    const cdnHost = options.cdnHost ?? '127.0.0.1';
    this.cdnUrl = `http://${cdnHost.includes(':') ? `[${cdnHost}]` : cdnHost}:${cdnPort}/`;
    this.privateRepos = new Set(options.privateRepos ?? []);
  }

  static async start(models: Readonly<Record<string, string>> = DEFAULT_HUB_MODELS, options: HubOptions = {}): Promise<HubServer> {
    // No request can arrive before `hub` exists: nobody knows the ports until start() returns.
    const hubServer = HubServer.createOriginServer((req, res) => hub.handleHub(req, res));
    const cdnServer = HubServer.createOriginServer((req, res) => hub.handleCdn(req, res));
    const [hubPort, cdnPort] = [await listen(hubServer), await listen(cdnServer, 0, options.cdnHost)];
    const hub = new HubServer(hubServer, cdnServer, hubPort, cdnPort, { ...models }, options);
    return hub;
  }

  private static createOriginServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Server {
    const server = createServer(handler);
    // Keep-alive sockets would otherwise hold `stop()` open.
    server.keepAliveTimeout = 1000;
    return server;
  }

  async stop(): Promise<void> {
    await Promise.all([this.offline ? Promise.resolve() : close(this.hubServer), close(this.cdnServer)]);
  }

  /** The Hub origin goes down: its port refuses connections (open ones are dropped) until goOnline(). */
  async goOffline(): Promise<void> {
    if (this.offline) return;
    this.offline = true;
    await close(this.hubServer);
  }

  /** The Hub origin comes back on the same port. */
  async goOnline(): Promise<void> {
    if (!this.offline) return;
    this.hubServer = HubServer.createOriginServer((req, res) => this.handleHub(req, res));
    await listen(this.hubServer, this.port);
    this.offline = false;
  }

  /** Forgets the request log (e.g. just before a reload whose requests a test wants to count). */
  clearLog(): void {
    this.requests.length = 0;
  }

  /** Requests for a repository file (model-relative path) on either origin, excluding CORS preflights. */
  requestsFor(file: string | RegExp, origin?: HubOrigin): HubRequest[] {
    return this.requests.filter(
      (r) =>
        r.method !== 'OPTIONS' &&
        (origin === undefined || r.origin === origin) &&
        r.file !== undefined &&
        (typeof file === 'string' ? r.file === file : file.test(r.file)),
    );
  }

  /** Requests per file path (or raw URL when not a model file), both origins, excluding preflights. */
  countsByPath(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const r of this.requests) {
      if (r.method === 'OPTIONS') continue;
      const key = r.file ?? r.url;
      counts[key] = (counts[key] ?? 0) + 1;
    }
    return counts;
  }

  /** The repository file's identity as the Hub reports it (size, ETags, whether it goes through the CDN). */
  fileInfo(model: string, file: string): FileIdentity {
    const root = this.models[model];
    if (!root) throw new Error(`no model ${model} in the mimic`);
    return this.identityOf(join(root, file));
  }

  /** A human-readable log, for assertion messages. */
  describe(requests: readonly HubRequest[] = this.requests): string {
    if (requests.length === 0) return '(no requests)';
    return requests
      .map(
        (r) =>
          `[${r.origin}] ${r.method} ${r.file && r.origin === 'cdn' ? `(${r.file}) ` : ''}${r.url}` +
          `${r.range ? ` [Range: ${r.range}]` : ''}${r.ifNoneMatch ? ` [If-None-Match: ${r.ifNoneMatch}]` : ''}` +
          ` -> ${r.status} (${r.bytes} B)${r.closedEarly ? ' closed early' : ''}`,
      )
      .join('\n');
  }

  // ---- the Hub origin -------------------------------------------------------------------------

  private handleHub(req: IncomingMessage, res: ServerResponse): void {
    const entry = this.logEntry('hub', req, res);
    const match = RESOLVE_PATH.exec(decodeURIComponent(new URL(entry.url, 'http://hub.invalid').pathname));
    if (match) {
      entry.model = `${match[1]}/${match[2]}`;
      entry.revision = match[3];
      entry.file = match[4];
    }
    for (const [k, v] of Object.entries(CORS_HEADERS)) res.setHeader(k, v);
    if (this.answeredPreflightOrMethod(req, res, entry)) return;
    if (!match || !entry.model || !entry.file) {
      this.sendError(res, entry, 404, 'Not found');
      return;
    }
    const root = this.models[entry.model];
    if (!root || this.privateRepos.has(entry.model)) {
      // huggingface.co answers a missing and a private (or gated, without access) repository alike.
      this.sendError(res, entry, 401, 'Repository not found', 'RepoNotFound');
      return;
    }
    const faulty = this.mode !== 'normal' && (this.faultFiles === null || this.faultFiles.test(entry.file));
    if (faulty && this.mode === 'server-error') {
      this.sendError(res, entry, 500, 'Internal Error - We\'re working hard to fix this as soon as possible!');
      return;
    }
    const filePath = normalize(join(root, entry.file));
    if ((faulty && this.mode === 'not-found') || !filePath.startsWith(normalize(root) + sep) || !existsSync(filePath) || !statSync(filePath).isFile()) {
      this.sendError(res, entry, 404, 'Entry not found', 'EntryNotFound');
      return;
    }
    const identity = this.identityOf(filePath);
    res.setHeader('X-Repo-Commit', REPO_COMMIT);
    if (identity.lfs) {
      this.redirectToCdn(res, entry, identity, entry.model, entry.file, filePath);
      return;
    }
    this.sendBody(req, res, entry, filePath, identity, `"${identity.gitSha}"`, faulty);
  }

  private redirectToCdn(res: ServerResponse, entry: HubRequest, identity: FileIdentity, model: string, file: string, filePath: string): void {
    this.cdnObjects.set(identity.sha256, { model, file, path: filePath });
    const repoHash = sha256Hex(`models/${model}`);
    const name = basename(file);
    const query = new URLSearchParams({
      'response-content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(name)}; filename="${name}";`,
      // Like the real signed CDN URLs, each redirect is a different URL (so the browser's HTTP cache can't answer for the CDN).
      Expires: String(Math.floor(Date.now() / 1000) + 3600),
      Signature: sha256Hex(`${identity.sha256}:${Date.now()}:${Math.random()}`).slice(0, 32),
    });
    const location = `${this.cdnUrl}repos/${repoHash.slice(0, 2)}/${repoHash.slice(2, 4)}/${repoHash}/${identity.sha256}?${query.toString()}`;
    const body = Buffer.from(`Found. Redirecting to ${location}`);
    res.setHeader('Location', location);
    res.setHeader('X-Linked-Size', String(identity.size));
    res.setHeader('X-Linked-Etag', `"${identity.sha256}"`);
    res.setHeader('ETag', `"${identity.gitSha}"`);
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    res.setHeader('Content-Length', String(body.length));
    entry.status = 302;
    entry.location = location;
    res.writeHead(302);
    entry.bytes = res.req.method === 'HEAD' ? 0 : body.length;
    res.end(res.req.method === 'HEAD' ? undefined : body);
  }

  // ---- the CDN origin -------------------------------------------------------------------------

  private handleCdn(req: IncomingMessage, res: ServerResponse): void {
    const entry = this.logEntry('cdn', req, res);
    const match = CDN_PATH.exec(new URL(entry.url, 'http://cdn.invalid').pathname);
    const object = match ? this.cdnObjects.get(match[1]!) : undefined;
    if (object) {
      entry.model = object.model;
      entry.file = object.file;
    }
    for (const [k, v] of Object.entries(CDN_CORS_HEADERS)) res.setHeader(k, v);
    if (this.answeredPreflightOrMethod(req, res, entry)) return;
    if (!object) {
      this.sendError(res, entry, 403, 'Access Denied');
      return;
    }
    const faulty = this.mode !== 'normal' && (this.faultFiles === null || this.faultFiles.test(object.file));
    const identity = this.identityOf(object.path);
    res.setHeader('Cache-Control', 'public, max-age=604800, immutable');
    this.sendBody(req, res, entry, object.path, identity, `"${identity.sha256}"`, faulty);
  }

  // ---- shared ---------------------------------------------------------------------------------

  private logEntry(origin: HubOrigin, req: IncomingMessage, res: ServerResponse): HubRequest {
    const entry: HubRequest = { origin, method: req.method ?? 'GET', url: req.url ?? '/', status: 0, bytes: 0, at: Date.now() };
    if (req.headers.range) entry.range = req.headers.range;
    if (req.headers['if-none-match']) entry.ifNoneMatch = req.headers['if-none-match'];
    this.requests.push(entry);
    res.on('close', () => {
      if (!res.writableFinished) entry.closedEarly = true;
      if (this.verbose) console.log(`[hub] ${this.describe([entry])}`);
    });
    return entry;
  }

  /** Answers OPTIONS and refuses other methods than GET/HEAD; true when the request was answered. */
  private answeredPreflightOrMethod(req: IncomingMessage, res: ServerResponse, entry: HubRequest): boolean {
    if (entry.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Methods', 'GET, HEAD, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', req.headers['access-control-request-headers'] ?? '*');
      res.setHeader('Access-Control-Max-Age', '0');
      entry.status = 204;
      res.writeHead(204).end();
      return true;
    }
    if (entry.method !== 'GET' && entry.method !== 'HEAD') {
      this.sendError(res, entry, 405, 'Method not allowed');
      return true;
    }
    return false;
  }

  private identityOf(filePath: string): FileIdentity {
    const stat = statSync(filePath);
    const key = `${filePath}:${stat.size}:${stat.mtimeMs}`;
    const known = this.identities.get(key);
    if (known) return known;
    const content = readFileSync(filePath);
    const sha256 = sha256Hex(content);
    const lfs = extname(filePath) === '.onnx' || content.length > LFS_THRESHOLD_BYTES;
    // An LFS file's git blob is its pointer; that is what git (and the Hub's ETag on the redirect) knows it by.
    const pointer = Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${sha256}\nsize ${content.length}\n`);
    const identity: FileIdentity = { size: content.length, gitSha: gitBlobSha(lfs ? pointer : content), sha256, lfs };
    this.identities.set(key, identity);
    return identity;
  }

  private sendBody(req: IncomingMessage, res: ServerResponse, entry: HubRequest, filePath: string, identity: FileIdentity, etag: string, faulty: boolean): void {
    const size = identity.size;
    res.setHeader('Content-Type', CONTENT_TYPES[extname(filePath)] ?? 'application/octet-stream');
    res.setHeader('Accept-Ranges', 'bytes');
    res.setHeader('ETag', etag);
    if (!res.hasHeader('Cache-Control')) res.setHeader('Cache-Control', 'public, max-age=0, must-revalidate');

    const ifNoneMatch = req.headers['if-none-match'];
    if (ifNoneMatch && ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag)) {
      entry.status = 304;
      res.writeHead(304).end();
      return;
    }

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
    const download = faulty && !range;
    const content = download && this.mode === 'corrupt' ? corruptBytes(size, filePath) : readFileSync(filePath);
    const body = content.subarray(start, end + 1);
    if (download && this.mode === 'stall') {
      // Headers and a first part, then nothing: the socket stays open until the client gives up.
      const part = body.subarray(0, Math.min(STALL_AFTER_BYTES, Math.floor(body.length / 2)));
      entry.bytes = part.length;
      res.write(part);
      return;
    }
    if (download && this.mode === 'truncate') {
      const part = body.subarray(0, Math.floor(body.length / 2));
      entry.bytes = part.length;
      res.write(part, () => res.destroy());
      return;
    }
    entry.bytes = body.length;
    res.end(body);
  }

  private sendRangeNotSatisfiable(res: ServerResponse, entry: HubRequest, size: number): void {
    res.setHeader('Content-Range', `bytes */${size}`);
    this.sendError(res, entry, 416, 'Requested range not satisfiable');
  }

  private sendError(res: ServerResponse, entry: HubRequest, status: number, message: string, code?: string): void {
    const body = Buffer.from(JSON.stringify({ error: message }));
    entry.status = status;
    entry.bytes = res.req.method === 'HEAD' ? 0 : body.length;
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
  const port = await listen(server);
  await new Promise<void>((r) => server.close(() => r()));
  return `http://127.0.0.1:${port}/`;
}
