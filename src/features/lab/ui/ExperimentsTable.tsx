import { useDeferredValue, useMemo, useState } from 'react';
import { experimentsToCsv, experimentsToJson, type Experiment } from '../../../lib/experiments';
import type { Task } from '../../../lib/tasks';
import { useAppStore } from '../../../store';
import { downloadBlob, exportFileStem } from '../../workspace';
import { recallComparison } from '../client/experimentFiles';
import { percentText } from './labCalls';
import { LabServiceContext } from './labServices';

type SortKey = 'name' | 'kind' | 'modelId' | 'templates' | 'calibration' | 'aggregation' | 'classifier' | 'accuracy' | 'cvAccuracy' | 'macroF1' | 'createdAt';

const COLUMNS: ReadonlyArray<{ key: SortKey; title: string; numeric?: boolean }> = [
  { key: 'name', title: 'Name' },
  { key: 'kind', title: 'Kind' },
  { key: 'modelId', title: 'Model' },
  { key: 'templates', title: 'Templates', numeric: true },
  { key: 'calibration', title: 'Calibration' },
  { key: 'aggregation', title: 'Score rule' },
  { key: 'classifier', title: 'Classifier' },
  { key: 'accuracy', title: 'Accuracy', numeric: true },
  { key: 'cvAccuracy', title: 'CV accuracy', numeric: true },
  { key: 'macroF1', title: 'Macro-F1', numeric: true },
];

function sortValue(experiment: Experiment, key: SortKey): string | number | null {
  switch (key) {
    case 'templates':
      return experiment.templates.length;
    case 'calibration':
      return experiment.calibration;
    case 'aggregation':
      return experiment.aggregation;
    default:
      return experiment[key];
  }
}

/** Nulls (no CV figure, no calibration) sort last whichever the direction. */
function compareExperiments(a: Experiment, b: Experiment, key: SortKey, descending: boolean): number {
  const x = sortValue(a, key);
  const y = sortValue(b, key);
  if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
  const order = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
  return descending ? -order : order;
}

const KIND_TITLES: Record<Experiment['kind'], string> = {
  single: 'one template',
  ensemble: 'ensemble',
  greedy: 'greedy selection',
  'best-single': 'best template',
  current: 'current settings',
  head: 'few-shot head',
};

function ComparePanel({ a, b }: { a: Experiment; b: Experiment }) {
  const rows = recallComparison(a, b);
  return (
    <div data-testid="experiment-compare" className="space-y-1">
      <p className="text-xs text-slate-600">
        A: <strong>{a.name}</strong> ({percentText(a.accuracy)}) · B: <strong>{b.name}</strong> ({percentText(b.accuracy)}) · per-class recall, and B − A
      </p>
      <div className="sticky-table max-h-60 overflow-auto">
        <table className="tabular-nums text-xs">
          <thead>
            <tr className="text-left text-slate-500">
              <th className="pr-3 font-normal">Class</th>
              <th className="pr-3 font-normal">Recall A</th>
              <th className="pr-3 font-normal">Recall B</th>
              <th className="font-normal">B − A</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.label} data-testid="compare-row" data-label={row.label} data-delta={row.delta ?? ''}>
                <th className="max-w-40 truncate pr-3 text-left font-normal" title={row.label}>
                  {row.label}
                </th>
                <td className="pr-3">{percentText(row.recallA)}</td>
                <td className="pr-3">{percentText(row.recallB)}</td>
                <td className={row.delta === null ? '' : row.delta > 0 ? 'text-emerald-700' : row.delta < 0 ? 'text-red-700' : ''}>
                  {row.delta === null ? '–' : `${row.delta > 0 ? '+' : ''}${(row.delta * 100).toFixed(1)} pts`}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

/** The task's experiments: sortable, two compared side by side, applied, exported. */
export function ExperimentsTable({ task }: { task: Task }) {
  const lab = LabServiceContext.use();
  // A grid run adds some 83 rows at once: deferred, React renders them in slices that yield to
  // the page (the store's own update renders synchronously, in the task the worker's reply came in).
  const allExperiments = useDeferredValue(useAppStore((s) => s.experiments));
  const removeExperiment = useAppStore((s) => s.removeExperiment);
  const experiments = useMemo(() => allExperiments.filter((e) => e.task === task), [allExperiments, task]);
  const [sort, setSort] = useState<{ key: SortKey; descending: boolean }>({ key: 'createdAt', descending: true });
  const [compared, setCompared] = useState<string[]>([]);
  const sorted = useMemo(() => [...experiments].sort((a, b) => compareExperiments(a, b, sort.key, sort.descending)), [experiments, sort]);
  const comparedExperiments = compared.map((id) => experiments.find((e) => e.id === id)).filter((e): e is Experiment => e !== undefined);

  const onSort = (key: SortKey, numeric: boolean) =>
    setSort((current) => (current.key === key ? { key, descending: !current.descending } : { key, descending: numeric }));
  // Two at most: ticking a third drops the first ticked.
  const toggleCompared = (id: string, on: boolean) => setCompared((current) => (on ? [...current.filter((c) => c !== id), id].slice(-2) : current.filter((c) => c !== id)));
  const stem = `${exportFileStem(task)}-experiments`;

  if (experiments.length === 0) {
    return <p className="text-xs text-slate-500">No experiments yet: run a grid search (it needs items with ground truth).</p>;
  }
  return (
    <div className="space-y-2">
      <div className="flex flex-wrap items-center gap-1 text-xs">
        <span className="font-medium">{experiments.length} experiments</span>
        <button data-testid="export-experiments-csv" className="btn text-xs" onClick={() => downloadBlob(new Blob([experimentsToCsv(sorted)], { type: 'text/csv' }), `${stem}.csv`)}>
          CSV
        </button>
        <button
          data-testid="export-experiments-json"
          className="btn text-xs"
          onClick={() => downloadBlob(new Blob([experimentsToJson(sorted)], { type: 'application/json' }), `${stem}.json`)}
        >
          JSON
        </button>
        <span className="text-slate-500">Tick two rows to compare them.</span>
      </div>
      <div className="sticky-table max-h-80 overflow-auto rounded border border-slate-200">
        <table data-testid="experiments-table" className="tabular-nums text-xs">
          <caption className="caption-bottom p-2 text-left text-slate-600">
            Trust the <strong>CV accuracy</strong> for a configuration that was selected (the greedy selection, the best template): it re-runs
            the selection on each training fold and scores it on the held-out fold, while its in-sample accuracy was measured on the very items it
            was chosen on, and so is optimistic. For a configuration fixed in advance (one template, the whole ensemble) both measure the same.
          </caption>
          <thead>
            <tr className="text-left text-slate-500">
              <th className="p-1 font-normal">
                <span className="sr-only">Compare</span>
              </th>
              {COLUMNS.map((column) => (
                <th
                  key={column.key}
                  className="p-1 font-normal"
                  aria-sort={sort.key === column.key ? (sort.descending ? 'descending' : 'ascending') : 'none'}
                >
                  <button data-testid={`experiments-sort-${column.key}`} className="whitespace-nowrap hover:underline" onClick={() => onSort(column.key, column.numeric ?? false)}>
                    {column.title}
                    {sort.key === column.key ? (sort.descending ? ' ↓' : ' ↑') : ''}
                  </button>
                </th>
              ))}
              <th className="p-1 font-normal">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {sorted.map((e) => (
              <tr
                key={e.id}
                data-testid="experiment-row"
                data-experiment-id={e.id}
                data-kind={e.kind}
                data-accuracy={e.accuracy}
                data-cv-accuracy={e.cvAccuracy ?? ''}
                data-calibration={e.calibration ?? ''}
                data-aggregation={e.aggregation ?? ''}
                data-evaluated={e.evaluated}
                data-templates={e.templates.join('\n')}
                className="border-t border-slate-100"
              >
                <th className="p-1 text-left font-normal">
                  <input
                    type="checkbox"
                    data-testid="experiment-compare-select"
                    aria-label={`Compare ${e.name}`}
                    checked={compared.includes(e.id)}
                    onChange={(event) => toggleCompared(e.id, event.target.checked)}
                  />
                </th>
                <td className="max-w-64 truncate p-1 font-mono" title={e.templates.join('\n')}>
                  {e.name}
                </td>
                <td className="whitespace-nowrap p-1">{KIND_TITLES[e.kind]}</td>
                <td className="max-w-32 truncate p-1" title={e.modelId}>
                  {e.modelId}
                </td>
                <td className="p-1">{e.templates.length}</td>
                <td className="p-1">{e.calibration ?? '–'}</td>
                <td className="p-1">{e.aggregation ?? '–'}</td>
                <td className="whitespace-nowrap p-1">{e.classifier}</td>
                <td className="p-1">{percentText(e.accuracy)}</td>
                <td className="p-1 font-semibold">{percentText(e.cvAccuracy)}</td>
                <td className="p-1">{percentText(e.macroF1)}</td>
                <td className="whitespace-nowrap p-1">
                  <button data-testid="apply-experiment" className="btn px-1 py-0 text-xs" disabled={e.kind === 'head'} onClick={() => lab.applyExperiment(e.id)}>
                    Apply
                  </button>{' '}
                  <button className="btn px-1 py-0 text-xs" aria-label={`Delete ${e.name}`} onClick={() => removeExperiment(e.id)}>
                    ×
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {comparedExperiments.length === 2 && <ComparePanel a={comparedExperiments[0]!} b={comparedExperiments[1]!} />}
    </div>
  );
}
