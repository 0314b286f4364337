import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  LEVEL_FLOOR_DBFS,
  SILENCE_THRESHOLD_DBFS,
  SampleRingBuffer,
  WindowSlicer,
  amplitudeToDbfs,
  encodeWav,
  isSilent,
  levelDbfs,
  windowGeometry,
  type LiveWindow,
} from './liveAudio';

/** Python with numpy and scipy: the outside reference for levels and for reading our WAV files. */
function python(script: string, input = ''): string {
  const result = spawnSync('/usr/bin/python3', ['-c', script], { input, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`python3 failed: ${result.stderr}`);
  return result.stdout;
}

/** The stream 0, 1, 2, … so every window says where it came from. */
function ramp(length: number, from = 0): Float32Array {
  return Float32Array.from({ length }, (_, i) => from + i);
}

function feed(slicer: WindowSlicer, total: number, chunkSizes: readonly number[]): LiveWindow[] {
  const windows: LiveWindow[] = [];
  let position = 0;
  for (let k = 0; position < total; k++) {
    const size = Math.min(chunkSizes[k % chunkSizes.length] as number, total - position);
    windows.push(...slicer.push(ramp(size, position)));
    position += size;
  }
  return windows;
}

describe('WindowSlicer', () => {
  it('cuts 1 s windows every 0.5 s with start times from the start of listening, whatever the chunk sizes', () => {
    const sampleRate = 1000;
    for (const chunks of [[128], [1], [333, 77], [5000], [999, 1001]]) {
      const slicer = new WindowSlicer({ sampleRate, windowSeconds: 1, overlap: 0.5 });
      const windows = feed(slicer, 3200, chunks);
      // Windows [0,1000), [500,1500), … [2000,3000); [2500,3500) is not complete at 3200.
      expect(windows.map((w) => w.startMs)).toEqual([0, 500, 1000, 1500, 2000]);
      for (const window of windows) {
        expect(window.samples.length).toBe(1000);
        expect(window.samples[0]).toBe(window.startSample);
        expect(window.samples[999]).toBe(window.startSample + 999);
      }
    }
  });

  it('without overlap the windows are side by side; a chunk completing several windows returns them all in order', () => {
    const slicer = new WindowSlicer({ sampleRate: 16_000, windowSeconds: 2, overlap: 0 });
    const windows = slicer.push(ramp(16_000 * 7));
    expect(windows.map((w) => w.startMs)).toEqual([0, 2000, 4000]);
    expect(windows.map((w) => w.samples[0])).toEqual([0, 32_000, 64_000]);
    expect(slicer.samplesSeen).toBe(16_000 * 7);
    // The next window needs the 16,000 samples held plus 16,000 more.
    expect(slicer.push(ramp(15_999, 112_000))).toEqual([]);
    expect(slicer.push(ramp(1, 127_999)).map((w) => w.startMs)).toEqual([6000]);
  });

  it('uses a hop that does not divide the window (5 s, 0.3 overlap, 44.1 kHz) and keeps exact sample starts', () => {
    const sampleRate = 44_100;
    const { windowLength, hopLength } = windowGeometry({ sampleRate, windowSeconds: 5, overlap: 0.3 });
    expect(windowLength).toBe(220_500);
    expect(hopLength).toBe(154_350);
    const slicer = new WindowSlicer({ sampleRate, windowSeconds: 5, overlap: 0.3 });
    const windows = feed(slicer, windowLength + 3 * hopLength, [4096, 128, 1000]);
    expect(windows.map((w) => w.startSample)).toEqual([0, hopLength, 2 * hopLength, 3 * hopLength]);
    expect(windows.map((w) => w.startMs)).toEqual([0, 3500, 7000, 10_500]);
    expect(windows.every((w) => w.samples[0] === w.startSample && w.samples[windowLength - 1] === w.startSample + windowLength - 1)).toBe(true);
  });

  it('refuses settings outside the offered ranges', () => {
    expect(() => windowGeometry({ sampleRate: 16_000, windowSeconds: 0.5, overlap: 0 })).toThrow(RangeError);
    expect(() => windowGeometry({ sampleRate: 16_000, windowSeconds: 6, overlap: 0 })).toThrow(RangeError);
    expect(() => windowGeometry({ sampleRate: 16_000, windowSeconds: 1, overlap: 0.95 })).toThrow(RangeError);
    expect(() => windowGeometry({ sampleRate: 0, windowSeconds: 1, overlap: 0 })).toThrow(RangeError);
  });
});

describe('levels and silence', () => {
  it('RMS and peak levels in dBFS equal numpy’s on a noisy sine and on speech-quiet noise', () => {
    // A deterministic signal both sides can make: a 440 Hz sine at 0.3 plus a small LCG noise.
    const length = 16_000;
    const signal = new Float32Array(length);
    let seed = 12345;
    for (let i = 0; i < length; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      signal[i] = 0.3 * Math.sin((2 * Math.PI * 440 * i) / 16_000) + 0.01 * (seed / 2 ** 31 - 0.5);
    }
    const quiet = signal.map((x) => x * 0.001);
    const bytes = Buffer.concat([Buffer.from(signal.buffer), Buffer.from(quiet.buffer)]);
    const result = spawnSync(
      '/usr/bin/python3',
      [
        '-c',
        `import sys, numpy as np
x = np.frombuffer(sys.stdin.buffer.read(), dtype='<f4').astype(np.float64)
q = x[:16000]
r = lambda v: 20 * np.log10(np.sqrt(np.mean(v ** 2)))
print(r(q)); print(20 * np.log10(np.max(np.abs(q)))); print(r(x[16000:]))`,
      ],
      { input: bytes },
    );
    expect(result.status).toBe(0);
    const [npRms, npPeak, npQuiet] = result.stdout.toString().trim().split('\n').map(Number);
    expect(levelDbfs(signal, 'rms')).toBeCloseTo(npRms!, 4);
    expect(levelDbfs(signal, 'peak')).toBeCloseTo(npPeak!, 4);
    expect(levelDbfs(quiet, 'rms')).toBeCloseTo(npQuiet!, 3);
    // A sine at 0.3 is about −13.5 dBFS RMS: sound. A thousandth of it (−73.5 dBFS) is silence.
    expect(isSilent(signal)).toBe(false);
    expect(isSilent(quiet)).toBe(true);
  });

  it('all-zero samples read as the floor; the threshold is a level, compared strictly', () => {
    expect(levelDbfs(new Float32Array(100))).toBe(LEVEL_FLOOR_DBFS);
    expect(isSilent(new Float32Array(100))).toBe(true);
    expect(amplitudeToDbfs(1)).toBe(0);
    // A constant at exactly the threshold's amplitude is not below it.
    const atThreshold = new Float32Array(100).fill(10 ** (SILENCE_THRESHOLD_DBFS / 20));
    expect(levelDbfs(atThreshold)).toBeCloseTo(SILENCE_THRESHOLD_DBFS, 6);
    expect(isSilent(atThreshold, SILENCE_THRESHOLD_DBFS - 1e-6)).toBe(false);
    expect(isSilent(atThreshold, SILENCE_THRESHOLD_DBFS + 0.5)).toBe(true);
    // One click in silence: loud by peak, quiet by RMS over the window.
    const click = new Float32Array(16_000);
    click[8000] = 0.5;
    expect(isSilent(click, SILENCE_THRESHOLD_DBFS, 'peak')).toBe(false);
    expect(isSilent(click, SILENCE_THRESHOLD_DBFS, 'rms')).toBe(true);
  });
});

describe('SampleRingBuffer', () => {
  it('keeps the last N samples in order across wrap-arounds and oversized chunks', () => {
    const ring = new SampleRingBuffer(10);
    expect(Array.from(ring.snapshot())).toEqual([]);
    ring.push(ramp(4));
    expect(Array.from(ring.snapshot())).toEqual([0, 1, 2, 3]);
    ring.push(ramp(9, 4));
    expect(Array.from(ring.snapshot())).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    ring.push(ramp(25, 13));
    expect(Array.from(ring.snapshot())).toEqual(Array.from(ramp(10, 28)));
    expect(ring.length).toBe(10);
    ring.clear();
    expect(ring.length).toBe(0);
    expect(() => new SampleRingBuffer(0)).toThrow(RangeError);
  });

  it('gives the same samples as a plain array trimmed to the last N, for random chunk sizes', () => {
    const ring = new SampleRingBuffer(37);
    const all: number[] = [];
    let seed = 7;
    for (let k = 0; k < 200; k++) {
      seed = (seed * 48271) % 2147483647;
      const chunk = ramp(seed % 50, all.length);
      all.push(...chunk);
      ring.push(chunk);
      expect(Array.from(ring.snapshot())).toEqual(all.slice(-37));
    }
  });
});

describe('encodeWav', () => {
  const dir = mkdtempSync(join(tmpdir(), 'zsp-wav-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const samples = Float32Array.from({ length: 4801 }, (_, i) => 0.8 * Math.sin(i / 7) * (i % 3 === 0 ? 1 : -0.5));
  samples[10] = 1.5; // clipped in PCM16
  samples[11] = -1.5;

  it('writes 16-bit PCM that python’s wave module reads: rate, channels, width, frames and values', () => {
    const path = join(dir, 'pcm16.wav');
    writeFileSync(path, Buffer.from(encodeWav(samples, 48_000, 'pcm16')));
    const out = python(`import wave, json, numpy as np
w = wave.open(${JSON.stringify(path)}, 'rb')
x = np.frombuffer(w.readframes(w.getnframes()), dtype='<i2')
print(json.dumps([w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getnframes(), x.tolist()]))`);
    const [rate, channels, width, frames, values] = JSON.parse(out) as [number, number, number, number, number[]];
    expect([rate, channels, width, frames]).toEqual([48_000, 1, 2, 4801]);
    expect(values[10]).toBe(32767);
    expect(values[11]).toBe(-32768);
    for (let i = 0; i < samples.length; i++) if (i !== 10 && i !== 11) expect(Math.abs((values[i] as number) / 32768 - (samples[i] as number))).toBeLessThan(1 / 16_000);
  });

  it('writes 32-bit float that scipy reads back exactly', () => {
    const path = join(dir, 'float.wav');
    writeFileSync(path, Buffer.from(encodeWav(samples, 16_000, 'float32')));
    const out = python(`import json
from scipy.io import wavfile
rate, x = wavfile.read(${JSON.stringify(path)})
print(json.dumps([rate, str(x.dtype), x.ndim, x.tolist()]))`);
    const [rate, dtype, ndim, values] = JSON.parse(out) as [number, string, number, number[]];
    expect([rate, dtype, ndim]).toEqual([16_000, 'float32', 1]);
    expect(values).toEqual(Array.from(samples));
  });

  it('refuses a fractional sample rate', () => {
    expect(() => encodeWav(samples, 44_100.5)).toThrow(RangeError);
  });
});
