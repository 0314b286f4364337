/**
 * The labelling workspace: a folder in ImageFolder layout gives ground truth, the metrics panel's
 * accuracy and confusion matrix match a count the test makes itself from the items' own
 * predictions, and items are reviewed by keyboard.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test, expect } from './support/test';
import { BUILTIN_WHISPER_ID } from './pages/audio-page';
import { AUDIO_FIXTURES_DIR } from './support/audio-fixtures';
import { BATCH_TIMEOUT_MS } from './pages/playground-page';
import { ReviewPage } from './pages/review-page';
import { CLASSES, DISTRACTORS, IMAGES_PER_CLASS, writeImageFolder } from './support/imageFolder';

test('a folder in ImageFolder layout gives ground truth, accuracy and a confusion matrix that match an independent count', async ({
  page,
  playground,
}, testInfo) => {
  const review = new ReviewPage(page);
  const labels = [...CLASSES.map(([colour, shape]) => `${colour} ${shape}`), ...DISTRACTORS];
  const truthByName = writeImageFolder(testInfo.outputPath('dataset'));
  await playground.open({ backend: 'wasm', labels });
  await playground.expectModelReady({ model: 'builtin/clip-shapes' });

  await review.addFolder(testInfo.outputPath('dataset', 'shapes'));
  await expect(review.items()).toHaveCount(60);
  await expect(page.locator('[data-testid="item"][data-state="done"]')).toHaveCount(60, { timeout: BATCH_TIMEOUT_MS });

  // Every item's truth is its folder, not something the page made up.
  const shown = await review.shownItems();
  for (const item of shown) expect(item.truth, item.name).toBe(truthByName.get(item.name));

  // The independent count: top predictions read from the items against the truth the test wrote.
  const expected = new Map<string, number>();
  let correct = 0;
  for (const item of shown) {
    const truth = truthByName.get(item.name)!;
    const predicted = item.top !== null && labels.includes(item.top) ? item.top : '';
    if (predicted === truth) correct++;
    expected.set(`${truth}\u0000${predicted}`, (expected.get(`${truth}\u0000${predicted}`) ?? 0) + 1);
  }
  testInfo.annotations.push({ type: 'accuracy', description: `${correct} of 60` });
  await expect.poll(() => review.accuracyPercent()).toBeCloseTo((correct / 60) * 100, 1);
  await expect(review.accuracy).toHaveAttribute('data-value', String(correct / 60));

  const cells = await review.confusion();
  // Rows are the labels, columns the labels plus "none".
  expect(cells).toHaveLength(labels.length * (labels.length + 1));
  for (const cell of cells) expect(cell.count, `${cell.truth} → ${cell.predicted || 'none'}`).toBe(expected.get(`${cell.truth}\u0000${cell.predicted}`) ?? 0);

  // Per-class recall equals that class's share of correct answers.
  for (const [colour, shape] of CLASSES) {
    const label = `${colour} ${shape}`;
    const row = page.locator(`[data-testid="class-metrics-row"][data-label="${label}"]`);
    const hits = expected.get(`${label}\u0000${label}`) ?? 0;
    await expect(row).toHaveAttribute('data-support', String(IMAGES_PER_CLASS));
    expect(Number(await row.getAttribute('data-recall'))).toBeCloseTo(hits / IMAGES_PER_CLASS, 10);
  }

  // Clicking a cell shows exactly its items; clicking it again shows everything.
  const [busiestKey] = [...expected.entries()].sort((a, b) => b[1] - a[1])[0]!;
  const [cellTruth, cellPredicted] = busiestKey.split('\u0000') as [string, string];
  await review.cell(cellTruth, cellPredicted).click();
  await expect(review.cellFilter).toBeVisible();
  const inCell = shown.filter((item) => truthByName.get(item.name) === cellTruth && (item.top !== null && labels.includes(item.top) ? item.top : '') === cellPredicted);
  await expect(review.items()).toHaveCount(inCell.length);
  expect((await review.shownItems()).map((item) => item.name).sort()).toEqual(inCell.map((item) => item.name).sort());
  await review.cell(cellTruth, cellPredicted).click();
  await expect(review.items()).toHaveCount(60);
});

test('ten items reviewed by keyboard: move, accept, pick, none of these, clear, undo, help', async ({ page, playground }, testInfo) => {
  const review = new ReviewPage(page);
  const labels = CLASSES.map(([colour, shape]) => `${colour} ${shape}`);
  writeImageFolder(testInfo.outputPath('dataset'));
  await playground.open({ backend: 'wasm', labels });
  await playground.expectModelReady({ model: 'builtin/clip-shapes' });
  // Ten images: one class folder picked on its own (so no ground truth).
  await review.addFolder(testInfo.outputPath('dataset', 'shapes', 'red circle'));
  await expect(review.items()).toHaveCount(10);
  await expect(page.locator('[data-testid="item"][data-state="done"]')).toHaveCount(10, { timeout: BATCH_TIMEOUT_MS });
  const names = (await review.shownItems()).map((item) => item.name);
  const tops = new Map((await review.shownItems()).map((item) => [item.name, item.top]));

  await review.press('?');
  await expect(review.keysHelp).toBeVisible();
  await review.press('?');
  await expect(review.keysHelp).toBeHidden();

  // Nothing focused yet: the first arrow focuses the first item.
  await review.press('ArrowRight');
  await review.expectFocused(names[0]!);
  // Enter accepts the pre-label and moves on, five times.
  for (let index = 0; index < 5; index++) await review.press('Enter');
  for (const name of names.slice(0, 5)) await review.expectDecision(name, 'accepted', tops.get(name));
  await review.expectFocused(names[5]!);

  // A number picks that label: an override unless it is the top prediction.
  const pick = labels[2]!; // key 3
  await review.press('3');
  await review.expectDecision(names[5]!, tops.get(names[5]!) === pick ? 'accepted' : 'overridden', pick);
  await review.press('0');
  await review.expectDecision(names[6]!, 'rejected', null);
  await review.expectFocused(names[7]!);

  // Back with the left arrow; Backspace clears that decision and stays.
  await review.press('ArrowLeft');
  await review.expectFocused(names[6]!);
  await review.press('Backspace');
  await review.expectDecision(names[6]!, 'none', null);
  await review.expectFocused(names[6]!);
  // Undo brings "none of these" back.
  await review.press('Control+z');
  await review.expectDecision(names[6]!, 'rejected', null);

  // Select the last three with Space and accept them in one step, then undo that step.
  for (const index of [7, 8, 9]) {
    await review.press('ArrowRight');
    await review.expectFocused(names[index]!);
    await review.press(' ');
  }
  await expect(page.getByTestId('selection-count')).toHaveText('3 selected');
  await page.getByTestId('bulk-accept').click();
  for (const name of names.slice(7)) await review.expectDecision(name, 'accepted', tops.get(name));
  await page.getByTestId('undo-button').click();
  for (const name of names.slice(7)) await review.expectDecision(name, 'none', null);

  // Keys typed in the labels box stay there.
  await playground.labelsInput.click();
  await review.press('End');
  await review.press('Enter');
  await review.expectDecision(names[9]!, 'none', null);

  // The status filter shows what is left to review.
  await page.getByTestId('review-status').selectOption('unreviewed');
  expect((await review.shownItems()).map((item) => item.name)).toEqual(names.slice(7));
});

test('audio clips: a folder of word folders gives ground truth and accuracy; the list is reviewed by keyboard', async ({ page, audio }, testInfo) => {
  const review = new ReviewPage(page);
  // Word folders; `down.flac` is misfiled under "up", as label noise.
  const layout: ReadonlyArray<readonly [string, string]> = [
    ['left', 'left.wav'],
    ['right', 'right.m4a'],
    ['yes', 'yes.mp3'],
    ['up', 'down.flac'],
  ];
  for (const [folder, file] of layout) {
    mkdirSync(testInfo.outputPath('clips', folder), { recursive: true });
    copyFileSync(join(AUDIO_FIXTURES_DIR, file), testInfo.outputPath('clips', folder, file));
  }
  await audio.open({ model: BUILTIN_WHISPER_ID, backend: 'wasm', labels: ['left', 'right', 'yes', 'up', 'down'] });
  await audio.expectModelReady({ model: BUILTIN_WHISPER_ID });
  await review.addFolder(testInfo.outputPath('clips'));
  await expect(review.items()).toHaveCount(4);
  await expect(page.locator('[data-testid="item"][data-state="done"]')).toHaveCount(4, { timeout: BATCH_TIMEOUT_MS });

  const shown = await review.shownItems();
  for (const [folder, file] of layout) expect(shown.find((item) => item.name === file)?.truth).toBe(folder);
  const correct = shown.filter((item) => item.top === item.truth).length;
  await expect.poll(() => review.accuracyPercent()).toBeCloseTo((correct / 4) * 100, 1);
  await review.openMetrics();
  await expect(review.cell('up', 'down')).toHaveAttribute('data-count', String(shown.filter((item) => item.truth === 'up' && item.top === 'down').length));

  // Down the list: accept the first, relabel the second with key 2, none of these for the third.
  await review.press('ArrowDown');
  await review.expectFocused(shown[0]!.name);
  await review.press('Enter');
  await review.press('2');
  await review.press('0');
  await review.expectDecision(shown[0]!.name, 'accepted', shown[0]!.top);
  await review.expectDecision(shown[1]!.name, shown[1]!.top === 'right' ? 'accepted' : 'overridden', 'right');
  await review.expectDecision(shown[2]!.name, 'rejected', null);
  await review.expectFocused(shown[3]!.name);
});
