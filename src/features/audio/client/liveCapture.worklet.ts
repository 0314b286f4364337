/**
 * The live microphone's AudioWorklet: forwards the input's first channel to the main thread in
 * chunks of CHUNK_FRAMES (about 43 ms at 48 kHz) rather than every 128-frame render quantum, so the
 * main thread gets ~23 messages a second. Built by Vite as its own module (`?worker&url`) and
 * loaded with `audioWorklet.addModule`, which the app's `script-src 'self'` allows.
 */

// The AudioWorkletGlobalScope's names (TypeScript ships no lib for it).
declare class AudioWorkletProcessor {
  readonly port: MessagePort;
}
declare function registerProcessor(name: string, processor: new () => AudioWorkletProcessor & { process(inputs: Float32Array[][]): boolean }): void;

const CHUNK_FRAMES = 2048;

class LiveCaptureProcessor extends AudioWorkletProcessor {
  private chunk = new Float32Array(CHUNK_FRAMES);
  private filled = 0;

  process(inputs: Float32Array[][]): boolean {
    const channel = inputs[0]?.[0];
    if (channel) {
      let offset = 0;
      while (offset < channel.length) {
        const take = Math.min(CHUNK_FRAMES - this.filled, channel.length - offset);
        this.chunk.set(channel.subarray(offset, offset + take), this.filled);
        this.filled += take;
        offset += take;
        if (this.filled === CHUNK_FRAMES) {
          // Transferred: the next chunk is a new buffer.
          this.port.postMessage(this.chunk, [this.chunk.buffer]);
          this.chunk = new Float32Array(CHUNK_FRAMES);
          this.filled = 0;
        }
      }
    }
    // Keep running while the node is connected; the main thread disconnects it on stop.
    return true;
  }
}

registerProcessor('zsp-live-capture', LiveCaptureProcessor);
