import type { Backend } from '../../../lib/workerReports';

const BACKEND_NAMES: Record<Backend, string> = { webgpu: 'WebGPU', wasm: 'WASM' };

/**
 * The backend and the rate, one format for the camera and the microphone: `data-fps` always has
 * two decimals; an unknown backend (the model not ready yet) shows "…", never a guess.
 */
export function LiveRateBadge({ backend, fps, unit }: { backend: Backend | null; fps: number; unit: string }) {
  return (
    <span data-testid="live-fps" data-fps={fps.toFixed(2)} className="rounded bg-slate-800 px-2 py-0.5 text-xs font-medium text-white tabular-nums">
      {backend ? BACKEND_NAMES[backend] : '…'} · {fps.toFixed(fps < 10 ? 1 : 0)} {unit}
    </span>
  );
}

/** Median (and 95th percentile) latency, captured → result shown; `data-latency-ms` is absent until the first result. */
export function LiveLatencyBadge({ medianMs, p95Ms }: { medianMs: number | null; p95Ms: number | null }) {
  return (
    <span data-testid="live-latency-ms" data-latency-ms={medianMs === null ? undefined : Math.round(medianMs)} className="text-xs text-slate-600 tabular-nums">
      latency {medianMs === null ? '–' : `${Math.round(medianMs)} ms`}
      {p95Ms !== null && ` (95%: ${Math.round(p95Ms)} ms)`}
    </span>
  );
}
