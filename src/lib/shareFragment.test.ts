import { describe, expect, it } from 'vitest';
import {
  LINK_LENGTH_LIMITS,
  MAX_DECOMPRESSED_BYTES,
  MAX_EXAMPLE_BYTES,
  MAX_PAYLOAD_CHARS,
  SAFE_LINK_CHARS,
  decodeShareFragment,
  encodeShareFragment,
  fromBase64Url,
  linkLengthWarning,
  liveRequestForDemo,
  shareStateVersionFor,
  toBase64Url,
  validateShareState,
  type ShareState,
} from './shareFragment';
import { MAX_PROBLEMS } from './schemas';
import { packRawFragment, packShareFragment, unpackShareFragment } from '../../e2e/support/shareLink';

const text = (s: string) => new TextEncoder().encode(s);

/**
 * Builds a link from any JSON and bytes, the attacker's toolkit, with an encoder written apart
 * from the app's (Node's zlib and base64url), so the decoder is checked against someone else's.
 */
async function pack(wire: unknown, binary: Uint8Array = new Uint8Array(0), containerVersion = 1): Promise<string> {
  return packShareFragment(wire, binary, containerVersion);
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const base: ShareState = {
  v: 1,
  task: 'image',
  model: 'Xenova/clip-vit-base-patch32',
  labels: ['cat', 'dog', 'a < b, 1 > 0 & <3', 'crème brûlée 🍮'],
  templates: ['a photo of a {}.', ''],
};
const wireBase = { v: 1, task: 'image', model: 'Xenova/clip-vit-base-patch32', labels: ['cat', 'dog'], templates: ['a photo of a {}.'] };

async function problemsOf(fragment: string): Promise<string[]> {
  const result = await decodeShareFragment(fragment);
  expect(result.ok).toBe(false);
  return result.ok ? [] : result.problems;
}

describe('base64url', () => {
  it('matches the RFC 4648 test vectors, without padding', () => {
    const vectors: [string, string][] = [
      ['', ''],
      ['f', 'Zg'],
      ['fo', 'Zm8'],
      ['foo', 'Zm9v'],
      ['foob', 'Zm9vYg'],
      ['fooba', 'Zm9vYmE'],
      ['foobar', 'Zm9vYmFy'],
    ];
    for (const [plain, encoded] of vectors) {
      expect(toBase64Url(text(plain))).toBe(encoded);
      expect(fromBase64Url(encoded)).toEqual({ bytes: text(plain) });
    }
  });
  it('uses - and _ where base64 has + and /, and tolerates padding', () => {
    expect(toBase64Url(new Uint8Array([0xfb, 0xff]))).toBe('-_8');
    expect(fromBase64Url('-_8=')).toEqual({ bytes: new Uint8Array([0xfb, 0xff]) });
  });
  it('explains what is wrong with bad input', () => {
    const cutShort = fromBase64Url('Zm9vY');
    expect('problem' in cutShort ? cutShort.problem : 'decoded').toMatch(/length/);
    expect(fromBase64Url('Zm+v')).toEqual({ problem: 'character 3 is not base64url' });
    expect(fromBase64Url('Zm9é')).toEqual({ problem: 'character 4 is not base64url' });
  });
  it('uses Uint8Array.fromBase64 / toBase64 where the platform has them, with the url alphabet and no padding', () => {
    // Node 20 has neither (Chromium 140+, Firefox 133+ and Safari 18.2+ do): stand-ins built on Buffer record the calls.
    const calls: unknown[] = [];
    const prototype: object = Uint8Array.prototype;
    Object.defineProperty(prototype, 'toBase64', {
      configurable: true,
      value(this: Uint8Array, options: unknown) {
        calls.push(['toBase64', options]);
        return Buffer.from(this).toString('base64url');
      },
    });
    Object.defineProperty(Uint8Array, 'fromBase64', {
      configurable: true,
      value(encoded: string, options: unknown) {
        calls.push(['fromBase64', encoded, options]);
        return new Uint8Array(Buffer.from(encoded, 'base64url'));
      },
    });
    try {
      expect(toBase64Url(text('fooba'))).toBe('Zm9vYmE');
      expect(fromBase64Url('Zm9vYmE=')).toEqual({ bytes: text('fooba') });
      // The alphabet is still checked first, so both paths refuse the same text.
      expect(fromBase64Url('Zm+v')).toEqual({ problem: 'character 3 is not base64url' });
      expect(calls).toEqual([
        ['toBase64', { alphabet: 'base64url', omitPadding: true }],
        ['fromBase64', 'Zm9vYmE', { alphabet: 'base64url' }],
      ]);
    } finally {
      Reflect.deleteProperty(prototype, 'toBase64');
      Reflect.deleteProperty(Uint8Array, 'fromBase64');
    }
    expect('fromBase64' in Uint8Array).toBe(false);
  });
  it('round-trips every byte value', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(fromBase64Url(toBase64Url(all))).toEqual({ bytes: all });
  });
});

describe('encode and decode', () => {
  it('round-trips a demo without examples, keeping angle brackets that are not markup', async () => {
    const encoded = await encodeShareFragment(base);
    expect(encoded.ok).toBe(true);
    if (!encoded.ok) return;
    expect(encoded.fragment).toMatch(/^#demo=[A-Za-z0-9_-]+$/);
    expect(await decodeShareFragment(encoded.fragment)).toEqual({ ok: true, state: base });
  });

  it('round-trips calibration and examples byte for byte', async () => {
    const png = Uint8Array.from([...PNG_SIGNATURE, ...Array.from({ length: 3000 }, (_, i) => (i * 31) % 256)]);
    const wav = Uint8Array.from({ length: 5000 }, (_, i) => (i * 7) % 256);
    const state: ShareState = {
      ...base,
      task: 'audio',
      model: 'builtin/whisper-words',
      calibration: 'zero-input',
      examples: [
        { name: 'a.png', mime: 'image/png', bytes: png },
        { name: 'empty.wav', mime: 'audio/wav', bytes: new Uint8Array(0) },
        { name: 'yes.wav', mime: 'audio/wav', bytes: wav },
      ],
    };
    const encoded = await encodeShareFragment(state);
    if (!encoded.ok) throw new Error(encoded.problems.join('; '));
    const decoded = await decodeShareFragment(encoded.fragment);
    expect(decoded).toEqual({ ok: true, state });
  });

  it('writes the documented container, as an independent reader (Node zlib) sees it', async () => {
    const png = Uint8Array.from([...PNG_SIGNATURE, 1, 2, 3]);
    const encoded = await encodeShareFragment({ ...base, calibration: 'prior', examples: [{ name: 'a.png', mime: 'image/png', bytes: png }] });
    if (!encoded.ok) throw new Error(encoded.problems.join('; '));
    const unpacked = unpackShareFragment(encoded.fragment);
    expect(unpacked.containerVersion).toBe(1);
    expect(unpacked.wire).toEqual({ ...base, calibration: 'prior', examples: [{ name: 'a.png', mime: 'image/png', size: png.length }] });
    expect(new Uint8Array(unpacked.binary)).toEqual(png);
  });

  it('finds the payload with or without "#" and among other parameters', async () => {
    const encoded = await encodeShareFragment(base);
    if (!encoded.ok) throw new Error('encode failed');
    const payload = encoded.fragment.slice('#demo='.length);
    expect((await decodeShareFragment(`demo=${payload}`)).ok).toBe(true);
    expect((await decodeShareFragment(`#x=1&demo=${payload}&y=2`)).ok).toBe(true);
    expect(await problemsOf('#other=1')).toEqual(['link: no "demo=" part']);
  });

  it('refuses to encode what the decoder would refuse', async () => {
    const bad = await encodeShareFragment({ ...base, labels: ['x'.repeat(201)] });
    expect(bad).toEqual({ ok: false, problems: ['labels[0]: longer than 200 characters'] });
    const full = Array.from({ length: 4 }, (_, i) => ({ name: `${i}.png`, mime: 'image/png' as const, bytes: new Uint8Array(MAX_EXAMPLE_BYTES) }));
    const tooBig = await encodeShareFragment({ ...base, examples: full });
    expect(tooBig.ok).toBe(false);
    if (!tooBig.ok) expect(tooBig.problems[0]).toMatch(/more than a link may carry \(262144\)/);
  });
});

describe('decoding hostile links', () => {
  it('accepts the hand-packed baseline, so the cases below fail for their own reason', async () => {
    expect((await decodeShareFragment(await pack(wireBase))).ok).toBe(true);
  });

  it('rejects wrong types with the path of the field', async () => {
    expect(await problemsOf(await pack({ ...wireBase, labels: ['cat', 42, null, ['x']] }))).toEqual([
      'labels[1]: must be text, not a number',
      'labels[2]: must be text, not null',
      'labels[3]: must be text, not a list',
    ]);
    expect(await problemsOf(await pack({ ...wireBase, labels: 'cat,dog' }))).toEqual(['labels: must be a list of text, not a string']);
    expect(await problemsOf(await pack({ ...wireBase, v: '1' }))).toEqual(['v: must be the number 1 or 2, not a string']);
    expect(await problemsOf(await pack([wireBase]))).toEqual(['link: holds a list, not a demo']);
  });

  it('rejects markup and script in labels, templates and example names', async () => {
    const wire = {
      ...wireBase,
      labels: ['cat', '<img src=x onerror="window.pwned=1">', '<SCRIPT>alert(1)</SCRIPT>', 'ok </b>'],
      templates: ['<!-- {} -->'],
      examples: [{ name: '<svg onload=alert(1)>.png', mime: 'image/png', size: 1 }],
    };
    expect(await problemsOf(await pack(wire, new Uint8Array(1)))).toEqual([
      'labels[1]: looks like HTML markup, which a demo link may not carry',
      'labels[2]: looks like HTML markup, which a demo link may not carry',
      'labels[3]: looks like HTML markup, which a demo link may not carry',
      'templates[0]: looks like HTML markup, which a demo link may not carry',
      'examples[0].name: looks like HTML markup, which a demo link may not carry',
    ]);
    expect(validateShareState({ ...base, labels: ['<script>alert(1)</script>'] }).ok).toBe(false);
  });

  it('rejects values past the limits', async () => {
    const labels = Array.from({ length: 257 }, (_, i) => `label ${i}`);
    expect(await problemsOf(await pack({ ...wireBase, labels }))).toEqual(['labels: more than 256 items (257)']);
    expect(await problemsOf(await pack({ ...wireBase, labels: ['a', 'b', 'c', 'x'.repeat(201)] }))).toEqual([
      'labels[3]: longer than 200 characters',
    ]);
    expect(await problemsOf(await pack({ ...wireBase, labels: [] }))).toEqual(['labels: at least 1 needed']);
    expect(await problemsOf(await pack({ ...wireBase, labels: ['ok', '   '] }))).toEqual(['labels[1]: empty']);
    expect(await problemsOf(await pack({ ...wireBase, templates: Array(9).fill('{}') }))).toEqual(['templates: more than 8 items (9)']);
    expect(await problemsOf(await pack({ ...wireBase, templates: ['y'.repeat(501)] }))).toEqual(['templates[0]: longer than 500 characters']);
  });

  it('rejects values outside the enums, bad model ids and unknown fields', async () => {
    expect(
      await problemsOf(await pack({ ...wireBase, v: 3, task: 'video', model: '../../etc/passwd', calibration: 'magic', __proto__x: 1 })),
    ).toEqual([
      '__proto__x: unknown field',
      'v: version 3 is not one this app reads (it reads 1 and 2); the link may be from a newer version',
      'task: must be image or audio',
      'model: not a model id of the form owner/name',
      'calibration: must be one of none, zero-input, prior',
    ]);
    expect(await problemsOf(await pack({ ...wireBase, calibration: null }))).toEqual(['calibration: must be one of none, zero-input, prior']);
  });

  it('checks every example: fields, mime whitelist, sizes against the data present', async () => {
    const bytes = new Uint8Array(10);
    const example = { name: 'a.png', mime: 'image/png', size: 10 };
    expect((await decodeShareFragment(await pack({ ...wireBase, examples: [example] }, bytes))).ok).toBe(true);
    expect(await problemsOf(await pack({ ...wireBase, examples: [{ ...example, mime: 'text/html' }] }, bytes))).toEqual([
      'examples[0].mime: not allowed',
    ]);
    expect(await problemsOf(await pack({ ...wireBase, examples: [{ ...example, name: 7, extra: true }] }, bytes))).toEqual([
      'examples[0].extra: unknown field',
      'examples[0].name: must be text, not a number',
    ]);
    expect(await problemsOf(await pack({ ...wireBase, examples: [{ ...example, size: 11 }] }, bytes))).toEqual([
      'examples: the sizes add up to 11 bytes but the link carries 10 (damaged link?)',
    ]);
    expect(await problemsOf(await pack({ ...wireBase, examples: [{ ...example, size: -1 }] }, bytes))).toEqual(['examples[0].size: not a byte count']);
    expect(await problemsOf(await pack({ ...wireBase, examples: [{ ...example, size: MAX_EXAMPLE_BYTES + 1 }] }, bytes))).toEqual([
      'examples[0].bytes: larger than 64 KB',
    ]);
    expect(await problemsOf(await pack({ ...wireBase, examples: Array(5).fill(example) }, new Uint8Array(50)))).toEqual([
      'examples: more than 4 (5)',
    ]);
    expect(await problemsOf(await pack(wireBase, bytes))).toEqual(['examples: the link carries example data but lists no examples']);
  });

  it('rejects truncated and damaged links at every cut, without throwing', async () => {
    const encoded = await encodeShareFragment({ ...base, examples: [{ name: 'a.gif', mime: 'image/gif', bytes: new Uint8Array(300).fill(7) }] });
    if (!encoded.ok) throw new Error('encode failed');
    for (let cut = 1; cut < encoded.fragment.length - '#demo='.length; cut += 3) {
      const result = await decodeShareFragment(encoded.fragment.slice(0, encoded.fragment.length - cut));
      expect(result.ok, `cut ${cut}`).toBe(false);
    }
    expect(await problemsOf('#demo=')).toEqual(['link: damaged or incomplete (it does not decompress)']);
    expect(await problemsOf('#demo=abc$')).toEqual(['link: damaged, character 4 is not base64url']);
    expect(await problemsOf(await pack(wireBase, undefined, 2))).toEqual(['link: made by a newer version of the app']);
  });

  it('stops a decompression bomb at the limit', async () => {
    // 10 MB of zeros deflates to ~10 KB: a short link that would unpack to 40 times the limit.
    const bomb = packRawFragment(new Uint8Array(10 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(20_000);
    expect(await problemsOf(bomb)).toEqual([`link: unpacks to more than ${MAX_DECOMPRESSED_BYTES} bytes`]);
    // And a bomb inside the JSON (one enormous label) is stopped the same way.
    expect(await problemsOf(await pack({ ...wireBase, labels: ['a'.repeat(MAX_DECOMPRESSED_BYTES)] }))).toEqual([
      `link: unpacks to more than ${MAX_DECOMPRESSED_BYTES} bytes`,
    ]);
  });

  it('refuses over-long links before decoding them', async () => {
    expect(await problemsOf(`#demo=${'A'.repeat(MAX_PAYLOAD_CHARS + 1)}`)).toEqual([
      `link: longer than any demo link (${MAX_PAYLOAD_CHARS + 1} characters, at most ${MAX_PAYLOAD_CHARS})`,
    ]);
  });

  it('rejects settings that are not JSON', async () => {
    const junk = new Uint8Array([1, 0, 0, 0, 3, 0x7b, 0x7b, 0x7b]);
    expect(await problemsOf(packRawFragment(junk))).toEqual(['link: damaged (the settings are not readable JSON)']);
    const overrun = new Uint8Array([1, 0, 0, 1, 0, 0x7b, 0x7d]);
    expect(await problemsOf(packRawFragment(overrun))).toEqual(['link: damaged (the settings run past its end)']);
  });

  it('caps the list of problems', async () => {
    const problems = await problemsOf(await pack({ ...wireBase, labels: Array(100).fill(1) }));
    expect(problems).toHaveLength(21);
    expect(problems[20]).toBe('…and 80 more problems');
  });

  it('answers random or mutated input with a valid demo or readable problems, never a throw', async () => {
    const encoded = await encodeShareFragment(base);
    if (!encoded.ok) throw new Error('encode failed');
    let seed = 12345;
    const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    let refused = 0;
    for (let trial = 0; trial < 200; trial++) {
      const chars = encoded.fragment.split('');
      const at = 6 + Math.floor(random() * (chars.length - 6));
      chars[at] = alphabet[Math.floor(random() * 64)]!;
      const mutated = await decodeShareFragment(chars.join(''));
      if (mutated.ok) {
        // Deflate has no checksum, so a change can survive: what comes out must still be a demo
        // the schema accepts, and encode back to the same demo.
        expect(validateShareState(mutated.state)).toEqual({ ok: true, state: mutated.state });
        const again = await encodeShareFragment(mutated.state);
        if (!again.ok) throw new Error(again.problems.join('; '));
        expect(await decodeShareFragment(again.fragment)).toEqual(mutated);
      } else {
        refused++;
        expect(mutated.problems.length).toBeGreaterThan(0);
        expect(mutated.problems.length).toBeLessThanOrEqual(MAX_PROBLEMS + 1);
        for (const problem of mutated.problems) expect(problem).toMatch(/^\S.*: \S/);
      }
      const garbage = Array.from({ length: Math.floor(random() * 200) }, () => alphabet[Math.floor(random() * 64)]).join('');
      expect((await decodeShareFragment(`#demo=${garbage}`)).ok).toBe(false);
    }
    // Most single-character changes break the deflate stream or the JSON.
    expect(refused).toBeGreaterThan(100);
  });
});

/**
 * Links made by the app before live mode (commit 52a5a89, `encodeShareFragment` of version 1),
 * kept as they were made: they must open exactly as they did then.
 */
const PRE_LIVE_LINKS = {
  // { v: 1, task: 'audio', model: 'builtin/whisper-words', labels: ['yes', 'no', 'stop'], templates: [' {}'], calibration: 'none', examples: [tone.wav, 8 bytes] }
  audioWithExample:
    '#demo=JY7BDoIwEERB_RCzZ5R4M3wAiVevhsMim7ixtIQWqjb9MP_ObT3OvJnJlEVRfAOs0JwqcGif0AAuAxuoYDQDKdH9wsqxrv2D7UTzwZt5sMIV9qQsNDd4U9I6lawzE3SyReOk0AkQvg8xeXdU3M_o2GiZ1UaTFOiFksy5ABpHEuQEHT2u6QRnJ3-q_5blj1jn2MXrpW3LzXb3Aw',
  // { v: 1, task: 'image', model: 'builtin/clip-shapes', labels: ['red circle', 'blue square'], templates: ['a photo of a {}.'] }
  image:
    '#demo=FYxLDgIhEETxJp1ajxq3XMXMomFah9gI8nFD5u7islLvvZMxZgx8YW8LGtcXLELkp2BBTJvo3K4HbeF99Rryue6cpc5X2YlW2DuKbORD8fqXnHah-ulcBOtMSszKbRoTZMp7aonSg5jGccF6_AA',
};

describe('live mode in a demo link', () => {
  const camera: ShareState = { ...base, v: 2, live: 'camera' };

  it('round-trips live mode for each task, as a version-2 state an independent reader sees', async () => {
    const microphone: ShareState = { ...base, v: 2, task: 'audio', model: 'builtin/whisper-words', calibration: 'none', live: 'microphone' };
    for (const state of [camera, microphone]) {
      const encoded = await encodeShareFragment(state);
      if (!encoded.ok) throw new Error(encoded.problems.join('; '));
      expect(await decodeShareFragment(encoded.fragment)).toEqual({ ok: true, state });
      const { containerVersion, wire } = unpackShareFragment(encoded.fragment);
      expect(containerVersion).toBe(1);
      expect(wire).toMatchObject({ v: 2, live: state.live });
    }
  });

  it('opens links made before live mode exactly as before, with no live mode', async () => {
    expect(await decodeShareFragment(PRE_LIVE_LINKS.audioWithExample)).toEqual({
      ok: true,
      state: {
        v: 1,
        task: 'audio',
        model: 'builtin/whisper-words',
        labels: ['yes', 'no', 'stop'],
        templates: [' {}'],
        calibration: 'none',
        examples: [{ name: 'tone.wav', mime: 'audio/wav', bytes: new Uint8Array([82, 73, 70, 70, 1, 2, 3, 4]) }],
      },
    });
    const image = await decodeShareFragment(PRE_LIVE_LINKS.image);
    expect(image).toEqual({
      ok: true,
      state: { v: 1, task: 'image', model: 'builtin/clip-shapes', labels: ['red circle', 'blue square'], templates: ['a photo of a {}.'] },
    });
    if (image.ok) expect('live' in image.state).toBe(false);
  });

  it('writes a demo without live mode as the same version-1 link as before, byte for byte', async () => {
    const encoded = await encodeShareFragment({
      v: shareStateVersionFor(undefined),
      task: 'image',
      model: 'builtin/clip-shapes',
      labels: ['red circle', 'blue square'],
      templates: ['a photo of a {}.'],
    });
    expect(encoded).toEqual({ ok: true, fragment: PRE_LIVE_LINKS.image });
    expect(shareStateVersionFor('camera')).toBe(2);
  });

  it('rejects a bad live value, live mode in a version-1 state and live mode of the other task, with the reason', async () => {
    expect(await problemsOf(await pack({ ...wireBase, v: 2, live: 'screen' }))).toEqual(['live: must be camera or microphone']);
    expect(await problemsOf(await pack({ ...wireBase, v: 2, live: true }))).toEqual(['live: must be camera or microphone']);
    expect(await problemsOf(await pack({ ...wireBase, v: 1, live: 'camera' }))).toEqual(['live: needs a version 2 link, and this one says version 1']);
    expect(await problemsOf(await pack({ ...wireBase, v: 2, live: 'microphone' }))).toEqual([
      'live: microphone belongs to the audio task, and the demo is for the image task',
    ]);
    // The encoder holds itself to the same rules.
    expect(await encodeShareFragment({ ...base, live: 'camera' })).toEqual({ ok: false, problems: ['live: needs a version 2 link, and this one says version 1'] });
    // A hand-packed version-2 link without live mode is fine: version 2 only allows the field.
    expect((await decodeShareFragment(await pack({ ...wireBase, v: 2 }))).ok).toBe(true);
  });

  it('asks for the demo’s live mode, keeping a ?live= of the query only for the demo’s own task', () => {
    expect(liveRequestForDemo(camera, null)).toBe('camera');
    expect(liveRequestForDemo(camera, 'microphone')).toBe('camera');
    expect(liveRequestForDemo(base, 'camera')).toBe('camera');
    expect(liveRequestForDemo(base, 'microphone')).toBeNull();
    expect(liveRequestForDemo(base, null)).toBeNull();
  });
});

describe('validateShareState', () => {
  it('returns a fresh copy with only the known fields', () => {
    const labels = ['a'];
    const result = validateShareState({ ...base, labels });
    if (!result.ok) throw new Error('invalid');
    expect(result.state.labels).not.toBe(labels);
    expect(validateShareState(null)).toEqual({ ok: false, problems: ['the link holds null, not a demo'] });
  });
});

describe('linkLengthWarning', () => {
  it('says nothing for links that are safe everywhere', () => {
    expect(linkLengthWarning(500)).toBeNull();
    expect(linkLengthWarning(SAFE_LINK_CHARS)).toBeNull();
  });
  it('names the places a longer link breaks, shortest limit first', () => {
    const justOver = linkLengthWarning(2_001)!;
    expect(justOver.tooLongFor.map((l) => l.where)).toEqual(['older browsers, proxies and some web forms', 'Discord']);
    const long = linkLengthWarning(30_000)!;
    expect(long.tooLongFor.map((l) => l.where)).toEqual(['older browsers, proxies and some web forms', 'Discord', 'Slack', 'Telegram', 'Microsoft Teams']);
    expect(long.message).toBe(
      'This link is 30,000 characters, too long for older browsers, proxies and some web forms (about 2,000), Discord (2,000), Slack (about 4,000), Telegram (4,096), Microsoft Teams (about 28,000). Fewer or smaller examples make it shorter.',
    );
  });
  it('keeps its limits sorted and the largest link we make under the browsers’ own limit', () => {
    const sizes = LINK_LENGTH_LIMITS.map((l) => l.maxChars);
    expect(sizes).toEqual([...sizes].sort((a, b) => a - b));
    expect(linkLengthWarning(MAX_PAYLOAD_CHARS + '#demo='.length)!.tooLongFor.map((l) => l.where)).not.toContain('Chrome and Edge');
  });
});
