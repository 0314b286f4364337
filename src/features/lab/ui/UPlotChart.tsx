import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** Below this the chart is unreadable; a hidden container (width 0) waits at this size. */
const MIN_WIDTH_PX = 200;

/**
 * One uPlot chart. The plot is made once per `options` (so callers memoise them; a new series
 * count needs a new plot, uPlot can't add series through setData), its data updated with
 * setData, its width kept to the container's by a ResizeObserver, and it is destroyed on unmount.
 */
export function UPlotChart({
  options,
  data,
  height,
  testId,
  label,
  className = '',
}: {
  options: Omit<uPlot.Options, 'width' | 'height'>;
  data: uPlot.AlignedData;
  /** px */
  height: number;
  testId: string;
  /** What the chart shows, for screen readers (the canvas says nothing). */
  label: string;
  className?: string;
}) {
  const containerRef = useRef<HTMLDivElement>(null);
  const plotRef = useRef<uPlot | null>(null);
  // The data the plot is made with; later data goes through setData.
  const dataRef = useRef(data);

  useEffect(() => {
    const container = containerRef.current;
    if (!container) return;
    const width = () => Math.max(MIN_WIDTH_PX, Math.floor(container.clientWidth));
    const plot = new uPlot({ ...options, width: width(), height }, dataRef.current, container);
    plotRef.current = plot;
    const observer = new ResizeObserver(() => plot.setSize({ width: width(), height }));
    observer.observe(container);
    return () => {
      observer.disconnect();
      plot.destroy();
      plotRef.current = null;
    };
  }, [options, height]);

  useEffect(() => {
    dataRef.current = data;
    plotRef.current?.setData(data);
  }, [data]);

  const points = data[0]?.length ?? 0;
  return <div ref={containerRef} data-testid={testId} data-points={points} data-series={Math.max(0, data.length - 1)} role="img" aria-label={label} className={`w-full ${className}`} />;
}
