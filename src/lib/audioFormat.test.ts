import { describe, expect, it } from 'vitest';
import { decodeFailureMessage, sniffAudio } from './audioFormat';

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
