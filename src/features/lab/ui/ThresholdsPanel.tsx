import { useMemo, useState } from 'react';
import type uPlot from 'uplot';
import { coverageCurve, thresholdForAccuracy } from '../../../lib/coverage';
import { labelIdentity } from '../../../lib/labels';
import type { Task } from '../../../lib/tasks';
import { useAppStore } from '../../../store';
import { reviewItemsOf } from '../../../store/reviewSlice';
import { percentText, thresholdText } from './labCalls';
import { UPlotChart } from './UPlotChart';

const CHART_HEIGHT_PX = 220;
const DEFAULT_TARGET_PERCENT = 95;

/**
 * Confidence thresholds for labelling at scale: on the items with ground truth, how many keep a
 * top score of at least t (coverage) and how accurate those are; the lowest threshold that meets
 * the user's target; and accepting every unreviewed item above it in one undoable step.
 */
export function ThresholdsPanel({ task }: { task: Task }) {
  const items = useAppStore((s) => reviewItemsOf(s, task).items);
  const order = useAppStore((s) => reviewItemsOf(s, task).order);
  const review = useAppStore((s) => s.review);
  const [targetPercent, setTargetPercent] = useState(DEFAULT_TARGET_PERCENT);
  const [accepted, setAccepted] = useState<{ count: number; threshold: number } | null>(null);

  // One sort over the items with truth: cheap on the main thread for tens of thousands of items.
  const curve = useMemo(() => {
    const topScores: number[] = [];
    const correct: boolean[] = [];
    for (const id of order) {
      const item = items[id];
      const top = item?.predictions[0];
      if (!item || !top || item.truth === null) continue;
      topScores.push(top.score);
      correct.push(labelIdentity(top.label) === labelIdentity(item.truth));
    }
    return topScores.length === 0 ? [] : coverageCurve(topScores, correct);
  }, [items, order]);
  const target = Math.min(1, Math.max(0, targetPercent / 100));
  const proposed = useMemo(() => (curve.length === 0 ? null : thresholdForAccuracy(curve, target)), [curve, target]);
  const unreviewedAbove = useMemo(() => {
    if (proposed === null) return [];
    return order.filter((id) => {
      const item = items[id];
      const top = item?.predictions[0];
      return item !== undefined && item.decision === 'none' && top !== undefined && top.score >= proposed.threshold;
    });
  }, [items, order, proposed]);

  const data = useMemo((): uPlot.AlignedData => {
    const x = curve.map((point) => point.coverage);
    return [x, curve.map((point) => point.accuracy), curve.map((point) => (proposed !== null && point.threshold === proposed.threshold ? point.accuracy : null))];
  }, [curve, proposed]);
  const options = useMemo(
    (): Omit<uPlot.Options, 'width' | 'height'> => ({
      scales: { x: { time: false, range: [0, 1] }, y: { range: [0, 1] } },
      axes: [
        { label: 'coverage (items kept)', values: (_u, splits) => splits.map((split) => `${Math.round(split * 100)}%`) },
        { label: 'accuracy of the kept items', values: (_u, splits) => splits.map((split) => `${Math.round(split * 100)}%`) },
      ],
      series: [
        { label: 'coverage', value: (_u, v) => (v === null ? '' : `${(v * 100).toFixed(1)}%`) },
        { label: 'accuracy', stroke: '#0ea5e9', width: 2, points: { show: false }, value: (_u, v) => (v === null ? '' : `${(v * 100).toFixed(1)}%`) },
        { label: 'proposed threshold', stroke: '#dc2626', points: { show: true, size: 9, fill: '#dc2626' }, paths: () => null, value: (_u, v) => (v === null ? '' : `${(v * 100).toFixed(1)}%`) },
      ],
    }),
    [],
  );

  if (curve.length === 0) {
    return (
      <section data-testid="thresholds" className="text-sm text-slate-600" aria-label="Confidence thresholds">
        The coverage–accuracy curve needs scored items with ground truth.
      </section>
    );
  }
  const evaluated = curve[curve.length - 1]!.kept;
  return (
    <section data-testid="thresholds" className="space-y-2 text-sm" aria-label="Confidence thresholds">
      <p className="text-xs text-slate-600">
        Of the {evaluated} scored items with ground truth: keep those whose top score is at least a threshold; the curve shows how many are kept
        and how accurate they are, for the classifier the items show now.
      </p>
      <UPlotChart testId="coverage-curve" options={options} data={data} height={CHART_HEIGHT_PX} label={`Coverage against accuracy over ${evaluated} items with ground truth`} />
      <div className="flex flex-wrap items-center gap-2">
        <label className="flex items-center gap-1 text-xs">
          Target accuracy
          <input
            data-testid="target-accuracy"
            type="number"
            min={0}
            max={100}
            step={0.5}
            className="input w-20"
            value={targetPercent}
            onChange={(e) => setTargetPercent(Number(e.target.value))}
          />
          %
        </label>
        {proposed ? (
          <p data-testid="proposed-threshold" data-threshold={proposed.threshold} data-coverage={proposed.coverage} data-accuracy={proposed.accuracy} className="text-xs">
            Top score ≥ <strong className="tabular-nums">{thresholdText(proposed.threshold)}</strong>: keeps {proposed.kept} of {evaluated} ({percentText(proposed.coverage)}
            ), {percentText(proposed.accuracy)} of them correct.
          </p>
        ) : (
          <p data-testid="proposed-threshold" className="text-xs text-amber-800">
            No threshold reaches {targetPercent}% on these items.
          </p>
        )}
      </div>
      <div className="flex flex-wrap items-center gap-2">
        <button
          data-testid="accept-above-threshold"
          className="btn"
          disabled={proposed === null || unreviewedAbove.length === 0}
          onClick={() => {
            if (proposed === null) return;
            setAccepted({ count: review(task, unreviewedAbove, { kind: 'accept' }), threshold: proposed.threshold });
          }}
        >
          Accept the {unreviewedAbove.length} unreviewed items above it
        </button>
        <span className="text-xs text-slate-500">All the task’s items count, with or without ground truth; the rest stay for review.</span>
      </div>
      {accepted && (
        <p data-testid="accepted-above-threshold" data-count={accepted.count} className="text-xs" aria-live="polite">
          Accepted {accepted.count} items with a top score ≥ {thresholdText(accepted.threshold)}, as one step: Undo takes it back.
        </p>
      )}
    </section>
  );
}
