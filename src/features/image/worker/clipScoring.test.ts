import { describe, expect, it } from 'vitest';
import { blendProbabilities, headProbabilities, type TrainedHead } from '../../../lib/fewShot';
import { cosineSimilarities, l2Normalize, scoreLabels, softmax, type ScoringRule } from '../../../lib/scoring';
import { ensembleClassVector, scoreImage, zeroShotLogits } from './clipScoring';

const CLIP_RULE: ScoringRule = { kind: 'softmax', logitScale: 100 };

describe('ensembleClassVector', () => {
  it('normalises the sum of the unit prompt embeddings (hand-computed)', () => {
    // (1,0,0) and (0,1,0): their sum (1,1,0) has norm √2.
    const vector = ensembleClassVector([new Float32Array([1, 0, 0]), new Float32Array([0, 1, 0])]);
    expect(Array.from(vector)).toEqual([Math.fround(Math.SQRT1_2), Math.fround(Math.SQRT1_2), 0]);
    // (0.6, 0.8), (1, 0), (0, 1): sum (1.6, 1.8), norm √5.8.
    const three = ensembleClassVector([new Float32Array([0.6, 0.8]), new Float32Array([1, 0]), new Float32Array([0, 1])]);
    expect(three[0]).toBeCloseTo(1.6 / Math.sqrt(5.8), 7);
    expect(three[1]).toBeCloseTo(1.8 / Math.sqrt(5.8), 7);
  });

  it('uses a lone prompt as it is, so one prompt per label scores exactly as before ensembles', () => {
    const unit = l2Normalize([0.3, -0.2, 0.9]);
    expect(ensembleClassVector([unit])).toBe(unit);
  });

  it('refuses a class without prompts', () => {
    expect(() => ensembleClassVector([])).toThrow(RangeError);
  });
});

describe('scoreImage', () => {
  const image = l2Normalize([0.5, 0.4, -0.1, 0.2]);
  const classVectors = [l2Normalize([1, 0.2, 0, 0]), l2Normalize([0, 1, 0.1, 0.3]), l2Normalize([0.2, 0, 1, 0])];

  it('scores zero-shot as the model does and reports the raw cosines', () => {
    const scored = scoreImage(image, classVectors, CLIP_RULE, null);
    const cosines = cosineSimilarities(image, classVectors);
    expect(Array.from(scored.scores)).toEqual(Array.from(Float32Array.from(scoreLabels(cosines, CLIP_RULE))));
    expect(Array.from(scored.similarities)).toEqual(Array.from(Float32Array.from(cosines)));
    expect(scored.classifier).toBe('zero-shot');
  });

  it('logits are scale · cos (+ bias for SigLIP)', () => {
    expect(Array.from(zeroShotLogits([0.1, -0.2], CLIP_RULE))).toEqual([Math.fround(10), Math.fround(-20)]);
    expect(Array.from(zeroShotLogits([0.1], { kind: 'sigmoid', logitScale: 10, logitBias: -2 }))).toEqual([-1]);
  });

  const knnHead: TrainedHead = {
    kind: 'knn',
    classes: 3,
    dim: 4,
    k: 1,
    keys: Float32Array.from([...classVectors[2]!, ...classVectors[1]!]),
    keyLabels: Int32Array.from([2, 1]),
  };

  it('with a head at zero-shot weight 1 gives exactly the zero-shot scores, and names the head', () => {
    const zeroShot = scoreImage(image, classVectors, CLIP_RULE, null);
    const withHead = scoreImage(image, classVectors, CLIP_RULE, { head: knnHead, zeroShotWeight: 1 });
    expect(Array.from(withHead.scores)).toEqual(Array.from(zeroShot.scores));
    expect(withHead.classifier).toBe('knn');
  });

  it('with a head at weight 0 gives the head alone, and blends in between', () => {
    const features = { data: image, count: 1, dim: 4 };
    const fromHead = headProbabilities(knnHead, features, [0], null);
    const zeroShot = softmax(cosineSimilarities(image, classVectors).map((c) => 100 * c));
    const alone = scoreImage(image, classVectors, CLIP_RULE, { head: knnHead, zeroShotWeight: 0 });
    expect(Array.from(alone.scores)).toEqual(Array.from(Float32Array.from(fromHead)));
    const blended = scoreImage(image, classVectors, CLIP_RULE, { head: knnHead, zeroShotWeight: 0.25 });
    const expected = blendProbabilities(fromHead, zeroShot, 0.25);
    blended.scores.forEach((score, c) => expect(score).toBeCloseTo(expected[c]!, 6));
    // The head moves the prediction: zero-shot's top class (0) is not among the head's neighbours.
    expect(alone.scores[0]!).toBeLessThan(Math.max(alone.scores[1]!, alone.scores[2]!));
  });
});
