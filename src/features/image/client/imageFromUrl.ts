import { policyAllowsConnect, policyFromDocument } from '../../../lib/contentSecurityPolicy';

/** Larger downloads are refused: a picture for classification is never this big. */
export const MAX_URL_IMAGE_BYTES = 50 * 1024 * 1024;

/** A failure meant to be shown as it is: its message says what happened and what to do. */
export class ImageUrlError extends Error {
  override name = 'ImageUrlError';
}

/** Only absolute http(s) addresses are fetched; anything else is explained. */
export function parseImageUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new ImageUrlError('That is not a web address; paste one that starts with https://.');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ImageUrlError(`Only http and https addresses can be fetched, not ${url.protocol.replace(/:$/, '')}.`);
  }
  return url;
}

/** The item's name: the URL's last path segment (decoded), or its host when the path is empty. */
export function imageNameFromUrl(url: URL): string {
  const segment = url.pathname.split('/').filter(Boolean).pop();
  if (!segment) return url.hostname;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

const SIGNATURES: ReadonlyArray<{ type: string; bytes: ReadonlyArray<number | null> }> = [
  { type: 'image/png', bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
  { type: 'image/jpeg', bytes: [0xff, 0xd8, 0xff] },
  { type: 'image/gif', bytes: [0x47, 0x49, 0x46, 0x38] },
  // RIFF....WEBP
  { type: 'image/webp', bytes: [0x52, 0x49, 0x46, 0x46, null, null, null, null, 0x57, 0x45, 0x42, 0x50] },
  { type: 'image/bmp', bytes: [0x42, 0x4d] },
  // ....ftypavif
  { type: 'image/avif', bytes: [null, null, null, null, 0x66, 0x74, 0x79, 0x70, 0x61, 0x76, 0x69, 0x66] },
];

/** The image type the first bytes announce, or null: servers often send images as octet-stream. */
export function sniffImageType(head: Uint8Array): string | null {
  const match = SIGNATURES.find(({ bytes }) => bytes.length <= head.length && bytes.every((byte, i) => byte === null || head[i] === byte));
  return match?.type ?? null;
}

function blockedByPolicyMessage(host: string): string {
  return `This app only connects to its model hosts, not to ${host} (its Content-Security-Policy keeps your data on this device); save the image and drop the file instead.`;
}

/** The page's Content-Security-Policy (the built index.html's <meta>); none in the dev server and in unit tests. */
function pagePolicy(): string | null {
  return typeof document === 'undefined' ? null : policyFromDocument(document);
}

function corsMessage(host: string): string {
  return `The server at ${host} doesn't allow other sites to read its images (CORS); download it and drop the file instead.`;
}

/**
 * Why a CORS-mode fetch rejected. The browser hides the reason (a refused CORS read and an
 * unreachable server both reject with a TypeError), so a no-cors HEAD asks whether the server
 * answers at all: if it does, CORS was the refusal. Under this app's COEP the probe itself is
 * blocked unless the server sends Cross-Origin-Resource-Policy, so a failed probe proves nothing.
 */
async function explainRejectedFetch(url: URL, fetchFn: typeof fetch): Promise<string> {
  const reachable = await fetchFn(url, { mode: 'no-cors', method: 'HEAD', credentials: 'omit', cache: 'no-store' }).then(
    () => true,
    () => false,
  );
  if (reachable) return corsMessage(url.host);
  return `${corsMessage(url.host)} (If the address is right, the server may also be offline or unreachable.)`;
}

/**
 * Downloads an image by the browser itself (CORS mode, no cookies): the result is a File named
 * after the URL, with an image type, or an ImageUrlError that explains the refusal.
 */
export async function fetchImageFromUrl(text: string, fetchFn: typeof fetch = fetch, policy: string | null = pagePolicy()): Promise<File> {
  const url = parseImageUrl(text);
  // The browser would refuse it with the same bare TypeError as an unreachable server; say why instead.
  if (policy !== null && !policyAllowsConnect(policy, url, location.origin)) throw new ImageUrlError(blockedByPolicyMessage(url.host));
  let response: Response;
  try {
    response = await fetchFn(url, { mode: 'cors', credentials: 'omit' });
  } catch (error) {
    if (error instanceof TypeError) throw new ImageUrlError(await explainRejectedFetch(url, fetchFn));
    throw error;
  }
  if (!response.ok) {
    throw new ImageUrlError(`The server at ${url.host} answered ${response.status}${response.statusText ? ` ${response.statusText}` : ''} for that address.`);
  }
  const declaredBytes = Number(response.headers.get('content-length'));
  if (declaredBytes > MAX_URL_IMAGE_BYTES) throw tooLarge(declaredBytes);
  const blob = await response.blob();
  if (blob.size > MAX_URL_IMAGE_BYTES) throw tooLarge(blob.size);
  if (blob.size === 0) throw new ImageUrlError(`The server at ${url.host} sent an empty file for that address.`);
  const declaredType = (response.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  const type = declaredType.startsWith('image/') ? declaredType : sniffImageType(new Uint8Array(await blob.slice(0, 16).arrayBuffer()));
  if (!type) {
    throw new ImageUrlError(`That address is not an image: the server sent ${declaredType || 'a file with no type'}.`);
  }
  return new File([blob], imageNameFromUrl(url), { type });
}

function tooLarge(bytes: number): ImageUrlError {
  return new ImageUrlError(
    `That file is ${(bytes / 1024 / 1024).toFixed(0)} MB; images up to ${MAX_URL_IMAGE_BYTES / 1024 / 1024} MB can be added by address.`,
  );
}
