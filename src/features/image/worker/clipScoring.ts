/**
 * How the CLIP worker turns embeddings into scores: per class, an ensemble of its prompts' text
 * embeddings (the CLIP notebook's recipe), scored as the model scores; and a trained head's
 * probabilities blended with the zero-shot ones. Pure maths, no model.
 */
import { blendProbabilities, headProbabilities, type TrainedHead } from '../../../lib/fewShot';
import { cosineSimilarities, dot, scoreLabels, type ScoringRule } from '../../../lib/scoring';
import type { ClassifierKind } from '../shared/protocol';

/**
 * A class's vector from the unit text embeddings of its prompts: L2-normalise their sum (equal to
 * normalising their mean). One prompt is used as it is, so a single template with a single prompt
 * per label scores bit for bit as it did before ensembles existed.
 */
export function ensembleClassVector(unitEmbeddings: readonly Float32Array[]): Float32Array {
  const [first] = unitEmbeddings;
  if (!first) throw new RangeError('a class needs at least one prompt');
  if (unitEmbeddings.length === 1) return first;
  const sum = new Float64Array(first.length);
  for (const embedding of unitEmbeddings) for (let i = 0; i < sum.length; i++) sum[i]! += embedding[i]!;
  const norm = Math.sqrt(dot(sum, sum));
  return Float32Array.from(sum, (value) => (norm > 0 ? value / norm : 0));
}

/** The model's logits for the cosines: CLIP's scale · cos, SigLIP's scale · cos + bias. */
export function zeroShotLogits(cosines: ArrayLike<number>, rule: ScoringRule): Float32Array {
  const bias = rule.kind === 'sigmoid' ? rule.logitBias : 0;
  return Float32Array.from(cosines, (cosine) => rule.logitScale * cosine + bias);
}

/** A head the worker keeps, as the classify path applies it. */
export interface HeadToApply {
  head: TrainedHead;
  zeroShotWeight: number;
}

export interface ScoredImage {
  scores: Float32Array;
  similarities: Float32Array;
  classifier: ClassifierKind;
}

/**
 * One image's scores against the class vectors: zero-shot as the model scores, or (with a head)
 * the head's probabilities blended with the zero-shot ones.
 */
export function scoreImage(imageEmbedding: Float32Array, classVectors: readonly Float32Array[], rule: ScoringRule, head: HeadToApply | null): ScoredImage {
  const cosines = cosineSimilarities(imageEmbedding, classVectors);
  const zeroShot = scoreLabels(cosines, rule);
  const similarities = Float32Array.from(cosines);
  if (!head) return { scores: Float32Array.from(zeroShot), similarities, classifier: 'zero-shot' };
  const features = { data: imageEmbedding, count: 1, dim: imageEmbedding.length };
  const fromHead = headProbabilities(head.head, features, [0], zeroShotLogits(cosines, rule));
  return { scores: Float32Array.from(blendProbabilities(fromHead, zeroShot, head.zeroShotWeight)), similarities, classifier: head.head.kind };
}
