/**
 * The coverage-accuracy curve for labelling at scale: keep the items whose top score is at least
 * t; what fraction is kept, and how accurate the kept ones are.
 */
export interface CoveragePoint {
  /** Items whose top score is ≥ threshold are kept. */
  threshold: number;
  /** Kept / all evaluated items. */
  coverage: number;
  /** Accuracy of the kept items. */
  accuracy: number;
  kept: number;
}

/** One point per distinct top score, from the highest threshold (fewest kept) to the lowest (all kept). */
export function coverageCurve(topScores: ArrayLike<number>, correct: ArrayLike<boolean>): CoveragePoint[] {
  const total = topScores.length;
  if (correct.length !== total) throw new RangeError(`${total} scores but ${correct.length} correctness flags`);
  const scores = Float64Array.from(topScores);
  for (let i = 0; i < total; i++) if (Number.isNaN(scores[i])) throw new RangeError(`item ${i} has no top score (NaN)`);
  const order = Array.from({ length: total }, (_, i) => i).sort((x, y) => (scores[y] as number) - (scores[x] as number));
  const curve: CoveragePoint[] = [];
  let kept = 0;
  let keptCorrect = 0;
  for (let position = 0; position < total; ) {
    const threshold = scores[order[position] as number] as number;
    // Every item tied at this score is kept together.
    while (position < total && scores[order[position] as number] === threshold) {
      if (correct[order[position] as number]) keptCorrect++;
      kept++;
      position++;
    }
    curve.push({ threshold, coverage: kept / total, accuracy: keptCorrect / kept, kept });
  }
  return curve;
}

/** How far below the target an accuracy may fall from rounding and still count as reaching it. */
const ACCURACY_TOLERANCE = 1e-12;

/** The lowest threshold whose kept items reach the target accuracy (the most coverage at that accuracy); null if none does. */
export function thresholdForAccuracy(curve: readonly CoveragePoint[], targetAccuracy: number): CoveragePoint | null {
  let best: CoveragePoint | null = null;
  for (const point of curve) {
    if (point.accuracy + ACCURACY_TOLERANCE < targetAccuracy) continue;
    if (best === null || point.threshold < best.threshold) best = point;
  }
  return best;
}
