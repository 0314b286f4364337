/**
 * The app's scores equal an independent computation: onnxruntime-node on the built-in model's
 * ONNX files, fed the exact pixel tensor the app's vision model saw (debug API) and the prompts
 * tokenised in Node with transformers.js's AutoTokenizer; softmax over 100·cos.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, expect } from './support/test';
import { ClipReference, MODELS_ROOT } from './support/reference';
import { COLOURS, shapeImage, type ShapeImage } from './support/shapes';
import type { PlaygroundPage } from './pages/playground-page';

const TOLERANCE = 1e-4;

const IMAGES: ShapeImage[] = [
  shapeImage('ref-red-circle.png', { shape: 'circle', colour: 'red', width: 300, height: 300, size: 0.7 }),
  shapeImage('ref-blue-star-wide.png', { shape: 'star', colour: 'blue', width: 480, height: 260, size: 0.8, dx: 0.1 }),
  shapeImage('ref-yellow-cross-noisy.png', {
    shape: 'cross',
    colour: 'yellow',
    width: 260,
    height: 360,
    size: 0.5,
    background: { kind: 'noise', min: 160, max: 255 },
    seed: 99,
  }),
  shapeImage('ref-purple-triangle.png', { shape: 'triangle', colour: 'purple', width: 224, height: 224, size: 0.4, rotation: 10 }),
];

const LABELS = ['red circle', 'blue star', 'yellow cross', 'purple triangle', 'green square', 'orange star', 'blue circle', 'a red thing'];
const TEMPLATE_B = 'a drawing of a {} on paper';
const COLOUR_LABELS = ['red', 'orange', 'yellow', 'green', 'blue', 'purple'];

interface PreprocessorConfig {
  image_mean?: number[];
  image_std?: number[];
}

let preprocessor: PreprocessorConfig;
let reference: ClipReference;
test.beforeAll(async () => {
  preprocessor = JSON.parse(
    readFileSync(join(MODELS_ROOT, 'builtin', 'clip-shapes', 'preprocessor_config.json'), 'utf8'),
  ) as PreprocessorConfig;
  reference = await ClipReference.load();
});
test.afterAll(async () => {
  await reference?.release();
});

/** Un-normalises one pixel (RGB in 0..1) of a [1, 3, H, W] tensor. */
function pixelAt(tensor: { dims: number[]; data: number[] }, x: number, y: number): [number, number, number] {
  const [, , h, w] = tensor.dims as [number, number, number, number];
  const mean = preprocessor.image_mean ?? [0.48145466, 0.4578275, 0.40821073];
  const std = preprocessor.image_std ?? [0.26862954, 0.26130258, 0.27577711];
  return [0, 1, 2].map((c) => tensor.data[c * h * w + y * w + x]! * std[c]! + mean[c]!) as [number, number, number];
}

async function compareWithReference(
  playground: PlaygroundPage,
  labels: readonly string[],
  expectedPrompts: readonly string[],
): Promise<void> {
  for (const image of IMAGES) await playground.waitForPredictionLabels(image.name, labels);
  await expect.poll(() => playground.debugPrompts(), { message: 'prompts of the current ranking' }).toEqual(expectedPrompts);
  const prompts = await playground.debugPrompts();
  const textEmbeds = await reference.embedTexts(prompts);

  for (const image of IMAGES) {
    const pixels = await playground.debugPreprocessed(image.name);
    const [imageEmbed] = await reference.embedImages(pixels);
    const expected = ClipReference.scores(imageEmbed!, textEmbeds);
    const predictions = await playground.predictions(image.name);
    expect(predictions).toHaveLength(labels.length);
    for (const p of predictions) {
      const index = labels.indexOf(p.label);
      expect(index, `${image.name}: unknown label ${p.label}`).toBeGreaterThanOrEqual(0);
      const diff = Math.abs(p.score - expected[index]!);
      expect(diff, `${image.name} / "${p.label}": app ${p.score} vs reference ${expected[index]}`).toBeLessThanOrEqual(TOLERANCE);
    }
  }
}

test('scores match onnxruntime-node on the same tensors and prompts', async ({ playground }) => {
  await playground.open({ model: 'builtin/clip-shapes', backend: 'wasm', debug: true });
  await playground.expectModelReady({ backend: 'wasm' });
  await playground.setLabels(LABELS);
  await playground.addImages(IMAGES);
  for (const image of IMAGES) await playground.expectItemState(image.name, 'done');

  await test.step('the preprocessed tensors are sane CLIP input', async () => {
    for (const image of IMAGES) {
      const pixels = await playground.debugPreprocessed(image.name);
      expect(pixels.dims, `${image.name}: one RGB image`).toHaveLength(4);
      const [n, c, h, w] = pixels.dims as [number, number, number, number];
      expect([n, c]).toEqual([1, 3]);
      expect(h * w * 3, 'data length matches dims').toBe(pixels.data.length);
      expect(pixels.data.every((v) => Number.isFinite(v))).toBe(true);
      if (image.spec.background === undefined) {
        // White background in the corner, the shape's colour in the middle: catches missing or
        // wrong normalisation and swapped channels.
        const corner = pixelAt(pixels, 0, 0);
        for (const v of corner) expect(v, `${image.name}: corner is white`).toBeCloseTo(1, 1);
        const centre = pixelAt(pixels, Math.floor(w / 2), Math.floor(h / 2));
        const rgb = COLOURS[image.colour].map((v) => v / 255);
        for (let k = 0; k < 3; k++) expect(Math.abs(centre[k]! - rgb[k]!), `${image.name}: centre is ${image.colour}`).toBeLessThan(0.06);
      }
    }
  });

  await test.step('default template, colour+shape labels', async () => {
    await compareWithReference(playground, LABELS, LABELS.map((l) => `a photo of a ${l}.`));
  });

  await test.step('another template, colour-only labels', async () => {
    await playground.setTemplate(TEMPLATE_B);
    await playground.setLabels(COLOUR_LABELS);
    await compareWithReference(playground, COLOUR_LABELS, COLOUR_LABELS.map((l) => TEMPLATE_B.replace('{}', l)));
  });
});
