/**
 * What the lab's UI asks of the lab (LabController implements it), and what the lab asks of each
 * task's model worker (each task's bridge provides a LabBackend). The lab imports no task
 * feature: src/app hands it the two backends.
 */
import type { AttributePair } from '../../../lib/biasProbe';
import type { HeadKind, LearningCurve, TrainedHead } from '../../../lib/fewShot';
import type { Task } from '../../../lib/tasks';
import type {
  BiasReport,
  BiasProbeRequest,
  GridSearchRequest,
  GridSearchResult,
  HeadSummary,
  LearningCurveRequest,
  TrainHeadRequest,
} from '../shared/labProtocol';

type Body<R> = Omit<R, 'type' | 'requestId'>;

export interface LabProgress {
  stage: string;
  done: number;
  total: number;
}

export interface LabCallOptions {
  signal?: AbortSignal;
  onProgress?: (progress: LabProgress) => void;
}

/** Implemented by each task's bridge (ClipBridge, AudioBridge). */
export interface LabBackend {
  gridSearch(request: Body<GridSearchRequest>, options?: LabCallOptions): Promise<GridSearchResult | null>;
  trainHead(request: Body<TrainHeadRequest>, options?: LabCallOptions): Promise<HeadSummary>;
  learningCurve(request: Body<LearningCurveRequest>, options?: LabCallOptions): Promise<LearningCurve | null>;
  exportHead(headId: string): Promise<{ head: TrainedHead; embedding: HeadSummary['embedding'] } | null>;
  importHead(headId: string, head: TrainedHead, embedding: HeadSummary['embedding']): Promise<HeadSummary>;
  /** Images only (audio backends leave it out). */
  biasProbe?(request: Body<BiasProbeRequest>, options?: LabCallOptions): Promise<BiasReport>;
}

export interface TrainHeadOptions {
  kind: HeadKind;
  /** truth: items with ground truth; decisions: the user's accepted and relabelled items. */
  source: 'truth' | 'decisions';
  initFromZeroShot: boolean;
  /**
   * At most this many training examples per class (a seeded stratified sample); the items with
   * truth left over measure the head. Null: every example.
   */
  examplesPerClass: number | null;
}

/** The lab as the UI sees it. Results and progress land in the store (labSlice). */
export interface LabService {
  /** Grid search over the given candidate templates for the task's current model and labels. */
  runGridSearch(task: Task, templates: string[]): Promise<void>;
  /** Saves the current configuration's evaluation as an experiment. */
  evaluateCurrent(task: Task): Promise<void>;
  cancel(task: Task): void;
  /** Sets the workspace to the experiment's configuration (templates, calibration, score rule); the items re-rank. */
  applyExperiment(id: string): void;
  /** Applies the grid's winner by cross-validated accuracy. */
  applyBest(task: Task): void;
  trainHead(task: Task, options: TrainHeadOptions): Promise<void>;
  exportHead(task: Task): Promise<void>;
  importHead(task: Task, file: File): Promise<void>;
  runLearningCurve(task: Task, heads: HeadKind[]): Promise<void>;
  runBiasProbe(template: string, pairs: AttributePair[]): Promise<void>;
}
