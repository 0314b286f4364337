import { AudioDropzone } from '../features/audio';
import { AudioItemList } from '../features/audio';
import { AudioScoringPanel } from '../features/audio';
import { ImageDropzone } from '../features/image';
import { ImageGrid } from '../features/image';
import { LabelsPanel } from '../features/labels';
import { ModelPanel } from '../features/models';
import { MetricsPanel } from '../features/review';
import { SharedDemoError } from '../features/share';
import { ExportPanel } from '../features/workspace';
import { TASKS } from '../lib/tasks';
import { WorkspacePanel } from '../features/workspace';
import { useAppStore } from '../store';
import { WorkerStatsPanel } from './WorkerStatsPanel';

const TASK_TITLES = { image: 'Images (CLIP)', audio: 'Audio (Whisper, CLAP)' } as const;

function TaskTabs() {
  const task = useAppStore((s) => s.task);
  const setTask = useAppStore((s) => s.setTask);
  return (
    <nav className="flex gap-1" role="tablist" aria-label="What to classify">
      {TASKS.map((candidate) => (
        <button
          key={candidate}
          role="tab"
          aria-selected={candidate === task}
          data-testid={`task-${candidate}`}
          className={`rounded-t border border-b-0 px-3 py-1 text-sm ${candidate === task ? 'bg-white font-semibold' : 'bg-slate-100 text-slate-600'}`}
          onClick={() => setTask(candidate)}
        >
          {TASK_TITLES[candidate]}
        </button>
      ))}
    </nav>
  );
}

export function App({ rejectedParams, sharedDemoProblems = [] }: { rejectedParams: string[]; sharedDemoProblems?: string[] }) {
  const task = useAppStore((s) => s.task);
  return (
    <div className="mx-auto max-w-7xl space-y-4 p-4">
      <header className="flex flex-wrap items-baseline justify-between gap-2">
        <h1 className="text-2xl font-bold">Zero-Shot Playground</h1>
        <p className="text-sm text-slate-600">
          Rank your own labels with CLIP, Whisper or CLAP, entirely in this browser. Your images and sounds never leave your device.
        </p>
      </header>
      <TaskTabs />
      {rejectedParams.length > 0 && (
        <div data-testid="link-warning" className="rounded border border-amber-300 bg-amber-50 p-2 text-sm">
          Parts of this link were ignored: {rejectedParams.join('; ')}.
        </div>
      )}
      {sharedDemoProblems.length > 0 && <SharedDemoError problems={sharedDemoProblems} />}
      <div className="grid gap-4 lg:grid-cols-[22rem_1fr]">
        <aside className="space-y-4">
          <WorkspacePanel />
          <ModelPanel />
          <LabelsPanel />
          {task === 'audio' && <AudioScoringPanel />}
          <ExportPanel />
          <WorkerStatsPanel />
        </aside>
        <main className="space-y-4">
          <MetricsPanel task={task} />
          {task === 'image' ? (
            <>
              <ImageDropzone />
              <ImageGrid />
            </>
          ) : (
            <>
              <AudioDropzone />
              <AudioItemList />
            </>
          )}
        </main>
      </div>
    </div>
  );
}
