/**
 * Spreadsheet formula injection in every export the app offers, read back with someone else's
 * reader (papaparse) where the file is CSV. The exports and what each does:
 *
 *   items CSV (export panel)      guarded: a cell a spreadsheet would run gets a leading '
 *   experiments CSV (lab)         guarded, the same way
 *   JSON Lines, Label Studio JSON, experiments JSON, project file (project.json), head JSON
 *                                 not guarded: JSON is read by programs, never as spreadsheet cells
 *                                 (Excel's JSON import goes through Power Query, which keeps text as
 *                                 text), and a ' added to a label would corrupt it for every reader
 *   Label Studio config XML       labels XML-escaped (it is markup), not formula-guarded
 *   ImageFolder ZIP               labels and names become file system–safe path segments
 */
import Papa from 'papaparse';
import { describe, expect, it } from 'vitest';
import { parseLabelCsv } from './csv';
import { csvExport, imageFolderEntries, jsonLinesExport, type ExportItem } from './exportRows';
import { experimentsToCsv, experimentsToJson, parseExperimentsJson, type Experiment } from './experiments';
import { labelStudioConfig, labelStudioJson, labelStudioTruth, parseLabelStudioTasks } from './labelStudio';
import { buildProjectManifest, validateProjectManifest } from './projectFile';

/** Every way a cell can start that a spreadsheet runs, OWASP's list and white space in front of it. */
export const FORMULA_PROBES = ['=1+1', '+cmd|" /C calc"!A0', '-2+3', '@SUM(A1:A2)', '\t=1', '\r=1', ' =HYPERLINK("http://x")', '\n@x', "'=already"];

/** A cell a spreadsheet would run: one of the triggers first, or behind white space (numbers aside). */
function runnable(cell: string): boolean {
  return /^(?:[\t\r]|\s*[=+\-@])/.test(cell) && !/^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i.test(cell);
}

const readCells = (csv: string) => Papa.parse<string[]>(csv, { skipEmptyLines: false }).data.flat();

const items: ExportItem[] = FORMULA_PROBES.map((probe, index) => ({
  file: `${probe}${index}.png`,
  predictions: [
    { label: probe, score: 0.75 },
    { label: `other ${index}`, score: 0.25 },
  ],
  decision: index % 2 === 0 ? 'accepted' : 'overridden',
  finalLabel: probe,
}));

function experiment(name: string): Experiment {
  return {
    id: `${name}-id`,
    runId: name,
    task: 'image',
    modelId: 'builtin/clip-shapes',
    createdAt: Date.UTC(2026, 0, 1),
    kind: 'single',
    name,
    templates: [name, 'a photo of a {}.'],
    labelsText: `${name}\ncat`,
    labels: [name, 'cat'],
    calibration: null,
    aggregation: null,
    classifier: 'zero-shot',
    evaluated: 2,
    accuracy: 0.5,
    cvAccuracy: null,
    macroF1: 0.5,
    perClassRecall: [1, 0],
    perClassSupport: [1, 1],
    confusion: [
      [1, 0],
      [1, 0],
    ],
  };
}

describe('formula injection, export by export', () => {
  it('items CSV: no cell papaparse reads would run, and our truth import gives every label back as it was', () => {
    const csv = csvExport(items);
    const cells = readCells(csv);
    expect(cells.filter(runnable)).toEqual([]);
    for (const probe of FORMULA_PROBES) expect(cells).toContain(`'${probe}`);
    // Trimmed by the truth import, as every label is; the guard itself comes off.
    expect(parseLabelCsv(csv).rows).toEqual(items.map((item) => ({ file: item.file.trim(), label: (item.finalLabel as string).trim() })));
  });

  it('experiments CSV: no cell would run (names, templates, labels, per-class recall)', () => {
    const csv = experimentsToCsv(FORMULA_PROBES.map(experiment));
    const cells = readCells(csv);
    expect(cells.filter(runnable)).toEqual([]);
    expect(cells).toContain("'=1+1");
    expect(cells).toContain(`'=1+1\na photo of a {}.`);
    expect(cells).toContain("'=1+1=1; cat=0");
  });

  it('JSON exports keep every value exactly (not guarded; decided above) and read back equal', () => {
    const records = jsonLinesExport(items)
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { file: string; label: string });
    expect(records.map((record) => [record.file, record.label])).toEqual(items.map((item) => [item.file, item.finalLabel]));

    // Label Studio's reader refuses control characters in names and labels, as every import does.
    const printable = items.filter((item) => !/\p{Cc}/u.test(item.file));
    expect(printable.length).toBeGreaterThan(5);
    const tasks = parseLabelStudioTasks(labelStudioJson(printable, { media: 'image', modelVersion: 'm', reviewedAsAnnotations: true }));
    expect(tasks.problems).toEqual([]);
    expect(tasks.rows.map((row) => [row.file, row.predicted, row.annotated])).toEqual(printable.map((item) => [item.file, item.finalLabel, item.finalLabel]));

    const experiments = FORMULA_PROBES.map(experiment);
    expect(parseExperimentsJson(experimentsToJson(experiments))).toEqual(experiments);

    const manifest = buildProjectManifest({
      task: 'image',
      settings: { modelId: 'builtin/clip-shapes', labelsText: FORMULA_PROBES.join('\n'), template: '=a {}', calibration: 'none', aggregation: 'mean' },
      labels: FORMULA_PROBES.map((probe) => probe.trim()),
      items: items.map((item) => ({ path: item.file.trim(), name: item.file.trim(), truth: item.finalLabel, decision: 'accepted', finalLabel: item.finalLabel, predictions: [...item.predictions] })),
    });
    const checked = validateProjectManifest(JSON.parse(JSON.stringify(manifest)));
    expect(checked.ok ? checked.manifest : checked.problems).toEqual(manifest);
  });

  it('Label Studio config: labels are escaped XML attribute values, so a label cannot add markup', () => {
    const config = labelStudioConfig(['"><script>x</script>', "a'b&c"], 'image');
    expect(config).toContain('<Choice value="&quot;&gt;&lt;script&gt;x&lt;/script&gt;"/>');
    expect(config).toContain('<Choice value="a&apos;b&amp;c"/>');
    expect(config).not.toContain('<script>');
  });

  it('ImageFolder ZIP: labels and names that look like formulas or paths become plain path segments', () => {
    const entries = imageFolderEntries([{ file: '../=evil.png', predictions: [], decision: 'overridden', finalLabel: '../../=x' }]);
    expect(entries.map((entry) => entry.path)).toEqual(['_._.._=x/=evil.png']);
  });
});

describe('Label Studio files as ground truth', () => {
  /** A task as Label Studio's own "JSON" export writes it (fields trimmed to a few of its many). */
  const exported = [
    {
      id: 7,
      data: { image: '/data/upload/1/red.png' },
      annotations: [
        { id: 1, completed_by: 1, was_cancelled: false, result: [{ id: 'a', type: 'choices', from_name: 'label', to_name: 'image', value: { choices: ['red circle'] } }], created_at: '2026-01-01T00:00:00Z' },
        { id: 2, was_cancelled: true, result: [{ type: 'choices', value: { choices: ['skipped'] } }] },
      ],
      predictions: [{ model_version: 'm', result: [{ type: 'choices', value: { choices: ['blue circle'] } }] }],
      meta: {},
      file_upload: 'red.png',
    },
    { id: 8, data: { image: 'b.png' }, annotations: [], predictions: [] },
  ];

  it('reads a task as Label Studio exports it: the last annotation not cancelled, extra fields ignored', () => {
    expect(parseLabelStudioTasks(JSON.stringify(exported))).toEqual({
      rows: [
        { file: '/data/upload/1/red.png', predicted: 'blue circle', annotated: 'red circle' },
        { file: 'b.png', predicted: null, annotated: null },
      ],
      problems: [],
    });
    expect(labelStudioTruth(JSON.stringify(exported))).toEqual({
      rows: [{ file: '/data/upload/1/red.png', label: 'red circle' }],
      problems: ['1 tasks have no annotation (a prediction is not ground truth)'],
    });
  });

  it('refuses what is not a list of tasks, and each bad task by its number, keeping the good ones', () => {
    expect(parseLabelStudioTasks('{').problems).toEqual(['not readable JSON']);
    expect(parseLabelStudioTasks('{"data":{}}').problems).toEqual(['not a list of Label Studio tasks: must be a list of tasks, not an object']);
    const hostile = [
      { data: { image: 'x'.repeat(1025) } },
      { data: { image: 'a\u0000.png' } },
      { data: { image: 'ok.png' }, annotations: [{ result: [{ type: 'choices', value: { choices: ['l'.repeat(10_001)] } }] }] },
      { data: { image: 'ok2.png' }, annotations: Array.from({ length: 101 }, () => ({ result: [] })) },
      { data: { text: 'no media' } },
      { data: { image: 'good.png' }, annotations: [{ result: [{ type: 'choices', value: { choices: ['<img src=x onerror=alert(1)>'] } }] }] },
    ];
    const parsed = parseLabelStudioTasks(JSON.stringify(hostile));
    expect(parsed.rows).toEqual([{ file: 'good.png', predicted: null, annotated: '<img src=x onerror=alert(1)>' }]);
    expect(parsed.problems).toEqual([
      'task 1: data.image: longer than 1024 characters',
      'task 2: data.image: contains control characters',
      'task 3: annotations[0].result[0].value.choices[0]: longer than 10000 characters',
      'task 4: annotations: more than 100 annotations (101)',
      'task 5: no data.image or data.audio',
    ]);
    expect(parseLabelStudioTasks(JSON.stringify(Array.from({ length: 20_001 }, () => 0))).problems).toEqual(['not a list of Label Studio tasks: more than 20000 tasks (20001)']);
  });
});
