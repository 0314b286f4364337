import type { Tensor } from '@huggingface/transformers';
import { imageEmbeddingKey, modelVariantKey, textEmbeddingKey, withImageResizeMode } from '../../../lib/cacheKeys';
import { EmbeddingMatrix } from '../../../lib/embeddingMatrix';
import { l2Normalize, type ScoringRule } from '../../../lib/scoring';
import type { FeatureMatrix } from '../../../lib/fewShot';
import type { ImageEmbeddingEntry } from '../shared/embeddingStorage';
import type { ImageEmbeddingSource } from '../../lab/shared';
import type { ClassifyFrameRequest, ClassifyItem, ClassifyRequest, FrameScores, ImageResizeMode, ItemOutcome } from '../shared/protocol';
import type { HeadUse } from '../../lab/shared';
import type { KeptHead } from './clipLab';
import { ensembleClassVector, scoreImage, type HeadToApply } from './clipScoring';
import { EMPTY_STATS, type WorkerStats } from '../../../lib/workerReports';
import { ImageDecodeError } from './decodeImage';
import { batchPixels, decodePicture, nativePlanOf, pictureOfBitmap, type BatchPixels, type DecodedPicture } from './imagePixels';
import type { PixelPlan } from '../../../lib/imagePreprocess';
import type { LoadedClip } from './loadModel';
import type { PersistentEmbeddings } from './persistentEmbeddings';

/** Images per vision-model call: large enough to amortise the call, small enough to cancel promptly. */
export const IMAGE_BATCH_SIZE = 8;

interface EmbeddedImage {
  embedding: Float32Array;
  width: number;
  height: number;
}

/** Image sizes, kept beside the embedding matrix (two numbers per image). */
interface ImageSize {
  width: number;
  height: number;
}

/**
 * One batch decoded and turned into the model's input, waiting for its vision run. The decoded
 * pictures are dropped once the tensor is built (only their sizes are kept): this batch waits
 * while the next one decodes, and holding both batches' pixels twice would double the memory.
 */
export interface PreparedBatch {
  mode: ImageResizeMode;
  decoded: Array<{ contentHash: string } & ImageSize>;
  errors: Map<string, Error>;
  /** Null when no file of the batch could be decoded. */
  pixels: BatchPixels | null;
}

export interface ClassifyCallbacks {
  isCancelled: () => boolean;
  onItem: (item: ClassifyItem, outcome: ItemOutcome) => void;
  onBatchProgress: (done: number, total: number) => void;
  onStats: (stats: WorkerStats) => void;
}

/** The first output whose name is known to hold the embedding (CLIP: *_embeds, SigLIP: pooler_output). */
function embeddingsOf(output: Record<string, Tensor>, names: readonly string[]): Tensor {
  for (const name of names) {
    const tensor = output[name];
    if (tensor) return tensor;
  }
  throw new Error(`The model returned none of ${names.join(', ')}; outputs were ${Object.keys(output).join(', ')}.`);
}

/**
 * With ?debug=1 each embedded image's pixel tensor is kept for the debug API, which the tests call
 * for items they have just added: only the latest this many are kept (the soak bench's 5,000
 * pictures of 64 px otherwise kept 240 MB in the worker, and twice that after a second run).
 */
const DEBUG_PIXELS_KEPT = 256;

function rowsOf(tensor: Tensor): Float32Array[] {
  const [rows, width] = tensor.dims as [number, number];
  const data = tensor.data as Float32Array;
  return Array.from({ length: rows }, (_, row) => l2Normalize(data.subarray(row * width, (row + 1) * width)));
}

/**
 * Embeds each image once and each prompt once per loaded model, and ranks from the caches: a
 * label edit costs only the new prompts' text-model run plus dot products.
 */
export class ClipEngine {
  /** All image embeddings in one Float32Array; created at the first image (its width is the model's). */
  private imageEmbeddings: EmbeddingMatrix | null = null;
  private readonly imageSizes = new Map<string, ImageSize>();
  private readonly textEmbeddings = new Map<string, Float32Array>();
  private readonly debugPixels = new Map<string, { dims: number[]; data: Float32Array }>();
  private readonly variantKey: string;
  private readonly stats: WorkerStats = { ...EMPTY_STATS };
  /** What the native path needs from the model's preprocessor_config.json (null: it asks for steps only the processor does). */
  readonly nativePlan: PixelPlan | null;

  constructor(
    readonly model: LoadedClip,
    private readonly keepInputsForDebug: boolean,
    previousStats?: WorkerStats,
    /** The on-disk cache behind the in-memory one (absent: memory only). */
    private readonly persistent?: PersistentEmbeddings,
    /** Heads trained or imported in this worker, by head id; lost with the worker (the client is told when it asks for one). */
    readonly heads: Map<string, KeptHead> = new Map(),
  ) {
    this.variantKey = modelVariantKey({
      modelId: model.info.modelId,
      sourceKey: model.sourceKey,
      dtype: model.info.dtype,
      backend: model.info.backend,
    });
    this.nativePlan = nativePlanOf(model.imageProcessor);
    // Counters are cumulative for the worker's life, across model switches, so tests can diff them.
    if (previousStats) Object.assign(this.stats, previousStats, { imageCacheSize: 0, textCacheSize: 0 });
  }

  /**
   * The native path's embeddings differ slightly from the processor's, so they are cached apart;
   * the exact path keeps the key it always had (stored embeddings stay valid). A model without a
   * native plan embeds exactly whatever was asked, so its pictures are keyed as exact ones.
   */
  private imageVariantKey(mode: ImageResizeMode): string {
    return withImageResizeMode(this.variantKey, mode === 'native' && this.nativePlan ? 'native' : 'exact');
  }

  currentStats(): WorkerStats {
    return { ...this.stats, imageCacheSize: this.imageEmbeddings?.size ?? 0, textCacheSize: this.textEmbeddings.size };
  }

  pixelsFor(contentHash: string): { dims: number[]; data: Float32Array } | undefined {
    return this.debugPixels.get(contentHash);
  }

  get scoring(): ScoringRule {
    return this.model.entry.scoring;
  }

  async classify(request: ClassifyRequest, callbacks: ClassifyCallbacks): Promise<{ cancelled: boolean }> {
    const mode = request.resizeMode;
    const classVectors = await this.classVectors(request.classPrompts);
    callbacks.onStats(this.currentStats());
    const head = this.headToApply(request.head);
    const score = (image: EmbeddedImage) => scoreImage(image.embedding, classVectors, this.scoring, head);

    const notInMemory: ClassifyItem[] = [];
    let done = 0;
    const scoreCached = (item: ClassifyItem): boolean => {
      const cached = this.cachedImage(imageEmbeddingKey(this.imageVariantKey(mode), item.contentHash));
      if (!cached) return false;
      callbacks.onItem(item, { ok: true, ...score(cached), embeddedNow: false, width: cached.width, height: cached.height });
      done++;
      return true;
    };
    for (const item of request.items) if (!scoreCached(item)) notInMemory.push(item);
    // Seen in an earlier session (or by an earlier worker): read back instead of running the vision model.
    if (await this.restoreStored(notInMemory, mode)) callbacks.onStats(this.currentStats());
    const toEmbed = notInMemory.filter((item) => !scoreCached(item));
    callbacks.onBatchProgress(done, request.items.length);

    // Batch n + 1 is decoded while batch n runs through the vision model: the browser decodes
    // images on its own threads, so the model never waits for the files of the next batch.
    const batches: ClassifyItem[][] = [];
    for (let start = 0; start < toEmbed.length; start += IMAGE_BATCH_SIZE) batches.push(toEmbed.slice(start, start + IMAGE_BATCH_SIZE));
    // A prefetch is awaited at the next turn, or abandoned on a cancel: either way its failure must
    // not count as unhandled meanwhile (awaiting it still throws).
    const prefetch = (batch: readonly ClassifyItem[] | undefined): Promise<PreparedBatch> | null => {
      if (!batch) return null;
      const prepared = this.prepareBatch(batch, mode);
      prepared.catch(() => {});
      return prepared;
    };
    let next = prefetch(batches[0]);
    for (let index = 0; index < batches.length; index++) {
      const batch = batches[index]!;
      // Checked before waiting for the decode too: a cancel lands without waiting for files nobody wants.
      if (callbacks.isCancelled()) return { cancelled: true };
      const prepared = await next!;
      if (callbacks.isCancelled()) return { cancelled: true };
      next = prefetch(batches[index + 1]);
      const outcomes = await this.embedPrepared(prepared);
      callbacks.onStats(this.currentStats());
      for (const item of batch) {
        const outcome = outcomes.get(item.contentHash);
        if (!outcome) continue;
        if (outcome instanceof Error) callbacks.onItem(item, { ok: false, error: outcome.message });
        else callbacks.onItem(item, { ok: true, ...score(outcome), embeddedNow: true, width: outcome.width, height: outcome.height });
      }
      done += batch.length;
      callbacks.onBatchProgress(done, request.items.length);
    }
    return { cancelled: false };
  }

  /** An unknown head (the worker restarted since it was trained) ranks zero-shot, and the outcome says so. */
  private headToApply(use: HeadUse | null): HeadToApply | null {
    const kept = use ? this.heads.get(use.headId) : undefined;
    return kept && use ? { head: kept.head, zeroShotWeight: use.zeroShotWeight } : null;
  }

  /**
   * One live camera frame: class vectors from the text cache (new prompts only go through the text
   * model), the frame drawn as a decoded file is, one batch-1 vision run, scored like an item. The
   * frame's embedding is neither cached nor stored (live frames are never kept), and the bitmap is
   * closed here whatever happens.
   */
  async classifyFrame(request: ClassifyFrameRequest): Promise<FrameScores> {
    const { frame } = request;
    let classVectors: Float32Array[];
    let picture: DecodedPicture;
    try {
      classVectors = await this.classVectors(request.classPrompts);
      picture = pictureOfBitmap(frame, request.resizeMode, this.nativePlan);
    } finally {
      frame.close();
    }
    const started = performance.now();
    const { pixelValues } = await batchPixels([picture], this.model.imageProcessor, this.nativePlan);
    const output = (await this.model.visionModel({ pixel_values: pixelValues })) as Record<string, Tensor>;
    const [embedding] = rowsOf(embeddingsOf(output, ['image_embeds', 'pooler_output']));
    if (!embedding) throw new Error('The vision model returned no embedding for the frame.');
    this.stats.liveFrames++;
    const inferenceMs = performance.now() - started;
    return { ...scoreImage(embedding, classVectors, this.scoring, this.headToApply(request.head)), width: picture.width, height: picture.height, inferenceMs };
  }

  /** Per class, the ensemble of its prompts' text embeddings (each prompt embedded once per model). */
  async classVectors(classPrompts: readonly (readonly string[])[]): Promise<Float32Array[]> {
    const embeddings = await this.embedTexts(classPrompts.flat());
    const vectors: Float32Array[] = [];
    let start = 0;
    for (const prompts of classPrompts) {
      vectors.push(ensembleClassVector(embeddings.slice(start, start + prompts.length)));
      start += prompts.length;
    }
    return vectors;
  }

  /**
   * The unit image embeddings of the items already embedded for this model (in memory, or in the
   * on-disk cache), as one matrix; `found` are the indices (into contentHashes) of its rows. The
   * vision model never runs here: items not embedded yet are left out.
   */
  async imageFeatures(contentHashes: readonly string[], source: ImageEmbeddingSource): Promise<{ features: FeatureMatrix; found: number[] }> {
    const keys = contentHashes.map((hash) => imageEmbeddingKey(this.imageVariantKey(source.resizeMode), hash));
    const missing = [...new Set(keys.filter((key) => !this.imageEmbeddings?.has(key)))];
    await this.restoreKeys(missing);
    const found: number[] = [];
    keys.forEach((key, index) => {
      if (this.imageEmbeddings?.has(key)) found.push(index);
    });
    const dim = this.imageEmbeddings?.width ?? 0;
    const data = new Float32Array(found.length * dim);
    found.forEach((index, row) => data.set(this.imageEmbeddings!.get(keys[index]!)!, row * dim));
    return { features: { data, count: found.length, dim }, found };
  }

  /** The width of the model's embeddings (image and text share it), embedding a text if no image is known yet. */
  async embeddingDim(): Promise<number> {
    if (this.imageEmbeddings) return this.imageEmbeddings.width;
    const [probe] = await this.embedTexts(['a photo.']);
    return probe!.length;
  }

  /** Loads the stored embeddings of these items into memory; true if any were found. */
  private async restoreStored(items: readonly ClassifyItem[], mode: ImageResizeMode): Promise<boolean> {
    return this.restoreKeys([...new Set(items.map((item) => imageEmbeddingKey(this.imageVariantKey(mode), item.contentHash)))]);
  }

  private async restoreKeys(keys: readonly string[]): Promise<boolean> {
    if (!this.persistent || keys.length === 0) return false;
    const { found: stored, skipped } = await this.persistent.getMany(keys, this.imageEmbeddings?.width ?? null);
    this.stats.storedEmbeddingsSkipped += skipped;
    for (const entry of stored.values()) {
      if (this.imageEmbeddings && this.imageEmbeddings.width !== entry.embedding.length) continue;
      this.remember(entry.key, { embedding: entry.embedding, width: entry.width, height: entry.height });
      this.stats.imagesFromStorage++;
    }
    return stored.size > 0 || skipped > 0;
  }

  private remember(key: string, image: EmbeddedImage): void {
    this.imageEmbeddings ??= new EmbeddingMatrix(image.embedding.length);
    this.imageEmbeddings.set(key, image.embedding);
    this.imageSizes.set(key, { width: image.width, height: image.height });
  }

  private cachedImage(key: string): EmbeddedImage | undefined {
    const embedding = this.imageEmbeddings?.get(key);
    const size = this.imageSizes.get(key);
    return embedding && size ? { embedding, ...size } : undefined;
  }

  /** Unit text embeddings of the prompts, from the cache or one text-model run for the new ones. */
  async embedTexts(prompts: readonly string[]): Promise<Float32Array[]> {
    const missing = [...new Set(prompts.filter((prompt) => !this.textEmbeddings.has(textEmbeddingKey(this.variantKey, prompt))))];
    if (missing.length > 0) {
      const { tokenizer, textModel, entry } = this.model;
      const inputs =
        entry.textPadding === 'max_length'
          ? tokenizer(missing, { padding: 'max_length', truncation: true })
          : tokenizer(missing, { padding: true, truncation: true });
      const output = (await textModel(inputs)) as Record<string, Tensor>;
      const rows = rowsOf(embeddingsOf(output, ['text_embeds', 'pooler_output']));
      missing.forEach((prompt, index) => this.textEmbeddings.set(textEmbeddingKey(this.variantKey, prompt), rows[index]!));
      this.stats.textRuns++;
      this.stats.textsEmbedded += missing.length;
    }
    return prompts.map((prompt) => this.textEmbeddings.get(textEmbeddingKey(this.variantKey, prompt))!);
  }

  /**
   * Decodes one batch (all its files at once: the browser decodes them in parallel) and builds its
   * input tensor; a file that fails to decode gets its own error and the rest go on.
   */
  private async prepareBatch(batch: readonly ClassifyItem[], mode: ImageResizeMode): Promise<PreparedBatch> {
    const unique = batch.filter((item, index) => batch.findIndex((other) => other.contentHash === item.contentHash) === index);
    const settled = await Promise.allSettled(unique.map((item) => decodePicture(item.image, mode, this.nativePlan)));
    const errors = new Map<string, Error>();
    const pictures: DecodedPicture[] = [];
    const decoded: PreparedBatch['decoded'] = [];
    settled.forEach((result, index) => {
      const { contentHash } = unique[index]!;
      if (result.status === 'fulfilled') {
        pictures.push(result.value);
        decoded.push({ contentHash, width: result.value.width, height: result.value.height });
      } else errors.set(contentHash, result.reason instanceof ImageDecodeError ? result.reason : new Error(`Could not read this image: ${String(result.reason)}`));
    });
    if (pictures.length === 0) return { mode, decoded, errors, pixels: null };
    // Only the tensor leaves this function: the decoded pictures can go as soon as it is built.
    const pixels = await batchPixels(pictures, this.model.imageProcessor, this.nativePlan);
    return { mode, decoded, errors, pixels };
  }

  /** Runs the vision model once on a prepared batch and keeps (and stores) its embeddings. */
  private async embedPrepared(prepared: PreparedBatch): Promise<Map<string, EmbeddedImage | Error>> {
    const outcomes = new Map<string, EmbeddedImage | Error>(prepared.errors);
    const { decoded, pixels } = prepared;
    if (!pixels) return outcomes;
    const pixel_values = pixels.pixelValues;
    const output = (await this.model.visionModel({ pixel_values })) as Record<string, Tensor>;
    const rows = rowsOf(embeddingsOf(output, ['image_embeds', 'pooler_output']));
    this.stats.visionRuns++;
    this.stats.imagesEmbedded += decoded.length;

    const perImage = pixel_values.dims.slice(1);
    const perImageLength = perImage.reduce((a, b) => a * b, 1);
    const toStore: ImageEmbeddingEntry[] = [];
    const variantKey = this.imageVariantKey(prepared.mode);
    decoded.forEach((d, index) => {
      const embedded = { embedding: rows[index]!, width: d.width, height: d.height };
      const key = imageEmbeddingKey(variantKey, d.contentHash);
      this.remember(key, embedded);
      toStore.push({ key, ...embedded });
      outcomes.set(d.contentHash, embedded);
      if (this.keepInputsForDebug) {
        const data = (pixel_values.data as Float32Array).slice(index * perImageLength, (index + 1) * perImageLength);
        this.debugPixels.delete(d.contentHash);
        this.debugPixels.set(d.contentHash, { dims: [1, ...perImage], data });
        // A Map iterates in insertion order: the first key is the oldest.
        if (this.debugPixels.size > DEBUG_PIXELS_KEPT) this.debugPixels.delete(this.debugPixels.keys().next().value!);
      }
    });
    // Not awaited: ranking doesn't wait for the disk, and a failed write only costs a re-embed later.
    void this.persistent?.putMany(toStore);
    return outcomes;
  }
}
