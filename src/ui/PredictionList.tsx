import type { RankedLabel } from '../lib/scoring';

/** Predictions shown in full per item; the rest fold away (all stay in the DOM, as bare elements, for tools). */
const VISIBLE_PREDICTIONS = 5;

/** An item's labels, best first, with their probabilities as numbers and bars. */
export function PredictionList({ predictions }: { predictions: readonly RankedLabel[] }) {
  return (
    <>
      <ol className="space-y-0.5">
        {predictions.map((p, index) =>
          index < VISIBLE_PREDICTIONS ? (
            <li key={p.label} data-testid="prediction" data-label={p.label} data-score={p.score}>
              <div className="flex justify-between gap-2">
                <span className="truncate" title={p.label}>
                  {p.label}
                </span>
                <span className="tabular-nums">{(p.score * 100).toFixed(1)}%</span>
              </div>
              <div className="h-1 rounded bg-slate-100">
                <div className="h-1 rounded bg-sky-500" style={{ width: `${Math.max(0, Math.min(1, p.score)) * 100}%` }} />
              </div>
            </li>
          ) : (
            // Folded away: one bare element carrying the label and score, not the six a shown row takes
            // (a batch of results renders 30 labels × every card on screen at once).
            <li key={p.label} data-testid="prediction" data-label={p.label} data-score={p.score} hidden />
          ),
        )}
      </ol>
      {predictions.length > VISIBLE_PREDICTIONS && <p className="text-slate-500">+{predictions.length - VISIBLE_PREDICTIONS} more labels</p>}
    </>
  );
}
