/**
 * The audio figures of `npm run bench` (Whisper: batched label scoring, browser vs native; CLAP:
 * re-rank after a label edit). Driven from main.ts with the page it opened; every figure is a ratio
 * against a baseline timed in the same run.
 */
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { AudioWorkerStats } from '../../src/lib/workerReports';
import { downmixToMono, resample } from '../../src/lib/audio';
import { DEFAULT_WHISPER_TEMPLATE, buildTranscriptPrompts } from '../../src/lib/audioScoring';
import { makeSyntheticClip, type ClipKind } from '../shared/clips';
import type { ClipSpec, EngineLoadInfo } from '../shared/protocol';
import { median } from '../shared/random';
import { nativeWhisperScoring, type NativeWhisperResult } from './nativeWhisper';
import { call, freshWorker, log } from './pageCalls';
import { modelDir, repoRoot } from './paths';

/** The built-in model's ten words; the random-weight model scores the same prompts. */
const WHISPER_LABELS = ['yes', 'no', 'up', 'down', 'left', 'right', 'on', 'off', 'stop', 'go'];
const WHISPER_CLIP: { kind: ClipKind; seconds: number; seed: number } = { kind: 'noise bursts', seconds: 10, seed: 7 };
const CLAP_CLIPS = { count: 50, seed: 42, minSeconds: 1, maxSeconds: 5 };
const CLAP_LABELS_A = ['dog barking', 'vacuum cleaner', 'a person speaking', 'music', 'rain', 'a siren'];
/** transformers.js's default hypothesis_template for this pipeline; the app fills the same text with buildPrompts. */
const CLAP_TEMPLATE = 'This is a sound of {}.';

export const AUDIO_KEYS = ['whisper-words', 'whisper-tiny', 'clap'] as const;
export type AudioKey = (typeof AUDIO_KEYS)[number];

interface WhisperSpec {
  key: Extract<AudioKey, 'whisper-words' | 'whisper-tiny'>;
  title: string;
  modelId: string;
  /** Also time the same computation under onnxruntime-node (figure 2). */
  native: boolean;
}

const WHISPER_MODELS: WhisperSpec[] = [
  { key: 'whisper-words', title: 'whisper-words (built-in)', modelId: 'builtin/whisper-words', native: false },
  { key: 'whisper-tiny', title: 'Whisper-tiny-sized, random weights', modelId: 'bench/whisper-tiny-random', native: true },
];
const CLAP_MODEL = { key: 'clap' as const, title: 'CLAP, HTSAT + RoBERTa-base sizes, random weights', modelId: 'bench/clap-random' };

const timed = (ms: number[]) => ({ ms, medianMs: median(ms) });
const maxAbsDiff = (a: readonly number[], b: readonly number[]): number => a.reduce((max, value, index) => Math.max(max, Math.abs(value - (b[index] as number))), 0);
const statsOf = (stats: AudioWorkerStats) => ({
  encoderRuns: stats.encoderRuns,
  decoderRuns: stats.decoderRuns,
  labelRowsScored: stats.labelRowsScored,
  textRuns: stats.textRuns,
  textsEmbedded: stats.textsEmbedded,
  transcripts: stats.transcripts,
  clipsEncoded: stats.clipsEncoded,
});
type StatsSummary = ReturnType<typeof statsOf>;
function statsDelta(after: AudioWorkerStats, before: AudioWorkerStats): StatsSummary {
  const a = statsOf(after);
  const b = statsOf(before);
  return Object.fromEntries(Object.entries(a).map(([key, value]) => [key, value - b[key as keyof StatsSummary]])) as StatsSummary;
}

/** When each figure was measured and how busy the machine was: a run of some figures keeps the others' results. */
export interface FigureRun {
  generatedAt: string;
  quick: boolean;
  loadavgAtStart: number[];
  loadavgAtEnd: number[];
}

export interface WhisperResult {
  key: string;
  run: FigureRun;
  title: string;
  modelId: string;
  labels: string[];
  prompts: string[];
  clip: { kind: ClipKind; seconds: number; sampleRate: number };
  engineLoad: EngineLoadInfo;
  baselineLoad: { loadMs: number; warmupMs: number };
  /** Figure 1: AudioEngine.score on a fresh engine vs one model.forward per label. */
  batched: {
    engineWarmupMs: number;
    engine: { ms: number[]; medianMs: number };
    /** Stats of each timed repetition's fresh engine: 1 encoder run, 1 transcript, the decoder call(s) over the label rows. */
    engineStats: StatsSummary[];
    transcript: string;
    /** WhisperScorer.encode (no transcription) + WhisperScorer.score: the engine's work minus its greedy transcription. */
    scorerOnly: { featuresMs: number[]; encodeMs: number[]; scoreMs: number[]; totalMs: number[]; medianMs: number; decoderRuns: number };
    /** The decoder part alone: the cached cross-attention (default) vs the tiled reference on the same windows. */
    decoder?: { cachedMedianMs: number; tiledMedianMs: number; tiledDecoderRuns: number; speedupVsTiled: number; scoresMaxAbsDiff: number };
    naiveWarmupMs: number;
    naive: { ms: number[]; medianMs: number; calls: number };
    speedup: number;
    speedupWithoutTranscription: number;
    /** Naive per-label scores vs the engine's batched ones (same log-probs, up to float rounding). */
    scoresMaxAbsDiff: number;
  };
  /** Log-mel alone on 1 s and 10 s clips: whisperLogMel (real frames only) vs WhisperFeatureExtractor on the 30 s padding. */
  logMel: Array<{ seconds: number; fullMedianMs: number; partialMedianMs: number; speedup: number; maxAbsDiff: number }>;
  /** Figure 2 (when `native`): the scorer's work in Chromium WASM vs onnxruntime-node. */
  native: null | {
    browser: Medians & { decoderRuns: number; ortNumThreads: number; pthreadWorkersSpawned: number };
    native: NativeWhisperResult & Medians;
    /** native time / browser time: browser throughput as a fraction of native. */
    ratio: number;
    encoderRatio: number;
    decoderRatio: number;
    scoresMaxAbsDiff: number;
  };
}

/** featuresMedianMs is part of encodeMedianMs (log-mel + encoder); scoreMedianMs is the decoder call(s) + log-prob maths. */
interface Medians {
  featuresMedianMs: number;
  encodeMedianMs: number;
  scoreMedianMs: number;
  totalMedianMs: number;
}

export interface ClapResult {
  key: string;
  run: FigureRun;
  title: string;
  modelId: string;
  clips: number;
  clipSeconds: { min: number; max: number; total: number };
  labelsA: string[];
  labelsB: string[];
  template: string;
  engineLoad: EngineLoadInfo;
  pipelineLoad: { loadMs: number; warmupMs: number };
  firstEmbedMs: number;
  statsAfterFirst: StatsSummary;
  engine: { ms: number[]; medianMs: number };
  engineStatsPerRerank: StatsSummary[];
  pipeline: {
    /** Clips the pipeline actually ran on; its time is scaled linearly to all clips when fewer. */
    measuredClips: number;
    warmupMs: number;
    ms: number[];
    medianMs: number;
    scaledTo: number;
    scaledMedianMs: number;
  };
  speedup: number;
  /** Engine probabilities (softmax of its raw scores) vs the pipeline's, on the clips both scored with labels B. */
  probabilitiesMaxAbsDiff: number;
}

export interface AudioResults {
  whisper: WhisperResult[];
  clap: ClapResult | null;
  skipped: Array<{ key: string; missing: string[] }>;
}

const WHISPER_FILES = ['config.json', 'generation_config.json', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/encoder_model.onnx', 'onnx/decoder_model_merged.onnx'];
const CLAP_FILES = ['config.json', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/text_model.onnx', 'onnx/audio_model.onnx', 'onnx/model.onnx'];

function missing(modelId: string, files: string[]): string[] {
  return files.map((file) => join(modelDir(modelId), file)).filter((path) => !existsSync(path)).map((path) => path.slice(repoRoot.length + 1));
}

function eosTokenId(modelId: string): number {
  const config = JSON.parse(readFileSync(join(modelDir(modelId), 'config.json'), 'utf8')) as { eos_token_id?: number };
  if (typeof config.eos_token_id !== 'number') throw new Error(`${modelId}/config.json has no eos_token_id`);
  return config.eos_token_id;
}

async function withRun<T>(quick: boolean, measure: () => Promise<T>): Promise<T & { run: FigureRun }> {
  const generatedAt = new Date().toISOString();
  const loadavgAtStart = loadavg();
  log(`  load average at start ${loadavgAtStart.map((v) => v.toFixed(2)).join(' ')}`);
  const result = await measure();
  const loadavgAtEnd = loadavg();
  log(`  load average at end ${loadavgAtEnd.map((v) => v.toFixed(2)).join(' ')}`);
  return { ...result, run: { generatedAt, quick, loadavgAtStart, loadavgAtEnd } };
}

/** Clip lengths of the log-mel figure. */
const LOG_MEL_SECONDS = [1, 10];

async function benchWhisper(page: Page, spec: WhisperSpec, quick: boolean): Promise<Omit<WhisperResult, 'run'>> {
  const reps = quick ? 2 : 5;
  const naiveReps = quick ? 1 : 3;
  const prompts = buildTranscriptPrompts(DEFAULT_WHISPER_TEMPLATE, WHISPER_LABELS);
  const clipSpec: ClipSpec = WHISPER_CLIP;

  // Phase 1: the app's engine, in a fresh worker. The first repetition of each measurement is an untimed warm-up.
  log(`${spec.title}: AudioEngine on ${spec.modelId}`);
  await freshWorker(page);
  await call(page, 'makeClips', clipSpec);
  const engineLoad = await call(page, 'loadAudioEngine', { modelId: spec.modelId });
  const engineRuns = await call(page, 'whisperEngineScore', { prompts, reps: reps + 1 });
  const split = await call(page, 'whisperScorerSplit', { prompts, reps: reps + 1, keepInput: spec.native });
  const logMelRuns = await call(page, 'whisperLogMel', { seconds: LOG_MEL_SECONDS, reps: reps + 1 });

  // Phase 2: the naive loop with transformers.js's model API, in a fresh worker, on the same clip.
  log(`${spec.title}: model.forward once per label`);
  await freshWorker(page);
  await call(page, 'makeClips', clipSpec);
  const baselineLoad = await call(page, 'loadWhisperBaseline', { modelId: spec.modelId });
  const eotId = eosTokenId(spec.modelId);
  const naive = await call(page, 'whisperNaive', { promptIds: split.promptIds, labelIds: split.labelIds, eotId, reps: naiveReps + 1 });

  const engineTimed = timed(engineRuns.ms.slice(1));
  const naiveTimed = timed(naive.ms.slice(1));
  const featuresMs = split.featuresMs.slice(1);
  const encodeMs = split.encodeMs.slice(1);
  const scoreMs = split.scoreMs.slice(1);
  const totalMs = encodeMs.map((ms, index) => ms + (scoreMs[index] as number));
  const scorerOnly = { featuresMs, encodeMs, scoreMs, totalMs, medianMs: median(totalMs), decoderRuns: split.decoderRunsPerRep };
  const tiledMedianMs = median(split.tiledScoreMs.slice(1));
  const decoder = {
    cachedMedianMs: median(scoreMs),
    tiledMedianMs,
    tiledDecoderRuns: split.tiledDecoderRunsPerRep,
    speedupVsTiled: tiledMedianMs / median(scoreMs),
    scoresMaxAbsDiff: split.tiledScoresMaxAbsDiff,
  };

  let native: WhisperResult['native'] = null;
  if (spec.native) {
    // Phase 3: the same computation under onnxruntime-node, after the browser's threads are released.
    log(`${spec.title}: onnxruntime-node, same ONNX files`);
    await freshWorker(page);
    const clip = makeSyntheticClip(WHISPER_CLIP.kind, WHISPER_CLIP.seconds, WHISPER_CLIP.seed);
    const started = performance.now();
    const result = await nativeWhisperScoring({
      modelDir: modelDir(spec.modelId),
      samples: resample(downmixToMono([clip.samples]), clip.sampleRate, 16_000),
      promptIds: split.promptIds,
      labelIds: split.labelIds,
      eotId,
      threads: split.ortNumThreads,
      reps,
      warmupRuns: 1,
      browserFeatures: split.inputData,
    });
    log(`  native done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const nativeMedians = { featuresMedianMs: median(result.featuresMs), encodeMedianMs: median(result.encodeMs), scoreMedianMs: median(result.scoreMs), totalMedianMs: median(result.totalMs) };
    const browser = {
      featuresMedianMs: median(featuresMs),
      encodeMedianMs: median(encodeMs),
      scoreMedianMs: median(scoreMs),
      totalMedianMs: scorerOnly.medianMs,
      decoderRuns: split.decoderRunsPerRep,
      ortNumThreads: split.ortNumThreads,
      pthreadWorkersSpawned: split.pthreadWorkersSpawned,
    };
    native = {
      browser,
      native: { ...result, ...nativeMedians },
      ratio: nativeMedians.totalMedianMs / browser.totalMedianMs,
      encoderRatio: nativeMedians.encodeMedianMs / browser.encodeMedianMs,
      decoderRatio: nativeMedians.scoreMedianMs / browser.scoreMedianMs,
      scoresMaxAbsDiff: maxAbsDiff(result.scores, split.scores),
    };
  }

  const zero: AudioWorkerStats = { clipsEncoded: 0, encoderRuns: 0, decoderRuns: 0, labelRowsScored: 0, promptRuns: 0, textRuns: 0, textsEmbedded: 0, transcripts: 0, encoderCacheSize: 0, resamplings: 0 };
  const clip = makeSyntheticClip(WHISPER_CLIP.kind, WHISPER_CLIP.seconds, WHISPER_CLIP.seed);
  return {
    key: spec.key,
    title: spec.title,
    modelId: spec.modelId,
    labels: WHISPER_LABELS,
    prompts,
    clip: { kind: clip.kind, seconds: clip.seconds, sampleRate: clip.sampleRate },
    engineLoad,
    baselineLoad,
    batched: {
      engineWarmupMs: engineRuns.ms[0] as number,
      engine: engineTimed,
      engineStats: engineRuns.stats.slice(1).map((stats) => statsDelta(stats, zero)),
      transcript: engineRuns.transcript,
      scorerOnly,
      decoder,
      naiveWarmupMs: naive.ms[0] as number,
      naive: { ...naiveTimed, calls: WHISPER_LABELS.length },
      speedup: naiveTimed.medianMs / engineTimed.medianMs,
      speedupWithoutTranscription: naiveTimed.medianMs / scorerOnly.medianMs,
      scoresMaxAbsDiff: maxAbsDiff(naive.scores, engineRuns.scores),
    },
    native,
    logMel: logMelRuns.map((run) => {
      const fullMedianMs = median(run.fullMs.slice(1));
      const partialMedianMs = median(run.partialMs.slice(1));
      return { seconds: run.seconds, fullMedianMs, partialMedianMs, speedup: fullMedianMs / partialMedianMs, maxAbsDiff: run.maxAbsDiff };
    }),
  };
}

async function benchClap(page: Page, quick: boolean): Promise<Omit<ClapResult, 'run'>> {
  const reps = quick ? 2 : 5;
  const pipelineClips = quick ? 5 : CLAP_CLIPS.count;
  const { modelId } = CLAP_MODEL;

  log(`${CLAP_MODEL.title}: AudioEngine on ${modelId}, ${CLAP_CLIPS.count} clips`);
  await freshWorker(page);
  const made = await call(page, 'makeClips', CLAP_CLIPS);
  const engineLoad = await call(page, 'loadAudioEngine', { modelId });
  const rerank = await call(page, 'clapRerank', { labelsA: CLAP_LABELS_A, template: CLAP_TEMPLATE, reps });

  log(`${CLAP_MODEL.title}: pipeline('zero-shot-audio-classification') on ${pipelineClips} clips`);
  await freshWorker(page);
  await call(page, 'makeClips', CLAP_CLIPS);
  const pipelineLoad = await call(page, 'loadClapPipeline', { modelId });
  // An untimed call with the same labels on one clip first: the baseline gets a warm start too.
  const warm = await call(page, 'clapPipeline', { clips: 1, labels: rerank.labelsB, template: CLAP_TEMPLATE, reps: 1 });
  const pipe = await call(page, 'clapPipeline', { clips: pipelineClips, labels: rerank.labelsB, template: CLAP_TEMPLATE, reps: 1 });

  const engineTimed = timed(rerank.rerankMs);
  const pipelineMedianMs = median(pipe.ms);
  const scaledMedianMs = (pipelineMedianMs * CLAP_CLIPS.count) / pipelineClips;
  const perRerank = rerank.statsAfterEachRerank.map((stats, index) => statsDelta(stats, index === 0 ? rerank.statsAfterFirst : (rerank.statsAfterEachRerank[index - 1] as AudioWorkerStats)));
  return {
    key: CLAP_MODEL.key,
    title: CLAP_MODEL.title,
    modelId,
    clips: made.count,
    clipSeconds: { min: CLAP_CLIPS.minSeconds, max: CLAP_CLIPS.maxSeconds, total: made.totalSeconds },
    labelsA: CLAP_LABELS_A,
    labelsB: rerank.labelsB,
    template: CLAP_TEMPLATE,
    engineLoad,
    pipelineLoad,
    firstEmbedMs: rerank.firstEmbedMs,
    statsAfterFirst: statsOf(rerank.statsAfterFirst),
    engine: engineTimed,
    engineStatsPerRerank: perRerank,
    pipeline: { measuredClips: pipelineClips, warmupMs: warm.ms[0] as number, ms: pipe.ms, medianMs: pipelineMedianMs, scaledTo: CLAP_CLIPS.count, scaledMedianMs },
    speedup: scaledMedianMs / engineTimed.medianMs,
    probabilitiesMaxAbsDiff: pipe.probabilities.reduce((max, row, index) => Math.max(max, maxAbsDiff(row, rerank.probabilities[index] ?? [])), 0),
  };
}

/** The previous audio results with the figures of a new run put in (by key); the rest kept as they were. */
export function mergeAudioResults(previous: AudioResults | null, next: AudioResults, ran: readonly AudioKey[]): AudioResults {
  const byKey = new Map<string, WhisperResult>();
  for (const result of previous?.whisper ?? []) if (!ran.includes(result.key as AudioKey)) byKey.set(result.key, result);
  for (const result of next.whisper) byKey.set(result.key, result);
  const order = (key: string) => AUDIO_KEYS.indexOf(key as AudioKey);
  return {
    whisper: [...byKey.values()].sort((a, b) => order(a.key) - order(b.key)),
    clap: ran.includes('clap') ? next.clap : (previous?.clap ?? null),
    skipped: [...(previous?.skipped ?? []).filter((s) => !ran.includes(s.key as AudioKey)), ...next.skipped],
  };
}

/** Runs the selected audio figures; models with missing files are skipped (and listed). */
export async function benchAudio(page: Page, keys: readonly AudioKey[], quick: boolean): Promise<AudioResults> {
  const results: AudioResults = { whisper: [], clap: null, skipped: [] };
  for (const spec of WHISPER_MODELS.filter((model) => keys.includes(model.key))) {
    const absent = missing(spec.modelId, WHISPER_FILES);
    if (absent.length > 0) {
      log(`skipping ${spec.key}: missing ${absent.join(', ')} (run: /usr/bin/python3 tools/make_bench_whisper.py)`);
      results.skipped.push({ key: spec.key, missing: absent });
      continue;
    }
    results.whisper.push(await withRun(quick, () => benchWhisper(page, spec, quick)));
  }
  if (keys.includes('clap')) {
    const absent = missing(CLAP_MODEL.modelId, CLAP_FILES);
    if (absent.length > 0) {
      log(`skipping clap: missing ${absent.join(', ')} (run: /usr/bin/python3 tools/make_clap_models.py --which bench)`);
      results.skipped.push({ key: 'clap', missing: absent });
    } else {
      results.clap = await withRun(quick, () => benchClap(page, quick));
    }
  }
  return results;
}
