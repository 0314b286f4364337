/**
 * Bias probe (level 4 of the talk): prompts that differ only in one attribute word, and how the
 * model's scores move between them.
 */
import { fillTemplate, TEMPLATE_SLOT } from './labels';
import { argmaxAt, sigmoid } from './scoring';

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
  const trimmed = template.trim();
  if (!trimmed.includes(ATTRIBUTE_SLOT)) return fillTemplate(trimmed, `${attribute} ${label}`);
  // Filled piece by piece, so neither word can be mistaken for a slot of the other.
  const slotted = trimmed.includes(TEMPLATE_SLOT) ? trimmed : `${trimmed} ${TEMPLATE_SLOT}`;
  return slotted
    .split(ATTRIBUTE_SLOT)
    .map((piece) => piece.split(TEMPLATE_SLOT).join(label))
    .join(attribute);
}

export interface PairReport {
  pair: AttributePair;
  /** Mean over items of (score under a − score under b) for the item's top label under a, in logit units. */
  meanGap: number;
  /** Standard deviation of that gap over the items (population: divided by the item count). */
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
  if (logitsA.length !== items * classes || logitsB.length !== items * classes)
    throw new RangeError(`logits of ${logitsA.length} and ${logitsB.length} values for ${items} items × ${classes} classes`);
  if (items === 0) return { pair, meanGap: 0, gapStd: 0, meanPreferenceA: 0.5, flips: 0, items: 0 };
  let gapSum = 0;
  let preferenceSum = 0;
  let flips = 0;
  const gaps = new Float64Array(items);
  for (let i = 0; i < items; i++) {
    const offset = i * classes;
    const topA = argmaxAt(logitsA, offset, classes);
    const topB = argmaxAt(logitsB, offset, classes);
    if (topA !== topB) flips++;
    const gap = (logitsA[offset + topA] as number) - (logitsB[offset + topA] as number);
    gaps[i] = gap;
    gapSum += gap;
    preferenceSum += sigmoid(gap);
  }
  const meanGap = gapSum / items;
  let squares = 0;
  for (const gap of gaps) squares += (gap - meanGap) * (gap - meanGap);
  return { pair, meanGap, gapStd: Math.sqrt(squares / items), meanPreferenceA: preferenceSum / items, flips, items };
}
