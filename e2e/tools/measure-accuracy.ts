/**
 * Offline accuracy of the built-in model on the e2e picture sets (Node: transformers.js
 * preprocessing + onnxruntime-node), to set or check the bars in classify.spec.ts:
 *
 *   npx jiti e2e/tools/measure-accuracy.ts            # public/models/builtin/clip-shapes
 *   E2E_MODELS_ROOT=/tmp/other npx jiti e2e/tools/measure-accuracy.ts
 */
import { AutoProcessor, RawImage } from '@huggingface/transformers';
import { ClipReference } from '../support/reference';
import { CLEAN_SET, HARD_SET } from '../support/datasets';
import { ALL_LABELS, COLOUR_NAMES, randomShapeSet, renderShape, type ShapeImage } from '../support/shapes';

const reference = await ClipReference.load();
const processor = await AutoProcessor.from_pretrained('builtin/clip-shapes', { local_files_only: true });
const prompt = (label: string) => `a photo of a ${label}.`;
const texts = await reference.embedTexts(ALL_LABELS.map(prompt));
const colourTexts = await reference.embedTexts(COLOUR_NAMES.map(prompt));

const argmax = (xs: readonly number[]) => xs.indexOf(Math.max(...xs));

async function measure(name: string, set: readonly ShapeImage[]): Promise<void> {
  let right = 0;
  let colourRight = 0;
  const misses: string[] = [];
  for (const image of set) {
    const { width, height, data } = renderShape(image.spec);
    const raw = new RawImage(new Uint8ClampedArray(data), width, height, 4).rgb();
    const { pixel_values } = (await processor(raw)) as { pixel_values: { dims: number[]; data: Float32Array } };
    const [embedding] = await reference.embedImages(pixel_values);
    const top = ALL_LABELS[argmax(ClipReference.scores(embedding!, texts))];
    const colour = COLOUR_NAMES[argmax(ClipReference.scores(embedding!, colourTexts))];
    if (top === image.label) right++;
    else misses.push(`${image.name} -> ${top}`);
    if (colour === image.colour) colourRight++;
    else misses.push(`${image.name} -> colour ${colour}`);
  }
  console.log(`${name}: colour+shape ${right}/${set.length}, colour ${colourRight}/${set.length}${misses.length ? `\n  ${misses.join('\n  ')}` : ''}`);
}

await measure('classify clean set', CLEAN_SET);
await measure('classify hard set', HARD_SET);
for (const seed of [1, 2, 3, 4, 5]) {
  await measure(`hard set, seed ${seed}`, randomShapeSet(10, seed, { minSize: 0.3, maxSize: 0.9, noisy: 0.6, maxRotation: 15 }));
}
await measure('cache.spec set', randomShapeSet(20, 7_340_021, { prefix: 'cache' }));
await reference.release();
