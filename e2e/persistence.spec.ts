/**
 * Workspaces live in IndexedDB: a reload restores the items (media, predictions, decisions,
 * ground truth, order) without running the vision model again, named workspaces are separate,
 * clearing storage empties everything (embeddings included), and when storage fails (quota) the
 * app says so, keeps working in memory, and loses nothing stored. Storage refused, running out of
 * space mid-import, another tab's upgrade and a reload mid-batch: storage-faults.spec.ts.
 *
 * Each test runs in a fresh browser context, so persistence is checked by reloading one page.
 */
import type { Page } from '@playwright/test';
import { test, expect } from './support/test';
import { BUILTIN_WHISPER_ID, WHISPER_WORDS } from './pages/audio-page';
import { ReviewPage } from './pages/review-page';
import { StoragePage } from './pages/storage-page';
import type { PlaygroundPage } from './pages/playground-page';
import { WORD_FILES, fixture } from './support/audio-fixtures';
import { writeLabelledImages } from './support/imageFolder';
import { shapeImage, type Colour, type Shape, type ShapeImage } from './support/shapes';

const LABELS = ['red circle', 'blue square', 'green triangle', 'yellow star', 'purple cross'] as const;

function shape(colour: Colour, kind: Shape, index = 0): ShapeImage {
  return shapeImage(`${colour}-${kind}-${index}.png`, { shape: kind, colour, width: 160, height: 140, size: 0.7 });
}

const RED_CIRCLE = shape('red', 'circle');
const BLUE_SQUARE = shape('blue', 'square');
const GREEN_TRIANGLE = shape('green', 'triangle');
const YELLOW_STAR = shape('yellow', 'star');

async function openReady(playground: PlaygroundPage): Promise<void> {
  await playground.open({ backend: 'wasm', labels: LABELS, debug: true });
  await playground.expectModelReady({ model: 'builtin/clip-shapes' });
}

async function addAndSettle(playground: PlaygroundPage, images: readonly ShapeImage[]): Promise<void> {
  await playground.addImages(images);
  await playground.waitForSettled(images.map((image) => image.name));
}

async function itemNames(page: Page): Promise<string[]> {
  return page.getByTestId('item').evaluateAll((els) => els.map((el) => el.getAttribute('data-name') ?? '').sort());
}

async function statNumber(page: Page, attribute: string): Promise<number> {
  return Number(await page.getByTestId('worker-stats').getAttribute(attribute));
}

test('a reload restores items, predictions, decisions, truth and order, and runs no vision model again', async ({ page, playground }, testInfo) => {
  const workspace = new StoragePage(page);
  await openReady(playground);

  // An ImageFolder layout, so the items carry paths and ground truth.
  const images = [RED_CIRCLE, BLUE_SQUARE, GREEN_TRIANGLE, YELLOW_STAR];
  const root = testInfo.outputPath('dataset');
  writeLabelledImages(root, images);
  await page.getByTestId('folder-input').setInputFiles(root);
  await playground.waitForSettled(images.map((image) => image.name));
  expect(await statNumber(page, 'data-vision-runs'), 'the images were embedded once').toBeGreaterThan(0);

  const review = new ReviewPage(page);
  await test.step('review some items', async () => {
    await playground.item(RED_CIRCLE.name).getByTestId('decision-accept').click();
    await playground.item(BLUE_SQUARE.name).getByTestId('decision-pick').selectOption('purple cross');
    await playground.item(GREEN_TRIANGLE.name).getByTestId('decision-pick').selectOption({ label: '0 None of these' });
    await review.expectDecision(RED_CIRCLE.name, 'accepted');
    await review.expectDecision(BLUE_SQUARE.name, 'overridden', 'purple cross');
    await review.expectDecision(GREEN_TRIANGLE.name, 'rejected');
  });
  const before = await workspace.items();
  // (The folder's listing order is the file system's; it is the order that must survive.)
  const byName = new Map(before.map((item) => [item.name, item]));
  for (const image of images) {
    expect(byName.get(image.name)?.truth, `truth of ${image.name}`).toBe(image.label);
    expect(byName.get(image.name)?.path, `path of ${image.name}`).toBe(`dataset/${image.label}/${image.name}`);
  }
  expect(images.map((image) => byName.get(image.name)?.decision)).toEqual(['accepted', 'overridden', 'rejected', 'none']);
  expect(byName.get(BLUE_SQUARE.name)?.finalLabel).toBe('purple cross');
  const shownBefore = await review.shownItems();
  const predictionsBefore = new Map<string, unknown>();
  for (const image of images) predictionsBefore.set(image.name, await playground.predictions(image.name));
  await workspace.expectSaved(images.length);
  expect(Number(await workspace.storageUsed.getAttribute('data-workspace-bytes'))).toBe(images.reduce((sum, image) => sum + image.buffer.length, 0));

  await page.reload();
  await playground.expectModelReady({ model: 'builtin/clip-shapes' });

  await test.step('the same items, in the same order, with the same predictions, decisions and truth', async () => {
    await expect(playground.items).toHaveCount(images.length);
    await expect.poll(() => workspace.items()).toEqual(before);
    await expect.poll(() => review.shownItems()).toEqual(shownBefore);
    for (const image of images) {
      await playground.expectItemState(image.name, 'done');
      expect(await playground.predictions(image.name), `predictions of ${image.name}`).toEqual(predictionsBefore.get(image.name));
      // The preview comes back from the stored Blob.
      await expect.poll(() => playground.item(image.name).locator('img').evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBe(160);
    }
  });

  await test.step('re-ranking for new labels reads the stored embeddings instead of running the vision model', async () => {
    const fewer = LABELS.filter((label) => label !== 'purple cross');
    await playground.setLabels(fewer);
    for (const image of images) await playground.waitForPredictionLabels(image.name, fewer);
    expect(await playground.topLabel(RED_CIRCLE.name)).toBe('red circle');
    expect(await statNumber(page, 'data-vision-runs'), 'no vision run after the reload').toBe(0);
    expect(await statNumber(page, 'data-images-embedded')).toBe(0);
    expect(await statNumber(page, 'data-images-from-storage')).toBe(images.length);
  });
});

test('named workspaces are separate, can be renamed, switched and deleted', async ({ page, playground }) => {
  const workspace = new StoragePage(page);
  await openReady(playground);
  await addAndSettle(playground, [RED_CIRCLE, BLUE_SQUARE]);
  await workspace.expectSaved(2);
  expect(await workspace.activeName()).toBe('Workspace 1');

  await test.step('a new workspace starts empty', async () => {
    await workspace.create();
    expect(await workspace.activeName()).toBe('Workspace 2');
    await expect(playground.items).toHaveCount(0);
    await addAndSettle(playground, [YELLOW_STAR]);
    await workspace.expectSaved(1);
    await workspace.rename('Second');
    expect(await workspace.workspaceNames()).toEqual(['Workspace 1', 'Second']);
  });

  await test.step('switching shows each workspace its own items', async () => {
    await workspace.switchTo('Workspace 1');
    await expect(playground.items).toHaveCount(2);
    expect(await itemNames(page)).toEqual([BLUE_SQUARE.name, RED_CIRCLE.name].sort());
    await workspace.expectSaved(2);
    await workspace.switchTo('Second');
    await expect(playground.items).toHaveCount(1);
    expect(await itemNames(page)).toEqual([YELLOW_STAR.name]);
    await workspace.expectSaved(1);
  });

  await test.step('a reload opens the workspace used last, under its new name', async () => {
    await page.reload();
    await expect.poll(() => workspace.activeName()).toBe('Second');
    expect(await workspace.workspaceNames()).toEqual(['Workspace 1', 'Second']);
    await expect(playground.items).toHaveCount(1);
    await playground.expectItemState(YELLOW_STAR.name, 'done');
  });

  await test.step('deleting the open workspace opens the other one', async () => {
    await workspace.deleteActive();
    await expect.poll(() => workspace.workspaceNames()).toEqual(['Workspace 1']);
    expect(await workspace.activeName()).toBe('Workspace 1');
    await expect(playground.items).toHaveCount(2);
    await page.reload();
    await expect.poll(() => workspace.workspaceNames()).toEqual(['Workspace 1']);
    await expect(playground.items).toHaveCount(2);
  });
});

test('clearing storage empties the workspaces and the stored embeddings', async ({ page, playground }) => {
  const workspace = new StoragePage(page);
  await openReady(playground);
  await addAndSettle(playground, [RED_CIRCLE, GREEN_TRIANGLE]);
  await workspace.expectSaved(2);
  await expect.poll(async () => Number(await workspace.storageUsed.getAttribute('data-bytes'))).toBeGreaterThan(0);

  await workspace.openPanel();
  await workspace.clearButton.click();
  // The in-page confirmation can be declined.
  await page.getByTestId('confirm-cancel').click();
  await expect(playground.items).toHaveCount(2);

  await workspace.clearStorage();
  await expect(playground.items).toHaveCount(0);
  await workspace.expectSaved(0);

  await page.reload();
  await playground.expectModelReady({ model: 'builtin/clip-shapes' });
  await expect(workspace.storageStatus).toHaveAttribute('data-state', 'saved');
  await expect(playground.items).toHaveCount(0);
  // The embedding went too: the same picture is embedded again.
  await addAndSettle(playground, [RED_CIRCLE]);
  expect(await statNumber(page, 'data-images-from-storage')).toBe(0);
  expect(await statNumber(page, 'data-vision-runs')).toBeGreaterThan(0);
});

test('a full disk is reported, the app keeps working, and what was stored before survives', async ({ page, playground }) => {
  // Every IndexedDB put fails as on a full disk while the flag is set (sessionStorage: it survives the reload).
  await page.addInitScript(() => {
    const { put } = Object.getOwnPropertyDescriptors(IDBObjectStore.prototype);
    IDBObjectStore.prototype.put = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
      if (sessionStorage.getItem('zsp-test-disk-full') === '1') throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      return Reflect.apply(put.value!, this, args);
    };
  });
  const workspace = new StoragePage(page);
  await openReady(playground);
  await addAndSettle(playground, [RED_CIRCLE, BLUE_SQUARE]);
  await workspace.expectSaved(2);

  await page.evaluate(() => sessionStorage.setItem('zsp-test-disk-full', '1'));
  await addAndSettle(playground, [GREEN_TRIANGLE, YELLOW_STAR]);
  await expect(workspace.storageStatus).toHaveAttribute('data-state', 'quota-exceeded');
  await expect(workspace.storageStatus).toContainText('Storage is full');
  await expect(workspace.storageStatus).toContainText('Everything saved before is still stored');
  // Still working: the new items were ranked.
  expect(await playground.topLabel(GREEN_TRIANGLE.name)).toBe('green triangle');
  await expect(workspace.storageUsed).toHaveAttribute('data-saved-items', '2');

  await page.reload();
  await playground.expectModelReady({ model: 'builtin/clip-shapes' });
  await expect(playground.items).toHaveCount(2);
  expect(await itemNames(page)).toEqual([BLUE_SQUARE.name, RED_CIRCLE.name].sort());
  await playground.expectItemState(RED_CIRCLE.name, 'done');
  expect(await playground.topLabel(RED_CIRCLE.name)).toBe('red circle');

  // With space again, the next change is saved.
  await page.evaluate(() => sessionStorage.removeItem('zsp-test-disk-full'));
  await addAndSettle(playground, [GREEN_TRIANGLE]);
  await workspace.expectSaved(3);
});

test('a stored record this version cannot read is left out and reported, and the rest is restored', async ({ page, playground }) => {
  const workspace = new StoragePage(page);
  await openReady(playground);
  await addAndSettle(playground, [RED_CIRCLE, BLUE_SQUARE]);
  await workspace.expectSaved(2);

  // As an older app version or a corrupted disk might leave them: one item's predictions and every stored embedding unreadable.
  await page.evaluate(async (damagedName) => {
    const open = (name: string) =>
      new Promise<IDBDatabase>((resolve, reject) => {
        const request = indexedDB.open(name);
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error ?? new Error('IndexedDB request failed'));
      });
    const rewrite = async (dbName: string, storeName: string, change: (record: Record<string, unknown>) => Record<string, unknown> | null) => {
      const db = await open(dbName);
      await new Promise<void>((resolve, reject) => {
        const transaction = db.transaction(storeName, 'readwrite');
        const store = transaction.objectStore(storeName);
        const all = store.getAll();
        all.onsuccess = () => {
          for (const record of all.result as Record<string, unknown>[]) {
            const changed = change(record);
            if (changed) store.put(changed);
          }
        };
        transaction.oncomplete = () => resolve();
        transaction.onabort = () => reject(transaction.error ?? new Error('IndexedDB transaction aborted'));
      });
      db.close();
    };
    await rewrite('zero-shot-playground-workspaces', 'items', (record) => (record.name === damagedName ? { ...record, predictions: 'unreadable' } : null));
    await rewrite('zero-shot-playground-embeddings', 'imageEmbeddings', (record) => ({ ...record, embedding: Array.from(record.embedding as Float32Array) }));
  }, RED_CIRCLE.name);

  await page.reload();
  await playground.expectModelReady({ model: 'builtin/clip-shapes' });
  await expect(playground.items).toHaveCount(1);
  await expect(page.getByTestId('storage-unreadable')).toHaveAttribute('data-count', '1');
  await expect(page.getByTestId('storage-unreadable')).toContainText('1 stored record could not be read');
  await playground.expectItemState(BLUE_SQUARE.name, 'done');
  expect(await playground.topLabel(BLUE_SQUARE.name)).toBe('blue square');
  // Its stored embedding was unreadable too: re-ranking for new labels counts it and embeds the image again.
  const fewer = LABELS.filter((label) => label !== 'purple cross');
  await playground.setLabels(fewer);
  await playground.waitForPredictionLabels(BLUE_SQUARE.name, fewer);
  await expect(page.getByTestId('worker-stats')).toHaveAttribute('data-stored-embeddings-skipped', '1');
  expect(await statNumber(page, 'data-images-from-storage')).toBe(0);
  expect(await statNumber(page, 'data-vision-runs')).toBeGreaterThan(0);
});

test('audio clips come back after a reload with their scores, transcripts and decisions, without encoding again', async ({ page, audio }) => {
  const workspace = new StoragePage(page);
  const review = new ReviewPage(page);
  const cases = WORD_FILES.filter((c) => c.file === 'left.wav' || c.file === 'yes.mp3');
  await audio.open({ model: BUILTIN_WHISPER_ID, backend: 'wasm', labels: WHISPER_WORDS, debug: true });
  await audio.expectModelReady({ model: BUILTIN_WHISPER_ID });
  await audio.classify(
    cases.map((c) => fixture(c.file)),
    WHISPER_WORDS,
  );
  await audio.item('left.wav').getByTestId('decision-accept').click();
  await review.expectDecision('left.wav', 'accepted');
  const before = new Map<string, { top: string | undefined; transcript: string; raw: number[] }>();
  for (const { file } of cases)
    before.set(file, {
      top: await audio.topLabel(file),
      transcript: await audio.transcript(file).innerText(),
      raw: (await audio.debugAudio(file)).rawScores,
    });
  await workspace.expectSaved(cases.length);

  await page.reload();
  await audio.expectModelReady({ model: BUILTIN_WHISPER_ID });
  await expect(audio.items).toHaveCount(cases.length);
  for (const { file, word } of cases) {
    await audio.expectItemState(file, 'done');
    expect(await audio.topLabel(file)).toBe(word);
    expect(await audio.topLabel(file)).toBe(before.get(file)?.top);
    await expect(audio.transcript(file)).toHaveText(before.get(file)!.transcript);
    const raw = await page.evaluate(
      (name) => (window as unknown as { zspDebug?: { audioRawScores(n: string): number[] | null } }).zspDebug?.audioRawScores(name) ?? null,
      file,
    );
    expect(raw, `raw scores of ${file}`).toEqual(before.get(file)?.raw);
  }
  await review.expectDecision('left.wav', 'accepted');
  // Nothing was scored again: the restored scores are for the same model, prompts and aggregation.
  expect((await audio.audioStats()).clipsEncoded).toBe(0);
});
