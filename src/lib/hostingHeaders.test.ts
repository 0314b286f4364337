import { describe, expect, it } from 'vitest';
import { hostingHeaderFiles, type HostingHeaders } from './hostingHeaders';

const HEADERS: HostingHeaders = {
  all: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Content-Security-Policy': "default-src 'self'; frame-ancestors 'none'" },
  paths: [{ pattern: '/assets/*', headers: { 'Cache-Control': 'public, max-age=31536000, immutable' } }],
};

function file(name: string): string {
  const found = hostingHeaderFiles(HEADERS).find((candidate) => candidate.fileName === name);
  if (!found) throw new Error(`no ${name}`);
  return found.source;
}

/** Netlify's documented `_headers` grammar: a path line, then indented `Name: value` lines. */
function parseNetlify(text: string): Record<string, Record<string, string>> {
  const rules: Record<string, Record<string, string>> = {};
  let current: Record<string, string> | null = null;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    if (!line.startsWith(' ')) {
      current = rules[line] = {};
      continue;
    }
    const [, name, value] = /^\s+([^:]+):\s(.*)$/.exec(line) ?? [];
    if (!current || !name || value === undefined) throw new Error(`bad line: ${line}`);
    current[name] = value;
  }
  return rules;
}

describe('hostingHeaderFiles', () => {
  it('writes Netlify / Cloudflare Pages _headers: every header on /*, the extras on their paths', () => {
    expect(parseNetlify(file('_headers'))).toEqual({ '/*': HEADERS.all, '/assets/*': HEADERS.paths[0]!.headers });
  });

  it('writes vercel.json with path-to-regexp sources', () => {
    const config = JSON.parse(file('vercel.json')) as { headers: Array<{ source: string; headers: Array<{ key: string; value: string }> }> };
    expect(config.headers.map((rule) => rule.source)).toEqual(['/(.*)', '/assets/(.*)']);
    expect(Object.fromEntries(config.headers[0]!.headers.map(({ key, value }) => [key, value]))).toEqual(HEADERS.all);
  });

  it('writes staticwebapp.config.json with global headers, routes and the MIME types it may not know', () => {
    const config = JSON.parse(file('staticwebapp.config.json')) as {
      globalHeaders: Record<string, string>;
      routes: Array<{ route: string; headers: Record<string, string> }>;
      mimeTypes: Record<string, string>;
    };
    expect(config.globalHeaders).toEqual(HEADERS.all);
    expect(config.routes).toEqual([{ route: '/assets/*', headers: HEADERS.paths[0]!.headers }]);
    expect(config.mimeTypes['.wasm']).toBe('application/wasm');
  });
});
