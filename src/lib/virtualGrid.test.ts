import { describe, expect, it } from 'vitest';
import { columnsFor, gridWindow, moveInGrid, scrollDeltaToShowRow } from './virtualGrid';

describe('columnsFor', () => {
  it('fits as many minimum-width columns as the gaps allow', () => {
    expect(columnsFor(1000, 192, 12)).toBe(4); // 4*192 + 3*12 = 804; 5 would need 1008
    expect(columnsFor(1008, 192, 12)).toBe(5);
    expect(columnsFor(100, 192, 12)).toBe(1);
    expect(columnsFor(0, 192, 12)).toBe(1);
  });
});

describe('gridWindow', () => {
  const geometry = { itemCount: 1000, columns: 4, rowStridePx: 100 };

  it('renders the rows on screen plus the overscan, padded to the full height', () => {
    const window = gridWindow(geometry, 1000, 550, 2);
    // Rows 10..15 are visible (15 partly), widened to 8..17.
    expect(window.startIndex).toBe(8 * 4);
    expect(window.endIndex).toBe(18 * 4);
    expect(window.paddingTopPx).toBe(800);
    expect(window.paddingBottomPx).toBe((250 - 18) * 100);
    expect(window.paddingTopPx + (18 - 8) * 100 + window.paddingBottomPx).toBe(window.totalHeightPx);
  });

  it('starts at the top while the grid is below the fold', () => {
    const window = gridWindow(geometry, -300, 500, 1);
    expect(window.startIndex).toBe(0);
    expect(window.endIndex).toBe((2 + 1) * 4); // rows 0..2 (0..200 px visible) + 1 overscan
  });

  it('clamps at the end, including a last row that is not full', () => {
    const window = gridWindow({ itemCount: 10, columns: 4, rowStridePx: 100 }, 5000, 500, 2);
    // Scrolled past the grid: the last row (items 8, 9) and the overscan above it.
    expect(window.endIndex).toBe(10);
    expect(window.paddingBottomPx).toBe(0);
    expect(window.startIndex).toBe(0);
    const nearEnd = gridWindow({ itemCount: 10, columns: 4, rowStridePx: 100 }, 5000, 500, 0);
    expect(nearEnd).toMatchObject({ startIndex: 8, endIndex: 10, paddingTopPx: 200, paddingBottomPx: 0 });
  });

  it('renders nothing for no items', () => {
    expect(gridWindow({ itemCount: 0, columns: 3, rowStridePx: 100 }, 0, 500, 2)).toMatchObject({ startIndex: 0, endIndex: 0, totalHeightPx: 0 });
  });
});

describe('scrollDeltaToShowRow', () => {
  it('scrolls up or down just enough, and not at all when visible', () => {
    expect(scrollDeltaToShowRow(2, 100, 250, 400)).toBe(-50);
    expect(scrollDeltaToShowRow(6, 100, 250, 400)).toBe(50);
    expect(scrollDeltaToShowRow(3, 100, 250, 400)).toBe(0);
  });
});

describe('moveInGrid', () => {
  it('moves by one across and by a row up and down, clamped', () => {
    expect(moveInGrid(5, 'right', 4, 10)).toBe(6);
    expect(moveInGrid(5, 'down', 4, 10)).toBe(9);
    expect(moveInGrid(7, 'down', 4, 10)).toBe(7); // no item below in the last row: stay
    expect(moveInGrid(1, 'up', 4, 10)).toBe(1);
    expect(moveInGrid(0, 'left', 4, 10)).toBe(0);
    expect(moveInGrid(9, 'right', 4, 10)).toBe(9);
    expect(moveInGrid(0, 'right', 4, 0)).toBe(-1);
  });
});
