/**
 * Awkward files and awkward labels: every file ends either classified correctly or with its own
 * error, the worker survives, and labels are plain text (merged duplicates, no HTML injection).
 */
import { test, expect } from './support/test';
import { makeBadInputs, type BadInputs } from './support/bad-inputs';
import { ALL_LABELS, shapeImage } from './support/shapes';
import type { PlaygroundPage } from './pages/playground-page';

const GOOD = [
  shapeImage('good-orange-cross.png', { shape: 'cross', colour: 'orange', width: 300, height: 240, size: 0.7 }),
  shapeImage('good-blue-circle.png', { shape: 'circle', colour: 'blue', width: 256, height: 256, size: 0.6 }),
];
const MUST_FAIL = ['notes.png', 'empty.png'];

let inputs: BadInputs;
test.beforeAll(async () => {
  inputs = await makeBadInputs();
});
test.afterAll(async () => {
  await inputs?.cleanup();
});

/**
 * Blue pixels per row in the upper and lower third of the blue shape's extent in the tensor the
 * model saw: an upright triangle (apex up) is much wider at the bottom; the same triangle left
 * unrotated (apex left) is symmetric top/bottom.
 */
async function blueWidthTopBottom(playground: PlaygroundPage, name: string): Promise<{ top: number; bottom: number; rows: number }> {
  const { dims, data } = await playground.debugPreprocessed(name);
  const [, , h, w] = dims as [number, number, number, number];
  const mean = [0.48145466, 0.4578275, 0.40821073];
  const std = [0.26862954, 0.26130258, 0.27577711];
  const px = (c: number, y: number, x: number) => data[c * h * w + y * w + x]! * std[c]! + mean[c]!;
  const widths: number[] = [];
  for (let y = 0; y < h; y++) {
    let n = 0;
    for (let x = 0; x < w; x++) if (px(2, y, x) > 0.6 && px(0, y, x) < 0.45) n++;
    widths.push(n);
  }
  const rows = widths.map((n, y) => (n > 0 ? y : -1)).filter((y) => y >= 0);
  const first = rows[0] ?? 0;
  const last = rows[rows.length - 1] ?? 0;
  const third = Math.max(1, Math.floor((last - first + 1) / 3));
  const avg = (a: number[]) => a.reduce((s, x) => s + x, 0) / Math.max(1, a.length);
  return { top: avg(widths.slice(first, first + third)), bottom: avg(widths.slice(last + 1 - third, last + 1)), rows: rows.length };
}

test('bad files end as errors or correct labels, good ones alongside are fine', async ({ playground }) => {
  await playground.open({ model: 'builtin/clip-shapes', backend: 'wasm', debug: true });
  await playground.expectModelReady({ backend: 'wasm' });
  await playground.setLabels(ALL_LABELS);
  await playground.addImages([...inputs.files, ...GOOD]);

  const all = [...inputs.files.map((f) => f.name), ...GOOD.map((g) => g.name)];
  await playground.waitForSettled(all);

  const report: string[] = [];
  for (const fixture of inputs.files) {
    const state = await playground.itemState(fixture.name);
    const top = state === 'done' ? await playground.topLabel(fixture.name) : undefined;
    const error = state === 'error' ? await playground.itemError(fixture.name) : undefined;
    report.push(`${fixture.name}: ${state} ${top ?? ''}${error ? ` "${error}"` : ''}`);
  }
  test.info().annotations.push({ type: 'outcomes', description: report.join('\n') });

  for (const name of MUST_FAIL) {
    await test.step(`${name} is an error with its own message`, async () => {
      await playground.expectItemState(name, 'error');
      const message = playground.item(name).getByTestId('item-error');
      await expect(message).toBeVisible();
      expect((await message.innerText()).trim().length, `${name}: item-error has text`).toBeGreaterThan(0);
      await expect(playground.item(name).getByTestId('prediction')).toHaveCount(0);
    });
  }

  for (const fixture of inputs.files.filter((f) => f.expectedLabel)) {
    await test.step(`${fixture.name} is classified as ${fixture.expectedLabel}`, async () => {
      const error = (await playground.itemState(fixture.name)) === 'error' ? await playground.itemError(fixture.name) : '';
      expect(await playground.itemState(fixture.name), `${fixture.name} should be done (error: ${error})`).toBe('done');
      await playground.waitForPredictionLabels(fixture.name, ALL_LABELS);
      expect(await playground.topLabel(fixture.name), `top label of ${fixture.name}`).toBe(fixture.expectedLabel);
      await expect(playground.item(fixture.name).getByTestId('item-error')).toHaveCount(0);
    });
  }

  await test.step('the EXIF orientation was applied before the model saw the picture', async () => {
    const { top, bottom, rows } = await blueWidthTopBottom(playground, 'exif-blue-triangle.jpg');
    expect(rows, 'the blue triangle is in the tensor').toBeGreaterThan(5);
    expect(bottom, `apex up: bottom third (${bottom.toFixed(1)} px/row) much wider than top third (${top.toFixed(1)})`).toBeGreaterThan(
      2 * top,
    );
  });

  await test.step('the 10000×10000 image reached the model at the usual input size', async () => {
    const huge = await playground.debugPreprocessed('huge-red-circle.png');
    const small = await playground.debugPreprocessed(GOOD[0]!.name);
    expect(huge.dims).toEqual(small.dims);
  });

  for (const good of GOOD) {
    await playground.expectItemState(good.name, 'done');
    expect(await playground.topLabel(good.name)).toBe(good.label);
  }

  await test.step('the worker survived: the model is ready and a new image still classifies', async () => {
    await expect(playground.modelStatus).toHaveAttribute('data-state', 'ready');
    const after = shapeImage('after-purple-square.png', { shape: 'square', colour: 'purple', width: 240, height: 240, size: 0.6 });
    await playground.addImages([after]);
    await playground.expectItemState(after.name, 'done');
    await playground.waitForPredictionLabels(after.name, ALL_LABELS);
    expect(await playground.topLabel(after.name)).toBe('purple square');
  });
  expect(playground.pageErrors.map((e) => e.message), 'no uncaught page errors').toEqual([]);
});

test('no labels shows the hint and does not crash; labels added later rank the images', async ({ playground }) => {
  await playground.open({ model: 'builtin/clip-shapes', backend: 'wasm' });
  await playground.expectModelReady({ backend: 'wasm' });
  await playground.setLabels('');
  await expect(playground.labelsHint).toBeVisible();
  await playground.addImages(GOOD);
  for (const good of GOOD) {
    await expect(playground.item(good.name)).toHaveCount(1);
    await expect(playground.item(good.name)).not.toHaveAttribute('data-state', 'error');
    await expect(playground.item(good.name).getByTestId('prediction')).toHaveCount(0);
  }
  await playground.setLabels('  \n , ,\n  '); // blanks only: still no labels
  await expect(playground.labelsHint).toBeVisible();
  await expect(playground.modelStatus).toHaveAttribute('data-state', 'ready');

  await playground.setLabels(['orange cross', 'blue circle', 'red star']);
  await expect(playground.labelsHint).toBeHidden();
  for (const good of GOOD) {
    await playground.expectItemState(good.name, 'done');
    await playground.waitForPredictionLabels(good.name, ['orange cross', 'blue circle', 'red star']);
    expect(await playground.topLabel(good.name)).toBe(good.label);
  }
  expect(playground.pageErrors.map((e) => e.message), 'no uncaught page errors').toEqual([]);
});

test('duplicate labels (case and spacing aside) are merged into one prediction', async ({ playground }) => {
  await playground.open({ model: 'builtin/clip-shapes', backend: 'wasm' });
  await playground.expectModelReady({ backend: 'wasm' });
  await playground.setLabels('red circle\nRed Circle\nred circle, blue square\n  RED   circle  ');
  const image = shapeImage('dup-red-circle.png', { shape: 'circle', colour: 'red', width: 240, height: 240, size: 0.7 });
  await playground.addImages([image]);
  await playground.expectItemState(image.name, 'done');
  await playground.waitForPredictionLabels(image.name, ['red circle', 'blue square']);
  const predictions = await playground.predictions(image.name);
  expect(predictions.map((p) => p.label)).toEqual(['red circle', 'blue square']);
});

test('a 10,000-character label and an HTML label are shown as plain text', async ({ page, playground }) => {
  const long = 'star'.repeat(2500);
  const html = '<img src=x onerror="window.__pwned=1">';
  expect(long).toHaveLength(10_000);
  const labels = ['green circle', long, html];

  const check = async (itemName: string) => {
    await playground.expectItemState(itemName, 'done');
    await playground.waitForPredictionLabels(itemName, labels);
    const item = playground.item(itemName);
    const longPrediction = item.getByTestId('prediction').and(page.locator(`[data-label="${long}"]`));
    await expect(longPrediction).toHaveCount(1);
    await expect(longPrediction).toContainText(long.slice(0, 40));
    const htmlPrediction = item.getByTestId('prediction').and(page.locator('[data-label="<img src=x onerror=\\"window.__pwned=1\\">"]'));
    await expect(htmlPrediction).toHaveCount(1);
    await expect(htmlPrediction).toContainText(html);
    await expect(page.locator('img[src="x"], img[onerror]')).toHaveCount(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned)).toBeUndefined();
    expect(await playground.topLabel(itemName)).toBe('green circle');
  };

  await test.step('typed into the labels box', async () => {
    await playground.open({ model: 'builtin/clip-shapes', backend: 'wasm' });
    await playground.expectModelReady({ backend: 'wasm' });
    await playground.setLabels(labels);
    const image = shapeImage('text-green-circle.png', { shape: 'circle', colour: 'green', width: 240, height: 240, size: 0.7 });
    await playground.addImages([image]);
    await check(image.name);
  });

  await test.step('passed in the ?labels= link', async () => {
    await playground.open({ model: 'builtin/clip-shapes', backend: 'wasm', labels });
    await playground.expectModelReady({ backend: 'wasm' });
    await expect(playground.labelsInput).toHaveValue(new RegExp(html.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    const image = shapeImage('link-green-circle.png', { shape: 'circle', colour: 'green', width: 260, height: 200, size: 0.6 });
    await playground.addImages([image]);
    await check(image.name);
  });
});
