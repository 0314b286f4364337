import { Tensor, type FeatureExtractor, type PreTrainedModel, type PreTrainedTokenizer } from '@huggingface/transformers';
import type { ScoresByRule } from '../../../lib/audioScoring';
import { dot, l2Normalize } from '../../../lib/scoring';
import type { AudioScorer, CaptionSpace, EncodeResult, EncodedWindow, ScoreCounters } from './audioScorer';

/** CLAP reads 48 kHz audio in 10 s windows (longer input would be cut at a random offset). */
const CLAP_DEFAULT_SAMPLE_RATE_HZ = 48_000;
const CLAP_DEFAULT_WINDOW_SECONDS = 10;

export interface ClapWindow extends EncodedWindow {
  /** Unit-length audio embedding. */
  embedding: Float32Array;
}

function configNumber(extractor: FeatureExtractor, key: string): number | undefined {
  const config: unknown = Reflect.get(extractor, 'config');
  const value: unknown = typeof config === 'object' && config !== null ? Reflect.get(config, key) : undefined;
  return typeof value === 'number' ? value : undefined;
}

function firstRow(output: Record<string, unknown>, name: string): Float32Array[] {
  const tensor = output[name];
  if (!(tensor instanceof Tensor) || tensor.dims.length !== 2) throw new Error(`The CLAP model returned no ${name}.`);
  const [rows, width] = tensor.dims as [number, number];
  const data = tensor.data as Float32Array;
  const result = Array.from({ length: rows }, (_, row) => l2Normalize(data.subarray(row * width, (row + 1) * width)));
  tensor.dispose();
  return result;
}

/**
 * CLAP: audio and captions meet in one embedding space. Each window is embedded once (the engine
 * caches it) and each caption once (cached here), so a label edit costs one text-tower run.
 */
export class ClapScorer implements AudioScorer<ClapWindow>, CaptionSpace {
  readonly family = 'clap';
  readonly captions: CaptionSpace = this;
  readonly transcriber = null;
  readonly sampleRate: number;
  readonly windowSeconds: number;
  private readonly textEmbeddings = new Map<string, Float32Array>();

  constructor(
    private readonly textModel: PreTrainedModel,
    private readonly audioModel: PreTrainedModel,
    private readonly tokenizer: PreTrainedTokenizer,
    private readonly featureExtractor: FeatureExtractor,
    readonly logitScale: number,
  ) {
    this.sampleRate = configNumber(featureExtractor, 'sampling_rate') ?? CLAP_DEFAULT_SAMPLE_RATE_HZ;
    this.windowSeconds = configNumber(featureExtractor, 'max_length_s') ?? CLAP_DEFAULT_WINDOW_SECONDS;
  }

  async encode(windowSamples: Float32Array, options: { keepInput: boolean }): Promise<EncodeResult<ClapWindow>> {
    const { input_features } = (await this.featureExtractor(windowSamples)) as { input_features: Tensor };
    const output = (await this.audioModel({ input_features })) as Record<string, unknown>;
    const [embedding] = firstRow(output, 'audio_embeds');
    if (!embedding) throw new Error('The CLAP audio model returned an empty batch.');
    const input = options.keepInput ? { dims: [...input_features.dims], data: Float32Array.from(input_features.data as Float32Array) } : null;
    input_features.dispose();
    return { encoded: { embedding, bytes: embedding.byteLength }, pooled: embedding, input };
  }

  /** CLAP has no score rule: both rules read the same scaled cosines. */
  async score(window: ClapWindow, prompts: readonly string[], counters: ScoreCounters): Promise<ScoresByRule> {
    const embeddings = await this.embedCaptions(prompts, counters);
    const scores = Float32Array.from(embeddings, (text) => this.logitScale * dot(window.embedding, text));
    return { mean: scores, 'sum-with-eot': scores };
  }

  /** Unit caption embeddings, each caption through the text tower once per model. */
  async embedCaptions(prompts: readonly string[], counters: ScoreCounters): Promise<Float32Array[]> {
    const missing = [...new Set(prompts.filter((prompt) => !this.textEmbeddings.has(prompt)))];
    if (missing.length > 0) {
      const inputs = this.tokenizer(missing, { padding: true, truncation: true });
      const rows = firstRow((await this.textModel(inputs)) as Record<string, unknown>, 'text_embeds');
      missing.forEach((prompt, index) => this.textEmbeddings.set(prompt, rows[index]!));
      counters.textRuns++;
      counters.textsEmbedded += missing.length;
    }
    return prompts.map((prompt) => this.textEmbeddings.get(prompt)!);
  }

  async warmUp(): Promise<void> {
    const { encoded } = await this.encode(new Float32Array(this.sampleRate), { keepInput: false });
    await this.score(encoded, ['warm up'], { decoderRuns: 0, labelRowsScored: 0, promptRuns: 0, textRuns: 0, textsEmbedded: 0 });
    this.textEmbeddings.clear();
  }

  async dispose(): Promise<void> {
    await Promise.allSettled([this.textModel.dispose(), this.audioModel.dispose()]);
  }
}
