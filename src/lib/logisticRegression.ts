/**
 * Multinomial logistic regression with an L2 penalty, the objective scikit-learn's
 * LogisticRegression(solver='lbfgs') minimises:  ½‖W‖² + C · Σ_i CE(softmax(W x_i + b), y_i)
 * (the bias unpenalised), solved by L-BFGS.
 *
 * The solver minimises the same objective divided by C, Σ_i CE_i + ‖W‖²/(2C), as scikit-learn
 * hands it to scipy, so that `tolerance` means what scikit-learn's `tol` means.
 */
import { minimizeLbfgs } from './lbfgs';

export interface LogisticModel {
  classes: number;
  dim: number;
  /** classes × dim, row-major. */
  weights: Float64Array;
  bias: Float64Array;
}

export interface LogisticOptions {
  /** Inverse regularisation strength, as scikit-learn's C. */
  C: number;
  maxIterations?: number;
  /** Stop when the largest gradient component falls below this (scikit-learn's tol is 1e-4 on the same). */
  tolerance?: number;
  /** Starting weights (classes × dim), e.g. the zero-shot classifier's text embeddings × logit scale. */
  initialWeights?: ArrayLike<number>;
  initialBias?: ArrayLike<number>;
}

/** Tight enough that probabilities match scikit-learn's run at tol=1e-10 to well under 1e-3. */
export const DEFAULT_LOGISTIC_TOLERANCE = 1e-6;
export const DEFAULT_LOGISTIC_MAX_ITERATIONS = 2_000;
/**
 * The bias of a class without training rows. Its likelihood term would push its bias to −∞ (the
 * bias is unpenalised), so it is left out of the fit and given a logit that softmax turns into 0,
 * as scikit-learn, which only knows the classes it saw, never predicts it. Finite, so the model
 * stays serialisable.
 */
export const ABSENT_CLASS_BIAS = -1e4;

/**
 * Σ_i [logsumexp(z_i) − z_{i,y_i}] + ‖W‖²/(2C) and its gradient, with z_i = W x_i + b, for the
 * parameters laid out as W (classes × dim, row-major) then b.
 */
function logisticObjective(X: Float64Array, n: number, dim: number, y: Int32Array, classes: number, C: number) {
  const logits = new Float64Array(classes);
  const weightCount = classes * dim;
  return (params: Float64Array, gradient: Float64Array): number => {
    gradient.fill(0);
    let value = 0;
    for (let i = 0; i < n; i++) {
      const rowStart = i * dim;
      let maxLogit = -Infinity;
      for (let c = 0; c < classes; c++) {
        const weightStart = c * dim;
        let z = params[weightCount + c] as number;
        for (let d = 0; d < dim; d++) z += (params[weightStart + d] as number) * (X[rowStart + d] as number);
        logits[c] = z;
        if (z > maxLogit) maxLogit = z;
      }
      const label = y[i] as number;
      const labelLogit = logits[label] as number;
      let sum = 0;
      for (let c = 0; c < classes; c++) {
        const e = Math.exp((logits[c] as number) - maxLogit);
        logits[c] = e;
        sum += e;
      }
      // CE = logsumexp(z) − z_y = log Σ exp(z − max) − (z_y − max).
      value += Math.log(sum) - (labelLogit - maxLogit);
      for (let c = 0; c < classes; c++) {
        const residual = (logits[c] as number) / sum - (c === label ? 1 : 0);
        if (residual === 0) continue;
        const weightStart = c * dim;
        for (let d = 0; d < dim; d++) gradient[weightStart + d] = (gradient[weightStart + d] as number) + residual * (X[rowStart + d] as number);
        gradient[weightCount + c] = (gradient[weightCount + c] as number) + residual;
      }
    }
    let squaredNorm = 0;
    for (let j = 0; j < weightCount; j++) {
      const w = params[j] as number;
      squaredNorm += w * w;
      gradient[j] = (gradient[j] as number) + w / C;
    }
    return value + squaredNorm / (2 * C);
  };
}

/** X: n × dim row-major; y: class per row (0..classes-1). */
export function fitLogistic(X: ArrayLike<number>, n: number, dim: number, y: ArrayLike<number>, classes: number, options: LogisticOptions): LogisticModel & { iterations: number } {
  if (!(options.C > 0)) throw new Error(`C must be positive, not ${options.C}`);
  if (X.length !== n * dim) throw new Error(`X holds ${X.length} numbers, not n × dim = ${n * dim}`);
  if (y.length !== n) throw new Error(`y holds ${y.length} classes for ${n} rows`);
  if (options.initialWeights !== undefined && options.initialWeights.length !== classes * dim)
    throw new Error(`initialWeights holds ${options.initialWeights.length} numbers, not classes × dim = ${classes * dim}`);
  if (options.initialBias !== undefined && options.initialBias.length !== classes)
    throw new Error(`initialBias holds ${options.initialBias.length} numbers, not ${classes}`);

  // Only the classes with rows are fitted (see ABSENT_CLASS_BIAS); compact indices for them.
  const compactOf = new Int32Array(classes).fill(-1);
  for (let i = 0; i < n; i++) {
    const label = y[i] as number;
    if (!Number.isInteger(label) || label < 0 || label >= classes) throw new Error(`y[${i}] = ${label} is not a class in 0..${classes - 1}`);
    compactOf[label] = 0;
  }
  const present: number[] = [];
  for (let c = 0; c < classes; c++) if (compactOf[c] === 0) compactOf[c] = present.push(c) - 1;
  const fitted = present.length;

  const weights = new Float64Array(classes * dim);
  const bias = new Float64Array(classes).fill(ABSENT_CLASS_BIAS);
  if (fitted === 0) return { classes, dim, weights, bias, iterations: 0 };

  const compactY = new Int32Array(n);
  for (let i = 0; i < n; i++) compactY[i] = compactOf[y[i] as number] as number;
  const start = new Float64Array(fitted * dim + fitted);
  present.forEach((c, k) => {
    if (options.initialWeights !== undefined)
      for (let d = 0; d < dim; d++) start[k * dim + d] = options.initialWeights[c * dim + d] as number;
    if (options.initialBias !== undefined) start[fitted * dim + k] = options.initialBias[c] as number;
  });

  const result = minimizeLbfgs(logisticObjective(Float64Array.from(X), n, dim, compactY, fitted, options.C), start, {
    maxIterations: options.maxIterations ?? DEFAULT_LOGISTIC_MAX_ITERATIONS,
    gradientTolerance: options.tolerance ?? DEFAULT_LOGISTIC_TOLERANCE,
  });
  present.forEach((c, k) => {
    weights.set(result.x.subarray(k * dim, (k + 1) * dim), c * dim);
    bias[c] = result.x[fitted * dim + k] as number;
  });
  return { classes, dim, weights, bias, iterations: result.iterations };
}

/** Class logits (n × classes, row-major). */
export function logisticLogits(model: LogisticModel, X: ArrayLike<number>, n: number): Float64Array {
  const { classes, dim, weights, bias } = model;
  if (X.length !== n * dim) throw new Error(`X holds ${X.length} numbers, not n × dim = ${n * dim}`);
  const logits = new Float64Array(n * classes);
  for (let i = 0; i < n; i++) {
    const rowStart = i * dim;
    for (let c = 0; c < classes; c++) {
      const weightStart = c * dim;
      let z = bias[c] as number;
      for (let d = 0; d < dim; d++) z += (weights[weightStart + d] as number) * (X[rowStart + d] as number);
      logits[i * classes + c] = z;
    }
  }
  return logits;
}

/** Row-wise softmax of an n × classes matrix, in place; returns it. */
export function softmaxRows(logits: Float64Array, classes: number): Float64Array {
  for (let start = 0; start < logits.length; start += classes) {
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[start + c] as number);
    let sum = 0;
    for (let c = 0; c < classes; c++) {
      const e = Math.exp((logits[start + c] as number) - max);
      logits[start + c] = e;
      sum += e;
    }
    for (let c = 0; c < classes; c++) logits[start + c] = (logits[start + c] as number) / sum;
  }
  return logits;
}

/** Class probabilities (n × classes, row-major). */
export function logisticProbabilities(model: LogisticModel, X: ArrayLike<number>, n: number): Float64Array {
  return softmaxRows(logisticLogits(model, X, n), model.classes);
}
