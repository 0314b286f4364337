/**
 * Which classifier produced an item's predictions: the prompts alone (zero-shot) or a few-shot
 * head trained on the embeddings (blended with the prompts by the user's weight).
 */
import { HEAD_KINDS, type HeadKind } from './fewShot';

export type ClassifierKind = 'zero-shot' | HeadKind;

export const CLASSIFIER_KINDS: readonly ClassifierKind[] = ['zero-shot', ...HEAD_KINDS];

const CLASSIFIER_NAMES: Record<ClassifierKind, string> = {
  'zero-shot': 'zero-shot',
  logistic: 'logistic regression',
  knn: 'k-nearest neighbours',
  'tip-adapter': 'Tip-Adapter',
};

/** How the classifier is named on an item's card and in the lab. */
export function classifierName(kind: ClassifierKind): string {
  return CLASSIFIER_NAMES[kind];
}
