import { CALIBRATIONS, TOKEN_AGGREGATIONS, type Calibration, type TokenAggregation } from '../../../lib/audioScoring';
import { useAppStore } from '../../../store';
import { audioCatalogEntryFor } from '../../models';

const CALIBRATION_TEXT: Record<Calibration, string> = {
  none: 'None: softmax over the raw scores',
  'zero-input': 'Zero-input: minus each label’s score on a silent clip',
  prior: 'Prior matching: re-weight labels until the batch’s mean prediction is uniform',
};

const AGGREGATION_TEXT: Record<TokenAggregation, string> = {
  mean: 'Mean log-prob of the label’s tokens',
  'sum-with-eot': 'Sum of log-probs, end-of-text included',
};

function isCalibration(value: string): value is Calibration {
  return (CALIBRATIONS as readonly string[]).includes(value);
}
function isAggregation(value: string): value is TokenAggregation {
  return (TOKEN_AGGREGATIONS as readonly string[]).includes(value);
}

/** How Whisper's label likelihoods become probabilities: token aggregation and calibration. */
export function AudioScoringPanel() {
  const calibration = useAppStore((s) => s.calibration);
  const setCalibration = useAppStore((s) => s.setCalibration);
  const aggregation = useAppStore((s) => s.aggregation);
  const setAggregation = useAppStore((s) => s.setAggregation);
  const applied = useAppStore((s) => s.appliedCalibration);
  const family = useAppStore((s) => {
    const status = s.models.audio.status;
    return (status.state === 'ready' ? status.info.family : undefined) ?? audioCatalogEntryFor(s.audioModelId).family;
  });
  return (
    <section className="space-y-2 rounded-lg border border-slate-200 bg-white p-3 text-sm shadow-sm" aria-label="Scoring">
      {family === 'whisper' && (
        <label className="block font-medium">
          Label score
          <select
            data-testid="aggregation-select"
            className="input mt-1 font-normal"
            value={aggregation}
            onChange={(e) => isAggregation(e.target.value) && setAggregation(e.target.value)}
          >
            {TOKEN_AGGREGATIONS.map((value) => (
              <option key={value} value={value}>
                {AGGREGATION_TEXT[value]}
              </option>
            ))}
          </select>
        </label>
      )}
      <label className="block font-medium">
        Calibration
        <select
          data-testid="calibration-select"
          className="input mt-1 font-normal"
          value={calibration}
          onChange={(e) => isCalibration(e.target.value) && setCalibration(e.target.value)}
        >
          {CALIBRATIONS.map((value) => (
            <option key={value} value={value}>
              {CALIBRATION_TEXT[value]}
            </option>
          ))}
        </select>
      </label>
      <p data-testid="calibration-status" data-applied={applied} className="text-xs text-slate-600">
        In effect:{' '}
        <strong>
          {applied === 'zero-input-pending' ? 'none yet (computing the silent clip’s scores…)' : CALIBRATION_TEXT[applied].split(':')[0]}
        </strong>
        {applied === 'prior' && ' (over the clips listed here; it changes as clips are added)'}
      </p>
    </section>
  );
}
