/**
 * The coverage-accuracy curve for labelling at scale: keep the items whose top score is at least
 * t; what fraction is kept, and how accurate the kept ones are. CONTRACT (bodies to be written).
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
  void topScores; void correct;
  throw new Error('not implemented');
}

/** The lowest threshold whose kept items reach the target accuracy (the most coverage at that accuracy); null if none does. */
export function thresholdForAccuracy(curve: readonly CoveragePoint[], targetAccuracy: number): CoveragePoint | null {
  void curve; void targetAccuracy;
  throw new Error('not implemented');
}
