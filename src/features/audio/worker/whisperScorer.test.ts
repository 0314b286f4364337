/**
 * The Whisper scorer against the real built-in model, in Node (transformers.js on
 * onnxruntime-node): a transcription reuses the encoder output it was given, batched label
 * scores equal one label at a time, and a spoken-word-like input is scored for every label.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AutoFeatureExtractor,
  AutoTokenizer,
  Tensor,
  WhisperForConditionalGeneration,
  env,
  type FeatureExtractor,
  type PreTrainedTokenizer,
} from '@huggingface/transformers';
import { beforeAll, describe, expect, it } from 'vitest';
import { WhisperScorer } from './whisperScorer';
import type { ScoresByRule } from '../../../lib/audioScoring';

const MODELS_ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '../../../../public/models/');
const MODEL_ID = 'builtin/whisper-words';
const NO_COUNTERS = () => ({ decoderRuns: 0, labelRowsScored: 0, promptRuns: 0, textRuns: 0, textsEmbedded: 0 });

let scorer: WhisperScorer;
let model: WhisperForConditionalGeneration;
let tokenizer: PreTrainedTokenizer;
let featureExtractor: FeatureExtractor;
/** Same model, a memory bound per decoder call that takes ~8 label rows, each cross-attention feed. */
let smallCallScorers: Record<'broadcast' | 'tiled', WhisperScorer>;
let freshScorer: () => WhisperScorer;
let encoderRuns = 0;

beforeAll(async () => {
  env.localModelPath = MODELS_ROOT;
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  const loaded = await WhisperForConditionalGeneration.from_pretrained(MODEL_ID, { dtype: 'fp32' });
  if (!(loaded instanceof WhisperForConditionalGeneration)) throw new Error('not a Whisper model');
  model = loaded;
  // Count encoder-session runs to see what the scorer really executes.
  const session = model.sessions.model as { run: (...args: unknown[]) => Promise<unknown> };
  const run = session.run.bind(session);
  session.run = (...args: unknown[]) => {
    encoderRuns++;
    return run(...args);
  };
  tokenizer = await AutoTokenizer.from_pretrained(MODEL_ID);
  featureExtractor = await AutoFeatureExtractor.from_pretrained(MODEL_ID);
  scorer = new WhisperScorer(model, tokenizer, featureExtractor, true);
  freshScorer = () => new WhisperScorer(model, tokenizer, featureExtractor, true);
  const maxDecoderCallBytes = 16 * 2 ** 20;
  smallCallScorers = {
    broadcast: new WhisperScorer(model, tokenizer, featureExtractor, true, { maxDecoderCallBytes, crossAttentionFeed: 'broadcast' }),
    tiled: new WhisperScorer(model, tokenizer, featureExtractor, true, { maxDecoderCallBytes, crossAttentionFeed: 'tiled' }),
  };
}, 60_000);

function tone(seconds: number): Float32Array {
  const samples = new Float32Array(Math.round(seconds * 16_000));
  for (let i = 0; i < samples.length; i++) samples[i] = 0.2 * Math.sin((2 * Math.PI * 220 * i) / 16_000) * Math.sin((Math.PI * i) / samples.length);
  return samples;
}

/** A voiced, word-length sound: the built-in model writes something for it (for silence it writes nothing). */
function speechLike(): Float32Array {
  const samples = new Float32Array(16_000);
  for (let i = 0; i < samples.length; i++) {
    const t = i / 16_000;
    const envelope = Math.sin(Math.PI * Math.min(1, t / 0.6));
    samples[i] = 0.3 * envelope * (Math.sin(2 * Math.PI * 140 * t) + 0.5 * Math.sin(2 * Math.PI * 700 * t) + 0.3 * Math.sin(2 * Math.PI * 1200 * t));
  }
  return samples;
}

function expectSameScores(actual: ScoresByRule, expected: ScoresByRule, tolerance: number): void {
  for (const rule of ['mean', 'sum-with-eot'] as const) {
    expect(actual[rule]).toHaveLength(expected[rule].length);
    actual[rule].forEach((score, index) => expect(Math.abs(score - expected[rule][index]!)).toBeLessThanOrEqual(tolerance));
  }
}

describe('WhisperScorer (built-in model, Node)', () => {
  it("transcribes from the window's cached encoder output: one encoder run, the same text as transformers.js's own generate", async () => {
    const samples = speechLike();
    const before = encoderRuns;
    const { encoded, input } = await scorer.encode(samples, { keepInput: true });
    const transcript = await scorer.transcribe(encoded, () => false);
    expect(encoderRuns - before, 'encode + transcribe run the encoder once').toBe(1);
    expect(input?.dims).toEqual([1, 80, 3000]);

    // The reference: generate() from the log-mel, running the encoder itself.
    const { input_features } = (await featureExtractor(samples)) as { input_features: Tensor };
    const generated = await model.generate({ inputs: input_features, max_new_tokens: 128, language: 'en', task: 'transcribe' } as Parameters<typeof model.generate>[0]);
    if (!(generated instanceof Tensor)) throw new Error('generate returned no token ids');
    const expected = tokenizer.decode(Array.from(generated.data as BigInt64Array, Number), { skip_special_tokens: true }).trim();
    expect(encoderRuns - before).toBe(2);
    // Non-empty (the built-in model hears a word in it), so the comparison says something.
    expect(expected.length).toBeGreaterThan(0);
    expect(transcript).toBe(expected);
  }, 60_000);

  it('a cancelled transcription stops and gives nothing', async () => {
    const { encoded } = await scorer.encode(speechLike(), { keepInput: false });
    expect(await scorer.transcribe(encoded, () => true)).toBeNull();
  });

  it('a cancel that arrives as a task during transcription (the worker\'s message handler) is seen while it decodes, and it gives nothing', async () => {
    const { encoded } = await scorer.encode(speechLike(), { keepInput: false });
    const decoder = model.sessions.decoder_model_merged as { run: (...args: unknown[]) => Promise<unknown> };
    const ownRun = decoder.run;
    let decoderSteps = 0;
    decoder.run = (...args: unknown[]) => {
      decoderSteps++;
      return ownRun.apply(decoder, args);
    };
    try {
      const full = await freshScorer().transcribe(encoded, () => false);
      const fullSteps = decoderSteps;
      expect(full).not.toBeNull();
      expect(fullSteps).toBeGreaterThanOrEqual(2);
      decoderSteps = 0;
      // The cancel is a message waiting in the queue, as the worker's is (its handler sets the flag).
      let stepsWhenCancelled: number | null = null;
      const channel = new MessageChannel();
      channel.port1.onmessage = () => (stepsWhenCancelled = decoderSteps);
      channel.port2.postMessage('cancel');
      expect(await freshScorer().transcribe(encoded, () => stepsWhenCancelled !== null)).toBeNull();
      channel.port1.close();
      // The cancel got in while the transcript was being decoded, not after it.
      expect(stepsWhenCancelled).not.toBeNull();
      expect(stepsWhenCancelled ?? Infinity).toBeLessThan(fullSteps);
      expect(decoderSteps).toBeLessThanOrEqual(fullSteps);
    } finally {
      decoder.run = ownRun;
    }
  }, 60_000);

  it("forgets a window's prompt state when the engine drops the window, and warm-up keeps none", async () => {
    const forgetting = freshScorer();
    await forgetting.warmUp();
    expect(forgetting.promptStateCache).toEqual({ size: 0, bytes: 0 });
    const { encoded } = await forgetting.encode(tone(1), { keepInput: false });
    await forgetting.score(encoded, [' yes'], NO_COUNTERS());
    expect(forgetting.promptStateCache.size).toBe(1);
    expect(forgetting.promptStateCache.bytes).toBeGreaterThan(0);
    const runs = forgetting.promptRuns;
    forgetting.forgetWindow(encoded);
    expect(forgetting.promptStateCache).toEqual({ size: 0, bytes: 0 });
    // Scored again, the window runs its prompt again (the state really went).
    await forgetting.score(encoded, [' no'], NO_COUNTERS());
    expect(forgetting.promptRuns).toBe(runs + 1);
  }, 60_000);

  it('scores all labels in batched decoder calls exactly as one label at a time', async () => {
    const { encoded } = await scorer.encode(tone(1), { keepInput: false });
    const prompts = [' yes', ' no', ' stop', ' [left]', ' This is a sound of go.'];
    const counters = NO_COUNTERS();
    const { mean: batched, 'sum-with-eot': batchedSums } = await scorer.score(encoded, prompts, counters);
    expect(counters.decoderRuns).toBe(1);
    expect(counters.labelRowsScored).toBe(prompts.length);
    for (const [index, prompt] of prompts.entries()) {
      const single = await scorer.score(encoded, [prompt], NO_COUNTERS());
      expect(batched[index]).toBeCloseTo(single.mean[0]!, 4);
      expect(batchedSums[index]).toBeCloseTo(single['sum-with-eot'][0]!, 4);
    }
    // Log-probs: finite and at most 0.
    for (const score of batched) expect(score).toBeLessThanOrEqual(0);
  }, 60_000);

  it('scores with the cross-attention cached per window exactly as the tiled batch, over labels of different lengths and several calls', async () => {
    const { encoded } = await scorer.encode(tone(2), { keepInput: false });
    const words = ['yes', 'no', 'up', 'down', 'left', 'right', 'on', 'off', 'stop', 'go'];
    const prompts = words.flatMap((word) => [` ${word}`, ` [${word}]`, ` This is a sound of ${word}.`, ` ${word} ${word}, and then ${word} again`]);
    expect(new Set(prompts.map((prompt) => scorer.labelTokenIds(prompt).length)).size).toBeGreaterThanOrEqual(3);
    const tiled = await scorer.scoreWith('tiled', encoded, prompts, NO_COUNTERS());

    const checking = freshScorer();
    const counters = NO_COUNTERS();
    const cached = await checking.scoreWith('cached-cross-attention', encoded, prompts, counters);
    // This export's attention broadcasts the batch-1 cross-attention cache (checked on first use: two prompt runs, then the window's).
    expect(checking.crossAttentionFeed).toBe('broadcast');
    expect(checking.promptRuns).toBe(3);
    // The worker's stats count them too (the broadcast check's included).
    expect(counters.promptRuns).toBe(3);
    await checking.score(encoded, [' no'], NO_COUNTERS());
    expect(checking.promptRuns).toBe(3);
    const promptRunsBefore = scorer.promptRuns;
    expect(counters.labelRowsScored).toBe(prompts.length);
    expectSameScores(cached, tiled, 1e-4);

    // More rows than one call takes, with the cache broadcast or tiled along the batch.
    for (const feed of ['broadcast', 'tiled'] as const) {
      const feedScorer = smallCallScorers[feed];
      const feedCounters = NO_COUNTERS();
      const scores = await feedScorer.scoreWith('cached-cross-attention', encoded, prompts, feedCounters);
      expect(feedScorer.crossAttentionFeed).toBe(feed);
      expect(feedCounters.decoderRuns).toBeGreaterThan(2);
      expect(feedCounters.labelRowsScored).toBe(prompts.length);
      expect(feedScorer.promptRuns).toBe(1);
      expectSameScores(scores, tiled, 1e-4);
    }

    // The default strategy is the cached one, and its prompt state is kept: a label edit on this
    // window runs no prompt (no cross-attention) again.
    expect(scorer.decoderStrategy).toBe('cached-cross-attention');
    await scorer.score(encoded, [' yes'], NO_COUNTERS());
    expect(scorer.promptRuns - promptRunsBefore).toBe(1);
    const edit = await scorer.score(encoded, [' maybe', ' left'], NO_COUNTERS());
    expect(scorer.promptRuns - promptRunsBefore).toBe(1);
    expect(Math.abs(edit.mean[1]! - cached.mean[prompts.indexOf(' left')]!)).toBeLessThanOrEqual(1e-5);
    // Another window is another prompt run, and its scores differ (the cache is the window's own).
    const { encoded: other } = await scorer.encode(tone(0.5).map((x) => -3 * x), { keepInput: false });
    const otherScores = await scorer.score(other, [' left'], NO_COUNTERS());
    expect(scorer.promptRuns - promptRunsBefore).toBe(2);
    expect(Math.abs(otherScores.mean[0]! - edit.mean[1]!)).toBeGreaterThan(1e-4);
    expectSameScores(otherScores, await scorer.scoreWith('tiled', other, [' left'], NO_COUNTERS()), 1e-4);
  }, 120_000);

  it("pools the encoder output over the positions that hold the clip's audio, not the 30 s padding", async () => {
    const { encoded, pooled } = await scorer.encode(tone(3), { keepInput: false });
    const { hidden, positions, width } = encoded;
    expect(pooled).toHaveLength(width);
    // 3 s of a 30 s window: a tenth of the positions.
    const covered = Math.ceil(positions / 10);
    const meanOfRows = (rows: number) =>
      Array.from({ length: width }, (_, k) => {
        let sum = 0;
        for (let row = 0; row < rows; row++) sum += hidden[row * width + k]!;
        return sum / rows;
      });
    const expected = meanOfRows(covered);
    pooled.forEach((value, k) => expect(value).toBeCloseTo(expected[k]!, 4));
    // Pooling the padding too would give something else.
    const everything = meanOfRows(positions);
    expect(Math.max(...everything.map((value, k) => Math.abs(value - pooled[k]!)))).toBeGreaterThan(1e-3);
  }, 60_000);
});
