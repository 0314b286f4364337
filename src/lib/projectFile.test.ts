import { describe, expect, it } from 'vitest';
import {
  MAX_MANIFEST_BYTES,
  MAX_MEDIA_ENTRY_BYTES,
  MAX_PROJECT_ITEMS,
  MAX_PROJECT_UNPACKED_BYTES,
  PROJECT_MANIFEST_PATH,
  buildProjectManifest,
  maxUnpackedBytes,
  readProjectFile,
  validateProjectManifest,
  writeProjectFile,
  type ProjectInput,
} from './projectFile';
import { zipSync } from 'fflate';
import { zipStream } from './archive';

const png = Uint8Array.from({ length: 2000 }, (_, i) => (i * 37) % 256);
const wav = Uint8Array.from({ length: 3000 }, (_, i) => (i * 11) % 256);

const input: ProjectInput = {
  task: 'image',
  settings: { modelId: 'builtin/clip-shapes', labelsText: 'red circle\nblue square\n<b>bold</b>', template: 'a photo of a {}.', calibration: 'none', aggregation: 'mean' },
  labels: ['red circle', 'blue square', '<b>bold</b>'],
  items: [
    {
      path: 'shapes/red/one.png',
      name: 'one.png',
      truth: 'red circle',
      decision: 'accepted',
      finalLabel: 'red circle',
      predictions: [
        { label: 'red circle', score: 0.9123456789012345 },
        { label: 'blue square', score: 0.0876543210987655 },
      ],
      media: { blob: new Blob([png]), mime: 'image/png' },
    },
    { path: 'one.png', name: 'one.png', truth: null, decision: 'rejected', finalLabel: null, predictions: [], media: { blob: new Blob([png.slice(1)]), mime: 'image/png' } },
    { path: 'two.wav', name: 'two.wav', truth: null, decision: 'overridden', finalLabel: 'new label', predictions: [{ label: 'x', score: 1 }], rawScores: [-1.5, 2.25], transcript: ' yes', media: { blob: new Blob([wav]), mime: '' } },
    { path: 'no-media.png', name: 'no-media.png', truth: 'blue square', decision: 'none', finalLabel: null, predictions: [] },
  ],
};

const bytesOf = async (stream: ReadableStream<Uint8Array>) => new Uint8Array(await new Response(stream).arrayBuffer());

/** A project file from fflate's writer, which deflates: the reader is tested on another tool's archives too. */
function zipOf(manifest: unknown, extra: { path: string; data: Uint8Array }[] = []): Uint8Array {
  return zipSync({ [PROJECT_MANIFEST_PATH]: new TextEncoder().encode(JSON.stringify(manifest)), ...Object.fromEntries(extra.map((entry) => [entry.path, entry.data])) });
}

/** A stored archive from the app's writer. */
const storedZip = (entries: { path: string; data: Uint8Array }[]) => bytesOf(zipStream(entries.map((entry) => ({ path: entry.path, data: new Blob([entry.data.slice()]) }))));

async function problemsOf(bytes: Uint8Array): Promise<string[]> {
  const result = await readProjectFile(bytes);
  expect(result.ok).toBe(false);
  return result.ok ? [] : result.problems;
}

describe('project file round trip', () => {
  it('build → write → read → validate gives back every field and the media bytes', async () => {
    const bytes = await bytesOf(writeProjectFile(input, zipStream));
    const result = await readProjectFile(bytes);
    if (!result.ok) throw new Error(result.problems.join('; '));
    const { manifest, media } = result.project;
    expect(manifest).toEqual(buildProjectManifest(input));
    expect(manifest.settings).toEqual(input.settings);
    expect(manifest.labels).toEqual(input.labels);
    for (const [index, item] of input.items.entries()) {
      const read = manifest.items[index]!;
      const { media: inputMedia, ...fields } = item;
      expect(read).toMatchObject(fields);
      if (inputMedia) {
        expect(read.media?.mime).toBe(inputMedia.mime);
        expect(media.get(read.media!.path)).toEqual(new Uint8Array(await inputMedia.blob.arrayBuffer()));
      } else expect(read.media).toBeUndefined();
    }
  });

  it('restores an item whose name holds a lone surrogate (found by fast-check: its ZIP entry name became U+FFFD)', async () => {
    const item = { ...input.items[0]!, path: 'f0/\ud83d.png', name: '\ud83d.png' };
    const result = await readProjectFile(await bytesOf(writeProjectFile({ ...input, items: [item] }, zipStream)));
    expect(result.ok ? [] : result.problems).toEqual([]);
    if (!result.ok) return;
    expect(result.project.manifest.items[0]).toMatchObject({ path: 'f0/\ud83d.png', name: '\ud83d.png', media: { path: 'media/00001-_.png' } });
    expect(result.project.media.get('media/00001-_.png')).toEqual(png);
  });

  it('gives items with the same name different media entries', () => {
    const manifest = buildProjectManifest(input);
    const paths = manifest.items.flatMap((item) => (item.media ? [item.media.path] : []));
    expect(new Set(paths).size).toBe(3);
    for (const path of paths) expect(path).toMatch(/^media\/\d{5}-/);
  });
});

describe('reading hostile project files', () => {
  const good = buildProjectManifest({ ...input, items: input.items.map(({ media: _media, ...item }) => item) });

  it('accepts the baseline, so the cases below fail for their own reason', async () => {
    expect((await readProjectFile(zipOf(good))).ok).toBe(true);
  });

  it('refuses what is not a ZIP, a ZIP without a manifest, and a manifest that is not JSON', async () => {
    expect((await problemsOf(new TextEncoder().encode('hello')))[0]).toMatch(/not a readable ZIP/);
    expect(await problemsOf(await storedZip([{ path: 'x.txt', data: new Uint8Array(1) }]))).toEqual(['not a project file (no project.json inside)']);
    const notJson = await storedZip([{ path: PROJECT_MANIFEST_PATH, data: new TextEncoder().encode('{nope') }]);
    expect(await problemsOf(notJson)).toEqual(['project.json: not readable JSON']);
  });

  it('rejects wrong types with the path of the field', async () => {
    const bad = {
      ...good,
      task: 'video',
      settings: { ...good.settings, calibration: 'magic', modelId: '../../etc' },
      labels: ['ok', 3],
      items: [{ ...good.items[0], decision: 'maybe', truth: 7, predictions: [{ label: 'a', score: 'high' }] }, 'item'],
    };
    expect(await problemsOf(zipOf(bad))).toEqual([
      'task: must be image or audio',
      'settings.modelId: not a model id of the form owner/name',
      'settings.calibration: must be one of none, zero-input, prior',
      'labels[1]: must be text, not a number',
      'items[0].truth: must be text, not a number',
      'items[0].decision: must be one of none, accepted, overridden, rejected',
      'items[0].predictions[0].score: must be a finite number',
      'items[1]: must be an object, not a string',
    ]);
  });

  it('rejects unknown fields, other formats and newer versions', async () => {
    expect(await problemsOf(zipOf({ ...good, extra: 1, version: 2 }))).toEqual([
      'extra: unknown field',
      'version: 2 is not one this app reads (it reads 1); the file may be from a newer version',
    ]);
    expect(validateProjectManifest({ ...good, format: 'other' })).toEqual({ ok: false, problems: ['project.json: not a Zero-Shot Playground project (format)'] });
    expect(validateProjectManifest([])).toEqual({ ok: false, problems: ['project.json holds a list, not a project'] });
  });

  it('rejects oversize values', async () => {
    const many = { ...good, items: Array.from({ length: MAX_PROJECT_ITEMS + 1 }, () => 0) };
    expect(await problemsOf(zipOf(many))).toEqual([`items: more than ${MAX_PROJECT_ITEMS} (${MAX_PROJECT_ITEMS + 1})`]);
    const long = { ...good, settings: { ...good.settings, template: 'x'.repeat(501) }, items: [{ ...good.items[0], path: 'p'.repeat(1025) }] };
    expect(await problemsOf(zipOf(long))).toEqual(['settings.template: longer than 500 characters', 'items[0].path: longer than 1024 characters']);
  });

  it('rejects unsafe item and media paths, and media missing from the file', async () => {
    const item = good.items[0]!;
    const bad = {
      ...good,
      items: [
        { ...item, path: '../../outside.png' },
        { ...item, path: '/etc/passwd' },
        { ...item, media: { path: 'media/../project.json', mime: 'image/png' } },
        { ...item, media: { path: 'elsewhere/x.png', mime: 'image/png' } },
        { ...item, media: { path: 'media/x.png', mime: 'text/html; x' } },
      ],
    };
    expect(await problemsOf(zipOf(bad))).toEqual([
      'items[0].path: not a safe relative path (absolute, a drive letter, or "..")',
      'items[1].path: not a safe relative path (absolute, a drive letter, or "..")',
      'items[2].media.path: not a safe path inside the project',
      'items[3].media.path: must be a plain path under media/',
      'items[4].media.mime: not a media type',
    ]);
    const missing = { ...good, items: [{ ...item, media: { path: 'media/gone.png', mime: 'image/png' } }] };
    expect(await problemsOf(zipOf(missing))).toEqual(['items[0].media.path: media/gone.png is not in the file']);
    // A browser's recording type, parameters and all, is a media type (it is what the export writes).
    const recording = { ...good, items: [{ ...item, media: { path: 'media/rec.webm', mime: 'audio/webm;codecs=opus' } }] };
    const read = await readProjectFile(zipOf(recording, [{ path: 'media/rec.webm', data: png }]));
    expect(read.ok && read.project.manifest.items[0]?.media?.mime).toBe('audio/webm;codecs=opus');
    const twice = { ...good, items: [0, 1].map(() => ({ ...item, media: { path: 'media/a.png', mime: 'image/png' } })) };
    expect(await problemsOf(zipOf(twice, [{ path: 'media/a.png', data: png }]))).toEqual(['items[1].media.path: used by another item too']);
  });

  it('names unknown and missing fields at every level, unknown ones first', async () => {
    const item = good.items[0]!;
    const { decision: _decision, ...withoutDecision } = item;
    const bad = {
      ...good,
      settings: { ...good.settings, theme: 'dark' },
      items: [{ ...withoutDecision, media: { path: 'media/a.png', mime: 'image/png', size: 3 }, score: 1 }],
    };
    expect(validateProjectManifest(bad)).toEqual({
      ok: false,
      problems: [
        'settings.theme: unknown field',
        'items[0].score: unknown field',
        'items[0].decision: must be one of none, accepted, overridden, rejected',
        'items[0].media.size: unknown field',
      ],
    });
    const { settings: _settings, ...noSettings } = good;
    expect(validateProjectManifest(noSettings)).toEqual({ ok: false, problems: ['settings: must be an object, not nothing'] });
  });

  it('checks audio fields, control characters and the shared label rules', () => {
    const item = good.items[0]!;
    const bad = {
      ...good,
      labels: ['ok', ''],
      items: [
        { ...item, rawScores: [1, Number.NaN] },
        { ...item, rawScores: 'x', transcript: 5 },
        { ...item, path: 'a\u0000.png', name: 'b\n.png' },
        { ...item, predictions: Array(257).fill({ label: 'a', score: 1 }) },
      ],
    };
    expect(validateProjectManifest(bad)).toEqual({
      ok: false,
      problems: [
        'labels[1]: empty',
        'items[0].rawScores: must be a list of at most 256 finite numbers',
        'items[1].rawScores: must be a list of at most 256 finite numbers',
        'items[1].transcript: must be text, not a number',
        'items[2].path: contains control characters',
        'items[2].name: contains control characters',
        'items[3].predictions: more than 256 entries (257)',
      ],
    });
  });

  it('returns a fresh manifest: a copy of every list, nothing unknown', () => {
    const withScores = { ...good, items: [{ ...good.items[2]!, rawScores: [0.5, 1] }] };
    const checked = validateProjectManifest(withScores);
    if (!checked.ok) throw new Error(checked.problems.join('; '));
    expect(checked.manifest).toEqual(withScores);
    expect(checked.manifest.items[0]!.rawScores).not.toBe(withScores.items[0]!.rawScores);
    expect(checked.manifest.labels).not.toBe(withScores.labels);
  });

  it('caps the list of problems', async () => {
    const bad = { ...good, items: Array.from({ length: 50 }, () => ({ ...good.items[0], decision: 'x' })) };
    const problems = await problemsOf(zipOf(bad));
    expect(problems).toHaveLength(21);
    expect(problems[20]).toBe('…and 30 more problems');
  });
});

describe('size caps on project files, checked before inflating', () => {
  const good = buildProjectManifest({ ...input, items: input.items.map(({ media: _media, ...item }) => item) });
  const item = good.items[0]!;

  /** Patches the uncompressed size in the central directory entry for `path` (fflate archives, no comment). */
  function declareSize(zip: Uint8Array, path: string, size: number): Uint8Array {
    const copy = zip.slice();
    const view = new DataView(copy.buffer);
    const end = copy.length - 22;
    let p = view.getUint32(end + 16, true);
    for (let i = 0; i < view.getUint16(end + 10, true); i++) {
      const nameLength = view.getUint16(p + 28, true);
      const name = new TextDecoder().decode(copy.subarray(p + 46, p + 46 + nameLength));
      if (name === path) view.setUint32(p + 24, size, true);
      p += 46 + nameLength + view.getUint16(p + 30, true) + view.getUint16(p + 32, true);
    }
    return copy;
  }

  it('refuses a media entry that declares more than the cap, without reading it', async () => {
    const manifest = { ...good, items: [{ ...item, media: { path: 'media/a.png', mime: 'image/png' } }] };
    const zip = declareSize(zipOf(manifest, [{ path: 'media/a.png', data: png }]), 'media/a.png', MAX_MEDIA_ENTRY_BYTES + 1);
    expect(await problemsOf(zip)).toEqual([`media/a.png: larger than ${MAX_MEDIA_ENTRY_BYTES / 1024 / 1024} MB`]);
  });

  it('refuses entries that add up to more than the total cap (20× the file, at most 1 GB + 64 MB)', async () => {
    const count = Math.ceil(MAX_PROJECT_UNPACKED_BYTES / MAX_MEDIA_ENTRY_BYTES) + 1;
    const paths = Array.from({ length: count }, (_, i) => `media/${i}.png`);
    const manifest = { ...good, items: paths.map((path, i) => ({ ...item, path: `${i}.png`, media: { path, mime: 'image/png' } })) };
    let zip = zipOf(manifest, paths.map((path) => ({ path, data: png })));
    for (const path of paths) zip = declareSize(zip, path, MAX_MEDIA_ENTRY_BYTES);
    const problems = await problemsOf(zip);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^the file would unpack to \\d+ MB, more than the ${Math.ceil(maxUnpackedBytes(zip.length) / 1024 / 1024)} MB a project file of 1 MB may \\(a zip bomb\\?\\); nothing was unpacked$`));
    expect(maxUnpackedBytes(2 * MAX_PROJECT_UNPACKED_BYTES)).toBe(MAX_PROJECT_UNPACKED_BYTES);
  });

  it('stops a manifest whose header lies about its size at the declared size', async () => {
    const bomb = zipSync({ [PROJECT_MANIFEST_PATH]: new TextEncoder().encode(JSON.stringify({ ...good, padding: ' '.repeat(4 * 1024 * 1024) })) });
    expect(bomb.length).toBeLessThan(50_000);
    const problems = await problemsOf(declareSize(bomb, PROJECT_MANIFEST_PATH, 1000));
    expect(problems).toEqual([`not a readable ZIP: zip entry "${PROJECT_MANIFEST_PATH}": larger than its declared 1000 bytes`]);
    expect(await problemsOf(declareSize(bomb, PROJECT_MANIFEST_PATH, MAX_MANIFEST_BYTES + 1))).toEqual([`${PROJECT_MANIFEST_PATH}: larger than 64 MB`]);
  });
});
