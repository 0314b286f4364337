/**
 * Multinomial logistic regression with an L2 penalty, the objective scikit-learn's
 * LogisticRegression(solver='lbfgs') minimises:  ½‖W‖² + C · Σ_i CE(softmax(W x_i + b), y_i)
 * (the bias unpenalised), solved by L-BFGS. CONTRACT (bodies to be written).
 */
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

/** X: n × dim row-major; y: class per row (0..classes-1). */
export function fitLogistic(X: ArrayLike<number>, n: number, dim: number, y: ArrayLike<number>, classes: number, options: LogisticOptions): LogisticModel & { iterations: number } {
  void X; void n; void dim; void y; void classes; void options;
  throw new Error('not implemented');
}

/** Class logits (n × classes, row-major). */
export function logisticLogits(model: LogisticModel, X: ArrayLike<number>, n: number): Float64Array {
  void model; void X; void n;
  throw new Error('not implemented');
}

/** Class probabilities (n × classes, row-major). */
export function logisticProbabilities(model: LogisticModel, X: ArrayLike<number>, n: number): Float64Array {
  void model; void X; void n;
  throw new Error('not implemented');
}
