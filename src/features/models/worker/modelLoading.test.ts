import { describe, expect, it } from 'vitest';
import { BlockedByPolicyError, HostFetch, HostStalledError, TruncatedDownloadError } from '../shared/hostFetch';
import { classifyLoadError, fileOfUrl, type LoadContext } from './modelLoading';

const HOST = 'http://hub.test/';
const MODEL = 'org/model';
const url = (file: string) => `${HOST}${MODEL}/resolve/main/${file}`;

function contextWith(failures: Record<string, { status: number; errorCode: string | null }> = {}): LoadContext {
  const hostFetch = new HostFetch(() => Promise.reject(new Error('unused')));
  for (const [file, answer] of Object.entries(failures)) hostFetch.failures.set(url(file), answer);
  return { source: { kind: 'hub', host: HOST }, modelId: MODEL, hostFetch };
}

describe('fileOfUrl', () => {
  it('gives the repository path of Hub and built-in URLs', () => {
    expect(fileOfUrl(url('onnx/vision_model.onnx'), MODEL)).toBe('onnx/vision_model.onnx');
    expect(fileOfUrl(`http://app.test/models/${MODEL}/config.json`, MODEL)).toBe('config.json');
    expect(fileOfUrl('http://elsewhere.test/x', MODEL)).toBe('http://elsewhere.test/x');
  });
});

describe('classifyLoadError', () => {
  it('tells 401, 404 and 500 apart by what the host answered for the URL transformers.js names', () => {
    const context = contextWith({
      'config.json': { status: 401, errorCode: 'RepoNotFound' },
      'onnx/text_model.onnx': { status: 404, errorCode: 'EntryNotFound' },
      'onnx/vision_model.onnx': { status: 500, errorCode: null },
    });
    const denied = classifyLoadError(new Error(`Unauthorized access to file: "${url('config.json')}".`), context);
    expect(denied.kind).toBe('no-access');
    expect(denied.message).toMatch(/was not found on http:\/\/hub\.test\/, or it is private or gated and needs access \(HTTP 401, RepoNotFound/);
    const missing = classifyLoadError(new Error(`Could not locate file: "${url('onnx/text_model.onnx')}".`), context);
    expect(missing.kind).toBe('not-found');
    expect(missing.message).toContain('onnx/text_model.onnx is missing from org/model');
    const server = classifyLoadError(new Error(`Internal server error error occurred while trying to load file: "${url('onnx/vision_model.onnx')}".`), context);
    expect(server.kind).toBe('server-error');
    expect(server.message).toContain('HTTP 500');
  });

  it('explains a stall and a cut-short download with the file and the bytes that came', () => {
    const stalled = classifyLoadError(new HostStalledError(url('onnx/vision_model.onnx'), 30_000, 65_536, 1_252_160), contextWith());
    expect(stalled.kind).toBe('stalled');
    expect(stalled.message).toContain('stopped sending data: nothing arrived for 30 s while downloading onnx/vision_model.onnx (after 64 kB of 1.2 MB)');
    const cut = classifyLoadError(new TruncatedDownloadError(url('onnx/text_model.onnx'), 100, 200, new TypeError('network error')), contextWith());
    expect(cut.kind).toBe('truncated');
    expect(cut.message).toContain('The download of onnx/text_model.onnx broke off after 100 B of 200 B');
  });

  it('finds a stall wrapped as the cause of another error', () => {
    const wrapped = new Error('load failed', { cause: new HostStalledError(url('config.json'), 3000, null, null) });
    expect(classifyLoadError(wrapped, contextWith()).kind).toBe('stalled');
  });

  it('calls an ONNX file ORT could not parse damaged, and a failed fetch unreachable', () => {
    expect(classifyLoadError(new Error("Can't create a session. ERROR_CODE: 7, ERROR_MESSAGE: Failed to load model because protobuf parsing failed."), contextWith()).kind).toBe('corrupt');
    expect(classifyLoadError(new TypeError('Failed to fetch'), contextWith()).kind).toBe('unreachable');
    expect(classifyLoadError(new Error('something else'), contextWith()).kind).toBe('other');
  });
});

describe('classifyLoadError, policy refusals', () => {
  const allowedHosts = ['https://huggingface.co', 'https://*.hf.co', 'http://127.0.0.1:*'];

  it('names a refused host and the build\'s model hosts, not "unreachable"', () => {
    const refused = 'http://[::1]:8080/org/model/resolve/main/config.json';
    const error = new BlockedByPolicyError(refused, { blockedUrl: refused, allowedHosts }, new TypeError('Failed to fetch'));
    const classified = classifyLoadError(error, { source: { kind: 'hub', host: 'http://[::1]:8080/' }, modelId: MODEL, hostFetch: null });
    expect(classified.kind).toBe('blocked-by-policy');
    expect(classified.message).toContain('The browser refused to connect to http://[::1]:8080 for config.json');
    expect(classified.message).toContain('only from https://huggingface.co https://*.hf.co http://127.0.0.1:*');
    expect(classified.message).toContain('ZSP_MODEL_HOSTS');
  });

  it('says an allowed host redirected to a refused one, also when transformers.js only kept the URL in its message', () => {
    const context = contextWith();
    const onnx = 'http://127.0.0.1:9/org/model/resolve/main/onnx/vision_model.onnx';
    context.hostFetch!.refusals.set(onnx, { blockedUrl: onnx, allowedHosts });
    const classified = classifyLoadError(new Error(`Failed to fetch ${onnx}`), context);
    expect(classified.kind).toBe('blocked-by-policy');
    expect(classified.message).toContain('http://127.0.0.1:9 redirected the download of onnx/vision_model.onnx to another host');
  });
});
