/**
 * The pure maths of the virtualised item grid and list (react-virtual does the windowing): how
 * many lanes (columns) fit a width, and where an arrow key moves the focus when each lane is a
 * stack of cards of their own heights.
 */

export type GridDirection = 'left' | 'right' | 'up' | 'down';

/** How many lanes of at least `minLaneWidthPx` fit in `widthPx`, with `gapPx` between them; at least one. */
export function lanesFor(widthPx: number, minLaneWidthPx: number, gapPx: number): number {
  if (!(widthPx > 0)) return 1;
  return Math.max(1, Math.floor((widthPx + gapPx) / (minLaneWidthPx + gapPx)));
}

/**
 * The index an arrow key moves to. Left and right step through the reading order; up and down go
 * to the previous or next item in the same lane (`laneOf`), staying put when there is none. Lanes
 * are asked for, not computed as `index % lanes`: a virtualiser puts items added later into the
 * shortest lane, so the item below is not always `lanes` further on. Returns -1 when there are
 * no items.
 */
export function moveInLanes(index: number, direction: GridDirection, itemCount: number, laneOf: (index: number) => number): number {
  if (itemCount === 0) return -1;
  const from = Math.max(0, Math.min(itemCount - 1, index));
  if (direction === 'left') return Math.max(0, from - 1);
  if (direction === 'right') return Math.min(itemCount - 1, from + 1);
  const lane = laneOf(from);
  const step = direction === 'down' ? 1 : -1;
  // Usually found within one row's worth of items; the walk only goes further when the lanes are very uneven.
  for (let next = from + step; next >= 0 && next < itemCount; next += step) {
    if (laneOf(next) === lane) return next;
  }
  return from;
}
