import {
  StoppingCriteria,
  Tensor,
  type FeatureExtractor,
  type PreTrainedTokenizer,
  type WhisperForConditionalGeneration,
} from '@huggingface/transformers';
import {
  TOKEN_AGGREGATIONS,
  buildDecoderBatch,
  labelColumns,
  scoreDecoderBatchAfterPromptByRule,
  scoreDecoderBatchByRule,
  type DecoderBatch,
  type ScoresByRule,
} from '../../../lib/audioScoring';
import { WHISPER_SAMPLE_RATE_HZ, WHISPER_WINDOW_SECONDS } from '../../../lib/audio';
import { coveredEncoderPositions, meanPoolFrames } from '../../../lib/audioEmbedding';
import type { CrossAttentionFeed, DecoderStrategyScores, WhisperDecoderStrategy } from '../shared/protocol';
import type { AudioScorer, EncodeResult, EncodedWindow, ScoreCounters, Transcriber } from './audioScorer';
import { whisperLogMel } from './whisperLogMel';
import {
  PromptStateCache,
  cachedCallRowBytes,
  float32Logits,
  pastKeyValuesForRows,
  promptStateFromOutputs,
  type PromptState,
} from './whisperPromptState';
import { yieldingAfterRuns, type RunnableSession } from './yieldAfterRuns';

type WhisperGenerateParameters = Parameters<WhisperForConditionalGeneration['generate']>[0];

interface GreedyTranscriptionOptions {
  input_features: Tensor;
  encoder_outputs: Tensor;
  max_new_tokens: number;
  return_timestamps: false;
  stopping_criteria: StoppingCriteria[];
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

function isRunnableSession(value: unknown): value is RunnableSession {
  return typeof value === 'object' && value !== null && typeof Reflect.get(value, 'run') === 'function';
}

/** Ends a generation at its next token once the request is cancelled (a half transcript is thrown away). */
class StopWhenCancelled extends StoppingCriteria {
  constructor(private readonly cancelled: () => boolean) {
    super();
  }

  override _call(inputIds: number[][]): boolean[] {
    return new Array<boolean>(inputIds.length).fill(this.cancelled());
  }
}

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
/** Largest logit difference allowed between a broadcast and a tiled cross-attention cache (the same maths; float rounding only). */
const BROADCAST_CHECK_TOLERANCE = 1e-4;

export interface WhisperScorerOptions {
  /** The strategy score() uses (default cached-cross-attention); scoreWith() takes either. */
  decoderStrategy?: WhisperDecoderStrategy;
  /** Memory bound of one decoder call (default MAX_DECODER_CALL_BYTES); tests lower it to see several calls. */
  maxDecoderCallBytes?: number;
  /** How the cached strategy feeds the cross-attention cache, instead of checking the model once (tests of either feed). */
  crossAttentionFeed?: CrossAttentionFeed;
}


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
export class WhisperScorer implements AudioScorer<WhisperWindow>, Transcriber<WhisperWindow> {
  readonly family = 'whisper';
  readonly captions = null;
  readonly transcriber: Transcriber<WhisperWindow> = this;
  readonly sampleRate = WHISPER_SAMPLE_RATE_HZ;
  readonly windowSeconds = WHISPER_WINDOW_SECONDS;
  private readonly tokens: WhisperTokens;
  private readonly decoderLayers: number;
  private readonly multilingual: boolean;
  private readonly promptStates = new PromptStateCache<WhisperWindow>(MAX_PROMPT_STATE_CACHE_BYTES);
  private promptRunCount = 0;
  private checkedCrossAttentionFeed: CrossAttentionFeed | null;
  readonly decoderStrategy: WhisperDecoderStrategy;
  private readonly maxDecoderCallBytes: number;

  constructor(
    private readonly model: WhisperForConditionalGeneration,
    private readonly tokenizer: PreTrainedTokenizer,
    private readonly featureExtractor: FeatureExtractor,
    /** The catalog's answer; the model's generation config overrides it when it says. */
    catalogMultilingual: boolean,
    options: WhisperScorerOptions = {},
  ) {
    this.decoderStrategy = options.decoderStrategy ?? 'cached-cross-attention';
    this.maxDecoderCallBytes = options.maxDecoderCallBytes ?? MAX_DECODER_CALL_BYTES;
    this.checkedCrossAttentionFeed = options.crossAttentionFeed ?? null;
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

  async encode(windowSamples: Float32Array, options: { keepInput: boolean }): Promise<EncodeResult<WhisperWindow>> {
    const input_features = await whisperLogMel(this.featureExtractor, windowSamples);
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
    const input = options.keepInput ? { dims: [...input_features.dims], data: Float32Array.from(input_features.data as Float32Array) } : null;
    hiddenTensor.dispose();
    input_features.dispose();
    return { encoded, pooled, input };
  }

  /**
   * Greedy transcription of an encoded window, from its encoder output (the encoder doesn't run
   * again). Null when `cancelled` turned true before it finished.
   */
  async transcribe(window: WhisperWindow, cancelled: () => boolean): Promise<string | null> {
    const encoderOutputs = new Tensor('float32', window.hidden, [1, window.positions, window.width]);
    // Given encoder_outputs, generate() reads input_features only for the batch size (dims[0]):
    // an empty batch of one stands in for the log-mel, which the encoder cache doesn't keep.
    const batchOfOne = new Tensor('float32', new Float32Array(0), [1, 0, 0]);
    const decoder: unknown = Reflect.get(this.model.sessions, 'decoder_model_merged');
    if (!isRunnableSession(decoder)) throw new Error('This Whisper export has no merged decoder session.');
    try {
      // Each decoder step then lets a waiting cancel message in, so StopWhenCancelled sees it at the next token.
      const generated = await yieldingAfterRuns(decoder, () =>
        greedyGenerate(this.model, {
          input_features: batchOfOne,
          encoder_outputs: encoderOutputs,
          max_new_tokens: MAX_TRANSCRIPT_TOKENS,
          return_timestamps: false,
          stopping_criteria: [new StopWhenCancelled(cancelled)],
          ...(this.multilingual ? { language: 'en', task: 'transcribe' } : {}),
        }),
      );
      if (!(generated instanceof Tensor)) throw new Error('Whisper generate returned no token ids.');
      const ids = Array.from(generated.data as BigInt64Array, Number);
      generated.dispose();
      if (cancelled()) return null;
      return this.tokenizer.decode(ids, { skip_special_tokens: true }).trim();
    } finally {
      encoderOutputs.dispose();
      batchOfOne.dispose();
    }
  }

  async score(window: WhisperWindow, prompts: readonly string[], counters: ScoreCounters): Promise<ScoresByRule> {
    return this.scoreWith(this.decoderStrategy, window, prompts, counters);
  }

  /**
   * Scores with the named decoder strategy. The engine uses the scorer's own (score()); tests, the
   * debug check and the bench call both on one window to show they agree and what each costs.
   */
  async scoreWith(strategy: WhisperDecoderStrategy, window: WhisperWindow, prompts: readonly string[], counters: ScoreCounters): Promise<ScoresByRule> {
    if (prompts.length === 0) return { mean: new Float32Array(0), 'sum-with-eot': new Float32Array(0) };
    if (strategy === 'tiled') return this.scoreInCalls(prompts, counters, window, null);
    const feed = await this.crossAttentionFeedFor(window, counters);
    const state = await this.promptStates.acquire(window, () => this.runPrompt(window, feed, counters));
    try {
      return await this.scoreInCalls(prompts, counters, window, { state, feed });
    } finally {
      this.promptStates.release(state);
    }
  }

  async scoreEachDecoderStrategy(window: WhisperWindow, prompts: readonly string[], counters: ScoreCounters): Promise<DecoderStrategyScores[]> {
    const results: DecoderStrategyScores[] = [];
    // The once-per-model broadcast check is not part of either timing.
    await this.crossAttentionFeedFor(window, counters);
    for (const strategy of ['cached-cross-attention', 'tiled'] as const) {
      // Timed as for a new window: the cached strategy runs its prompt again.
      if (strategy === 'cached-cross-attention') this.promptStates.forget(window);
      const started = performance.now();
      const scores = await this.scoreWith(strategy, window, prompts, counters);
      results.push({
        strategy,
        crossAttentionFeed: strategy === 'tiled' ? null : this.crossAttentionFeed,
        mean: Array.from(scores.mean),
        sumWithEot: Array.from(scores['sum-with-eot']),
        ms: performance.now() - started,
      });
    }
    return results;
  }

  /** Label rows in as few decoder calls as the memory bound allows, after the prompt state when given (else tiled). */
  private async scoreInCalls(
    prompts: readonly string[],
    counters: ScoreCounters,
    window: WhisperWindow,
    cached: { state: PromptState; feed: CrossAttentionFeed } | null,
  ): Promise<ScoresByRule> {
    const labelIds = prompts.map((prompt) => this.labelTokenIds(prompt));
    const scores: ScoresByRule = { mean: new Float32Array(prompts.length), 'sum-with-eot': new Float32Array(prompts.length) };
    const labelColumnsLength = Math.max(0, ...labelIds.map((ids) => ids.length)) + 1;
    const promptLength = this.tokens.prompt.length;
    const rowBytes = cached
      ? cachedCallRowBytes(cached.state, promptLength, labelColumnsLength, this.tokens.vocabSize, cached.feed)
      : FLOAT32_BYTES * ((promptLength + labelColumnsLength) * this.tokens.vocabSize + (2 * this.decoderLayers + 1) * window.positions * window.width);
    const rowsPerCall = Math.max(1, Math.floor(this.maxDecoderCallBytes / rowBytes));
    for (let first = 0; first < prompts.length; first += rowsPerCall) {
      const chunk = labelIds.slice(first, first + rowsPerCall);
      const batch = buildDecoderBatch(this.tokens.prompt, chunk, this.tokens.endOfText);
      const chunkScores = cached
        ? await this.decodeAfterPrompt(window, cached.state, cached.feed, labelColumns(batch), batch.rows, (logits, vocabSize) =>
            scoreDecoderBatchAfterPromptByRule(batch, cached.state.lastLogits, logits, vocabSize),
          )
        : await this.scoreRowsTiled(window, batch);
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

  /** How the cached strategy feeds the cross-attention cache to the label rows (null until the first cached score). */
  get crossAttentionFeed(): CrossAttentionFeed | null {
    return this.checkedCrossAttentionFeed;
  }

  /** One batch-1 decoder run over the prompt tokens: the window's prompt state. */
  private async runPrompt(window: WhisperWindow, feed: CrossAttentionFeed, counters: ScoreCounters): Promise<PromptState> {
    const encoderOutputs = new Tensor('float32', window.hidden, [1, window.positions, window.width]);
    const promptIds = new Tensor('int64', BigInt64Array.from(this.tokens.prompt, (id) => BigInt(id)), [1, this.tokens.prompt.length]);
    try {
      // No past_key_values: transformers.js sets use_cache_branch = false and the merged decoder
      // returns the cross-attention keys/values it computed from the encoder output.
      const output = (await this.model.forward({ encoder_outputs: encoderOutputs, decoder_input_ids: promptIds })) as Record<string, unknown>;
      this.promptRunCount++;
      counters.promptRuns++;
      return await promptStateFromOutputs(output, this.tokens.prompt.length, feed);
    } finally {
      encoderOutputs.dispose();
      promptIds.dispose();
    }
  }

  /**
   * One decoder call over the label columns only, after the prompt's cache (use_cache_branch =
   * true), so no row recomputes the cross-attention; `read` turns the logits into scores before
   * the call's tensors are freed.
   */
  private async decodeAfterPrompt<T>(
    window: WhisperWindow,
    state: PromptState,
    feed: CrossAttentionFeed,
    columns: { ids: number[]; length: number },
    rows: number,
    read: (logits: Float32Array, vocabSize: number) => T,
  ): Promise<T> {
    const { past, created } = pastKeyValuesForRows(state, rows, feed);
    // The merged decoder lists encoder_hidden_states as an input of both branches; the cache branch
    // never reads it, so the batch-1 encoder output is enough.
    const encoderOutputs = new Tensor('float32', window.hidden, [1, window.positions, window.width]);
    const labelInputIds = new Tensor('int64', BigInt64Array.from(columns.ids, (id) => BigInt(id)), [rows, columns.length]);
    let output: Record<string, unknown> = {};
    try {
      output = (await this.model.forward({ encoder_outputs: encoderOutputs, decoder_input_ids: labelInputIds, past_key_values: past })) as Record<string, unknown>;
      const logits = output.logits;
      if (!(logits instanceof Tensor)) throw new Error('The Whisper decoder returned no logits.');
      return read(float32Logits(logits), logits.dims.at(-1) ?? this.tokens.vocabSize);
    } finally {
      // The present key/values (GPU buffers on WebGPU) and the tiled copies are this call's alone.
      for (const value of Object.values(output)) if (value instanceof Tensor) value.dispose();
      for (const tensor of created) tensor.dispose();
      encoderOutputs.dispose();
      labelInputIds.dispose();
    }
  }

  /**
   * Whether this export's decoder broadcasts a batch-1 cross-attention cache over the label rows
   * (its attention MatMuls broadcast) or needs it tiled (an attention that reshapes by the batch
   * size would fail or, worse, attend to the wrong keys). Checked once per model, on its own
   * device: three different label rows decoded both ways must give the same logits.
   */
  private async crossAttentionFeedFor(window: WhisperWindow, counters: ScoreCounters): Promise<CrossAttentionFeed> {
    if (this.checkedCrossAttentionFeed) return this.checkedCrossAttentionFeed;
    const start = this.tokens.prompt[0] as number;
    const last = this.tokens.prompt.at(-1) as number;
    const { endOfText } = this.tokens;
    // Three rows that differ, so a cache applied to the wrong rows would show.
    const rows = 3;
    const columns = { ids: [endOfText, start, start, endOfText, last, start], length: 2 };
    const copy = (logits: Float32Array) => logits.slice();
    const tiledState = await this.runPrompt(window, 'tiled', counters);
    let feed: CrossAttentionFeed = 'tiled';
    try {
      const reference = await this.decodeAfterPrompt(window, tiledState, 'tiled', columns, rows, copy);
      const broadcastState = await this.runPrompt(window, 'broadcast', counters);
      try {
        const broadcast = await this.decodeAfterPrompt(window, broadcastState, 'broadcast', columns, rows, copy);
        let largest = broadcast.length === reference.length ? 0 : Infinity;
        for (let i = 0; i < reference.length && largest <= BROADCAST_CHECK_TOLERANCE; i++)
          largest = Math.max(largest, Math.abs((broadcast[i] as number) - (reference[i] as number)));
        if (largest <= BROADCAST_CHECK_TOLERANCE) feed = 'broadcast';
      } catch {
        // An attention that reshapes by the batch size rejects the batch-1 cache: keep tiling.
      } finally {
        for (const tensor of broadcastState.past.values()) tensor.dispose();
      }
    } finally {
      for (const tensor of tiledState.past.values()) tensor.dispose();
    }
    this.checkedCrossAttentionFeed = feed;
    return feed;
  }

  /** The reference strategy, one decoder call: every row reads the same encoder output, tiled along the batch, from the first prompt token. */
  private async scoreRowsTiled(window: WhisperWindow, batch: DecoderBatch): Promise<ScoresByRule> {
    const tiled = new Float32Array(batch.rows * window.hidden.length);
    for (let row = 0; row < batch.rows; row++) tiled.set(window.hidden, row * window.hidden.length);
    const encoderOutputs = new Tensor('float32', tiled, [batch.rows, window.positions, window.width]);
    const decoderInputIds = new Tensor('int64', BigInt64Array.from(batch.ids, (id) => BigInt(id)), [batch.rows, batch.length]);
    let output: Record<string, unknown> = {};
    try {
      output = (await this.model.forward({ encoder_outputs: encoderOutputs, decoder_input_ids: decoderInputIds })) as Record<string, unknown>;
      const logits = output.logits;
      if (!(logits instanceof Tensor)) throw new Error('The Whisper decoder returned no logits.');
      const vocabSize = logits.dims.at(-1) ?? this.tokens.vocabSize;
      return scoreDecoderBatchByRule(batch, float32Logits(logits), vocabSize);
    } finally {
      // The merged decoder also returns its key/value cache; free it (GPU buffers on WebGPU).
      for (const value of Object.values(output)) if (value instanceof Tensor) value.dispose();
      encoderOutputs.dispose();
      decoderInputIds.dispose();
    }
  }

  /**
   * Keyed by the window object, which the engine's encoder cache holds: a window is forgotten here
   * when that cache drops it, and a window encoded again is a new object, so no state outlives the
   * window it was computed for.
   */
  forgetWindow(window: WhisperWindow): void {
    this.promptStates.forget(window);
  }

  async warmUp(): Promise<void> {
    const { encoded } = await this.encode(new Float32Array(this.sampleRate), { keepInput: false });
    try {
      await this.score(encoded, [' warm up'], { decoderRuns: 0, labelRowsScored: 0, promptRuns: 0, textRuns: 0, textsEmbedded: 0 });
    } finally {
      // Nothing scores the warm-up window again: its prompt state (GPU buffers on WebGPU) goes now.
      this.forgetWindow(encoded);
    }
  }

  /** Prompt states kept, and their bytes (tests and the stats read them). */
  get promptStateCache(): { size: number; bytes: number } {
    return { size: this.promptStates.size, bytes: this.promptStates.bytes };
  }

  async dispose(): Promise<void> {
    this.promptStates.clear();
    await this.model.dispose();
  }
}
