/**
 * A trained head as a JSON file (export and import, schema-checked). Typed arrays travel as plain
 * number lists; parsing checks each field (valibot), then the shapes that tie fields together
 * (weights = labels × dim, keys = n × dim, key labels in range).
 */
import * as v from 'valibot';
import type { Task } from './tasks';
import { HEAD_KINDS, type TrainedHead } from './fewShot';
import { MAX_LABEL_CHARS, MAX_LABELS } from './labels';
import { MAX_PROJECT_ITEMS } from './projectFile';
import { capProblems, checkWith, describeType, isPlainObject, labelsSchema, modelIdSchema, notAnObject, record, taskSchema, text, version, type Json } from './schemas';

export const HEAD_FILE_FORMAT = 'zero-shot-playground/few-shot-head';
export const HEAD_FILE_VERSION = 1;
/** Larger than any embedding the app's models give (CLIP ViT-L: 768, Whisper large encoder: 1,280). */
export const MAX_HEAD_EMBEDDING_DIM = 4_096;
/** kNN and Tip-Adapter keep one key per training item: at most a project's items. */
export const MAX_HEAD_KEYS = MAX_PROJECT_ITEMS;
/**
 * A head file larger than this is refused before it is read: 20,000 kNN keys of a 512-wide CLIP
 * embedding at about 12 characters a number are ~125 MB of JSON; twice that is headroom.
 */
export const MAX_HEAD_FILE_BYTES = 256 * 1024 * 1024;

export interface HeadTraining {
  /** Where the training labels came from. */
  source: 'truth' | 'decisions';
  examples: number;
  perClass: Record<string, number>;
  chosen: Record<string, number>;
  cvAccuracy: number | null;
  folds: number | null;
  initialisedFromZeroShot: boolean;
  /** The embedding the head reads: image embedding, CLAP audio embedding or Whisper encoder mean-pool. */
  embedding: 'image' | 'clap-audio' | 'whisper-encoder-mean';
  trainedAt: string;
}

export interface HeadFile {
  format: typeof HEAD_FILE_FORMAT;
  version: typeof HEAD_FILE_VERSION;
  task: Task;
  modelId: string;
  labels: string[];
  embeddingDim: number;
  head: TrainedHead;
  training: HeadTraining;
}

/** Thrown by parseHead: every problem found, each a sentence starting with the field's path. */
export class HeadFileError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Not a usable few-shot head file: ${problems.join('; ')}`);
    this.name = 'HeadFileError';
    this.problems = problems;
  }
}

const HEAD_SOURCES = ['truth', 'decisions'] as const;
const HEAD_EMBEDDINGS = ['image', 'clap-audio', 'whisper-encoder-mean'] as const;
/** Nine significant digits give back every float32 exactly, in about half the characters of the float64 expansion. */
const FLOAT32_DIGITS = 9;

// ---------------------------------------------------------------------------------------------
// Writing.

function float32List(values: Float32Array): number[] {
  return Array.from(values, (value) => Number(value.toPrecision(FLOAT32_DIGITS)));
}

function headToJson(head: TrainedHead): Json {
  switch (head.kind) {
    case 'logistic':
      return {
        kind: head.kind, classes: head.classes, dim: head.dim, C: head.C,
        model: { classes: head.model.classes, dim: head.model.dim, weights: Array.from(head.model.weights), bias: Array.from(head.model.bias) },
      };
    case 'knn':
      return { kind: head.kind, classes: head.classes, dim: head.dim, k: head.k, keys: float32List(head.keys), keyLabels: Array.from(head.keyLabels) };
    case 'tip-adapter':
      return {
        kind: head.kind, classes: head.classes, dim: head.dim, alpha: head.alpha, beta: head.beta,
        keys: float32List(head.keys), keyLabels: Array.from(head.keyLabels),
      };
  }
}

/** JSON text (typed arrays as plain number lists). */
export function serializeHead(file: HeadFile): string {
  const json: Json = {
    format: file.format,
    version: file.version,
    task: file.task,
    modelId: file.modelId,
    labels: file.labels,
    embeddingDim: file.embeddingDim,
    training: file.training,
    // Last: the bulk of the file, so the fields above read first in an editor.
    head: headToJson(file.head),
  };
  return JSON.stringify(json);
}

// ---------------------------------------------------------------------------------------------
// Reading.

interface NumberRules {
  integer?: boolean;
  /** Inclusive bounds. */
  min?: number;
  max?: number;
  /** Exclusive lower bound. */
  above?: number;
}

function numberProblem(value: unknown, rules: NumberRules): string | null {
  if (typeof value !== 'number' || !Number.isFinite(value)) return `must be a finite number, not ${typeof value === 'number' ? String(value) : describeType(value)}`;
  if (rules.integer === true && !Number.isInteger(value)) return `must be a whole number, not ${value}`;
  if (rules.min !== undefined && value < rules.min) return `must be at least ${rules.min}, not ${value}`;
  if (rules.max !== undefined && value > rules.max) return `must be at most ${rules.max}, not ${value}`;
  if (rules.above !== undefined && !(value > rules.above)) return `must be more than ${rules.above}, not ${value}`;
  return null;
}

function numberSchema(rules: NumberRules = {}) {
  return v.custom<number>((value) => numberProblem(value, rules) === null, (issue) => numberProblem(issue.input, rules) ?? 'not allowed');
}

/**
 * A list of numbers checked in one loop (a head's keys can be millions of numbers; a valibot step
 * per number would cost seconds). The problem names the first bad position.
 */
function numberListSchema(maxItems: number, rules: NumberRules = {}) {
  const problemOf = (value: unknown): string | null => {
    if (!Array.isArray(value)) return `must be a list of numbers, not ${describeType(value)}`;
    if (value.length > maxItems) return `more than ${maxItems} numbers (${value.length})`;
    for (let i = 0; i < value.length; i++) {
      const problem = numberProblem(value[i], rules);
      if (problem !== null) return `[${i}] ${problem}`;
    }
    return null;
  };
  return v.custom<number[]>((value) => problemOf(value) === null, (issue) => problemOf(issue.input) ?? 'not allowed');
}

const classesSchema = numberSchema({ integer: true, min: 1, max: MAX_LABELS });
const dimSchema = numberSchema({ integer: true, min: 1, max: MAX_HEAD_EMBEDDING_DIM });
const MAX_WEIGHTS = MAX_LABELS * MAX_HEAD_EMBEDDING_DIM;
const MAX_KEY_NUMBERS = MAX_HEAD_KEYS * MAX_HEAD_EMBEDDING_DIM;

const logisticSchema = record(
  {
    kind: v.literal('logistic'),
    classes: classesSchema,
    dim: dimSchema,
    C: numberSchema({ above: 0 }),
    model: record(
      { classes: classesSchema, dim: dimSchema, weights: numberListSchema(MAX_WEIGHTS), bias: numberListSchema(MAX_LABELS) },
      notAnObject,
    ),
  },
  notAnObject,
);

const cacheEntries = {
  classes: classesSchema,
  dim: dimSchema,
  keys: numberListSchema(MAX_KEY_NUMBERS),
  keyLabels: numberListSchema(MAX_HEAD_KEYS, { integer: true, min: 0, max: MAX_LABELS - 1 }),
};

const knnSchema = record({ kind: v.literal('knn'), ...cacheEntries, k: numberSchema({ integer: true, min: 1, max: MAX_HEAD_KEYS }) }, notAnObject);

const tipAdapterSchema = record(
  { kind: v.literal('tip-adapter'), ...cacheEntries, alpha: numberSchema({ min: 0 }), beta: numberSchema({ min: 0 }) },
  notAnObject,
);

const KIND_PROBLEM = `must be one of ${HEAD_KINDS.join(', ')}`;
const unknownKindSchema = v.object({ kind: v.picklist(HEAD_KINDS, (issue) => `${KIND_PROBLEM}, not ${typeof issue.input === 'string' ? JSON.stringify(issue.input.slice(0, 40)) : describeType(issue.input)}`) }, notAnObject);

/** The head's fields depend on its kind. */
const headSchema = v.lazy((input: unknown) => {
  const kind = isPlainObject(input) ? input.kind : undefined;
  if (kind === 'logistic') return logisticSchema;
  if (kind === 'knn') return knnSchema;
  if (kind === 'tip-adapter') return tipAdapterSchema;
  return unknownKindSchema;
});

function countsSchema(rules: NumberRules) {
  return v.pipe(
    v.record(text({ maxChars: MAX_LABEL_CHARS }), numberSchema(rules), notAnObject),
    v.check((value) => Object.keys(value).length <= MAX_LABELS, `more than ${MAX_LABELS} entries`),
  );
}

const ISO_DATE_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

const trainingSchema = record(
  {
    source: v.picklist(HEAD_SOURCES, `must be one of ${HEAD_SOURCES.join(', ')}`),
    examples: numberSchema({ integer: true, min: 0 }),
    perClass: countsSchema({ integer: true, min: 0 }),
    chosen: countsSchema({}),
    cvAccuracy: v.nullable(numberSchema({ min: 0, max: 1 })),
    folds: v.nullable(numberSchema({ integer: true, min: 2 })),
    initialisedFromZeroShot: v.boolean((issue) => `must be true or false, not ${describeType(issue.input)}`),
    embedding: v.picklist(HEAD_EMBEDDINGS, `must be one of ${HEAD_EMBEDDINGS.join(', ')}`),
    trainedAt: v.pipe(
      v.string((issue) => `must be a date, not ${describeType(issue.input)}`),
      v.check((value) => ISO_DATE_PATTERN.test(value) && !Number.isNaN(Date.parse(value)), 'must be an ISO 8601 date and time'),
    ),
  },
  notAnObject,
);

const headFileSchema = v.pipe(
  v.custom<Json>(isPlainObject, (issue) => `the file holds ${describeType(issue.input)}, not a few-shot head`),
  // Someone else's JSON gets one sentence, not a list of every field it lacks.
  v.check((file) => file.format === HEAD_FILE_FORMAT, 'not a Zero-Shot Playground few-shot head (format)'),
  record(
    {
      format: v.literal(HEAD_FILE_FORMAT),
      version: version(HEAD_FILE_VERSION, 'the file'),
      task: taskSchema,
      modelId: modelIdSchema,
      labels: labelsSchema({ minItems: 1, maxChars: MAX_LABEL_CHARS }),
      embeddingDim: dimSchema,
      training: trainingSchema,
      head: headSchema,
    },
    notAnObject,
  ),
);

type CheckedHeadFile = v.InferOutput<typeof headFileSchema>;
/** A head whose kind is known (the unknown-kind schema never succeeds, but its output type is in the union). */
type CheckedHead = Extract<CheckedHeadFile['head'], { classes: number }>;

/** The shapes that tie fields together, once every field is known to be well-formed. */
function shapeProblems(file: CheckedHeadFile, head: CheckedHead): string[] {
  const problems: string[] = [];
  const classes = file.labels.length;
  const dim = file.embeddingDim;
  if (new Set(file.labels).size !== classes) problems.push('labels: the same label twice');
  if (head.classes !== classes) problems.push(`head.classes: ${head.classes}, but the file has ${classes} labels`);
  if (head.dim !== dim) problems.push(`head.dim: ${head.dim}, but embeddingDim is ${dim}`);
  if (head.kind === 'logistic') {
    const { model } = head;
    if (model.classes !== classes) problems.push(`head.model.classes: ${model.classes}, but the file has ${classes} labels`);
    if (model.dim !== dim) problems.push(`head.model.dim: ${model.dim}, but embeddingDim is ${dim}`);
    if (model.weights.length !== classes * dim)
      problems.push(`head.model.weights: ${model.weights.length} numbers, but labels × embeddingDim = ${classes} × ${dim} = ${classes * dim}`);
    if (model.bias.length !== classes) problems.push(`head.model.bias: ${model.bias.length} numbers, but there are ${classes} labels`);
  } else {
    const keyCount = head.keyLabels.length;
    if (keyCount === 0) problems.push('head.keyLabels: no keys');
    if (head.keys.length !== keyCount * dim)
      problems.push(`head.keys: ${head.keys.length} numbers, but keys × embeddingDim = ${keyCount} × ${dim} = ${keyCount * dim}`);
    const outOfRange = head.keyLabels.findIndex((label) => label >= classes);
    if (outOfRange >= 0) problems.push(`head.keyLabels[${outOfRange}]: ${head.keyLabels[outOfRange]} is not a label index (0 to ${classes - 1})`);
    if (head.kind === 'knn' && head.k > keyCount) problems.push(`head.k: ${head.k}, but there are only ${keyCount} keys`);
  }
  for (const label of Object.keys(file.training.perClass))
    if (!file.labels.includes(label)) problems.push(`training.perClass: ${JSON.stringify(label.slice(0, 40))} is not one of the labels`);
  return problems;
}

function toTrainedHead(head: CheckedHead): TrainedHead {
  switch (head.kind) {
    case 'logistic':
      return {
        kind: 'logistic', classes: head.classes, dim: head.dim, C: head.C,
        model: { classes: head.model.classes, dim: head.model.dim, weights: Float64Array.from(head.model.weights), bias: Float64Array.from(head.model.bias) },
      };
    case 'knn':
      return { kind: 'knn', classes: head.classes, dim: head.dim, k: head.k, keys: Float32Array.from(head.keys), keyLabels: Int32Array.from(head.keyLabels) };
    case 'tip-adapter':
      return {
        kind: 'tip-adapter', classes: head.classes, dim: head.dim, alpha: head.alpha, beta: head.beta,
        keys: Float32Array.from(head.keys), keyLabels: Int32Array.from(head.keyLabels),
      };
  }
}

/** Parses and checks a head file: format, version, shapes (weights = labels × dim, …), finite numbers. Throws with what is wrong. */
export function parseHead(text: string): HeadFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new HeadFileError([`not JSON (${error instanceof Error ? error.message : String(error)})`]);
  }
  const checked = checkWith(headFileSchema, json);
  if (!checked.ok) throw new HeadFileError(capProblems(checked.problems));
  const file = checked.value;
  const { head } = file;
  if (!('classes' in head)) throw new HeadFileError([`head.kind: ${KIND_PROBLEM}`]);
  const problems = shapeProblems(file, head);
  if (problems.length > 0) throw new HeadFileError(capProblems(problems));
  return {
    format: HEAD_FILE_FORMAT,
    version: HEAD_FILE_VERSION,
    task: file.task,
    modelId: file.modelId,
    labels: file.labels,
    embeddingDim: file.embeddingDim,
    head: toTrainedHead(head),
    training: {
      ...file.training,
      perClass: { ...file.training.perClass },
      chosen: { ...file.training.chosen },
    },
  };
}
