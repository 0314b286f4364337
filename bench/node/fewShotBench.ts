/**
 * `--only=fewshot`: the few-shot maths, in the Node process (V8, the engine of the Chromium
 * worker the app runs it in; no browser needed, as it is plain TypeScript on typed arrays).
 *
 * (a) Logistic regression on 1,000 × 512 synthetic unit-norm embeddings, 10 classes, C = 1: our
 *     fitLogistic against scikit-learn's LogisticRegression(lbfgs, multinomial) on the same numbers
 *     (Debian's /usr/bin/python3, data handed over in a temp folder; each side times only the fit,
 *     after one untimed fit). scikit-learn runs at our gradient tolerance and at its default tol.
 * (b) The learning curve (1, 2, 4, 8, 16 per class × 5 splits × the 3 heads, each with its
 *     cross-validated hyperparameter search) on 1,000 items.
 * Nothing is asserted.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { HEAD_KINDS, learningCurve, type FeatureMatrix, type HeadKind } from '../../src/lib/fewShot';
import { DEFAULT_LOGISTIC_TOLERANCE, fitLogistic, logisticProbabilities } from '../../src/lib/logisticRegression';
import { log } from './pageCalls';
import { repoRoot } from './paths';
import { median, seededRandom } from '../shared/random';
import { benchMachine, type BenchMachine } from './machine';

const PYTHON = '/usr/bin/python3';
const SKLEARN_SCRIPT = join(repoRoot, 'tools/bench_sklearn_logreg.py');
const LOGISTIC_ROWS = 1_000;
const LOGISTIC_TEST_ROWS = 500;
const EMBEDDING_DIM = 512;
const CLASSES = 10;
const LOGISTIC_C = 1;
/** scikit-learn's default tol, timed besides the run at our tolerance. */
const SKLEARN_DEFAULT_TOL = 1e-4;
/** Per-dimension noise around each class's unit mean direction: noise norm ≈ 0.3·√512 ≈ 6.8, so classes overlap. */
const NOISE_SCALE = 0.3;
/** CLIP's logit scale, for the synthetic zero-shot logits. */
const LOGIT_SCALE = 100;
/** How far the synthetic "text embeddings" are from the class means: a mediocre zero-shot classifier. */
const TEXT_NOISE_SCALE = 0.05;
const CURVE_ITEMS = 1_000;
const CURVE_SIZES = [1, 2, 4, 8, 16];
const CURVE_SPLITS = 5;
const SEED = 10;

interface Embeddings {
  data: Float64Array;
  labels: Int32Array;
  count: number;
}

function gaussians(next: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
}

function normalise(row: Float64Array): Float64Array {
  let norm = 0;
  for (const value of row) norm += value * value;
  norm = Math.sqrt(norm);
  return row.map((value) => value / norm);
}

function classMeans(seed: number): Float64Array[] {
  const gaussian = gaussians(seededRandom(seed));
  return Array.from({ length: CLASSES }, () => normalise(Float64Array.from({ length: EMBEDDING_DIM }, gaussian)));
}

function embeddings(means: Float64Array[], count: number, seed: number): Embeddings {
  const next = seededRandom(seed);
  const gaussian = gaussians(next);
  const data = new Float64Array(count * EMBEDDING_DIM);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const label = i % CLASSES;
    labels[i] = label;
    data.set(normalise((means[label] as Float64Array).map((value) => value + NOISE_SCALE * gaussian())), i * EMBEDDING_DIM);
  }
  return { data, labels, count };
}

function argmaxRows(values: ArrayLike<number>, width: number): Int32Array {
  const out = new Int32Array(values.length / width);
  for (let i = 0; i < out.length; i++) {
    let best = 0;
    for (let c = 1; c < width; c++) if ((values[i * width + c] as number) > (values[i * width + best] as number)) best = c;
    out[i] = best;
  }
  return out;
}

function accuracy(predicted: Int32Array, truth: Int32Array): number {
  let correct = 0;
  predicted.forEach((label, i) => {
    if (label === truth[i]) correct++;
  });
  return correct / predicted.length;
}

function agreement(a: Int32Array, b: Int32Array): number {
  return accuracy(a, b);
}

function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] as number) - (b[i] as number)));
  return max;
}

interface SklearnOutput {
  sklearnVersion: string;
  numpyVersion: string;
  blas: unknown[];
  runs: Array<{ tol: number; fitMs: number[]; iterations: number; coef: number[]; intercept: number[]; trainProba: number[]; testProba: number[] }>;
}

async function runSklearn(train: Embeddings, test: Embeddings, tols: number[], reps: number): Promise<SklearnOutput> {
  const folder = mkdtempSync(join(tmpdir(), 'zsp-fewshot-'));
  try {
    writeFileSync(join(folder, 'meta.json'), JSON.stringify({ n: train.count, testN: test.count, dim: EMBEDDING_DIM, classes: CLASSES, C: LOGISTIC_C, tols, reps }));
    // Typed arrays are little-endian on every platform this runs on (x86, ARM).
    writeFileSync(join(folder, 'X.f64'), new Uint8Array(train.data.buffer));
    writeFileSync(join(folder, 'testX.f64'), new Uint8Array(test.data.buffer));
    writeFileSync(join(folder, 'y.i32'), new Uint8Array(train.labels.buffer));
    const { stdout } = await promisify(execFile)(PYTHON, [SKLEARN_SCRIPT, folder], { maxBuffer: 256 * 1024 * 1024 });
    return JSON.parse(stdout) as SklearnOutput;
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

export interface FewShotRun {
  generatedAt: string;
  quick: boolean;
  machine: BenchMachine;
  logistic: {
    rows: number;
    testRows: number;
    dim: number;
    classes: number;
    C: number;
    reps: number;
    ours: { tolerance: number; fitMs: number[]; medianMs: number; iterations: number; trainAccuracy: number; testAccuracy: number };
    sklearn: Array<{
      tol: number;
      fitMs: number[];
      medianMs: number;
      iterations: number;
      trainAccuracy: number;
      testAccuracy: number;
      /** Largest |ours − scikit-learn| over every probability. */
      maxProbabilityDifference: { train: number; test: number };
      /** Fraction of rows where the two predict the same class. */
      sameClass: { train: number; test: number };
      maxCoefficientDifference: number;
    }>;
    sklearnVersion: string;
    numpyVersion: string;
    blas: unknown[];
    /** scikit-learn's median fit time at our tolerance / ours (above 1: ours is faster). */
    timeRatio: number;
  };
  curve: {
    items: number;
    classes: number;
    dim: number;
    sizes: number[];
    splits: number;
    heads: HeadKind[];
    ms: number;
    zeroShotMean: number[];
    headMeans: Record<HeadKind, number[]>;
  };
}

async function benchLogistic(quick: boolean): Promise<FewShotRun['logistic']> {
  const reps = quick ? 1 : 3;
  const means = classMeans(SEED);
  const train = embeddings(means, LOGISTIC_ROWS, SEED + 1);
  const test = embeddings(means, LOGISTIC_TEST_ROWS, SEED + 2);

  log(`fewshot: fitLogistic on ${LOGISTIC_ROWS} × ${EMBEDDING_DIM}, ${CLASSES} classes, C = ${LOGISTIC_C}`);
  const fit = () => fitLogistic(train.data, train.count, EMBEDDING_DIM, train.labels, CLASSES, { C: LOGISTIC_C });
  fit(); // untimed: the JIT's warm-up
  const fitMs: number[] = [];
  let model = fit();
  for (let rep = 0; rep < reps; rep++) {
    const started = performance.now();
    model = fit();
    fitMs.push(performance.now() - started);
  }
  const ourTrain = logisticProbabilities(model, train.data, train.count);
  const ourTest = logisticProbabilities(model, test.data, test.count);
  const ourTrainClasses = argmaxRows(ourTrain, CLASSES);
  const ourTestClasses = argmaxRows(ourTest, CLASSES);
  log(`  ours: ${median(fitMs).toFixed(0)} ms, ${model.iterations} iterations`);

  log(`fewshot: scikit-learn (${PYTHON}) on the same data`);
  const tols = [DEFAULT_LOGISTIC_TOLERANCE, SKLEARN_DEFAULT_TOL];
  const sklearn = await runSklearn(train, test, tols, reps);
  const sklearnRuns = sklearn.runs.map((run) => {
    const trainClasses = argmaxRows(run.trainProba, CLASSES);
    const testClasses = argmaxRows(run.testProba, CLASSES);
    log(`  scikit-learn tol ${run.tol}: ${median(run.fitMs).toFixed(0)} ms, ${run.iterations} iterations`);
    return {
      tol: run.tol,
      fitMs: run.fitMs,
      medianMs: median(run.fitMs),
      iterations: run.iterations,
      trainAccuracy: accuracy(trainClasses, train.labels),
      testAccuracy: accuracy(testClasses, test.labels),
      maxProbabilityDifference: { train: maxAbsDifference(ourTrain, run.trainProba), test: maxAbsDifference(ourTest, run.testProba) },
      sameClass: { train: agreement(ourTrainClasses, trainClasses), test: agreement(ourTestClasses, testClasses) },
      maxCoefficientDifference: maxAbsDifference(model.weights, run.coef),
    };
  });
  const sameTolerance = sklearnRuns.find((run) => run.tol === DEFAULT_LOGISTIC_TOLERANCE);
  return {
    rows: LOGISTIC_ROWS,
    testRows: LOGISTIC_TEST_ROWS,
    dim: EMBEDDING_DIM,
    classes: CLASSES,
    C: LOGISTIC_C,
    reps,
    ours: {
      tolerance: DEFAULT_LOGISTIC_TOLERANCE,
      fitMs,
      medianMs: median(fitMs),
      iterations: model.iterations,
      trainAccuracy: accuracy(ourTrainClasses, train.labels),
      testAccuracy: accuracy(ourTestClasses, test.labels),
    },
    sklearn: sklearnRuns,
    sklearnVersion: sklearn.sklearnVersion,
    numpyVersion: sklearn.numpyVersion,
    blas: sklearn.blas,
    timeRatio: (sameTolerance?.medianMs ?? Number.NaN) / median(fitMs),
  };
}

function benchCurve(): FewShotRun['curve'] {
  const means = classMeans(SEED + 3);
  const items = embeddings(means, CURVE_ITEMS, SEED + 4);
  const features: FeatureMatrix = { data: Float32Array.from(items.data), count: CURVE_ITEMS, dim: EMBEDDING_DIM };
  // Zero-shot: each item against noisy copies of the class means, as a mediocre prompt would give.
  const gaussian = gaussians(seededRandom(SEED + 5));
  const texts = means.map((mean) => normalise(mean.map((value) => value + TEXT_NOISE_SCALE * gaussian())));
  const zeroShotLogits = new Float32Array(CURVE_ITEMS * CLASSES);
  for (let i = 0; i < CURVE_ITEMS; i++)
    texts.forEach((text, c) => {
      let sim = 0;
      for (let d = 0; d < EMBEDDING_DIM; d++) sim += (items.data[i * EMBEDDING_DIM + d] as number) * (text[d] as number);
      zeroShotLogits[i * CLASSES + c] = LOGIT_SCALE * sim;
    });

  log(`fewshot: learning curve, ${CURVE_ITEMS} items, sizes ${CURVE_SIZES.join('/')} × ${CURVE_SPLITS} splits × ${HEAD_KINDS.join(', ')}`);
  const rows = Array.from({ length: CURVE_ITEMS }, (_, i) => i);
  const started = performance.now();
  const curve = learningCurve({
    features, rows, labels: Array.from(items.labels), classes: CLASSES, zeroShotLogits, sizes: CURVE_SIZES, splits: CURVE_SPLITS, heads: HEAD_KINDS, seed: SEED,
  });
  const ms = performance.now() - started;
  if (curve === null) throw new Error('the learning curve was cancelled');
  log(`  ${(ms / 1000).toFixed(1)} s`);
  return {
    items: CURVE_ITEMS,
    classes: CLASSES,
    dim: EMBEDDING_DIM,
    sizes: curve.sizes,
    splits: CURVE_SPLITS,
    heads: [...HEAD_KINDS],
    ms,
    zeroShotMean: curve.zeroShot.map((point) => point.mean),
    headMeans: {
      logistic: curve.heads.logistic.map((point) => point.mean),
      knn: curve.heads.knn.map((point) => point.mean),
      'tip-adapter': curve.heads['tip-adapter'].map((point) => point.mean),
    },
  };
}

export async function benchFewShot(options: { quick: boolean }): Promise<FewShotRun> {
  const generatedAt = new Date().toISOString();
  const loadavgAtStart = loadavg();
  const logistic = await benchLogistic(options.quick);
  const curve = benchCurve();
  return {
    generatedAt,
    quick: options.quick,
    machine: benchMachine(loadavgAtStart),
    logistic,
    curve,
  };
}
