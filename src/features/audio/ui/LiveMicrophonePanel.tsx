import { useSyncExternalStore } from 'react';
import { LiveLatencyBadge, LiveRateBadge, SmoothingSlider } from '../../live';
import { MAX_LIVE_WINDOW_SECONDS, MIN_LIVE_WINDOW_SECONDS } from '../../../lib/liveAudio';
import { useAppStore } from '../../../store';
import { LIVE_CAPTURE_SECONDS, type LiveTimelineWindow } from '../client/liveMicrophone';
import { LiveMicrophoneService } from './audioServices';

function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function TimelineWindow({ window }: { window: LiveTimelineWindow }) {
  return (
    <li
      data-testid="live-window"
      data-start-ms={window.startMs}
      data-silent={window.silent ? 'true' : undefined}
      data-label={window.label ?? undefined}
      data-score={window.score === null ? undefined : window.score.toFixed(4)}
      data-transcript={window.transcript ?? undefined}
      data-probabilities={window.probabilities ? JSON.stringify(window.probabilities.map((p) => Number(p.toFixed(4)))) : undefined}
      className={`flex min-w-24 flex-col rounded border px-2 py-1 text-xs ${window.silent ? 'border-slate-200 text-slate-400' : 'border-sky-300 bg-sky-50'}`}
    >
      <span className="tabular-nums text-slate-500">{formatSeconds(window.startMs)}</span>
      {window.silent ? (
        <span>silent</span>
      ) : (
        <>
          <span className="font-medium">
            {window.label} <span className="tabular-nums">{((window.score ?? 0) * 100).toFixed(0)}%</span>
          </span>
          {window.transcript !== null &&
            (window.transcript.trim() === '' ? (
              <span className="text-slate-400">no speech</span>
            ) : (
              <span className="italic text-slate-600">“{window.transcript.trim()}”</span>
            ))}
        </>
      )}
    </li>
  );
}

/**
 * Live microphone mode: Listen, the window settings, the level meter, the smoothed top label and
 * the timeline of the latest windows. Reads the LiveMicrophone's own view (not the app store), so
 * only this panel re-renders per window.
 */
export function LiveMicrophonePanel() {
  const live = LiveMicrophoneService.use();
  const view = useSyncExternalStore(live.subscribe, live.getView);
  // Read from the store, as the model runs now (known before the first window is scored).
  const backend = useAppStore((s) => (s.models.audio.status.state === 'ready' ? s.models.audio.status.info.backend : null));
  const priorChosen = useAppStore((s) => s.calibration === 'prior');
  const running = view.state === 'live' || view.state === 'paused';

  const { settings } = view;
  return (
    <section className="w-full rounded border border-slate-200 p-3 text-left" aria-label="Live microphone">
      <div className="flex flex-wrap items-center gap-3">
        {!running ? (
          <button data-testid="live-start" className="btn" disabled={view.state === 'starting'} onClick={() => void live.start()}>
            🎙 Listen
          </button>
        ) : (
          <>
            <button data-testid="live-stop" className="btn bg-red-600 text-white" onClick={() => live.stop()}>
              ■ Stop listening
            </button>
            <button data-testid="live-capture" className="btn" onClick={() => void live.capture()} title={`Adds the last ${LIVE_CAPTURE_SECONDS} s as a clip`}>
              Capture last {LIVE_CAPTURE_SECONDS} s
            </button>
          </>
        )}
        <label className="flex items-center gap-1 text-xs">
          Window
          <input
            data-testid="live-window-seconds"
            type="number"
            min={MIN_LIVE_WINDOW_SECONDS}
            max={MAX_LIVE_WINDOW_SECONDS}
            step={0.5}
            value={settings.windowSeconds}
            className="w-14 rounded border px-1"
            onChange={(e) => live.setSettings({ windowSeconds: Number(e.target.value) })}
          />
          s
        </label>
        <label className="flex items-center gap-1 text-xs">
          Overlap
          <select
            data-testid="live-overlap"
            value={settings.overlap}
            className="rounded border px-1"
            onChange={(e) => live.setSettings({ overlap: Number(e.target.value) })}
          >
            {[0, 0.25, 0.5, 0.75].map((overlap) => (
              <option key={overlap} value={overlap}>
                {overlap * 100}%
              </option>
            ))}
          </select>
        </label>
        <SmoothingSlider value={settings.smoothing} onChange={(smoothing) => live.setSettings({ smoothing })} />
        <label className="flex items-center gap-1 text-xs">
          <input type="checkbox" data-testid="live-transcribe" checked={settings.transcribe} onChange={(e) => live.setSettings({ transcribe: e.target.checked })} />
          Transcribe (Whisper)
        </label>
      </div>
      {view.error && (
        <p role="alert" data-testid="live-error" className="mt-2 text-sm text-red-700">
          {view.error}
        </p>
      )}
      {running && view.waitingForClick && (
        <p role="status" data-testid="live-waiting-for-click" className="mt-2 text-sm text-amber-800">
          The browser starts the microphone's sound only after a click on the page.{' '}
          <button data-testid="live-start-sound" className="btn" onClick={() => live.startSound()}>
            Start sound
          </button>
        </p>
      )}
      {running && (
        <div data-testid="live-view" data-backend={backend ?? undefined} data-state={view.state} className="mt-3 flex flex-col gap-2">
          <div className="flex flex-wrap items-center gap-3 text-sm">
            <div className="h-2 w-32 rounded bg-slate-200" data-testid="live-level" data-level={view.level.toFixed(3)} aria-label="Input level">
              <div className="h-2 rounded bg-emerald-500" style={{ width: `${Math.min(1, view.level) * 100}%` }} />
            </div>
            <span data-testid="live-top" data-label={view.top?.label ?? ''} data-score={view.top ? view.top.score.toFixed(4) : undefined} className="font-semibold">
              {view.top ? `${view.top.label} ${(view.top.score * 100).toFixed(0)}%` : '—'}
            </span>
            <LiveRateBadge backend={backend} fps={view.fps} unit="windows/s" />
            <LiveLatencyBadge medianMs={view.medianMs} p95Ms={view.p95Ms} />
            {view.state === 'paused' && <span className="text-xs text-amber-700">paused (tab hidden)</span>}
            {priorChosen && (
              <span className="text-xs text-slate-500">prior calibration needs a batch of clips: live windows are uncalibrated</span>
            )}
          </div>
          {view.waitingFor && (
            <p role="status" data-testid="live-waiting" data-waiting-for={view.waitingFor} className="text-sm text-slate-600">
              {view.waitingFor === 'model' ? 'Waiting for the model… windows are scored once it is ready.' : 'Add a label to score the windows.'}
            </p>
          )}
          <ol data-testid="live-timeline" className="flex gap-1 overflow-x-auto pb-1" aria-label="Latest windows">
            {view.windows.map((window) => (
              <TimelineWindow key={window.startMs} window={window} />
            ))}
          </ol>
        </div>
      )}
      <p className="mt-2 text-xs text-slate-500">Live sound is classified on this device and kept only when you capture it.</p>
    </section>
  );
}
