import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MODEL_HOSTS,
  allowedConnectHosts,
  contentSecurityPolicy,
  directiveSources,
  parseModelHosts,
  policyAllowsConnect,
  sourceAllowsUrl,
} from './contentSecurityPolicy';

const SELF = 'https://app.example';

describe('contentSecurityPolicy', () => {
  const policy = contentSecurityPolicy(DEFAULT_MODEL_HOSTS, 'meta');

  it('allows our own scripts and WebAssembly, and no eval, inline script, blob: or plugin', () => {
    expect(directiveSources(policy, 'script-src')).toEqual(["'self'", "'wasm-unsafe-eval'"]);
    expect(directiveSources(policy, 'worker-src')).toEqual(["'self'"]);
    expect(directiveSources(policy, 'object-src')).toEqual(["'none'"]);
    expect(directiveSources(policy, 'base-uri')).toEqual(["'none'"]);
    expect(policy).not.toMatch(/unsafe-inline|'unsafe-eval'/);
  });

  it('connects only to the app and the model hosts', () => {
    expect(directiveSources(policy, 'connect-src')).toEqual(["'self'", ...DEFAULT_MODEL_HOSTS]);
    expect(allowedConnectHosts(policy)).toEqual(DEFAULT_MODEL_HOSTS);
  });

  it('puts frame-ancestors only in the header form (a <meta> policy cannot carry it)', () => {
    expect(directiveSources(policy, 'frame-ancestors')).toBeNull();
    expect(directiveSources(contentSecurityPolicy(DEFAULT_MODEL_HOSTS, 'header'), 'frame-ancestors')).toEqual(["'none'"]);
  });
});

describe('parseModelHosts', () => {
  it('defaults to the Hub, its CDN domains and this machine', () => {
    expect(parseModelHosts(undefined)).toEqual(DEFAULT_MODEL_HOSTS);
    expect(parseModelHosts('  ')).toEqual(DEFAULT_MODEL_HOSTS);
  });

  it('takes a comma or space separated list of host sources', () => {
    expect(parseModelHosts('https://hf-mirror.com/, https://*.example.org  http://10.0.0.5:8080')).toEqual([
      'https://hf-mirror.com',
      'https://*.example.org',
      'http://10.0.0.5:8080',
    ]);
  });

  it.each(['*', 'https:', 'https://*', 'https://hf-mirror.com/models', "'unsafe-inline'", 'hf-mirror.com', 'https://a.com;script-src *'])(
    'refuses %s, which would widen the policy or is not a host',
    (host) => {
      expect(() => parseModelHosts(host)).toThrow(/ZSP_MODEL_HOSTS/);
    },
  );
});

describe('sourceAllowsUrl', () => {
  const allows = (source: string, url: string) => sourceAllowsUrl(source, new URL(url), SELF);

  it("matches 'self' by origin", () => {
    expect(allows("'self'", 'https://app.example/models/x.onnx')).toBe(true);
    expect(allows("'self'", 'https://app.example:8443/')).toBe(false);
  });

  it('matches the Hub and the hosts its downloads redirect to, at any depth, but no look-alike', () => {
    expect(allows('https://huggingface.co', 'https://huggingface.co/org/m/resolve/main/config.json')).toBe(true);
    expect(allows('https://*.hf.co', 'https://cas-bridge.xethub.hf.co/xet-bridge-us/abc')).toBe(true);
    expect(allows('https://*.hf.co', 'https://us.aws.cdn.hf.co/xet-bridge-us/abc')).toBe(true);
    expect(allows('https://*.huggingface.co', 'https://cdn-lfs.huggingface.co/repos/x')).toBe(true);
    expect(allows('https://*.hf.co', 'https://hf.co/')).toBe(false);
    expect(allows('https://*.hf.co', 'https://evilhf.co/')).toBe(false);
    expect(allows('https://huggingface.co', 'https://huggingface.co.evil.example/')).toBe(false);
    expect(allows('https://huggingface.co', 'http://huggingface.co/')).toBe(false);
  });

  it('matches ports: none means the default, * any, and http upgrades to https', () => {
    expect(allows('http://localhost:*', 'http://localhost:5173/x')).toBe(true);
    expect(allows('http://127.0.0.1:*', 'http://127.0.0.1/x')).toBe(true);
    expect(allows('http://127.0.0.1:*', 'http://127.0.0.2:80/x')).toBe(false);
    expect(allows('https://hf-mirror.com', 'https://hf-mirror.com:8443/')).toBe(false);
    expect(allows('http://10.0.0.5:8080', 'http://10.0.0.5:8080/a')).toBe(true);
    expect(allows('http://mirror.lan', 'https://mirror.lan/a')).toBe(true);
    expect(allows('http://localhost:*', 'http://[::1]:5173/x')).toBe(false);
  });

  it('matches scheme sources', () => {
    expect(allows('blob:', 'blob:https://app.example/1234')).toBe(true);
    expect(allows('data:', 'blob:https://app.example/1234')).toBe(false);
  });
});

describe('policyAllowsConnect', () => {
  const policy = contentSecurityPolicy(DEFAULT_MODEL_HOSTS, 'meta');

  it('allows the Hub and this machine, refuses any other host', () => {
    expect(policyAllowsConnect(policy, new URL('https://huggingface.co/'), SELF)).toBe(true);
    expect(policyAllowsConnect(policy, new URL('http://localhost:9000/'), SELF)).toBe(true);
    expect(policyAllowsConnect(policy, new URL('https://hf-mirror.com/'), SELF)).toBe(false);
    expect(policyAllowsConnect(policy, new URL('http://[::1]:9000/'), SELF)).toBe(false);
  });

  it('falls back to default-src, and allows everything without a policy (the dev server)', () => {
    expect(policyAllowsConnect("default-src 'self'", new URL('https://huggingface.co/'), SELF)).toBe(false);
    expect(policyAllowsConnect(null, new URL('https://anything.example/'), SELF)).toBe(true);
  });
});
