/** Object URLs are revoked after the click has started the download; this leaves it time to. */
const REVOKE_AFTER_MS = 30_000;

/** Saves a Blob as a file through a temporary <a download>, the browser's own download path. */
export function downloadBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.rel = 'noopener';
  link.style.display = 'none';
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), REVOKE_AFTER_MS);
}

/** "zsp-image-2025-06-01" style stems, so several exports sort together. */
export function exportFileStem(task: string, now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `zsp-${task}-${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

// ---------------------------------------------------------------------------------------------
// Streams to files.

/** The part of the File System Access API used here (not in TypeScript's DOM library yet). */
interface SaveFilePickerOptions {
  suggestedName?: string;
  types?: { description?: string; accept: Record<string, string[]> }[];
}
type ShowSaveFilePicker = (options?: SaveFilePickerOptions) => Promise<FileSystemFileHandle>;

function saveFilePicker(): ShowSaveFilePicker | null {
  const picker: unknown = Reflect.get(window, 'showSaveFilePicker');
  // Not in TypeScript's DOM lib (Chromium-only): its type is the declaration above.
  return typeof picker === 'function' ? (options) => Reflect.apply(picker, window, [options]) as Promise<FileSystemFileHandle> : null;
}

/** Where a streamed export goes: a file the user picked, or a Blob handed to the download path. */
export type SaveTarget = { kind: 'file'; writable: FileSystemWritableFileStream } | { kind: 'download'; fileName: string; mime: string };

/**
 * Asks for the target before any work starts, because the save dialog needs the click's user
 * activation. With the File System Access API the archive is written straight to the file the
 * user picks, never held in memory; elsewhere it becomes one Blob for a normal download. Null
 * when the user closed the dialog.
 */
export async function chooseSaveTarget(fileName: string, mime: string, extension: string): Promise<SaveTarget | null> {
  const picker = saveFilePicker();
  if (!picker) return { kind: 'download', fileName, mime };
  let handle: FileSystemFileHandle;
  try {
    handle = await picker({ suggestedName: fileName, types: [{ description: 'ZIP archive', accept: { [mime]: [extension] } }] });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') return null;
    // The dialog is refused without a fresh user gesture (or by policy, in some iframes); the
    // download path needs neither.
    if (error instanceof DOMException && error.name === 'SecurityError') return { kind: 'download', fileName, mime };
    throw error;
  }
  return { kind: 'file', writable: await handle.createWritable() };
}

/**
 * Writes the stream to the target. A failing stream aborts the file (the half-written file is
 * discarded, not left behind). For a download, `new Response(stream).blob()` assembles the one
 * Blob from the chunks as they come, so the archive is never held as an array plus a copy.
 */
export async function saveStream(makeStream: () => ReadableStream<Uint8Array>, target: SaveTarget): Promise<void> {
  if (target.kind === 'file') {
    let stream: ReadableStream<Uint8Array>;
    try {
      stream = makeStream();
    } catch (error) {
      // The archive was refused before it began (an unsafe path): the picked file is discarded too.
      await target.writable.abort(error);
      throw error;
    }
    await stream.pipeTo(target.writable);
    return;
  }
  const blob = await new Response(makeStream(), { headers: { 'Content-Type': target.mime } }).blob();
  downloadBlob(blob, target.fileName);
}
