import { memo } from 'react';
import { useAppServices } from '../../app/services';
import { useAppStore } from '../../store';
import { PredictionList } from '../labels/PredictionList';

const ItemCard = memo(function ItemCard({ id }: { id: string }) {
  const item = useAppStore((s) => s.items[id]);
  const removeItem = useAppStore((s) => s.removeItem);
  if (!item) return null;
  return (
    <li
      data-testid="item"
      data-name={item.name}
      data-state={item.state}
      className="flex flex-col overflow-hidden rounded-lg border border-slate-200 bg-white shadow-sm"
    >
      <div className="relative flex h-40 items-center justify-center bg-slate-100">
        <img src={item.previewUrl} alt={item.name} loading="lazy" decoding="async" className="max-h-40 max-w-full object-contain" />
        <button
          className="absolute right-1 top-1 rounded bg-white/80 px-1 text-xs"
          aria-label={`Remove ${item.name}`}
          onClick={() => removeItem(id)}
        >
          ✕
        </button>
      </div>
      <div className="space-y-1 p-2 text-xs">
        <p className="truncate font-medium" title={item.name}>
          {item.name}
          {item.width !== null && <span className="ml-1 font-normal text-slate-500">{item.width}×{item.height}</span>}
        </p>
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
  const waiting = useAppStore((s) => s.itemOrder.filter((id) => s.items[id]?.state === 'pending').length);
  const { controller } = useAppServices();
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
  const order = useAppStore((s) => s.itemOrder);
  const clearItems = useAppStore((s) => s.clearItems);
  return (
    <section className="space-y-2" aria-label="Images">
      <div className="flex items-center justify-between">
        <BatchBar />
        {order.length > 0 && (
          <button className="btn ml-auto" onClick={clearItems}>
            Remove all ({order.length})
          </button>
        )}
      </div>
      <ul className="grid grid-cols-[repeat(auto-fill,minmax(12rem,1fr))] gap-3">
        {order.map((id) => (
          <ItemCard key={id} id={id} />
        ))}
      </ul>
    </section>
  );
}
