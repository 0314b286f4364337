/**
 * Limited-memory BFGS for smooth unconstrained minimisation, with a strong-Wolfe line search
 * (Nocedal & Wright, Numerical Optimization, 2nd ed., algorithms 7.4, 3.5 and 3.6). Written here
 * because npm has no maintained, typed L-BFGS (`optimization-js` and `fmin` are untyped and
 * unmaintained; `ml-logistic-regression` is one-vs-rest gradient descent).
 */

/** Writes the gradient at x into `gradient` and returns the value at x. */
export type Objective = (x: Float64Array, gradient: Float64Array) => number;

export interface LbfgsOptions {
  maxIterations?: number;
  /** Converged when the largest gradient component is at most this (scipy's `gtol`). */
  gradientTolerance?: number;
  /** Also stop when an iteration lowers the value by at most this fraction of it (round-off level by default). */
  relativeDecreaseTolerance?: number;
  /** Correction pairs kept (scipy's `maxcor`). */
  history?: number;
}

export type LbfgsStop = 'gradient' | 'decrease' | 'line-search' | 'iterations';

export interface LbfgsResult {
  x: Float64Array;
  value: number;
  gradientMaxAbs: number;
  iterations: number;
  evaluations: number;
  stop: LbfgsStop;
}

const DEFAULT_MAX_ITERATIONS = 1_000;
const DEFAULT_GRADIENT_TOLERANCE = 1e-6;
const DEFAULT_RELATIVE_DECREASE_TOLERANCE = 1e-15;
const DEFAULT_HISTORY = 10;
/** Sufficient decrease (Armijo) and curvature constants of the strong Wolfe conditions, the usual quasi-Newton choice. */
const WOLFE_C1 = 1e-4;
const WOLFE_C2 = 0.9;
const MAX_LINE_SEARCH_EVALUATIONS = 30;
/** Interpolated steps stay this fraction of the bracket away from its ends, so the bracket shrinks. */
const ZOOM_SAFEGUARD = 0.1;
const EXTRAPOLATION_FACTOR = 2;

function dot(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] as number) * (b[i] as number);
  return sum;
}

function maxAbs(a: Float64Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const value = Math.abs(a[i] as number);
    if (value > max || Number.isNaN(value)) max = value;
  }
  return max;
}

/** Minimiser of the cubic through (a, fa, ga) and (b, fb, gb), or NaN when it has none. */
function cubicMinimiser(a: number, fa: number, ga: number, b: number, fb: number, gb: number): number {
  const d1 = ga + gb - (3 * (fa - fb)) / (a - b);
  const discriminant = d1 * d1 - ga * gb;
  if (!(discriminant >= 0)) return Number.NaN;
  const d2 = Math.sign(b - a) * Math.sqrt(discriminant);
  return b - ((b - a) * (gb + d2 - d1)) / (gb - ga + 2 * d2);
}

interface LineSearchPoint {
  step: number;
  value: number;
  slope: number;
}

/**
 * Strong-Wolfe line search along `direction` from x (value f0, slope0 = g·d < 0). On success the
 * accepted point is in xTrial / gTrial. Returns the accepted point, or null when no step gave a
 * sufficient decrease.
 */
function strongWolfe(
  objective: Objective, x: Float64Array, f0: number, slope0: number, direction: Float64Array, initialStep: number,
  xTrial: Float64Array, gTrial: Float64Array, countEvaluation: () => void,
): LineSearchPoint | null {
  let evaluations = 0;
  const evaluate = (step: number): LineSearchPoint => {
    for (let i = 0; i < x.length; i++) xTrial[i] = (x[i] as number) + step * (direction[i] as number);
    const value = objective(xTrial, gTrial);
    evaluations++;
    countEvaluation();
    return { step, value, slope: dot(gTrial, direction) };
  };
  const sufficientDecrease = (point: LineSearchPoint): boolean => point.value <= f0 + WOLFE_C1 * point.step * slope0;
  const curvatureHolds = (point: LineSearchPoint): boolean => Math.abs(point.slope) <= -WOLFE_C2 * slope0;

  // The best point with sufficient decrease seen, accepted if the bracket collapses before the curvature condition holds.
  let fallback: LineSearchPoint | null = null;
  const settle = (): LineSearchPoint | null => {
    if (fallback === null) return null;
    const point = evaluate(fallback.step);
    return point.value < f0 ? point : null;
  };

  const zoom = (startLow: LineSearchPoint, startHigh: LineSearchPoint): LineSearchPoint | null => {
    let low = startLow;
    let high = startHigh;
    while (evaluations < MAX_LINE_SEARCH_EVALUATIONS) {
      const width = high.step - low.step;
      if (Math.abs(width) <= Number.EPSILON * Math.max(1, Math.abs(low.step))) break;
      let step = cubicMinimiser(low.step, low.value, low.slope, high.step, high.value, high.slope);
      const lowerEnd = Math.min(low.step, high.step) + ZOOM_SAFEGUARD * Math.abs(width);
      const upperEnd = Math.max(low.step, high.step) - ZOOM_SAFEGUARD * Math.abs(width);
      if (!Number.isFinite(step) || step < lowerEnd || step > upperEnd) step = (low.step + high.step) / 2;
      const point = evaluate(step);
      if (!sufficientDecrease(point) || point.value >= low.value || !Number.isFinite(point.value)) {
        high = point;
      } else {
        if (curvatureHolds(point)) return point;
        if (fallback === null || point.value < fallback.value) fallback = point;
        if (point.slope * (high.step - low.step) >= 0) high = low;
        low = point;
      }
    }
    return settle();
  };

  let previous: LineSearchPoint = { step: 0, value: f0, slope: slope0 };
  let step = initialStep;
  for (let i = 0; evaluations < MAX_LINE_SEARCH_EVALUATIONS; i++) {
    const point = evaluate(step);
    if (!Number.isFinite(point.value) || !sufficientDecrease(point) || (i > 0 && point.value >= previous.value)) {
      return zoom(previous, point);
    }
    if (curvatureHolds(point)) return point;
    fallback = point;
    if (point.slope >= 0) return zoom(point, previous);
    previous = point;
    step *= EXTRAPOLATION_FACTOR;
  }
  return settle();
}

/** Minimises `objective` from x0 (not modified). */
export function minimizeLbfgs(objective: Objective, x0: ArrayLike<number>, options: LbfgsOptions = {}): LbfgsResult {
  const maxIterations = options.maxIterations ?? DEFAULT_MAX_ITERATIONS;
  const gradientTolerance = options.gradientTolerance ?? DEFAULT_GRADIENT_TOLERANCE;
  const decreaseTolerance = options.relativeDecreaseTolerance ?? DEFAULT_RELATIVE_DECREASE_TOLERANCE;
  const historySize = options.history ?? DEFAULT_HISTORY;
  const size = x0.length;

  let x = Float64Array.from(x0);
  let gradient = new Float64Array(size);
  let xTrial = new Float64Array(size);
  let gTrial = new Float64Array(size);
  const direction = new Float64Array(size);
  const alphas = new Float64Array(historySize);
  // Ring buffers of the correction pairs s = x_{k+1} − x_k, y = g_{k+1} − g_k.
  const sHistory = Array.from({ length: historySize }, () => new Float64Array(size));
  const yHistory = Array.from({ length: historySize }, () => new Float64Array(size));
  const rhoHistory = new Float64Array(historySize);
  let stored = 0;
  let newest = -1;

  let evaluations = 1;
  let value = objective(x, gradient);
  let iterations = 0;
  let stop: LbfgsStop = 'iterations';

  while (true) {
    if (maxAbs(gradient) <= gradientTolerance) {
      stop = 'gradient';
      break;
    }
    if (iterations >= maxIterations) break;

    // Two-loop recursion: direction = −H·g.
    direction.set(gradient);
    for (let j = 0; j < stored; j++) {
      const slot = (newest - j + historySize) % historySize;
      const alpha = (rhoHistory[slot] as number) * dot(sHistory[slot] as Float64Array, direction);
      alphas[slot] = alpha;
      const y = yHistory[slot] as Float64Array;
      for (let i = 0; i < size; i++) direction[i] = (direction[i] as number) - alpha * (y[i] as number);
    }
    if (stored > 0) {
      const s = sHistory[newest] as Float64Array;
      const y = yHistory[newest] as Float64Array;
      const gamma = dot(s, y) / dot(y, y);
      for (let i = 0; i < size; i++) direction[i] = (direction[i] as number) * gamma;
    }
    for (let j = stored - 1; j >= 0; j--) {
      const slot = (newest - j + historySize) % historySize;
      const y = yHistory[slot] as Float64Array;
      const s = sHistory[slot] as Float64Array;
      const beta = (rhoHistory[slot] as number) * dot(y, direction);
      const alpha = alphas[slot] as number;
      for (let i = 0; i < size; i++) direction[i] = (direction[i] as number) + (alpha - beta) * (s[i] as number);
    }
    for (let i = 0; i < size; i++) direction[i] = -(direction[i] as number);

    let slope = dot(gradient, direction);
    if (!(slope < 0)) {
      // Not a descent direction (round-off in the history): restart from steepest descent.
      stored = 0;
      for (let i = 0; i < size; i++) direction[i] = -(gradient[i] as number);
      slope = dot(gradient, direction);
    }
    // Without curvature information, a first step of unit length.
    const initialStep = stored === 0 ? Math.min(1, 1 / Math.sqrt(-slope)) : 1;
    const accepted = strongWolfe(objective, x, value, slope, direction, initialStep, xTrial, gTrial, () => evaluations++);
    if (accepted === null) {
      if (stored > 0) {
        stored = 0; // retry once from steepest descent
        continue;
      }
      stop = 'line-search';
      break;
    }
    iterations++;

    const nextSlot = (newest + 1) % historySize;
    const s = sHistory[nextSlot] as Float64Array;
    const y = yHistory[nextSlot] as Float64Array;
    for (let i = 0; i < size; i++) {
      s[i] = (xTrial[i] as number) - (x[i] as number);
      y[i] = (gTrial[i] as number) - (gradient[i] as number);
    }
    const sy = dot(s, y);
    // Keep the pair only when the curvature is positive (the update then stays positive definite).
    if (sy > Number.EPSILON * dot(y, y)) {
      rhoHistory[nextSlot] = 1 / sy;
      newest = nextSlot;
      stored = Math.min(stored + 1, historySize);
    }

    const previousValue = value;
    [x, xTrial] = [xTrial, x];
    [gradient, gTrial] = [gTrial, gradient];
    value = accepted.value;
    if (previousValue - value <= decreaseTolerance * Math.max(Math.abs(previousValue), Math.abs(value), 1)) {
      stop = maxAbs(gradient) <= gradientTolerance ? 'gradient' : 'decrease';
      break;
    }
  }
  return { x, value, gradientMaxAbs: maxAbs(gradient), iterations, evaluations, stop };
}
