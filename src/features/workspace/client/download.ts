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
