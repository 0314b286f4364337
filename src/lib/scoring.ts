/** CLIP's trained logit scale (exp(4.6052)); the built-in model is trained with the same fixed scale. */
export const CLIP_LOGIT_SCALE = 100;

export type ScoringRule =
  | { kind: 'softmax'; logitScale: number }
  | { kind: 'sigmoid'; logitScale: number; logitBias: number };

export function dot(a: ArrayLike<number>, b: ArrayLike<number>, bOffset = 0, length = a.length): number {
  let sum = 0;
  for (let i = 0; i < length; i++) sum += (a[i] as number) * (b[bOffset + i] as number);
  return sum;
}

/** Index of the largest of `width` values starting at `offset`; ties go to the lower index. */
export function argmaxAt(values: ArrayLike<number>, offset: number, width: number): number {
  let best = 0;
  for (let c = 1; c < width; c++) if ((values[offset + c] as number) > (values[offset + best] as number)) best = c;
  return best;
}

/** Returns a unit-length copy (a zero vector stays zero rather than becoming NaN). */
export function l2Normalize(vector: ArrayLike<number>): Float32Array {
  const out = Float32Array.from(vector);
  const norm = Math.sqrt(dot(out, out));
  if (norm > 0) for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) / norm;
  return out;
}

/** Numerically stable softmax (subtracts the max), in float64. */
export function softmax(logits: ArrayLike<number>): number[] {
  if (logits.length === 0) return [];
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i] as number);
  const exps = Array.from(logits, (x) => Math.exp(x - max));
  const total = exps.reduce((s, x) => s + x, 0);
  return exps.map((x) => x / total);
}

export function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

/** Cosine similarities of one unit image embedding against each unit text embedding. */
export function cosineSimilarities(imageEmbedding: Float32Array, textEmbeddings: readonly Float32Array[]): number[] {
  return textEmbeddings.map((text) => dot(imageEmbedding, text));
}

/**
 * The model's own scoring: CLIP compares labels against each other (softmax over scale·cos),
 * SigLIP scores each label on its own (sigmoid of scale·cos + bias), so its scores need not sum to 1.
 */
export function scoreLabels(cosines: readonly number[], rule: ScoringRule): number[] {
  if (rule.kind === 'softmax') return softmax(cosines.map((c) => rule.logitScale * c));
  return cosines.map((c) => sigmoid(rule.logitScale * c + rule.logitBias));
}

export interface RankedLabel {
  label: string;
  score: number;
  /** The raw cosine similarity behind the score (with one label, softmax always says 100%). */
  similarity?: number;
}

/** Same labels, same order, same scores: re-applying such a ranking would change nothing. */
export function sameRanking(a: readonly RankedLabel[], b: readonly RankedLabel[]): boolean {
  return a.length === b.length && a.every((entry, index) => entry.label === b[index]!.label && entry.score === b[index]!.score);
}

/** Labels sorted by score, highest first; ties keep the labels' own order. With similarities, each carries its raw cosine. */
export function rankLabels(labels: readonly string[], scores: readonly number[], similarities?: readonly number[]): RankedLabel[] {
  return labels
    .map((label, index) => ({ label, score: scores[index] ?? 0, index }))
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .map(({ label, score, index }) => {
      const similarity = similarities?.[index];
      return similarity === undefined ? { label, score } : { label, score, similarity };
    });
}
