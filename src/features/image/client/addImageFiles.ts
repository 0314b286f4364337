import { withFolderTruths, type DroppedFile } from '../../../ui/droppedFiles';
import { useAppStore } from '../../../store';
import { newImageItem } from './prepareImages';

function looksLikeImage(file: File): boolean {
  return file.type.startsWith('image/') || /\.(png|jpe?g|gif|webp|bmp|avif|tiff?|svgz?)$/i.test(file.name);
}

/**
 * Adds images; folder paths give ground truth. Inside a folder, other files (notes, CSVs) are
 * skipped; a file chosen on its own is kept, so it gets an explanation if it can't be read.
 */
export function addImageFiles(files: readonly DroppedFile[]): void {
  const images = files.filter(({ file, path }) => !path.includes('/') || looksLikeImage(file));
  const items = withFolderTruths(images).map(({ file, path, truth }) => newImageItem(file, path, truth));
  if (items.length > 0) useAppStore.getState().addItems(items);
}
