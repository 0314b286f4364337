import { useDeferredValue, useMemo, useState } from 'react';
import type { Task } from '../../../lib/tasks';
import { useAppStore } from '../../../store';
import { ExperimentsTable } from './ExperimentsTable';
import { LabJobStatus } from './LabJobStatus';
import { startLabCall } from './labCalls';
import { LabServiceContext } from './labServices';
import { TemplateAccuracyChart } from './TemplateAccuracyChart';
import { TemplateLibraryPicker } from './TemplateLibraryPicker';
import { defaultTemplateSetId, templateSets } from './templateSets';

/**
 * Level 3 of the talk: templates from a library, a grid search over them for the current model
 * and labels (each template, the ensemble, greedy selection, cross-validated), the experiments
 * it leaves, and applying the best.
 */
export function PromptLabPanel({ task }: { task: Task }) {
  const lab = LabServiceContext.use();
  const savedTemplates = useAppStore((s) => s.savedTemplates);
  const job = useAppStore((s) => s.labJobs[task]);
  const lastRun = useAppStore((s) => s.lastGridRun[task]);
  // Deferred like the experiments table's: the chart of a new run is made after the reply's task.
  const experiments = useDeferredValue(useAppStore((s) => s.experiments));
  const sets = useMemo(() => templateSets(task, savedTemplates), [task, savedTemplates]);
  const [setIds, setSetIds] = useState<Record<Task, string>>({ image: defaultTemplateSetId('image'), audio: defaultTemplateSetId('audio') });
  const [excluded, setExcluded] = useState<ReadonlySet<string>>(new Set());
  const set = sets.find((candidate) => candidate.id === setIds[task]) ?? sets[0]!;
  const chosen = set.templates.filter((template) => !excluded.has(template));
  const runExperiments = useMemo(() => (lastRun === null ? [] : experiments.filter((e) => e.runId === lastRun)), [experiments, lastRun]);

  return (
    <section data-testid="prompt-lab" data-busy={job !== null} data-last-run={lastRun ?? ''} className="space-y-3 text-sm" aria-label="Prompt lab">
      <p className="text-xs text-slate-600">
        Every chosen template on its own, all of them as one ensemble, and a greedy selection (add the template that raises accuracy most, stop
        when none does), {task === 'audio' ? 'crossed with the calibrations and score rules for Whisper, ' : ''}scored on the items with ground truth.
        Text-only work: the cached {task === 'image' ? 'image embeddings' : 'audio encodings'} are reused.
      </p>
      <TemplateLibraryPicker
        task={task}
        sets={sets}
        setId={set.id}
        onSetId={(id) => setSetIds((current) => ({ ...current, [task]: id }))}
        excluded={excluded}
        onExcluded={setExcluded}
      />
      <div className="flex flex-wrap items-center gap-2">
        <button
          data-testid="run-grid-search"
          className="btn"
          disabled={chosen.length === 0 || job !== null}
          onClick={() => startLabCall(task, () => lab.runGridSearch(task, chosen))}
        >
          Run grid search ({chosen.length} template{chosen.length === 1 ? '' : 's'})
        </button>
        <button data-testid="evaluate-current" className="btn" disabled={job !== null} onClick={() => startLabCall(task, () => lab.evaluateCurrent(task))}>
          Save current settings as an experiment
        </button>
        <button
          data-testid="apply-best"
          className="btn"
          disabled={lastRun === null || job !== null}
          title="Sets the template box (and calibration, score rule) to the last grid run's winner by cross-validated accuracy"
          onClick={() => lab.applyBest(task)}
        >
          Apply best
        </button>
      </div>
      <LabJobStatus task={task} kinds={['grid', 'evaluate']} />
      <TemplateAccuracyChart experiments={runExperiments} />
      <ExperimentsTable task={task} />
    </section>
  );
}
