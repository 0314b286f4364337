import { calibratedProbabilities, type Calibration } from '../../../lib/audioScoring';
import { blendProbabilities } from '../../../lib/fewShot';

/** Prior matching needs a batch of clips to estimate the label prior, so live windows fall back to no calibration under it. */
export function liveCalibration(calibration: Calibration): 'none' | 'zero-input' {
  return calibration === 'zero-input' ? 'zero-input' : 'none';
}

/**
 * One live window's label probabilities, as a clip's are made (AudioController.applyCalibration):
 * the raw scores calibrated ('zero-input' subtracts the silent clip's scores, when they are known),
 * then, with a head in use whose probabilities came back, blended with them by its zero-shot weight.
 */
export function liveWindowProbabilities(
  rawScores: ArrayLike<number>,
  calibration: 'none' | 'zero-input',
  zeroInputScores: ArrayLike<number> | null,
  head: { probabilities: ArrayLike<number> | null; zeroShotWeight: number } | null,
): Float64Array | number[] {
  const [zeroShot = []] = calibratedProbabilities([rawScores], calibration === 'zero-input' && zeroInputScores ? 'zero-input' : 'none', zeroInputScores);
  if (!head?.probabilities || head.zeroShotWeight >= 1) return zeroShot;
  return blendProbabilities(head.probabilities, zeroShot, head.zeroShotWeight);
}
