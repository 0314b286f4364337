/**
 * Recognises an audio file's container (and, for WAV, its codec) from its first bytes, so a file
 * the browser can't decode gets an explanation: damaged, an unsupported codec, or not audio at all.
 */
export interface SniffedAudio {
  /** Human name of the container, e.g. "WAV", "MP3", "Ogg", "WMA (ASF)". */
  container: string;
  /** Codec where the header says it (WAV's format tag), e.g. "PCM", "IMA ADPCM". */
  codec?: string;
  /** Whether browsers commonly decode this container/codec (false: a decode failure means "unsupported", not "damaged"). */
  commonlySupported: boolean;
}

const WAV_FORMATS: Record<number, { name: string; supported: boolean }> = {
  0x0001: { name: 'PCM', supported: true },
  0x0003: { name: '32-bit float', supported: true },
  0x0002: { name: 'Microsoft ADPCM', supported: false },
  0x0006: { name: 'A-law', supported: true },
  0x0007: { name: 'µ-law', supported: true },
  0x0011: { name: 'IMA ADPCM', supported: false },
  0x0031: { name: 'GSM 6.10', supported: false },
  0x0045: { name: 'G.726 ADPCM', supported: false },
  0x0055: { name: 'MP3', supported: true },
  0xfffe: { name: 'extensible', supported: true },
};

function ascii(bytes: Uint8Array, start: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(start, start + length));
}

function wavCodec(bytes: Uint8Array): { name: string; supported: boolean } | undefined {
  // Walk the RIFF chunks after "WAVE" to the "fmt " chunk.
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 12;
  while (offset + 8 <= bytes.length) {
    const id = ascii(bytes, offset, 4);
    const size = view.getUint32(offset + 4, true);
    if (id === 'fmt ' && offset + 10 <= bytes.length) {
      const tag = view.getUint16(offset + 8, true);
      return WAV_FORMATS[tag] ?? { name: `format 0x${tag.toString(16).padStart(4, '0')}`, supported: false };
    }
    offset += 8 + size + (size % 2);
  }
  return undefined;
}

const ASF_GUID = [0x30, 0x26, 0xb2, 0x75, 0x8e, 0x66, 0xcf, 0x11];

/** Identifies the container from the first bytes (64 are plenty; WAV codecs need the `fmt ` chunk, usually within 40). */
export function sniffAudio(bytes: Uint8Array): SniffedAudio | null {
  if (bytes.length < 4) return null;
  const head4 = ascii(bytes, 0, 4);
  if (head4 === 'RIFF' && bytes.length >= 12 && ascii(bytes, 8, 4) === 'WAVE') {
    const codec = wavCodec(bytes);
    return { container: 'WAV', ...(codec ? { codec: codec.name } : {}), commonlySupported: codec?.supported ?? true };
  }
  if (head4 === 'fLaC') return { container: 'FLAC', commonlySupported: true };
  if (head4 === 'OggS') return { container: 'Ogg', commonlySupported: true };
  if (head4 === '\x1aE\xdf\xa3') return { container: 'WebM/Matroska', commonlySupported: true };
  if (bytes.length >= 8 && ascii(bytes, 4, 4) === 'ftyp') return { container: 'MP4/M4A', commonlySupported: true };
  if (ascii(bytes, 0, 3) === 'ID3') return { container: 'MP3', commonlySupported: true };
  if (bytes[0] === 0xff && ((bytes[1] as number) & 0xe0) === 0xe0) {
    // MPEG audio frame sync; layer bits 01 = Layer III. AAC in ADTS uses the same sync with layer 00.
    const layer = ((bytes[1] as number) >> 1) & 0x03;
    return layer === 0 ? { container: 'AAC (ADTS)', commonlySupported: true } : { container: 'MP3', commonlySupported: true };
  }
  if (ASF_GUID.every((b, i) => bytes[i] === b)) return { container: 'WMA (ASF)', commonlySupported: false };
  if (head4 === '#!AM') return { container: 'AMR', commonlySupported: false };
  if (head4 === 'FORM' && bytes.length >= 12 && ['AIFF', 'AIFC'].includes(ascii(bytes, 8, 4))) return { container: 'AIFF', commonlySupported: false };
  if (head4 === '.snd') return { container: 'Sun AU', commonlySupported: false };
  return null;
}

/** The message an item shows when the browser could not decode the file. */
export function decodeFailureMessage(sniffed: SniffedAudio | null, fileType: string): string {
  if (!sniffed) return `This file is not audio this browser can read${fileType ? ` (${fileType})` : ''}; it may be damaged or in an unknown format.`;
  const what = sniffed.codec ? `${sniffed.container} with ${sniffed.codec} audio` : sniffed.container;
  if (!sniffed.commonlySupported)
    return `This browser can't decode ${what}. Convert it to WAV, MP3, Ogg/Opus or FLAC and add it again.`;
  return `This ${what} file could not be decoded; it looks damaged or truncated.`;
}
