import type { HeadKind } from '../../../lib/fewShot';

export const HEAD_TITLES: Record<HeadKind, string> = {
  logistic: 'logistic regression',
  knn: 'k-nearest neighbours',
  'tip-adapter': 'Tip-Adapter',
};
