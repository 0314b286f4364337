import type { ReviewSort, ReviewStatusFilter } from '../../../lib/review';
import { useAppStore } from '../../../store';
import type { Task } from '../../../lib/tasks';
import { REVIEW_KEYS } from './useReviewKeyboard';
import { useTaskLabels } from './useTaskReview';

const SORTS: ReadonlyArray<readonly [ReviewSort, string]> = [
  ['added', 'Order added'],
  ['least-sure', 'Least sure first'],
  ['most-sure', 'Most sure first'],
];

const STATUSES: ReadonlyArray<readonly [ReviewStatusFilter, string]> = [
  ['all', 'All'],
  ['unreviewed', 'Unreviewed'],
  ['reviewed', 'Reviewed'],
  ['accepted', 'Accepted'],
  ['overridden', 'Relabelled'],
  ['rejected', 'None of these'],
];

/** A labelled menu over typed choices (value, text): the value comes back typed, no cast. */
function ChoiceSelect<T extends string>({
  label,
  testId,
  value,
  choices,
  onChange,
}: {
  label: string;
  testId: string;
  value: T;
  choices: ReadonlyArray<readonly [T, string]>;
  onChange: (value: T) => void;
}) {
  return (
    <label className="flex items-center gap-1">
      {label}
      <select
        data-testid={testId}
        className="max-w-32 rounded border px-1"
        value={value}
        onChange={(e) => {
          const chosen = choices.find(([candidate]) => candidate === e.target.value);
          if (chosen) onChange(chosen[0]);
        }}
      >
        {choices.map(([choice, text]) => (
          <option key={choice} value={choice}>
            {text}
          </option>
        ))}
      </select>
    </label>
  );
}

/** A 0–100 % field for a 0..1 fraction. */
function PercentInput({ testId, value, onChange }: { testId: string; value: number; onChange: (fraction: number) => void }) {
  return (
    <input
      data-testid={testId}
      type="number"
      min={0}
      max={100}
      className="w-14 rounded border px-1"
      value={String(Math.round(value * 100))}
      onChange={(e) => onChange(Math.min(1, Math.max(0, Number(e.target.value) / 100)))}
    />
  );
}

function KeysHelp() {
  const open = useAppStore((s) => s.keysHelpOpen);
  const setOpen = useAppStore((s) => s.setKeysHelpOpen);
  if (!open) return null;
  return (
    <div data-testid="keys-help" role="dialog" aria-label="Keyboard shortcuts" className="rounded border border-slate-300 bg-white p-3 text-xs shadow">
      <div className="mb-1 flex justify-between">
        <h3 className="font-semibold">Keyboard review</h3>
        <button className="px-1" aria-label="Close" onClick={() => setOpen(false)}>
          ✕
        </button>
      </div>
      <dl className="grid grid-cols-[8rem_1fr] gap-x-3 gap-y-0.5">
        {REVIEW_KEYS.map(([keys, what]) => (
          <div key={keys} className="contents">
            <dt className="font-mono">{keys}</dt>
            <dd>{what}</dd>
          </div>
        ))}
      </dl>
    </div>
  );
}

/** Sort, filters, selection and bulk decisions for a task's items; `shown` is what the grid or list shows. */
export function ReviewToolbar({ task, total, shown }: { task: Task; total: number; shown: readonly string[] }) {
  const view = useAppStore((s) => s.reviews[task].view);
  const selected = useAppStore((s) => s.reviews[task].selectedIds);
  const canUndo = useAppStore((s) => s.reviews[task].undo.length > 0);
  const setView = useAppStore((s) => s.setReviewView);
  const setSelection = useAppStore((s) => s.setSelection);
  const review = useAppStore((s) => s.review);
  const undo = useAppStore((s) => s.undoReview);
  const keysHelpOpen = useAppStore((s) => s.keysHelpOpen);
  const setKeysHelpOpen = useAppStore((s) => s.setKeysHelpOpen);
  const labels = useTaskLabels(task);
  if (total === 0) return null;
  const bulk = [...selected];
  return (
    <div className="space-y-2 rounded-lg border border-slate-200 bg-white p-2 text-xs shadow-sm" aria-label="Review">
      <div className="flex flex-wrap items-center gap-2">
        <ChoiceSelect label="Sort" testId="review-sort" value={view.sort} choices={SORTS} onChange={(sort) => setView(task, { sort })} />
        <ChoiceSelect label="Show" testId="review-status" value={view.status} choices={STATUSES} onChange={(status) => setView(task, { status })} />
        <ChoiceSelect
          label="Predicted"
          testId="review-predicted"
          value={view.predicted ?? ''}
          choices={[['', 'any label'], ...labels.map((label) => [label, label] as const)]}
          onChange={(predicted) => setView(task, { predicted: predicted === '' ? null : predicted })}
        />
        <label className="flex items-center gap-1">
          Confidence
          <PercentInput testId="review-min-confidence" value={view.minConfidence} onChange={(minConfidence) => setView(task, { minConfidence })} />
          –
          <PercentInput testId="review-max-confidence" value={view.maxConfidence} onChange={(maxConfidence) => setView(task, { maxConfidence })} />
          %
        </label>
        {view.cell && (
          <button data-testid="review-cell-filter" className="rounded bg-sky-100 px-2 py-0.5" onClick={() => setView(task, { cell: null })}>
            Truth “{view.cell.truth}” → predicted {view.cell.predicted === null ? 'none' : `“${view.cell.predicted}”`} ✕
          </button>
        )}
        <span data-testid="review-shown" className="ml-auto text-slate-600">
          {shown.length} of {total} shown
        </span>
      </div>
      <div className="flex flex-wrap items-center gap-2">
        <button data-testid="select-all" className="btn text-xs" onClick={() => setSelection(task, shown)}>
          Select shown
        </button>
        {bulk.length > 0 && (
          <>
            <span data-testid="selection-count">{bulk.length} selected</span>
            <button data-testid="bulk-accept" className="btn text-xs" onClick={() => review(task, bulk, { kind: 'accept' })}>
              Accept pre-labels
            </button>
            <button data-testid="bulk-reject" className="btn text-xs" onClick={() => review(task, bulk, { kind: 'reject' })}>
              None of these
            </button>
            <button data-testid="bulk-clear" className="btn text-xs" onClick={() => review(task, bulk, { kind: 'clear' })}>
              Clear decisions
            </button>
            <button className="btn text-xs" onClick={() => setSelection(task, [])}>
              Unselect
            </button>
          </>
        )}
        <button data-testid="undo-button" className="btn text-xs" disabled={!canUndo} onClick={() => undo(task)}>
          Undo
        </button>
        <button data-testid="keys-help-button" className="btn ml-auto text-xs" aria-expanded={keysHelpOpen} onClick={() => setKeysHelpOpen(!keysHelpOpen)}>
          Keys (?)
        </button>
      </div>
      <KeysHelp />
    </div>
  );
}
