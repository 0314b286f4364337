import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** Below this the chart is unreadable; a hidden container (width 0) waits at this size. */
const MIN_WIDTH_PX = 200;

/**
 * One uPlot chart. The plot is made once per `options` (so callers memoise them; a new series
 * count needs a new plot, uPlot can't add series through setData), its data updated with
 * setData, its width kept to the container's by a ResizeObserver (which also makes it), and it is destroyed on unmount.
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
    // The plot is made in the observer's first callback, with the width the layout just found:
    // reading clientWidth here would force a layout of everything rendered with the chart (a grid
    // run's whole experiments table) inside the task that rendered it.
    let plot: uPlot | null = null;
    let creating: ReturnType<typeof setTimeout> | undefined;
    let width = MIN_WIDTH_PX;
    const observer = new ResizeObserver((entries) => {
      width = Math.max(MIN_WIDTH_PX, Math.floor(entries.at(-1)?.contentRect.width ?? 0));
      if (plot) plot.setSize({ width, height });
      // Made in a task of its own, not inside the frame that laid out what came with it.
      else if (creating === undefined)
        creating = setTimeout(() => {
          plot = new uPlot({ ...options, width, height }, dataRef.current, container);
          plotRef.current = plot;
        }, 0);
    });
    observer.observe(container);
    return () => {
      observer.disconnect();
      clearTimeout(creating);
      plot?.destroy();
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
