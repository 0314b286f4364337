/**
 * The live microphone's AudioWorklet, off the main thread: it cuts the input's first channel into
 * windows (WindowSlicer), tells silent ones from sound (RMS level), tracks the peak for the level
 * meter and keeps the last LIVE_CAPTURE_SECONDS in a ring buffer. The page gets only windows,
 * levels (LEVEL_UPDATES_PER_SECOND) and, on request, the ring's snapshot: see liveCaptureProtocol.ts.
 * Built by Vite as its own module (`?worker&url`) and loaded with `audioWorklet.addModule`, which
 * the app's `script-src 'self'` allows.
 */
import { SILENCE_THRESHOLD_DBFS, SampleRingBuffer, WindowSlicer, levelDbfs, peak } from '../../../lib/liveAudio';
import { LEVEL_UPDATES_PER_SECOND, LIVE_CAPTURE_SECONDS, parseCaptureCommand, type CaptureEvent } from '../shared/liveCaptureProtocol';

// The AudioWorkletGlobalScope's names (TypeScript ships no lib for it).
declare class AudioWorkletProcessor {
  readonly port: MessagePort;
}
declare function registerProcessor(name: string, processor: new () => AudioWorkletProcessor & { process(inputs: Float32Array[][]): boolean }): void;
declare const sampleRate: number;

class LiveCaptureProcessor extends AudioWorkletProcessor {
  private slicer: WindowSlicer | null = null;
  private generation = 0;
  private readonly ring = new SampleRingBuffer(Math.round(LIVE_CAPTURE_SECONDS * sampleRate));
  private samplesSeen = 0;
  private peak = 0;
  private samplesSinceLevel = 0;
  private readonly samplesPerLevel = Math.round(sampleRate / LEVEL_UPDATES_PER_SECOND);

  constructor() {
    super();
    this.port.onmessage = (event: MessageEvent<unknown>) => {
      const command = parseCaptureCommand(event.data);
      if (!command) return;
      switch (command.type) {
        case 'configure':
          // The half-filled window of the old settings (or from before a pause) is dropped.
          this.generation = command.generation;
          this.slicer = new WindowSlicer({ sampleRate, windowSeconds: command.windowSeconds, overlap: command.overlap });
          break;
        case 'capture': {
          const samples = this.ring.snapshot();
          this.post({ type: 'capture', requestId: command.requestId, samples, sampleRate }, [samples.buffer]);
          break;
        }
      }
    };
  }

  process(inputs: Float32Array[][]): boolean {
    const channel = inputs[0]?.[0];
    if (channel) {
      this.samplesSeen += channel.length;
      this.ring.push(channel);
      this.peak = Math.max(this.peak, peak(channel));
      this.samplesSinceLevel += channel.length;
      if (this.samplesSinceLevel >= this.samplesPerLevel) {
        this.post({ type: 'level', peak: this.peak, samplesSeen: this.samplesSeen });
        this.peak = 0;
        this.samplesSinceLevel = 0;
      }
      for (const window of this.slicer?.push(channel) ?? []) {
        const level = levelDbfs(window.samples);
        const { generation } = this;
        // Silent windows are shown, never scored: their samples stay here.
        if (level < SILENCE_THRESHOLD_DBFS) this.post({ type: 'silent', generation, startMs: window.startMs, levelDbfs: level });
        else this.post({ type: 'window', generation, startMs: window.startMs, levelDbfs: level, samples: window.samples }, [window.samples.buffer]);
      }
    }
    // Keep running while the node is connected; the main thread disconnects it on stop.
    return true;
  }

  private post(event: CaptureEvent, transfer: Transferable[] = []): void {
    this.port.postMessage(event, transfer);
  }
}

registerProcessor('zsp-live-capture', LiveCaptureProcessor);
