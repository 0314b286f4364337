/**
 * A recording reverse proxy: forwards every request to `target` unchanged and keeps, on the
 * server side, what arrived — method, path, every header and the body bytes — and what went back
 * (status, a redirect's Location). The privacy spec puts one in front of the preview server and
 * one in front of the Hub mimic, so it has each server's own record of what the browser sent,
 * independent of the browser's events.
 *
 *   const proxy = await RecordingProxy.start('http://127.0.0.1:4173');
 *   page.goto(`${proxy.origin}/`);  proxy.records;  await proxy.stop();
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxiedRequest {
  method: string;
  /** Path and query as received. */
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** 0 until the upstream answered (or 502 when it could not be reached). */
  status: number;
  /** A redirect's absolute target, as sent to the browser. */
  location?: string;
}

export class RecordingProxy {
  readonly records: ProxiedRequest[] = [];
  readonly origin: string;

  private constructor(
    private readonly server: Server,
    readonly target: URL,
  ) {
    this.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  static async start(target: string): Promise<RecordingProxy> {
    const upstream = new URL(target);
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const record: ProxiedRequest = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks), status: 0 };
        proxy.records.push(record);
        const forwarded = httpRequest(
          { host: upstream.hostname, port: upstream.port, method: record.method, path: record.url, headers: { ...req.headers, host: upstream.host } },
          (answer) => {
            record.status = answer.statusCode ?? 0;
            const location = answer.headers.location;
            if (location) record.location = new URL(location, `${proxy.origin}${record.url}`).href;
            res.writeHead(record.status, answer.headers);
            answer.pipe(res);
          },
        );
        forwarded.on('error', () => {
          record.status = 502;
          res.writeHead(502).end();
        });
        forwarded.end(record.body);
      });
    });
    server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const proxy = new RecordingProxy(server, upstream);
    return proxy;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
