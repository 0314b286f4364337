/**
 * The settings in localStorage are read as untrusted: a hand-edited record opens the app with its
 * wrong-typed fields at their defaults and its other fields kept, and a record that is not JSON
 * at all opens it with every default; neither throws in the page.
 */
import { DEFAULT_LABELS_TEXT } from '../src/store/settingsSlice';
import { test, expect } from './support/test';
import { BUILTIN_MODEL_ID_FOR_TESTS } from './support/workspace-fixtures';

/** Written out: the key is part of what a returning visitor's browser already holds. */
const SETTINGS_KEY = 'zero-shot-playground/settings';
const DEFAULT_TEMPLATE = 'a photo of a {}.';

test('hand-edited settings: wrong-typed fields get their defaults, the others are kept', async ({ page, playground }) => {
  const edited = {
    state: {
      task: 'video',
      modelId: { id: 'x' },
      backendPreference: 'wasm',
      labelsText: 'kept one\nkept two',
      template: 42,
      calibration: '<img src=x>',
    },
    version: 2,
  };
  await page.addInitScript(([key, value]) => localStorage.setItem(key, value), [SETTINGS_KEY, JSON.stringify(edited)] as const);
  await playground.open();
  await playground.expectModelReady({ model: BUILTIN_MODEL_ID_FOR_TESTS, backend: 'wasm' });
  await expect(playground.labelsInput).toHaveValue('kept one\nkept two');
  await expect(playground.templateInput).toHaveValue(DEFAULT_TEMPLATE);
  expect(playground.pageErrors).toEqual([]);
});

test('settings that are not JSON: the app opens with every default', async ({ page, playground }) => {
  await page.addInitScript(([key]) => localStorage.setItem(key, '{"state": {"labelsText": '), [SETTINGS_KEY] as const);
  await playground.open({ backend: 'wasm' });
  await playground.expectModelReady({ model: BUILTIN_MODEL_ID_FOR_TESTS });
  await expect(playground.labelsInput).toHaveValue(DEFAULT_LABELS_TEXT);
  await expect(playground.templateInput).toHaveValue(DEFAULT_TEMPLATE);
  expect(playground.pageErrors).toEqual([]);
});
