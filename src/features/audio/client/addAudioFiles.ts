import { withFolderTruths, type DroppedFile } from '../../../ui/droppedFiles';
import { useAppStore } from '../../../store';
import { looksLikeAudio, newAudioItem } from './newAudioItem';

/** Adds clips (other files in a dropped folder are skipped); folder paths give ground truth. */
export function addAudioDropped(files: readonly DroppedFile[]): void {
  const items = withFolderTruths(files.filter(({ file }) => looksLikeAudio(file))).map(({ file, path, truth }) =>
    newAudioItem(file, path, truth),
  );
  if (items.length > 0) useAppStore.getState().addAudioItems(items);
}

export function addAudioFiles(files: Iterable<File>): void {
  const items = Array.from(files, (file) => newAudioItem(file));
  if (items.length > 0) useAppStore.getState().addAudioItems(items);
}
