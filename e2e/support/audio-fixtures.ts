/**
 * The committed audio test files (e2e/fixtures/audio, made by tools/make_audio_fixtures.sh with an
 * espeak-ng voice the built-in model never heard in training) and the real speech clip from the
 * shared data. Files that need no committing (a ten-minute clip) are generated here.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FilePayload } from '../pages/playground-page';
import { REPO_ROOT } from './hub-server';

export const AUDIO_FIXTURES_DIR = join(REPO_ROOT, 'e2e', 'fixtures', 'audio');
/**
 * The project's shared data (`../shared/data` beside the checkout). A clone elsewhere finds it
 * through SHARED_DATA_DIR or the workplace's fixed location; a missing file fails the test that
 * reads it, with the places that were tried.
 */
const SHARED_DATA_CANDIDATES = [process.env.SHARED_DATA_DIR, join(REPO_ROOT, '..', 'shared', 'data'), '/work/shared/data'].filter(
  (dir): dir is string => !!dir,
);

export function sharedDataFile(relativePath: string): string {
  const found = SHARED_DATA_CANDIDATES.map((dir) => join(dir, relativePath)).find((path) => existsSync(path));
  if (!found) throw new Error(`${relativePath} is not in any shared data folder tried: ${SHARED_DATA_CANDIDATES.join(', ')}`);
  return found;
}

export const JFK_FLAC = 'whisper/jfk.flac';

const MIME_BY_EXTENSION: Record<string, string> = {
  wav: 'audio/wav',
  mp3: 'audio/mpeg',
  ogg: 'audio/ogg',
  flac: 'audio/flac',
  webm: 'audio/webm',
  m4a: 'audio/mp4',
  wma: 'audio/x-ms-wma',
};

export function audioFile(path: string, name = path.split('/').at(-1)!): FilePayload {
  const extension = name.split('.').at(-1) ?? '';
  return { name, mimeType: MIME_BY_EXTENSION[extension] ?? 'application/octet-stream', buffer: readFileSync(path) };
}

export function fixture(name: string): FilePayload {
  return audioFile(join(AUDIO_FIXTURES_DIR, name));
}

/** One spoken word per container/codec; the word is the expected top label. */
export const WORD_FILES = [
  { file: 'left.wav', word: 'left' },
  { file: 'yes.mp3', word: 'yes' },
  { file: 'stop.ogg', word: 'stop' },
  { file: 'down.flac', word: 'down' },
  { file: 'go.webm', word: 'go' },
  { file: 'right.m4a', word: 'right' },
] as const;

/**
 * Fake-microphone files spoken by flite (tools/make_audio_fixtures.sh), the synthesiser held out of
 * the built-in Whisper's training entirely, by voices whose speakers no training synthesiser has.
 */
export const HELDOUT_MICROPHONE_WORDS = [
  { file: 'mic-flite-rms-left.wav', voice: 'rms', word: 'left' },
  { file: 'mic-flite-awb-stop.wav', voice: 'awb', word: 'stop' },
  { file: 'mic-flite-rms-yes.wav', voice: 'rms', word: 'yes' },
] as const;

/**
 * The CodecID of every track of a Matroska/WebM file (e.g. `A_OPUS`, `A_PCM/INT/LIT`), read from
 * its CodecID elements (ID 0x86, a one-byte size, ASCII); throws when the bytes are not EBML.
 */
export function matroskaCodecIds(bytes: Uint8Array): string[] {
  if (bytes.length < 4 || bytes[0] !== 0x1a || bytes[1] !== 0x45 || bytes[2] !== 0xdf || bytes[3] !== 0xa3) {
    throw new Error(`not an EBML (Matroska/WebM) file: starts with ${Buffer.from(bytes.subarray(0, 4)).toString('hex')}`);
  }
  const text = Buffer.from(bytes).toString('latin1');
  const ids: string[] = [];
  for (const match of text.matchAll(/\x86([\x81-\x9f])/g)) {
    const start = match.index + 2;
    const id = text.slice(start, start + match[1]!.charCodeAt(0) - 0x80);
    if (/^[AVS]_[A-Z0-9_/]+$/.test(id)) ids.push(id);
  }
  return ids;
}

/**
 * Each format's file and the rate changes it must go through on its way to Whisper's 16 kHz:
 * decoded at its own rate (the header's; Opus always decodes at 48 kHz), then resampled once in
 * the worker, or not at all when the file already is at 16 kHz.
 */
export const RESAMPLINGS_BY_FILE = [
  { file: 'left.wav', word: 'left', rateHz: 22_050, resamplings: 1 },
  { file: 'left-44k.wav', word: 'left', rateHz: 44_100, resamplings: 1 },
  { file: 'yes.mp3', word: 'yes', rateHz: 44_100, resamplings: 1 },
  { file: 'stop.ogg', word: 'stop', rateHz: 48_000, resamplings: 1 },
  { file: 'down.flac', word: 'down', rateHz: 16_000, resamplings: 0 },
  { file: 'go.webm', word: 'go', rateHz: 48_000, resamplings: 1 },
  { file: 'right.m4a', word: 'right', rateHz: 44_100, resamplings: 1 },
] as const;

/** 16-bit PCM mono WAV bytes from float samples. */
export function wavBytes(samples: Float32Array, sampleRate: number): Buffer {
  const data = Buffer.alloc(samples.length * 2);
  for (let i = 0; i < samples.length; i++) data.writeInt16LE(Math.round(Math.max(-1, Math.min(1, samples[i]!)) * 32767), i * 2);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVEfmt ', 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

/** Ten minutes of a quiet tone at 8 kHz (9.6 MB): long enough to be cut at the five-minute scoring limit. */
export function tenMinuteClip(): FilePayload {
  const sampleRate = 8_000;
  const samples = new Float32Array(600 * sampleRate);
  for (let i = 0; i < samples.length; i++) samples[i] = 0.05 * Math.sin((2 * Math.PI * 440 * i) / sampleRate);
  return { name: 'ten-minutes.wav', mimeType: 'audio/wav', buffer: wavBytes(samples, sampleRate) };
}

const NOISE_SAMPLE_RATE_HZ = 16_000;

/**
 * Room tone with no speech in it: a fan-like rumble (white noise through a one-pole low-pass) plus
 * a little hiss, from a seeded generator (mulberry32) so every run drops the same samples.
 */
export function noiseOnlyClip(seconds = 2, seed = 20261203): FilePayload {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const samples = new Float32Array(Math.round(seconds * NOISE_SAMPLE_RATE_HZ));
  const LOW_PASS_POLE = 0.97; // about 80 Hz at 16 kHz: the rumble of a fan or a car
  let rumble = 0;
  for (let i = 0; i < samples.length; i++) {
    rumble = LOW_PASS_POLE * rumble + (1 - LOW_PASS_POLE) * (2 * uniform() - 1);
    samples[i] = 0.6 * rumble + 0.004 * (2 * uniform() - 1);
  }
  return { name: 'room-tone.wav', mimeType: 'audio/wav', buffer: wavBytes(samples, NOISE_SAMPLE_RATE_HZ) };
}
