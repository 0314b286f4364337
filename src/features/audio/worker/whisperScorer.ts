import { Tensor, type FeatureExtractor, type PreTrainedTokenizer, type WhisperForConditionalGeneration } from '@huggingface/transformers';

type WhisperGenerateParameters = Parameters<WhisperForConditionalGeneration['generate']>[0];

interface GreedyTranscriptionOptions {
  input_features: Tensor;
  encoder_outputs: Tensor;
  max_new_tokens: number;
  return_timestamps: false;
  language?: string;
  task?: string;
}

/**
 * transformers.js's JSDoc types mark every WhisperGenerationConfig field as required; generate()
 * itself fills the rest from the model's generation config, so the partial options are what it expects.
 */
function greedyGenerate(model: WhisperForConditionalGeneration, options: GreedyTranscriptionOptions) {
  return model.generate(options as unknown as WhisperGenerateParameters);
}
import {
  TOKEN_AGGREGATIONS,
  buildDecoderBatch,
  labelColumns,
  scoreDecoderBatchAfterPromptByRule,
  scoreDecoderBatchByRule,
  type ScoresByRule,
} from '../../../lib/audioScoring';
import { WHISPER_SAMPLE_RATE_HZ, WHISPER_WINDOW_SECONDS } from '../../../lib/audio';
import { coveredEncoderPositions, meanPoolFrames } from '../../../lib/audioEmbedding';
import type { AudioScorer, EncodeResult, EncodedWindow, ScoreCounters } from './audioScorer';
import { PromptStateCache, cachedCallRowBytes, promptStateFromOutputs, tiledPastKeyValues, type PromptState } from './whisperPromptState';

/** Whisper's text for one 30 s window stays well under this many tokens. */
const MAX_TRANSCRIPT_TOKENS = 128;
/** Memory allowed for one decoder call (logits plus the per-row cross-attention cache it reads and returns). */
const MAX_DECODER_CALL_BYTES = 192 * 1024 * 1024;
/**
 * Memory for the prompt states (cross-attention cache) of recently scored windows: a label edit
 * on these windows runs no prompt again. Whisper-tiny's state is ~18 MB a window, the built-in's ~3 MB.
 */
const MAX_PROMPT_STATE_CACHE_BYTES = 128 * 1024 * 1024;
const FLOAT32_BYTES = 4;

/**
 * How the decoder reads the labels. cached-cross-attention (the default): the prompt tokens run
 * once per window with batch 1 and their key/value cache (cross-attention included) is tiled over
 * the label rows, which decode only their own tokens. tiled: the reference, every row decodes
 * prompt + label against the encoder output tiled along the batch (each row recomputes the
 * cross-attention). Both give the same scores.
 */
export type WhisperDecoderStrategy = 'cached-cross-attention' | 'tiled';
export const WHISPER_DECODER_STRATEGIES: readonly WhisperDecoderStrategy[] = ['cached-cross-attention', 'tiled'];

export interface WhisperWindow extends EncodedWindow {
  /** Encoder output, [1, positions, width]. */
  hidden: Float32Array;
  positions: number;
  width: number;
}

interface WhisperTokens {
  /** `<|startoftranscript|>` (+ `<|en|><|transcribe|>` when multilingual) `<|notimestamps|>`. */
  prompt: number[];
  endOfText: number;
  vocabSize: number;
}

function numberField(record: object | null | undefined, key: string): number | undefined {
  const value: unknown = record ? Reflect.get(record, key) : undefined;
  return typeof value === 'number' ? value : undefined;
}

function booleanField(record: object | null | undefined, key: string): boolean | undefined {
  const value: unknown = record ? Reflect.get(record, key) : undefined;
  return typeof value === 'boolean' ? value : undefined;
}

function idFromMap(record: object | null | undefined, mapKey: string, token: string): number | undefined {
  const map: unknown = record ? Reflect.get(record, mapKey) : undefined;
  return typeof map === 'object' && map !== null ? numberField(map, token) : undefined;
}

/** Reads the special-token ids from the model's generation config (the Hub's Whisper exports all carry them). */
function whisperTokens(model: WhisperForConditionalGeneration, multilingual: boolean): WhisperTokens {
  const generation = model.generation_config;
  const config = model.config;
  const start = numberField(generation, 'decoder_start_token_id') ?? numberField(config, 'decoder_start_token_id');
  const noTimestamps = numberField(generation, 'no_timestamps_token_id');
  const endOfText = numberField(config, 'eos_token_id') ?? numberField(generation, 'eos_token_id');
  const vocabSize = numberField(config, 'vocab_size');
  if (start === undefined || noTimestamps === undefined || endOfText === undefined || vocabSize === undefined)
    throw new Error('This Whisper export lacks decoder_start_token_id, no_timestamps_token_id, eos_token_id or vocab_size in its configs.');
  if (!multilingual) return { prompt: [start, noTimestamps], endOfText, vocabSize };
  const english = idFromMap(generation, 'lang_to_id', '<|en|>');
  const transcribe = idFromMap(generation, 'task_to_id', 'transcribe');
  if (english === undefined || transcribe === undefined) throw new Error('This multilingual Whisper export lacks lang_to_id or task_to_id.');
  return { prompt: [start, english, transcribe, noTimestamps], endOfText, vocabSize };
}

/**
 * Zero-shot scoring with Whisper (jumon/zac; Ma et al., NAACL 2024): the encoder runs once per
 * window, then every label is read by the decoder after the transcription prompt, all labels in
 * one right-padded batch against the same encoder output, and scored by their tokens' log-probs.
 */
export class WhisperScorer implements AudioScorer<WhisperWindow> {
  readonly family = 'whisper';
  readonly captions = null;
  readonly sampleRate = WHISPER_SAMPLE_RATE_HZ;
  readonly windowSeconds = WHISPER_WINDOW_SECONDS;
  private readonly tokens: WhisperTokens;
  private readonly decoderLayers: number;
  private readonly multilingual: boolean;
  private readonly promptStates = new PromptStateCache<WhisperWindow>(MAX_PROMPT_STATE_CACHE_BYTES);
  private promptRunCount = 0;

  constructor(
    private readonly model: WhisperForConditionalGeneration,
    private readonly tokenizer: PreTrainedTokenizer,
    private readonly featureExtractor: FeatureExtractor,
    /** The catalog's answer; the model's generation config overrides it when it says. */
    catalogMultilingual: boolean,
    readonly decoderStrategy: WhisperDecoderStrategy = 'cached-cross-attention',
  ) {
    this.multilingual = booleanField(model.generation_config, 'is_multilingual') ?? catalogMultilingual;
    this.tokens = whisperTokens(model, this.multilingual);
    this.decoderLayers = numberField(model.config, 'decoder_layers') ?? 12;
    // generate() keeps only `forward_params` from its options: listing encoder_outputs lets a
    // transcription reuse the encoder output we already have instead of running the encoder again.
    if (!model.forward_params.includes('encoder_outputs')) model.forward_params = [...model.forward_params, 'encoder_outputs'];
  }

  get promptIds(): readonly number[] {
    return this.tokens.prompt;
  }

  labelTokenIds(prompt: string): number[] {
    return this.tokenizer.encode(prompt, { add_special_tokens: false });
  }

  async encode(windowSamples: Float32Array, options: { transcribe: boolean; keepInput: boolean }): Promise<EncodeResult<WhisperWindow>> {
    const { input_features } = (await this.featureExtractor(windowSamples)) as { input_features: Tensor };
    const prepared: unknown = await this.model._prepare_encoder_decoder_kwargs_for_generation({
      inputs_tensor: input_features,
      model_inputs: { input_features },
      model_input_name: 'input_features',
      generation_config: this.model.generation_config,
    });
    const hiddenTensor: unknown = typeof prepared === 'object' && prepared !== null ? Reflect.get(prepared, 'encoder_outputs') : undefined;
    if (!(hiddenTensor instanceof Tensor) || hiddenTensor.dims.length !== 3) throw new Error('The Whisper encoder returned no last_hidden_state.');
    const [, positions, width] = hiddenTensor.dims as [number, number, number];
    const hidden = Float32Array.from(hiddenTensor.data as Float32Array);
    const encoded: WhisperWindow = { hidden, positions, width, bytes: hidden.byteLength };
    // The feature extractor pads the window to 30 s; only the positions over real audio are pooled.
    const covered = coveredEncoderPositions(windowSamples.length, this.sampleRate, this.windowSeconds, positions);
    const pooled = meanPoolFrames(hidden, positions, width, covered);

    let transcript: string | null = null;
    if (options.transcribe) {
      const generated = await greedyGenerate(this.model, {
        input_features,
        encoder_outputs: hiddenTensor,
        max_new_tokens: MAX_TRANSCRIPT_TOKENS,
        return_timestamps: false,
        ...(this.multilingual ? { language: 'en', task: 'transcribe' } : {}),
      });
      if (!(generated instanceof Tensor)) throw new Error('Whisper generate returned no token ids.');
      const ids = Array.from(generated.data as BigInt64Array, Number);
      transcript = this.tokenizer.decode(ids, { skip_special_tokens: true }).trim();
      generated.dispose();
    }
    const input = options.keepInput ? { dims: [...input_features.dims], data: Float32Array.from(input_features.data as Float32Array) } : null;
    hiddenTensor.dispose();
    input_features.dispose();
    return { encoded, pooled, transcript, input };
  }

  async score(window: WhisperWindow, prompts: readonly string[], counters: ScoreCounters): Promise<ScoresByRule> {
    return this.scoreWith(this.decoderStrategy, window, prompts, counters);
  }

  /**
   * Scores with the named decoder strategy. The engine uses the scorer's own (score()); tests, the
   * debug check and the bench call both on one window to show they agree and what each costs.
   */
  async scoreWith(strategy: WhisperDecoderStrategy, window: WhisperWindow, prompts: readonly string[], counters: ScoreCounters): Promise<ScoresByRule> {
    const labelIds = prompts.map((prompt) => this.labelTokenIds(prompt));
    const scores: ScoresByRule = { mean: new Float32Array(prompts.length), 'sum-with-eot': new Float32Array(prompts.length) };
    if (prompts.length === 0) return scores;
    const labelColumnsLength = Math.max(0, ...labelIds.map((ids) => ids.length)) + 1;
    const promptState = strategy === 'cached-cross-attention' ? await this.promptStateFor(window) : null;
    const rowBytes = promptState
      ? cachedCallRowBytes(promptState, this.tokens.prompt.length, labelColumnsLength, this.tokens.vocabSize)
      : FLOAT32_BYTES *
        ((this.tokens.prompt.length + labelColumnsLength) * this.tokens.vocabSize + (2 * this.decoderLayers + 1) * window.positions * window.width);
    const rowsPerCall = Math.max(1, Math.floor(MAX_DECODER_CALL_BYTES / rowBytes));
    for (let first = 0; first < prompts.length; first += rowsPerCall) {
      const chunk = labelIds.slice(first, first + rowsPerCall);
      const chunkScores = promptState ? await this.scoreRowsAfterPrompt(window, promptState, chunk) : await this.scoreRowsTiled(window, chunk);
      for (const rule of TOKEN_AGGREGATIONS) scores[rule].set(chunkScores[rule], first);
      counters.decoderRuns++;
      counters.labelRowsScored += chunk.length;
    }
    return scores;
  }

  /** How many prompt runs (batch-1 decoder calls that compute a window's cross-attention cache) this scorer has made. */
  get promptRuns(): number {
    return this.promptRunCount;
  }

  /** The window's prompt state from the cache, or one batch-1 decoder run over the prompt tokens. */
  private async promptStateFor(window: WhisperWindow): Promise<PromptState> {
    const cached = this.promptStates.get(window);
    if (cached) return cached;
    const encoderOutputs = new Tensor('float32', window.hidden, [1, window.positions, window.width]);
    const promptIds = new Tensor('int64', BigInt64Array.from(this.tokens.prompt, (id) => BigInt(id)), [1, this.tokens.prompt.length]);
    try {
      // No past_key_values: transformers.js sets use_cache_branch = false and the merged decoder
      // returns the cross-attention keys/values it computed from the encoder output.
      const output = (await this.model.forward({ encoder_outputs: encoderOutputs, decoder_input_ids: promptIds })) as Record<string, unknown>;
      this.promptRunCount++;
      const state = await promptStateFromOutputs(output, this.tokens.prompt.length);
      this.promptStates.set(window, state);
      return state;
    } finally {
      encoderOutputs.dispose();
      promptIds.dispose();
    }
  }

  /**
   * One decoder call over the label tokens only: the prompt's cache is tiled over the rows and
   * passed as past_key_values (use_cache_branch = true), so no row recomputes the cross-attention.
   */
  private async scoreRowsAfterPrompt(window: WhisperWindow, state: PromptState, labelIds: readonly number[][]): Promise<ScoresByRule> {
    const batch = buildDecoderBatch(this.tokens.prompt, labelIds, this.tokens.endOfText);
    const columns = labelColumns(batch);
    const pastKeyValues = tiledPastKeyValues(state, batch.rows);
    // The merged decoder lists encoder_hidden_states as an input of both branches; the cache branch
    // never reads it, so the batch-1 encoder output is enough.
    const encoderOutputs = new Tensor('float32', window.hidden, [1, window.positions, window.width]);
    const labelInputIds = new Tensor('int64', BigInt64Array.from(columns.ids, (id) => BigInt(id)), [batch.rows, columns.length]);
    let output: Record<string, unknown> = {};
    try {
      output = (await this.model.forward({ encoder_outputs: encoderOutputs, decoder_input_ids: labelInputIds, past_key_values: pastKeyValues })) as Record<
        string,
        unknown
      >;
      const logits = output.logits;
      if (!(logits instanceof Tensor) || !(logits.data instanceof Float32Array)) throw new Error('The Whisper decoder returned no float32 logits.');
      const vocabSize = logits.dims.at(-1) ?? this.tokens.vocabSize;
      return scoreDecoderBatchAfterPromptByRule(batch, state.lastLogits, logits.data, vocabSize);
    } finally {
      // The present key/values (GPU buffers on WebGPU) and the tiled copies are this call's alone.
      for (const value of Object.values(output)) if (value instanceof Tensor) value.dispose();
      if (batch.rows > 1) for (const tensor of Object.values(pastKeyValues)) tensor.dispose();
      encoderOutputs.dispose();
      labelInputIds.dispose();
    }
  }

  /** The reference strategy, one decoder call: every row reads the same encoder output, tiled along the batch, from the first prompt token. */
  private async scoreRowsTiled(window: WhisperWindow, labelIds: readonly number[][]): Promise<ScoresByRule> {
    const batch = buildDecoderBatch(this.tokens.prompt, labelIds, this.tokens.endOfText);
    const tiled = new Float32Array(batch.rows * window.hidden.length);
    for (let row = 0; row < batch.rows; row++) tiled.set(window.hidden, row * window.hidden.length);
    const encoderOutputs = new Tensor('float32', tiled, [batch.rows, window.positions, window.width]);
    const decoderInputIds = new Tensor('int64', BigInt64Array.from(batch.ids, (id) => BigInt(id)), [batch.rows, batch.length]);
    const output = (await this.model.forward({ encoder_outputs: encoderOutputs, decoder_input_ids: decoderInputIds })) as Record<string, unknown>;
    try {
      const logits = output.logits;
      if (!(logits instanceof Tensor)) throw new Error('The Whisper decoder returned no logits.');
      const vocabSize = logits.dims.at(-1) ?? this.tokens.vocabSize;
      return scoreDecoderBatchByRule(batch, logits.data as Float32Array, vocabSize);
    } finally {
      // The merged decoder also returns its key/value cache; free it (GPU buffers on WebGPU).
      for (const value of Object.values(output)) if (value instanceof Tensor) value.dispose();
      encoderOutputs.dispose();
      decoderInputIds.dispose();
    }
  }

  async warmUp(): Promise<void> {
    const { encoded } = await this.encode(new Float32Array(this.sampleRate), { transcribe: false, keepInput: false });
    await this.score(encoded, [' warm up'], { decoderRuns: 0, labelRowsScored: 0, textRuns: 0, textsEmbedded: 0 });
  }

  async dispose(): Promise<void> {
    this.promptStates.clear();
    await this.model.dispose();
  }
}
