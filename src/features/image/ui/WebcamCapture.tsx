import { useEffect, useRef, useState } from 'react';
import { captureFrame, openCamera, stopCamera } from '../client/webcam';

type CameraState = { state: 'off' } | { state: 'starting' } | { state: 'on'; frameReady: boolean } | { state: 'error'; message: string };

/**
 * "Take a photo": a live preview from the camera, and one frame captured as a PNG item, added like
 * a dropped image. The camera is turned off after the photo, on Close, and when the view goes away.
 */
export function WebcamCapture({ onPhoto }: { onPhoto: (photo: File) => void }) {
  const [camera, setCamera] = useState<CameraState>({ state: 'off' });
  const streamRef = useRef<MediaStream | null>(null);
  const videoRef = useRef<HTMLVideoElement | null>(null);
  const photoCount = useRef(0);

  const turnOff = (next: CameraState = { state: 'off' }) => {
    stopCamera(streamRef.current);
    streamRef.current = null;
    setCamera(next);
  };

  const mounted = useRef(true);
  // Unmounting (switching task) must not leave the camera running.
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
      stopCamera(streamRef.current);
      streamRef.current = null;
    };
  }, []);

  // The element exists only while the camera is on: the stream is attached when it appears.
  const attachVideo = (video: HTMLVideoElement | null) => {
    videoRef.current = video;
    if (video && video.srcObject !== streamRef.current) video.srcObject = streamRef.current;
  };

  const start = async () => {
    setCamera({ state: 'starting' });
    try {
      const stream = await openCamera();
      // Permission prompts can outlast the view: a camera granted after it closed goes straight off.
      if (!mounted.current) return stopCamera(stream);
      streamRef.current = stream;
      setCamera({ state: 'on', frameReady: false });
    } catch (error) {
      setCamera({ state: 'error', message: error instanceof Error ? error.message : String(error) });
    }
  };

  const capture = async () => {
    const video = videoRef.current;
    if (!video) return;
    try {
      photoCount.current += 1;
      const file = await captureFrame(video, `Photo ${photoCount.current}.png`);
      onPhoto(file);
      turnOff();
    } catch (error) {
      turnOff({ state: 'error', message: error instanceof Error ? error.message : String(error) });
    }
  };

  return (
    // Off, it is one button in the dropzone's row; on, its preview takes a row of its own.
    <div className={`flex flex-col items-center gap-2 ${camera.state === 'off' ? '' : 'w-full'}`} data-testid="webcam" data-camera={camera.state}>
      {camera.state === 'on' ? (
        <>
          <video
            ref={attachVideo}
            data-testid="webcam-preview"
            className="max-h-64 rounded border border-slate-300 bg-black"
            autoPlay
            muted
            playsInline
            onLoadedData={() => setCamera({ state: 'on', frameReady: true })}
          />
          <div className="flex gap-2">
            <button data-testid="webcam-capture" className="btn" disabled={!camera.frameReady} onClick={() => void capture()}>
              Capture
            </button>
            <button data-testid="webcam-close" className="btn" onClick={() => turnOff()}>
              Close camera
            </button>
          </div>
        </>
      ) : (
        <button data-testid="webcam-button" className="btn" disabled={camera.state === 'starting'} onClick={() => void start()}>
          Take a photo…
        </button>
      )}
      {camera.state === 'error' && (
        <p data-testid="webcam-error" className="text-sm text-red-700">
          {camera.message}
        </p>
      )}
    </div>
  );
}
