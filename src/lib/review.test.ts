import { describe, expect, it } from 'vitest';
import {
  DEFAULT_REVIEW_VIEW,
  UNREVIEWED,
  evaluationOf,
  idsInCell,
  imageFolderTruths,
  reviewAfter,
  visibleIds,
  type ReviewableItem,
} from './review';

const cat = [
  { label: 'cat', score: 0.7 },
  { label: 'dog', score: 0.3 },
];

describe('reviewAfter', () => {
  it('accepts the top prediction, and does nothing without one', () => {
    expect(reviewAfter({ kind: 'accept' }, cat, UNREVIEWED)).toEqual({ decision: 'accepted', finalLabel: 'cat' });
    expect(reviewAfter({ kind: 'accept' }, [], UNREVIEWED)).toBe(UNREVIEWED);
  });

  it('treats picking the top prediction as accepting it, and another label as an override', () => {
    expect(reviewAfter({ kind: 'pick', label: ' Cat ' }, cat, UNREVIEWED)).toEqual({ decision: 'accepted', finalLabel: 'cat' });
    expect(reviewAfter({ kind: 'pick', label: 'dog' }, cat, UNREVIEWED)).toEqual({ decision: 'overridden', finalLabel: 'dog' });
    expect(reviewAfter({ kind: 'pick', label: 'dog' }, [], UNREVIEWED)).toEqual({ decision: 'overridden', finalLabel: 'dog' });
  });

  it('rejects ("none of these") and clears', () => {
    const accepted = { decision: 'accepted', finalLabel: 'cat' } as const;
    expect(reviewAfter({ kind: 'reject' }, cat, accepted)).toEqual({ decision: 'rejected', finalLabel: null });
    expect(reviewAfter({ kind: 'clear' }, cat, accepted)).toEqual(UNREVIEWED);
  });
});

function item(id: string, top: string | null, score: number, extra: Partial<ReviewableItem> = {}): ReviewableItem {
  return {
    id,
    predictions: top === null ? [] : [{ label: top, score }],
    decision: 'none',
    finalLabel: null,
    truth: null,
    ...extra,
  };
}

describe('visibleIds', () => {
  const items = {
    a: item('a', 'cat', 0.9, { truth: 'cat' }),
    b: item('b', 'dog', 0.4, { truth: 'cat', decision: 'accepted', finalLabel: 'dog' }),
    c: item('c', 'cat', 0.6, { truth: 'dog' }),
    d: item('d', null, 0),
    e: item('e', 'bird', 0.5, { truth: 'dog', decision: 'rejected' }),
  };
  const order = ['a', 'b', 'c', 'd', 'e'];
  const classes = ['cat', 'dog'];

  it('keeps the order added by default', () => {
    expect(visibleIds(order, items, DEFAULT_REVIEW_VIEW, classes)).toEqual(order);
  });

  it('sorts least sure first (unscored last) and most sure first', () => {
    expect(visibleIds(order, items, { ...DEFAULT_REVIEW_VIEW, sort: 'least-sure' }, classes)).toEqual(['b', 'e', 'c', 'a', 'd']);
    expect(visibleIds(order, items, { ...DEFAULT_REVIEW_VIEW, sort: 'most-sure' }, classes)).toEqual(['a', 'c', 'e', 'b', 'd']);
  });

  it('filters by status, predicted label and confidence range', () => {
    expect(visibleIds(order, items, { ...DEFAULT_REVIEW_VIEW, status: 'unreviewed' }, classes)).toEqual(['a', 'c', 'd']);
    expect(visibleIds(order, items, { ...DEFAULT_REVIEW_VIEW, status: 'reviewed' }, classes)).toEqual(['b', 'e']);
    expect(visibleIds(order, items, { ...DEFAULT_REVIEW_VIEW, status: 'rejected' }, classes)).toEqual(['e']);
    expect(visibleIds(order, items, { ...DEFAULT_REVIEW_VIEW, predicted: 'CAT' }, classes)).toEqual(['a', 'c']);
    expect(visibleIds(order, items, { ...DEFAULT_REVIEW_VIEW, minConfidence: 0.45, maxConfidence: 0.65 }, classes)).toEqual(['c', 'e']);
  });

  it('shows one confusion cell, the "none" column holding predictions outside the classes', () => {
    expect(visibleIds(order, items, { ...DEFAULT_REVIEW_VIEW, cell: { truth: 'cat', predicted: 'dog' } }, classes)).toEqual(['b']);
    expect(visibleIds(order, items, { ...DEFAULT_REVIEW_VIEW, cell: { truth: 'dog', predicted: 'cat' } }, classes)).toEqual(['c']);
    expect(visibleIds(order, items, { ...DEFAULT_REVIEW_VIEW, cell: { truth: 'dog', predicted: null } }, classes)).toEqual(['e']);
  });

  it('evaluates scored items only, by their top prediction', () => {
    const evaluation = evaluationOf(order, items);
    expect(evaluation.ids).toEqual(['a', 'b', 'c', 'e']);
    expect(evaluation.predicted).toEqual(['cat', 'dog', 'cat', 'bird']);
    expect([...idsInCell(evaluation, { truth: 'cat', predicted: 'cat' }, classes)]).toEqual(['a']);
  });
});

describe('imageFolderTruths', () => {
  it('takes the class folder under a shared root', () => {
    expect(imageFolderTruths(['shapes/red circle/1.png', 'shapes/blue cross/2.png', 'shapes/loose.png'])).toEqual([
      'red circle',
      'blue cross',
      null,
    ]);
  });

  it('takes class folders dropped directly, and gives no truth to loose files or a single folder', () => {
    expect(imageFolderTruths(['cat/1.png', 'dog/2.png'])).toEqual(['cat', 'dog']);
    expect(imageFolderTruths(['a.png', 'b.png'])).toEqual([null, null]);
    expect(imageFolderTruths(['cats/1.png', 'cats/2.png'])).toEqual([null, null]);
  });

  it('uses the innermost folder of deeper layouts', () => {
    expect(imageFolderTruths(['data/train/cat/1.png', 'data/train/dog/2.png'])).toEqual(['cat', 'dog']);
  });
});
