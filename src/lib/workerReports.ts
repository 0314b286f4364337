/**
 * What the model workers report that the store keeps: which model loaded on which backend, download
 * progress, why a load failed, and the counters of what ran and what came from a cache. These are
 * part of the workers' protocols and of the store's state, so they are declared here, below both.
 */

/** Which transformers.js classes load the model, and how it scores labels. */
export type ModelFamily = 'clip' | 'siglip' | 'whisper' | 'clap';
export type ModelDtype = 'fp32' | 'fp16' | 'q8';
/** The weights the user asks for: `auto` is the loader's rule (8-bit on WASM, fp16/fp32 on WebGPU). */
export type DtypePreference = 'auto' | ModelDtype;
export const DTYPE_PREFERENCES: readonly DtypePreference[] = ['auto', 'fp32', 'fp16', 'q8'];
export type Backend = 'webgpu' | 'wasm';

export interface FileProgress {
  file: string;
  loaded: number;
  total: number;
  done: boolean;
}

export interface LoadedModelInfo {
  modelId: string;
  backend: Backend;
  dtype: ModelDtype;
  /** What the model's config says it is (decides how labels become prompts and scores). */
  family?: ModelFamily;
  /** Why the requested backend isn't the one running (e.g. WebGPU failed and WASM took over). */
  fallbackReason?: string;
  /** WASM threads in use (1 when the page is not cross-origin isolated). */
  threads: number;
  loadMs: number;
  warmupMs: number;
}

/**
 * Why a model load failed, as the UI explains it: each kind has its own heading and advice.
 * - `unreachable`: no answer from the host at all (down, offline, refused).
 * - `not-found`: the host answered 404: a file (or, on a plain mirror, the model) is not there.
 * - `no-access`: 401/403: on the Hub a missing repository and a private or gated one answer alike.
 * - `server-error`: a 5xx answer; usually temporary.
 * - `stalled`: the host stopped sending data (STALL_TIMEOUT_MS without a byte).
 * - `truncated`: a download broke off before its Content-Length.
 * - `corrupt`: a downloaded ONNX file could not be read (damaged, or not an ONNX file).
 * - `wrong-kind`: the model is of another kind than the view runs (an audio model in the image view).
 * - `cancelled`: the user stopped the load.
 * - `invalid-model`: the files are there but are not a model this app can load (a folder without config.json).
 */
export type LoadErrorKind =
  | 'not-found'
  | 'unreachable'
  /** The app's Content-Security-Policy refused the host (or a host it redirected to): it is not one of the build's model hosts. */
  | 'blocked-by-policy'
  | 'no-access'
  | 'server-error'
  | 'stalled'
  | 'truncated'
  | 'corrupt'
  | 'wrong-kind'
  | 'cancelled'
  | 'invalid-model'
  | 'other';

/** The image (CLIP) worker's counters. */
export interface WorkerStats {
  imagesEmbedded: number;
  /** Image embeddings read back from the on-disk cache instead of running the vision model. */
  imagesFromStorage: number;
  /** Stored embeddings that did not match the record schema (another app version, corruption): embedded again. */
  storedEmbeddingsSkipped: number;
  visionRuns: number;
  textsEmbedded: number;
  textRuns: number;
  imageCacheSize: number;
  textCacheSize: number;
  /** Live camera frames scored (each one vision run, never cached; not counted in visionRuns). */
  liveFrames: number;
}

export const EMPTY_STATS: WorkerStats = {
  imagesEmbedded: 0,
  imagesFromStorage: 0,
  storedEmbeddingsSkipped: 0,
  visionRuns: 0,
  textsEmbedded: 0,
  textRuns: 0,
  imageCacheSize: 0,
  textCacheSize: 0,
  liveFrames: 0,
};

/** The audio (Whisper / CLAP) worker's counters. */
export interface AudioWorkerStats {
  /** Clips whose audio went through the encoder (Whisper) or audio tower (CLAP). */
  clipsEncoded: number;
  encoderRuns: number;
  /** Whisper decoder calls (batched over labels) and the label rows they scored. */
  decoderRuns: number;
  labelRowsScored: number;
  /** Whisper batch-1 decoder runs over the transcription prompt (a window's cross-attention cache, and the once-per-model broadcast check's). */
  promptRuns: number;
  /** CLAP text-tower calls and prompts embedded. */
  textRuns: number;
  textsEmbedded: number;
  transcripts: number;
  encoderCacheSize: number;
  /** Rate changes the prepared clips went through: the browser decoder's (as the main thread reports it) plus the worker's. */
  resamplings: number;
}

export const EMPTY_AUDIO_STATS: AudioWorkerStats = {
  clipsEncoded: 0,
  encoderRuns: 0,
  decoderRuns: 0,
  labelRowsScored: 0,
  promptRuns: 0,
  textRuns: 0,
  textsEmbedded: 0,
  transcripts: 0,
  encoderCacheSize: 0,
  resamplings: 0,
};
