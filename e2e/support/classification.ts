/** Shared checks on the app's ranked predictions. */
import { expect } from '@playwright/test';
import type { PlaygroundPage, Prediction } from '../pages/playground-page';

export interface Outcome {
  name: string;
  expected: string;
  top: string | undefined;
  topScore: number | undefined;
  correct: boolean;
}

/** Contract checks for one item's predictions: one per label, probabilities, sorted descending. */
export function expectWellFormed(name: string, predictions: readonly Prediction[], labels: readonly string[]): void {
  expect(predictions.map((p) => p.label).sort(), `${name}: one prediction per label`).toEqual([...labels].sort());
  for (const p of predictions) {
    expect(p.score, `${name}: score of ${p.label} is a probability`).toBeGreaterThanOrEqual(0);
    expect(p.score, `${name}: score of ${p.label} is a probability`).toBeLessThanOrEqual(1);
  }
  for (let i = 1; i < predictions.length; i++) {
    expect(predictions[i]!.score, `${name}: predictions sorted by score, descending`).toBeLessThanOrEqual(predictions[i - 1]!.score);
  }
  // CLIP scores are a softmax over the labels.
  const sum = predictions.reduce((s, p) => s + p.score, 0);
  expect(sum, `${name}: softmax scores sum to 1`).toBeCloseTo(1, 3);
}

/** Waits until every item is done with predictions for exactly `labels`, and returns what ranked first. */
export async function collectOutcomes(
  playground: PlaygroundPage,
  images: readonly { name: string }[],
  labels: readonly string[],
  expectedOf: (image: { name: string }) => string,
): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  for (const image of images) {
    await playground.expectItemState(image.name, 'done');
    await playground.waitForPredictionLabels(image.name, labels);
    const predictions = await playground.predictions(image.name);
    expectWellFormed(image.name, predictions, labels);
    const expected = expectedOf(image);
    outcomes.push({
      name: image.name,
      expected,
      top: predictions[0]?.label,
      topScore: predictions[0]?.score,
      correct: predictions[0]?.label === expected,
    });
  }
  return outcomes;
}

export function describeOutcomes(outcomes: readonly Outcome[]): string {
  return outcomes
    .map((o) => `${o.correct ? 'ok  ' : 'MISS'} ${o.name}: expected "${o.expected}", got "${o.top}" (${o.topScore?.toFixed(3)})`)
    .join('\n');
}
