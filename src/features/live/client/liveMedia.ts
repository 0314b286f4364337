import { deviceEndedMessage, mediaDeviceErrorMessage, noMediaDevicesMessage, type MediaDeviceWording } from '../../../lib/mediaDeviceErrors';

export { deviceEndedMessage };

/**
 * getUserMedia with the user-facing messages both live halves (and the photo/recording buttons)
 * show: rejects with an Error whose message says what to do (the browser's error is its cause).
 */
export async function openMediaStream(constraints: MediaStreamConstraints, wording: MediaDeviceWording): Promise<MediaStream> {
  if (!navigator.mediaDevices?.getUserMedia) throw new Error(noMediaDevicesMessage(wording));
  try {
    return await navigator.mediaDevices.getUserMedia(constraints);
  } catch (error) {
    throw new Error(mediaDeviceErrorMessage(error, wording), { cause: error });
  }
}

/**
 * Calls `onEnded` once when any of the stream's tracks ends on its own (unplugged, revoked by the
 * system); `track.stop()` fires no 'ended', so our own Stop never calls it. Returns the unsubscribe.
 */
export function onTracksEnded(stream: MediaStream, onEnded: () => void): () => void {
  const tracks = stream.getTracks();
  let fired = false;
  const listener = (): void => {
    if (fired) return;
    fired = true;
    unsubscribe();
    onEnded();
  };
  const unsubscribe = (): void => {
    for (const track of tracks) track.removeEventListener('ended', listener);
  };
  for (const track of tracks) track.addEventListener('ended', listener);
  return unsubscribe;
}

/** Page Visibility: `onHidden` when the tab is hidden or the window minimised, `onVisible` when it is back. Returns the unsubscribe. */
export function watchVisibility(onHidden: () => void, onVisible: () => void): () => void {
  const listener = (): void => (document.hidden ? onHidden() : onVisible());
  document.addEventListener('visibilitychange', listener);
  return () => document.removeEventListener('visibilitychange', listener);
}
