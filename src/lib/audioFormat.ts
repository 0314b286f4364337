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

/** A sample rate read from a file's header. */
export interface HeaderSampleRate {
  sampleRate: number;
  /** Where it came from, for the decode's diagnostics. */
  source: string;
}

/** Rates OfflineAudioContext accepts in every browser that matters (the spec requires at least 8–96 kHz; Chromium takes 3–768 kHz). */
const MIN_HEADER_RATE_HZ = 3_000;
const MAX_HEADER_RATE_HZ = 768_000;
/** Opus decoders always run at 48 kHz (RFC 7845 §5.1: the header's input rate is informational only). */
const OPUS_DECODE_RATE_HZ = 48_000;
/** How far past an ID3v2 tag (or junk) to look for the first MPEG audio frame. */
const MPEG_SYNC_SEARCH_BYTES = 64 * 1024;

const MPEG_RATES: Record<number, readonly number[]> = {
  3: [44_100, 48_000, 32_000], // MPEG-1
  2: [22_050, 24_000, 16_000], // MPEG-2
  0: [11_025, 12_000, 8_000], // MPEG-2.5
};
/** ISO/IEC 14496-3 sampling_frequency_index. */
const AAC_RATES = [96_000, 88_200, 64_000, 48_000, 44_100, 32_000, 24_000, 22_050, 16_000, 12_000, 11_025, 8_000, 7_350];
/**
 * HE-AAC (SBR) doubles the decoder's output rate over the AAC core rate its ADTS or MP4 header
 * gives, and SBR may be signalled only implicitly (in the audio data), so a header can't rule it
 * out. It runs on cores up to 24 kHz: at those rates the header's rate may be half the decoded
 * one and is treated as unknown (the clip decodes at 48 kHz and that resampling is counted).
 */
const MAX_AAC_CORE_RATE_WITH_SBR_HZ = 24_000;

function aacRate(rate: number | null | undefined, source: string): HeaderSampleRate | null {
  return rate !== null && rate !== undefined && rate <= MAX_AAC_CORE_RATE_WITH_SBR_HZ ? null : plausibleRate(rate, source);
}

function plausibleRate(rate: number | null | undefined, source: string): HeaderSampleRate | null {
  if (rate === null || rate === undefined || !Number.isFinite(rate)) return null;
  const rounded = Math.round(rate);
  return rounded >= MIN_HEADER_RATE_HZ && rounded <= MAX_HEADER_RATE_HZ ? { sampleRate: rounded, source } : null;
}

function startsWith(bytes: Uint8Array, offset: number, text: string): boolean {
  if (offset < 0 || offset + text.length > bytes.length) return false;
  for (let i = 0; i < text.length; i++) if (bytes[offset + i] !== text.charCodeAt(i)) return false;
  return true;
}

function wavRate(bytes: Uint8Array, view: DataView): HeaderSampleRate | null {
  let offset = 12;
  while (offset + 8 <= bytes.length) {
    const size = view.getUint32(offset + 4, true);
    if (startsWith(bytes, offset, 'fmt ')) return offset + 16 <= bytes.length ? plausibleRate(view.getUint32(offset + 12, true), 'WAV fmt chunk') : null;
    offset += 8 + size + (size % 2);
  }
  return null;
}

/** STREAMINFO's 20-bit sample rate, 10 bytes into the block's data. */
function streamInfoRate(bytes: Uint8Array, streamInfoOffset: number, source: string): HeaderSampleRate | null {
  const at = streamInfoOffset + 10;
  if (at + 3 > bytes.length) return null;
  return plausibleRate((((bytes[at] as number) << 12) | ((bytes[at + 1] as number) << 4) | ((bytes[at + 2] as number) >> 4)) >>> 0, source);
}

function flacRate(bytes: Uint8Array): HeaderSampleRate | null {
  // "fLaC", then the first metadata block, which must be STREAMINFO (type 0).
  if (bytes.length < 8 || ((bytes[4] as number) & 0x7f) !== 0) return null;
  return streamInfoRate(bytes, 8, 'FLAC STREAMINFO');
}

function id3v2Length(bytes: Uint8Array): number {
  if (!startsWith(bytes, 0, 'ID3') || bytes.length < 10) return 0;
  // Syncsafe size (7 bits per byte), plus the 10-byte header and the footer when flagged.
  const size = (((bytes[6] as number) & 0x7f) << 21) | (((bytes[7] as number) & 0x7f) << 14) | (((bytes[8] as number) & 0x7f) << 7) | ((bytes[9] as number) & 0x7f);
  return 10 + size + ((bytes[5] as number) & 0x10 ? 10 : 0);
}

/** The rate of the first valid MPEG audio (MP3) or ADTS (AAC) frame header at or after `start`. */
function mpegRate(bytes: Uint8Array, start: number): HeaderSampleRate | null {
  const end = Math.min(bytes.length - 3, start + MPEG_SYNC_SEARCH_BYTES);
  for (let i = start; i < end; i++) {
    const b1 = bytes[i + 1] as number;
    if (bytes[i] !== 0xff || (b1 & 0xe0) !== 0xe0) continue;
    const b2 = bytes[i + 2] as number;
    const layer = (b1 >> 1) & 0x03;
    if (layer === 0) {
      // ADTS: 12-bit sync (MPEG-4/2 AAC); sampling_frequency_index in bits 2–5 of the third byte.
      if ((b1 & 0xf0) !== 0xf0) continue;
      const coreRate = AAC_RATES[(b2 >> 2) & 0x0f];
      if (coreRate === undefined) continue;
      return aacRate(coreRate, 'ADTS header');
    }
    const rates = MPEG_RATES[(b1 >> 3) & 0x03];
    const bitrateIndex = b2 >> 4;
    const rateIndex = (b2 >> 2) & 0x03;
    // Reserved version, bitrate or rate index: not a frame header (could be data that looks like sync).
    if (!rates || bitrateIndex === 0x0f || rateIndex === 3) continue;
    return plausibleRate(rates[rateIndex], 'MPEG audio frame header');
  }
  return null;
}

function oggRate(bytes: Uint8Array, view: DataView): HeaderSampleRate | null {
  // The first page holds the codec's identification packet, after the 27-byte header and the segment table.
  if (bytes.length < 27) return null;
  const packet = 27 + (bytes[26] as number);
  if (startsWith(bytes, packet, 'OpusHead')) return { sampleRate: OPUS_DECODE_RATE_HZ, source: 'Ogg Opus (always 48 kHz)' };
  if (startsWith(bytes, packet, '\x01vorbis') && packet + 16 <= bytes.length) return plausibleRate(view.getUint32(packet + 12, true), 'Ogg Vorbis identification header');
  // Ogg FLAC: 0x7F "FLAC", version (2), header count (2), "fLaC", then STREAMINFO's block header.
  if (startsWith(bytes, packet, '\x7fFLAC') && startsWith(bytes, packet + 9, 'fLaC')) return streamInfoRate(bytes, packet + 17, 'Ogg FLAC STREAMINFO');
  return null;
}

interface EbmlElement {
  id: number;
  dataStart: number;
  /** Exclusive; the buffer's end for an unknown size. */
  dataEnd: number;
}

const EBML_SEGMENT = 0x18538067;
const EBML_TRACKS = 0x1654ae6b;
const EBML_TRACK_ENTRY = 0xae;
const EBML_TRACK_TYPE = 0x83;
const EBML_CODEC_ID = 0x86;
const EBML_AUDIO = 0xe1;
const EBML_SAMPLING_FREQUENCY = 0xb5;
const EBML_OUTPUT_SAMPLING_FREQUENCY = 0x78b5;
const EBML_CLUSTER = 0x1f43b675;
const MATROSKA_AUDIO_TRACK = 2;
/** Matroska's default SamplingFrequency when a track omits it. */
const MATROSKA_DEFAULT_RATE_HZ = 8_000;

/** An EBML variable-length integer at `offset`: its value (marker bit kept for IDs) and length; null past the end or when malformed. */
function ebmlVint(bytes: Uint8Array, offset: number, keepMarker: boolean): { value: number; length: number; unknown: boolean } | null {
  const first = bytes[offset];
  if (first === undefined || first === 0) return null;
  const length = Math.clz32(first) - 23; // 1..8
  if (offset + length > bytes.length) return null;
  let value = keepMarker ? first : first & (0xff >> length);
  let allOnes = value === (0xff >> length);
  for (let i = 1; i < length; i++) {
    const byte = bytes[offset + i] as number;
    value = value * 256 + byte;
    allOnes &&= byte === 0xff;
  }
  return { value, length, unknown: !keepMarker && allOnes };
}

function ebmlElement(bytes: Uint8Array, offset: number, parentEnd: number): EbmlElement | null {
  const id = ebmlVint(bytes, offset, true);
  if (!id || id.length > 4) return null;
  const size = ebmlVint(bytes, offset + id.length, false);
  if (!size) return null;
  const dataStart = offset + id.length + size.length;
  const dataEnd = size.unknown ? parentEnd : Math.min(parentEnd, dataStart + size.value);
  return dataStart <= parentEnd ? { id: id.value, dataStart, dataEnd } : null;
}

function* ebmlChildren(bytes: Uint8Array, start: number, end: number): Generator<EbmlElement> {
  let offset = start;
  while (offset < end) {
    const element = ebmlElement(bytes, offset, end);
    if (!element || element.dataEnd <= offset) return;
    yield element;
    offset = element.dataEnd;
  }
}

function ebmlUint(bytes: Uint8Array, element: EbmlElement): number {
  let value = 0;
  for (let i = element.dataStart; i < element.dataEnd && i < element.dataStart + 8; i++) value = value * 256 + (bytes[i] as number);
  return value;
}

function ebmlFloat(view: DataView, element: EbmlElement): number | null {
  const length = element.dataEnd - element.dataStart;
  if (length === 4) return view.getFloat32(element.dataStart);
  if (length === 8) return view.getFloat64(element.dataStart);
  return null;
}

function audioTrackRate(bytes: Uint8Array, view: DataView, entry: EbmlElement): HeaderSampleRate | null {
  let type: number | null = null;
  let codec = '';
  let rate: number | null = null;
  let outputRate: number | null = null;
  for (const child of ebmlChildren(bytes, entry.dataStart, entry.dataEnd)) {
    if (child.id === EBML_TRACK_TYPE) type = ebmlUint(bytes, child);
    else if (child.id === EBML_CODEC_ID) codec = ascii(bytes, child.dataStart, Math.min(32, child.dataEnd - child.dataStart));
    else if (child.id === EBML_AUDIO)
      for (const field of ebmlChildren(bytes, child.dataStart, child.dataEnd)) {
        if (field.id === EBML_SAMPLING_FREQUENCY) rate = ebmlFloat(view, field);
        else if (field.id === EBML_OUTPUT_SAMPLING_FREQUENCY) outputRate = ebmlFloat(view, field);
      }
  }
  if (type !== MATROSKA_AUDIO_TRACK) return null;
  if (codec.startsWith('A_OPUS')) return { sampleRate: OPUS_DECODE_RATE_HZ, source: 'WebM/Matroska Opus (always 48 kHz)' };
  // OutputSamplingFrequency is set when the decoder's output differs (SBR doubles AAC's rate).
  return plausibleRate(outputRate ?? rate ?? MATROSKA_DEFAULT_RATE_HZ, 'Matroska audio track');
}

function matroskaRate(bytes: Uint8Array, view: DataView): HeaderSampleRate | null {
  for (const top of ebmlChildren(bytes, 0, bytes.length)) {
    if (top.id !== EBML_SEGMENT) continue;
    for (const section of ebmlChildren(bytes, top.dataStart, top.dataEnd)) {
      // The tracks come before the first cluster; a cluster first means no usable header.
      if (section.id === EBML_CLUSTER) return null;
      if (section.id !== EBML_TRACKS) continue;
      for (const entry of ebmlChildren(bytes, section.dataStart, section.dataEnd)) {
        if (entry.id !== EBML_TRACK_ENTRY) continue;
        const rate = audioTrackRate(bytes, view, entry);
        if (rate) return rate;
      }
      return null;
    }
  }
  return null;
}

interface Mp4Box {
  type: string;
  dataStart: number;
  dataEnd: number;
}

function* mp4Boxes(bytes: Uint8Array, view: DataView, start: number, end: number): Generator<Mp4Box> {
  let offset = start;
  while (offset + 8 <= end) {
    let size = view.getUint32(offset);
    const type = ascii(bytes, offset + 4, 4);
    let header = 8;
    if (size === 1) {
      if (offset + 16 > end) return;
      size = view.getUint32(offset + 8) * 2 ** 32 + view.getUint32(offset + 12);
      header = 16;
    } else if (size === 0) size = end - offset; // to the end of the enclosing box (or file)
    if (size < header) return;
    const boxEnd = Math.min(end, offset + size);
    yield { type, dataStart: offset + header, dataEnd: boxEnd };
    offset = boxEnd;
  }
}

function firstBox(boxes: Iterable<Mp4Box>): Mp4Box | undefined {
  for (const box of boxes) return box;
  return undefined;
}

function mp4Child(bytes: Uint8Array, view: DataView, box: Mp4Box, type: string): Mp4Box | undefined {
  for (const child of mp4Boxes(bytes, view, box.dataStart, box.dataEnd)) if (child.type === type) return child;
  return undefined;
}

/** An audio track's rate: its sample entry (Opus: always 48 kHz), or mdhd's timescale where the entry's 16.16 field can't hold it. */
function mp4TrackRate(bytes: Uint8Array, view: DataView, trak: Mp4Box): HeaderSampleRate | null {
  const mdia = mp4Child(bytes, view, trak, 'mdia');
  if (!mdia) return null;
  const hdlr = mp4Child(bytes, view, mdia, 'hdlr');
  // hdlr: version/flags (4), pre_defined (4), handler_type (4).
  if (!hdlr || !startsWith(bytes, hdlr.dataStart + 8, 'soun')) return null;
  let timescale: number | null = null;
  const mdhd = mp4Child(bytes, view, mdia, 'mdhd');
  if (mdhd && mdhd.dataStart + 4 <= mdhd.dataEnd) {
    // mdhd: version (1), flags (3), then creation/modification times (4 or 8 bytes each) before the timescale.
    const at = mdhd.dataStart + ((bytes[mdhd.dataStart] as number) === 1 ? 20 : 12);
    if (at + 4 <= mdhd.dataEnd) timescale = view.getUint32(at);
  }
  const minf = mp4Child(bytes, view, mdia, 'minf');
  const stbl = minf ? mp4Child(bytes, view, minf, 'stbl') : undefined;
  const stsd = stbl ? mp4Child(bytes, view, stbl, 'stsd') : undefined;
  // stsd: version/flags (4), entry count (4), then the first sample entry as a box.
  const entry = stsd ? firstBox(mp4Boxes(bytes, view, stsd.dataStart + 8, stsd.dataEnd)) : undefined;
  if (entry && (entry.type === 'Opus' || entry.type === 'opus')) return { sampleRate: OPUS_DECODE_RATE_HZ, source: 'MP4 Opus (always 48 kHz)' };
  // AudioSampleEntry: reserved (6), data_reference_index (2), reserved (8), channels (2), sample size (2), pre_defined (2), reserved (2), rate (16.16).
  const entryRate = entry && entry.dataStart + 26 <= entry.dataEnd ? view.getUint16(entry.dataStart + 24) : null;
  // Rates above 65,535 Hz don't fit the entry's integer part; mdhd's timescale carries them.
  const rateOf = entry?.type === 'mp4a' ? aacRate : plausibleRate;
  if (timescale !== null && timescale > 0xffff && (entryRate === null || entryRate === 0 || entryRate === (timescale & 0xffff)))
    return rateOf(timescale, 'MP4 mdhd timescale');
  return rateOf(entryRate || timescale, entryRate ? 'MP4 audio sample entry' : 'MP4 mdhd timescale');
}

function mp4Rate(bytes: Uint8Array, view: DataView): HeaderSampleRate | null {
  for (const box of mp4Boxes(bytes, view, 0, bytes.length)) {
    if (box.type !== 'moov') continue;
    for (const trak of mp4Boxes(bytes, view, box.dataStart, box.dataEnd)) {
      if (trak.type !== 'trak') continue;
      const rate = mp4TrackRate(bytes, view, trak);
      if (rate) return rate;
    }
    return null;
  }
  return null;
}

/**
 * The sample rate a file's decoder produces, read from its header (give it the whole file: MP4
 * may keep its header at the end), or null when the header doesn't say or the bytes are
 * damaged. Decoding at this rate lets the browser skip its own resampling, so the clip is
 * resampled once, in the worker, to the model's rate. Opus always decodes at 48 kHz whatever
 * rate the encoder was fed. Any bytes give a rate or null, never an exception (fuzzed).
 */
export function headerSampleRate(bytes: Uint8Array): HeaderSampleRate | null {
  const sniffed = sniffAudio(bytes);
  if (!sniffed) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (sniffed.container) {
    case 'WAV':
      return wavRate(bytes, view);
    case 'FLAC':
      return flacRate(bytes);
    case 'Ogg':
      return oggRate(bytes, view);
    case 'WebM/Matroska':
      return matroskaRate(bytes, view);
    case 'MP4/M4A':
      return mp4Rate(bytes, view);
    case 'MP3':
    case 'AAC (ADTS)':
      return mpegRate(bytes, id3v2Length(bytes));
    default:
      return null;
  }
}
