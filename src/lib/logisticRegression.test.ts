import { describe, expect, it } from 'vitest';
import fixture from './fixtures/logreg-sklearn.json';
import { ABSENT_CLASS_BIAS, fitLogistic, logisticLogits, logisticProbabilities, type LogisticModel } from './logisticRegression';
import { minimizeLbfgs } from './lbfgs';

/** The scikit-learn reference (tools/make_logreg_fixture.py, scikit-learn version in the file). */
const { classes, dim } = fixture;
const X = Float64Array.from(fixture.X.flat());
const n = fixture.y.length;
const testX = Float64Array.from(fixture.testX.flat());
const testN = fixture.testY.length;

function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] as number) - (b[i] as number)));
  return max;
}

function argmaxRows(values: ArrayLike<number>, width: number): number[] {
  const out: number[] = [];
  for (let start = 0; start < values.length; start += width) {
    let best = 0;
    for (let c = 1; c < width; c++) if ((values[start + c] as number) > (values[start + best] as number)) best = c;
    out.push(best);
  }
  return out;
}

/** The softmax is unchanged by adding a constant to every bias; compare biases up to it. */
function centred(values: ArrayLike<number>): number[] {
  const list = Array.from(values);
  const mean = list.reduce((sum, value) => sum + value, 0) / list.length;
  return list.map((value) => value - mean);
}

describe('fitLogistic against scikit-learn', () => {
  it('uses a fixture with overlapping classes, from a recorded scikit-learn version', () => {
    expect(fixture.sklearnVersion).toMatch(/^\d+\.\d+/);
    expect(n).toBe(300);
    // Learnable but not separable: scikit-learn itself misclassifies some training rows.
    for (const fit of fixture.fits) expect(fit.trainAccuracy).toBeLessThan(1);
  });

  for (const reference of fixture.fits) {
    // The subset fit has fewer rows than dimensions: solved in the rows' span.
    const rows = reference.rows;
    const fitX = X.subarray(0, rows * dim);
    const fitY = fixture.y.slice(0, rows);
    describe(`C = ${reference.C}, ${rows} rows of dimension ${dim}`, () => {
      const model = fitLogistic(fitX, rows, dim, fitY, classes, { C: reference.C });

      it('gives scikit-learn probabilities (within 1e-3) and classes on the training rows', () => {
        const probabilities = logisticProbabilities(model, X, n);
        const expected = reference.trainProba.flat();
        expect(maxAbsDifference(probabilities, expected)).toBeLessThan(1e-3);
        expect(argmaxRows(probabilities, classes)).toEqual(argmaxRows(expected, classes));
      });

      it('gives scikit-learn probabilities and classes on held-out rows', () => {
        const probabilities = logisticProbabilities(model, testX, testN);
        const expected = reference.testProba.flat();
        expect(maxAbsDifference(probabilities, expected)).toBeLessThan(1e-3);
        expect(argmaxRows(probabilities, classes)).toEqual(argmaxRows(expected, classes));
      });

      it('finds scikit-learn coefficients, and its intercepts up to the constant softmax ignores', () => {
        expect(maxAbsDifference(model.weights, reference.coef.flat())).toBeLessThan(1e-3);
        expect(maxAbsDifference(centred(model.bias), centred(reference.intercept))).toBeLessThan(1e-3);
      });

      it('reaches the same optimum from a warm start', () => {
        // Start from a deliberately different point: the other C's solution, scaled, plus a bias offset.
        const other = fitLogistic(fitX, rows, dim, fitY, classes, { C: reference.C === 10 ? 0.5 : 10 });
        const warm = fitLogistic(fitX, rows, dim, fitY, classes, {
          C: reference.C,
          initialWeights: other.weights.map((w) => 3 * w),
          initialBias: other.bias.map((b, c) => b + c),
        });
        expect(maxAbsDifference(logisticProbabilities(warm, X, n), logisticProbabilities(model, X, n))).toBeLessThan(1e-5);
        expect(maxAbsDifference(warm.weights, model.weights)).toBeLessThan(1e-4);
        expect(maxAbsDifference(logisticProbabilities(warm, X, n), reference.trainProba.flat())).toBeLessThan(1e-3);
      });
    });
  }
});

describe('fitLogistic', () => {
  it('converges: the gradient of Σ CE + ‖W‖²/(2C) at its solution is at the tolerance', () => {
    const C = 2;
    const model = fitLogistic(X, n, dim, fixture.y, classes, { C, tolerance: 1e-7 });
    const probabilities = logisticProbabilities(model, X, n);
    let maxGradient = 0;
    for (let c = 0; c < classes; c++) {
      let biasGradient = 0;
      for (let i = 0; i < n; i++) biasGradient += (probabilities[i * classes + c] as number) - (fixture.y[i] === c ? 1 : 0);
      maxGradient = Math.max(maxGradient, Math.abs(biasGradient));
      for (let d = 0; d < dim; d++) {
        let g = (model.weights[c * dim + d] as number) / C;
        for (let i = 0; i < n; i++) g += ((probabilities[i * classes + c] as number) - (fixture.y[i] === c ? 1 : 0)) * (X[i * dim + d] as number);
        maxGradient = Math.max(maxGradient, Math.abs(g));
      }
    }
    expect(maxGradient).toBeLessThan(1e-6);
  });

  it('solves in the rows\' span when there are fewer rows than dimensions, with the same result', () => {
    const rows = 25;
    const reduced = fitLogistic(X.subarray(0, rows * dim), rows, dim, fixture.y.slice(0, rows), classes, { C: 3, tolerance: 1e-8 });
    const full = fitLogistic(X.subarray(0, rows * dim), rows, dim, fixture.y.slice(0, rows), classes, { C: 3, tolerance: 1e-8, rowSpace: false });
    expect(maxAbsDifference(reduced.weights, full.weights)).toBeLessThan(1e-6);
    expect(maxAbsDifference(logisticProbabilities(reduced, testX, testN), logisticProbabilities(full, testX, testN))).toBeLessThan(1e-6);
  });

  it('leaves a class without rows out of the fit and never predicts it', () => {
    // Classes 0 and 2 only, of 3: a 1-d problem with overlap.
    const x = [-2, -1, -0.5, 0.2, 0.5, 1, 2, -0.1];
    const y = [0, 0, 0, 0, 2, 2, 2, 2];
    const model = fitLogistic(x, x.length, 1, y, 3, { C: 1 });
    expect(model.bias[1]).toBe(ABSENT_CLASS_BIAS);
    expect(model.weights[1]).toBe(0);
    const probabilities = logisticProbabilities(model, x, x.length);
    for (let i = 0; i < x.length; i++) {
      expect(probabilities[i * 3 + 1]).toBe(0);
      expect((probabilities[i * 3] as number) + (probabilities[i * 3 + 2] as number)).toBeCloseTo(1, 12);
    }
    // The two present classes fit as a two-class problem would (same data, classes 0 and 1).
    const twoClass = fitLogistic(x, x.length, 1, y.map((label) => (label === 2 ? 1 : 0)), 2, { C: 1 });
    expect(model.weights[2]).toBeCloseTo(twoClass.weights[1] as number, 6);
    expect(model.weights[0]).toBeCloseTo(twoClass.weights[0] as number, 6);
  });

  it('refuses inconsistent shapes and labels', () => {
    expect(() => fitLogistic([1, 2, 3], 2, 2, [0, 1], 2, { C: 1 })).toThrow(/n × dim/);
    expect(() => fitLogistic([1, 2], 2, 1, [0, 2], 2, { C: 1 })).toThrow(/not a class/);
    expect(() => fitLogistic([1, 2], 2, 1, [0, 1], 2, { C: 0 })).toThrow(/C must be positive/);
    expect(() => fitLogistic([1, 2], 2, 1, [0, 1], 2, { C: 1, initialWeights: [1] })).toThrow(/initialWeights/);
  });
});

describe('logisticLogits', () => {
  it('computes W x + b per row', () => {
    const model: LogisticModel = { classes: 2, dim: 3, weights: Float64Array.from([1, 0, -1, 0.5, 2, 0]), bias: Float64Array.from([0.25, -1]) };
    const logits = logisticLogits(model, [1, 2, 3, 0, -1, 4], 2);
    expect(Array.from(logits)).toEqual([1 - 3 + 0.25, 0.5 + 4 - 1, -4 + 0.25, -2 - 1]);
    const probabilities = logisticProbabilities(model, [1, 2, 3], 1);
    const expected = Math.exp(-1.75) / (Math.exp(-1.75) + Math.exp(3.5));
    expect(probabilities[0]).toBeCloseTo(expected, 14);
  });
});

describe('minimizeLbfgs', () => {
  it('minimises the Rosenbrock function', () => {
    const result = minimizeLbfgs((x, g) => {
      const [a = 0, b = 0] = x;
      g[0] = -2 * (1 - a) - 400 * a * (b - a * a);
      g[1] = 200 * (b - a * a);
      return (1 - a) ** 2 + 100 * (b - a * a) ** 2;
    }, [-1.2, 1], { gradientTolerance: 1e-9 });
    expect(result.stop).toBe('gradient');
    expect(result.x[0]).toBeCloseTo(1, 6);
    expect(result.x[1]).toBeCloseTo(1, 6);
  });

  it('solves an ill-conditioned quadratic', () => {
    const scales = [1, 10, 100, 1000, 1e4];
    const result = minimizeLbfgs((x, g) => {
      let value = 0;
      scales.forEach((scale, i) => {
        const offset = (x[i] as number) - i;
        g[i] = scale * offset;
        value += 0.5 * scale * offset * offset;
      });
      return value;
    }, [5, 5, 5, 5, 5], { gradientTolerance: 1e-8 });
    scales.forEach((_, i) => expect(result.x[i]).toBeCloseTo(i, 7));
  });
});
