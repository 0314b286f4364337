/**
 * The page stays about the items: at 1280×720, with the built-in model ready, 30 labels and a
 * folder with ground truth, the labels box and the first item are on the first screen, the model
 * panel is one line, and the metrics open as a tab whose confusion matrix keeps its header row
 * and first column in view while it scrolls.
 */
import { test, expect } from './support/test';
import { BATCH_TIMEOUT_MS } from './pages/playground-page';
import { ReviewPage } from './pages/review-page';
import { CLASSES, IMAGES_PER_CLASS, writeImageFolder } from './support/imageFolder';
import { ALL_LABELS } from './support/shapes';

const VIEWPORT = { width: 1280, height: 720 };
/** One line of the model panel: a text line and a small button, plus the panel's padding (px). */
const ONE_LINE_PANEL_MAX_PX = 52;
const IMAGES = CLASSES.length * IMAGES_PER_CLASS;

test('labels and the first item are on the first screen; the model panel is one line; metrics open as a tab with sticky headers', async ({
  page,
  playground,
}, testInfo) => {
  await page.setViewportSize(VIEWPORT);
  const review = new ReviewPage(page);
  expect(ALL_LABELS).toHaveLength(30);
  writeImageFolder(testInfo.outputPath('dataset'));
  await playground.open({ backend: 'wasm', labels: ALL_LABELS });
  await playground.expectModelReady({ model: 'builtin/clip-shapes' });
  await review.addFolder(testInfo.outputPath('dataset', 'shapes'));
  await expect(page.locator('[data-testid="item"][data-state="done"]')).toHaveCount(IMAGES, { timeout: BATCH_TIMEOUT_MS });
  await page.evaluate(() => window.scrollTo({ top: 0, behavior: 'instant' }));

  await test.step('the labels box and the first item are inside the first viewport', async () => {
    const inViewport = async (what: string, box: { x: number; y: number; width: number; height: number } | null) => {
      expect(box, `${what} is laid out`).not.toBeNull();
      expect(box!.y, `${what}: top`).toBeGreaterThanOrEqual(0);
      expect(box!.y + box!.height, `${what}: bottom within ${VIEWPORT.height} px`).toBeLessThanOrEqual(VIEWPORT.height);
      expect(box!.x + box!.width, `${what}: right edge within ${VIEWPORT.width} px`).toBeLessThanOrEqual(VIEWPORT.width);
    };
    await inViewport('the labels box', await playground.labelsInput.boundingBox());
    await inViewport('the first item', await review.items().first().boundingBox());
  });

  await test.step('the ready model panel is one line, its download bars hidden', async () => {
    const panel = page.getByTestId('model-panel');
    await expect(panel).toHaveAttribute('data-collapsed', 'true');
    await expect(page.getByTestId('model-select')).toBeHidden();
    await expect(playground.modelStatus).toBeVisible();
    await expect(playground.modelStatus).toContainText('builtin/clip-shapes');
    expect((await panel.boundingBox())!.height).toBeLessThanOrEqual(ONE_LINE_PANEL_MAX_PX);
    for (const bar of await playground.fileProgress.all()) await expect(bar).toBeHidden();
    // Unfolding gives the picker back.
    await playground.expandModelPanel();
    await expect(page.getByTestId('model-select')).toBeVisible();
  });

  await test.step('the accuracy shows on the closed metrics tab; the metrics open as a bounded drawer', async () => {
    await expect(page.getByTestId('analysis-drawer')).toHaveCount(0);
    await expect(review.accuracy).toBeVisible();
    await review.openMetrics();
    const drawer = page.getByTestId('analysis-drawer');
    await expect(drawer).toBeVisible();
    expect((await drawer.boundingBox())!.height).toBeLessThanOrEqual(VIEWPORT.height / 2 + 1);
    await expect(page.getByTestId('confusion-matrix')).toBeVisible();
  });

  await test.step("the confusion matrix's header row and first column stay in view when it scrolls", async () => {
    const scroller = page.getByTestId('confusion-scroll');
    const matrix = page.getByTestId('confusion-matrix');
    const lastHeader = matrix.locator('thead th').nth(ALL_LABELS.length);
    const lastRowHeader = matrix.locator('tbody th').last();
    await lastRowHeader.scrollIntoViewIfNeeded();
    const scrolled = await scroller.evaluate((element) => {
      element.scrollTop = element.scrollHeight;
      element.scrollLeft = element.scrollWidth;
      return { top: element.scrollTop, left: element.scrollLeft };
    });
    expect(scrolled.top, 'the matrix is taller than its box').toBeGreaterThan(0);
    expect(scrolled.left, 'the matrix is wider than its box').toBeGreaterThan(0);
    const box = (await scroller.boundingBox())!;
    const header = (await lastHeader.boundingBox())!;
    const rowHeader = (await lastRowHeader.boundingBox())!;
    expect(Math.abs(header.y - box.y), 'the header row sticks to the top of the box').toBeLessThanOrEqual(2);
    expect(Math.abs(rowHeader.x - box.x), 'the first column sticks to the left of the box').toBeLessThanOrEqual(2);
  });
});
