import {
  MAX_SCORED_SECONDS,
  averageWindowScores,
  clipProblem,
  downmixToMono,
  resample,
  resamplingsForClip,
  splitIntoWindows,
  type ClipProblem,
} from '../../../lib/audio';
import { clipEmbeddingFromWindows } from '../../../lib/audioEmbedding';
import { TOKEN_AGGREGATIONS, captionEnsembleScores, meanPromptScores, normOfSum, type TokenAggregation } from '../../../lib/audioScoring';
import { modelVariantKey } from '../../../lib/cacheKeys';
import { headProbabilities, type TrainedHead } from '../../../lib/fewShot';
import type { HeadSummary } from '../../lab/shared';
import {
  type AudioClip,
  type ClipOutcome,
  type DecodedAudio,
  type ScoreLiveWindowRequest,
  type ScoreRequest,
  type TranscribeClip,
  type TranscribeRequest,
  type TranscriptOutcome,
  type DecoderStrategyScores,
} from '../shared/protocol';
import { EMPTY_AUDIO_STATS, type AudioWorkerStats } from '../../../lib/workerReports';
import type { EncodedWindow, ModelInput } from './audioScorer';
import type { AudioLabEngine } from './audioLab';
import type { LoadedAudio } from './loadAudioModel';

/** Encoder outputs kept per worker; the least recently used go first (Whisper base: ~3 MB per window). */
const MAX_ENCODED_CACHE_BYTES = 512 * 1024 * 1024;
const SILENCE_KEY = 'silence';

/** Per label, its prompts (every template × alternative, filled). */
export type ClassPrompts = readonly (readonly string[])[];
export type HeadEmbedding = HeadSummary['embedding'];

interface PreparedClip {
  /** Mono, at the model's rate, cut at MAX_SCORED_SECONDS. */
  samples: Float32Array;
  durationSeconds: number;
  problem: ClipProblem | null;
}

export interface ScoreCallbacks {
  isCancelled: () => boolean;
  onClip: (clip: AudioClip, outcome: ClipOutcome) => void;
  onProgress: (done: number, total: number) => void;
  onStats: (stats: AudioWorkerStats) => void;
}

export interface LiveWindowResult {
  scores: Float32Array;
  headProbabilities: Float32Array | null;
  transcript: string | null;
  missingHeadId: string | null;
  inferenceMs: number;
}

export interface TranscribeCallbacks {
  isCancelled: () => boolean;
  onTranscript: (clip: TranscribeClip, outcome: TranscriptOutcome) => void;
  onStats: (stats: AudioWorkerStats) => void;
}

/**
 * Lets a waiting message in before the next clip: the worker's message handler (which marks a
 * request cancelled) only runs between tasks, and a run of awaited model calls may never leave one.
 */
function yieldToMessages(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * Runs the encoder once per clip window and keeps everything it has computed: prepared audio,
 * encoder outputs (LRU, bounded), per-prompt scores, transcripts and each clip's embedding for
 * heads. A label or template edit therefore only costs decoder (Whisper) or text-tower (CLAP)
 * work for the new prompts, and the prompt lab's grids and heads run on what is kept.
 */
export class AudioEngine implements AudioLabEngine {
  private readonly clips = new Map<string, PreparedClip>();
  private readonly encoded = new Map<string, EncodedWindow>();
  private encodedBytes = 0;
  private readonly scores = new Map<string, number>();
  private readonly transcripts = new Map<string, string>();
  private readonly inputs = new Map<string, ModelInput>();
  /** Per clip, its unit embedding for heads (see windowAt), and the windows' pooled vectors until every window is encoded. */
  private readonly embeddings = new Map<string, Float32Array>();
  private readonly pooledWindows = new Map<string, Array<Float32Array | undefined>>();
  /** CLAP: ‖Σ t_j‖ of a label's caption embeddings, by its prompts. */
  private readonly captionSumNorms = new Map<string, number>();
  /** Trained or imported heads, by id; they go with the worker (a new model is a new worker). */
  private readonly heads = new Map<string, TrainedHead>();
  private readonly stats: AudioWorkerStats = { ...EMPTY_AUDIO_STATS };
  private readonly variantKey: string;

  constructor(
    readonly model: LoadedAudio,
    private readonly keepInputsForDebug: boolean,
    previousStats?: AudioWorkerStats,
  ) {
    this.variantKey = modelVariantKey({
      modelId: model.info.modelId,
      sourceKey: model.sourceKey,
      dtype: model.info.dtype,
      backend: model.info.backend,
    });
    // Counters are cumulative for the worker's life, across model switches, so tests can diff them.
    if (previousStats) Object.assign(this.stats, previousStats, { encoderCacheSize: 0 });
  }

  currentStats(): AudioWorkerStats {
    return { ...this.stats, encoderCacheSize: this.encoded.size };
  }

  inputFor(contentHash: string): ModelInput | undefined {
    return this.inputs.get(contentHash);
  }

  get family(): 'whisper' | 'clap' {
    return this.model.scorer.family;
  }

  embeddingDim(): number | null {
    for (const embedding of this.embeddings.values()) return embedding.length;
    return null;
  }

  /** The embedding heads read for this model family. */
  get embeddingKind(): HeadEmbedding {
    return this.model.scorer.family === 'clap' ? 'clap-audio' : 'whisper-encoder-mean';
  }

  async score(request: ScoreRequest, callbacks: ScoreCallbacks): Promise<{ cancelled: boolean; missingHeadId: string | null }> {
    const head = request.head ? (this.heads.get(request.head.headId) ?? null) : null;
    const missingHeadId = request.head && !head ? request.head.headId : null;
    let done = 0;
    callbacks.onProgress(0, request.clips.length);
    for (const clip of request.clips) {
      if (callbacks.isCancelled()) return { cancelled: true, missingHeadId };
      let outcome: ClipOutcome;
      try {
        outcome = await this.scoreClip(clip, request.classPrompts, request.aggregation, head);
      } catch (error) {
        if (this.model.info.backend === 'webgpu') throw error; // the host reloads on WASM and retries
        outcome = { ok: false, kind: 'error', message: `Scoring failed: ${error instanceof Error ? error.message : String(error)}` };
      }
      callbacks.onClip(clip, outcome);
      callbacks.onStats(this.currentStats());
      callbacks.onProgress(++done, request.clips.length);
    }
    return { cancelled: false, missingHeadId };
  }

  /**
   * Whisper's transcription of each clip's first window, from its cached encoder output (encoded
   * again only if it left the cache). Kept per clip: a clip transcribed once is answered at once.
   * Stops between clips, or mid-generation, once the request is cancelled (a new score request).
   */
  async transcribe(request: TranscribeRequest, callbacks: TranscribeCallbacks): Promise<{ cancelled: boolean }> {
    for (const clip of request.clips) {
      await yieldToMessages();
      if (callbacks.isCancelled()) return { cancelled: true };
      let outcome: TranscriptOutcome | null;
      try {
        outcome = await this.transcribeClip(clip, callbacks.isCancelled);
      } catch (error) {
        if (this.model.info.backend === 'webgpu') throw error; // the host reloads on WASM and retries
        outcome = { ok: false, kind: 'error', message: `Transcription failed: ${error instanceof Error ? error.message : String(error)}` };
      }
      if (!outcome) return { cancelled: true };
      callbacks.onTranscript(clip, outcome);
      callbacks.onStats(this.currentStats());
    }
    return { cancelled: false };
  }

  /** The silent clip's per-label scores for zero-input calibration; cached per prompt like any clip's. */
  async zeroInputScores(classPrompts: readonly (readonly string[])[], aggregation: TokenAggregation): Promise<Float32Array> {
    const [scores] = await this.silenceClassScores([classPrompts], aggregation);
    return scores ?? new Float32Array(0);
  }

  /** The silent window's per-label scores for each set of class prompts (one encoder run per model, ever). */
  async silenceClassScores(promptSets: readonly ClassPrompts[], aggregation: TokenAggregation): Promise<Float32Array[]> {
    const { scorer } = this.model;
    const key = `${this.variantKey}\u0000${SILENCE_KEY}#0`;
    let window = this.cachedWindow(key);
    if (!window) {
      window = (await scorer.encode(new Float32Array(scorer.sampleRate * scorer.windowSeconds), { keepInput: false })).encoded;
      this.stats.encoderRuns++;
      this.storeWindow(key, window);
    }
    return this.classScoresOnWindow(key, window, promptSets, aggregation);
  }

  /**
   * One live microphone window: resampled once, encoded once, scored against the prompts (and
   * transcribed when asked), then forgotten. Its encoding, its per-prompt scores and Whisper's
   * prompt state for it are never cached: live audio is not kept. The prompt side is (CLAP's
   * caption embeddings, the caption-sum norms).
   */
  async scoreLiveWindow(request: ScoreLiveWindowRequest, isCancelled: () => boolean): Promise<LiveWindowResult> {
    const started = performance.now();
    const { scorer } = this.model;
    const head = request.head ? (this.heads.get(request.head.headId) ?? null) : null;
    const missingHeadId = request.head && !head ? request.head.headId : null;
    const samples = resample(request.samples, request.sampleRate, scorer.sampleRate);
    if (request.sampleRate !== scorer.sampleRate) this.stats.resamplings++;
    const result = await scorer.encode(samples, { keepInput: false });
    this.stats.encoderRuns++;
    try {
      // A cache of its own, dropped with the window: nothing of it outlives this request.
      const [scores] = await this.classScoresOnWindow('live', result.encoded, [request.classPrompts], request.aggregation, new Map());
      const raw = scores ?? new Float32Array(0);
      let headProbs: Float32Array | null = null;
      if (head) {
        const embedding = clipEmbeddingFromWindows([result.pooled]);
        if (embedding.length === head.dim && raw.length === head.classes)
          headProbs = Float32Array.from(headProbabilities(head, { data: embedding, count: 1, dim: embedding.length }, [0], raw));
      }
      const transcript = request.transcribe && scorer.transcriber ? await scorer.transcriber.transcribe(result.encoded, isCancelled) : null;
      return { scores: raw, headProbabilities: headProbs, transcript, missingHeadId, inferenceMs: performance.now() - started };
    } finally {
      // Whisper keeps a prompt state per window it scored: this window's goes now.
      scorer.forgetWindow?.(result.encoded);
    }
  }

  /** Whether the worker holds this clip's audio, and it can be scored (not silent, not too short). */
  holds(contentHash: string): boolean {
    const prepared = this.clips.get(contentHash);
    return !!prepared && !prepared.problem;
  }

  /**
   * A held clip's per-label raw scores for each set of class prompts, averaged over its windows:
   * all sets' prompts are scored in one batch per window, and only those not scored before.
   * Null when the worker doesn't hold the clip. Windows that left the encoder cache are encoded again.
   */
  async clipClassScores(contentHash: string, promptSets: readonly ClassPrompts[], aggregation: TokenAggregation): Promise<Float32Array[] | null> {
    const prepared = this.clips.get(contentHash);
    if (!prepared || prepared.problem) return null;
    const perWindow: Float32Array[][] = [];
    for (const index of this.windowsOf(prepared).keys()) {
      const { key, window } = await this.windowAt(contentHash, prepared, index);
      perWindow.push(await this.classScoresOnWindow(key, window, promptSets, aggregation));
    }
    return promptSets.map((_, set) => averageWindowScores(perWindow.map((scores) => scores[set] as Float32Array)));
  }

  /** Debug: a held clip's first window scored with each decoder strategy of the scorer; null for CLAP or a clip not held. */
  async decoderStrategyScores(contentHash: string, prompts: readonly string[]): Promise<DecoderStrategyScores[] | null> {
    const prepared = this.clips.get(contentHash);
    const { scorer } = this.model;
    if (!prepared || prepared.problem || !scorer.scoreEachDecoderStrategy) return null;
    const { window } = await this.windowAt(contentHash, prepared, 0);
    return scorer.scoreEachDecoderStrategy(window, prompts, this.stats);
  }

  /** A held clip's unit embedding for heads (computed when it was encoded); null when the worker doesn't hold it. */
  async clipEmbedding(contentHash: string): Promise<Float32Array | null> {
    const known = this.embeddings.get(contentHash);
    if (known) return known;
    const prepared = this.clips.get(contentHash);
    if (!prepared || prepared.problem) return null;
    // Held but never encoded (it failed mid-run): encode it now.
    for (const index of this.windowsOf(prepared).keys()) await this.windowAt(contentHash, prepared, index);
    return this.embeddings.get(contentHash) ?? null;
  }

  /** CLAP's caption embeddings (unit vectors), or null for Whisper. */
  async captionEmbeddings(prompts: readonly string[]): Promise<Float32Array[] | null> {
    const { captions } = this.model.scorer;
    return captions ? captions.embedCaptions(prompts, this.stats) : null;
  }

  get logitScale(): number | null {
    return this.model.scorer.captions?.logitScale ?? null;
  }

  storeHead(headId: string, head: TrainedHead): void {
    this.heads.set(headId, head);
  }

  headFor(headId: string): TrainedHead | undefined {
    return this.heads.get(headId);
  }

  private prepare(audio: DecodedAudio): PreparedClip {
    const { scorer } = this.model;
    const mono = downmixToMono(audio.channels);
    const { durationSeconds } = audio;
    const kept = mono.subarray(0, Math.min(mono.length, Math.round(MAX_SCORED_SECONDS * audio.sampleRate)));
    const samples = resample(kept, audio.sampleRate, scorer.sampleRate);
    this.stats.resamplings += resamplingsForClip(audio, scorer.sampleRate);
    return { samples, durationSeconds, problem: clipProblem(samples, scorer.sampleRate) };
  }

  private windowsOf(prepared: PreparedClip) {
    const { scorer } = this.model;
    return splitIntoWindows(prepared.samples.length, Math.round(scorer.sampleRate * scorer.windowSeconds));
  }

  /**
   * A window's encoding, from the cache or the encoder. Encoding the clip's last missing window
   * pooled vector completes its embedding for heads, kept per clip (small) beyond the cache's life.
   */
  private async windowAt(
    contentHash: string,
    prepared: PreparedClip,
    index: number,
  ): Promise<{ key: string; window: EncodedWindow; encodedNow: boolean }> {
    const { scorer } = this.model;
    const key = `${this.variantKey}\u0000${contentHash}#${index}`;
    const cached = this.cachedWindow(key);
    if (cached) return { key, window: cached, encodedNow: false };
    const windows = this.windowsOf(prepared);
    const { start, end } = windows[index] as { start: number; end: number };
    const firstWindow = index === 0;
    const result = await scorer.encode(prepared.samples.subarray(start, end), { keepInput: firstWindow && this.keepInputsForDebug });
    this.stats.encoderRuns++;
    this.storeWindow(key, result.encoded);
    if (result.input) this.inputs.set(contentHash, result.input);
    if (!this.embeddings.has(contentHash)) {
      const pooled = this.pooledWindows.get(contentHash) ?? new Array<Float32Array | undefined>(windows.length);
      pooled[index] = result.pooled;
      this.pooledWindows.set(contentHash, pooled);
      const vectors = pooled.filter((vector) => vector !== undefined);
      if (vectors.length === windows.length) {
        this.embeddings.set(contentHash, clipEmbeddingFromWindows(vectors));
        this.pooledWindows.delete(contentHash);
      }
    }
    return { key, window: result.encoded, encodedNow: true };
  }

  private async scoreClip(clip: AudioClip, classPrompts: ClassPrompts, aggregation: TokenAggregation, head: TrainedHead | null): Promise<ClipOutcome> {
    const { scorer } = this.model;
    let prepared = this.clips.get(clip.contentHash);
    if (!prepared) {
      if (!clip.audio) return { ok: false, kind: 'needs-audio', message: 'The worker no longer holds this clip.' };
      prepared = this.prepare(clip.audio);
      this.clips.set(clip.contentHash, prepared);
    }
    if (prepared.problem) return { ok: false, kind: 'bad-clip', message: prepared.problem.message };

    const windows = this.windowsOf(prepared);
    const windowScores: Float32Array[] = [];
    let encodedNow = false;
    for (const index of windows.keys()) {
      const encoded = await this.windowAt(clip.contentHash, prepared, index);
      encodedNow ||= encoded.encodedNow;
      const [scores] = await this.classScoresOnWindow(encoded.key, encoded.window, [classPrompts], aggregation);
      windowScores.push(scores as Float32Array);
    }
    if (encodedNow) this.stats.clipsEncoded++;
    const scores = averageWindowScores(windowScores);
    const scoredSeconds = prepared.samples.length / scorer.sampleRate;
    return {
      ok: true,
      scores,
      headProbabilities: head ? this.headProbabilitiesFor(head, clip.contentHash, scores) : null,
      durationSeconds: prepared.durationSeconds,
      scoredSeconds,
      windows: windows.length,
      windowSeconds: scorer.windowSeconds,
      // Transcribed later, on its own request; a clip this worker already transcribed has it now.
      transcript: this.transcripts.get(clip.contentHash) ?? null,
      encodedNow,
    };
  }

  /** One clip's transcript (kept, or made from its first window's encoding); null when cancelled before it was done. */
  private async transcribeClip(clip: TranscribeClip, isCancelled: () => boolean): Promise<TranscriptOutcome | null> {
    const { scorer } = this.model;
    if (!scorer.transcriber) return { ok: false, kind: 'error', message: 'This model does not transcribe.' };
    const prepared = this.clips.get(clip.contentHash);
    if (!prepared) return { ok: false, kind: 'needs-audio', message: 'The worker no longer holds this clip.' };
    if (prepared.problem) return { ok: false, kind: 'bad-clip', message: prepared.problem.message };
    const coveredSeconds = this.windowsOf(prepared).length > 1 ? scorer.windowSeconds : null;
    const known = this.transcripts.get(clip.contentHash);
    if (known !== undefined) return { ok: true, transcript: known, coveredSeconds };
    const { window } = await this.windowAt(clip.contentHash, prepared, 0);
    const transcript = await scorer.transcriber.transcribe(window, isCancelled);
    if (transcript === null) return null;
    this.transcripts.set(clip.contentHash, transcript);
    this.stats.transcripts++;
    return { ok: true, transcript, coveredSeconds };
  }

  /** The head's class probabilities for one clip; Tip-Adapter adds to the clip's raw zero-shot scores. */
  private headProbabilitiesFor(head: TrainedHead, contentHash: string, rawScores: Float32Array): Float32Array | null {
    const embedding = this.embeddings.get(contentHash);
    if (!embedding || embedding.length !== head.dim || rawScores.length !== head.classes) return null;
    const features = { data: embedding, count: 1, dim: embedding.length };
    return Float32Array.from(headProbabilities(head, features, [0], rawScores));
  }

  /**
   * Per-label scores on one window for each set of class prompts: every prompt's raw score comes
   * from the cache where this window was already scored against it, one batched call for the rest;
   * then each label ensembles its prompts (Whisper: their mean; CLAP: the summed caption direction).
   */
  private async classScoresOnWindow(
    windowKey: string,
    window: EncodedWindow,
    promptSets: readonly ClassPrompts[],
    aggregation: TokenAggregation,
    /** Where per-prompt scores are kept (the engine's; a live window passes one it throws away). */
    scoreCache: Map<string, number> = this.scores,
  ): Promise<Float32Array[]> {
    const keyOf = (rule: TokenAggregation, prompt: string) => `${windowKey}\u0000${rule}\u0000${prompt}`;
    const prompts = promptSets.flatMap((set) => set.flat());
    const missing = [...new Set(prompts.filter((prompt) => !scoreCache.has(keyOf(aggregation, prompt))))];
    if (missing.length > 0) {
      // Every rule's scores are kept: switching rule, or a grid over both, runs no decoder again.
      const computed = await this.model.scorer.score(window, missing, this.stats);
      for (const rule of TOKEN_AGGREGATIONS) missing.forEach((prompt, index) => scoreCache.set(keyOf(rule, prompt), computed[rule][index] as number));
    }
    const scoreOf = (prompt: string) => scoreCache.get(keyOf(aggregation, prompt)) as number;
    const { captions } = this.model.scorer;
    if (!captions) return promptSets.map((classPrompts) => meanPromptScores(classPrompts, scoreOf));
    const results: Float32Array[] = [];
    for (const classPrompts of promptSets) {
      const norms = new Map<string, number>();
      for (const labelPrompts of classPrompts) {
        if (labelPrompts.length < 2) continue;
        const normKey = labelPrompts.join('\u0000');
        let norm = this.captionSumNorms.get(normKey);
        if (norm === undefined) {
          norm = normOfSum(await captions.embedCaptions(labelPrompts, this.stats));
          this.captionSumNorms.set(normKey, norm);
        }
        norms.set(normKey, norm);
      }
      results.push(captionEnsembleScores(classPrompts, scoreOf, (labelPrompts) => norms.get(labelPrompts.join('\u0000')) ?? 0));
    }
    return results;
  }

  private cachedWindow(key: string): EncodedWindow | undefined {
    const window = this.encoded.get(key);
    if (window) {
      // Map order is insertion order: re-inserting marks it most recently used.
      this.encoded.delete(key);
      this.encoded.set(key, window);
    }
    return window;
  }

  private storeWindow(key: string, window: EncodedWindow): void {
    const replaced = this.encoded.get(key);
    if (replaced) this.dropWindow(key, replaced);
    this.encoded.set(key, window);
    this.encodedBytes += window.bytes;
    for (const [oldKey, old] of this.encoded) {
      if (this.encodedBytes <= MAX_ENCODED_CACHE_BYTES || oldKey === key) break;
      this.dropWindow(oldKey, old);
    }
  }

  /** Out of the encoder cache, and out of the scorer's per-window state (Whisper's prompt states), which it bounds. */
  private dropWindow(key: string, window: EncodedWindow): void {
    this.encoded.delete(key);
    this.encodedBytes -= window.bytes;
    this.model.scorer.forgetWindow?.(window);
  }
}
