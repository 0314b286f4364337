import type { ImageResizeMode } from './imagePreprocess';

export interface ModelVariant {
  modelId: string;
  /** Where the files came from: the same id on another host may be other weights. */
  sourceKey: string;
  dtype: string;
  backend: string;
}

/** Embeddings differ across weights, precision and backend, so all four are part of the key. */
export function modelVariantKey(variant: ModelVariant): string {
  return [variant.sourceKey, variant.modelId, variant.dtype, variant.backend].map(encodeURIComponent).join('|');
}

/**
 * A model key for image embeddings made on this resize path. The exact path's is the key itself
 * (what was stored before the native path existed stays valid); native pictures have slightly
 * other pixels, so their embeddings, and the rankings made from them, are keyed apart.
 */
export function withImageResizeMode(modelKey: string, mode: ImageResizeMode): string {
  return mode === 'exact' ? modelKey : `${modelKey}|resize:${mode}`;
}

export function imageEmbeddingKey(variantKey: string, contentHash: string): string {
  return `${variantKey}#image:${contentHash}`;
}

export function textEmbeddingKey(variantKey: string, prompt: string): string {
  return `${variantKey}#text:${prompt}`;
}

export function toHex(buffer: ArrayBuffer): string {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Content hash of a file's bytes: the same picture dropped twice, or renamed, is embedded once. */
export async function sha256Hex(data: ArrayBuffer | Uint8Array): Promise<string> {
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  return toHex(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
}

const AUDIO_RANKING_KEY_SEPARATOR = '\u0000';

/**
 * The key of an audio ranking: the model first, then the score rule and each label's prompts
 * (joined by \u0001, labels by \u0000), so regrouping the same prompts gives another key.
 */
export function audioRankingKey(model: string, aggregation: string, classPrompts: readonly (readonly string[])[]): string {
  return [model, aggregation, ...classPrompts.map((prompts) => prompts.join('\u0001'))].join(AUDIO_RANKING_KEY_SEPARATOR);
}

/** The model an audio ranking key (see audioRankingKey, with or without a head suffix) was made with. */
export function audioRankingModel(rankingKey: string): string {
  return rankingKey.split(AUDIO_RANKING_KEY_SEPARATOR, 1)[0] ?? '';
}
