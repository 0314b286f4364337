/**
 * Export → import round trips for arbitrary labels and file names (fast-check): URL state, share
 * fragments, project files, CSV, JSON Lines and Label Studio files.
 *
 * The text is drawn from every awkward corner at once: any code point (astral included), whole
 * graphemes (emoji with modifiers and ZWJ sequences), RTL scripts and the bidi overrides,
 * combining marks, CSV's separators and quotes, every kind of line break, NUL, and lone
 * surrogates. Up to 10,000 characters where the format allows that many.
 *
 * Decisions the properties pin down:
 * - Lone surrogates are not text UTF-8 can carry. JSON.stringify escapes them (`\ud83d`), so the
 *   JSON exports (JSON Lines, Label Studio, project.json) and share links keep them exactly; in
 *   CSV and URL query strings they become U+FFFD, as in every browser API that encodes text; in
 *   names inside a ZIP (media entries, ImageFolder) they become "_" (lib/exportRows). Nothing else
 *   about a string changes.
 * - Control characters (NUL, tab, CR…) survive the CSV and JSON writers and readers, but the
 *   imports that make file names and labels (truth CSV, Label Studio, project file names) refuse
 *   them, so those properties draw names and labels without them.
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { zipStream } from './archive';
import { parseCsv, parseLabelCsv, toCsv, unguardFormula } from './csv';
import { csvExport, jsonLinesExport, type ExportItem } from './exportRows';
import { labelStudioJson, parseLabelStudioTasks } from './labelStudio';
import { MAX_LABEL_CHARS } from './labels';
import { readProjectFile, writeProjectFile, type ProjectInput } from './projectFile';
import { MAX_ITEM_PATH_CHARS, looksLikeMarkup } from './schemas';
import { MAX_EXAMPLE_NAME_CHARS, MAX_SHARED_LABEL_CHARS, SHARED_EXAMPLE_MIME_TYPES, decodeShareFragment, encodeShareFragment, type ShareState } from './shareFragment';
import { MAX_TEMPLATE_CHARS, buildShareQuery, parseUrlState } from './urlState';

/** Few runs each: the whole file stays within a couple of seconds; the generators do the exploring. */
const RUNS = { numRuns: 30 };

/**
 * Not a timing assertion: the default 5 s limit is wall-clock, and a machine shared with other
 * work stretches these (many runs of 10,000-character strings; 10 MB archives) past it.
 */
const TEST_TIMEOUT_MS = 60_000;
vi.setConfig({ testTimeout: TEST_TIMEOUT_MS });

const AWKWARD = [
  ',', '"', "'", '\n', '\r', '\r\n', '\t', '\u0000', ' ', '\u00a0', '=', '+', '-', '@', '{}', '<', '>', '&', '\\', '/',
  'עברית', 'العربية', '\u202e', '\u200f', '\u2028', '\u2029', 'e\u0301', '\u0301', '👩🏽‍💻', '🇺🇦', '\ufeff', '\ud800', '\udfff', '\ud83d',
];
const unit = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...AWKWARD) },
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
);
/** Any text: mostly short, sometimes 10,000 characters long. */
const anyText = (maxLength: number) =>
  fc.oneof({ weight: 5, arbitrary: fc.string({ unit, maxLength: Math.min(maxLength, 40) }) }, { weight: 1, arbitrary: fc.string({ unit, minLength: maxLength - 20, maxLength }) }).map((s) => s.slice(0, maxLength));

const CONTROL = /\p{Cc}/gu;
/**
 * What every browser API that writes UTF-8 makes of a string: lone surrogates become U+FFFD. `ignoreBOM`: a
 * leading U+FEFF is part of the string (the default decoder would drop it, which no encoder does).
 */
const wellFormed = (s: string) => new TextDecoder('utf-8', { ignoreBOM: true }).decode(new TextEncoder().encode(s));
/** Text through a Blob, as the app downloads its exports. */
const throughUtf8 = wellFormed;

/** A label the labels box and every import accept: no control characters, trimmed, not blank. */
const label = (maxLength = MAX_LABEL_CHARS) =>
  anyText(maxLength)
    .map((s) => s.replace(CONTROL, ' ').trim())
    .filter((s) => s !== '');
/** A file name as a folder drop gives it: no slashes or control characters, not "." or "..". */
const fileName = anyText(MAX_ITEM_PATH_CHARS - 12)
  .map((s) => `${s.replace(CONTROL, ' ').replace(/[/\\]/g, '_').trim()}.png`)
  .filter((s) => s.trim() === s);

const item = (file: string, text: string, decision: ExportItem['decision']): ExportItem => ({
  file,
  predictions: [
    { label: text, score: 0.625 },
    { label: `${text} (other)`, score: 0.375 },
  ],
  decision,
  finalLabel: decision === 'overridden' ? text : null,
});

const items = fc
  // Unique as CSV sees them (after UTF-8), since the truth import keeps the first of a repeated name.
  .uniqueArray(fc.tuple(fileName, label(), fc.constantFrom<ExportItem['decision']>('none', 'accepted', 'overridden')), { maxLength: 6, selector: ([file]) => wellFormed(file) })
  .map((rows) => rows.map(([file, text, decision]) => item(file, text, decision)));

describe('CSV', () => {
  it('parseCsv(toCsv(rows)) gives the rows back, any text, guard on (then unguarded) or off', () => {
    const rows = fc.array(fc.array(anyText(10_000), { minLength: 1, maxLength: 4 }), { maxLength: 5 });
    fc.assert(
      fc.property(rows, (table) => {
        // A row of one empty field is written as "" so it is not a blank line: it reads back.
        expect(parseCsv(toCsv(table, { guardFormulas: false }))).toEqual(table);
        expect(parseCsv(toCsv(table)).map((row) => row.map(unguardFormula))).toEqual(table);
      }),
      RUNS,
    );
  });

  it('the items CSV export, read back as ground truth, gives every file its label', () => {
    fc.assert(
      fc.property(items, (exported) => {
        const parsed = parseLabelCsv(throughUtf8(csvExport(exported)));
        expect(parsed.problems).toEqual([]);
        expect(parsed.rows).toEqual(exported.map((e) => ({ file: wellFormed(e.file), label: wellFormed(e.finalLabel ?? e.predictions[0]!.label) })));
      }),
      RUNS,
    );
  });
});

describe('JSON Lines and Label Studio', () => {
  it('JSON Lines: one line per item, each giving back file, label and every prediction', () => {
    const anyItems = fc.array(fc.tuple(anyText(10_000), anyText(10_000)), { maxLength: 5 }).map((rows) => rows.map(([file, text]) => item(file, text, 'accepted')));
    fc.assert(
      fc.property(anyItems, (exported) => {
        const lines = throughUtf8(jsonLinesExport(exported)).split('\n');
        expect(lines.pop()).toBe('');
        expect(lines).toHaveLength(exported.length);
        lines.forEach((line, index) => {
          const record = JSON.parse(line) as { file: string; label: string; predictions: { label: string }[] };
          const e = exported[index]!;
          expect(record.file).toBe(e.file);
          expect(record.label).toBe(e.predictions[0]!.label);
          expect(record.predictions.map((p) => p.label)).toEqual(e.predictions.map((p) => p.label));
        });
      }),
      RUNS,
    );
  });

  it('Label Studio tasks read back: file, the predicted label, and reviewed labels as annotations', () => {
    fc.assert(
      fc.property(items, fc.constantFrom<'image' | 'audio'>('image', 'audio'), (exported, media) => {
        const parsed = parseLabelStudioTasks(throughUtf8(labelStudioJson(exported, { media, modelVersion: 'org/model', reviewedAsAnnotations: true })));
        expect(parsed.problems).toEqual([]);
        expect(parsed.rows).toEqual(
          exported.map((e) => ({
            file: e.file,
            predicted: e.predictions[0]!.label,
            annotated: e.decision === 'none' ? null : (e.finalLabel ?? e.predictions[0]!.label),
          })),
        );
      }),
      RUNS,
    );
  });
});

describe('project files', () => {
  const bytesOf = async (stream: ReadableStream<Uint8Array>) => new Uint8Array(await new Response(stream).arrayBuffer());

  it('write → read gives back names, paths, labels, truth, the labels text and template, and the media bytes', async () => {
    const project = fc.record({
      names: fc.uniqueArray(fileName, { minLength: 1, maxLength: 4 }),
      labels: fc.uniqueArray(label(), { minLength: 1, maxLength: 4 }),
      template: anyText(MAX_TEMPLATE_CHARS),
      transcript: anyText(2_000),
      bytes: fc.uint8Array({ maxLength: 64 }),
    });
    await fc.assert(
      fc.asyncProperty(project, async ({ names, labels, template, transcript, bytes }) => {
        const input: ProjectInput = {
          task: 'image',
          settings: { modelId: 'builtin/clip-shapes', labelsText: labels.join('\n'), template, calibration: 'none', aggregation: 'mean' },
          labels,
          items: names.map((name, index) => ({
            path: `f${index}/${name}`,
            name,
            truth: labels[index % labels.length]!,
            decision: 'overridden',
            finalLabel: labels[(index + 1) % labels.length]!,
            predictions: labels.map((l, i) => ({ label: l, score: i / labels.length })),
            transcript,
            media: { blob: new Blob([bytes.slice()]), mime: 'image/png' },
          })),
        };
        const result = await readProjectFile(await bytesOf(writeProjectFile(input, zipStream)));
        expect(result.ok ? [] : result.problems).toEqual([]);
        if (!result.ok) return;
        const { manifest, media } = result.project;
        expect(manifest.settings).toEqual(input.settings);
        expect(manifest.labels).toEqual(labels);
        manifest.items.forEach((restored, index) => {
          const { media: _media, ...expected } = input.items[index]!;
          expect({ ...restored, media: undefined }).toEqual({ ...expected, media: undefined });
          expect(media.get(restored.media!.path)).toEqual(bytes);
        });
      }),
      { numRuns: 25 },
    );
  });
});

describe('share links', () => {
  /** What a demo link may carry: no markup (a link someone sends is refused with it), within its limits. */
  const linkText = (maxLength: number) => label(maxLength).filter((s) => !looksLikeMarkup(s));

  it('decode(encode(state)) is the state, examples byte for byte', async () => {
    const state = fc.record({
      task: fc.constantFrom<'image' | 'audio'>('image', 'audio'),
      labels: fc.array(linkText(MAX_SHARED_LABEL_CHARS), { minLength: 1, maxLength: 6 }),
      templates: fc.array(anyText(MAX_TEMPLATE_CHARS).filter((s) => !looksLikeMarkup(s)), { maxLength: 3 }),
      calibration: fc.option(fc.constantFrom<'none' | 'zero-input' | 'prior'>('none', 'zero-input', 'prior'), { nil: undefined }),
      examples: fc.option(
        fc.array(fc.record({ name: linkText(MAX_EXAMPLE_NAME_CHARS), mime: fc.constantFrom(...SHARED_EXAMPLE_MIME_TYPES), bytes: fc.uint8Array({ maxLength: 200 }) }), { maxLength: 2 }),
        { nil: undefined },
      ),
    });
    await fc.assert(
      fc.asyncProperty(state, async (drawn) => {
        const shared: ShareState = { v: 1, model: 'builtin/clip-shapes', ...drawn };
        if (shared.calibration === undefined) delete shared.calibration;
        if (shared.examples === undefined) delete shared.examples;
        const encoded = await encodeShareFragment(shared);
        expect(encoded.ok ? [] : encoded.problems).toEqual([]);
        if (!encoded.ok) return;
        // What the browser's address bar gives back: the fragment is base64url, nothing to escape.
        expect(encoded.fragment).toMatch(/^#demo=[A-Za-z0-9_-]+$/);
        const decoded = await decodeShareFragment(new URL(`http://x/${encoded.fragment}`).hash);
        expect(decoded.ok ? [] : decoded.problems).toEqual([]);
        if (!decoded.ok) return;
        expect({ ...decoded.state, examples: undefined }).toEqual({ ...shared, examples: undefined });
        expect(decoded.state.examples?.map((e) => [e.name, e.mime, Array.from(e.bytes)])).toEqual(shared.examples?.map((e) => [e.name, e.mime, Array.from(e.bytes)]));
      }),
      RUNS,
    );
  });

  it('URL state: parse(build(state)) keeps the template and the labels (commas become spaces, as documented)', () => {
    const labelsArb = fc.array(label(60), { minLength: 1, maxLength: 8 });
    fc.assert(
      fc.property(labelsArb, anyText(MAX_TEMPLATE_CHARS), fc.constantFrom<'image' | 'audio'>('image', 'audio'), (labels, template, task) => {
        const query = buildShareQuery({ task, model: 'org/model', labels, template });
        // Through a real URL, as the browser hands `location.search` over.
        const parsed = parseUrlState(new URL(`http://x/${query}`).search);
        expect(parsed.rejected).toEqual([]);
        expect(parsed.template).toBe(wellFormed(template));
        expect(parsed.model).toBe('org/model');
        expect(parsed.task ?? 'image').toBe(task);
        expect(parsed.labels).toEqual(labels.map((l) => wellFormed(l).replace(/,/g, ' ').trim()).filter((l) => l !== ''));
      }),
      RUNS,
    );
  });
});
