import type { Task } from '../../../lib/tasks';
import { useAppStore } from '../../../store';
import type { LabJob } from '../../../store/labSlice';
import { LabServiceContext } from './labServices';

const JOB_TITLES: Record<LabJob['kind'], string> = {
  grid: 'Grid search',
  evaluate: 'Evaluation',
  train: 'Training',
  curve: 'Learning curve',
  bias: 'Bias probe',
};

/** The task's running lab job (progress, cancel) and its last error, shown by each lab section. */
export function LabJobStatus({ task, kinds }: { task: Task; kinds: readonly LabJob['kind'][] }) {
  const lab = LabServiceContext.use();
  const job = useAppStore((s) => s.labJobs[task]);
  const error = useAppStore((s) => s.labErrors[task]);
  const setLabError = useAppStore((s) => s.setLabError);
  const shownJob = job && kinds.includes(job.kind) ? job : null;
  return (
    <>
      {shownJob && (
        <div data-testid="lab-progress" data-kind={shownJob.kind} data-done={shownJob.done} data-total={shownJob.total} className="flex items-center gap-2 text-xs" aria-live="polite">
          <span>
            {JOB_TITLES[shownJob.kind]}: {shownJob.stage}
            {shownJob.total > 0 && ` (${shownJob.done} of ${shownJob.total})`}
          </span>
          <progress className="h-1.5 flex-1" max={shownJob.total || 1} value={shownJob.total > 0 ? shownJob.done : undefined} />
          <button data-testid="lab-cancel" className="btn text-xs" onClick={() => lab.cancel(task)}>
            Cancel
          </button>
        </div>
      )}
      {error && (
        <div data-testid="lab-error" role="alert" className="flex items-start gap-2 rounded border border-red-300 bg-red-50 p-2 text-xs text-red-800">
          <p className="flex-1 break-words">{error}</p>
          <button className="btn text-xs" onClick={() => setLabError(task, null)}>
            Dismiss
          </button>
        </div>
      )}
    </>
  );
}
