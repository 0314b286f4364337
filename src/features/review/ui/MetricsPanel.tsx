import { useMemo } from 'react';
import { classificationReport } from '../../../lib/metrics';
import { evaluationOf } from '../../../lib/review';
import { reviewItemsOf } from '../../../store/reviewSlice';
import { useAppStore } from '../../../store';
import type { Task } from '../../../lib/tasks';
import { useTaskLabels } from './useTaskReview';

function percent(value: number | null): string {
  return value === null ? '–' : `${(value * 100).toFixed(1)}%`;
}

/** Distinct ground-truth classes, in the order first seen. */
function truthClasses(truths: readonly (string | null)[]): string[] {
  return [...new Set(truths.filter((truth): truth is string => truth !== null && truth.trim() !== ''))];
}

/**
 * Accuracy, per-class precision/recall/F1 and the confusion matrix of the model's top predictions
 * against ground truth (folder layout or imported CSV). A cell click filters the items to it.
 */
export function MetricsPanel({ task }: { task: Task }) {
  const items = useAppStore((s) => reviewItemsOf(s, task).items);
  const order = useAppStore((s) => reviewItemsOf(s, task).order);
  const activeCell = useAppStore((s) => s.reviews[task].view.cell);
  const setView = useAppStore((s) => s.setReviewView);
  const setTaskLabelsText = useAppStore((s) => s.setTaskLabelsText);
  const labels = useTaskLabels(task);
  const withTruth = useMemo(() => order.filter((id) => (items[id]?.truth ?? null) !== null), [order, items]);
  // Without ground truth (the usual case while a batch runs) there is nothing to evaluate on each update.
  const report = useMemo(() => {
    if (withTruth.length === 0) return null;
    const evaluation = evaluationOf(order, items);
    return classificationReport(evaluation.truth, evaluation.predicted, labels);
  }, [withTruth, order, items, labels]);
  const folderClasses = useMemo(() => truthClasses(withTruth.map((id) => items[id]?.truth ?? null)), [withTruth, items]);
  if (report === null) return null;

  const classes = report.confusion.classes;
  const missingClasses = folderClasses.filter((truth) => !labels.some((label) => label.trim().toLowerCase() === truth.trim().toLowerCase()));
  return (
    <section data-testid="metrics-panel" className="space-y-2 rounded-lg border border-slate-200 bg-white p-3 text-xs shadow-sm" aria-label="Accuracy">
      <div className="flex flex-wrap items-baseline gap-x-4 gap-y-1">
        <h2 className="text-sm font-semibold">Against ground truth</h2>
        <p className="text-sm">
          Accuracy{' '}
          <strong data-testid="accuracy" data-value={report.accuracy ?? ''}>
            {percent(report.accuracy)}
          </strong>{' '}
          <span className="text-slate-500">
            ({report.correct} of {report.evaluated} correct)
          </span>
        </p>
        <p className="text-slate-600" data-testid="metrics-coverage">
          {withTruth.length} items have ground truth; {report.evaluated} scored and evaluated
          {report.unknownTruth.length > 0 && `; ${report.unknownTruth.length} have a class that isn't one of the labels`}
        </p>
      </div>
      {missingClasses.length > 0 && (
        <p className="text-amber-800">
          {missingClasses.length} ground-truth class{missingClasses.length === 1 ? ' is' : 'es are'} not among the labels ({missingClasses.slice(0, 5).join(', ')}
          {missingClasses.length > 5 ? '…' : ''}).{' '}
          <button
            data-testid="use-truth-labels"
            className="btn text-xs"
            onClick={() => setTaskLabelsText(task, [...labels, ...missingClasses].join('\n'))}
          >
            Add them as labels
          </button>
        </p>
      )}
      {report.evaluated > 0 && (
        <div className="grid gap-3 xl:grid-cols-[auto_1fr]">
          <table data-testid="class-metrics" className="h-fit tabular-nums">
            <thead>
              <tr className="text-left text-slate-500">
                <th className="pr-3 font-normal">Class</th>
                <th className="pr-3 font-normal">Precision</th>
                <th className="pr-3 font-normal">Recall</th>
                <th className="pr-3 font-normal">F1</th>
                <th className="font-normal">Support</th>
              </tr>
            </thead>
            <tbody>
              {report.perClass.map((row) => (
                <tr
                  key={row.label}
                  data-testid="class-metrics-row"
                  data-label={row.label}
                  data-precision={row.precision ?? ''}
                  data-recall={row.recall ?? ''}
                  data-f1={row.f1 ?? ''}
                  data-support={row.support}
                >
                  <td className="max-w-40 truncate pr-3" title={row.label}>
                    {row.label}
                  </td>
                  <td className="pr-3">{percent(row.precision)}</td>
                  <td className="pr-3">{percent(row.recall)}</td>
                  <td className="pr-3">{percent(row.f1)}</td>
                  <td>{row.support}</td>
                </tr>
              ))}
              <tr className="border-t text-slate-600">
                <td className="pr-3">Macro average</td>
                <td className="pr-3">{percent(report.macro.precision)}</td>
                <td className="pr-3">{percent(report.macro.recall)}</td>
                <td className="pr-3">{percent(report.macro.f1)}</td>
                <td />
              </tr>
            </tbody>
          </table>
          <div className="overflow-x-auto">
            <table data-testid="confusion-matrix" className="tabular-nums" aria-label="Confusion matrix: rows are ground truth, columns are predictions">
              <thead>
                <tr>
                  <th className="p-1 text-left font-normal text-slate-500">truth ↓ / predicted →</th>
                  {classes.map((label) => (
                    <th key={label} className="max-w-20 truncate p-1 font-normal" title={label}>
                      {label}
                    </th>
                  ))}
                  <th className="p-1 font-normal text-slate-500" title="No prediction among the labels">
                    none
                  </th>
                </tr>
              </thead>
              <tbody>
                {report.confusion.counts.map((row, rowIndex) => {
                  const truth = classes[rowIndex] as string;
                  return (
                    <tr key={truth}>
                      <th className="max-w-32 truncate p-1 text-left font-normal" title={truth}>
                        {truth}
                      </th>
                      {row.map((count, columnIndex) => {
                        const predicted = classes[columnIndex] ?? null;
                        const active = activeCell !== null && activeCell.truth === truth && activeCell.predicted === predicted;
                        const diagonal = columnIndex === rowIndex;
                        return (
                          <td key={columnIndex} className="p-0.5">
                            <button
                              data-testid="confusion-cell"
                              data-truth={truth}
                              data-predicted={predicted ?? ''}
                              data-count={count}
                              disabled={count === 0}
                              aria-pressed={active}
                              title={`${count} with truth “${truth}” predicted ${predicted === null ? 'as none of the labels' : `“${predicted}”`}`}
                              className={`h-7 w-10 rounded text-center ${count === 0 ? 'text-slate-300' : diagonal ? 'bg-emerald-100' : 'bg-red-100'} ${active ? 'ring-2 ring-sky-500' : ''}`}
                              onClick={() => setView(task, { cell: active ? null : { truth, predicted } })}
                            >
                              {count}
                            </button>
                          </td>
                        );
                      })}
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </div>
      )}
    </section>
  );
}
