import { useMemo } from 'react';
import type uPlot from 'uplot';
import { HEAD_KINDS, type CurvePoint, type HeadKind, type LearningCurve } from '../../../lib/fewShot';
import { UPlotChart } from './UPlotChart';
import { classifierName } from '../../../lib/classifiers';

const CHART_HEIGHT_PX = 240;
const COLOURS: Record<'zero-shot' | HeadKind, string> = { 'zero-shot': '#64748b', logistic: '#0ea5e9', knn: '#f59e0b', 'tip-adapter': '#16a34a' };

interface Line {
  key: 'zero-shot' | HeadKind;
  title: string;
  points: readonly CurvePoint[];
}

/**
 * Held-out accuracy against labelled examples per class (x on a log2 scale), one line per
 * classifier at the mean over the splits, with a band of ± one standard deviation around it.
 */
export function LearningCurveChart({ curve }: { curve: LearningCurve }) {
  const lines = useMemo(
    (): Line[] => [
      { key: 'zero-shot', title: 'zero-shot', points: curve.zeroShot },
      ...HEAD_KINDS.filter((kind) => (curve.heads[kind]?.length ?? 0) > 0).map((kind) => ({ key: kind, title: classifierName(kind), points: curve.heads[kind] })),
    ],
    [curve],
  );
  const data = useMemo((): uPlot.AlignedData => {
    const x = curve.sizes;
    const columns: Array<Array<number | null>> = [];
    for (const line of lines) {
      const at = (size: number) => line.points.find((point) => point.perClass === size && point.splits > 0) ?? null;
      columns.push(x.map((size) => at(size)?.mean ?? null));
      columns.push(x.map((size) => {
        const point = at(size);
        return point ? Math.min(1, point.mean + point.std) : null;
      }));
      columns.push(x.map((size) => {
        const point = at(size);
        return point ? Math.max(0, point.mean - point.std) : null;
      }));
    }
    return [x, ...columns];
  }, [curve, lines]);
  const lineKeys = lines.map((line) => line.key).join(',');
  const options = useMemo((): Omit<uPlot.Options, 'width' | 'height'> => {
    const keys = lineKeys.split(',') as Line['key'][];
    const percent = (_u: uPlot, v: number | null) => (v === null ? '–' : `${(v * 100).toFixed(1)}%`);
    const series: uPlot.Series[] = [{ label: 'examples per class' }];
    const bands: uPlot.Band[] = [];
    keys.forEach((key, index) => {
      const colour = COLOURS[key];
      const title = key === 'zero-shot' ? 'zero-shot' : classifierName(key);
      series.push({ label: title, stroke: colour, width: 2, value: percent, points: { show: true, size: 5 } });
      series.push({ label: `${title} + 1 sd`, stroke: 'transparent', points: { show: false }, value: percent, show: true });
      series.push({ label: `${title} − 1 sd`, stroke: 'transparent', points: { show: false }, value: percent, show: true });
      const mean = 1 + index * 3;
      bands.push({ series: [mean + 1, mean + 2], fill: `${colour}33` });
    });
    return {
      scales: { x: { time: false, distr: 3, log: 2 }, y: { range: [0, 1] } },
      axes: [
        { label: 'labelled examples per class (log2)', values: (_u, splits) => splits.map((split) => String(split)) },
        { label: 'held-out accuracy', values: (_u, splits) => splits.map((split) => `${Math.round(split * 100)}%`) },
      ],
      series,
      bands,
      legend: { show: true, live: true },
    };
  }, [lineKeys]);

  return (
    <figure className="space-y-1">
      <UPlotChart
        testId="learning-curve"
        className="learning-curve-chart"
        options={options}
        data={data}
        height={CHART_HEIGHT_PX}
        label={`Learning curve: held-out accuracy of ${lines.map((line) => line.title).join(', ')} for ${curve.sizes.join(', ')} examples per class`}
      />
      <figcaption className="text-xs text-slate-500">
        Mean held-out accuracy over random stratified splits (lines) and ± one standard deviation (bands), as the labelled examples per class grow.
      </figcaption>
    </figure>
  );
}
