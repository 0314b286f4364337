/**
 * The live microphone's AudioWorklet port (page ⇄ `liveCapture.worklet.ts`): one discriminated
 * union per direction. The worklet slices the sound into windows, marks silent ones and keeps the
 * capture ring buffer, so the page gets a few messages a second instead of touching every sample.
 * Both ends narrow what arrives with the guards below (a port carries `any`).
 */

/** "Capture" keeps this much of the latest sound as a clip (the worklet's ring buffer holds it). */
export const LIVE_CAPTURE_SECONDS = 5;
/** Level-meter updates per second: smooth enough to watch, few enough re-renders of the live panel. */
export const LEVEL_UPDATES_PER_SECOND = 15;

/** Page → worklet. */
export type CaptureCommand =
  /** New windows of this length and overlap from now on (start, a settings change, resume after a pause); `generation` tags them. */
  | { type: 'configure'; generation: number; windowSeconds: number; overlap: number }
  /** Send the ring buffer's samples (the last LIVE_CAPTURE_SECONDS, oldest first). */
  | { type: 'capture'; requestId: number };

/** Worklet → page. */
export type CaptureEvent =
  /** A window with sound: its samples (transferred), to be scored. `startMs` counts from the configure with this generation. */
  | { type: 'window'; generation: number; startMs: number; levelDbfs: number; samples: Float32Array }
  /** A silent window: shown, never scored, so no samples travel. */
  | { type: 'silent'; generation: number; startMs: number; levelDbfs: number }
  /** The peak input level (0…1) since the last one, and all samples the worklet has seen. */
  | { type: 'level'; peak: number; samplesSeen: number }
  | { type: 'capture'; requestId: number; samples: Float32Array; sampleRate: number };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** The message as a CaptureCommand, or null when it is not one. */
export function parseCaptureCommand(value: unknown): CaptureCommand | null {
  if (!isRecord(value)) return null;
  const { type, generation, windowSeconds, overlap, requestId } = value;
  if (type === 'configure' && typeof generation === 'number' && typeof windowSeconds === 'number' && typeof overlap === 'number')
    return { type, generation, windowSeconds, overlap };
  if (type === 'capture' && typeof requestId === 'number') return { type, requestId };
  return null;
}

/** The message as a CaptureEvent, or null when it is not one. */
export function parseCaptureEvent(value: unknown): CaptureEvent | null {
  if (!isRecord(value)) return null;
  const { type, samples, generation, startMs, levelDbfs, peak, samplesSeen, requestId, sampleRate } = value;
  const windowFields = typeof generation === 'number' && typeof startMs === 'number' && typeof levelDbfs === 'number';
  if (type === 'window' && samples instanceof Float32Array && windowFields) return { type, samples, generation, startMs, levelDbfs };
  if (type === 'silent' && windowFields) return { type, generation, startMs, levelDbfs };
  if (type === 'level' && typeof peak === 'number' && typeof samplesSeen === 'number') return { type, peak, samplesSeen };
  if (type === 'capture' && samples instanceof Float32Array && typeof requestId === 'number' && typeof sampleRate === 'number')
    return { type, samples, requestId, sampleRate };
  return null;
}
