/**
 * Exports and the project file: each export downloads, parses, and holds the right rows for six
 * shape images with the built-in model; project export → Remove all → import gives back the same
 * workspace. Decisions are set through the store's review action (zspDebug.review, ?debug=1).
 *
 * ZIP exports have two paths: streamed into a file from `showSaveFilePicker` (exercised through
 * a stand-in picker, `saveThroughPicker`) and one Blob handed to a download (the default here:
 * `useDownloadsForSaving` removes the picker headless Chromium cannot answer). Both are checked.
 * CSV is parsed with papaparse, not the app's own parser.
 */
import Papa from 'papaparse';
import { WorkspacePage } from './pages/workspace-page';
import { BUILTIN_MODEL_ID_FOR_TESTS, SHAPE_SET, addShapeSet } from './support/workspace-fixtures';
import { listZip } from './support/zip-listing';
import { test, expect } from './support/test';

const LABELS = SHAPE_SET.map((image) => image.label);
const NAMES = SHAPE_SET.map((image) => image.name);

test('exports, ground truth and the project file round trip', async ({ page, playground }) => {
  const workspace = new WorkspacePage(page);
  await workspace.useDownloadsForSaving();
  await playground.open({ backend: 'wasm', labels: LABELS, debug: true });
  await playground.expectModelReady({ model: BUILTIN_MODEL_ID_FOR_TESTS });
  await addShapeSet(playground, LABELS);
  const tops = new Map<string, string | undefined>();
  for (const name of NAMES) tops.set(name, await playground.topLabel(name));
  // The built-in model gets these right; the rows below depend on it.
  for (const image of SHAPE_SET) expect(tops.get(image.name), image.name).toBe(image.label);

  const [a, b, c, d] = SHAPE_SET;
  expect(await workspace.review([a!.name, b!.name], { kind: 'accept' })).toBe(2);
  expect(await workspace.review([c!.name], { kind: 'pick', label: 'yellow star' })).toBe(1);
  expect(await workspace.review([d!.name], { kind: 'reject' })).toBe(1);
  const expectedStatus = (name: string): 'accepted' | 'overridden' | 'rejected' | 'unreviewed' =>
    name === a!.name || name === b!.name ? 'accepted' : name === c!.name ? 'overridden' : name === d!.name ? 'rejected' : 'unreviewed';
  const expectedLabel = (name: string) => (name === c!.name ? 'yellow star' : name === d!.name ? '' : tops.get(name));

  // Ground truth from a CSV: two rows match, one names no item.
  await workspace.importTruthCsv(`file,label\n${a!.name},${a!.label}\n${c!.name},${c!.label}\nnot-here.png,red circle\n`);
  await expect(workspace.message).toContainText('Ground truth for 2 items');
  await expect(workspace.message).toContainText('not-here.png: no such item');

  // CSV: header, one row per item, the right label, score and status.
  const parsedCsv = Papa.parse<string[]>(await workspace.downloadText('export-csv'), { skipEmptyLines: true });
  expect(parsedCsv.errors).toEqual([]);
  const csv = parsedCsv.data;
  expect(csv[0]).toEqual(['file', 'label', 'score', 'status']);
  expect(csv.slice(1).map((row) => row[0])).toEqual(NAMES);
  for (const [file, label, score, status] of csv.slice(1)) {
    expect(status, file).toBe(expectedStatus(file!));
    expect(label, file).toBe(expectedLabel(file!));
    if (label === '') expect(score).toBe('');
    else {
      const shown = (await playground.predictions(file!)).find((prediction) => prediction.label === label);
      expect(Number(score), `${file} score`).toBe(shown?.score);
    }
  }

  // JSON Lines: every label's score per item, and the imported truth.
  const jsonl = (await workspace.downloadText('export-jsonl')).split('\n');
  expect(jsonl.pop()).toBe('');
  const records = jsonl.map((line) => JSON.parse(line) as { file: string; status: string; truth?: string; predictions: { label: string; score: number }[] });
  expect(records.map((record) => record.file)).toEqual(NAMES);
  for (const record of records) {
    expect(record.predictions.map((p) => p.label).sort()).toEqual([...LABELS].sort());
    expect(record.predictions[0]?.label).toBe(tops.get(record.file));
    expect(record.status).toBe(expectedStatus(record.file));
  }
  expect(records.find((record) => record.file === a!.name)?.truth).toBe(a!.label);
  expect(records.find((record) => record.file === c!.name)?.truth).toBe(c!.label);
  expect(records.filter((record) => record.truth !== undefined)).toHaveLength(2);

  // Label Studio: one task per item, the top label as a prediction from this model.
  const tasks = JSON.parse(await workspace.downloadText('export-labelstudio')) as {
    data: { image: string };
    predictions: { model_version: string; result: { from_name: string; to_name: string; type: string; value: { choices: string[] } }[] }[];
  }[];
  expect(tasks.map((task) => task.data.image)).toEqual(NAMES);
  for (const task of tasks) {
    expect(task.predictions).toHaveLength(1);
    expect(task.predictions[0]?.model_version).toBe(BUILTIN_MODEL_ID_FOR_TESTS);
    expect(task.predictions[0]?.result[0]).toMatchObject({ from_name: 'label', to_name: 'image', type: 'choices', value: { choices: [tops.get(task.data.image)] } });
  }
  const config = await workspace.downloadText('export-labelstudio-config');
  for (const label of LABELS) expect(config).toContain(`<Choice value="${label}"/>`);

  // ImageFolder: the accepted and overridden items only, one folder per label, stored (method 0:
  // the media are compressed already). Once streamed into a picked file, once as a download.
  const expectedFolders = [`${a!.label}/${a!.name}`, `${b!.label}/${b!.name}`, `yellow star/${c!.name}`].sort();
  const streamed = await workspace.saveThroughPicker('export-imagefolder');
  expect(streamed.fileName).toMatch(/^zsp-image-\d{4}-\d{2}-\d{2}-imagefolder\.zip$/);
  const imageFolder = await workspace.download('export-imagefolder');
  expect(imageFolder.fileName).toBe(streamed.fileName);
  for (const archive of [streamed, imageFolder]) {
    const listing = listZip(archive.bytes);
    expect(listing.map((entry) => entry.path).sort()).toEqual(expectedFolders);
    for (const entry of listing) {
      const image = SHAPE_SET.find((shape) => entry.path.endsWith(`/${shape.name}`))!;
      expect(entry.size).toBe(image.buffer.length);
      expect(entry.method, entry.path).toBe(0);
      expect(entry.compressedSize).toBe(entry.size);
    }
  }
  await expect(workspace.message).toContainText('3 accepted items exported');
  // The ZIP (CRC-32 included) is written in the archive worker, not on the page's thread.
  expect(page.workers().map((worker) => worker.url()).filter((url) => url.includes('archive.worker'))).toHaveLength(1);

  // Project file: settings, labels, items and media.
  const csvBefore = await workspace.downloadText('export-csv');
  const project = await workspace.download('export-project');
  const projectPaths = ['project.json', ...NAMES.map((name, i) => `media/${String(i + 1).padStart(5, '0')}-${name}`)];
  expect(listZip(project.bytes).map((entry) => entry.path)).toEqual(projectPaths);
  const streamedProject = await workspace.saveThroughPicker('export-project');
  expect(streamedProject.fileName).toBe(project.fileName);
  expect(listZip(streamedProject.bytes).map((entry) => [entry.path, entry.size])).toEqual(listZip(project.bytes).map((entry) => [entry.path, entry.size]));
  await workspace.includeMedia.uncheck();
  const decisionsOnly = await workspace.download('export-project');
  expect(listZip(decisionsOnly.bytes).map((entry) => entry.path)).toEqual(['project.json']);

  // Clear the workspace and the labels, then import: the same workspace comes back.
  await workspace.removeAllButton.click();
  await expect(playground.items).toHaveCount(0);
  await playground.setLabels('something else');
  await workspace.importProject(project);
  await expect(workspace.message).toContainText('6 items restored');
  await expect(playground.labelsInput).toHaveValue(LABELS.join('\n'));
  await expect(playground.items).toHaveCount(NAMES.length);
  expect(await playground.items.evaluateAll((els) => els.map((el) => el.getAttribute('data-name')))).toEqual(NAMES);
  await playground.waitForSettled(NAMES);
  for (const name of NAMES) {
    await playground.waitForPredictionLabels(name, LABELS);
    expect(await playground.topLabel(name), name).toBe(tops.get(name));
  }
  expect(await workspace.downloadText('export-csv')).toBe(csvBefore);
  // The items carry their decisions and truth again (the review grid's contract).
  const decisionOf = { accepted: 'accepted', overridden: 'overridden', rejected: 'rejected', unreviewed: 'none' } as const;
  for (const image of SHAPE_SET) {
    await expect(playground.item(image.name)).toHaveAttribute('data-decision', decisionOf[expectedStatus(image.name)]);
    if (image === a || image === c) await expect(playground.item(image.name)).toHaveAttribute('data-truth', image.label);
    else await expect(playground.item(image.name)).not.toHaveAttribute('data-truth');
  }
  const jsonlAfter = (await workspace.downloadText('export-jsonl')).split('\n').filter(Boolean).map((line) => JSON.parse(line) as { truth?: string });
  expect(jsonlAfter.map((record) => record.truth)).toEqual(records.map((record) => record.truth));

  // Without media, the file's decisions go to the items already here with the same path.
  await workspace.review([a!.name], { kind: 'reject' });
  await workspace.importProject(decisionsOnly);
  await expect(workspace.message).toContainText('decisions applied to 6 items');
  expect(await workspace.downloadText('export-csv')).toBe(csvBefore);
  expect(playground.pageErrors).toEqual([]);
});

test('a damaged project file is refused with the reason, and the workspace is left alone', async ({ page, playground }) => {
  const workspace = new WorkspacePage(page);
  await playground.open({ backend: 'wasm', labels: ['red circle', 'blue square'] });
  await workspace.importProject({ fileName: 'broken.zsp.zip', bytes: Buffer.from('PK this is not a zip') });
  await expect(workspace.message).toHaveAttribute('data-tone', 'error');
  await expect(workspace.message).toContainText('broken.zsp.zip was not imported');
  await expect(playground.labelsInput).toHaveValue('red circle\nblue square');
});
