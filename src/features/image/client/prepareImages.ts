import { sha256Hex } from '../../../lib/cacheKeys';
import type { ImageItem } from '../../../store/itemsSlice';
import { newItemId } from '../../../lib/itemIds';

/** SVGs are drawn at their own size, within these bounds (px), before the worker sees them. */
const SVG_DEFAULT_SIDE_PX = 512;
const SVG_MAX_SIDE_PX = 2048;

export function isSvg(file: Blob & { name?: string }): boolean {
  return file.type === 'image/svg+xml' || /\.svgz?$/i.test(file.name ?? '');
}

/**
 * A fresh item for a dropped, picked or pasted file. `path` is its path inside a dropped folder
 * (see lib/review.ts imageFolderTruths); `truth` the class that path gives, if any.
 */
export function newImageItem(file: File, path?: string, truth: string | null = null): ImageItem {
  const name = file.name || 'pasted image';
  return {
    id: newItemId('image'),
    name,
    path: path || name,
    truth,
    decision: 'none',
    finalLabel: null,
    blob: file,
    contentHash: null,
    state: 'pending',
    error: null,
    predictions: [],
    rankedPromptsKey: null,
    classifier: null,
    width: null,
    height: null,
  };
}

/**
 * Workers have no SVG decoder (createImageBitmap rejects SVG there), so an SVG is rendered to a
 * PNG here by the browser's own image element; everything else goes to the worker as it is.
 */
export async function rasterizeSvg(file: Blob): Promise<Blob> {
  const url = URL.createObjectURL(file);
  try {
    const image = new Image();
    image.decoding = 'async';
    image.src = url;
    await image.decode();
    const naturalWidth = image.naturalWidth || SVG_DEFAULT_SIDE_PX;
    const naturalHeight = image.naturalHeight || SVG_DEFAULT_SIDE_PX;
    const scale = Math.min(1, SVG_MAX_SIDE_PX / Math.max(naturalWidth, naturalHeight));
    const canvas = document.createElement('canvas');
    canvas.width = Math.max(1, Math.round(naturalWidth * scale));
    canvas.height = Math.max(1, Math.round(naturalHeight * scale));
    const context = canvas.getContext('2d');
    if (!context) throw new Error('No 2D canvas available.');
    context.fillStyle = '#ffffff';
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.drawImage(image, 0, 0, canvas.width, canvas.height);
    return await new Promise<Blob>((resolve, reject) =>
      canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('Could not render the SVG.'))), 'image/png'),
    );
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** The blob the worker will decode and the content hash that keys its embedding. */
export async function prepareImage(item: ImageItem): Promise<Pick<ImageItem, 'blob' | 'contentHash'>> {
  const blob = isSvg(item.blob) ? await rasterizeSvg(item.blob).catch(() => {
    throw new Error('This SVG could not be rendered.');
  }) : item.blob;
  // Hash the original bytes: the same file dropped twice is the same picture.
  return { blob, contentHash: await sha256Hex(await item.blob.arrayBuffer()) };
}
