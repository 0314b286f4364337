/**
 * A model folder picked from disk (Hub layout) loads through the same code as Hub models, with no
 * network request: the worker serves the picked files to transformers.js itself.
 */
import { test, expect } from './support/test';
import { BUILTIN_MODEL_DIR } from './support/hub-server';
import { ALL_LABELS, shapeImage } from './support/shapes';

test('a model folder picked from disk loads and classifies', async ({ page, playground }) => {
  await playground.open({ backend: 'wasm' });
  await playground.expectModelReady({ model: 'builtin/clip-shapes' });
  const served: string[] = [];
  page.on('request', (request) => {
    if (request.url().includes('picked-folder') || request.url().includes('/models/')) served.push(request.url());
  });

  await page.getByTestId('model-folder-input').setInputFiles(BUILTIN_MODEL_DIR);
  await expect(playground.modelStatus).toHaveAttribute('data-model', 'local/clip-shapes', { timeout: 60_000 });
  await playground.expectModelReady({ model: 'local/clip-shapes', backend: 'wasm' });

  const image = shapeImage('folder-blue-cross.png', { shape: 'cross', colour: 'blue', width: 280, height: 200, size: 0.8 });
  expect(await playground.rankOne(image, ALL_LABELS)).toBe('blue cross');
  expect(served, 'the folder model is read from the picked files, not fetched').toEqual([]);
});
