import {
  MAX_SCORED_SECONDS,
  averageWindowScores,
  clipProblem,
  downmixToMono,
  resample,
  splitIntoWindows,
  type ClipProblem,
} from '../../../lib/audio';
import type { TokenAggregation } from '../../../lib/audioScoring';
import { modelVariantKey } from '../../../lib/cacheKeys';
import { type AudioClip, type ClipOutcome, type DecodedAudio, type ScoreRequest } from '../shared/protocol';
import { EMPTY_AUDIO_STATS, type AudioWorkerStats } from '../../../lib/workerReports';
import type { EncodedWindow, ModelInput } from './audioScorer';
import type { LoadedAudio } from './loadAudioModel';

/** Encoder outputs kept per worker; the least recently used go first (Whisper base: ~3 MB per window). */
const MAX_ENCODED_CACHE_BYTES = 512 * 1024 * 1024;
const SILENCE_KEY = 'silence';

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

/**
 * Runs the encoder once per clip window and keeps everything it has computed: prepared audio,
 * encoder outputs (LRU, bounded), per-prompt scores and transcripts. A label edit therefore only
 * costs decoder (Whisper) or text-tower (CLAP) work for the new prompts.
 */
export class AudioEngine {
  private readonly clips = new Map<string, PreparedClip>();
  private readonly encoded = new Map<string, EncodedWindow>();
  private encodedBytes = 0;
  private readonly scores = new Map<string, number>();
  private readonly transcripts = new Map<string, string>();
  private readonly inputs = new Map<string, ModelInput>();
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

  async score(request: ScoreRequest, callbacks: ScoreCallbacks): Promise<{ cancelled: boolean }> {
    let done = 0;
    callbacks.onProgress(0, request.clips.length);
    for (const clip of request.clips) {
      if (callbacks.isCancelled()) return { cancelled: true };
      let outcome: ClipOutcome;
      try {
        outcome = await this.scoreClip(clip, request.prompts, request.aggregation);
      } catch (error) {
        if (this.model.info.backend === 'webgpu') throw error; // the host reloads on WASM and retries
        outcome = { ok: false, kind: 'error', message: `Scoring failed: ${error instanceof Error ? error.message : String(error)}` };
      }
      callbacks.onClip(clip, outcome);
      callbacks.onStats(this.currentStats());
      callbacks.onProgress(++done, request.clips.length);
    }
    return { cancelled: false };
  }

  /** The silent clip's scores for zero-input calibration; cached per prompt like any clip's. */
  async zeroInputScores(prompts: readonly string[], aggregation: TokenAggregation): Promise<Float32Array> {
    const { scorer } = this.model;
    const key = `${this.variantKey}\u0000${SILENCE_KEY}#0`;
    let window = this.cachedWindow(key);
    if (!window) {
      window = (await scorer.encode(new Float32Array(scorer.sampleRate * scorer.windowSeconds), { transcribe: false, keepInput: false })).encoded;
      this.stats.encoderRuns++;
      this.storeWindow(key, window);
    }
    return this.scoresFor(key, window, prompts, aggregation);
  }

  private prepare(audio: DecodedAudio): PreparedClip {
    const { scorer } = this.model;
    const mono = downmixToMono(audio.channels);
    const { durationSeconds } = audio;
    const kept = mono.subarray(0, Math.min(mono.length, Math.round(MAX_SCORED_SECONDS * audio.sampleRate)));
    const samples = resample(kept, audio.sampleRate, scorer.sampleRate);
    return { samples, durationSeconds, problem: clipProblem(samples, scorer.sampleRate) };
  }

  private async scoreClip(clip: AudioClip, prompts: readonly string[], aggregation: TokenAggregation): Promise<ClipOutcome> {
    const { scorer } = this.model;
    let prepared = this.clips.get(clip.contentHash);
    if (!prepared) {
      if (!clip.audio) return { ok: false, kind: 'needs-audio', message: 'The worker no longer holds this clip.' };
      prepared = this.prepare(clip.audio);
      this.clips.set(clip.contentHash, prepared);
    }
    if (prepared.problem) return { ok: false, kind: 'bad-clip', message: prepared.problem.message };

    const windowLength = Math.round(scorer.sampleRate * scorer.windowSeconds);
    const windows = splitIntoWindows(prepared.samples.length, windowLength);
    const windowScores: Float32Array[] = [];
    let encodedNow = false;
    for (const [index, { start, end }] of windows.entries()) {
      const key = `${this.variantKey}\u0000${clip.contentHash}#${index}`;
      let window = this.cachedWindow(key);
      if (!window) {
        const firstWindow = index === 0;
        const result = await scorer.encode(prepared.samples.subarray(start, end), {
          transcribe: firstWindow && scorer.family === 'whisper' && !this.transcripts.has(clip.contentHash),
          keepInput: firstWindow && this.keepInputsForDebug,
        });
        window = result.encoded;
        this.stats.encoderRuns++;
        encodedNow = true;
        this.storeWindow(key, window);
        if (result.transcript !== null) {
          this.transcripts.set(clip.contentHash, result.transcript);
          this.stats.transcripts++;
        }
        if (result.input) this.inputs.set(clip.contentHash, result.input);
      }
      windowScores.push(await this.scoresFor(key, window, prompts, aggregation));
    }
    if (encodedNow) this.stats.clipsEncoded++;
    const scoredSeconds = prepared.samples.length / scorer.sampleRate;
    return {
      ok: true,
      scores: averageWindowScores(windowScores),
      durationSeconds: prepared.durationSeconds,
      scoredSeconds,
      windows: windows.length,
      windowSeconds: scorer.windowSeconds,
      transcript: scorer.family === 'whisper' ? (this.transcripts.get(clip.contentHash) ?? '') : null,
      encodedNow,
    };
  }

  /** Scores from the cache where this window was already scored against a prompt; one batched call for the rest. */
  private async scoresFor(windowKey: string, window: EncodedWindow, prompts: readonly string[], aggregation: TokenAggregation): Promise<Float32Array> {
    const keyOf = (prompt: string) => `${windowKey}\u0000${aggregation}\u0000${prompt}`;
    const missing = [...new Set(prompts.filter((prompt) => !this.scores.has(keyOf(prompt))))];
    if (missing.length > 0) {
      const computed = await this.model.scorer.score(window, missing, aggregation, this.stats);
      missing.forEach((prompt, index) => this.scores.set(keyOf(prompt), computed[index] as number));
    }
    return Float32Array.from(prompts, (prompt) => this.scores.get(keyOf(prompt)) as number);
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
    this.encoded.set(key, window);
    this.encodedBytes += window.bytes;
    for (const [oldKey, old] of this.encoded) {
      if (this.encodedBytes <= MAX_ENCODED_CACHE_BYTES || oldKey === key) break;
      this.encoded.delete(oldKey);
      this.encodedBytes -= old.bytes;
    }
  }
}
