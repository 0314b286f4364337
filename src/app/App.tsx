import { AudioDropzone } from '../features/audio';
import { AudioItemList } from '../features/audio';
import { AudioScoringPanel } from '../features/audio';
import { ImageDropzone } from '../features/image';
import { ImageGrid } from '../features/image';
import { LabelsPanel } from '../features/labels';
import { ModelPanel } from '../features/models';
import { SharedDemoError } from '../features/share';
import { OfflineStatus, PolicyNotices, UpdateBanner } from '../features/shell';
import { ExportPanel } from '../features/workspace';
import { TASKS } from '../lib/tasks';
import { WorkspacePanel } from '../features/workspace';
import { useAppStore } from '../store';
import { Collapsible } from '../ui/Collapsible';
import { AnalysisTabs } from './AnalysisTabs';
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

/** Storage states that mean the user's work is not being saved: the workspace panel opens to say so. */
const STORAGE_PROBLEMS = new Set(['unavailable', 'quota-exceeded', 'write-failed', 'blocked', 'outdated']);

function WorkspaceSummary() {
  const name = useAppStore((s) => s.workspaces.find((workspace) => workspace.id === s.activeWorkspaceId)?.name ?? '');
  const state = useAppStore((s) => s.storageStatus.state);
  const saved = state === 'saved' ? 'saved in this browser' : state === 'starting' ? 'opening…' : 'not saved';
  return (
    <>
      {name}
      {name && ' · '}
      <span className={STORAGE_PROBLEMS.has(state) ? 'font-semibold text-amber-800' : ''}>{saved}</span>
    </>
  );
}

export function App({ rejectedParams, sharedDemoProblems = [] }: { rejectedParams: string[]; sharedDemoProblems?: string[] }) {
  const task = useAppStore((s) => s.task);
  const storageProblem = useAppStore((s) => STORAGE_PROBLEMS.has(s.storageStatus.state) || s.unreadableRecords > 0);
  return (
    <div className="mx-auto max-w-7xl space-y-3 p-3">
      <header className="flex flex-wrap items-end justify-between gap-2">
        <div className="flex flex-wrap items-end gap-4">
          <h1 className="text-xl font-bold">Zero-Shot Playground</h1>
          <TaskTabs />
        </div>
        <p className="text-xs text-slate-600">
          Rank your own labels with CLIP, Whisper or CLAP, entirely in this browser. Your images and sounds never leave your device.{' '}
          <OfflineStatus />
        </p>
      </header>
      <UpdateBanner />
      <PolicyNotices />
      {rejectedParams.length > 0 && (
        <div data-testid="link-warning" className="rounded border border-amber-300 bg-amber-50 p-2 text-sm">
          Parts of this link were ignored: {rejectedParams.join('; ')}.
        </div>
      )}
      {sharedDemoProblems.length > 0 && <SharedDemoError problems={sharedDemoProblems} />}
      <div className="grid gap-3 lg:grid-cols-[22rem_minmax(0,1fr)]">
        <aside className="space-y-3">
          <LabelsPanel />
          <ModelPanel />
          {task === 'audio' && <AudioScoringPanel />}
          <Collapsible testId="workspace-section" title="Workspace" summary={<WorkspaceSummary />} forceOpen={storageProblem}>
            <WorkspacePanel />
          </Collapsible>
          <Collapsible testId="export-section" title="Export and import">
            <ExportPanel />
          </Collapsible>
          <Collapsible testId="stats-section" title="Worker counters">
            <div className="p-3 pt-0">
              <WorkerStatsPanel />
            </div>
          </Collapsible>
        </aside>
        <main className="min-w-0 space-y-3">
          <AnalysisTabs task={task} />
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
