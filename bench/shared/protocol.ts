/**
 * Messages between the bench page (driven by the Node runner through Playwright) and the bench
 * worker, which runs the app's own worker code (loadClip, ClipEngine; loadAudio, AudioEngine) and the baselines.
 */
import type { WorkerStats } from '../../src/lib/workerReports';
import type { AudioWorkerStats } from '../../src/lib/workerReports';
import type { ClipKind } from './clips';
import type { RadiusRange, ShapeClass } from '../browser/images';

/** Model ids are resolved by transformers.js under `<origin>/models/` (see bench/node/server.ts). */
export interface BenchCommandMap {
  env: { args: Record<string, never>; result: BrowserEnvInfo };
  makeImages: { args: { count: number; side: number; seed: number }; result: { count: number; totalBytes: number } };
  loadEngine: { args: { modelId: string }; result: EngineLoadInfo };
  rerank: { args: { items: number; labelsA: string[]; template: string; reps: number }; result: RerankResult };
  engineBatched: { args: { items: number; label: string; template: string; reps: number }; result: TimedRuns & { stats: WorkerStats[] } };
  loadPipeline: { args: { modelId: string }; result: { loadMs: number; warmupMs: number } };
  pipelineAll: { args: { items: number; labels: string[]; template: string; reps: number }; result: TimedRuns };
  pipelineOneByOne: { args: { items: number; label: string; template: string; reps: number }; result: TimedRuns };
  // Grid search over templates (benchmark 1 of the prompt lab).
  makeLabelledImages: { args: { count: number; side: number; seed: number; classes: ShapeClass[]; radius: RadiusRange }; result: { count: number; totalBytes: number; truth: number[] } };
  gridEngine: { args: GridArgs & { maxFolds: number; seed: number; reps: number }; result: GridEngineRuns };
  gridPipeline: { args: GridArgs & { warmup: boolean }; result: GridPipelineRuns };
  visionThroughput: { args: { modelId: string; batch: number; minSeconds: number; reps: number; warmupRuns: number }; result: ThroughputResult };
  preprocessRuns: { args: PreprocessArgs; result: PreprocessRuns };
  heldOutComparison: { args: { url: string; template: string; limit: number }; result: HeldOutResult };
  // Audio (bench/browser/audioBench.ts).
  makeClips: { args: ClipSpec; result: { count: number; totalSeconds: number; kinds: ClipKind[] } };
  loadAudioEngine: { args: { modelId: string }; result: EngineLoadInfo };
  whisperEngineScore: { args: { prompts: string[]; reps: number }; result: WhisperEngineRuns };
  whisperScorerSplit: { args: { prompts: string[]; reps: number; keepInput: boolean }; result: WhisperSplitRuns };
  whisperLogMel: { args: { seconds: number[]; reps: number }; result: WhisperLogMelRuns[] };
  loadWhisperBaseline: { args: { modelId: string }; result: { loadMs: number; warmupMs: number } };
  whisperNaive: { args: { promptIds: number[]; labelIds: number[][]; eotId: number; reps: number }; result: TimedRuns & { scores: number[] } };
  clapRerank: { args: { labelsA: string[]; template: string; reps: number }; result: AudioRerankResult };
  loadClapPipeline: { args: { modelId: string }; result: { loadMs: number; warmupMs: number } };
  clapPipeline: { args: { clips: number; labels: string[]; template: string; reps: number }; result: TimedRuns & { probabilities: number[][] } };
  // q8 on WASM (bench/browser/q8Bench.ts): each q8Throughput in a fresh worker (it sets ORT's threads).
  q8Throughput: { args: { modelId: string; dtype: 'fp32' | 'q8'; threads: number; batch: number; minSeconds: number; reps: number; warmupRuns: number }; result: Q8ThroughputResult };
  // Live mode's pure-model rates (bench/browser/liveBench.ts).
  liveVisionRate: { args: { modelId: string; minSeconds: number; reps: number; warmupRuns: number }; result: LiveVisionRate };
  liveWhisperWindowRate: { args: { modelId: string; windowSeconds: number; prompts: string[]; reps: number; warmupRuns: number }; result: LiveWhisperWindowRate };
  q8MatMul: { args: { modelId: string; dtype: 'fp32' | 'q8'; rows: number; depth: number; minSeconds: number; reps: number }; result: Q8MatMulResult };
}

export interface Q8ThroughputResult {
  /** Images per second, one figure per repetition. */
  imagesPerSecond: number[];
  inputDims: number[];
  /** The embeddings of the first run, for the check against onnxruntime-node on the same input. */
  outputDims: number[];
  output: number[];
  loadMs: number;
  ortNumThreads: number;
  pthreadWorkersSpawned: number;
  /** Whether this browser validates relaxed-SIMD WebAssembly (ORT-web's own probe). */
  relaxedSimdSupported: boolean;
}

/** The vision tower's session.run at batch 1, as the app's loadClip created it. */
export interface LiveVisionRate {
  /** Mean milliseconds per run, one figure per repetition. */
  msPerRun: number[];
  inputDims: number[];
  dtype: string;
  backend: string;
  loadMs: number;
  ortNumThreads: number;
  pthreadWorkersSpawned: number;
}

/** One audio window's Whisper work (encode + score, then the transcription apart), per repetition. */
export interface LiveWhisperWindowRate {
  scoreMs: number[];
  transcribeMs: number[];
  /** What the last repetition transcribed (synthetic noise bursts: whatever the model makes of them). */
  transcript: string;
  windowSeconds: number;
  loadMs: number;
  ortNumThreads: number;
  pthreadWorkersSpawned: number;
}

export interface Q8MatMulResult {
  /** Wall-clock milliseconds per session.run, one figure per repetition. */
  msPerRun: number[];
  ortNumThreads: number;
}

/** Synthetic clips the worker draws (bench/shared/clips.ts): `count` clips of min–max seconds, or one clip of a kind. */
export type ClipSpec =
  | { count: number; seed: number; minSeconds: number; maxSeconds: number }
  | { kind: ClipKind; seconds: number; seed: number };

/** `ms`: score request, then the transcribe request the app sends after it, until the transcript is there. */
export interface WhisperEngineRuns extends TimedRuns {
  /** The same runs until the scores were there (the transcript follows them). */
  scoresMs: number[];
  /** Engine stats after each repetition (a fresh AudioEngine each time: its caches start empty). */
  stats: AudioWorkerStats[];
  /** Raw label scores of the last repetition, and the greedy transcript the engine made of the clip. */
  scores: number[];
  transcript: string;
}

/** The log-mel of the first `seconds` of the clip: the full 30 s extractor vs whisperLogMel (the app's, real frames only). */
export interface WhisperLogMelRuns {
  seconds: number;
  fullMs: number[];
  partialMs: number[];
  /** The two feature arrays' max |difference| (the unit test's bar is 1e-6). */
  maxAbsDiff: number;
}

export interface WhisperSplitRuns {
  /** The log-mel alone (transformers.js's WhisperFeatureExtractor, as inside encode), per repetition. */
  featuresMs: number[];
  /** WhisperScorer.encode (log-mel + encoder, no transcription) per repetition. */
  encodeMs: number[];
  /** WhisperScorer.score (the batched decoder calls + log-prob maths) per repetition. */
  scoreMs: number[];
  decoderRunsPerRep: number;
  /** The same window scored again with the reference decoder strategy (tiled encoder output, every row from the first prompt token), per repetition. */
  tiledScoreMs: number[];
  tiledDecoderRunsPerRep: number;
  /** Largest score difference, tiled vs the default (cached cross-attention), over every repetition and both score rules. */
  tiledScoresMaxAbsDiff: number;
  scores: number[];
  /** What the Node side needs to run the same computation natively. */
  promptIds: number[];
  labelIds: number[][];
  /** The log-mel input of the first repetition, when asked for: [1, 80, 3000]. */
  inputDims: number[];
  inputData: number[] | null;
  ortNumThreads: number;
  pthreadWorkersSpawned: number;
}

export interface AudioRerankResult {
  /** First score call (labels A): every clip through the audio tower. */
  firstEmbedMs: number;
  statsAfterFirst: AudioWorkerStats;
  /** Each repetition: labels A with one label changed and one added (fresh words each time). */
  rerankMs: number[];
  statsAfterEachRerank: AudioWorkerStats[];
  labelsB: string[];
  /** softmax of the engine's raw scores for labels B, per clip (last repetition). */
  probabilities: number[][];
}

export type BenchCommand = keyof BenchCommandMap;

export interface BenchRequest<C extends BenchCommand = BenchCommand> {
  id: number;
  command: C;
  args: BenchCommandMap[C]['args'];
}

export type BenchReply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };

export interface BrowserEnvInfo {
  userAgent: string;
  crossOriginIsolated: boolean;
  hardwareConcurrency: number;
  /** `env.backends.onnx.wasm.numThreads` as set by the app's configureOrtRuntime(). */
  configuredThreads: number;
  /** The bench's `onnxruntime-web/webgpu` import is the very ORT instance transformers.js runs on. */
  sameOrtInstance: boolean;
}

export interface EngineLoadInfo {
  backend: string;
  dtype: string;
  threads: number;
  loadMs: number;
  warmupMs: number;
  /** ORT's own value after its WASM runtime initialised (it resets to 1 without cross-origin isolation). */
  ortNumThreadsAfterInit: number;
  /** Worker threads spawned inside the bench worker since it started: ORT's pthread pool (numThreads - 1). */
  pthreadWorkersSpawned: number;
}

export interface TimedRuns {
  /** Wall-clock milliseconds per repetition. */
  ms: number[];
}

export interface RerankResult {
  /** First classify (labels A): every image through the vision model. */
  firstEmbedMs: number;
  statsAfterFirst: WorkerStats;
  /** Each repetition: labels A with one label changed and one added (fresh words each time). */
  rerankMs: number[];
  /** Engine stats after each re-rank: visionRuns must not move, textsEmbedded grows by 2 per re-rank. */
  statsAfterEachRerank: WorkerStats[];
  promptsPerRerank: number;
  labelsB: string[];
}

export interface ThroughputResult {
  /** Images per second, one figure per repetition. */
  imagesPerSecond: number[];
  inputName: string;
  inputDims: number[];
  ortNumThreads: number;
  pthreadWorkersSpawned: number;
  crossOriginIsolated: boolean;
}

/** The grid search's inputs: class labels (plain, one alternative each) and candidate templates (each with `{}`). */
export interface GridArgs {
  labels: string[];
  templates: string[];
}

/** What one grid-search configuration scored, as the lab's worker reports it. */
export interface GridConfigSummary {
  templates: number;
  accuracy: number;
  cvAccuracy: number | null;
}

export interface GridEngineRuns {
  /** The untimed classify that put every image through the vision model first ("cached images"). */
  embedImagesMs: number;
  imagesEmbedded: number;
  /** Wall-clock per runGridSearch call; the first one is a warm-up (not counted). Each with a fresh text cache. */
  ms: number[];
  /** Per call, the two stages its progress events separate: the prompts through the text model, then the search (with CV). */
  embedPromptsMs: number[];
  searchMs: number[];
  /** Per call: prompts through the text model, text-model runs, and vision runs (must be 0). */
  perCall: Array<{ textsEmbedded: number; textRuns: number; visionRuns: number }>;
  /** Of the last call, per template in input order: the single-template accuracy. */
  singleAccuracies: number[];
  ensemble: GridConfigSummary;
  greedy: GridConfigSummary & { chosen: string[] };
  bestSingle: GridConfigSummary & { chosen: string[] };
  singleCvAccuracies: Array<number | null>;
  folds: number | null;
  evaluated: number;
}

export interface GridPipelineRuns {
  /** The untimed call first, when asked for (the first template over every image): the pipeline's warm start; else 0. */
  warmupMs: number;
  /** Per template in input order: wall-clock of its one pipeline call over every image. */
  ms: number[];
  /** Per template: the predicted class (index into labels: the pipeline's top label) of every image. */
  predictions: number[][];
  /** Per template: images whose top two scores were exactly equal (the pipeline's order decides them). */
  exactTies: number[];
}

/** The preprocessing figures (bench/browser/preprocessBench.ts). */
export interface PreprocessArgs {
  items: number;
  /** Repetitions of the app-vs-session.run pair. */
  reps: number;
  /** Of those, how many also run the stage-by-stage pass (it runs the tower twice per batch). */
  stageReps: number;
  prompt: string;
}

/** Milliseconds over all the run's images, per stage, each stage awaited on its own. */
export interface StageTimes {
  /** SHA-256 of the file's bytes (crypto.subtle; the app hashes on the page, before the worker). */
  hashMs: number;
  /** createImageBitmap + OffscreenCanvas, the batch's files at once (native: drawn at the model's size). */
  decodeMs: number;
  /** To the batch's [n, 3, h, w] tensor: transformers.js's processor (exact) or the plan's crop/normalise (native). */
  preprocessMs: number;
  /** The vision model through transformers.js, as the engine calls it. */
  visionMs: number;
  /** ORT's session.run alone on the same input. */
  sessionRunMs: number;
  /** Unit rows into the embedding matrix, and the IndexedDB write (awaited here; the engine does not wait for it). */
  storeMs: number;
}

export interface PreprocessRuns {
  images: number;
  batch: number;
  inputDims: number[];
  /** False when the model's processor config asks for steps the native path does not do (exact only). */
  nativePlan: boolean;
  stages: { exact: StageTimes[]; native: StageTimes[] };
  /** ClipEngine.classify on a fresh engine (prompt already embedded), all images, per repetition. */
  appMs: { exact: number[]; native: number[] };
  /** session.run alone over the same batches of the app's own pixels, per repetition. */
  sessionRunMs: number[];
}

export interface HeldOutResult {
  images: number;
  classes: number;
  template: string;
  top1Agreement: number;
  accuracyExact: number;
  accuracyNative: number;
  maxAbsProbDelta: number;
  meanAbsProbDelta: number;
  /** At the exact path's top label. */
  maxAbsTopProbDelta: number;
  msExact: number;
  msNative: number;
}
