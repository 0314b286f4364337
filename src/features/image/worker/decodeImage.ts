import { RawImage } from '@huggingface/transformers';

/** Larger images are scaled down before preprocessing: every model here looks at ≤ 512 px anyway. */
export const MAX_DECODE_SIDE_PX = 2048;

export class ImageDecodeError extends Error {}

export interface DecodedImage {
  image: RawImage;
  /** The picture's size as the user sees it (EXIF orientation applied), before any downscaling. */
  width: number;
  height: number;
}

/** createImageBitmap (EXIF orientation applied, first frame of an animation), with the app's error for a file it can't read. */
export async function decodeBitmap(blob: Blob): Promise<ImageBitmap> {
  if (blob.size === 0) throw new ImageDecodeError('Empty file (0 bytes).');
  try {
    return await createImageBitmap(blob, { imageOrientation: 'from-image' });
  } catch {
    throw new ImageDecodeError(`Not a readable image${blob.type ? ` (${blob.type})` : ''}: the browser could not decode it.`);
  }
}

/**
 * Decodes in the worker, flattens transparency onto white as a viewer would show it, and returns
 * RGBA pixels (the exact path: transformers.js's processor resizes them).
 */
export async function decodeImage(blob: Blob): Promise<DecodedImage> {
  const bitmap = await decodeBitmap(blob);
  try {
    return rawImageOfBitmap(bitmap);
  } finally {
    bitmap.close();
  }
}

/**
 * A bitmap's RGBA pixels as the exact path wants them (transparency on white, at most
 * MAX_DECODE_SIDE_PX a side): a decoded file and a live camera frame go through this same draw,
 * so a frame gives the tensor its captured PNG would. The caller closes the bitmap.
 */
export function rawImageOfBitmap(bitmap: ImageBitmap): DecodedImage {
  const { width, height } = bitmap;
  const scale = Math.min(1, MAX_DECODE_SIDE_PX / Math.max(width, height));
  const targetWidth = Math.max(1, Math.round(width * scale));
  const targetHeight = Math.max(1, Math.round(height * scale));
  const canvas = new OffscreenCanvas(targetWidth, targetHeight);
  const context = canvas.getContext('2d', { willReadFrequently: true });
  if (!context) throw new ImageDecodeError('No 2D canvas available in this browser worker.');
  context.fillStyle = '#ffffff';
  context.fillRect(0, 0, targetWidth, targetHeight);
  context.imageSmoothingQuality = 'high';
  context.drawImage(bitmap, 0, 0, targetWidth, targetHeight);
  const pixels = context.getImageData(0, 0, targetWidth, targetHeight).data;
  return { image: new RawImage(pixels, targetWidth, targetHeight, 4), width, height };
}
