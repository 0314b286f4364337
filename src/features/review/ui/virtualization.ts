/**
 * When the item grid and the audio list render only the items near the screen. Small sets render
 * every item (nothing to gain, and the whole set stays in the DOM for tools); `?virtualize=0`
 * turns it off altogether (the scale benchmark's baseline).
 */
export const VIRTUALIZE_ABOVE_ITEMS = 100;

/** Read from the page's URL on first use, not at import, so modules that import this load anywhere (tests in Node). */
let virtualizationAllowed: boolean | undefined;

export function shouldVirtualize(itemCount: number): boolean {
  virtualizationAllowed ??= new URLSearchParams(location.search).get('virtualize') !== '0';
  return virtualizationAllowed && itemCount > VIRTUALIZE_ABOVE_ITEMS;
}

/** The inline position of an item in lane `lane` of `lanes`, `gapPx` apart, `topPx` down the list. */
export function laneStyle(lane: number, lanes: number, gapPx: number, topPx: number) {
  const widthCss = `(100% - ${(lanes - 1) * gapPx}px) / ${lanes}`;
  return {
    position: 'absolute',
    top: topPx,
    left: lanes === 1 ? 0 : `calc(${widthCss} * ${lane} + ${lane * gapPx}px)`,
    width: lanes === 1 ? '100%' : `calc(${widthCss})`,
  } as const;
}
