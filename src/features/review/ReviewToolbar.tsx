import type { ReviewSort, ReviewStatusFilter } from '../../lib/review';
import { useAppStore } from '../../store';
import type { Task } from '../models/shared/catalog';
import { REVIEW_KEYS } from './useReviewKeyboard';
import { useTaskLabels, useVisibleIds } from './useTaskReview';

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

function percentInput(value: number): string {
  return String(Math.round(value * 100));
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

/** Sort, filters, selection and bulk decisions for a task's items. */
export function ReviewToolbar({ task, total }: { task: Task; total: number }) {
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
  const shown = useVisibleIds(task);
  if (total === 0) return null;
  const bulk = [...selected];
  return (
    <div className="space-y-2 rounded-lg border border-slate-200 bg-white p-2 text-xs shadow-sm" aria-label="Review">
      <div className="flex flex-wrap items-center gap-2">
        <label className="flex items-center gap-1">
          Sort
          <select data-testid="review-sort" className="rounded border px-1" value={view.sort} onChange={(e) => setView(task, { sort: e.target.value as ReviewSort })}>
            {SORTS.map(([value, text]) => (
              <option key={value} value={value}>
                {text}
              </option>
            ))}
          </select>
        </label>
        <label className="flex items-center gap-1">
          Show
          <select
            data-testid="review-status"
            className="rounded border px-1"
            value={view.status}
            onChange={(e) => setView(task, { status: e.target.value as ReviewStatusFilter })}
          >
            {STATUSES.map(([value, text]) => (
              <option key={value} value={value}>
                {text}
              </option>
            ))}
          </select>
        </label>
        <label className="flex items-center gap-1">
          Predicted
          <select
            data-testid="review-predicted"
            className="max-w-32 rounded border px-1"
            value={view.predicted ?? ''}
            onChange={(e) => setView(task, { predicted: e.target.value === '' ? null : e.target.value })}
          >
            <option value="">any label</option>
            {labels.map((label) => (
              <option key={label} value={label}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <label className="flex items-center gap-1">
          Confidence
          <input
            data-testid="review-min-confidence"
            type="number"
            min={0}
            max={100}
            className="w-14 rounded border px-1"
            value={percentInput(view.minConfidence)}
            onChange={(e) => setView(task, { minConfidence: Math.min(1, Math.max(0, Number(e.target.value) / 100)) })}
          />
          –
          <input
            data-testid="review-max-confidence"
            type="number"
            min={0}
            max={100}
            className="w-14 rounded border px-1"
            value={percentInput(view.maxConfidence)}
            onChange={(e) => setView(task, { maxConfidence: Math.min(1, Math.max(0, Number(e.target.value) / 100)) })}
          />
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
