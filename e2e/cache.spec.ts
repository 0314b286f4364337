/**
 * Editing labels or the template re-ranks from cached image embeddings: the vision model must not
 * run again, and the text model only runs for prompts it has not embedded before.
 */
import { test, expect } from './support/test';
import { randomShapeSet } from './support/shapes';
import type { PlaygroundPage, WorkerStats } from './pages/playground-page';

const IMAGES = randomShapeSet(20, 7_340_021, { prefix: 'cache' });
const NAMES = IMAGES.map((i) => i.name);

const LABELS_0 = ['red circle', 'blue square', 'green triangle', 'yellow star', 'purple cross', 'orange circle'];
const LABELS_1 = [...LABELS_0, 'orange star']; // one added
const LABELS_2 = LABELS_1.filter((l) => l !== 'blue square'); // one removed
const TEMPLATE_2 = 'a drawing of a {}.';
const fill = (template: string, label: string) => template.split('{}').join(label);

async function waitForLabels(playground: PlaygroundPage, labels: readonly string[]): Promise<void> {
  for (const name of NAMES) await playground.waitForPredictionLabels(name, labels);
}

async function waitForPrompts(playground: PlaygroundPage, prompts: readonly string[]): Promise<void> {
  await expect.poll(() => playground.debugPrompts(), { message: 'ranking prompts', timeout: 120_000 }).toEqual(prompts);
}

async function waitForTexts(playground: PlaygroundPage, expected: number): Promise<WorkerStats> {
  await expect
    .poll(async () => (await playground.workerStats()).textsEmbedded, { message: 'data-texts-embedded', timeout: 120_000 })
    .toBe(expected);
  return playground.workerStats();
}

test('label and template edits reuse the image embeddings and embed only new prompts', async ({ playground }) => {
  await playground.open({ model: 'builtin/clip-shapes', backend: 'wasm', debug: true });
  await playground.expectModelReady({ backend: 'wasm' });
  await playground.setLabels(LABELS_0);
  await playground.addImages(IMAGES);

  for (const name of NAMES) await playground.expectItemState(name, 'done');
  await waitForLabels(playground, LABELS_0);
  await waitForPrompts(playground, LABELS_0.map((l) => fill('a photo of a {}.', l)));
  await expect(playground.cancelButton, 'no batch is embedding any more').toBeHidden();
  const before = await playground.workerStats();
  expect(before.imagesEmbedded, 'all 20 distinct images went through the vision model exactly once').toBe(20);
  expect(before.visionRuns).toBeGreaterThanOrEqual(1);
  expect(before.visionRuns).toBeLessThanOrEqual(20);
  expect(before.textsEmbedded, 'at least the six prompts were embedded').toBeGreaterThanOrEqual(LABELS_0.length);

  await test.step('add a label: one new prompt', async () => {
    await playground.setLabels(LABELS_1);
    await waitForLabels(playground, LABELS_1);
    await waitForPrompts(playground, LABELS_1.map((l) => fill('a photo of a {}.', l)));
    const stats = await waitForTexts(playground, before.textsEmbedded + 1);
    expect(stats.imagesEmbedded).toBe(before.imagesEmbedded);
    expect(stats.visionRuns).toBe(before.visionRuns);
  });

  await test.step('remove a label: no new prompt', async () => {
    await playground.setLabels(LABELS_2);
    await waitForLabels(playground, LABELS_2);
    await waitForPrompts(playground, LABELS_2.map((l) => fill('a photo of a {}.', l)));
    const stats = await playground.workerStats();
    expect(stats.textsEmbedded).toBe(before.textsEmbedded + 1);
    expect(stats.imagesEmbedded).toBe(before.imagesEmbedded);
    expect(stats.visionRuns).toBe(before.visionRuns);
  });

  await test.step('change the template: every prompt is new', async () => {
    const scoresBefore = await playground.predictions(NAMES[0]!);
    await playground.setTemplate(TEMPLATE_2);
    await waitForPrompts(playground, LABELS_2.map((l) => fill(TEMPLATE_2, l)));
    const stats = await waitForTexts(playground, before.textsEmbedded + 1 + LABELS_2.length);
    expect(stats.imagesEmbedded).toBe(before.imagesEmbedded);
    expect(stats.visionRuns).toBe(before.visionRuns);
    // The displayed scores come from the new prompts.
    await expect
      .poll(async () => JSON.stringify(await playground.predictions(NAMES[0]!)), { message: 'scores change with the template' })
      .not.toBe(JSON.stringify(scoresBefore));
    await waitForLabels(playground, LABELS_2);
  });

  await test.step('back to labels already seen: nothing new to embed', async () => {
    await playground.setTemplate('a photo of a {}.');
    await playground.setLabels(LABELS_0);
    await waitForLabels(playground, LABELS_0);
    await waitForPrompts(playground, LABELS_0.map((l) => fill('a photo of a {}.', l)));
  });

  const after = await playground.workerStats();
  expect(after, 'no image re-embedded, only the 1 + 6 new prompts').toEqual({
    imagesEmbedded: before.imagesEmbedded,
    visionRuns: before.visionRuns,
    textsEmbedded: before.textsEmbedded + 1 + LABELS_2.length,
  });
  for (const name of NAMES) expect(await playground.itemState(name)).toBe('done');
});
