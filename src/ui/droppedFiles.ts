/**
 * Files with their paths inside dropped or picked folders: the path is what makes a folder in
 * ImageFolder layout (`root/class/file`) ground truth.
 */
import { imageFolderTruths } from '../lib/review';

export interface DroppedFile {
  file: File;
  /** Path relative to what was dropped or picked (`root/class/file.png`), or the file's name. */
  path: string;
}

export interface IntakeFile extends DroppedFile {
  truth: string | null;
}

const PATH_ORDER = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

/**
 * Adds the ground truth each path gives (all the files of one drop are looked at together). Files
 * from folders come in path order (`img-2` before `img-10`), as a file browser lists them; loose
 * files keep the order they were given in.
 */
export function withFolderTruths(files: readonly DroppedFile[]): IntakeFile[] {
  const ordered = files.some((dropped) => dropped.path.includes('/')) ? [...files].sort((a, b) => PATH_ORDER.compare(a.path, b.path)) : files;
  const truths = imageFolderTruths(ordered.map((dropped) => dropped.path));
  return ordered.map((dropped, index) => ({ ...dropped, truth: truths[index] ?? null }));
}

/** Files from an `<input type=file>` (with `webkitdirectory`, each has its relative path). */
export function filesFromInput(list: FileList | null): DroppedFile[] {
  return Array.from(list ?? [], (file) => ({ file, path: file.webkitRelativePath || file.name }));
}

function readAllEntries(reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> {
  // readEntries returns at most 100 entries per call; read until it returns none.
  return new Promise((resolve, reject) => {
    const all: FileSystemEntry[] = [];
    const next = () =>
      reader.readEntries((batch) => {
        if (batch.length === 0) resolve(all);
        else {
          all.push(...batch);
          next();
        }
      }, reject);
    next();
  });
}

async function walk(entry: FileSystemEntry, out: DroppedFile[]): Promise<void> {
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    out.push({ file, path: entry.fullPath.replace(/^\/+/, '') || file.name });
  } else if (entry.isDirectory) {
    for (const child of await readAllEntries((entry as FileSystemDirectoryEntry).createReader())) await walk(child, out);
  }
}

/**
 * Everything a drop carries, folders walked recursively. The entries must be taken synchronously
 * in the drop handler (the DataTransfer empties afterwards), so this takes them first.
 */
export async function collectDroppedFiles(transfer: DataTransfer): Promise<DroppedFile[]> {
  const entries = Array.from(transfer.items)
    .filter((item) => item.kind === 'file')
    .map((item) => item.webkitGetAsEntry());
  if (entries.some((entry) => entry === null)) return filesFromInput(transfer.files);
  const out: DroppedFile[] = [];
  for (const entry of entries) if (entry) await walk(entry, out);
  return out;
}
