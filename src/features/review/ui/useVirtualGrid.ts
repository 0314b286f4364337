import { useCallback, useEffect, useLayoutEffect, useRef, useState, type RefObject } from 'react';
import { defaultRangeExtractor, useWindowVirtualizer, type Range, type VirtualItem, type Virtualizer } from '@tanstack/react-virtual';
import { lanesFor, moveInLanes, type GridDirection } from '../../../lib/gridLanes';

export interface GridLayout {
  /** Lanes (columns) at least this wide fit the list's width; null for a one-lane list. */
  minLaneWidthPx: number | null;
  gapPx: number;
  /** Only a first guess for items not rendered yet: every rendered item is measured. */
  estimatedItemHeightPx: number;
  /** Rows rendered beyond each edge of the screen. */
  overscanRows: number;
}

export interface VirtualGrid {
  lanes: number;
  /** The items to render, each with its lane and its top relative to the list. */
  items: readonly PlacedItem[];
  totalHeightPx: number;
  /** Stable: measures a rendered item (it must carry `data-index`). */
  measureElement: (element: HTMLElement | null) => void;
  /** Stable, for the keyboard: where an arrow key moves from `index` in the lanes as laid out. */
  moveRef: { readonly current: (index: number, direction: GridDirection, itemCount: number) => number };
}

export interface PlacedItem {
  index: number;
  lane: number;
  topPx: number;
}

/** With virtualisation off every item is rendered (still measured and placed by the virtualiser, so both modes lay out alike). */
function everyIndex(range: Range): number[] {
  return Array.from({ length: range.count }, (_, index) => index);
}

/**
 * A window-scrolled list of items in lanes (one lane: a list), laid out by react-virtual from the
 * items' measured heights. Only the items near the screen are rendered when `virtualized`. The
 * focused item (`focusedIndex`) is scrolled into view, rendered yet or not.
 */
export function useVirtualGrid(
  listRef: RefObject<HTMLElement | null>,
  ids: readonly string[],
  focusedIndex: number,
  layout: GridLayout,
  virtualized: boolean,
): VirtualGrid {
  const [widthPx, setWidthPx] = useState(0);
  // The list's top in the document: the window scrolls, and the list starts below the toolbar.
  const [scrollMarginPx, setScrollMarginPx] = useState(0);

  useLayoutEffect(() => {
    const list = listRef.current;
    if (!list) return;
    const measure = () => {
      const rect = list.getBoundingClientRect();
      setWidthPx(rect.width);
      setScrollMarginPx(Math.round(rect.top + window.scrollY));
    };
    measure();
    // The list's width, and its offset: whatever grows or shrinks above it also resizes the body.
    const observer = new ResizeObserver(measure);
    observer.observe(list);
    observer.observe(document.body);
    return () => observer.disconnect();
  }, [listRef]);

  const lanes = layout.minLaneWidthPx === null ? 1 : lanesFor(widthPx, layout.minLaneWidthPx, layout.gapPx);
  // Keyed by id, so measured heights survive a filter or a removal.
  const getItemKey = useCallback((index: number) => ids[index] ?? index, [ids]);
  const { estimatedItemHeightPx } = layout;
  const estimateSize = useCallback(() => estimatedItemHeightPx, [estimatedItemHeightPx]);
  const virtualizer = useWindowVirtualizer<HTMLElement>({
    count: ids.length,
    estimateSize,
    getItemKey,
    lanes,
    gap: layout.gapPx,
    overscan: layout.overscanRows,
    scrollMargin: scrollMarginPx,
    rangeExtractor: virtualized ? defaultRangeExtractor : everyIndex,
  });

  useEffect(() => {
    if (focusedIndex >= 0) virtualizer.scrollToIndex(focusedIndex, { align: 'auto' });
  }, [focusedIndex, virtualizer]);

  // Cards grow while you look at them (a result arrives, a clip is decoded). The virtualiser only
  // keeps still what lies above the screen; this also keeps the focused item still while it is on
  // screen, so reviewing during a run never pushes it out of view. Set once: it reads the ref.
  const focusedIndexRef = useRef(focusedIndex);
  useLayoutEffect(() => {
    focusedIndexRef.current = focusedIndex;
  }, [focusedIndex]);
  useLayoutEffect(() => keepFocusedItemStill(virtualizer, focusedIndexRef), [virtualizer]);

  const latest = useRef({ virtualizer, lanes });
  useLayoutEffect(() => {
    latest.current = { virtualizer, lanes };
  }, [virtualizer, lanes]);
  const moveRef = useRef((index: number, direction: GridDirection, itemCount: number) => {
    const { virtualizer: current, lanes: laneCount } = latest.current;
    const laneOf = (at: number) => (laneCount === 1 ? 0 : (current.measurementsCache[at]?.lane ?? at % laneCount));
    return moveInLanes(index, direction, itemCount, laneOf);
  });

  const items = virtualizer.getVirtualItems().map((item: VirtualItem) => ({ index: item.index, lane: item.lane, topPx: item.start - scrollMarginPx }));
  return { lanes, items, totalHeightPx: virtualizer.getTotalSize(), measureElement: virtualizer.measureElement, moveRef };
}

/**
 * Installs the rule that decides whether a size change moves the scroll position (TanStack keeps
 * it as a property of the virtualizer instance, not an option); returns the undo.
 */
function keepFocusedItemStill(virtualizer: Virtualizer<Window, HTMLElement>, focusedIndexRef: { readonly current: number }): () => void {
  virtualizer.shouldAdjustScrollPositionOnItemSizeChange = (item, delta, instance) => {
    const offset = instance.scrollOffset ?? 0;
    const focused = instance.measurementsCache[focusedIndexRef.current];
    const viewportHeight = instance.scrollRect?.height ?? 0;
    if (focused && focused.start >= offset && focused.end <= offset + viewportHeight) {
      if (item.index < focused.index && item.lane === focused.lane) return true;
      if (item.index === focused.index) return focused.end + delta > offset + viewportHeight && focused.start - delta >= offset;
    }
    // Otherwise the virtualiser's own rule (a first measurement above the screen's top, or a re-measurement wholly above it).
    const firstMeasurement = !instance.itemSizeCache.has(item.key);
    return firstMeasurement ? item.start < offset : item.end <= offset && instance.scrollDirection !== 'backward';
  };
  return () => {
    virtualizer.shouldAdjustScrollPositionOnItemSizeChange = undefined;
  };
}
