import { mediaDeviceErrorMessage } from '../../../lib/mediaDeviceErrors';
import type { RecorderStatus } from '../../../store/audioItemsSlice';

/** Recordings stop by themselves at this length (it is shown next to the button). */
export const MAX_RECORDING_SECONDS = 30;
/** Level-meter updates per second: smooth enough to watch, few enough store updates. */
const LEVEL_UPDATES_PER_SECOND = 15;

export interface RecorderCallbacks {
  onStatus: (status: RecorderStatus) => void;
  onRecording: (recording: File) => void;
}

const MICROPHONE_WORDING = { device: 'microphone', retry: 'press Record', alternative: 'add audio files' } as const;

/** What getUserMedia's failures mean to the person holding the microphone. */
export function microphoneErrorMessage(error: unknown): string {
  return mediaDeviceErrorMessage(error, MICROPHONE_WORDING);
}

/**
 * Records from the microphone with MediaRecorder and reports a level meter from an AnalyserNode.
 * Plain class, created once: the UI only reads its status from the store.
 */
export class MicrophoneRecorder {
  private recorder: MediaRecorder | null = null;
  private stream: MediaStream | null = null;
  private context: AudioContext | null = null;
  private levelTimer: ReturnType<typeof setInterval> | null = null;
  private startedAt = 0;
  private count = 0;

  constructor(private readonly callbacks: RecorderCallbacks) {}

  get recording(): boolean {
    return this.recorder !== null;
  }

  async toggle(): Promise<void> {
    if (this.recorder) this.stop();
    else await this.start();
  }

  async start(): Promise<void> {
    if (this.recorder) return;
    this.callbacks.onStatus({ state: 'starting' });
    if (!navigator.mediaDevices?.getUserMedia) {
      this.callbacks.onStatus({ state: 'error', message: 'This browser offers no microphone access here (it needs https or localhost).' });
      return;
    }
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false } });
    } catch (error) {
      this.callbacks.onStatus({ state: 'error', message: microphoneErrorMessage(error) });
      return;
    }
    this.stream = stream;
    const recorder = new MediaRecorder(stream);
    const chunks: Blob[] = [];
    recorder.ondataavailable = (event) => {
      if (event.data.size > 0) chunks.push(event.data);
    };
    recorder.onstop = () => {
      const seconds = (performance.now() - this.startedAt) / 1000;
      const type = recorder.mimeType || 'audio/webm';
      const extension = type.includes('ogg') ? 'ogg' : type.includes('mp4') ? 'm4a' : 'webm';
      this.count += 1;
      this.callbacks.onRecording(new File(chunks, `Recording ${this.count} (${seconds.toFixed(1)} s).${extension}`, { type }));
    };
    this.recorder = recorder;
    this.startedAt = performance.now();
    recorder.start();
    this.startLevelMeter(stream);
  }

  stop(): void {
    const recorder = this.recorder;
    if (!recorder) return;
    this.recorder = null;
    if (recorder.state !== 'inactive') recorder.stop();
    if (this.levelTimer !== null) clearInterval(this.levelTimer);
    this.levelTimer = null;
    for (const track of this.stream?.getTracks() ?? []) track.stop();
    this.stream = null;
    void this.context?.close();
    this.context = null;
    this.callbacks.onStatus({ state: 'idle' });
  }

  private startLevelMeter(stream: MediaStream): void {
    const context = new AudioContext();
    const analyser = context.createAnalyser();
    analyser.fftSize = 1024;
    context.createMediaStreamSource(stream).connect(analyser);
    this.context = context;
    const samples = new Float32Array(analyser.fftSize);
    this.levelTimer = setInterval(() => {
      analyser.getFloatTimeDomainData(samples);
      let peak = 0;
      for (const sample of samples) peak = Math.max(peak, Math.abs(sample));
      const elapsedSeconds = (performance.now() - this.startedAt) / 1000;
      this.callbacks.onStatus({ state: 'recording', elapsedSeconds, level: peak });
      if (elapsedSeconds >= MAX_RECORDING_SECONDS) this.stop();
    }, 1000 / LEVEL_UPDATES_PER_SECOND);
  }
}
