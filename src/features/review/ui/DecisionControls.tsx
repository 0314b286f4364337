import type { ReviewDecision } from '../../../lib/review';
import type { RankedLabel } from '../../../lib/scoring';
import { useAppStore } from '../../../store';
import type { Task } from '../../../lib/tasks';

const DECISION_TEXT: Record<ReviewDecision, string> = {
  none: 'Unreviewed',
  accepted: 'Accepted',
  overridden: 'Relabelled',
  rejected: 'None of these',
};

const DECISION_STYLE: Record<ReviewDecision, string> = {
  none: 'text-slate-500',
  accepted: 'text-emerald-700',
  overridden: 'text-violet-700',
  rejected: 'text-red-700',
};

/** Accept the pre-label, pick another label, or "none of these"; the current decision in words. */
export function DecisionControls({
  task,
  id,
  decision,
  finalLabel,
  predictions,
  labels,
}: {
  task: Task;
  id: string;
  decision: ReviewDecision;
  finalLabel: string | null;
  predictions: readonly RankedLabel[];
  labels: readonly string[];
}) {
  const review = useAppStore((s) => s.review);
  const top = predictions[0];
  return (
    <div className="flex items-center gap-1 text-xs" onClick={(event) => event.stopPropagation()}>
      <span data-testid="decision-text" className={`min-w-0 flex-1 truncate font-medium ${DECISION_STYLE[decision]}`} title={finalLabel ?? undefined}>
        {DECISION_TEXT[decision]}
        {finalLabel !== null && decision === 'overridden' ? `: ${finalLabel}` : ''}
      </span>
      <button
        data-testid="decision-accept"
        className="rounded border border-slate-300 px-1 hover:bg-emerald-50 disabled:opacity-40"
        disabled={!top}
        title={top ? `Accept “${top.label}” (Enter)` : 'No prediction yet'}
        aria-label="Accept the pre-label"
        onClick={() => review(task, [id], { kind: 'accept' })}
      >
        ✓
      </button>
      <select
        data-testid="decision-pick"
        className="w-20 rounded border border-slate-300 px-0.5"
        aria-label="Pick a label"
        value=""
        onChange={(event) => {
          const value = event.target.value;
          if (value === '\u0000none') review(task, [id], { kind: 'reject' });
          else if (value === '\u0000clear') review(task, [id], { kind: 'clear' });
          else if (value) review(task, [id], { kind: 'pick', label: value });
        }}
      >
        <option value="">Label…</option>
        {labels.map((label, index) => (
          <option key={label} value={label}>
            {index < 9 ? `${index + 1} ` : ''}
            {label}
          </option>
        ))}
        <option value={'\u0000none'}>0 None of these</option>
        {decision !== 'none' && <option value={'\u0000clear'}>Clear decision</option>}
      </select>
    </div>
  );
}
