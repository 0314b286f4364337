import { useEffect, useState } from 'react';
import { collectDroppedFiles, type DroppedFile } from './droppedFiles';

/**
 * Accepts files and folders dropped anywhere on the page (folders are walked, see droppedFiles.ts). The handlers are registered once; `onFiles` must be
 * a stable function (a module-level one that reads the store), so nothing re-subscribes.
 * Returns whether files are being dragged over the page.
 */
export function useWindowFileDrop(onFiles: (files: DroppedFile[]) => void): boolean {
  const [dragging, setDragging] = useState(false);
  useEffect(() => {
    const onDragOver = (event: DragEvent) => {
      if (!event.dataTransfer?.types.includes('Files')) return;
      event.preventDefault();
      setDragging(true);
    };
    const onDragLeave = (event: DragEvent) => {
      if (event.relatedTarget === null) setDragging(false);
    };
    const onDrop = (event: DragEvent) => {
      if (!event.dataTransfer?.files.length) return;
      event.preventDefault();
      setDragging(false);
      void collectDroppedFiles(event.dataTransfer).then(onFiles);
    };
    window.addEventListener('dragover', onDragOver);
    window.addEventListener('dragleave', onDragLeave);
    window.addEventListener('drop', onDrop);
    return () => {
      window.removeEventListener('dragover', onDragOver);
      window.removeEventListener('dragleave', onDragLeave);
      window.removeEventListener('drop', onDrop);
    };
  }, [onFiles]);
  return dragging;
}
