import { useMemo } from 'react';
import uPlot from 'uplot';
import type { Experiment } from '../../../lib/experiments';
import { UPlotChart } from './UPlotChart';

const CHART_HEIGHT_PX = 220;
const BAR_COLOUR = '#0ea5e9';
const ENSEMBLE_COLOUR = '#7c3aed';
const GREEDY_COLOUR = '#16a34a';

/**
 * Accuracy per template of one grid run: the single templates as bars, best first, and the whole
 * ensemble and the greedy selection as horizontal lines across them. Hovering a bar names its template.
 */
export function TemplateAccuracyChart({ experiments }: { experiments: readonly Experiment[] }) {
  const singles = useMemo(() => experiments.filter((e) => e.kind === 'single').sort((a, b) => b.accuracy - a.accuracy), [experiments]);
  const ensemble = experiments.find((e) => e.kind === 'ensemble') ?? null;
  const greedy = experiments.find((e) => e.kind === 'greedy') ?? null;

  const data = useMemo((): uPlot.AlignedData => {
    const x = singles.map((_, index) => index);
    return [x, singles.map((e) => e.accuracy), x.map(() => ensemble?.accuracy ?? null), x.map(() => greedy?.accuracy ?? null)];
  }, [singles, ensemble, greedy]);

  // Made once per run's templates (the plot is rebuilt only when the names change).
  const names = useMemo(() => singles.map((e) => e.templates[0] ?? e.name), [singles]);
  const options = useMemo(
    (): Omit<uPlot.Options, 'width' | 'height'> => ({
      scales: { x: { time: false, range: (_u, min, max) => [min - 0.5, max + 0.5] }, y: { range: [0, 1] } },
      axes: [
        { label: 'templates, best first', values: (_u, splits) => splits.map((split) => (Number.isInteger(split) ? `${split + 1}` : '')) },
        { label: 'accuracy', values: (_u, splits) => splits.map((split) => `${Math.round(split * 100)}%`) },
      ],
      legend: { live: true },
      series: [
        { label: 'template', value: (_u, index) => (index === null ? '' : (names[index] ?? '')) },
        {
          label: 'one template',
          stroke: BAR_COLOUR,
          fill: `${BAR_COLOUR}88`,
          paths: uPlot.paths.bars?.({ size: [0.8, 40] }),
          points: { show: false },
          value: (_u, v) => (v === null ? '' : `${(v * 100).toFixed(1)}%`),
        },
        { label: 'ensemble of all', stroke: ENSEMBLE_COLOUR, width: 2, dash: [6, 4], points: { show: false }, value: (_u, v) => (v === null ? '–' : `${(v * 100).toFixed(1)}%`) },
        { label: 'greedy selection', stroke: GREEDY_COLOUR, width: 2, points: { show: false }, value: (_u, v) => (v === null ? '–' : `${(v * 100).toFixed(1)}%`) },
      ],
    }),
    [names],
  );

  if (singles.length === 0) return null;
  return (
    <figure className="space-y-1">
      <UPlotChart
        testId="template-accuracy-chart"
        options={options}
        data={data}
        height={CHART_HEIGHT_PX}
        label={`Accuracy of ${singles.length} single templates, best first${ensemble ? `; the ensemble scores ${(ensemble.accuracy * 100).toFixed(1)}%` : ''}${greedy ? `; the greedy selection ${(greedy.accuracy * 100).toFixed(1)}%` : ''}`}
      />
      <figcaption className="text-xs text-slate-500">
        In-sample accuracy of each template alone (bars), of all of them as one ensemble (dashed) and of the greedy selection (solid line).
      </figcaption>
    </figure>
  );
}
