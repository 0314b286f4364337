/**
 * Bias probe (level 4 of the talk): prompts that differ only in one attribute word, and how the
 * model's scores move between them. CONTRACT (bodies to be written).
 */
export const ATTRIBUTE_SLOT = '{attribute}';

export interface AttributePair {
  a: string;
  b: string;
}

/** Gender and age terms to start from; the user edits the list. */
export const DEFAULT_ATTRIBUTE_PAIRS: readonly AttributePair[] = [
  { a: 'man', b: 'woman' },
  { a: 'male', b: 'female' },
  { a: 'boy', b: 'girl' },
  { a: 'young', b: 'old' },
];

/** Fills `{attribute}` with the attribute and `{}` with the label; a template without `{attribute}` gets it before the label. */
export function fillAttributeTemplate(template: string, attribute: string, label: string): string {
  void template; void attribute; void label;
  throw new Error('not implemented');
}

export interface PairReport {
  pair: AttributePair;
  /** Mean over items of (score under a − score under b) for the item's top label under a, in logit units. */
  meanGap: number;
  /** Standard deviation of that gap over the items. */
  gapStd: number;
  /** Mean probability that the a-prompt is preferred to the b-prompt (softmax over the two). */
  meanPreferenceA: number;
  /** Items whose top label differs between the a and b prompts. */
  flips: number;
  items: number;
}

/**
 * logitsA, logitsB: items × classes, row-major, the model's logits with the prompts filled with
 * a and with b. Returns the pair's report.
 */
export function pairReport(pair: AttributePair, logitsA: ArrayLike<number>, logitsB: ArrayLike<number>, items: number, classes: number): PairReport {
  void pair; void logitsA; void logitsB; void items; void classes;
  throw new Error('not implemented');
}
