import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeFailureMessage, headerSampleRate, sniffAudio } from './audioFormat';

function wavHeader(formatTag: number): Uint8Array {
  const bytes = new Uint8Array(44);
  const view = new DataView(bytes.buffer);
  bytes.set([...'RIFF'].map((c) => c.charCodeAt(0)), 0);
  view.setUint32(4, 36, true);
  bytes.set([...'WAVEfmt '].map((c) => c.charCodeAt(0)), 8);
  view.setUint32(16, 16, true);
  view.setUint16(20, formatTag, true);
  return bytes;
}

const text = (s: string) => Uint8Array.from([...s].map((c) => c.charCodeAt(0)));

describe('sniffAudio', () => {
  it('reads the WAV codec from the fmt chunk', () => {
    expect(sniffAudio(wavHeader(1))).toEqual({ container: 'WAV', codec: 'PCM', commonlySupported: true });
    expect(sniffAudio(wavHeader(0x11))).toEqual({ container: 'WAV', codec: 'IMA ADPCM', commonlySupported: false });
  });

  it('recognises common containers', () => {
    expect(sniffAudio(text('fLaC\0\0\0\0'))?.container).toBe('FLAC');
    expect(sniffAudio(text('OggS\0\0\0\0'))?.container).toBe('Ogg');
    expect(sniffAudio(text('ID3\x04\0\0\0\0'))?.container).toBe('MP3');
    expect(sniffAudio(Uint8Array.of(0xff, 0xfb, 0x90, 0x00))?.container).toBe('MP3');
    expect(sniffAudio(Uint8Array.of(0xff, 0xf1, 0x50, 0x80))?.container).toBe('AAC (ADTS)');
    expect(sniffAudio(text('\0\0\0\x20ftypM4A '))?.container).toBe('MP4/M4A');
    expect(sniffAudio(Uint8Array.of(0x1a, 0x45, 0xdf, 0xa3, 0, 0))?.container).toBe('WebM/Matroska');
    expect(sniffAudio(Uint8Array.of(0x30, 0x26, 0xb2, 0x75, 0x8e, 0x66, 0xcf, 0x11, 0xa6))).toEqual({
      container: 'WMA (ASF)',
      commonlySupported: false,
    });
  });

  it('returns null for bytes that are not a known audio container', () => {
    expect(sniffAudio(text('hello world'))).toBeNull();
    expect(sniffAudio(new Uint8Array(2))).toBeNull();
  });
});

describe('decodeFailureMessage', () => {
  it('distinguishes unsupported codecs, damaged files and non-audio', () => {
    expect(decodeFailureMessage({ container: 'WMA (ASF)', commonlySupported: false }, 'audio/x-ms-wma')).toMatch(/can't decode WMA/);
    expect(decodeFailureMessage({ container: 'WAV', codec: 'IMA ADPCM', commonlySupported: false }, '')).toMatch(/WAV with IMA ADPCM/);
    expect(decodeFailureMessage({ container: 'MP3', commonlySupported: true }, 'audio/mpeg')).toMatch(/damaged/);
    expect(decodeFailureMessage(null, 'audio/mpeg')).toMatch(/not audio/);
  });
});

/**
 * headerSampleRate against ffprobe (the outside reference: the rate ffmpeg's decoder outputs) on
 * the committed e2e fixtures, the real jfk.flac, and files ffmpeg writes here in every
 * container/codec pair the reader knows, at rates the fixtures don't use; then fuzzed.
 */
describe('headerSampleRate', () => {
  const REPO_ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '../../');
  const FIXTURES = join(REPO_ROOT, 'e2e/fixtures/audio');
  const SHARED_DATA_CANDIDATES = [process.env.SHARED_DATA_DIR, join(REPO_ROOT, '..', 'shared', 'data'), '/work/shared/data'].filter(
    (dir): dir is string => !!dir,
  );
  const jfk = SHARED_DATA_CANDIDATES.map((dir) => join(dir, 'whisper/jfk.flac')).find((path) => existsSync(path));

  /** [file name, ffmpeg output arguments]: the source is a 0.3 s tone. */
  const GENERATED: Array<[string, string[]]> = [
    ['vorbis-22050.ogg', ['-c:a', 'libvorbis', '-ar', '22050']],
    ['opus-from-16k.ogg', ['-c:a', 'libopus', '-ar', '16000']],
    ['flac-in-ogg-32000.ogg', ['-c:a', 'flac', '-ar', '32000']],
    ['pcm-96000.wav', ['-c:a', 'pcm_s16le', '-ar', '96000']],
    ['float-8000.wav', ['-c:a', 'pcm_f32le', '-ar', '8000']],
    ['with-id3-24000.mp3', ['-c:a', 'libmp3lame', '-ar', '24000', '-id3v2_version', '3', '-metadata', 'title=A long enough title']],
    ['mpeg25-11025.mp3', ['-c:a', 'libmp3lame', '-ar', '11025']],
    ['adts-32000.aac', ['-c:a', 'aac', '-ar', '32000']],
    ['moov-at-end-48000.m4a', ['-c:a', 'aac', '-ar', '48000']],
    ['aac-88200.m4a', ['-c:a', 'aac', '-ar', '88200', '-movflags', '+faststart']],
    ['opus.mp4', ['-c:a', 'libopus', '-ar', '24000']],
    ['flac-32000.mp4', ['-c:a', 'flac', '-ar', '32000', '-strict', '-2']],
    ['vorbis-44100.webm', ['-c:a', 'libvorbis', '-ar', '44100']],
    ['aac-22050.mkv', ['-c:a', 'aac', '-ar', '22050']],
    ['pcm-16000.mkv', ['-c:a', 'pcm_s16le', '-ar', '16000']],
  ];
  let generatedDir = '';
  /** ffprobe starts slowly on the loaded machine. */
  const FFPROBE_TIMEOUT_MS = 60_000;

  beforeAll(() => {
    generatedDir = mkdtempSync(join(tmpdir(), 'header-rate-'));
    for (const [name, args] of GENERATED)
      execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100:duration=0.3', ...args, join(generatedDir, name)]);
  }, 60_000);
  afterAll(() => rmSync(generatedDir, { recursive: true, force: true }));

  function ffprobeRate(path: string): number {
    const out = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'a:0', '-show_entries', 'stream=sample_rate', '-of', 'csv=p=0', path], { encoding: 'utf8' });
    return Number(out.trim());
  }

  function expectRateOf(path: string) {
    const rate = headerSampleRate(new Uint8Array(readFileSync(path)));
    expect(rate?.sampleRate, path).toBe(ffprobeRate(path));
  }

  it('reads the rate ffmpeg decodes the committed fixtures at', () => {
    for (const name of ['left.wav', 'yes.mp3', 'stop.ogg', 'down.flac', 'go.webm', 'right.m4a', 'mic-up.wav', 'silence.wav', 'one-ms.wav']) expectRateOf(join(FIXTURES, name));
  }, FFPROBE_TIMEOUT_MS);

  it('reads real 44.1 kHz stereo FLAC (jfk.flac)', () => {
    expect(jfk, 'whisper/jfk.flac in the shared data').toBeDefined();
    expectRateOf(jfk as string);
    expect(headerSampleRate(new Uint8Array(readFileSync(jfk as string)))).toEqual({ sampleRate: 44_100, source: 'FLAC STREAMINFO' });
  }, FFPROBE_TIMEOUT_MS);

  it('reads every container/codec pair it knows, including Opus (always 48 kHz) fed at other rates', () => {
    for (const [name] of GENERATED) expectRateOf(join(generatedDir, name));
    expect(headerSampleRate(new Uint8Array(readFileSync(join(generatedDir, 'opus-from-16k.ogg'))))?.sampleRate).toBe(48_000);
  }, FFPROBE_TIMEOUT_MS);

  it('treats an AAC rate of 24 kHz or less (ADTS, MP4) as unknown: HE-AAC decodes at twice the core rate its header gives', () => {
    const dir = mkdtempSync(join(tmpdir(), 'aac-rate-'));
    try {
      for (const [name, rate] of [['low.aac', 22_050], ['low.m4a', 16_000], ['core-limit.m4a', 24_000]] as const) {
        const path = join(dir, name);
        execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100:duration=0.3', '-c:a', 'aac', '-ar', String(rate), path]);
        expect(headerSampleRate(new Uint8Array(readFileSync(path))), name).toBeNull();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // ADTS headers alone (sampling_frequency_index 7 = 22.05 kHz, 4 = 44.1 kHz): only the rate above the SBR cores is read.
    expect(headerSampleRate(Uint8Array.of(0xff, 0xf1, 0x40 | (7 << 2), 0x80, 0, 0, 0))).toBeNull();
    expect(headerSampleRate(Uint8Array.of(0xff, 0xf1, 0x40 | (4 << 2), 0x80, 0, 0, 0))?.sampleRate).toBe(44_100);
  }, FFPROBE_TIMEOUT_MS);

  it('says nothing for containers it does not read or bytes that are not audio', () => {
    expect(headerSampleRate(new Uint8Array(readFileSync(join(FIXTURES, 'unsupported.wma'))))).toBeNull();
    expect(headerSampleRate(text('hello world'))).toBeNull();
    expect(headerSampleRate(new Uint8Array(0))).toBeNull();
    // A WAV whose fmt chunk is cut off.
    expect(headerSampleRate(wavHeader(1).subarray(0, 26))).toBeNull();
  });

  it('never throws on random bytes, on random bytes behind each container magic, or on damaged real headers', () => {
    const magics = ['RIFF\0\0\0\0WAVE', 'fLaC', 'OggS', '\x1aE\xdf\xa3', '\0\0\0\x18ftypM4A ', 'ID3', '\xff\xfb', '\xff\xf1'].map(text);
    const real = [...['left.wav', 'yes.mp3', 'stop.ogg', 'down.flac', 'go.webm', 'right.m4a'].map((name) => join(FIXTURES, name)), ...GENERATED.map(([name]) => join(generatedDir, name))].map(
      (path) => new Uint8Array(readFileSync(path)).subarray(0, 4096),
    );
    const check = (bytes: Uint8Array) => {
      const rate = headerSampleRate(bytes);
      return rate === null || (Number.isInteger(rate.sampleRate) && rate.sampleRate >= 3_000 && rate.sampleRate <= 768_000);
    };
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), check), { numRuns: 2_000 });
    fc.assert(
      fc.property(fc.constantFrom(...magics), fc.uint8Array({ maxLength: 512 }), (magic, tail) => check(Uint8Array.from([...magic, ...tail]))),
      { numRuns: 4_000 },
    );
    // Real headers with bytes overwritten and the file cut anywhere.
    fc.assert(
      fc.property(
        fc.constantFrom(...real),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        fc.nat(),
        (file, edits, cut) => {
          const bytes = Uint8Array.from(file.subarray(0, 1 + (cut % file.length)));
          for (const [at, value] of edits) bytes[at % bytes.length] = value;
          return check(bytes);
        },
      ),
      { numRuns: 4_000 },
    );
  });
});
