import { Tensor, type ImageProcessor, type RawImage } from '@huggingface/transformers';
import { CROP_PADDING_RGB, nativeDrawOf, pixelPlanFromConfig, pixelValuesLength, writePixelValues, type PixelPlan } from '../../../lib/imagePreprocess';
import type { ImageResizeMode } from '../shared/protocol';
import { decodeBitmap, ImageDecodeError, rawImageOfBitmap } from './decodeImage';

/**
 * A picture ready for the model's preprocessing: for the exact path the decoded RGBA picture (the
 * processor resizes it), for the native path the model's input size already (the browser resized it).
 */
export type DecodedPicture =
  | { mode: 'exact'; image: RawImage; width: number; height: number }
  | { mode: 'native'; rgba: Uint8ClampedArray; inputWidth: number; inputHeight: number; width: number; height: number };

/** The model's input: one [n, 3, height, width] tensor for the whole batch. */
export interface BatchPixels {
  pixelValues: Tensor;
}

/** The native path's plan for this processor, or null when its config asks for steps the plan doesn't model (the exact path then runs). */
export function nativePlanOf(processor: ImageProcessor): PixelPlan | null {
  return pixelPlanFromConfig(processor.config);
}

/**
 * Draws the picture straight at the processor's resize size (then centre-cropped) in one canvas
 * draw with the browser's high-quality downscaling: transparency inside the picture flattened onto
 * white (as the exact path's decode does), the border a crop larger than the picture leaves in the
 * processor's padding colour (black). The caller closes the bitmap.
 */
function nativePictureOf(bitmap: ImageBitmap, plan: PixelPlan): DecodedPicture {
  const { width, height } = bitmap;
  const draw = nativeDrawOf(plan, width, height);
  const canvas = new OffscreenCanvas(draw.inputWidth, draw.inputHeight);
  const context = canvas.getContext('2d', { willReadFrequently: true });
  if (!context) throw new ImageDecodeError('No 2D canvas available in this browser worker.');
  context.fillStyle = `rgb(${CROP_PADDING_RGB.join(' ')})`;
  context.fillRect(0, 0, draw.inputWidth, draw.inputHeight);
  context.fillStyle = '#ffffff';
  context.fillRect(draw.x, draw.y, draw.width, draw.height);
  context.imageSmoothingQuality = 'high';
  context.drawImage(bitmap, draw.x, draw.y, draw.width, draw.height);
  const rgba = context.getImageData(0, 0, draw.inputWidth, draw.inputHeight).data;
  return { mode: 'native', rgba, inputWidth: draw.inputWidth, inputHeight: draw.inputHeight, width, height };
}

/**
 * A bitmap (a decoded file, or a live camera frame) ready for the chosen path, drawn exactly as a
 * decoded file is: a frame and the PNG captured from it give the same tensor. The caller closes it.
 */
export function pictureOfBitmap(bitmap: ImageBitmap, mode: ImageResizeMode, plan: PixelPlan | null): DecodedPicture {
  if (mode === 'native' && plan) return nativePictureOf(bitmap, plan);
  return { mode: 'exact', ...rawImageOfBitmap(bitmap) };
}

/** Decodes one file for the chosen path (native falls back to exact when the processor has no plan). */
export async function decodePicture(blob: Blob, mode: ImageResizeMode, plan: PixelPlan | null): Promise<DecodedPicture> {
  const bitmap = await decodeBitmap(blob);
  try {
    return pictureOfBitmap(bitmap, mode, plan);
  } finally {
    bitmap.close();
  }
}

/**
 * The batch's input tensor. Exact pictures go through transformers.js's processor (the reference
 * path: one call for the batch); native ones are rescaled and normalised straight into one
 * Float32Array by the plan (src/lib/imagePreprocess.ts, the processor's arithmetic).
 */
export async function batchPixels(pictures: readonly DecodedPicture[], processor: ImageProcessor, plan: PixelPlan | null): Promise<BatchPixels> {
  const first = pictures[0];
  if (!first) throw new Error('an empty batch has no pixels');
  if (first.mode === 'native' && plan) {
    const { inputWidth, inputHeight } = first;
    const perPicture = pixelValuesLength(inputWidth, inputHeight);
    const data = new Float32Array(pictures.length * perPicture);
    pictures.forEach((picture, index) => {
      if (picture.mode !== 'native' || picture.inputWidth !== inputWidth || picture.inputHeight !== inputHeight)
        throw new Error('a batch mixes pictures of different input sizes');
      writePixelValues(data, index * perPicture, picture.rgba, inputWidth, inputHeight, plan.normalization);
    });
    return { pixelValues: new Tensor('float32', data, [pictures.length, 3, inputHeight, inputWidth]) };
  }
  const images = pictures.map((picture) => {
    if (picture.mode !== 'exact') throw new Error('a batch mixes exact and native pictures');
    return picture.image;
  });
  const { pixel_values } = (await processor(images)) as { pixel_values: Tensor };
  return { pixelValues: pixel_values };
}
