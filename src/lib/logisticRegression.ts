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
  /**
   * With fewer rows than dimensions, solve in an orthonormal basis of the rows' span (default
   * true): the optimal W lies in that span (the penalty is on W alone), so the solution is the same
   * and each step costs rows/dim as much. False solves in the full dimension.
   */
  rowSpace?: boolean;
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
 * a[aStart…] · b[bStart…] over `length` numbers, with four running sums: independent additions
 * keep the CPU's floating-point pipeline full, where one sum waits on each add (about 2× faster in V8).
 */
function dotAt(a: ArrayLike<number>, aStart: number, b: ArrayLike<number>, bStart: number, length: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let d = 0;
  for (; d + 3 < length; d += 4) {
    s0 += (a[aStart + d] as number) * (b[bStart + d] as number);
    s1 += (a[aStart + d + 1] as number) * (b[bStart + d + 1] as number);
    s2 += (a[aStart + d + 2] as number) * (b[bStart + d + 2] as number);
    s3 += (a[aStart + d + 3] as number) * (b[bStart + d + 3] as number);
  }
  for (; d < length; d++) s0 += (a[aStart + d] as number) * (b[bStart + d] as number);
  return s0 + s1 + (s2 + s3);
}

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
        const z = (params[weightCount + c] as number) + dotAt(params, c * dim, X, rowStart, dim);
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

export interface RowSpace {
  /** rank × dim, orthonormal rows. */
  basis: Float64Array;
  /** n × rank. */
  coordinates: Float64Array;
  rank: number;
}

/** Coordinates of other rows (n × dim) in a row-space basis: X · Qᵀ (n × rank); their part outside the span is dropped. */
export function projectRows(X: ArrayLike<number>, n: number, dim: number, space: RowSpace): Float64Array {
  const { basis, rank } = space;
  const out = new Float64Array(n * rank);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < rank; j++) {
      let sum = 0;
      for (let d = 0; d < dim; d++) sum += (X[i * dim + d] as number) * (basis[j * dim + d] as number);
      out[i * rank + j] = sum;
    }
  return out;
}

/** Relative length below which a row adds no new direction to the basis (it lies in the span of the rows before it). */
const DEPENDENT_ROW_TOLERANCE = 1e-10;

/**
 * An orthonormal basis Q (rank × dim) of the span of X's rows, by modified Gram–Schmidt with one
 * re-orthogonalisation pass (enough for full working precision), and the rows' coordinates in it
 * (n × rank): X = coordinates · Q up to round-off.
 */
export function rowSpaceBasis(X: Float64Array, n: number, dim: number): RowSpace {
  const basis = new Float64Array(Math.min(n, dim) * dim);
  const projections = new Float64Array(n * Math.min(n, dim));
  const width = Math.min(n, dim);
  const residual = new Float64Array(dim);
  let rank = 0;
  for (let i = 0; i < n; i++) {
    residual.set(X.subarray(i * dim, (i + 1) * dim));
    let originalNorm = 0;
    for (let d = 0; d < dim; d++) originalNorm += (residual[d] as number) ** 2;
    originalNorm = Math.sqrt(originalNorm);
    for (let pass = 0; pass < 2; pass++) {
      for (let j = 0; j < rank; j++) {
        const start = j * dim;
        let projection = 0;
        for (let d = 0; d < dim; d++) projection += (basis[start + d] as number) * (residual[d] as number);
        for (let d = 0; d < dim; d++) residual[d] = (residual[d] as number) - projection * (basis[start + d] as number);
        projections[i * width + j] = (projections[i * width + j] as number) + projection;
      }
    }
    let norm = 0;
    for (let d = 0; d < dim; d++) norm += (residual[d] as number) ** 2;
    norm = Math.sqrt(norm);
    if (norm > DEPENDENT_ROW_TOLERANCE * originalNorm && rank < width) {
      const start = rank * dim;
      for (let d = 0; d < dim; d++) basis[start + d] = (residual[d] as number) / norm;
      projections[i * width + rank] = norm;
      rank++;
    }
  }
  const coordinates = new Float64Array(n * rank);
  for (let i = 0; i < n; i++) coordinates.set(projections.subarray(i * width, i * width + rank), i * rank);
  return { basis: basis.subarray(0, rank * dim), coordinates, rank };
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

  // Solve in `width` coordinates: the row-space basis, or the features themselves.
  const features = Float64Array.from(X);
  const reduced = options.rowSpace !== false && n < dim ? rowSpaceBasis(features, n, dim) : null;
  const width = reduced?.rank ?? dim;
  const start = new Float64Array(fitted * width + fitted);
  const { initialBias } = options;
  // The start's component in the row space (the rest only adds to the penalty).
  const initialWeights = options.initialWeights !== undefined && reduced !== null ? projectRows(options.initialWeights, classes, dim, reduced) : options.initialWeights;
  present.forEach((c, k) => {
    if (initialWeights !== undefined) for (let j = 0; j < width; j++) start[k * width + j] = initialWeights[c * width + j] as number;
    if (initialBias !== undefined) start[fitted * width + k] = initialBias[c] as number;
  });

  const result = minimizeLbfgs(logisticObjective(reduced?.coordinates ?? features, n, width, compactY, fitted, options.C), start, {
    maxIterations: options.maxIterations ?? DEFAULT_LOGISTIC_MAX_ITERATIONS,
    gradientTolerance: options.tolerance ?? DEFAULT_LOGISTIC_TOLERANCE,
  });
  present.forEach((c, k) => {
    if (reduced === null) weights.set(result.x.subarray(k * dim, (k + 1) * dim), c * dim);
    else
      for (let j = 0; j < width; j++) {
        const coefficient = result.x[k * width + j] as number;
        for (let d = 0; d < dim; d++) weights[c * dim + d] = (weights[c * dim + d] as number) + coefficient * (reduced.basis[j * dim + d] as number);
      }
    bias[c] = result.x[fitted * width + k] as number;
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
    for (let c = 0; c < classes; c++) logits[i * classes + c] = (bias[c] as number) + dotAt(weights, c * dim, X, rowStart, dim);
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
