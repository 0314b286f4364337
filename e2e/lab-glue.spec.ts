/**
 * The prompt lab's glue with the real CLIP worker, through the debug hook (the lab's panels have
 * their own specs): a grid search over a labelled shapes folder saves experiments with both
 * figures, "apply best" sets the winning templates, and the experiments come back after a reload.
 */
import { test, expect } from './support/test';
import { StoragePage } from './pages/storage-page';
import { CLASSES, writeImageFolder } from './support/imageFolder';

const LABELS = CLASSES.map(([colour, shape]) => `${colour} ${shape}`);
/** The workspace's template before the search (the lab panels' spec checks that a poor one is beaten). */
const START_TEMPLATE = 'a blurry low quality photo of a thing next to a {} and some other stuff.';
const CANDIDATES = [START_TEMPLATE, 'a {}', 'a photo of a {}.', '{}'];

/** What main.tsx's `zspDebug.lab` offers (?debug=1); the e2e project doesn't see the app's Window declaration. */
interface LabState {
  experiments: Array<{ id: string; name: string; kind: string; templates: string[]; accuracy: number; cvAccuracy: number | null }>;
  error: string | null;
  template: string;
}
interface LabDebug {
  runGridSearch(task: 'image' | 'audio', templates: string[]): Promise<void>;
  applyBest(task: 'image' | 'audio'): void;
  state(): LabState;
}
type LabWindow = { zspDebug: { lab: LabDebug } };

test('a grid search saves experiments with in-sample and cross-validated accuracy, applies the best, and survives a reload', async ({ page, playground }, testInfo) => {
  await playground.open({ backend: 'wasm', labels: LABELS, template: START_TEMPLATE, debug: true });
  await playground.expectModelReady({ model: 'builtin/clip-shapes' });
  const truth = writeImageFolder(testInfo.outputPath('dataset'));
  await page.getByTestId('folder-input').setInputFiles(testInfo.outputPath('dataset'));
  await playground.waitForSettled([...truth.keys()]);

  const labState = () => page.evaluate(() => (window as unknown as LabWindow).zspDebug.lab.state());
  await page.evaluate((templates) => (window as unknown as LabWindow).zspDebug.lab.runGridSearch('image', templates), CANDIDATES);
  const after: LabState = await labState();
  expect(after.error).toBeNull();
  // Every single template, the ensemble, greedy selection and the best single.
  expect(after.experiments.map((e) => e.kind).sort()).toEqual(['best-single', 'ensemble', 'greedy', 'single', 'single', 'single', 'single']);
  for (const experiment of after.experiments) {
    expect(experiment.accuracy).toBeGreaterThanOrEqual(0);
    expect(experiment.accuracy).toBeLessThanOrEqual(1);
    expect(experiment.cvAccuracy, `${experiment.name} has a cross-validated figure`).not.toBeNull();
  }
  testInfo.annotations.push({ type: 'experiments', description: JSON.stringify(after.experiments.map(({ name, accuracy, cvAccuracy }) => ({ name, accuracy, cvAccuracy }))) });

  // "Apply best": the highest cross-validated accuracy wins (ties: higher accuracy, then fewer templates).
  const [winner] = [...after.experiments].sort(
    (a, b) => (b.cvAccuracy ?? -1) - (a.cvAccuracy ?? -1) || b.accuracy - a.accuracy || a.templates.length - b.templates.length,
  );
  await page.evaluate(() => (window as unknown as LabWindow).zspDebug.lab.applyBest('image'));
  const applied = await labState();
  expect(applied.error).toBeNull();
  expect(applied.template).toBe(winner!.templates.join('\n'));

  // Saved with the workspace (debounced), then restored.
  await new StoragePage(page).expectSaved(truth.size);
  await page.reload();
  await playground.expectModelReady({ model: 'builtin/clip-shapes' });
  await expect.poll(async () => (await labState()).experiments).toEqual(after.experiments);
});
