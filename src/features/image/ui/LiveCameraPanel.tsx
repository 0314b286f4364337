import { useCallback, useSyncExternalStore } from 'react';
import type { Backend } from '../../../lib/workerReports';
import { useAppStore } from '../../../store';
import { LiveLatencyBadge, LiveRateBadge, SmoothingSlider } from '../../live';
import { LIVE_LABELS_SHOWN, type LiveCamera, type LiveCameraView } from '../client/liveCamera';
import { LiveCameraService } from './imageServices';

/** Mounts the camera's own <video> (the controller captures from it, whatever the panel does). */
function Preview({ video }: { video: HTMLVideoElement }) {
  const mount = useCallback(
    (slot: HTMLDivElement | null) => {
      if (!slot) return;
      slot.appendChild(video);
      // React 19 ref cleanup: an unmounted slot lets go of the element, so a remount never shows it in an old place.
      return () => {
        if (video.parentElement === slot) slot.removeChild(video);
      };
    },
    [video],
  );
  return <div ref={mount} className="[&>video]:block [&>video]:max-h-80 [&>video]:w-full [&>video]:rounded [&>video]:bg-black [&>video]:object-contain" />;
}

/** The ranked labels over the preview: bars keyed by label, so a label's bar glides (CSS transition) as its score moves. */
function RankingOverlay({ view }: { view: LiveCameraView }) {
  const top = view.ranking[0];
  return (
    <div className="pointer-events-none absolute inset-x-2 bottom-2 space-y-1 rounded bg-black/55 p-2 text-xs text-white">
      <p
        data-testid="live-top"
        data-label={top?.label ?? ''}
        data-score={top ? top.score.toFixed(4) : ''}
        data-raw-label={view.rawTop?.label ?? ''}
        data-frames={view.framesScored}
        data-media-time={view.mediaTime ?? ''}
        className="truncate text-sm font-semibold"
      >
        {top ? `${top.label} · ${(top.score * 100).toFixed(0)}%` : view.waitingFor === 'model' ? 'Waiting for the model…' : view.waitingFor === 'labels' ? 'Add labels to rank.' : 'Looking…'}
      </p>
      <ol className="space-y-0.5">
        {view.ranking.slice(0, LIVE_LABELS_SHOWN).map(({ label, score }) => (
          <li key={label} data-testid="live-label" data-label={label} data-score={score.toFixed(4)} className="flex items-center gap-2">
            <span className="w-32 shrink-0 truncate">{label}</span>
            <span className="h-2 flex-1 overflow-hidden rounded bg-white/20">
              <span className="block h-full rounded bg-sky-400 transition-[width] duration-300 ease-out" style={{ width: `${Math.max(0, Math.min(1, score)) * 100}%` }} />
            </span>
          </li>
        ))}
      </ol>
    </div>
  );
}

function LiveControls({ camera, view, backend }: { camera: LiveCamera; view: LiveCameraView; backend: Backend | null }) {
  const paused = view.pausedBy !== null;
  return (
    <div className="flex flex-wrap items-center gap-2 text-xs">
      <LiveRateBadge backend={backend} fps={view.fps} unit="fps" />
      <LiveLatencyBadge medianMs={view.latencyMs} p95Ms={view.latencyP95Ms} />
      {view.cameras.length > 1 && (
        <select
          data-testid="live-camera-select"
          aria-label="Camera"
          className="rounded border border-slate-300 px-1 py-0.5"
          value={view.deviceId ?? ''}
          onChange={(event) => camera.chooseCamera(event.target.value)}
        >
          {view.cameras.map((choice) => (
            <option key={choice.deviceId} value={choice.deviceId}>
              {choice.name}
            </option>
          ))}
        </select>
      )}
      <SmoothingSlider value={view.smoothing} onChange={(strength) => camera.setSmoothing(strength)} />
      {paused ? (
        <button data-testid="live-resume" className="btn" onClick={() => camera.resume()}>
          Resume
        </button>
      ) : (
        <button data-testid="live-pause" className="btn" onClick={() => camera.pause()}>
          Pause
        </button>
      )}
      <button data-testid="live-capture" className="btn" onClick={() => void camera.capture()}>
        Capture
      </button>
      <button data-testid="live-stop" className="btn" onClick={() => camera.stop()}>
        Stop
      </button>
    </div>
  );
}

/**
 * "Live": the camera classified continuously. Subscribed to the live camera alone
 * (useSyncExternalStore), so a frame's result re-renders this panel and nothing else.
 */
export function LiveCameraPanel() {
  const camera = LiveCameraService.use();
  const view = useSyncExternalStore(camera.subscribe, camera.getSnapshot);
  const backend = useAppStore((s) => (s.models.image.status.state === 'ready' ? s.models.image.status.info.backend : null));
  if (view.status === 'off' || view.status === 'error') {
    return (
      <div className="flex flex-col items-center gap-1">
        <button data-testid="live-start" className="btn" onClick={() => void camera.start()}>
          Live
        </button>
        {view.error && (
          <p data-testid="live-error" role="alert" className="max-w-md text-sm text-red-700">
            {view.error}
          </p>
        )}
      </div>
    );
  }
  return (
    <section
      data-testid="live-view"
      data-state={view.status === 'starting' ? 'starting' : view.pausedBy ? 'paused' : 'live'}
      data-paused-by={view.pausedBy ?? ''}
      data-backend={backend ?? ''}
      aria-label="Live camera"
      className="w-full space-y-2 rounded border border-slate-300 bg-white p-2 text-left"
    >
      <div className="relative">
        <Preview video={camera.video} />
        {view.status === 'live' && <RankingOverlay view={view} />}
        {view.status === 'starting' && <p className="absolute inset-0 flex items-center justify-center text-sm text-white">Starting the camera…</p>}
        {view.pausedBy && (
          <p data-testid="live-paused" className="absolute right-2 top-2 rounded bg-white/85 px-2 text-xs">
            {view.pausedBy === 'hidden' ? 'Paused while the tab is hidden' : 'Paused'}
          </p>
        )}
      </div>
      {view.status === 'live' ? (
        <LiveControls camera={camera} view={view} backend={backend} />
      ) : (
        <button data-testid="live-stop" className="btn" onClick={() => camera.stop()}>
          Stop
        </button>
      )}
      {view.notice && (
        <p data-testid="live-notice" role="status" className="text-sm text-slate-700">
          {view.notice}
        </p>
      )}
      {view.frameError && (
        <p data-testid="live-frame-error" role="alert" className="text-sm text-red-700">
          {view.frameError}
        </p>
      )}
    </section>
  );
}
