import { describe, expect, it } from 'vitest';
import {
  MAX_PROJECT_ITEMS,
  PROJECT_MANIFEST_PATH,
  buildProjectManifest,
  readProjectFile,
  validateProjectManifest,
  writeProjectFile,
  type ProjectInput,
} from './projectFile';
import { createZip } from './zip';

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
      media: { bytes: png, mime: 'image/png' },
    },
    { path: 'one.png', name: 'one.png', truth: null, decision: 'rejected', finalLabel: null, predictions: [], media: { bytes: png.slice(1), mime: 'image/png' } },
    { path: 'two.wav', name: 'two.wav', truth: null, decision: 'overridden', finalLabel: 'new label', predictions: [{ label: 'x', score: 1 }], rawScores: [-1.5, 2.25], transcript: ' yes', media: { bytes: wav, mime: '' } },
    { path: 'no-media.png', name: 'no-media.png', truth: 'blue square', decision: 'none', finalLabel: null, predictions: [] },
  ],
};

async function zipOf(manifest: unknown, extra: { path: string; data: Uint8Array }[] = []): Promise<Uint8Array> {
  return createZip([{ path: PROJECT_MANIFEST_PATH, data: new TextEncoder().encode(JSON.stringify(manifest)) }, ...extra], { compress: true });
}

async function problemsOf(bytes: Uint8Array): Promise<string[]> {
  const result = await readProjectFile(bytes);
  expect(result.ok).toBe(false);
  return result.ok ? [] : result.problems;
}

describe('project file round trip', () => {
  it('build → write → read → validate gives back every field and the media bytes', async () => {
    const bytes = await writeProjectFile(input);
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
        expect(media.get(read.media!.path)).toEqual(inputMedia.bytes);
      } else expect(read.media).toBeUndefined();
    }
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
    expect((await readProjectFile(await zipOf(good))).ok).toBe(true);
  });

  it('refuses what is not a ZIP, a ZIP without a manifest, and a manifest that is not JSON', async () => {
    expect((await problemsOf(new TextEncoder().encode('hello')))[0]).toMatch(/not a readable ZIP/);
    expect(await problemsOf(await createZip([{ path: 'x.txt', data: new Uint8Array(1) }], { compress: false }))).toEqual([
      'not a project file (no project.json inside)',
    ]);
    const notJson = await createZip([{ path: PROJECT_MANIFEST_PATH, data: new TextEncoder().encode('{nope') }], { compress: false });
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
    expect(await problemsOf(await zipOf(bad))).toEqual([
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
    expect(await problemsOf(await zipOf({ ...good, extra: 1, version: 2 }))).toEqual([
      'extra: unknown field',
      'version: 2 is not one this app reads (it reads 1); the file may be from a newer version',
    ]);
    expect(validateProjectManifest({ ...good, format: 'other' })).toEqual({ ok: false, problems: ['project.json: not a Zero-Shot Playground project (format)'] });
    expect(validateProjectManifest([])).toEqual({ ok: false, problems: ['project.json holds a list, not a project'] });
  });

  it('rejects oversize values', async () => {
    const many = { ...good, items: Array.from({ length: MAX_PROJECT_ITEMS + 1 }, () => 0) };
    expect(await problemsOf(await zipOf(many))).toEqual([`items: more than ${MAX_PROJECT_ITEMS} (${MAX_PROJECT_ITEMS + 1})`]);
    const long = { ...good, settings: { ...good.settings, template: 'x'.repeat(501) }, items: [{ ...good.items[0], path: 'p'.repeat(1025) }] };
    expect(await problemsOf(await zipOf(long))).toEqual(['settings.template: longer than 500 characters', 'items[0].path: longer than 1024 characters']);
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
    expect(await problemsOf(await zipOf(bad))).toEqual([
      'items[0].path: not a safe relative path (absolute, a drive letter, or "..")',
      'items[1].path: not a safe relative path (absolute, a drive letter, or "..")',
      'items[2].media.path: not a safe path inside the project',
      'items[3].media.path: must be a plain path under media/',
      'items[4].media.mime: not a media type',
    ]);
    const missing = { ...good, items: [{ ...item, media: { path: 'media/gone.png', mime: 'image/png' } }] };
    expect(await problemsOf(await zipOf(missing))).toEqual(['items[0].media.path: media/gone.png is not in the file']);
    const twice = { ...good, items: [0, 1].map(() => ({ ...item, media: { path: 'media/a.png', mime: 'image/png' } })) };
    expect(await problemsOf(await zipOf(twice, [{ path: 'media/a.png', data: png }]))).toEqual(['items[1].media.path: used by another item too']);
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
    const problems = await problemsOf(await zipOf(bad));
    expect(problems).toHaveLength(21);
    expect(problems[20]).toBe('…and 30 more problems');
  });
});
