import { useLayoutEffect, useRef, useState, type RefObject } from 'react';
import { columnsFor, gridWindow, scrollDeltaToShowRow, type GridWindow } from '../../../lib/virtualGrid';

export interface GridLayout {
  minColumnPx: number;
  gapPx: number;
  /** Every card has this height, so a row's position is known without rendering it. */
  cardHeightPx: number;
  overscanRows: number;
}

export interface VirtualGrid {
  columns: number;
  window: GridWindow;
  /** Scrolls the page just enough to show the item at `index`. */
  scrollToIndex: (index: number) => void;
}

interface Viewport {
  widthPx: number;
  /** The viewport's top relative to the grid's top. */
  topPx: number;
  heightPx: number;
}

/**
 * A window-scrolled grid of fixed-height cards: which items to render (all of them when
 * `virtualized` is false). Listeners are registered once per grid element.
 */
export function useVirtualGrid(ref: RefObject<HTMLElement | null>, itemCount: number, layout: GridLayout, virtualized: boolean): VirtualGrid {
  const [viewport, setViewport] = useState<Viewport>({ widthPx: 0, topPx: 0, heightPx: 800 });
  const frame = useRef<number | null>(null);

  useLayoutEffect(() => {
    const element = ref.current;
    if (!element) return;
    const measure = () => {
      frame.current = null;
      const rect = element.getBoundingClientRect();
      setViewport((previous) => {
        const next = { widthPx: rect.width, topPx: -rect.top, heightPx: window.innerHeight };
        return previous.widthPx === next.widthPx && previous.topPx === next.topPx && previous.heightPx === next.heightPx ? previous : next;
      });
    };
    // At most one measurement per frame, however many scroll events arrive.
    const schedule = () => {
      if (frame.current === null) frame.current = requestAnimationFrame(measure);
    };
    measure();
    const resizeObserver = new ResizeObserver(schedule);
    resizeObserver.observe(element);
    window.addEventListener('scroll', schedule, { passive: true });
    window.addEventListener('resize', schedule);
    return () => {
      resizeObserver.disconnect();
      window.removeEventListener('scroll', schedule);
      window.removeEventListener('resize', schedule);
      if (frame.current !== null) cancelAnimationFrame(frame.current);
    };
  }, [ref]);

  const columns = columnsFor(viewport.widthPx, layout.minColumnPx, layout.gapPx);
  const rowStridePx = layout.cardHeightPx + layout.gapPx;
  const geometry = { itemCount, columns, rowStridePx };
  const window_ = virtualized
    ? gridWindow(geometry, viewport.topPx, viewport.heightPx, layout.overscanRows)
    : { startIndex: 0, endIndex: itemCount, paddingTopPx: 0, paddingBottomPx: 0, totalHeightPx: 0 };

  const latest = useRef({ columns, rowStridePx });
  latest.current = { columns, rowStridePx };
  const scrollToIndex = useRef((index: number) => {
    const element = ref.current;
    if (!element || index < 0) return;
    const { columns: currentColumns, rowStridePx: stride } = latest.current;
    const top = -element.getBoundingClientRect().top;
    const delta = scrollDeltaToShowRow(Math.floor(index / currentColumns), stride, top, window.innerHeight);
    if (delta !== 0) window.scrollBy({ top: delta });
  }).current;

  return { columns, window: window_, scrollToIndex };
}
