/**
 * Sets above the virtualisation threshold: the image grid (300 images) and the audio list hold
 * only the items near the screen in the DOM, the keyboard still reaches every item and scrolls
 * the focused one into view, and decisions made far down the grid survive a reload.
 */
import { test, expect } from './support/test';
import { BUILTIN_WHISPER_ID } from './pages/audio-page';
import { BATCH_TIMEOUT_MS } from './pages/playground-page';
import { ReviewPage } from './pages/review-page';
import { StoragePage } from './pages/storage-page';
import { wavBytes } from './support/audio-fixtures';
import { COLOUR_NAMES, SHAPES, rng, shapeImage, toFilePayloads, type ShapeImage } from './support/shapes';

const IMAGE_COUNT = 300;
/** Far fewer than all of them: a few screens' worth at most. */
const MAX_RENDERED = IMAGE_COUNT / 3;
const LABELS = ['red circle', 'blue square', 'green triangle', 'yellow star', 'purple cross'];
/** Decided by keyboard: accepted (Enter), then "none of these" (0). */
const ACCEPTED = [250, 251, 252, 253, 254];
const REJECTED = [255, 256, 257, 258, 259, 260];

/** Small, distinct pictures (three-digit names, so the names sort as they were added). */
function images(): ShapeImage[] {
  const random = rng(20_261_201);
  return Array.from({ length: IMAGE_COUNT }, (_, index) => {
    const colour = COLOUR_NAMES[index % COLOUR_NAMES.length]!;
    const shape = SHAPES[Math.floor(index / COLOUR_NAMES.length) % SHAPES.length]!;
    return shapeImage(`v-${String(index).padStart(3, '0')}-${colour}-${shape}.png`, {
      colour,
      shape,
      width: 48 + Math.floor(random() * 32),
      height: 48 + Math.floor(random() * 32),
      size: 0.5 + random() * 0.4,
    });
  });
}

async function renderedCount(review: ReviewPage): Promise<number> {
  return review.items().count();
}

test('300 images: a virtualised grid, every item reachable, the focused one scrolled into view, decisions far down kept across a reload', async ({
  page,
  playground,
}, testInfo) => {
  // 300 embeddings, a long keyboard walk and a reload, on two cores shared with other runs.
  test.slow();
  const review = new ReviewPage(page);
  const storage = new StoragePage(page);
  const files = images();
  const names = files.map((file) => file.name);
  await playground.open({ backend: 'wasm', labels: LABELS });
  await playground.expectModelReady({ model: 'builtin/clip-shapes' });
  await playground.addImages(toFilePayloads(files));

  await expect(review.grid).toHaveAttribute('data-virtualized', 'true');
  expect(Number(await review.grid.getAttribute('data-columns')), 'lanes side by side').toBeGreaterThan(1);
  await expect(playground.workerStatsEl).toHaveAttribute('data-images-embedded', String(IMAGE_COUNT), { timeout: BATCH_TIMEOUT_MS });
  await expect(playground.batchProgress).toHaveCount(0, { timeout: BATCH_TIMEOUT_MS });
  await expect(review.item(names[0]!)).toHaveAttribute('data-state', 'done');

  const counts: number[] = [await renderedCount(review)];
  expect(counts[0], 'the first screen is rendered').toBeGreaterThan(0);
  // The first cards in the DOM are the first items, in the order they were added.
  expect((await review.renderedNames()).slice(0, 4)).toEqual(names.slice(0, 4));

  await test.step('scrolling to the bottom renders every item on the way', async () => {
    const { names: rendered, mostRendered } = await review.scrollThrough();
    counts.push(mostRendered);
    expect(names.filter((name) => !rendered.has(name)), 'items never rendered').toEqual([]);
    expect(await review.item(names[0]!).count(), 'the first card left the DOM').toBe(0);
  });

  await test.step('by keyboard: down a lane past the first screen, items 250–260 decided, on to the last item, back up', async () => {
    await review.press('ArrowRight');
    let box = await review.expectFocusedInView(names[0]!);
    // Down one lane: the same left edge, further down the page, always in view.
    while (names.indexOf(box.name) < ACCEPTED[0]! - 12) {
      const next = await review.moveFocus('ArrowDown', box.name);
      expect(next.left, `${next.name} is in the lane of ${box.name}`).toBe(box.left);
      expect(next.pageTop, `${next.name} is below ${box.name}`).toBeGreaterThan(box.pageTop);
      box = next;
    }
    counts.push(await renderedCount(review));
    while (names.indexOf(box.name) < ACCEPTED[0]!) box = await review.moveFocus('ArrowRight', box.name);
    // The decision keys decide the focused item and move the focus on to the next.
    for (const index of [...ACCEPTED, ...REJECTED]) {
      expect(box.name).toBe(names[index]);
      box = await review.moveFocus(ACCEPTED.includes(index) ? 'Enter' : '0', box.name);
    }
    await review.expectFocusedInView(names[REJECTED.at(-1)! + 1]!);
    for (let index = REJECTED.at(-1)! + 2; index < IMAGE_COUNT; index++) {
      box = await review.moveFocus('ArrowRight', box.name);
      expect(box.name).toBe(names[index]);
    }
    // The last item: nowhere further to go.
    await review.press('ArrowRight');
    await review.expectFocusedInView(names[IMAGE_COUNT - 1]!);
    counts.push(await renderedCount(review));
    for (let step = 0; step < 10; step++) {
      const next = await review.moveFocus('ArrowUp', box.name);
      expect(next.left, `${next.name} is in the lane of ${box.name}`).toBe(box.left);
      expect(next.pageTop, `${next.name} is above ${box.name}`).toBeLessThan(box.pageTop);
      box = next;
    }
  });
  testInfo.annotations.push({ type: 'cards in the DOM', description: counts.join(', ') });
  for (const count of counts) expect(count, 'cards in the DOM').toBeLessThan(MAX_RENDERED);

  await storage.expectSaved(IMAGE_COUNT);
  await page.reload();
  await playground.expectModelReady({ model: 'builtin/clip-shapes' });

  await test.step('after the reload, the decisions far down the grid are back', async () => {
    await expect(review.grid).toHaveAttribute('data-virtualized', 'true');
    await expect(review.item(names[0]!)).toHaveAttribute('data-state', 'done');
    expect(await renderedCount(review)).toBeLessThan(MAX_RENDERED);
    for (const index of [249, ...ACCEPTED, ...REJECTED, 261]) {
      await review.scrollUntilRendered(names[index]!);
      const decision = ACCEPTED.includes(index) ? 'accepted' : REJECTED.includes(index) ? 'rejected' : 'none';
      await review.expectDecision(names[index]!, decision);
    }
  });

  await test.step('?virtualize=0 renders every card', async () => {
    await playground.open({ backend: 'wasm', labels: LABELS, virtualize: false });
    await expect(review.grid).toHaveAttribute('data-virtualized', 'false');
    await expect(review.items()).toHaveCount(IMAGE_COUNT);
    await review.expectDecision(names[ACCEPTED[0]!]!, 'accepted');
  });
});

/** A short quiet tone: decoded at once; its scoring is not waited for. */
function clip(index: number): { name: string; mimeType: string; buffer: Buffer } {
  const sampleRate = 8_000;
  const samples = new Float32Array(sampleRate / 4);
  for (let i = 0; i < samples.length; i++) samples[i] = 0.1 * Math.sin((2 * Math.PI * (200 + index) * i) / sampleRate);
  return { name: `clip-${String(index).padStart(3, '0')}.wav`, mimeType: 'audio/wav', buffer: wavBytes(samples, sampleRate) };
}

test('120 audio clips: the list is virtualised and the keyboard scrolls the focused clip into view', async ({ page, audio }) => {
  // What this checks: the list's DOM and focus, while the clips are still being scored (whisper
  // runs per clip, slow on two cores); no score is read.
  const review = new ReviewPage(page);
  const clips = Array.from({ length: 120 }, (_, index) => clip(index));
  await audio.open({ model: BUILTIN_WHISPER_ID, backend: 'wasm', labels: ['yes', 'no'] });
  await audio.expectModelReady({ model: BUILTIN_WHISPER_ID });
  await audio.addAudio(clips);

  await expect(review.audioList).toHaveAttribute('data-virtualized', 'true');
  await expect(review.item(clips[0]!.name)).toHaveCount(1);
  const rendered = await review.items().count();
  expect(rendered, 'rows in the DOM').toBeGreaterThan(0);
  expect(rendered, 'rows in the DOM').toBeLessThan(clips.length / 2);
  test.info().annotations.push({ type: 'audio rows in the DOM', description: String(rendered) });

  await review.press('ArrowDown');
  let box = await review.expectFocusedInView(clips[0]!.name);
  for (let index = 1; index < 40; index++) {
    box = await review.moveFocus('ArrowDown', box.name);
    expect(box.name).toBe(clips[index]!.name);
  }
  await expect(review.item(clips[0]!.name), 'the first row left the DOM').toHaveCount(0);
});
