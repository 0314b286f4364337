import type { MediaDeviceWording } from '../../../lib/mediaDeviceErrors';
import { openMediaStream } from '../../live';

const CAMERA_WORDING: MediaDeviceWording = { device: 'camera', retry: 'press "Take a photo"', alternative: 'add image files' };

/** The camera's video stream; rejects with a message meant for the user (see mediaDeviceErrorMessage). */
export function openCamera(video: MediaTrackConstraints | true = true, wording: MediaDeviceWording = CAMERA_WORDING): Promise<MediaStream> {
  return openMediaStream({ video, audio: false }, wording);
}

/** Turns the camera off (its light too): every track must be stopped, not just the element detached. */
export function stopCamera(stream: MediaStream | null): void {
  for (const track of stream?.getTracks() ?? []) track.stop();
}

/** The frame the video element shows now, as a PNG file named `name`. */
export async function captureFrame(video: HTMLVideoElement, name: string): Promise<File> {
  const width = video.videoWidth;
  const height = video.videoHeight;
  if (width === 0 || height === 0) throw new Error('The camera has not shown a picture yet; try again in a moment.');
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext('2d');
  if (!context) throw new Error('No 2D canvas available to take the photo.');
  context.drawImage(video, 0, 0, width, height);
  const blob = await new Promise<Blob>((resolve, reject) =>
    canvas.toBlob((png) => (png ? resolve(png) : reject(new Error('The photo could not be encoded.'))), 'image/png'),
  );
  return new File([blob], name, { type: 'image/png' });
}
