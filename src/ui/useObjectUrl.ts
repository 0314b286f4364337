import { useEffect, useState } from 'react';

/**
 * An object URL for a Blob while the component that shows it is mounted. Made on demand because
 * creating one costs about half a millisecond on the main thread: for 1,000 dropped images only
 * the cards on screen pay it, and a card scrolled away frees its URL.
 */
export function useObjectUrl(blob: Blob): string | null {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    const created = URL.createObjectURL(blob);
    setUrl(created);
    return () => URL.revokeObjectURL(created);
  }, [blob]);
  return url;
}
