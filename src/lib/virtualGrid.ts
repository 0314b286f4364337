/**
 * Which cells of a fixed-size grid are near the viewport: the maths behind the virtualised item
 * grid (only rows on screen, plus a margin, are in the DOM).
 */

export interface GridGeometry {
  itemCount: number;
  columns: number;
  /** Height of one row including the gap below it. */
  rowStridePx: number;
}

export interface GridWindow {
  /** First item index rendered, inclusive. */
  startIndex: number;
  /** Last item index rendered, exclusive. */
  endIndex: number;
  /** Space above and below the rendered rows, so the scrollbar matches the full grid. */
  paddingTopPx: number;
  paddingBottomPx: number;
  totalHeightPx: number;
}

/** How many columns of at least `minColumnPx` fit, with `gapPx` between them; at least one. */
export function columnsFor(widthPx: number, minColumnPx: number, gapPx: number): number {
  if (!(widthPx > 0)) return 1;
  return Math.max(1, Math.floor((widthPx + gapPx) / (minColumnPx + gapPx)));
}

export function rowCount({ itemCount, columns }: Pick<GridGeometry, 'itemCount' | 'columns'>): number {
  return Math.ceil(itemCount / Math.max(1, columns));
}

/**
 * The rows overlapping the viewport, widened by `overscanRows` each side. `viewportTopPx` is the
 * viewport's top relative to the grid's top (negative while the grid is still below the fold).
 */
export function gridWindow(geometry: GridGeometry, viewportTopPx: number, viewportHeightPx: number, overscanRows: number): GridWindow {
  const { itemCount, columns, rowStridePx } = geometry;
  const rows = rowCount(geometry);
  const totalHeightPx = rows * rowStridePx;
  if (rows === 0 || rowStridePx <= 0) return { startIndex: 0, endIndex: 0, paddingTopPx: 0, paddingBottomPx: 0, totalHeightPx };
  const firstVisible = Math.floor(Math.max(0, viewportTopPx) / rowStridePx);
  const lastVisible = Math.ceil(Math.max(0, viewportTopPx + viewportHeightPx) / rowStridePx) - 1;
  const firstRow = Math.max(0, Math.min(rows - 1, firstVisible) - overscanRows);
  const lastRow = Math.min(rows - 1, Math.max(firstRow, lastVisible + overscanRows));
  return {
    startIndex: firstRow * columns,
    endIndex: Math.min(itemCount, (lastRow + 1) * columns),
    paddingTopPx: firstRow * rowStridePx,
    paddingBottomPx: (rows - 1 - lastRow) * rowStridePx,
    totalHeightPx,
  };
}

/** The scroll change (px) that brings a row fully into view, or 0 when it already is. */
export function scrollDeltaToShowRow(row: number, rowStridePx: number, viewportTopPx: number, viewportHeightPx: number): number {
  const top = row * rowStridePx;
  const bottom = top + rowStridePx;
  if (top < viewportTopPx) return top - viewportTopPx;
  if (bottom > viewportTopPx + viewportHeightPx) return bottom - (viewportTopPx + viewportHeightPx);
  return 0;
}

/** The index an arrow key moves to in a grid of `columns`, clamped to the items. */
export function moveInGrid(index: number, key: 'left' | 'right' | 'up' | 'down', columns: number, itemCount: number): number {
  if (itemCount === 0) return -1;
  const step = { left: -1, right: 1, up: -columns, down: columns }[key];
  const next = index + step;
  if (next < 0) return key === 'up' ? index : 0;
  if (next >= itemCount) return key === 'down' ? index : itemCount - 1;
  return next;
}
