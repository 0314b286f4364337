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

const MODELS_ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '../../../../public/models/');
const MODEL_ID = 'builtin/whisper-words';
const NO_COUNTERS = () => ({ decoderRuns: 0, labelRowsScored: 0, textRuns: 0, textsEmbedded: 0 });

let scorer: WhisperScorer;
let model: WhisperForConditionalGeneration;
let tokenizer: PreTrainedTokenizer;
let featureExtractor: FeatureExtractor;
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
  });

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
  });
});
