import { useRef } from 'react';
import { filesFromInput, type DroppedFile } from './droppedFiles';

/**
 * "Choose a folder…": every file under the picked folder, with its path. A folder of class
 * sub-folders (ImageFolder layout) also gives ground truth.
 */
export function FolderPicker({ onFiles }: { onFiles: (files: DroppedFile[]) => void }) {
  const inputRef = useRef<HTMLInputElement>(null);
  return (
    <>
      <button className="btn" onClick={() => inputRef.current?.click()}>
        Choose a folder…
      </button>
      <input
        ref={inputRef}
        data-testid="folder-input"
        type="file"
        {...{ webkitdirectory: '', directory: '' }}
        multiple
        className="sr-only"
        onChange={(e) => {
          onFiles(filesFromInput(e.target.files));
          e.target.value = '';
        }}
      />
    </>
  );
}
