/**
 * Review decisions on pre-labelled items, and the review view (sort, filters): pure functions the
 * store and the exports share. An item's pre-label is the model's top prediction.
 */
import { labelIdentity } from './labels';
import { itemsInCell } from './metrics';
import type { RankedLabel } from './scoring';
import type { ReviewDecision } from './exportRows';

export type { ReviewDecision } from './exportRows';

export const REVIEW_DECISIONS: readonly ReviewDecision[] = ['none', 'accepted', 'overridden', 'rejected'];

export interface Review {
  decision: ReviewDecision;
  /** The label a person settled on; null when undecided or "none of these". */
  finalLabel: string | null;
}

export const UNREVIEWED: Review = { decision: 'none', finalLabel: null };

export type ReviewAction =
  | { kind: 'accept' }
  | { kind: 'pick'; label: string }
  | { kind: 'reject' }
  | { kind: 'clear' };

/**
 * The review an action leaves: accepting takes the top prediction (nothing to accept without one);
 * picking the top prediction is an accept, picking another label an override.
 */
export function reviewAfter(action: ReviewAction, predictions: readonly RankedLabel[], current: Review): Review {
  const top = predictions[0]?.label ?? null;
  switch (action.kind) {
    case 'accept':
      return top === null ? current : { decision: 'accepted', finalLabel: top };
    case 'pick':
      return top !== null && labelIdentity(top) === labelIdentity(action.label)
        ? { decision: 'accepted', finalLabel: top }
        : { decision: 'overridden', finalLabel: action.label };
    case 'reject':
      return { decision: 'rejected', finalLabel: null };
    case 'clear':
      return UNREVIEWED;
  }
}

/** The item fields the review view reads (images and audio clips alike). */
export interface ReviewableItem {
  id: string;
  predictions: readonly RankedLabel[];
  decision: ReviewDecision;
  finalLabel: string | null;
  truth: string | null;
}

export type ReviewSort = 'added' | 'least-sure' | 'most-sure';
export type ReviewStatusFilter = 'all' | 'unreviewed' | 'reviewed' | ReviewDecision;

export interface ConfusionCell {
  truth: string;
  /** null: the "none" column (no prediction, or a prediction outside the classes). */
  predicted: string | null;
}

export interface ReviewView {
  sort: ReviewSort;
  status: ReviewStatusFilter;
  /** Only items whose top prediction is this label. */
  predicted: string | null;
  /** Top-prediction confidence range, inclusive, 0..1. */
  minConfidence: number;
  maxConfidence: number;
  /** Only the items of one confusion-matrix cell. */
  cell: ConfusionCell | null;
}

export const DEFAULT_REVIEW_VIEW: ReviewView = {
  sort: 'added',
  status: 'all',
  predicted: null,
  minConfidence: 0,
  maxConfidence: 1,
  cell: null,
};

export function topConfidence(item: Pick<ReviewableItem, 'predictions'>): number | null {
  return item.predictions[0]?.score ?? null;
}

function matchesStatus(item: ReviewableItem, status: ReviewStatusFilter): boolean {
  if (status === 'all') return true;
  if (status === 'unreviewed') return item.decision === 'none';
  if (status === 'reviewed') return item.decision !== 'none';
  return item.decision === status;
}

function sameLabel(a: string | null, b: string | null): boolean {
  return a === null || b === null ? a === b : labelIdentity(a) === labelIdentity(b);
}

/** The model's predictions against ground truth, over the items it has scored (parallel arrays). */
export interface Evaluation {
  ids: string[];
  truth: (string | null)[];
  predicted: (string | null)[];
}

/** Items count once the model has scored them; the prediction evaluated is the top one (the pre-label). */
export function evaluationOf<T extends ReviewableItem>(order: readonly string[], items: Readonly<Record<string, T>>): Evaluation {
  const evaluation: Evaluation = { ids: [], truth: [], predicted: [] };
  for (const id of order) {
    const item = items[id];
    const top = item?.predictions[0];
    if (!item || !top) continue;
    evaluation.ids.push(id);
    evaluation.truth.push(item.truth);
    evaluation.predicted.push(top.label);
  }
  return evaluation;
}

/** The ids in one confusion-matrix cell (the "none" column when `cell.predicted` is null). */
export function idsInCell(evaluation: Evaluation, cell: ConfusionCell, classes: readonly string[]): Set<string> {
  const indices = itemsInCell(evaluation.truth, evaluation.predicted, classes, cell.truth, cell.predicted);
  return new Set(indices.map((index) => evaluation.ids[index] as string));
}

/** The ids the view shows, in its order; `classes` are the labels a confusion cell refers to. */
export function visibleIds<T extends ReviewableItem>(
  order: readonly string[],
  items: Readonly<Record<string, T>>,
  view: ReviewView,
  classes: readonly string[],
): string[] {
  const shown: T[] = [];
  const inCell = view.cell === null ? null : idsInCell(evaluationOf(order, items), view.cell, classes);
  for (const id of order) {
    const item = items[id];
    if (!item || !matchesStatus(item, view.status)) continue;
    if (view.predicted !== null && !sameLabel(item.predictions[0]?.label ?? null, view.predicted)) continue;
    const confidence = topConfidence(item);
    const rangeIsFull = view.minConfidence <= 0 && view.maxConfidence >= 1;
    if (!rangeIsFull && (confidence === null || confidence < view.minConfidence || confidence > view.maxConfidence)) continue;
    if (inCell !== null && !inCell.has(id)) continue;
    shown.push(item);
  }
  if (view.sort !== 'added') {
    const direction = view.sort === 'least-sure' ? 1 : -1;
    // Unscored items go last either way; the sort is stable, so ties keep the order added.
    shown.sort((a, b) => {
      const ca = topConfidence(a);
      const cb = topConfidence(b);
      if (ca === null || cb === null) return ca === cb ? 0 : ca === null ? 1 : -1;
      return direction * (ca - cb);
    });
  }
  return shown.map((item) => item.id);
}

/**
 * The ground-truth class each item's folder path gives (ImageFolder layout: `<root>/<class>/<file>`).
 * A leading folder that every path shares is the picked or dropped root and is not a class; a file
 * with no folder left has no truth. Class folders dropped directly (`<class>/<file>`) work too.
 */
export function imageFolderTruths(paths: readonly string[]): (string | null)[] {
  const split = paths.map((path) => path.split('/').filter((segment) => segment !== ''));
  const first = split[0]?.[0];
  const sharedRoot = first !== undefined && split.length > 0 && split.every((segments) => segments.length > 1 && segments[0] === first);
  return split.map((segments) => {
    const folders = segments.slice(sharedRoot ? 1 : 0, -1);
    return folders.length > 0 ? (folders[folders.length - 1] as string) : null;
  });
}
