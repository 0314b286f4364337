import { useCallback, useSyncExternalStore } from 'react';
import { MAX_SMOOTHING_STRENGTH } from '../../../lib/liveSmoothing';
import type { Backend } from '../../../lib/workerReports';
import { useAppStore } from '../../../store';
import { LIVE_LABELS_SHOWN, type LiveCamera, type LiveCameraView } from '../client/liveCamera';
import { LiveCameraService } from './imageServices';

const BACKEND_NAMES = { webgpu: 'WebGPU', wasm: 'WASM' } as const;
const SMOOTHING_STEP = 0.05;

/** Mounts the camera's own <video> (the controller captures from it, whatever the panel does). */
function Preview({ video }: { video: HTMLVideoElement }) {
  const mount = useCallback(
    (slot: HTMLDivElement | null) => {
      if (slot) slot.appendChild(video);
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
      <span data-testid="live-fps" data-fps={view.fps.toFixed(1)} className="rounded bg-slate-800 px-2 py-0.5 font-medium text-white">
        {backend ? BACKEND_NAMES[backend] : '…'} · {view.fps.toFixed(view.fps < 10 ? 1 : 0)} fps
      </span>
      <span data-testid="live-latency-ms" data-latency-ms={view.latencyMs === null ? '' : Math.round(view.latencyMs)} className="text-slate-600">
        latency {view.latencyMs === null ? '–' : `${Math.round(view.latencyMs)} ms`}
        {view.latencyP95Ms !== null && ` (95%: ${Math.round(view.latencyP95Ms)} ms)`}
      </span>
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
      <label className="flex items-center gap-1 text-slate-600">
        smoothing
        <input
          data-testid="live-smoothing"
          type="range"
          min={0}
          max={MAX_SMOOTHING_STRENGTH}
          step={SMOOTHING_STEP}
          value={view.smoothing}
          onChange={(event) => camera.setSmoothing(Number(event.target.value))}
        />
        <span className="w-8 tabular-nums">{view.smoothing.toFixed(2)}</span>
      </label>
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
      {view.frameError && (
        <p data-testid="live-frame-error" role="alert" className="text-sm text-red-700">
          {view.frameError}
        </p>
      )}
    </section>
  );
}
