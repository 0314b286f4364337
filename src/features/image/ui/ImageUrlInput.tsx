import { useState } from 'react';
import { fetchImageFromUrl, ImageUrlError } from '../client/imageFromUrl';

type FetchState = { state: 'idle' } | { state: 'fetching' } | { state: 'error'; message: string };

/** Adds an image by its address; the browser fetches it (CORS mode), and a refusal is explained. */
export function ImageUrlInput({ onImage }: { onImage: (image: File) => void }) {
  const [url, setUrl] = useState('');
  const [status, setStatus] = useState<FetchState>({ state: 'idle' });

  const add = async () => {
    setStatus({ state: 'fetching' });
    try {
      const file = await fetchImageFromUrl(url);
      onImage(file);
      setUrl('');
      setStatus({ state: 'idle' });
    } catch (error) {
      const message = error instanceof ImageUrlError ? error.message : `The image could not be fetched: ${error instanceof Error ? error.message : String(error)}`;
      setStatus({ state: 'error', message });
    }
  };

  return (
    <form
      // Our own messages explain a bad address; the browser's validation bubble would hide them.
      noValidate
      className="flex min-w-64 max-w-md flex-1 flex-wrap items-center justify-center gap-2"
      onSubmit={(event) => {
        event.preventDefault();
        if (url.trim() !== '' && status.state !== 'fetching') void add();
      }}
    >
      <label className="sr-only" htmlFor="image-url-input">
        Image address
      </label>
      <input
        id="image-url-input"
        data-testid="image-url-input"
        type="url"
        inputMode="url"
        placeholder="https://… image address"
        className="min-w-0 flex-1 rounded border border-slate-300 px-2 py-1 text-sm"
        value={url}
        onChange={(event) => setUrl(event.target.value)}
      />
      <button data-testid="image-url-add" type="submit" className="btn" disabled={url.trim() === '' || status.state === 'fetching'}>
        {status.state === 'fetching' ? 'Fetching…' : 'Add by URL'}
      </button>
      {status.state === 'error' && (
        <p data-testid="image-url-error" className="w-full text-sm text-red-700">
          {status.message}
        </p>
      )}
    </form>
  );
}
