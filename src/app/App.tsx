import { ImageDropzone } from '../features/images/ImageDropzone';
import { ImageGrid } from '../features/images/ImageGrid';
import { LabelsPanel } from '../features/labels/LabelsPanel';
import { ModelPanel } from '../features/models/ModelPanel';
import { WorkerStatsPanel } from './WorkerStatsPanel';

export function App({ rejectedParams }: { rejectedParams: string[] }) {
  return (
    <div className="mx-auto max-w-7xl space-y-4 p-4">
      <header className="flex flex-wrap items-baseline justify-between gap-2">
        <h1 className="text-2xl font-bold">Zero-Shot Playground</h1>
        <p className="text-sm text-slate-600">
          Rank your own labels with CLIP, entirely in this browser. Your images never leave your device.
        </p>
      </header>
      {rejectedParams.length > 0 && (
        <div data-testid="link-warning" className="rounded border border-amber-300 bg-amber-50 p-2 text-sm">
          Parts of this link were ignored: {rejectedParams.join('; ')}.
        </div>
      )}
      <div className="grid gap-4 lg:grid-cols-[22rem_1fr]">
        <aside className="space-y-4">
          <ModelPanel />
          <LabelsPanel />
          <WorkerStatsPanel />
        </aside>
        <main className="space-y-4">
          <ImageDropzone />
          <ImageGrid />
        </main>
      </div>
    </div>
  );
}
