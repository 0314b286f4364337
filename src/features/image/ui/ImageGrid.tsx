import { memo, useRef } from 'react';
import { useObjectUrlRef } from '../../../ui/useObjectUrl';
import { useAppStore } from '../../../store';
import { PredictionList } from '../../../ui/PredictionList';
import { classifierName } from '../../../lib/classifiers';
import {
  DecisionControls,
  ReviewToolbar,
  SelectCheckbox,
  laneStyle,
  reviewItemAttributes,
  selectOnClick,
  shouldVirtualize,
  useItemReview,
  useReviewKeyboard,
  useTaskLabels,
  useVirtualGrid,
  useVisibleIds,
  type GridLayout,
} from '../../review';
import { ImageControllerService } from './imageServices';

const CARD_MIN_WIDTH_PX = 192;
const GRID_GAP_PX = 12;
/** A done card with five predictions; cards are measured once rendered, so this only places the ones not rendered yet. */
const CARD_ESTIMATED_HEIGHT_PX = 336;
const GRID_LAYOUT: GridLayout = { minLaneWidthPx: CARD_MIN_WIDTH_PX, gapPx: GRID_GAP_PX, estimatedItemHeightPx: CARD_ESTIMATED_HEIGHT_PX, overscanRows: 2 };

interface Placement {
  index: number;
  lane: number;
  lanes: number;
  topPx: number;
  /** The virtualiser's (stable) measuring ref: cards differ in height (pending, errors, truth, label count). */
  measure: (element: HTMLElement | null) => void;
}

function Thumbnail({ blob, name }: { blob: Blob; name: string }) {
  const showBlob = useObjectUrlRef(blob);
  return <img ref={showBlob} alt={name} loading="lazy" decoding="async" className="max-h-36 max-w-full object-contain" />;
}

const ItemCard = memo(function ItemCard({ id, labels, index, lane, lanes, topPx, measure }: { id: string; labels: readonly string[] } & Placement) {
  const item = useAppStore((s) => s.items[id]);
  const review = useItemReview('image', id);
  const { focused, selected } = review;
  const removeItem = useAppStore((s) => s.removeItem);
  if (!item) return null;
  const top = item.predictions[0];
  return (
    <li
      ref={measure}
      data-index={index}
      {...reviewItemAttributes(item, review)}
      style={laneStyle(lane, lanes, GRID_GAP_PX, topPx)}
      className={`flex cursor-default flex-col overflow-hidden rounded-lg border bg-white shadow-sm ${focused ? 'border-sky-500 ring-2 ring-sky-400' : 'border-slate-200'} ${selected ? 'bg-sky-50' : ''}`}
      onClick={(event) => selectOnClick('image', id, event)}
    >
      <div className="relative flex h-36 shrink-0 items-center justify-center bg-slate-100">
        <Thumbnail blob={item.blob} name={item.name} />
        <SelectCheckbox task="image" id={id} name={item.name} selected={selected} className="absolute left-1 top-1" />
        {item.truth !== null && (
          <span className="absolute bottom-1 left-1 max-w-[90%] truncate rounded bg-white/85 px-1 text-[10px]" title="Ground truth">
            truth: {item.truth}
          </span>
        )}
        <button
          className="absolute right-1 top-1 rounded bg-white/80 px-1 text-xs"
          aria-label={`Remove ${item.name}`}
          onClick={(event) => {
            event.stopPropagation();
            removeItem(id);
          }}
        >
          ✕
        </button>
      </div>
      <div className="flex flex-col gap-1 p-2 text-xs">
        <p className="truncate font-medium" title={item.path}>
          {item.name}
          {item.width !== null && <span className="ml-1 font-normal text-slate-500">{item.width}×{item.height}</span>}
        </p>
        {top && (
          // The classifier shares the pre-label's line: a card one line taller would push the first row off a 720 px screen.
          <p className="flex items-baseline gap-1">
            <span data-testid="pre-label" className="min-w-0 flex-1 truncate" title="The model's top label">
              <span className="font-semibold">{top.label}</span> <span className="tabular-nums text-slate-500">{(top.score * 100).toFixed(1)}%</span>
            </span>
            {item.classifier !== null && (
              <span data-testid="item-classifier" data-classifier={item.classifier} className="shrink-0 text-[10px] text-slate-500" title="The classifier behind these predictions">
                {classifierName(item.classifier)}
              </span>
            )}
          </p>
        )}
        <DecisionControls task="image" id={id} decision={item.decision} finalLabel={item.finalLabel} predictions={item.predictions} labels={labels} />
        {item.state === 'pending' && <p className="text-slate-500">Waiting…</p>}
        {item.state === 'error' && (
          <p data-testid="item-error" className="text-red-700">
            {item.error}
          </p>
        )}
        <PredictionList predictions={item.predictions} />
      </div>
    </li>
  );
});

function BatchBar() {
  const batch = useAppStore((s) => s.batch);
  const paused = useAppStore((s) => s.embeddingPaused);
  // Counted only while paused: during a run this selector would walk every item on each update.
  const waiting = useAppStore((s) => (s.embeddingPaused ? s.itemOrder.filter((id) => s.items[id]?.state === 'pending').length : 0));
  const controller = ImageControllerService.use();
  if (paused && waiting > 0 && !batch)
    return (
      <div className="flex items-center gap-2 text-sm" data-testid="batch-paused">
        <span>Cancelled: {waiting} images not embedded.</span>
        <button data-testid="resume-button" className="btn" onClick={() => controller.resumeBatch()}>
          Resume
        </button>
      </div>
    );
  if (!batch) return null;
  return (
    <div className="flex items-center gap-2 text-sm" data-testid="batch-progress" data-done={batch.done} data-total={batch.total}>
      <progress className="w-64" max={batch.total} value={batch.done} />
      <span>
        {batch.done} / {batch.total} images
      </span>
      <button data-testid="cancel-button" className="btn" onClick={() => controller.cancelBatch()}>
        Cancel
      </button>
    </div>
  );
}

export function ImageGrid() {
  const total = useAppStore((s) => s.itemOrder.length);
  const clearItems = useAppStore((s) => s.clearItems);
  const focusedId = useAppStore((s) => s.reviews.image.focusedId);
  const labels = useTaskLabels('image');
  const shown = useVisibleIds('image');
  const gridRef = useRef<HTMLUListElement>(null);
  const virtualized = shouldVirtualize(shown.length);
  const focusedIndex = focusedId === null ? -1 : shown.indexOf(focusedId);
  const grid = useVirtualGrid(gridRef, shown, focusedIndex, GRID_LAYOUT, virtualized);
  useReviewKeyboard('image', grid.moveRef);

  return (
    <section className="space-y-2" aria-label="Images">
      <div className="flex items-center justify-between">
        <BatchBar />
        {total > 0 && (
          <button className="btn ml-auto" onClick={clearItems}>
            Remove all ({total})
          </button>
        )}
      </div>
      <ReviewToolbar task="image" total={total} shown={shown} />
      <ul
        ref={gridRef}
        data-testid="image-grid"
        data-virtualized={virtualized}
        data-columns={grid.lanes}
        className="relative"
        style={{ height: grid.totalHeightPx }}
      >
        {grid.items.map(({ index, lane, topPx }) => {
          const id = shown[index];
          return id === undefined ? null : (
            <ItemCard key={id} id={id} labels={labels} index={index} lane={lane} lanes={grid.lanes} topPx={topPx} measure={grid.measureElement} />
          );
        })}
      </ul>
    </section>
  );
}
