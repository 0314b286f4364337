import { describe, expect, it } from 'vitest';
import { HEAD_KINDS, headProbabilities, trainHead, type FeatureMatrix, type HeadKind } from './fewShot';
import { HEAD_FILE_FORMAT, HEAD_FILE_VERSION, HeadFileError, parseHead, serializeHead, type HeadFile } from './fewShotHead';
import { seededRandom } from './random';

const LABELS = ['circle', 'square', 'triangle'];
const DIM = 6;

function features(): FeatureMatrix {
  const next = seededRandom(3);
  const count = 18;
  const data = new Float32Array(count * DIM);
  for (let i = 0; i < count; i++) {
    const row = Array.from({ length: DIM }, (_, d) => (d === i % 3 ? 2 : 0) + next() - 0.5);
    const norm = Math.hypot(...row);
    row.forEach((value, d) => (data[i * DIM + d] = value / norm));
  }
  return { data, count, dim: DIM };
}

function headFile(kind: HeadKind): HeadFile {
  const matrix = features();
  const train = Array.from({ length: matrix.count }, (_, i) => i);
  const labels = train.map((i) => i % 3);
  const zeroShotLogits = Float32Array.from({ length: matrix.count * 3 }, (_, i) => Math.sin(i));
  const result = trainHead({ kind, features: matrix, train, labels, classes: 3, zeroShotLogits, maxFolds: 3, seed: 1 });
  return {
    format: HEAD_FILE_FORMAT,
    version: HEAD_FILE_VERSION,
    task: 'image',
    modelId: 'builtin/clip-shapes',
    labels: LABELS,
    embeddingDim: DIM,
    head: result.head,
    training: {
      source: 'truth', examples: 18, perClass: { circle: 6, square: 6, triangle: 6 }, chosen: result.chosen, cvAccuracy: result.cvAccuracy,
      folds: result.folds, initialisedFromZeroShot: false, embedding: 'image', trainedAt: '2026-12-01T10:30:00.000Z',
    },
  };
}

/** The fields of the JSON these tests change (each head kind has some of them). */
interface HeadJson {
  version: number;
  labels: string[];
  embeddingDim: number;
  head: {
    kind: string; extra?: number; C?: number; k?: number; alpha?: number;
    keys: unknown[]; keyLabels: unknown[]; model: { weights: unknown[]; bias: unknown[] };
  };
  training: { source: string; cvAccuracy: number; trainedAt: string; perClass: Record<string, number> };
}

/** The serialised file as a plain object, changed by `edit`, back to text. */
function edited(kind: HeadKind, edit: (json: HeadJson) => void): string {
  const json = JSON.parse(serializeHead(headFile(kind))) as HeadJson;
  edit(json);
  return JSON.stringify(json);
}

function problemsOf(text: string): string[] {
  try {
    parseHead(text);
  } catch (error) {
    if (error instanceof HeadFileError) return error.problems;
    throw error;
  }
  throw new Error('parsed without a problem');
}

describe('serializeHead / parseHead', () => {
  for (const kind of HEAD_KINDS) {
    it(`round-trips a ${kind} head exactly, and it predicts the same`, () => {
      const file = headFile(kind);
      const text = serializeHead(file);
      const back = parseHead(text);
      expect(back).toEqual(file);
      // Typed arrays come back typed.
      if (back.head.kind === 'logistic') expect(back.head.model.weights).toBeInstanceOf(Float64Array);
      else {
        expect(back.head.keys).toBeInstanceOf(Float32Array);
        expect(back.head.keyLabels).toBeInstanceOf(Int32Array);
      }
      const matrix = features();
      const rows = [0, 5, 11];
      const logits = Float32Array.from({ length: matrix.count * 3 }, (_, i) => Math.sin(i));
      expect(headProbabilities(back.head, matrix, rows, logits)).toEqual(headProbabilities(file.head, matrix, rows, logits));
      expect(serializeHead(back)).toBe(text);
    });
  }

  it('refuses text that is not JSON, and JSON that is not a head file, in one sentence', () => {
    expect(() => parseHead('{not json')).toThrow(/not JSON/);
    expect(problemsOf('[1, 2]')).toEqual(['the file holds a list, not a few-shot head']);
    expect(problemsOf(JSON.stringify({ format: 'zero-shot-playground/project', version: 1 }))).toEqual(['not a Zero-Shot Playground few-shot head (format)']);
  });

  it('refuses a newer version, naming it', () => {
    const problems = problemsOf(edited('knn', (json) => (json.version = 2)));
    expect(problems).toEqual(['version: 2 is not one this app reads (it reads 1); the file may be from a newer version']);
  });

  it('refuses an unknown head kind and unknown fields', () => {
    expect(problemsOf(edited('knn', (json) => (json.head.kind = 'svm')))).toEqual(['head.kind: must be one of logistic, knn, tip-adapter, not "svm"']);
    expect(problemsOf(edited('knn', (json) => (json.head.extra = 1)))).toEqual(['head.extra: unknown field']);
  });

  it('refuses weights that are not labels × dim, and a bias of the wrong length', () => {
    const problems = problemsOf(edited('logistic', (json) => {
      json.head.model.weights.pop();
      json.head.model.bias.push(0);
    }));
    expect(problems).toEqual([
      'head.model.weights: 17 numbers, but labels × embeddingDim = 3 × 6 = 18',
      'head.model.bias: 4 numbers, but there are 3 labels',
    ]);
  });

  it('refuses a head of another size than its labels and embedding', () => {
    const problems = problemsOf(edited('logistic', (json) => {
      json.labels.push('star');
      json.embeddingDim = 8;
    }));
    expect(problems).toContain('head.classes: 3, but the file has 4 labels');
    expect(problems).toContain('head.dim: 6, but embeddingDim is 8');
  });

  it('refuses keys that are not n × dim, key labels out of range, and k above the key count', () => {
    const problems = problemsOf(edited('knn', (json) => {
      json.head.keys.splice(0, 1);
      json.head.keyLabels[4] = 3;
      json.head.k = 40;
    }));
    expect(problems).toEqual([
      'head.keys: 107 numbers, but keys × embeddingDim = 18 × 6 = 108',
      'head.keyLabels[4]: 3 is not a label index (0 to 2)',
      'head.k: 40, but there are only 18 keys',
    ]);
  });

  it('refuses numbers that are not finite or not whole, naming the position', () => {
    expect(problemsOf(edited('tip-adapter', (json) => (json.head.keys[7] = 'NaN')))).toEqual(['head.keys: [7] must be a finite number, not a string']);
    expect(problemsOf(edited('tip-adapter', (json) => (json.head.keyLabels[2] = 1.5)))).toEqual(['head.keyLabels: [2] must be a whole number, not 1.5']);
    expect(problemsOf(edited('tip-adapter', (json) => (json.head.alpha = -1)))).toEqual(['head.alpha: must be at least 0, not -1']);
    expect(problemsOf(edited('logistic', (json) => (json.head.C = 0)))).toEqual(['head.C: must be more than 0, not 0']);
    // JSON has no Infinity: 1e999 parses to it.
    expect(problemsOf(serializeHead(headFile('logistic')).replace(/"bias":\[[^,\]]+/, '"bias":[1e999'))).toEqual(['head.model.bias: [0] must be a finite number, not Infinity']);
  });

  it('checks the training record: source, accuracy in [0, 1], per-class counts of known labels, the date', () => {
    const problems = problemsOf(edited('knn', (json) => {
      json.training.source = 'guess';
      json.training.cvAccuracy = 1.5;
      json.training.trainedAt = 'yesterday';
    }));
    expect(problems).toEqual([
      'training.source: must be one of truth, decisions',
      'training.cvAccuracy: must be at most 1, not 1.5',
      'training.trainedAt: must be an ISO 8601 date and time',
    ]);
    expect(problemsOf(edited('knn', (json) => (json.training.perClass = { circle: 6, hexagon: 2 })))).toEqual(['training.perClass: "hexagon" is not one of the labels']);
  });
});
