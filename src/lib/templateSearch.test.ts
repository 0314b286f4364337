import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { calibratedProbabilities } from './audioScoring';
import { classificationReport } from './metrics';
import { seededRandom } from './random';
import {
  embeddingCandidates,
  predictWithTemplates,
  scoresWithTemplates,
  searchTemplates,
  summarizePredictions,
  type ScoreCandidates,
  type TemplateCandidates,
} from './templateSearch';

function gaussian(next: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
}

function unit(vector: number[]): number[] {
  const norm = Math.hypot(...vector);
  return vector.map((v) => v / norm);
}

function dot(a: readonly number[], b: readonly number[]): number {
  return a.reduce((s, v, i) => s + v * (b[i] as number), 0);
}

function randomUnit(next: () => number, dim: number): number[] {
  return unit(Array.from({ length: dim }, () => gaussian(next)));
}

/**
 * A small CLIP-like problem from explicit vectors: per template, class and label alternative, a
 * unit "prompt embedding"; per item, a unit "image embedding" near its class's direction.
 */
function clipProblem(seed: number, options: { templates: number; classes: number; alternatives: number; items: number; dim: number; noise: number }) {
  const next = seededRandom(seed);
  const { templates, classes, alternatives, items, dim, noise } = options;
  const classDirections = Array.from({ length: classes }, () => randomUnit(next, dim));
  const prompts = Array.from({ length: templates }, () =>
    Array.from({ length: classes }, (_, c) =>
      Array.from({ length: alternatives }, () => unit((classDirections[c] as number[]).map((v) => v + noise * gaussian(next)))),
    ),
  );
  const truth = Int32Array.from({ length: items }, (_, i) => i % classes);
  const images = Array.from(truth, (c) => unit((classDirections[c] as number[]).map((v) => v + 1.5 * noise * gaussian(next))));
  return { prompts, images, truth, dim, classes, items, templates };
}

function candidatesOf(problem: ReturnType<typeof clipProblem>) {
  const { prompts, images, dim, classes, items } = problem;
  const sums = prompts.map((perClass) => {
    const out = new Float32Array(classes * dim);
    perClass.forEach((alts, c) => alts.forEach((p) => p.forEach((v, d) => (out[c * dim + d] = (out[c * dim + d] as number) + v))));
    return out;
  });
  return embeddingCandidates(Float32Array.from(images.flat()), items, dim, sums, classes);
}

/** The CLIP notebook's ensemble: normalise each prompt embedding, average, normalise again, dot with the unit image embedding. */
function clipNotebookCosines(problem: ReturnType<typeof clipProblem>, templateSet: readonly number[]): number[][] {
  const classEmbeddings = Array.from({ length: problem.classes }, (_, c) => {
    const members = templateSet.flatMap((t) => (problem.prompts[t] as number[][][])[c] as number[][]).map(unit);
    const mean = Array.from({ length: problem.dim }, (_, d) => members.reduce((s, p) => s + (p[d] as number), 0) / members.length);
    return unit(mean);
  });
  return problem.images.map((image) => classEmbeddings.map((e) => dot(image, e)));
}

function argmax(row: readonly number[]): number {
  let best = 0;
  row.forEach((v, k) => {
    if (v > (row[best] as number)) best = k;
  });
  return best;
}

function accuracy(truth: Int32Array, predictions: Int32Array): number {
  let correct = 0;
  truth.forEach((t, i) => {
    if (predictions[i] === t) correct++;
  });
  return correct / truth.length;
}

describe('embedding ensembles', () => {
  const problem = clipProblem(11, { templates: 5, classes: 4, alternatives: 2, items: 24, dim: 16, noise: 0.6 });
  const candidates = candidatesOf(problem);

  it.each([[[0]], [[3]], [[0, 2]], [[4, 1, 3]], [[0, 1, 2, 3, 4]]])('equal the CLIP notebook cosine for templates %j', (templateSet) => {
    const expected = clipNotebookCosines(problem, templateSet);
    const scores = scoresWithTemplates(candidates, templateSet);
    expected.forEach((row, i) => row.forEach((cosine, c) => expect(scores[i * problem.classes + c]).toBeCloseTo(cosine, 5)));
    const predictions = predictWithTemplates(candidates, templateSet);
    expect(Array.from(predictions)).toEqual(expected.map(argmax));
  });

  it('score and predict a listed subset of items in the listed order', () => {
    const subset = [7, 2, 19];
    const all = scoresWithTemplates(candidates, [1, 2]);
    const some = scoresWithTemplates(candidates, [1, 2], subset);
    subset.forEach((item, j) => {
      for (let c = 0; c < problem.classes; c++) expect(some[j * problem.classes + c]).toBe(all[item * problem.classes + c]);
    });
    const predictions = predictWithTemplates(candidates, [1, 2]);
    expect(Array.from(predictWithTemplates(candidates, [1, 2], subset))).toEqual(subset.map((i) => predictions[i]));
  });

  it('break ties towards the lower class index', () => {
    const tied: TemplateCandidates = {
      kind: 'embedding',
      templates: 1,
      items: 1,
      classes: 3,
      dots: [Float32Array.of(0.2, 0.5, 0.5)],
      gram: [Float64Array.of(1), Float64Array.of(1), Float64Array.of(1)],
    };
    expect(Array.from(predictWithTemplates(tied, [0]))).toEqual([1]);
  });

  it('refuse an empty template set or templates out of range', () => {
    expect(() => predictWithTemplates(candidates, [])).toThrow(RangeError);
    expect(() => predictWithTemplates(candidates, [5])).toThrow(RangeError);
  });
});

/**
 * Three templates over unit class directions e0, e1, e2: index 0 neutral (every class's prompt
 * is the same vector, so every class scores alike), index 1 anti-informative (class c's prompt
 * is the next class's direction), index 2 informative (class c's prompt is e_c).
 */
function informativeProblem(seed: number) {
  const next = seededRandom(seed);
  const dim = 6;
  const classes = 3;
  const items = 30;
  const basis = (k: number) => Array.from({ length: dim }, (_, d) => (d === k ? 1 : 0));
  const truth = Int32Array.from({ length: items }, (_, i) => i % classes);
  const images = Array.from(truth, (c) => unit(basis(c).map((v) => v + 0.1 * gaussian(next))));
  const sums = [
    Array.from({ length: classes }, () => basis(5)),
    Array.from({ length: classes }, (_, c) => basis((c + 1) % classes)),
    Array.from({ length: classes }, (_, c) => basis(c)),
  ].map((perClass) => Float32Array.from(perClass.flat()));
  return { candidates: embeddingCandidates(Float32Array.from(images.flat()), items, dim, sums, classes), truth };
}

describe('searchTemplates', () => {
  it('greedy picks the informative template alone: the anti-informative one hurts and the neutral one adds nothing', () => {
    const { candidates, truth } = informativeProblem(3);
    const result = searchTemplates(candidates, truth, { maxFolds: 5, seed: 1 });
    expect(result).not.toBeNull();
    if (!result) return;
    expect(result.singles.map((s) => s.accuracy)).toEqual([10 / 30, 0, 1]);
    expect(result.greedy.templates).toEqual([2]);
    expect(result.greedy.accuracy).toBe(1);
    expect(result.greedy.cvAccuracy).toBe(1);
    expect(result.bestSingle.templates).toEqual([2]);
    expect(result.ensemble.templates).toEqual([0, 1, 2]);
    expect(result.ensemble.accuracy).toBeLessThan(1);
    expect(result.folds).toBe(5);
  });

  it('greedy adds templates while the accuracy strictly rises, each step the best addition (brute force check)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), (seed) => {
        const problem = clipProblem(seed, { templates: 6, classes: 3, alternatives: 1, items: 30, dim: 8, noise: 1.2 });
        const candidates = candidatesOf(problem);
        const result = searchTemplates(candidates, problem.truth, { maxFolds: 3, seed });
        if (!result) throw new Error('not cancelled, so a result');
        const score = (set: number[]) => accuracy(problem.truth, predictWithTemplates(candidates, set));
        const expected: number[] = [];
        let current = -1;
        for (;;) {
          let bestT = -1;
          let best = current;
          for (let t = 0; t < 6; t++) {
            if (expected.includes(t)) continue;
            const a = score([...expected, t]);
            if (a > best + 1e-12) {
              best = a;
              bestT = t;
            }
          }
          if (bestT < 0) break;
          expected.push(bestT);
          current = best;
        }
        expect(result.greedy.templates).toEqual(expected);
        expect(result.greedy.accuracy).toBeCloseTo(current, 12);
        const singles = result.singles.map((s) => s.accuracy);
        expect(result.bestSingle.templates).toEqual([singles.indexOf(Math.max(...singles))]);
        expect(result.greedy.accuracy).toBeGreaterThanOrEqual(result.bestSingle.accuracy);
      }),
      { numRuns: 60 },
    );
  });

  it('breaks ties between equally good templates towards the lower index', () => {
    const { candidates, truth } = informativeProblem(6);
    // Templates: neutral, anti-informative, informative, and an exact copy of the informative one;
    // then the same four reordered so the two copies sit at indices 1 and 3.
    const duplicated = { ...candidates, templates: 4, dots: [...candidates.dots, candidates.dots[2] as Float32Array] };
    duplicated.gram = candidates.gram.map((gram) => {
      const source = [0, 1, 2, 2];
      return Float64Array.from({ length: 16 }, (_, cell) => gram[(source[Math.floor(cell / 4)] as number) * 3 + (source[cell % 4] as number)] as number);
    });
    const reordered = { ...duplicated, dots: [duplicated.dots[0], duplicated.dots[3], duplicated.dots[1], duplicated.dots[2]] as Float32Array[] };
    reordered.gram = duplicated.gram.map((gram) => {
      const source = [0, 3, 1, 2];
      return Float64Array.from({ length: 16 }, (_, cell) => gram[(source[Math.floor(cell / 4)] as number) * 4 + (source[cell % 4] as number)] as number);
    });
    for (const [problem, expected] of [[duplicated, 2], [reordered, 1]] as const) {
      const result = searchTemplates(problem, truth, { maxFolds: 3, seed: 2 });
      if (!result) throw new Error('not cancelled, so a result');
      expect(result.greedy.templates).toEqual([expected]);
      expect(result.bestSingle.templates).toEqual([expected]);
    }
  });

  it.each(['none', 'zero-input', 'prior'] as const)('greedy over averaged scores (%s) matches the brute-force rule', (calibration) => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), (seed) => {
        const next = seededRandom(seed);
        const templates = 4;
        const items = 18;
        const classes = 3;
        const truth = Int32Array.from({ length: items }, (_, i) => i % classes);
        const candidates: ScoreCandidates = {
          kind: 'score-average',
          templates,
          items,
          classes,
          scores: Array.from({ length: templates }, () =>
            Float32Array.from({ length: items * classes }, (_, cell) => (cell % classes === truth[Math.floor(cell / classes)] ? 0.5 : 0) + gaussian(next)),
          ),
          calibration,
          zeroInput: Array.from({ length: templates }, () => Float32Array.from({ length: classes }, () => gaussian(next))),
        };
        const result = searchTemplates(candidates, truth, { maxFolds: 3, seed });
        if (!result) throw new Error('not cancelled, so a result');
        const score = (set: number[]) => accuracy(truth, predictWithTemplates(candidates, set));
        const expected: number[] = [];
        let current = -1;
        for (;;) {
          let bestT = -1;
          let best = current;
          for (let t = 0; t < templates; t++) {
            if (expected.includes(t)) continue;
            const a = score([...expected, t]);
            if (a > best + 1e-12) {
              best = a;
              bestT = t;
            }
          }
          if (bestT < 0) break;
          expected.push(bestT);
          current = best;
        }
        expect(result.greedy.templates).toEqual(expected);
        expect(result.greedy.accuracy).toBeCloseTo(current, 12);
      }),
      { numRuns: 15 },
    );
  });

  it('fixed configurations report their in-sample figures as cross-validated; the selected ones are re-run per fold', () => {
    const problem = clipProblem(5, { templates: 4, classes: 3, alternatives: 1, items: 30, dim: 8, noise: 1 });
    const candidates = candidatesOf(problem);
    const result = searchTemplates(candidates, problem.truth, { maxFolds: 5, seed: 9 });
    if (!result) throw new Error('not cancelled, so a result');
    for (const fixed of [...result.singles, result.ensemble]) {
      expect(fixed.cvAccuracy).toBe(fixed.accuracy);
      expect(fixed.cvPredictions).toEqual(fixed.predictions);
      expect(fixed.cvAvailable).toBe(true);
    }
    expect(result.greedy.cvAvailable).toBe(true);
    expect(result.greedy.cvAccuracy).toBe(accuracy(problem.truth, result.greedy.cvPredictions));
    expect(result.bestSingle.cvAccuracy).toBe(accuracy(problem.truth, result.bestSingle.cvPredictions));
    expect(searchTemplates(candidates, problem.truth, { maxFolds: 5, seed: 9 })).toEqual(result);
  });

  it('cross-validation shows chance where in-sample selection over many random templates looks good', () => {
    // 60 templates of pure noise, 24 items in 3 classes: nothing can be learnt (chance is 1/3), but
    // picking the luckiest templates on the same items finds some that fit them. Over 8 draws.
    const templates = 60;
    const items = 24;
    const classes = 3;
    const truth = Int32Array.from({ length: items }, (_, i) => i % classes);
    const draws = Array.from({ length: 8 }, (_, draw) => {
      const next = seededRandom(100 + draw);
      const candidates: ScoreCandidates = {
        kind: 'score-average',
        templates,
        items,
        classes,
        scores: Array.from({ length: templates }, () => Float32Array.from({ length: items * classes }, () => gaussian(next))),
        calibration: 'none',
        zeroInput: null,
      };
      const result = searchTemplates(candidates, truth, { maxFolds: 4, seed: draw });
      if (!result) throw new Error('not cancelled, so a result');
      expect(result.greedy.cvAccuracy).toBeLessThan(result.greedy.accuracy);
      return result;
    });
    const mean = (values: number[]) => values.reduce((s, v) => s + v, 0) / values.length;
    expect(mean(draws.map((r) => r.greedy.accuracy))).toBeGreaterThan(0.6);
    expect(mean(draws.map((r) => r.bestSingle.accuracy))).toBeGreaterThan(0.5);
    expect(mean(draws.map((r) => r.greedy.cvAccuracy))).toBeLessThan(0.4);
    expect(mean(draws.map((r) => r.bestSingle.cvAccuracy))).toBeLessThan(0.4);
  });

  it('without two items in every class, the selected configurations say cross-validation was not available', () => {
    const { candidates, truth } = informativeProblem(4);
    const onlyOne = Int32Array.from(truth, (t, i) => (t === 1 && i !== 1 ? 0 : t));
    const result = searchTemplates(candidates, onlyOne, { maxFolds: 5, seed: 1 });
    if (!result) throw new Error('not cancelled, so a result');
    expect(result.folds).toBe(0);
    expect(result.greedy.cvAvailable).toBe(false);
    expect(result.bestSingle.cvAvailable).toBe(false);
    expect(result.greedy.cvAccuracy).toBe(result.greedy.accuracy);
    expect(result.singles.every((s) => s.cvAvailable === true)).toBe(true);
  });

  it('stops and returns null when cancelled between greedy steps or folds', () => {
    const problem = clipProblem(8, { templates: 6, classes: 3, alternatives: 1, items: 30, dim: 8, noise: 1.2 });
    const candidates = candidatesOf(problem);
    expect(searchTemplates(candidates, problem.truth, { maxFolds: 3, seed: 1, isCancelled: () => true })).toBeNull();
    let checks = 0;
    const uncancelled = searchTemplates(candidates, problem.truth, { maxFolds: 3, seed: 1, isCancelled: () => (checks++, false) });
    expect(uncancelled).not.toBeNull();
    const total = checks;
    expect(total).toBeGreaterThan(3);
    for (const after of [1, 2, Math.floor(total / 2), total - 1]) {
      let seen = 0;
      expect(searchTemplates(candidates, problem.truth, { maxFolds: 3, seed: 1, isCancelled: () => ++seen > after })).toBeNull();
    }
  });

  it('refuses truth that does not fit the candidates', () => {
    const { candidates, truth } = informativeProblem(1);
    expect(() => searchTemplates(candidates, truth.subarray(1), { maxFolds: 5, seed: 1 })).toThrow(RangeError);
    expect(() => searchTemplates(candidates, Int32Array.from(truth, () => 3), { maxFolds: 5, seed: 1 })).toThrow(RangeError);
  });
});

describe('score-average ensembles', () => {
  const next = seededRandom(77);
  const templates = 3;
  const items = 40;
  const classes = 4;
  const truth = Int32Array.from({ length: items }, (_, i) => i % classes);
  // Informative log-scores with a strong bias towards class 0 that only calibration removes.
  const bias = [3, 0, -1, 0.5];
  const scores = Array.from({ length: templates }, () =>
    Float32Array.from({ length: items * classes }, (_, cell) => {
      const item = Math.floor(cell / classes);
      const c = cell % classes;
      return (c === truth[item] ? 1.5 : 0) + (bias[c] as number) + 0.5 * gaussian(next);
    }),
  );
  const zeroInput = Array.from({ length: templates }, () => Float32Array.from(bias, (b) => b + 0.1 * gaussian(next)));
  const make = (calibration: ScoreCandidates['calibration']): ScoreCandidates => ({ kind: 'score-average', templates, items, classes, scores, calibration, zeroInput });
  const meanRows = (set: number[], subset: number[]) =>
    subset.map((i) => Array.from({ length: classes }, (_, c) => set.reduce((s, t) => s + ((scores[t] as Float32Array)[i * classes + c] as number), 0) / set.length));
  const meanZero = (set: number[]) => Array.from({ length: classes }, (_, c) => set.reduce((s, t) => s + ((zeroInput[t] as Float32Array)[c] as number), 0) / set.length);
  const everyItem = Array.from({ length: items }, (_, i) => i);

  it.each(['none', 'zero-input', 'prior'] as const)('average the raw scores, then calibrate (%s) as calibratedProbabilities does', (calibration) => {
    for (const set of [[0], [1, 2], [2, 0, 1]]) {
      const expected = calibratedProbabilities(meanRows(set, everyItem), calibration, meanZero(set));
      const logProbabilities = scoresWithTemplates(make(calibration), set);
      expected.forEach((row, i) => row.forEach((p, c) => expect(Math.exp(logProbabilities[i * classes + c] as number)).toBeCloseTo(p, 9)));
      expect(Array.from(predictWithTemplates(make(calibration), set))).toEqual(expected.map(argmax));
    }
  });

  it('match the prior over the items being evaluated', () => {
    const subset = [0, 1, 2, 3, 4, 8, 12];
    const expected = calibratedProbabilities(meanRows([0, 1], subset), 'prior', null);
    expect(Array.from(predictWithTemplates(make('prior'), [0, 1], subset))).toEqual(expected.map(argmax));
    const overAll = calibratedProbabilities(meanRows([0, 1], everyItem), 'prior', null);
    const fromAll = subset.map((i) => argmax(overAll[i] as number[]));
    const fromSubset = expected.map(argmax);
    expect(fromSubset).not.toEqual(fromAll);
  });

  it('calibration recovers what the bias hides', () => {
    const uncalibrated = searchTemplates(make('none'), truth, { maxFolds: 5, seed: 3 });
    const prior = searchTemplates(make('prior'), truth, { maxFolds: 5, seed: 3 });
    const zero = searchTemplates(make('zero-input'), truth, { maxFolds: 5, seed: 3 });
    if (!uncalibrated || !prior || !zero) throw new Error('not cancelled, so results');
    expect(uncalibrated.ensemble.accuracy).toBeLessThan(0.5);
    expect(prior.ensemble.accuracy).toBeGreaterThan(0.8);
    expect(zero.ensemble.accuracy).toBeGreaterThan(0.8);
    expect(prior.greedy.cvAccuracy).toBeGreaterThan(0.7);
  });

  it('refuse zero-input calibration without silent-clip scores', () => {
    expect(() => predictWithTemplates({ ...make('zero-input'), zeroInput: null }, [0])).toThrow();
  });
});

describe('summarizePredictions', () => {
  it('agrees with classificationReport on random predictions', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.array(fc.tuple(fc.nat(), fc.nat()), { minLength: 1, maxLength: 60 }), (classes, pairs) => {
        const truth = Int32Array.from(pairs, ([t]) => t % classes);
        const predictions = Int32Array.from(pairs, ([, p]) => p % classes);
        const names = Array.from({ length: classes }, (_, k) => `class ${k}`);
        const report = classificationReport(Array.from(truth, (t) => names[t]), Array.from(predictions, (p) => names[p] as string), names);
        const summary = summarizePredictions(truth, predictions, classes);
        expect(summary.accuracy).toBeCloseTo(report.accuracy ?? Number.NaN, 12);
        if (report.macro.f1 === null) expect(summary.macroF1).toBeNull();
        else expect(summary.macroF1).toBeCloseTo(report.macro.f1, 12);
        expect(summary.perClassRecall).toEqual(report.perClass.map((c) => c.recall));
        expect(summary.perClassSupport).toEqual(report.perClass.map((c) => c.support));
        expect(summary.confusion).toEqual(report.confusion.counts.map((row) => row.slice(0, classes)));
      }),
    );
  });

  it('puts truth on rows and predictions on columns', () => {
    const summary = summarizePredictions(Int32Array.of(0, 0, 1), Int32Array.of(1, 0, 1), 3);
    expect(summary.confusion).toEqual([
      [1, 1, 0],
      [0, 1, 0],
      [0, 0, 0],
    ]);
    expect(summary.perClassRecall).toEqual([0.5, 1, null]);
    expect(summary.macroF1).toBeCloseTo((2 / 3 + 2 / 3) / 2, 12);
  });
});

describe('embeddingCandidates', () => {
  it('computes the dot products and per-class Gram matrices of the template sums', () => {
    const items = Float32Array.of(1, 0, 0, 1);
    const sums = [Float32Array.of(1, 2, 3, 4), Float32Array.of(0, 1, 1, 0)];
    const candidates = embeddingCandidates(items, 2, 2, sums, 2);
    expect(Array.from(candidates.dots[0] as Float32Array)).toEqual([1, 3, 2, 4]);
    expect(Array.from(candidates.dots[1] as Float32Array)).toEqual([0, 1, 1, 0]);
    expect(Array.from(candidates.gram[0] as Float64Array)).toEqual([5, 2, 2, 1]);
    expect(Array.from(candidates.gram[1] as Float64Array)).toEqual([25, 3, 3, 1]);
  });

  it('refuses inputs of the wrong size', () => {
    expect(() => embeddingCandidates(new Float32Array(3), 2, 2, [], 2)).toThrow(RangeError);
    expect(() => embeddingCandidates(new Float32Array(4), 2, 2, [new Float32Array(3)], 2)).toThrow(RangeError);
  });
});
