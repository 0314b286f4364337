import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLIPImageProcessor, RawImage, type Tensor } from '@huggingface/transformers';
import { CROP_PADDING_RGB, centerCropOrigin, nativeDrawOf, pixelPlanFromConfig, pixelValuesLength, resizedSize, writePixelValues, type PixelPlan } from './imagePreprocess';
import { seededRandom } from './random';

const BUILTIN_CONFIG = JSON.parse(readFileSync(new URL('../../public/models/builtin/clip-shapes/preprocessor_config.json', import.meta.url), 'utf8')) as Record<string, unknown>;
/** openai/clip-vit-base-patch32's preprocessor_config.json. */
const VIT_B32_CONFIG = {
  crop_size: 224,
  do_center_crop: true,
  do_normalize: true,
  do_resize: true,
  feature_extractor_type: 'CLIPFeatureExtractor',
  image_mean: [0.48145466, 0.4578275, 0.40821073],
  image_std: [0.26862954, 0.26130258, 0.27577711],
  resample: 3,
  size: 224,
};

function randomRgba(width: number, height: number, seed: number): Uint8ClampedArray {
  const random = seededRandom(seed);
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < data.length; i++) data[i] = i % 4 === 3 ? 255 : Math.floor(random() * 256);
  return data;
}

async function processorPixels(config: Record<string, unknown>, rgba: Uint8ClampedArray, width: number, height: number): Promise<Tensor> {
  const processor = new CLIPImageProcessor(config);
  const { pixel_values } = (await processor(new RawImage(rgba, width, height, 4))) as { pixel_values: Tensor };
  return pixel_values;
}

function planOf(config: unknown): PixelPlan {
  const plan = pixelPlanFromConfig(config);
  if (!plan) throw new Error('no plan');
  return plan;
}

describe('pixelPlanFromConfig', () => {
  it('reads the built-in model and ViT-B/32 configs', () => {
    expect(planOf(BUILTIN_CONFIG)).toMatchObject({ resize: { kind: 'fixed', width: 64, height: 64 }, crop: null });
    expect(planOf(VIT_B32_CONFIG)).toMatchObject({ resize: { kind: 'shortestEdge', shortestEdge: 224, longestEdge: 224 }, crop: { width: 224, height: 224 } });
    expect(planOf({ ...VIT_B32_CONFIG, size: { shortest_edge: 224 } }).resize).toEqual({ kind: 'shortestEdge', shortestEdge: 224, longestEdge: null });
  });

  it('declines configs with steps it does not model, or that it cannot read', () => {
    expect(pixelPlanFromConfig({ ...VIT_B32_CONFIG, do_pad: true })).toBeNull();
    expect(pixelPlanFromConfig({ ...VIT_B32_CONFIG, size_divisibility: 32 })).toBeNull();
    expect(pixelPlanFromConfig({ ...VIT_B32_CONFIG, do_center_crop: true, crop_size: undefined })).toBeNull();
    expect(pixelPlanFromConfig({ ...VIT_B32_CONFIG, size: 'big' })).toBeNull();
    expect(pixelPlanFromConfig(null)).toBeNull();
  });

  it('reads the other processors\' steps switched off (false or null) as absent, and declines each one switched on', () => {
    const off = { do_pad: false, do_thumbnail: null, do_crop_margin: false, do_flip_channel_order: false, keep_aspect_ratio: false, do_convert_grayscale: null, size_divisibility: null, pad_size: null };
    expect(planOf({ ...VIT_B32_CONFIG, ...off })).toEqual(planOf(VIT_B32_CONFIG));
    for (const flag of ['do_pad', 'do_thumbnail', 'do_crop_margin', 'do_flip_channel_order', 'keep_aspect_ratio', 'do_convert_grayscale'])
      expect(pixelPlanFromConfig({ ...VIT_B32_CONFIG, [flag]: true }), flag).toBeNull();
    expect(pixelPlanFromConfig({ ...VIT_B32_CONFIG, pad_size: { height: 32, width: 32 } })).toBeNull();
  });

  it('declines a plan that would leave pictures at different sizes (no centre crop and no fixed size)', () => {
    const noCrop = { ...VIT_B32_CONFIG, do_center_crop: false };
    expect(pixelPlanFromConfig(noCrop)).toBeNull();
    expect(pixelPlanFromConfig({ ...noCrop, size: { shortest_edge: 224 } })).toBeNull();
    expect(pixelPlanFromConfig({ ...noCrop, do_resize: false })).toBeNull();
    // A fixed size alone, or a crop alone, gives every picture one size.
    expect(planOf({ ...noCrop, size: { height: 224, width: 224 } }).crop).toBeNull();
    expect(planOf({ ...VIT_B32_CONFIG, do_resize: false }).resize).toBeNull();
  });
});

describe('nativeDrawOf', () => {
  it('covers the input with the picture when the crop cuts into it', () => {
    const plan = planOf({ ...VIT_B32_CONFIG, size: { shortest_edge: 224 } });
    // 640 × 480 → 298 × 224 (transformers.js), cropped to 224 × 224 from x = 37.
    expect(nativeDrawOf(plan, 640, 480)).toEqual({ inputWidth: 224, inputHeight: 224, x: -37, y: 0, width: 298, height: 224 });
  });

  it("leaves the border transformers.js's centre crop pads, in its padding colour", async () => {
    // A fixed size smaller than the crop: the picture sits inside the input.
    const plan = planOf({ ...VIT_B32_CONFIG, size: { height: 6, width: 4 }, crop_size: { height: 8, width: 8 } });
    const draw = nativeDrawOf(plan, 4, 6);
    expect(draw).toEqual({ inputWidth: 8, inputHeight: 8, x: 2, y: 1, width: 4, height: 6 });
    const random = seededRandom(5);
    const rgb = Uint8ClampedArray.from({ length: 4 * 6 * 3 }, () => 1 + Math.floor(random() * 255));
    // The processor's own step (sharp in Node), on the picture already at the resize size and converted to RGB as it does.
    const reference = (await new RawImage(rgb, 4, 6, 3).center_crop(8, 8)) as RawImage;
    expect([reference.width, reference.height, reference.channels]).toEqual([8, 8, 3]);
    const drawn: number[] = [];
    for (let y = 0; y < draw.inputHeight; y++)
      for (let x = 0; x < draw.inputWidth; x++) {
        const inside = x >= draw.x && x < draw.x + draw.width && y >= draw.y && y < draw.y + draw.height;
        const source = ((y - draw.y) * draw.width + (x - draw.x)) * 3;
        drawn.push(...(inside ? rgb.subarray(source, source + 3) : CROP_PADDING_RGB));
      }
    expect(drawn).toEqual(Array.from(reference.data));
  });
});

describe('resizedSize', () => {
  it("gives transformers.js's resize size for shortest-edge and fixed rules", () => {
    const random = seededRandom(7);
    for (const config of [VIT_B32_CONFIG, { ...VIT_B32_CONFIG, size: { shortest_edge: 224 } }, { ...VIT_B32_CONFIG, size: { shortest_edge: 200, longest_edge: 300 } }, BUILTIN_CONFIG]) {
      const processor = new CLIPImageProcessor(config);
      const plan = planOf(config);
      for (let trial = 0; trial < 300; trial++) {
        const width = 1 + Math.floor(random() * 3000);
        const height = 1 + Math.floor(random() * 3000);
        const [expectedWidth, expectedHeight] = processor.get_resize_output_image_size({ size: [width, height] } as unknown as RawImage, processor.size);
        expect(resizedSize(plan.resize, width, height), `${width}×${height}`).toEqual({ width: expectedWidth, height: expectedHeight });
      }
    }
  });
});

describe('writePixelValues', () => {
  it("equals transformers.js's CLIPImageProcessor on a picture at the resize size (built-in model)", async () => {
    const rgba = randomRgba(64, 64, 1);
    const expected = await processorPixels(BUILTIN_CONFIG, rgba, 64, 64);
    const plan = planOf(BUILTIN_CONFIG);
    // Second of two pictures in the batch: the offset is honoured.
    const target = new Float32Array(2 * pixelValuesLength(64, 64));
    writePixelValues(target, pixelValuesLength(64, 64), rgba, 64, 64, plan.normalization);
    expect(expected.dims).toEqual([1, 3, 64, 64]);
    expect(Array.from(target.subarray(pixelValuesLength(64, 64)))).toEqual(Array.from(expected.data as Float32Array));
    expect(target.subarray(0, pixelValuesLength(64, 64)).every((value) => value === 0)).toBe(true);
  });

  it("with centerCropOrigin equals the processor's centre crop and normalisation (ViT-B/32 config, 224 × 261)", async () => {
    const [width, height] = [224, 261];
    const rgba = randomRgba(width, height, 2);
    // An integer `size` means shortest and longest edge 224 to transformers.js; the Hub's newer configs say shortest_edge.
    const config = { ...VIT_B32_CONFIG, size: { shortest_edge: 224 } };
    const expected = await processorPixels(config, rgba, width, height);
    const plan = planOf(config);
    expect(resizedSize(plan.resize, width, height)).toEqual({ width, height });
    const { left, top } = centerCropOrigin(width, height, 224, 224);
    expect({ left, top }).toEqual({ left: 0, top: 18 });
    const cropped = new Uint8ClampedArray(224 * 224 * 4);
    for (let row = 0; row < 224; row++) cropped.set(rgba.subarray(((row + top) * width + left) * 4, ((row + top) * width + left + 224) * 4), row * 224 * 4);
    const target = new Float32Array(pixelValuesLength(224, 224));
    writePixelValues(target, 0, cropped, 224, 224, plan.normalization);
    expect(Array.from(target)).toEqual(Array.from(expected.data as Float32Array));
  });

  it('skips the steps the config turns off, and refuses a buffer of the wrong size', () => {
    const rgba = new Uint8ClampedArray([255, 0, 51, 255]);
    const target = new Float32Array(3);
    writePixelValues(target, 0, rgba, 1, 1, { rescaleFactor: null, mean: null, std: null });
    expect(Array.from(target)).toEqual([255, 0, 51]);
    writePixelValues(target, 0, rgba, 1, 1, { rescaleFactor: 1 / 255, mean: null, std: null });
    expect(Array.from(target)).toEqual([1, 0, Math.fround(51 / 255)]);
    expect(() => writePixelValues(target, 0, rgba, 2, 1, { rescaleFactor: null, mean: null, std: null })).toThrow(/RGBA bytes/);
    expect(() => writePixelValues(target, 1, rgba, 1, 1, { rescaleFactor: null, mean: null, std: null })).toThrow(/does not fit/);
  });
});
