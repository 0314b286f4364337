import { basename, dirname } from 'node:path';
import * as ort from 'onnxruntime-node';
import { AutoFeatureExtractor, env as transformersEnv, type Tensor as TransformersTensor } from '@huggingface/transformers';
import { buildDecoderBatch, labelColumns, scoreDecoderBatchAfterPromptByRule } from '../../src/lib/audioScoring';

export interface NativeWhisperResult {
  /** The log-mel alone (inside encodeMs), per repetition. */
  featuresMs: number[];
  /** Log-mel (transformers.js's WhisperFeatureExtractor, in Node) + encoder session, per repetition. */
  encodeMs: number[];
  /** The prompt run (batch 1) + one decoder call over the label rows after its cache + the log-prob maths, per repetition. */
  scoreMs: number[];
  totalMs: number[];
  scores: number[];
  /** Largest difference between the Node log-mel and the browser's (same samples, same JS code). */
  featuresMaxAbsDiffVsBrowser: number | null;
  decoderRows: number;
  decoderLength: number;
  intraOpNumThreads: number;
  ortVersion: string;
}

/** Empty past key/values (sequence length 0) for the merged decoder's first pass, as transformers.js builds them. */
function emptyPast(session: ort.InferenceSession, rows: number): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const meta of session.inputMetadata) {
    if (!meta.isTensor || !meta.name.startsWith('past_key_values.')) continue;
    const dims = meta.shape.map((dim, index) => (typeof dim === 'number' ? dim : index === 0 ? rows : 0));
    feeds[meta.name] = new ort.Tensor('float32', new Float32Array(0), dims);
  }
  return feeds;
}

/** The prompt run's present.N… outputs as the past_key_values.N… inputs of the label call: self-attention tiled over the rows, cross-attention as it is (the decoder's MatMuls broadcast it). */
function pastForRows(present: ort.InferenceSession.OnnxValueMapType, rows: number): Record<string, ort.Tensor> {
  const past: Record<string, ort.Tensor> = {};
  for (const [name, tensor] of Object.entries(present)) {
    if (!name.startsWith('present.')) continue;
    const pastName = `past_key_values.${name.slice('present.'.length)}`;
    if (name.includes('.encoder.') || rows === 1) {
      past[pastName] = tensor;
      continue;
    }
    const single = tensor.data as Float32Array;
    const tiled = new Float32Array(rows * single.length);
    for (let row = 0; row < rows; row++) tiled.set(single, row * single.length);
    past[pastName] = new ort.Tensor('float32', tiled, [rows, ...tensor.dims.slice(1)]);
  }
  return past;
}

/**
 * The computation the app's WhisperScorer does for a new clip (without its transcription), under
 * onnxruntime-node with the same ONNX files: log-mel, encoder once, the prompt tokens once with
 * batch 1 (use_cache_branch false), then ONE decoder call over the right-padded label columns
 * (the app's buildDecoderBatch / labelColumns) after the prompt's cache (use_cache_branch true),
 * and the label log-probs (the app's scoreDecoderBatchAfterPromptByRule).
 */
export async function nativeWhisperScoring(options: {
  modelDir: string;
  /** Mono samples at 16 kHz: the clip as the engine hands it to the scorer. */
  samples: Float32Array;
  promptIds: number[];
  labelIds: number[][];
  eotId: number;
  threads: number;
  reps: number;
  warmupRuns: number;
  browserFeatures: number[] | null;
}): Promise<NativeWhisperResult> {
  const { modelDir, samples, promptIds, labelIds, eotId, threads, reps, warmupRuns, browserFeatures } = options;
  transformersEnv.allowRemoteModels = false;
  transformersEnv.allowLocalModels = true;
  transformersEnv.localModelPath = `${dirname(modelDir)}/`;
  const featureExtractor = await AutoFeatureExtractor.from_pretrained(basename(modelDir));
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  };
  const encoder = await ort.InferenceSession.create(`${modelDir}/onnx/encoder_model.onnx`, sessionOptions);
  const decoder = await ort.InferenceSession.create(`${modelDir}/onnx/decoder_model_merged.onnx`, sessionOptions);
  const batch = buildDecoderBatch(promptIds, labelIds, eotId);
  const columns = labelColumns(batch);
  const promptInputIds = new ort.Tensor('int64', BigInt64Array.from(promptIds, (id) => BigInt(id)), [1, promptIds.length]);
  const labelInputIds = new ort.Tensor('int64', BigInt64Array.from(columns.ids, (id) => BigInt(id)), [batch.rows, columns.length]);
  const emptyPromptPast = emptyPast(decoder, 1);

  let featuresMaxAbsDiffVsBrowser: number | null = null;
  const once = async () => {
    const started = performance.now();
    const { input_features } = (await featureExtractor(samples)) as { input_features: TransformersTensor };
    const features = input_features.data as Float32Array;
    const featuresAt = performance.now();
    if (browserFeatures && featuresMaxAbsDiffVsBrowser === null) {
      featuresMaxAbsDiffVsBrowser = 0;
      for (let i = 0; i < features.length; i++) featuresMaxAbsDiffVsBrowser = Math.max(featuresMaxAbsDiffVsBrowser, Math.abs((features[i] as number) - (browserFeatures[i] as number)));
    }
    const { last_hidden_state: hidden } = await encoder.run({ input_features: new ort.Tensor('float32', features, input_features.dims) });
    if (!hidden || hidden.dims.length !== 3) throw new Error('the encoder returned no last_hidden_state');
    const encodedAt = performance.now();
    const promptOutput = await decoder.run({
      input_ids: promptInputIds,
      encoder_hidden_states: hidden,
      use_cache_branch: new ort.Tensor('bool', [false], [1]),
      ...emptyPromptPast,
    });
    const promptLogits = promptOutput.logits;
    if (!promptLogits) throw new Error('the decoder returned no logits for the prompt');
    const vocabSize = promptLogits.dims.at(-1) as number;
    const promptLastLogits = (promptLogits.data as Float32Array).subarray((promptIds.length - 1) * vocabSize, promptIds.length * vocabSize);
    const output = await decoder.run({
      input_ids: labelInputIds,
      encoder_hidden_states: hidden,
      use_cache_branch: new ort.Tensor('bool', [true], [1]),
      ...pastForRows(promptOutput, batch.rows),
    });
    const logits = output.logits;
    if (!logits) throw new Error('the decoder returned no logits');
    const scores = scoreDecoderBatchAfterPromptByRule(batch, promptLastLogits, logits.data as Float32Array, vocabSize).mean;
    for (const tensor of Object.values(promptOutput)) tensor.dispose();
    for (const tensor of Object.values(output)) tensor.dispose();
    hidden.dispose();
    const done = performance.now();
    return { featuresMs: featuresAt - started, encodeMs: encodedAt - started, scoreMs: done - encodedAt, scores };
  };

  for (let i = 0; i < warmupRuns; i++) await once();
  const featuresMs: number[] = [];
  const encodeMs: number[] = [];
  const scoreMs: number[] = [];
  let scores: Float32Array = new Float32Array(0);
  for (let rep = 0; rep < reps; rep++) {
    const run = await once();
    featuresMs.push(run.featuresMs);
    encodeMs.push(run.encodeMs);
    scoreMs.push(run.scoreMs);
    scores = run.scores;
  }
  await encoder.release();
  await decoder.release();
  return {
    featuresMs,
    encodeMs,
    scoreMs,
    totalMs: encodeMs.map((ms, index) => ms + (scoreMs[index] as number)),
    scores: Array.from(scores),
    featuresMaxAbsDiffVsBrowser,
    decoderRows: batch.rows,
    decoderLength: batch.length,
    intraOpNumThreads: threads,
    ortVersion: ort.env.versions.node ?? 'unknown',
  };
}
