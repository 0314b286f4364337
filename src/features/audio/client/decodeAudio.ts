import { DECODE_SAMPLE_RATE_HZ, MAX_SCORED_SECONDS, waveformPeaks } from '../../../lib/audio';
import { decodeFailureMessage, headerSampleRate, sniffAudio } from '../../../lib/audioFormat';
import { sha256Hex } from '../../../lib/cacheKeys';
import type { DecodedAudio } from '../shared/protocol';

/** Bars in an item's waveform. */
export const WAVEFORM_BARS = 120;
/** Samples read per waveform bar: the waveform costs the main thread the same for any clip length. */
const WAVEFORM_READS_PER_BAR = 512;
/** Bytes read to recognise the container when decoding fails. */
const SNIFF_BYTES = 64;

export class AudioDecodeError extends Error {}

export interface PreparedAudio {
  contentHash: string;
  decoded: DecodedAudio;
  durationSeconds: number;
  peaks: number[];
}

/**
 * An offline context at the file's own rate (so decodeAudioData doesn't resample), or at
 * DECODE_SAMPLE_RATE_HZ when the header doesn't say or the browser refuses that rate.
 */
function decodingContext(fileSampleRate: number | null): OfflineAudioContext {
  if (fileSampleRate !== null) {
    try {
      return new OfflineAudioContext(1, 1, fileSampleRate);
    } catch {
      // NotSupportedError: outside this browser's range of context rates.
    }
  }
  return new OfflineAudioContext(1, 1, DECODE_SAMPLE_RATE_HZ);
}

/**
 * Decodes a file with the browser's own decoder. OfflineAudioContext needs no audio device and
 * decodes off the main thread, resampling to the context's rate on the way; the context runs at
 * the rate the file's header gives, so the browser doesn't resample and the worker's down-mix
 * and resampling to the model's rate is the clip's only rate change (OfflineAudioContext
 * doesn't exist in workers).
 */
export async function decodeAudioFile(blob: Blob): Promise<PreparedAudio> {
  const bytes = await blob.arrayBuffer();
  const contentHash = await sha256Hex(bytes);
  const head = new Uint8Array(bytes.slice(0, SNIFF_BYTES));
  if (bytes.byteLength === 0) throw new AudioDecodeError('This file is empty.');
  // Read before decodeAudioData detaches the buffer.
  const fileSampleRate = headerSampleRate(new Uint8Array(bytes))?.sampleRate ?? null;
  let buffer: AudioBuffer;
  try {
    // decodeAudioData detaches the buffer it is given.
    buffer = await decodingContext(fileSampleRate).decodeAudioData(bytes);
  } catch {
    throw new AudioDecodeError(decodeFailureMessage(sniffAudio(head), blob.type));
  }
  // Copies (the worker takes ownership of them), and only of what will be scored; the duration stays the real one.
  const keptLength = Math.min(buffer.length, Math.ceil(MAX_SCORED_SECONDS * buffer.sampleRate));
  const channels = Array.from({ length: buffer.numberOfChannels }, (_, c) => {
    const channel = new Float32Array(keptLength);
    buffer.copyFromChannel(channel, c);
    return channel;
  });
  return {
    contentHash,
    decoded: { channels, sampleRate: buffer.sampleRate, fileSampleRate, durationSeconds: buffer.duration },
    durationSeconds: buffer.duration,
    peaks: Array.from(waveformPeaks(buffer.getChannelData(0), WAVEFORM_BARS, WAVEFORM_READS_PER_BAR)),
  };
}
