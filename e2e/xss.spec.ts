/**
 * Untrusted text everywhere a user string is shown, in one session: script probes as file and
 * folder names, labels, templates, ground truth (CSV and Label Studio JSON), saved templates (so experiment names), a review decision, bias
 * probe attributes, a few-shot head file's labels, an imported project file and a shared link;
 * an SVG image carrying <script> and onload. After each step: no probe ran (the probes set
 * `window.__xss*`), no dialog opened, no CSP script violation (a probe the CSP stopped still
 * means text became markup), no inline handler or `javascript:` URL in the DOM, and every href/src
 * is blob:/data:/same-origin or one of the app's fixed links. Every probe shows up literally.
 * Then a zip-bomb project file is refused with a clear message and the app keeps working.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { serializeHead, type HeadFile } from '../src/lib/fewShotHead';
import { LabPage } from './pages/lab-page';
import { ReviewPage } from './pages/review-page';
import { openAnalysisTab } from './pages/sections';
import { WorkspacePage } from './pages/workspace-page';
import { XssProbePage } from './pages/xss-page';
import { packShareState } from './support/shareLink';
import { SHAPE_SET, BUILTIN_MODEL_ID_FOR_TESTS } from './support/workspace-fixtures';
import { zipBombProject } from './support/zipBomb';
import { test, expect } from './support/test';

const IMG = '<img src=x onerror=window.__xss=1>';
const JS_URL = 'javascript:alert(1)';
const SCRIPT = '</script><script>window.__xss=2</script>';
const TEMPLATE_INJECTION = "{{constructor.constructor('window.__xss=3')()}}";
const ATTRIBUTE_BREAK = '"><svg onload=window.__xss=4>';

const LABELS = [IMG, JS_URL, SCRIPT, TEMPLATE_INJECTION, ATTRIBUTE_BREAK];
const TEMPLATE = '<img src=x onerror=window.__xss=5> {}';
const SAVED_TEMPLATES = [`${TEMPLATE_INJECTION} {}`, `${ATTRIBUTE_BREAK} a {}`];

/** File names can't hold "/", so the closing-tag probe is a label only. */
const NAMES = [`${IMG}.png`, `${JS_URL}.png`, `${TEMPLATE_INJECTION}.png`, `${ATTRIBUTE_BREAK}.png`, 'plain.png'];
const SVG_NAME = `${IMG}.svg`;
const SVG = Buffer.from(
  '<svg xmlns="http://www.w3.org/2000/svg" width="96" height="96" onload="window.__xss=6">' +
    '<script>window.__xss=7</script><rect width="96" height="96" fill="#e00"/></svg>',
);
/** HTML inside an SVG: the browser taints a canvas it is drawn on, so the app can't read it and says so. */
const SVG_HTML_NAME = 'foreign-object.svg';
const SVG_HTML = Buffer.from(
  '<svg xmlns="http://www.w3.org/2000/svg" width="96" height="96"><rect width="96" height="96" fill="#00e"/>' +
    '<foreignObject width="50" height="50"><img xmlns="http://www.w3.org/1999/xhtml" src="x" onerror="window.__xss=8"/></foreignObject></svg>',
);
/** Two items per class, so the metrics and the grid search have something to count. */
const TRUTH = [IMG, IMG, TEMPLATE_INJECTION, TEMPLATE_INJECTION, ATTRIBUTE_BREAK, ATTRIBUTE_BREAK];

/** Folders named like probes, in ImageFolder layout: each folder name becomes its files' truth. */
const FOLDERS = [
  { folder: IMG, file: 'folder-a.png' },
  { folder: ATTRIBUTE_BREAK, file: 'folder-b.png' },
];

function writeProbeFolder(): string {
  mkdirSync(join('e2e', '.tmp'), { recursive: true });
  const root = join(mkdtempSync(join('e2e', '.tmp', 'xss-')), 'picked');
  FOLDERS.forEach(({ folder, file }, i) => {
    mkdirSync(join(root, folder), { recursive: true });
    writeFileSync(join(root, folder, file), SHAPE_SET[i]!.buffer);
  });
  return root;
}

const csvCell = (value: string) => `"${value.replace(/"/g, '""')}"`;

test('script probes in every user string run nothing and show as text; a zip-bomb project is refused', async ({ page, playground }) => {
  const xss = new XssProbePage(page);
  const workspace = new WorkspacePage(page);
  const lab = new LabPage(page);
  await xss.install();
  await workspace.useDownloadsForSaving();
  await playground.open({ backend: 'wasm', debug: true });
  await xss.expectDetectorsWork();
  await playground.expectModelReady({ model: BUILTIN_MODEL_ID_FOR_TESTS });

  // Labels, a template, file names, and an SVG with script as an image.
  await playground.setLabels(LABELS);
  await playground.setTemplate(TEMPLATE);
  const images = SHAPE_SET.slice(0, NAMES.length).map((image, i) => ({ ...image, name: NAMES[i]! }));
  await playground.addImages([...images, { name: SVG_NAME, mimeType: 'image/svg+xml', buffer: SVG }, { name: SVG_HTML_NAME, mimeType: 'image/svg+xml', buffer: SVG_HTML }]);
  const allNames = [...NAMES, SVG_NAME];
  await playground.waitForSettled([...allNames, SVG_HTML_NAME]);
  await expect(playground.item(SVG_HTML_NAME)).toHaveAttribute('data-state', 'error');
  expect(await playground.itemError(SVG_HTML_NAME)).toContain('could not be rendered');
  await playground.item(SVG_HTML_NAME).getByRole('button', { name: `Remove ${SVG_HTML_NAME}` }).click();
  await expect(playground.item(SVG_HTML_NAME)).toHaveCount(0);
  for (const name of allNames) {
    await expect(playground.item(name), name).toHaveAttribute('data-state', 'done');
    await expect(playground.item(name)).toContainText(name);
    await playground.waitForPredictionLabels(name, LABELS);
  }
  await expect(playground.item(NAMES[0]!).getByTestId('pre-label')).toHaveText(new RegExp(`^(${LABELS.map((l) => l.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')}) `));
  await expect(playground.labelsInput).toHaveValue(LABELS.join('\n'));
  await xss.expectNothingRan('labels, template, file names, SVG');

  // Folder names: picked as a folder, each gives its files' truth.
  await new ReviewPage(page).addFolder(writeProbeFolder());
  const folderNames = FOLDERS.map(({ file }) => file);
  await playground.waitForSettled(folderNames);
  for (const { folder, file } of FOLDERS) {
    await expect(playground.item(file)).toHaveAttribute('data-truth', folder);
    await expect(playground.item(file)).toContainText(`truth: ${folder}`);
    await expect(playground.item(file)).toHaveAttribute('data-path', `picked/${folder}/${file}`);
  }
  await xss.expectNothingRan('folder names');

  // Ground truth from a CSV, one row naming no item (its name is listed in the message).
  const rows = allNames.map((name, i) => `${csvCell(name)},${csvCell(TRUTH[i]!)}`);
  await workspace.openExportPanel();
  await workspace.importTruthCsv(['file,label', ...rows, `${csvCell(`${SCRIPT}.jpg`)},${csvCell(IMG)}`].join('\r\n'));
  await expect(workspace.message).toContainText(`Ground truth for ${allNames.length} items`);
  await expect(page.getByTestId('export-message-details')).toContainText(`${SCRIPT}.jpg: no such item`);
  // The same truth again as Label Studio's own JSON export writes it (annotations), with one task naming no item.
  const tasks = [...allNames, `${SCRIPT}.png`].map((name, i) => ({
    id: i + 1,
    data: { image: name },
    annotations: [{ id: i + 1, was_cancelled: false, result: [{ type: 'choices', from_name: 'label', to_name: 'image', value: { choices: [TRUTH[i] ?? SCRIPT] } }] }],
    predictions: [],
  }));
  await workspace.importTruthInput.setInputFiles({ name: `${IMG}.json`, mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(tasks)) });
  await expect(workspace.message).toContainText(`Ground truth for ${allNames.length} items from ${IMG}.json. 1 rows matched no item.`);
  await expect(page.getByTestId('export-message-details')).toContainText(`${SCRIPT}.png: no such item`);
  for (const [i, name] of allNames.entries()) {
    await expect(playground.item(name)).toHaveAttribute('data-truth', TRUTH[i]!);
    await expect(playground.item(name)).toContainText(`truth: ${TRUTH[i]!}`);
  }

  // A review decision picking a probe label from the item's own picker.
  await playground.item(NAMES[4]!).getByTestId('decision-pick').selectOption({ value: SCRIPT });
  await expect(playground.item(NAMES[4]!)).toHaveAttribute('data-final-label', SCRIPT);
  await expect(playground.item(NAMES[4]!).getByTestId('decision-pick').locator('option', { hasText: TEMPLATE_INJECTION })).toHaveCount(1);

  // Metrics and the confusion matrix name the classes.
  const metrics = await openAnalysisTab(page, 'metrics');
  for (const label of [IMG, TEMPLATE_INJECTION, ATTRIBUTE_BREAK]) await expect(metrics.getByTestId('confusion-matrix')).toContainText(label);
  await expect(metrics.getByTestId('class-metrics')).toContainText(TEMPLATE_INJECTION);
  await xss.expectNothingRan('truth, review, metrics');

  // Saved templates, a grid search over them: the experiments are named after them.
  await lab.openTab('prompt-lab');
  for (const template of SAVED_TEMPLATES) {
    await page.getByTestId('saved-template-input').fill(template);
    await page.getByTestId('save-template').click();
  }
  await lab.runGridSearch({ set: 'saved' });
  for (const template of SAVED_TEMPLATES) await expect(lab.promptLab).toContainText(template);
  expect((await lab.experimentRows()).length).toBeGreaterThanOrEqual(SAVED_TEMPLATES.length);

  // The bias probe with probe attributes and template.
  await lab.runBiasProbe([{ a: JS_URL, b: ATTRIBUTE_BREAK }], `${SCRIPT} {}`);
  await expect(page.getByTestId('bias-pair-row')).toHaveAttribute('data-a', JS_URL);
  await expect(page.getByTestId('bias-report')).toContainText(ATTRIBUTE_BREAK);
  await xss.expectNothingRan('experiments, bias probe');

  // A few-shot head file whose labels are probes, in another order: refused, naming both lists.
  const head: HeadFile = {
    format: 'zero-shot-playground/few-shot-head',
    version: 1,
    task: 'image',
    modelId: BUILTIN_MODEL_ID_FOR_TESTS,
    labels: [...LABELS].reverse(),
    embeddingDim: 2,
    head: { kind: 'knn', classes: LABELS.length, dim: 2, k: 1, keys: Float32Array.from([1, 0, 0, 1]), keyLabels: Int32Array.from([0, 1]) },
    training: { source: 'truth', examples: 2, perClass: { [LABELS[4]!]: 1, [LABELS[3]!]: 1 }, chosen: { k: 1 }, cvAccuracy: null, folds: null, initialisedFromZeroShot: false, embedding: 'image', trainedAt: '2026-01-01T00:00:00.000Z' },
  };
  await lab.openTab('few-shot');
  await page.getByTestId('import-head').setInputFiles({ name: `${IMG}.json`, mimeType: 'application/json', buffer: Buffer.from(serializeHead(head)) });
  await expect(lab.labError).toContainText(`${IMG}.json was trained for the labels ${[...LABELS].reverse().join(', ')}`);
  await xss.expectNothingRan('few-shot head import');

  // The project file out and back in: the same names, labels and truth, still text.
  const project = await workspace.download('export-project');
  await workspace.removeAllButton.click();
  await expect(playground.items).toHaveCount(0);
  await workspace.importProject({ fileName: `${ATTRIBUTE_BREAK}.zsp.zip`, bytes: project.bytes });
  await expect(workspace.message).toContainText(`Imported ${ATTRIBUTE_BREAK}.zsp.zip: ${allNames.length + folderNames.length} items restored`);
  await playground.waitForSettled([...allNames, ...folderNames]);
  for (const name of allNames) await expect(playground.item(name)).toContainText(name);
  for (const { folder, file } of FOLDERS) await expect(playground.item(file)).toHaveAttribute('data-path', `picked/${folder}/${file}`);
  await expect(playground.item(NAMES[0]!)).toContainText(`truth: ${IMG}`);
  await xss.expectNothingRan('project import');

  // A zip bomb: ~10 MB declaring 10 GB. Refused from its directory, nothing changes.
  const bomb = zipBombProject();
  expect(bomb.length).toBeLessThan(12 * 1024 * 1024);
  await workspace.importProject({ fileName: 'bomb.zsp.zip', bytes: bomb });
  await expect(workspace.message).toHaveAttribute('data-tone', 'error');
  await expect(workspace.message).toContainText('bomb.zsp.zip was not imported');
  await expect(page.getByTestId('export-message-details')).toContainText(/the file would unpack to 10001 MB, more than the \d+ MB a project file of 10 MB may \(a zip bomb\?\); nothing was unpacked/);
  await expect(playground.items).toHaveCount(allNames.length + folderNames.length);
  // Still working: a label edit re-ranks every item.
  await playground.setLabels([...LABELS, 'red circle']);
  for (const name of allNames) await playground.waitForPredictionLabels(name, [...LABELS, 'red circle']);

  // A shared link made outside the app: its labels, template and example name are shown as text.
  const link = packShareState(
    { v: 1, task: 'image', model: BUILTIN_MODEL_ID_FOR_TESTS, labels: [JS_URL, TEMPLATE_INJECTION], templates: [`${TEMPLATE_INJECTION} {}`] },
    [{ name: `${TEMPLATE_INJECTION}-shared.png`, mime: 'image/png', bytes: SHAPE_SET[0]!.buffer }],
  );
  // Another query than the page's own, so the browser loads the page again rather than only moving to the fragment.
  await page.goto(`/?backend=wasm${link}`);
  await playground.expectModelReady({ model: BUILTIN_MODEL_ID_FOR_TESTS });
  await expect(playground.labelsInput).toHaveValue(`${JS_URL}\n${TEMPLATE_INJECTION}`);
  await expect(playground.templateInput).toHaveValue(`${TEMPLATE_INJECTION} {}`);
  await playground.waitForSettled([`${TEMPLATE_INJECTION}-shared.png`]);
  await playground.waitForPredictionLabels(`${TEMPLATE_INJECTION}-shared.png`, [JS_URL, TEMPLATE_INJECTION]);
  await xss.expectNothingRan('shared link');
  // One carrying markup is refused, and its problems are text too.
  await page.goto(`/?backend=wasm&debug=1${packShareState({ v: 1, task: 'image', model: BUILTIN_MODEL_ID_FOR_TESTS, labels: [IMG, SCRIPT], templates: [] })}`);
  await expect(workspace.shareError).toContainText('labels[0]: looks like HTML markup');
  await xss.expectNothingRan('refused link');
  expect(playground.pageErrors).toEqual([]);
});
