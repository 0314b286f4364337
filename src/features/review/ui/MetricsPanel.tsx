import { useAppStore } from '../../../store';
import type { Task } from '../../../lib/tasks';
import type { MetricsReport } from './useMetricsReport';

function percent(value: number | null): string {
  return value === null ? '–' : `${(value * 100).toFixed(1)}%`;
}

/**
 * The accuracy of what the items currently show, for the metrics tab's label: visible without
 * opening the metrics view. Nothing without ground truth.
 */
export function AccuracyBadge({ metrics }: { metrics: MetricsReport }) {
  const { report } = metrics;
  if (report === null) return null;
  return (
    <span className="tabular-nums" title={`${report.correct} of ${report.evaluated} items with ground truth are correct`}>
      <strong data-testid="accuracy" data-value={report.accuracy ?? ''}>
        {percent(report.accuracy)}
      </strong>
    </span>
  );
}

/**
 * Per-class precision/recall/F1 and the confusion matrix of the items' top predictions against
 * ground truth (folder layout or imported CSV). A cell click filters the items to it. Both tables
 * scroll in boxes of their own with their header row and first column kept in view.
 */
export function MetricsPanel({ task, metrics }: { task: Task; metrics: MetricsReport }) {
  const activeCell = useAppStore((s) => s.reviews[task].view.cell);
  const setView = useAppStore((s) => s.setReviewView);
  const setTaskLabelsText = useAppStore((s) => s.setTaskLabelsText);
  const { report, labels, missingClasses } = metrics;
  if (report === null) {
    return (
      <p data-testid="metrics-empty" className="text-sm text-slate-600">
        No item has ground truth yet: pick a folder laid out one sub-folder per class, or import a <code>file,label</code> CSV (Export and import).
      </p>
    );
  }

  const classes = report.confusion.classes;
  return (
    <section data-testid="metrics-panel" className="space-y-2 text-xs" aria-label="Accuracy">
      <div className="flex flex-wrap items-baseline gap-x-4 gap-y-1">
        <h2 className="text-sm font-semibold">Against ground truth</h2>
        <p className="text-sm">
          Accuracy {percent(report.accuracy)}{' '}
          <span className="text-slate-500">
            ({report.correct} of {report.evaluated} correct)
          </span>
        </p>
        <p className="text-slate-600" data-testid="metrics-coverage">
          {metrics.withTruth} items have ground truth; {report.evaluated} scored and evaluated
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
          <div className="sticky-table max-h-72 overflow-auto">
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
                  <th className="max-w-40 truncate pr-3 text-left font-normal" title={row.label}>
                    {row.label}
                  </th>
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
          </div>
          <div data-testid="confusion-scroll" className="sticky-table max-h-72 overflow-auto">
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
