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
import type { Dtype, PlaygroundPage } from './pages/playground-page';

/**
 * fp32: the app's ORT-web and onnxruntime-node agree to float rounding. q8 too, now that both run exact
 * integer kernels (the shipped q8 files have uint8 weights: onnxruntime's x86 AVX2 kernel for uint8 x int8
 * saturates, see tools/README.md) and each image is embedded in a batch of its own (below); measured
 * 1.3e-7, where the fp32 files are 2.5e-3 away (asserted below, so the check can tell the files apart).
 */
const TOLERANCE: Record<Dtype, number> = { fp32: 1e-4, fp16: 1e-3, q8: 1e-4 };

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

/** Every dtype the built-in ships: q8 is what WASM picks by itself, fp32 is chosen in the settings. */
const SHIPPED_DTYPES = ['q8', 'fp32'] as const satisfies readonly Dtype[];

let preprocessor: PreprocessorConfig;
let reference: ClipReference;
let otherReference: ClipReference;
test.beforeAll(() => {
  preprocessor = JSON.parse(
    readFileSync(join(MODELS_ROOT, 'builtin', 'clip-shapes', 'preprocessor_config.json'), 'utf8'),
  ) as PreprocessorConfig;
});
test.afterEach(async () => {
  await reference?.release();
  await otherReference?.release();
});

/** Un-normalises one pixel (RGB in 0..1) of a [1, 3, H, W] tensor. */
function pixelAt(tensor: { dims: number[]; data: number[] }, x: number, y: number): [number, number, number] {
  const [, , h, w] = tensor.dims as [number, number, number, number];
  const mean = preprocessor.image_mean ?? [0.48145466, 0.4578275, 0.40821073];
  const std = preprocessor.image_std ?? [0.26862954, 0.26130258, 0.27577711];
  return [0, 1, 2].map((c) => tensor.data[c * h * w + y * w + x]! * std[c]! + mean[c]!) as [number, number, number];
}

/** Largest |app score − reference score| over every image and label. */
async function worstDifference(playground: PlaygroundPage, labels: readonly string[], against: ClipReference): Promise<number> {
  const textEmbeds = await against.embedTexts(await playground.debugPrompts());
  let worst = 0;
  for (const image of IMAGES) {
    const pixels = await playground.debugPreprocessed(image.name);
    const [imageEmbed] = await against.embedImages(pixels);
    const expected = ClipReference.scores(imageEmbed!, textEmbeds);
    const predictions = await playground.predictions(image.name);
    expect(predictions).toHaveLength(labels.length);
    for (const p of predictions) {
      const index = labels.indexOf(p.label);
      expect(index, `${image.name}: unknown label ${p.label}`).toBeGreaterThanOrEqual(0);
      worst = Math.max(worst, Math.abs(p.score - expected[index]!));
    }
  }
  return worst;
}

async function compareWithReference(
  playground: PlaygroundPage,
  dtype: Dtype,
  labels: readonly string[],
  expectedPrompts: readonly string[],
): Promise<number> {
  for (const image of IMAGES) await playground.waitForPredictionLabels(image.name, labels);
  await expect.poll(() => playground.debugPrompts(), { message: 'prompts of the current ranking' }).toEqual(expectedPrompts);
  const same = await worstDifference(playground, labels, reference);
  const other = await worstDifference(playground, labels, otherReference);
  const description = `${same.toExponential(2)} / ${other.toExponential(2)}`;
  test.info().annotations.push({ type: `${dtype} max |Δ score| vs the ${dtype} / other files`, description });
  console.log(`${dtype}: max |app − reference| on the ${dtype} / other files: ${description}`);
  expect(same, `app (${dtype}) vs onnxruntime-node on the ${dtype} files`).toBeLessThanOrEqual(TOLERANCE[dtype]);
  return other;
}

for (const dtype of SHIPPED_DTYPES) test(`scores match onnxruntime-node on the same tensors, prompts and ${dtype} files`, async ({ playground }) => {
  await playground.open({ model: 'builtin/clip-shapes', backend: 'wasm', debug: true });
  // Without a choice WASM loads the 8-bit files; fp32 is picked in the settings (the model reloads).
  await playground.expectModelReady({ backend: 'wasm', dtype: 'q8' });
  if (dtype !== 'q8') {
    await playground.setDtypePreference(dtype);
    await playground.expectModelReady({ backend: 'wasm', dtype });
  }
  // The reference runs the same files: onnx/*_quantized.onnx for q8, as transformers.js loads them.
  reference = await ClipReference.load(undefined, undefined, dtype);
  otherReference = await ClipReference.load(undefined, undefined, dtype === 'q8' ? 'fp32' : 'q8');
  const otherWorst: number[] = [];
  await playground.setLabels(LABELS);
  // One image at a time, so that each is embedded in a batch of its own as the reference embeds it: the q8
  // vision tower quantises its activations per batch (one scale over every image in it), so a q8 embedding
  // depends on the other images of its batch, and the app batches whatever is queued.
  for (const image of IMAGES) {
    await playground.addImages([image]);
    await playground.expectItemState(image.name, 'done');
  }

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
    otherWorst.push(await compareWithReference(playground, dtype, LABELS, LABELS.map((l) => `a photo of a ${l}.`)));
  });

  await test.step('another template, colour-only labels', async () => {
    await playground.setTemplate(TEMPLATE_B);
    await playground.setLabels(COLOUR_LABELS);
    otherWorst.push(await compareWithReference(playground, dtype, COLOUR_LABELS, COLOUR_LABELS.map((l) => TEMPLATE_B.replace('{}', l))));
  });

  // The check tells the files apart: somewhere the app's scores are off the other dtype's reference by more than the bar.
  expect(Math.max(...otherWorst), `app (${dtype}) vs onnxruntime-node on the other dtype's files`).toBeGreaterThan(TOLERANCE[dtype]);
});
