/// <reference types="vite/client" />
/**
 * The audio half of the bench worker: the app's own audio worker code (loadAudio, AudioEngine,
 * WhisperScorer, ClapScorer, the resampler) and, in a separate worker, the baselines someone would
 * write with transformers.js's model API or pipeline.
 */
import { workersSpawned } from './countWorkers';
import { MODEL_BASE_URL, builtinLoadRequest, engineLoadInfo } from './engineLoad';
import {
  AutoFeatureExtractor,
  Tensor,
  WhisperForConditionalGeneration,
  pipeline,
  type FeatureExtractor,
  type ZeroShotAudioClassificationPipeline,
} from '@huggingface/transformers';
import * as ort from 'onnxruntime-web/webgpu';
import { AudioEngine, type ScoreCallbacks } from '../../src/features/audio/worker/audioEngine';
import { disposeAudio, loadAudio, type LoadedAudio } from '../../src/features/audio/worker/loadAudioModel';
import { WhisperScorer } from '../../src/features/audio/worker/whisperScorer';
import { whisperLogMel } from '../../src/features/audio/worker/whisperLogMel';
import type { AudioClip, ClipOutcome, ScoreRequest } from '../../src/features/audio/shared/protocol';
import type { AudioWorkerStats } from '../../src/lib/workerReports';
import { configureModelSource } from '../../src/features/models/worker/runtimeEnv';
import { downmixToMono, resample } from '../../src/lib/audio';
import { TOKEN_AGGREGATIONS, buildDecoderBatch, scoreDecoderBatch } from '../../src/lib/audioScoring';
import { sha256Hex } from '../../src/lib/cacheKeys';
import { buildPrompts } from '../../src/lib/labels';
import { softmax } from '../../src/lib/scoring';
import { makeSyntheticClip, makeSyntheticClips, type ClipKind, type SyntheticClip } from '../shared/clips';
import type { AudioRerankResult, BenchCommandMap, EngineLoadInfo, WhisperEngineRuns, WhisperLogMelRuns, WhisperSplitRuns } from '../shared/protocol';

type AudioCommand =
  | 'makeClips'
  | 'loadAudioEngine'
  | 'whisperEngineScore'
  | 'whisperScorerSplit'
  | 'whisperLogMel'
  | 'loadWhisperBaseline'
  | 'whisperNaive'
  | 'clapRerank'
  | 'loadClapPipeline'
  | 'clapPipeline';
export type AudioHandlers = { [C in AudioCommand]: (args: BenchCommandMap[C]['args']) => Promise<BenchCommandMap[C]['result']> };

interface BenchClip {
  clip: SyntheticClip;
  itemId: string;
  contentHash: string;
}

let clips: BenchClip[] = [];
let loaded: LoadedAudio | null = null;
let whisperBaseline: { model: WhisperForConditionalGeneration; featureExtractor: FeatureExtractor } | null = null;
let clapPipe: ZeroShotAudioClassificationPipeline | null = null;

const now = (): number => performance.now();
/** Words that make a label new (so its prompt is in no cache) without being nonsense. */
const RERANK_ADJECTIVES = ['loud', 'quiet', 'distant', 'nearby', 'short', 'long', 'faint', 'sharp', 'soft', 'harsh'];

function requireLoaded(): LoadedAudio {
  if (!loaded) throw new Error('loadAudioEngine first');
  return loaded;
}

function firstClip(): BenchClip {
  const clip = clips[0];
  if (!clip) throw new Error('makeClips first');
  return clip;
}

/** The app hands the worker decoded audio (48 kHz, one array per channel); the engine down-mixes and resamples. */
function asAudioClip(clip: BenchClip, withAudio: boolean): AudioClip {
  return {
    itemId: clip.itemId,
    contentHash: clip.contentHash,
    audio: withAudio ? { channels: [clip.clip.samples], sampleRate: clip.clip.sampleRate, fileSampleRate: null, durationSeconds: clip.clip.samples.length / clip.clip.sampleRate } : null,
  };
}

/** What the engine's prepare() makes of the clip (mono, at the model's rate); for the calls that bypass the engine. */
function atModelRate(clip: BenchClip, sampleRate: number): Float32Array {
  return resample(downmixToMono([clip.clip.samples]), clip.clip.sampleRate, sampleRate);
}

async function scoreWithEngine(engine: AudioEngine, request: ScoreRequest): Promise<{ ms: number; outcomes: ClipOutcome[] }> {
  const outcomes: ClipOutcome[] = [];
  const callbacks: ScoreCallbacks = {
    isCancelled: () => false,
    onClip: (_clip, outcome) => outcomes.push(outcome),
    onProgress: () => {},
    onStats: () => {},
  };
  const started = now();
  await engine.score(request, callbacks);
  const ms = now() - started;
  const failed = outcomes.find((outcome) => !outcome.ok);
  if (failed && !failed.ok) throw new Error(`AudioEngine.score failed on ${outcomes.filter((o) => !o.ok).length} clips: ${failed.kind}: ${failed.message}`);
  if (outcomes.length !== request.clips.length) throw new Error(`AudioEngine.score answered ${outcomes.length} of ${request.clips.length} clips`);
  return { ms, outcomes };
}

function scoresOf(outcome: ClipOutcome | undefined): Float32Array {
  if (!outcome?.ok) throw new Error('no scores');
  return outcome.scores;
}

function whisperScorer(): WhisperScorer {
  const { scorer } = requireLoaded();
  if (!(scorer instanceof WhisperScorer)) throw new Error('the loaded audio model is not a Whisper model');
  return scorer;
}

async function disposeAll(): Promise<void> {
  if (loaded) await disposeAudio(loaded);
  loaded = null;
  await whisperBaseline?.model.dispose();
  whisperBaseline = null;
  await clapPipe?.dispose();
  clapPipe = null;
}

export const audioHandlers: AudioHandlers = {
  async makeClips(spec) {
    const made = 'kind' in spec ? [makeSyntheticClip(spec.kind, spec.seconds, spec.seed)] : makeSyntheticClips(spec.count, spec.seed, spec.minSeconds, spec.maxSeconds);
    clips = await Promise.all(
      made.map(async (clip, index) => ({ clip, itemId: `clip-${index}`, contentHash: await sha256Hex(new Uint8Array(clip.samples.buffer)) })),
    );
    return {
      count: clips.length,
      totalSeconds: made.reduce((sum, clip) => sum + clip.seconds, 0),
      kinds: [...new Set(made.map((clip) => clip.kind))] as ClipKind[],
    };
  },

  async loadAudioEngine({ modelId }): Promise<EngineLoadInfo> {
    await disposeAll();
    loaded = await loadAudio(builtinLoadRequest(modelId), () => {});
    return engineLoadInfo(loaded.info);
  },

  /**
   * The app's path for a new clip, as the user gets it: a fresh AudioEngine (empty caches) scores
   * the clip against every prompt (the scores reach the item), then the transcribe request the app
   * sends next makes the transcript from the cached encoder output. `ms` runs until the transcript
   * is there; `scoresMs` until the scores were.
   */
  async whisperEngineScore({ prompts, reps }): Promise<WhisperEngineRuns> {
    const model = requireLoaded();
    const clip = firstClip();
    const ms: number[] = [];
    const scoresMs: number[] = [];
    const stats: AudioWorkerStats[] = [];
    let last: ClipOutcome | undefined;
    let transcript = '';
    for (let rep = 0; rep < reps; rep++) {
      const engine = new AudioEngine(model, false);
      const run = await scoreWithEngine(engine, { type: 'score', requestId: rep, classPrompts: prompts.map((prompt) => [prompt]), aggregation: 'mean', clips: [asAudioClip(clip, true)], head: null });
      const transcribeStarted = now();
      await engine.transcribe(
        { type: 'transcribe', requestId: rep, clips: [{ itemId: clip.itemId, contentHash: clip.contentHash }] },
        {
          isCancelled: () => false,
          onTranscript: (_clip, outcome) => {
            if (!outcome.ok) throw new Error(`AudioEngine.transcribe failed: ${outcome.kind}: ${outcome.message}`);
            transcript = outcome.transcript;
          },
          onStats: () => {},
        },
      );
      scoresMs.push(run.ms);
      ms.push(run.ms + (now() - transcribeStarted));
      stats.push(engine.currentStats());
      last = run.outcomes[0];
    }
    return { ms, scoresMs, stats, scores: Array.from(scoresOf(last)), transcript };
  },

  /**
   * The two calls AudioEngine makes for a new clip, minus the transcription: WhisperScorer.encode
   * (log-mel + encoder) and WhisperScorer.score (the prompt run once, then the label rows after its
   * cache). Same work as the native run. Each window is also scored with the tiled reference strategy.
   */
  async whisperScorerSplit({ prompts, reps, keepInput }): Promise<WhisperSplitRuns> {
    const scorer = whisperScorer();
    const samples = atModelRate(firstClip(), scorer.sampleRate);
    // The scorer's own feature extractor is private: the same config loaded again, to time the log-mel on its own.
    const featureExtractor = await AutoFeatureExtractor.from_pretrained(requireLoaded().info.modelId);
    const featuresMs: number[] = [];
    const encodeMs: number[] = [];
    const scoreMs: number[] = [];
    let scores: Float32Array = new Float32Array(0);
    let decoderRunsPerRep = 0;
    const tiledScoreMs: number[] = [];
    let tiledDecoderRunsPerRep = 0;
    let tiledScoresMaxAbsDiff = 0;
    let input: { dims: number[]; data: Float32Array } | null = null;
    for (let rep = 0; rep < reps; rep++) {
      const started = now();
      const encoded = await scorer.encode(samples, { keepInput: keepInput && rep === 0 });
      const encodedAt = now();
      const counters = { decoderRuns: 0, labelRowsScored: 0, promptRuns: 0, textRuns: 0, textsEmbedded: 0 };
      const byRule = await scorer.score(encoded.encoded, prompts, counters);
      scores = byRule.mean;
      scoreMs.push(now() - encodedAt);
      encodeMs.push(encodedAt - started);
      decoderRunsPerRep = counters.decoderRuns;
      // The reference strategy on the same window: the decoder's cost before cross-attention caching.
      const tiledCounters = { decoderRuns: 0, labelRowsScored: 0, promptRuns: 0, textRuns: 0, textsEmbedded: 0 };
      const tiledStarted = now();
      const tiled = await scorer.scoreWith('tiled', encoded.encoded, prompts, tiledCounters);
      tiledScoreMs.push(now() - tiledStarted);
      tiledDecoderRunsPerRep = tiledCounters.decoderRuns;
      for (const rule of TOKEN_AGGREGATIONS)
        byRule[rule].forEach((score, index) => (tiledScoresMaxAbsDiff = Math.max(tiledScoresMaxAbsDiff, Math.abs(score - (tiled[rule][index] as number)))));
      input ??= encoded.input;
      const featuresStarted = now();
      const { input_features } = (await featureExtractor(samples)) as { input_features: Tensor };
      featuresMs.push(now() - featuresStarted);
      input_features.dispose();
    }
    return {
      featuresMs,
      encodeMs,
      scoreMs,
      decoderRunsPerRep,
      tiledScoreMs,
      tiledDecoderRunsPerRep,
      tiledScoresMaxAbsDiff,
      scores: Array.from(scores),
      promptIds: [...scorer.promptIds],
      labelIds: prompts.map((prompt) => scorer.labelTokenIds(prompt)),
      inputDims: input?.dims ?? [],
      inputData: input ? Array.from(input.data) : null,
      ortNumThreads: ort.env.wasm.numThreads ?? 0,
      pthreadWorkersSpawned: workersSpawned(),
    };
  },

  /** Log-mel alone on the first `seconds` of the clip: transformers.js's extractor on the 30 s padding vs the app's whisperLogMel. */
  async whisperLogMel({ seconds, reps }): Promise<WhisperLogMelRuns[]> {
    const scorer = whisperScorer();
    const featureExtractor = await AutoFeatureExtractor.from_pretrained(requireLoaded().info.modelId);
    const clip = atModelRate(firstClip(), scorer.sampleRate);
    const runs: WhisperLogMelRuns[] = [];
    for (const length of seconds) {
      const samples = clip.slice(0, Math.round(length * scorer.sampleRate));
      const run: WhisperLogMelRuns = { seconds: length, fullMs: [], partialMs: [], maxAbsDiff: 0 };
      for (let rep = 0; rep < reps; rep++) {
        const fullStarted = now();
        const { input_features: full } = (await featureExtractor(samples)) as { input_features: Tensor };
        run.fullMs.push(now() - fullStarted);
        const partialStarted = now();
        const partial = await whisperLogMel(featureExtractor, samples);
        run.partialMs.push(now() - partialStarted);
        const a = full.data as Float32Array;
        const b = partial.data as Float32Array;
        for (let i = 0; i < a.length; i++) run.maxAbsDiff = Math.max(run.maxAbsDiff, Math.abs((a[i] as number) - (b[i] as number)));
        full.dispose();
        partial.dispose();
      }
      runs.push(run);
    }
    return runs;
  },

  /** The baseline's model, loaded the plain transformers.js way (no app code), in its own worker. */
  async loadWhisperBaseline({ modelId }) {
    await disposeAll();
    configureModelSource({ kind: 'builtin', baseUrl: MODEL_BASE_URL });
    const started = now();
    const model = await WhisperForConditionalGeneration.from_pretrained(modelId, { device: 'wasm', dtype: 'fp32' });
    if (!(model instanceof WhisperForConditionalGeneration)) throw new Error(`${modelId} did not load as a Whisper model`);
    const featureExtractor = await AutoFeatureExtractor.from_pretrained(modelId);
    const loadMs = now() - started;
    whisperBaseline = { model, featureExtractor };
    const warmStarted = now();
    const { input_features } = (await featureExtractor(new Float32Array(16_000))) as { input_features: Tensor };
    const start = Number(Reflect.get(model.generation_config ?? {}, 'decoder_start_token_id') ?? 50258);
    const output = (await model.forward({ input_features, decoder_input_ids: new Tensor('int64', BigInt64Array.from([BigInt(start)]), [1, 1]) })) as Record<string, unknown>;
    for (const value of Object.values(output)) if (value instanceof Tensor) value.dispose();
    return { loadMs, warmupMs: now() - warmStarted };
  },

  /**
   * One call per label, as with the model API: model.forward({ input_features, decoder_input_ids })
   * runs encoder and decoder for prompt + label + end-of-text, then the label's tokens' log-probs
   * are read off the logits (the same maths as the app's). Log-mel features computed once per run.
   */
  async whisperNaive({ promptIds, labelIds, eotId, reps }) {
    if (!whisperBaseline) throw new Error('loadWhisperBaseline first');
    const { model, featureExtractor } = whisperBaseline;
    const samples = atModelRate(firstClip(), 16_000);
    const ms: number[] = [];
    let scores: number[] = [];
    for (let rep = 0; rep < reps; rep++) {
      const started = now();
      const { input_features } = (await featureExtractor(samples)) as { input_features: Tensor };
      scores = [];
      for (const label of labelIds) {
        const batch = buildDecoderBatch(promptIds, [label], eotId);
        const decoderInputIds = new Tensor('int64', BigInt64Array.from(batch.ids, (id) => BigInt(id)), [1, batch.length]);
        const output = (await model.forward({ input_features, decoder_input_ids: decoderInputIds })) as Record<string, unknown>;
        const logits = output.logits;
        if (!(logits instanceof Tensor)) throw new Error('model.forward returned no logits');
        scores.push(scoreDecoderBatch(batch, logits.data as Float32Array, logits.dims.at(-1) as number, 'mean')[0] as number);
        for (const value of Object.values(output)) if (value instanceof Tensor) value.dispose();
        decoderInputIds.dispose();
      }
      input_features.dispose();
      ms.push(now() - started);
    }
    return { ms, scores };
  },

  /**
   * Every clip embedded once with labels A (a fresh engine), then `reps` label edits (one label
   * changed, one added), each re-ranked with AudioEngine.score. Clips are sent without audio on the
   * re-ranks, as the app does for clips the worker already holds.
   */
  async clapRerank({ labelsA, template, reps }): Promise<AudioRerankResult> {
    if (reps > RERANK_ADJECTIVES.length) throw new Error(`at most ${RERANK_ADJECTIVES.length} re-rank repetitions`);
    const engine = new AudioEngine(requireLoaded(), false);
    const request = (requestId: number, labels: string[], withAudio: boolean): ScoreRequest => ({
      type: 'score',
      requestId,
      classPrompts: buildPrompts(template, labels).map((prompt) => [prompt]),
      aggregation: 'mean',
      clips: clips.map((clip) => asAudioClip(clip, withAudio)),
      head: null,
    });
    const first = await scoreWithEngine(engine, request(0, labelsA, true));
    const statsAfterFirst = engine.currentStats();
    const rerankMs: number[] = [];
    const statsAfterEachRerank: AudioWorkerStats[] = [];
    let labelsB: string[] = [];
    let probabilities: number[][] = [];
    for (let rep = 0; rep < reps; rep++) {
      const adjective = RERANK_ADJECTIVES[rep] as string;
      labelsB = [...labelsA];
      labelsB[1] = `${adjective} ${labelsA[1]}`;
      labelsB.push(`${adjective} ${labelsA[0]}`);
      const run = await scoreWithEngine(engine, request(rep + 1, labelsB, false));
      rerankMs.push(run.ms);
      statsAfterEachRerank.push(engine.currentStats());
      probabilities = run.outcomes.map((outcome) => softmax(scoresOf(outcome)));
    }
    return { firstEmbedMs: first.ms, statsAfterFirst, rerankMs, statsAfterEachRerank, labelsB, probabilities };
  },

  async loadClapPipeline({ modelId }) {
    await disposeAll();
    configureModelSource({ kind: 'builtin', baseUrl: MODEL_BASE_URL });
    const started = now();
    clapPipe = await pipeline('zero-shot-audio-classification', modelId, { device: 'wasm', dtype: 'fp32' });
    const loadMs = now() - started;
    const warmStarted = now();
    await clapPipe(firstClip().clip.samples, ['warm up']);
    return { loadMs, warmupMs: now() - warmStarted };
  },

  /** transformers.js's pipeline on the first `clips` clips and labels B, one call (it loops over the clips). */
  async clapPipeline({ clips: count, labels, template, reps }) {
    if (!clapPipe) throw new Error('loadClapPipeline first');
    const pipe = clapPipe;
    const audios = clips.slice(0, count).map((clip) => clip.clip.samples);
    const ms: number[] = [];
    let probabilities: number[][] = [];
    for (let rep = 0; rep < reps; rep++) {
      const started = now();
      const output = (await pipe(audios, labels, { hypothesis_template: template })) as unknown as Array<Array<{ label: string; score: number }>>;
      ms.push(now() - started);
      if (!Array.isArray(output) || output.length !== audios.length) throw new Error('pipeline returned the wrong number of results');
      probabilities = output.map((ranked) => labels.map((label) => ranked.find((entry) => entry.label === label)?.score ?? Number.NaN));
    }
    return { ms, probabilities };
  },
};
