import type { RankedLabel } from '../lib/scoring';

/** Predictions shown in full per item; the rest fold away (all stay in the DOM, as bare elements, for tools). */
const VISIBLE_PREDICTIONS = 5;

/**
 * An item's labels, best first, with their probabilities as numbers and bars, and the raw
 * similarity beside each when the model gives one (with a single label the probability is always
 * 100%, which a short note explains).
 */
export function PredictionList({ predictions }: { predictions: readonly RankedLabel[] }) {
  const single = predictions.length === 1;
  return (
    <>
      <ol className="space-y-0.5">
        {predictions.map((p, index) =>
          index < VISIBLE_PREDICTIONS ? (
            <li key={p.label} data-testid="prediction" data-label={p.label} data-score={p.score} data-similarity={p.similarity}>
              <div className="flex justify-between gap-2">
                <span className="truncate" title={p.label}>
                  {p.label}
                </span>
                <span className="shrink-0 tabular-nums">
                  {p.similarity !== undefined && (
                    <span data-testid="prediction-similarity" className="mr-1 text-slate-500" title="Raw similarity of the item to this label's prompt">
                      sim {p.similarity.toFixed(3)}
                    </span>
                  )}
                  {(p.score * 100).toFixed(1)}%
                </span>
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
      {single && (
        <p data-testid="single-label-note" className="text-slate-500">
          One label: the probabilities are shared out among the labels, so it always gets 100%.
          {predictions[0]?.similarity !== undefined ? ' The similarity says how well it fits.' : ' Add a second label to compare against.'}
        </p>
      )}
    </>
  );
}
