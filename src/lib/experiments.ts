/**
 * An experiment: one configuration evaluated on the items that have ground truth, as stored
 * with the workspace (IndexedDB), listed, compared and exported. CONTRACT: the type is fixed;
 * the schema (valibot) and the CSV/JSON writers are to be written here.
 */
import type { Calibration, TokenAggregation } from './audioScoring';
import type { HeadKind } from './fewShot';
import type { Task } from './tasks';

export type ExperimentKind = 'single' | 'ensemble' | 'greedy' | 'best-single' | 'current' | 'head';

export interface Experiment {
  id: string;
  /** The grid-search run it came from; null for a one-off evaluation or a head. */
  runId: string | null;
  task: Task;
  modelId: string;
  createdAt: number;
  kind: ExperimentKind;
  /** Short human name: the template, "ensemble of 80", "greedy: 3 templates", "logistic regression". */
  name: string;
  templates: string[];
  /** The labels text it was evaluated with (labels and their per-label prompts). */
  labelsText: string;
  labels: string[];
  calibration: Calibration | null;
  aggregation: TokenAggregation | null;
  classifier: 'zero-shot' | HeadKind;
  evaluated: number;
  accuracy: number;
  /** Cross-validated accuracy (see templateSearch); null when there were too few items per class. */
  cvAccuracy: number | null;
  macroF1: number | null;
  perClassRecall: Array<number | null>;
  perClassSupport: number[];
  /** confusion[truth][predicted], classes only. */
  confusion: number[][];
}
