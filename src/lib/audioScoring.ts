/**
 * Whisper zero-shot scoring maths (the method of jumon/zac and Ma et al., NAACL 2024): how a
 * label's token log-probabilities become one score, the padded decoder batch that scores every
 * label against one encoder output, and the two calibrations (zero-input, prior matching).
 */
import { softmax } from './scoring';

/** mean: mean log-prob of the label's tokens (the default); sum: their sum plus end-of-text. */
export type TokenAggregation = 'mean' | 'sum-with-eot';
/** none; zero-input: subtract each label's score on a silent clip; prior: match a uniform class prior over the batch. */
export type Calibration = 'none' | 'zero-input' | 'prior';

export const TOKEN_AGGREGATIONS: readonly TokenAggregation[] = ['mean', 'sum-with-eot'];
export const CALIBRATIONS: readonly Calibration[] = ['none', 'zero-input', 'prior'];

/** Label templates for Whisper; the leading space matters (Whisper's text starts with one). */
export const WHISPER_TEMPLATES = [' {}', ' [{}]', ' This is a sound of {}.'] as const;
export const DEFAULT_WHISPER_TEMPLATE = WHISPER_TEMPLATES[0];

export interface DecoderBatch {
  /** Row-major [rows, length] token ids, right-padded. */
  ids: number[];
  rows: number;
  length: number;
  /** Index of each row's first label token. */
  labelStart: number;
  /** Token count of each row's label, end-of-text excluded. */
  labelLengths: number[];
}

/**
 * Each row is prompt + label tokens + end-of-text, right-padded to the longest row. The decoder
 * is causal, so padding after a row's end never changes the logits that score it: no mask needed.
 */
export function buildDecoderBatch(promptIds: readonly number[], labelTokenIds: readonly (readonly number[])[], eotId: number, padId = eotId): DecoderBatch {
  const rows = labelTokenIds.length;
  const length = promptIds.length + Math.max(0, ...labelTokenIds.map((t) => t.length)) + 1;
  const ids = new Array<number>(rows * length).fill(padId);
  labelTokenIds.forEach((tokens, row) => {
    const sequence = [...promptIds, ...tokens, eotId];
    sequence.forEach((id, i) => (ids[row * length + i] = id));
  });
  return { ids, rows, length, labelStart: promptIds.length, labelLengths: labelTokenIds.map((t) => t.length) };
}

/** log softmax(row)[token] for one position's logits, computed stably in float64. */
export function tokenLogProb(logits: ArrayLike<number>, rowOffset: number, vocabSize: number, tokenId: number): number {
  let max = -Infinity;
  for (let v = 0; v < vocabSize; v++) max = Math.max(max, logits[rowOffset + v] as number);
  let total = 0;
  for (let v = 0; v < vocabSize; v++) total += Math.exp((logits[rowOffset + v] as number) - max);
  return (logits[rowOffset + tokenId] as number) - max - Math.log(total);
}

/** One label's score from its tokens' log-probs and the end-of-text log-prob after them. */
export function aggregateTokenScores(labelTokenLogProbs: readonly number[], eotLogProb: number, aggregation: TokenAggregation): number {
  const sum = labelTokenLogProbs.reduce((s, x) => s + x, 0);
  if (aggregation === 'sum-with-eot') return sum + eotLogProb;
  return labelTokenLogProbs.length > 0 ? sum / labelTokenLogProbs.length : eotLogProb;
}

/** Each score rule's scores from the same decoder batch (one log-softmax per position serves both). */
export type ScoresByRule = Record<TokenAggregation, Float32Array>;

/**
 * Scores every row of a decoder batch from its logits ([rows, length, vocab], row-major): token t
 * at position i is predicted by the logits at position i − 1. Both score rules come from the same
 * log-probabilities, so switching rule (or a grid over both) needs no second decoder run.
 */
export function scoreDecoderBatchByRule(batch: DecoderBatch, logits: ArrayLike<number>, vocabSize: number): ScoresByRule {
  return scoreRowsByRule(batch, vocabSize, (row, position) => ({ logits, offset: (row * batch.length + position) * vocabSize }));
}

/** Where the logits at one (row, position) of a decoder batch are: an array and the offset of their vocab-long run. */
type LogitsAt = (row: number, position: number) => { logits: ArrayLike<number>; offset: number };

function scoreRowsByRule(batch: DecoderBatch, vocabSize: number, logitsAt: LogitsAt): ScoresByRule {
  const byRule: ScoresByRule = { mean: new Float32Array(batch.rows), 'sum-with-eot': new Float32Array(batch.rows) };
  for (let row = 0; row < batch.rows; row++) {
    const labelLength = batch.labelLengths[row] as number;
    const logProbs: number[] = [];
    let eotLogProb = 0;
    for (let k = 0; k <= labelLength; k++) {
      const position = batch.labelStart + k;
      const token = batch.ids[row * batch.length + position] as number;
      const { logits, offset } = logitsAt(row, position - 1);
      const logProb = tokenLogProb(logits, offset, vocabSize, token);
      if (k < labelLength) logProbs.push(logProb);
      else eotLogProb = logProb;
    }
    for (const rule of TOKEN_AGGREGATIONS) byRule[rule][row] = aggregateTokenScores(logProbs, eotLogProb, rule);
  }
  return byRule;
}

/**
 * The label part of a decoder batch, for a decoder that has already read the prompt (its key/value
 * cache): row-major [rows, length − labelStart] ids, each row its label tokens + end-of-text, right-padded.
 */
export function labelColumns(batch: DecoderBatch): { ids: number[]; length: number } {
  const length = batch.length - batch.labelStart;
  const ids: number[] = [];
  for (let row = 0; row < batch.rows; row++) ids.push(...batch.ids.slice(row * batch.length + batch.labelStart, (row + 1) * batch.length));
  return { ids, length };
}

/**
 * The same scores as scoreDecoderBatchByRule when the prompt was decoded once on its own and only
 * the label columns (labelColumns) were decoded after its cache. A label's first token is predicted
 * by the prompt's last position, the same for every row (`promptLastLogits`, [vocab]); every later
 * token by the label run's logits ([rows, length − labelStart, vocab]) one position before it.
 */
export function scoreDecoderBatchAfterPromptByRule(
  batch: DecoderBatch,
  promptLastLogits: ArrayLike<number>,
  labelLogits: ArrayLike<number>,
  vocabSize: number,
): ScoresByRule {
  if (batch.labelStart < 1) throw new Error('A decoder batch scored after its prompt needs a prompt of at least one token.');
  const labelLength = batch.length - batch.labelStart;
  return scoreRowsByRule(batch, vocabSize, (row, position) =>
    position < batch.labelStart
      ? { logits: promptLastLogits, offset: 0 }
      : { logits: labelLogits, offset: (row * labelLength + position - batch.labelStart) * vocabSize },
  );
}

/** One rule's scores of a decoder batch (see scoreDecoderBatchByRule). */
export function scoreDecoderBatch(batch: DecoderBatch, logits: ArrayLike<number>, vocabSize: number, aggregation: TokenAggregation): Float32Array {
  return scoreDecoderBatchByRule(batch, logits, vocabSize)[aggregation];
}

/** Zero-input calibration: how much more likely each label is given this clip than given silence. */
export function subtractZeroInput(scores: ArrayLike<number>, zeroInputScores: ArrayLike<number>): number[] {
  return Array.from(scores, (s, i) => s - (zeroInputScores[i] ?? 0));
}

export interface PriorMatchResult {
  /** Calibrated probabilities per clip. */
  probabilities: number[][];
  /** The additive log-weight found for each label. */
  logWeights: number[];
  iterations: number;
}

/** Stop when every label's mean probability is within this of uniform. */
const PRIOR_MATCH_TOLERANCE = 1e-6;
const PRIOR_MATCH_MAX_ITERATIONS = 500;

/**
 * Prior matching (Ma et al.): re-weights the labels until the batch's mean predicted distribution
 * is uniform. Each step divides a label's weight by how over-represented it is on average.
 * Scores are log-space (log-probs or logits); one clip or one label is returned as plain softmax.
 */
export function priorMatch(scores: readonly ArrayLike<number>[], maxIterations = PRIOR_MATCH_MAX_ITERATIONS): PriorMatchResult {
  const labels = scores[0]?.length ?? 0;
  const logWeights = new Array<number>(labels).fill(0);
  const apply = () => scores.map((row) => softmax(Array.from(row, (s, k) => s + (logWeights[k] as number))));
  let probabilities = apply();
  if (scores.length < 2 || labels < 2) return { probabilities, logWeights, iterations: 0 };
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    const means = new Array<number>(labels).fill(0);
    for (const row of probabilities) row.forEach((p, k) => (means[k] = (means[k] as number) + p / probabilities.length));
    if (means.every((m) => Math.abs(m - 1 / labels) < PRIOR_MATCH_TOLERANCE)) break;
    means.forEach((m, k) => (logWeights[k] = (logWeights[k] as number) - Math.log(Math.max(m, Number.MIN_VALUE) * labels)));
    probabilities = apply();
  }
  return { probabilities, logWeights, iterations };
}

/** Final probabilities for a batch of clips under the chosen calibration. */
export function calibratedProbabilities(
  rawScores: readonly ArrayLike<number>[],
  calibration: Calibration,
  zeroInputScores: ArrayLike<number> | null,
): number[][] {
  switch (calibration) {
    case 'none':
      return rawScores.map((row) => softmax(row));
    case 'zero-input':
      if (!zeroInputScores) throw new Error('zero-input calibration needs the silent clip scores');
      return rawScores.map((row) => softmax(subtractZeroInput(row, zeroInputScores)));
    case 'prior':
      return priorMatch(rawScores).probabilities;
  }
}

/**
 * Whisper prompts keep the template's spacing (no trimming, unlike image prompts), and always start
 * with a space: Whisper's text after `<|notimestamps|>` begins with one, so " yes" and "yes" are
 * different tokens and only the first is what the model would write.
 */
export function buildTranscriptPrompts(template: string, labels: readonly string[]): string[] {
  const slotted = template.includes('{}') ? template : `${template.trimEnd()} {}`;
  return labels.map((label) => {
    const filled = slotted.split('{}').join(label);
    return filled.startsWith(' ') ? filled : ` ${filled}`;
  });
}

/**
 * Per label, every template × alternative as Whisper reads it (buildTranscriptPrompts' rules:
 * spacing kept, a leading space, the label appended when the template has no slot), repeats kept once.
 */
export function buildTranscriptClassPrompts(templates: readonly string[], alternatives: readonly (readonly string[])[]): string[][] {
  return alternatives.map((texts) => [...new Set(templates.flatMap((template) => buildTranscriptPrompts(template, texts)))]);
}

/**
 * Whisper's ensemble: a label's raw score is the mean of its prompts' raw scores (each a mean
 * token log-prob or a sum with end-of-text), so several templates and synonyms average out.
 */
export function meanPromptScores(classPrompts: readonly (readonly string[])[], scoreOf: (prompt: string) => number): Float32Array {
  return Float32Array.from(classPrompts, (prompts) => {
    if (prompts.length === 1) return scoreOf(prompts[0] as string);
    let sum = 0;
    for (const prompt of prompts) sum += scoreOf(prompt);
    return prompts.length > 0 ? sum / prompts.length : 0;
  });
}

/**
 * CLAP's ensemble, the CLIP way: a label's caption embeddings are unit-normalised, summed and
 * normalised again, and the window is scored against that direction. With s_j = scale·(a·t_j)
 * each prompt's score against audio embedding a, that is Σ s_j / ‖Σ t_j‖, so cached per-prompt
 * scores and the captions' embeddings give it without touching the audio again. A label with
 * one prompt keeps that prompt's score as it is.
 */
export function captionEnsembleScores(
  classPrompts: readonly (readonly string[])[],
  scoreOf: (prompt: string) => number,
  sumNormOf: (prompts: readonly string[]) => number,
): Float32Array {
  return Float32Array.from(classPrompts, (prompts) => {
    if (prompts.length === 1) return scoreOf(prompts[0] as string);
    let sum = 0;
    for (const prompt of prompts) sum += scoreOf(prompt);
    const norm = sumNormOf(prompts);
    return norm > 0 ? sum / norm : 0;
  });
}

/** ‖Σ t_j‖ of unit vectors t_j (the length of a label's summed caption embeddings). */
export function normOfSum(vectors: readonly ArrayLike<number>[]): number {
  const first = vectors[0];
  if (!first) return 0;
  const sum = new Float64Array(first.length);
  for (const vector of vectors) for (let k = 0; k < sum.length; k++) sum[k] = (sum[k] as number) + (vector[k] as number);
  let squared = 0;
  for (const value of sum) squared += value * value;
  return Math.sqrt(squared);
}
