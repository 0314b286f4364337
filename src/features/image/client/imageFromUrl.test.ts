import { describe, expect, it, vi } from 'vitest';
import { fetchImageFromUrl, imageNameFromUrl, ImageUrlError, MAX_URL_IMAGE_BYTES, parseImageUrl, sniffImageType } from './imageFromUrl';

const PNG_HEAD = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13];

type Call = { url: string; init: RequestInit | undefined };

/** A fetch that answers CORS requests with `cors` and no-cors probes with `probe`, recording every call. */
function fakeFetch(cors: () => Response | Promise<Response>, probe: () => Response | Promise<Response> = () => new Response(null)) {
  const calls: Call[] = [];
  const fetchFn = (async (input: RequestInfo | URL, init?: RequestInit) => {
    calls.push({ url: input instanceof Request ? input.url : input.toString(), init });
    return init?.mode === 'no-cors' ? probe() : cors();
  }) as typeof fetch;
  return { fetchFn, calls };
}

const refuse = () => Promise.reject(new TypeError('Failed to fetch'));

describe('parseImageUrl', () => {
  it('accepts http(s) and explains anything else', () => {
    expect(parseImageUrl(' https://example.org/a.png ').href).toBe('https://example.org/a.png');
    expect(() => parseImageUrl('example.org/a.png')).toThrow(ImageUrlError);
    expect(() => parseImageUrl('file:///etc/passwd')).toThrow(/not file/);
    expect(() => parseImageUrl('javascript:alert(1)')).toThrow(/not javascript/);
  });
});

describe('imageNameFromUrl', () => {
  it('is the last path segment, decoded, ignoring query and trailing slash', () => {
    expect(imageNameFromUrl(new URL('https://h.test/photos/red%20circle.png?size=2#x'))).toBe('red circle.png');
    expect(imageNameFromUrl(new URL('https://h.test/photos/cat/'))).toBe('cat');
    expect(imageNameFromUrl(new URL('https://h.test/'))).toBe('h.test');
    expect(imageNameFromUrl(new URL('https://h.test/bad%E0name'))).toBe('bad%E0name');
  });
});

describe('sniffImageType', () => {
  it('recognises common signatures and nothing else', () => {
    expect(sniffImageType(new Uint8Array(PNG_HEAD))).toBe('image/png');
    expect(sniffImageType(new Uint8Array([0xff, 0xd8, 0xff, 0xe0]))).toBe('image/jpeg');
    expect(sniffImageType(new Uint8Array([...'RIFF'].map((c) => c.charCodeAt(0)).concat([1, 2, 3, 4], [...'WEBP'].map((c) => c.charCodeAt(0)))))).toBe('image/webp');
    expect(sniffImageType(new TextEncoder().encode('<!doctype html>'))).toBeNull();
    expect(sniffImageType(new Uint8Array([0x89, 0x50]))).toBeNull();
  });
});

describe('fetchImageFromUrl', () => {
  it('returns a file named after the URL, fetched in CORS mode without cookies', async () => {
    const { fetchFn, calls } = fakeFetch(() => new Response(new Uint8Array(PNG_HEAD), { headers: { 'content-type': 'image/png' } }));
    const file = await fetchImageFromUrl('http://127.0.0.1:9/img/blue-cross.png', fetchFn);
    expect(file.name).toBe('blue-cross.png');
    expect(file.type).toBe('image/png');
    expect(file.size).toBe(PNG_HEAD.length);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.init).toMatchObject({ mode: 'cors', credentials: 'omit' });
  });

  it('recognises an image sent as octet-stream by its bytes', async () => {
    const { fetchFn } = fakeFetch(() => new Response(new Uint8Array(PNG_HEAD), { headers: { 'content-type': 'application/octet-stream' } }));
    expect((await fetchImageFromUrl('https://h.test/x', fetchFn)).type).toBe('image/png');
  });

  it('says so when the address is not an image', async () => {
    const { fetchFn } = fakeFetch(() => new Response('<html></html>', { headers: { 'content-type': 'text/html; charset=utf-8' } }));
    await expect(fetchImageFromUrl('https://h.test/page', fetchFn)).rejects.toThrow('That address is not an image: the server sent text/html.');
  });

  it('reports the HTTP status', async () => {
    const { fetchFn } = fakeFetch(() => new Response('gone', { status: 404, statusText: 'Not Found' }));
    await expect(fetchImageFromUrl('https://h.test/x.png', fetchFn)).rejects.toThrow('The server at h.test answered 404 Not Found');
  });

  it('refuses a file larger than the limit before reading it', async () => {
    const { fetchFn } = fakeFetch(() => new Response('x', { headers: { 'content-length': String(MAX_URL_IMAGE_BYTES + 1), 'content-type': 'image/png' } }));
    await expect(fetchImageFromUrl('https://h.test/big.png', fetchFn)).rejects.toThrow(/up to 50 MB/);
  });

  it('explains a CORS refusal when the server answers a no-cors probe', async () => {
    const { fetchFn, calls } = fakeFetch(refuse);
    await expect(fetchImageFromUrl('https://img.test:8443/a.png', fetchFn)).rejects.toThrow(
      new ImageUrlError("The server at img.test:8443 doesn't allow other sites to read its images (CORS); download it and drop the file instead."),
    );
    expect(calls.map((c) => c.init?.mode)).toEqual(['cors', 'no-cors']);
  });

  it('still names CORS, and also an unreachable server, when the probe fails too', async () => {
    const { fetchFn } = fakeFetch(refuse, refuse);
    await expect(fetchImageFromUrl('https://img.test/a.png', fetchFn)).rejects.toThrow(/\(CORS\).*offline or unreachable/);
  });

  it('passes other failures through', async () => {
    const { fetchFn } = fakeFetch(() => Promise.reject(new DOMException('stop', 'AbortError')));
    await expect(fetchImageFromUrl('https://img.test/a.png', fetchFn)).rejects.toThrow('stop');
  });
});

describe('fetchImageFromUrl under the app Content-Security-Policy', () => {
  it('refuses a host the policy does not allow before fetching, and says what to do', async () => {
    const { fetchFn, calls } = fakeFetch(() => new Response(new Uint8Array(PNG_HEAD), { headers: { 'content-type': 'image/png' } }));
    vi.stubGlobal('location', { origin: 'https://app.test' });
    const policy = "default-src 'self'; connect-src 'self' https://huggingface.co http://127.0.0.1:*";
    await expect(fetchImageFromUrl('https://img.test/a.png', fetchFn, policy)).rejects.toThrow(
      'This app only connects to its model hosts, not to img.test (its Content-Security-Policy keeps your data on this device); save the image and drop the file instead.',
    );
    expect(calls).toEqual([]);
    expect((await fetchImageFromUrl('http://127.0.0.1:9/a.png', fetchFn, policy)).name).toBe('a.png');
  });
});
