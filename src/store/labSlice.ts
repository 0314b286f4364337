/**
 * The prompt lab's state: experiments (saved with the workspace), the running lab job, the
 * trained head per task and whether the items use it, the learning curve and the bias report.
 * CONTRACT: the state shape is fixed; actions to be completed.
 */
import type { StateCreator } from 'zustand';
import type { Experiment } from '../lib/experiments';
import type { HeadKind, LearningCurve } from '../lib/fewShot';
import type { Task } from '../lib/tasks';
import type { AppState } from './index';

export interface LabJob {
  kind: 'grid' | 'evaluate' | 'train' | 'curve' | 'bias';
  stage: string;
  done: number;
  total: number;
}

/** A trained (or imported) head the worker holds, and how the items use it. */
export interface ActiveHead {
  headId: string;
  kind: HeadKind;
  modelId: string;
  labels: string[];
  dim: number;
  chosen: Record<string, number>;
  cvAccuracy: number | null;
  /** Accuracy on the items with truth that it was not trained on; null when none are left. */
  heldOutAccuracy: number | null;
  /** Zero-shot accuracy on those same items, for comparison. */
  zeroShotHeldOutAccuracy: number | null;
  examples: number;
  source: 'truth' | 'decisions' | 'imported';
  /** Whether the items' predictions come from it. */
  inUse: boolean;
  /** 0: the head alone; 1: zero-shot alone. */
  zeroShotWeight: number;
}

/** The bias probe's last report, as shown. */
export interface BiasView {
  template: string;
  pairs: Array<{ a: string; b: string; meanGap: number; gapStd: number; meanPreferenceA: number; flips: number; items: number }>;
  association: { labels: string[]; attributes: string[]; cosines: number[][] };
  items: number;
}

export interface LabSlice {
  /** This workspace's experiments, newest first. */
  experiments: Experiment[];
  labJobs: Record<Task, LabJob | null>;
  labErrors: Record<Task, string | null>;
  heads: Record<Task, ActiveHead | null>;
  learningCurves: Record<Task, LearningCurve | null>;
  biasReport: BiasView | null;
  /** The last grid run's id per task ("apply best" picks from its experiments). */
  lastGridRun: Record<Task, string | null>;
  addExperiments: (experiments: Experiment[]) => void;
  removeExperiment: (id: string) => void;
  /** Replaces them all (a workspace was opened). */
  setExperiments: (experiments: Experiment[]) => void;
  setLabJob: (task: Task, job: LabJob | null) => void;
  setLabError: (task: Task, error: string | null) => void;
  setHead: (task: Task, head: ActiveHead | null) => void;
  updateHead: (task: Task, patch: Partial<Pick<ActiveHead, 'inUse' | 'zeroShotWeight'>>) => void;
  setLearningCurve: (task: Task, curve: LearningCurve | null) => void;
  setBiasReport: (report: BiasView | null) => void;
  setLastGridRun: (task: Task, runId: string | null) => void;
}

const perTask = <T,>(value: T): Record<Task, T> => ({ image: value, audio: value });

export const createLabSlice: StateCreator<AppState, [], [], LabSlice> = (set) => ({
  experiments: [],
  labJobs: perTask(null),
  labErrors: perTask(null),
  heads: perTask(null),
  learningCurves: perTask(null),
  biasReport: null,
  lastGridRun: perTask(null),
  addExperiments: (added) => set((state) => ({ experiments: [...added, ...state.experiments] })),
  removeExperiment: (id) => set((state) => ({ experiments: state.experiments.filter((e) => e.id !== id) })),
  setExperiments: (experiments) => set({ experiments }),
  setLabJob: (task, job) => set((state) => ({ labJobs: { ...state.labJobs, [task]: job } })),
  setLabError: (task, error) => set((state) => ({ labErrors: { ...state.labErrors, [task]: error } })),
  setHead: (task, head) => set((state) => ({ heads: { ...state.heads, [task]: head } })),
  updateHead: (task, patch) =>
    set((state) => {
      const head = state.heads[task];
      return head ? { heads: { ...state.heads, [task]: { ...head, ...patch } } } : {};
    }),
  setLearningCurve: (task, curve) => set((state) => ({ learningCurves: { ...state.learningCurves, [task]: curve } })),
  setBiasReport: (biasReport) => set({ biasReport }),
  setLastGridRun: (task, runId) => set((state) => ({ lastGridRun: { ...state.lastGridRun, [task]: runId } })),
});
