/**
 * Demo links: a link with examples, opened in a fresh browser context, reproduces the same labels
 * and top labels; tampered links are refused with a message, apply nothing and run no script.
 */
import { MAX_EXAMPLE_BYTES } from '../src/lib/shareFragment';
import { PlaygroundPage } from './pages/playground-page';
import { WorkspacePage } from './pages/workspace-page';
import { packShareFragment, packShareState, unpackShareFragment } from './support/shareLink';
import { shapeImage } from './support/shapes';
import { BUILTIN_MODEL_ID_FOR_TESTS, SHAPE_SET, addShapeSet } from './support/workspace-fixtures';
import { test, expect } from './support/test';

const EXAMPLES = SHAPE_SET.slice(0, 3);
const LABELS = SHAPE_SET.map((image) => image.label);

/** The link opened with the WASM backend (the query string still works beside the fragment). */
function withWasm(link: string): string {
  const url = new URL(link);
  url.searchParams.set('backend', 'wasm');
  return url.toString();
}

test('a demo link with examples reproduces the same top labels in a fresh browser', async ({ page, playground, browser }) => {
  const workspace = new WorkspacePage(page);
  await playground.open({ backend: 'wasm', labels: LABELS });
  await playground.expectModelReady({ model: BUILTIN_MODEL_ID_FOR_TESTS });
  await playground.setTemplate('a picture of a {}.');
  await addShapeSet(playground, LABELS, EXAMPLES);
  const tops = await Promise.all(EXAMPLES.map((image) => playground.topLabel(image.name)));

  const link = await workspace.makeShareLink({ examples: true });
  expect(link.startsWith(`${new URL(page.url()).origin}/#demo=`)).toBe(true);
  await expect(workspace.shareLinkLength).toHaveAttribute('data-length', String(link.length));

  const context = await browser.newContext();
  try {
    const fresh = await context.newPage();
    const opened = new PlaygroundPage(fresh);
    await fresh.goto(withWasm(link));
    await opened.expectModelReady({ model: BUILTIN_MODEL_ID_FOR_TESTS });
    await expect(opened.labelsInput).toHaveValue(LABELS.join('\n'));
    await expect(opened.templateInput).toHaveValue('a picture of a {}.');
    await expect(opened.items).toHaveCount(EXAMPLES.length);
    await opened.waitForSettled(EXAMPLES.map((image) => image.name));
    for (const [i, image] of EXAMPLES.entries()) {
      await opened.waitForPredictionLabels(image.name, LABELS);
      expect(await opened.topLabel(image.name), image.name).toBe(tops[i]);
    }
    await expect(fresh.getByTestId('share-error')).toHaveCount(0);
    // The demo leaves the address once applied, so a reload doesn't add the examples again.
    expect(new URL(fresh.url()).hash).toBe('');
    expect(opened.pageErrors).toEqual([]);
  } finally {
    await context.close();
  }
});

test('a link built outside the app (Node zlib, Buffer base64url) opens with its settings and examples', async ({ browser }) => {
  const examples = SHAPE_SET.slice(0, 2).map((image) => ({ name: image.name, mime: 'image/png', bytes: image.buffer }));
  const fragment = packShareState(
    { v: 1, task: 'image', model: BUILTIN_MODEL_ID_FOR_TESTS, labels: LABELS, templates: ['an image of a {}.'] },
    examples,
  );
  const context = await browser.newContext();
  try {
    const opened = new PlaygroundPage(await context.newPage());
    await opened.page.goto(`/?backend=wasm${fragment}`);
    await opened.expectModelReady({ model: BUILTIN_MODEL_ID_FOR_TESTS });
    await expect(opened.labelsInput).toHaveValue(LABELS.join('\n'));
    await expect(opened.templateInput).toHaveValue('an image of a {}.');
    await expect(opened.items).toHaveCount(examples.length);
    expect(await opened.items.evaluateAll((els) => els.map((el) => el.getAttribute('data-name')))).toEqual(examples.map((example) => example.name));
    await opened.waitForSettled(examples.map((example) => example.name));
    for (const image of SHAPE_SET.slice(0, 2)) {
      await opened.waitForPredictionLabels(image.name, LABELS);
      expect(await opened.topLabel(image.name), image.name).toBe(image.label);
    }
    await expect(opened.page.getByTestId('share-error')).toHaveCount(0);
    expect(opened.pageErrors).toEqual([]);
  } finally {
    await context.close();
  }
});

test('a big picture is downscaled to fit, and the link warns when it is too long for chat apps', async ({ page, playground, browser }) => {
  const workspace = new WorkspacePage(page);
  await playground.open({ backend: 'wasm', labels: LABELS });
  await playground.expectModelReady({ model: BUILTIN_MODEL_ID_FOR_TESTS });
  const short = await workspace.makeShareLink({ examples: false });
  expect(short.length).toBeLessThan(2000);
  await expect(page.getByTestId('share-warning')).toHaveCount(0);

  // Grey noise doesn't compress: as a PNG this is far over what a link carries per example.
  const big = shapeImage('ws-big-noisy-red-circle.png', {
    shape: 'circle',
    colour: 'red',
    width: 640,
    height: 640,
    size: 0.7,
    background: { kind: 'noise', min: 200, max: 255 },
  });
  expect(big.buffer.length).toBeGreaterThan(MAX_EXAMPLE_BYTES);
  const images = [...SHAPE_SET.slice(0, 3), big];
  await addShapeSet(playground, LABELS, images);
  const long = await workspace.makeShareLink({ examples: true });
  expect(long.length).toBeGreaterThan(2000);
  await expect(page.getByTestId('share-warning')).toContainText('too long for');
  await expect(page.getByTestId('share-warning')).toContainText('project file');
  await expect(page.getByTestId('share-downscaled')).toContainText(big.name);
  await expect(page.getByTestId('share-left-out')).toHaveCount(0);

  // The downscaled copy is a picture the app reads and ranks.
  const context = await browser.newContext();
  try {
    const opened = new PlaygroundPage(await context.newPage());
    await opened.page.goto(withWasm(long));
    await opened.expectModelReady({ model: BUILTIN_MODEL_ID_FOR_TESTS });
    await expect(opened.items).toHaveCount(images.length);
    const names = await opened.items.evaluateAll((els) => els.map((el) => el.getAttribute('data-name') ?? ''));
    expect(names.slice(0, 3)).toEqual(images.slice(0, 3).map((image) => image.name));
    expect(names[3]).toMatch(/^ws-big-noisy-red-circle\.(webp|jpg)$/);
    await opened.waitForSettled(names);
    for (const name of names) await expect(opened.item(name)).toHaveAttribute('data-state', 'done');
  } finally {
    await context.close();
  }
});

test('"open in live mode" puts the camera in the demo link and in the short link, as Node reads them', async ({ page, playground }) => {
  const workspace = new WorkspacePage(page);
  await playground.open({ backend: 'wasm', labels: LABELS });
  await expect(workspace.shareLive).toHaveAttribute('data-source', 'camera');
  const plain = await workspace.makeShareLink({ examples: false });
  expect(unpackShareFragment(new URL(plain).hash.slice(1)).wire).not.toHaveProperty('live');
  expect(new URL((await workspace.shareQueryLink.textContent()) ?? '').searchParams.has('live')).toBe(false);

  const live = await workspace.makeShareLink({ examples: false, live: true });
  expect(unpackShareFragment(new URL(live).hash.slice(1)).wire).toMatchObject({ v: 2, task: 'image', labels: LABELS, live: 'camera' });
  const query = new URL((await workspace.shareQueryLink.textContent()) ?? '');
  expect(query.origin + query.pathname).toBe(new URL(live).origin + new URL(live).pathname);
  expect(query.searchParams.get('live')).toBe('camera');
  expect(query.searchParams.get('labels')).toBe(LABELS.join(','));
  expect(playground.pageErrors).toEqual([]);
});

const PWNED_FLAG = '__zspPwned';
const SCRIPT_LABEL = `<img src=x onerror="window.${PWNED_FLAG}=1">`;

const TAMPERED: { name: string; wire: unknown; binary?: Uint8Array; expected: string[] }[] = [
  {
    name: 'script in a label',
    wire: { v: 1, task: 'image', model: 'builtin/clip-shapes', labels: ['cat', SCRIPT_LABEL], templates: ['a photo of a {}.'] },
    expected: ['labels[1]: looks like HTML markup'],
  },
  {
    name: 'huge values',
    wire: { v: 1, task: 'image', model: 'builtin/clip-shapes', labels: ['x'.repeat(50_000), SCRIPT_LABEL], templates: ['t'.repeat(10_000)] },
    expected: ['labels[0]: longer than 200 characters', 'labels[1]: looks like HTML markup', 'templates[0]: longer than 500 characters'],
  },
  {
    name: 'wrong types',
    wire: { v: '1', task: ['image'], model: 42, labels: [SCRIPT_LABEL, { toString: 'x' }], templates: 'a {}', examples: { name: SCRIPT_LABEL } },
    expected: ['v: must be the number 1', 'task: must be image or audio', 'model: not a model id', 'labels[1]: must be text, not an object', 'templates: must be a list of text', 'examples: must be a list'],
  },
];

for (const tampered of TAMPERED) {
  test(`a tampered link (${tampered.name}) is refused, applies nothing and runs no script`, async ({ page, playground }) => {
    const workspace = new WorkspacePage(page);
    await playground.open({ backend: 'wasm', labels: ['red circle', 'blue square'] });
    await playground.expectModelReady({ model: BUILTIN_MODEL_ID_FOR_TESTS });
    await page.goto(`/?backend=wasm${packShareFragment(tampered.wire, tampered.binary)}`);
    await expect(workspace.shareError).toBeVisible();
    for (const problem of tampered.expected) await expect(workspace.shareError).toContainText(problem);
    // Nothing from the link was applied: the labels are the ones from before.
    await expect(playground.labelsInput).toHaveValue('red circle\nblue square');
    await expect(playground.items).toHaveCount(0);
    // The problems are text: no element came out of the label, and its handler never ran.
    await expect(page.locator('img[src="x"]')).toHaveCount(0);
    expect(await page.evaluate((flag) => (window as unknown as Record<string, unknown>)[flag], PWNED_FLAG)).toBeUndefined();
    await playground.expectModelReady({ model: BUILTIN_MODEL_ID_FOR_TESTS });
    expect(await page.evaluate((flag) => (window as unknown as Record<string, unknown>)[flag], PWNED_FLAG)).toBeUndefined();
  });
}
