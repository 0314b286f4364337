/**
 * An independent Node reference for the app's Whisper scores: onnxruntime-node runs the model's
 * own ONNX encoder and merged decoder on the exact log-mel features the app computed (debug API),
 * one label at a time (no batching, no padding), and takes the mean log-softmax probability of the
 * label's tokens, the app's default score.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { AutoTokenizer, env } from '@huggingface/transformers';
import { MODELS_ROOT } from './hub-server';

type Tokenizer = Awaited<ReturnType<typeof AutoTokenizer.from_pretrained>>;

interface WhisperConfig {
  d_model: number;
  decoder_attention_heads: number;
  decoder_layers: number;
  eos_token_id: number;
}

interface GenerationConfig {
  decoder_start_token_id: number;
  begin_suppress_tokens?: number[];
  suppress_tokens?: number[];
  no_timestamps_token_id: number;
  lang_to_id: Record<string, number>;
  task_to_id: Record<string, number>;
}

function logSoftmaxAt(row: Float32Array, token: number): number {
  let max = -Infinity;
  for (const x of row) max = Math.max(max, x);
  let total = 0;
  for (const x of row) total += Math.exp(x - max);
  return row[token]! - max - Math.log(total);
}

export class WhisperReference {
  private constructor(
    private readonly encoder: ort.InferenceSession,
    private readonly decoder: ort.InferenceSession,
    private readonly tokenizer: Tokenizer,
    private readonly config: WhisperConfig,
    readonly promptIds: number[],
    private readonly generation: GenerationConfig,
  ) {}

  /** `dtype` q8 reads onnx/*_quantized.onnx, as transformers.js does for `dtype: 'q8'`. */
  static async load(modelId: string, modelsRoot = MODELS_ROOT, dtype: 'fp32' | 'fp16' | 'q8' = 'fp32'): Promise<WhisperReference> {
    const dir = join(modelsRoot, modelId);
    env.localModelPath = modelsRoot + '/';
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    const tokenizer = await AutoTokenizer.from_pretrained(modelId, { local_files_only: true });
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as WhisperConfig;
    const generation = JSON.parse(readFileSync(join(dir, 'generation_config.json'), 'utf8')) as GenerationConfig;
    const promptIds = [
      generation.decoder_start_token_id,
      generation.lang_to_id['<|en|>']!,
      generation.task_to_id['transcribe']!,
      generation.no_timestamps_token_id,
    ];
    const options: ort.InferenceSession.SessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1 };
    const suffix = { fp32: '', fp16: '_fp16', q8: '_quantized' }[dtype];
    const encoder = await ort.InferenceSession.create(join(dir, 'onnx', `encoder_model${suffix}.onnx`), options);
    const decoder = await ort.InferenceSession.create(join(dir, 'onnx', `decoder_model_merged${suffix}.onnx`), options);
    return new WhisperReference(encoder, decoder, tokenizer, config, promptIds, generation);
  }

  private async encode(features: { dims: readonly number[]; data: ArrayLike<number> }): Promise<ort.Tensor> {
    const input = new ort.Tensor('float32', Float32Array.from(features.data), [...features.dims]);
    const { last_hidden_state: hidden } = await this.encoder.run({ input_features: input });
    if (!hidden) throw new Error('encoder returned no last_hidden_state');
    return hidden;
  }

  /** The decoder on the whole sequence, no cache: logits [ids.length, vocab]. */
  private async decode(hidden: ort.Tensor, ids: readonly number[]): Promise<{ vocab: number; data: Float32Array }> {
    const heads = this.config.decoder_attention_heads;
    const headDim = this.config.d_model / heads;
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, (id) => BigInt(id)), [1, ids.length]),
      encoder_hidden_states: hidden,
    };
    for (const name of this.decoder.inputNames) {
      if (name.startsWith('past_key_values.')) feeds[name] = new ort.Tensor('float32', new Float32Array(0), [1, heads, 0, headDim]);
      if (name === 'use_cache_branch') feeds[name] = new ort.Tensor('bool', [false], [1]);
    }
    const { logits } = await this.decoder.run(feeds);
    if (!logits) throw new Error('decoder returned no logits');
    return { vocab: logits.dims[2]!, data: logits.data as Float32Array };
  }

  /**
   * Greedy transcription, written out here rather than taken from transformers.js's generate():
   * the argmax token after the prompt, step by step until end-of-text, with the generation
   * config's suppress_tokens always and begin_suppress_tokens at the first step excluded.
   */
  async greedyTranscript(features: { dims: readonly number[]; data: ArrayLike<number> }, maxNewTokens = 24): Promise<string> {
    const hidden = await this.encode(features);
    const suppressed = new Set(this.generation.suppress_tokens ?? []);
    const suppressedFirst = new Set([...suppressed, ...(this.generation.begin_suppress_tokens ?? [])]);
    const ids = [...this.promptIds];
    const generated: number[] = [];
    for (let step = 0; step < maxNewTokens; step++) {
      const { vocab, data } = await this.decode(hidden, ids);
      const row = data.subarray((ids.length - 1) * vocab, ids.length * vocab);
      const banned = step === 0 ? suppressedFirst : suppressed;
      let best = -1;
      for (let token = 0; token < vocab; token++) if (!banned.has(token) && (best < 0 || row[token]! > row[best]!)) best = token;
      if (best === this.config.eos_token_id) break;
      ids.push(best);
      generated.push(best);
    }
    // End-of-text first: no text (the tokenizer refuses to decode an empty list).
    return generated.length === 0 ? '' : this.tokenizer.decode(generated, { skip_special_tokens: true });
  }

  /** Mean log-prob of each prompt's tokens after the transcription prompt, given the features. */
  async meanLogProbs(features: { dims: readonly number[]; data: ArrayLike<number> }, prompts: readonly string[]): Promise<number[]> {
    const hidden = await this.encode(features);
    const scores: number[] = [];
    for (const prompt of prompts) {
      const labelIds = this.tokenizer.encode(prompt, { add_special_tokens: false });
      const ids = [...this.promptIds, ...labelIds];
      const { vocab, data } = await this.decode(hidden, ids);
      let sum = 0;
      labelIds.forEach((token, k) => {
        const position = this.promptIds.length + k - 1;
        sum += logSoftmaxAt(data.subarray(position * vocab, (position + 1) * vocab), token);
      });
      scores.push(sum / labelIds.length);
    }
    return scores;
  }

  async release(): Promise<void> {
    await this.encoder.release();
    await this.decoder.release();
  }
}
