import { useEffect, useRef } from 'react';
import { FolderPicker } from '../../../ui/FolderPicker';
import { useWindowFileDrop } from '../../../ui/useWindowFileDrop';
import { addImageFiles } from '../client/addImageFiles';
import { ImageUrlInput } from './ImageUrlInput';
import { LiveCameraPanel } from './LiveCameraPanel';
import { WebcamCapture } from './WebcamCapture';

function addFiles(files: Iterable<File>): void {
  addImageFiles(Array.from(files, (file) => ({ file, path: file.name })));
}

/** Pick, drop anywhere on the page, or paste (Ctrl+V) images. */
export function ImageDropzone() {
  const inputRef = useRef<HTMLInputElement>(null);
  const dragging = useWindowFileDrop(addImageFiles);

  useEffect(() => {
    // Registered once: the handler reads the store directly, so it never needs re-subscribing.
    const onPaste = (event: ClipboardEvent) => {
      const files = Array.from(event.clipboardData?.files ?? []).filter((file) => file.type.startsWith('image/'));
      if (files.length > 0) addFiles(files);
    };
    window.addEventListener('paste', onPaste);
    return () => window.removeEventListener('paste', onPaste);
  }, []);

  return (
    <div
      className={`flex flex-wrap items-center justify-center gap-2 rounded-lg border-2 border-dashed p-3 text-center ${dragging ? 'border-sky-500 bg-sky-50' : 'border-slate-300 bg-white'}`}
    >
      <p className="text-sm text-slate-700">Drop images or folders anywhere, paste them, or</p>
      <button className="btn" onClick={() => inputRef.current?.click()}>
        Choose images…
      </button>
      <FolderPicker onFiles={addImageFiles} />
      <input
        ref={inputRef}
        data-testid="image-input"
        type="file"
        multiple
        accept="image/*"
        className="sr-only"
        onChange={(e) => {
          addFiles(e.target.files ?? []);
          e.target.value = '';
        }}
      />
      <WebcamCapture onPhoto={(photo) => addFiles([photo])} />
      <LiveCameraPanel />
      <ImageUrlInput onImage={(image) => addFiles([image])} />
      <p className="w-full text-xs text-slate-500">Images are processed on this device and never uploaded.</p>
    </div>
  );
}
