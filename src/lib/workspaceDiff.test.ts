import { describe, expect, it } from 'vitest';
import { diffItems, isEmptyPlan, limitPlan, planWorkspaceWrite, sameOrder, sameSettings, snapshotAfter, type WorkspaceSnapshot } from './workspaceDiff';

interface Item {
  label: string;
}
type Snapshot = WorkspaceSnapshot<Item, Item, { labels: string }>;

const a: Item = { label: 'a' };
const b: Item = { label: 'b' };
const c: Item = { label: 'c' };

function snapshot(patch: Partial<Snapshot> = {}): Snapshot {
  return { images: { a, b }, imageOrder: ['a', 'b'], audio: {}, audioOrder: [], settings: { labels: 'x' }, ...patch };
}

describe('diffItems', () => {
  it('finds added, changed (new object) and removed items, and ignores untouched ones', () => {
    const diff = diffItems({ a, b }, { a, b: { ...b }, c });
    expect(diff).toEqual({ added: ['c'], changed: ['b'], removed: [] });
    expect(diffItems({ a, b }, { b })).toEqual({ added: [], changed: [], removed: ['a'] });
  });

  it('treats an equal-looking but replaced object as changed (the store replaces only what changed)', () => {
    expect(diffItems({ a }, { a: { label: 'a' } }).changed).toEqual(['a']);
  });
});

describe('planWorkspaceWrite', () => {
  it('is empty when nothing changed', () => {
    const saved = snapshot();
    expect(isEmptyPlan(planWorkspaceWrite(saved, { ...saved, imageOrder: ['a', 'b'], settings: { labels: 'x' } }))).toBe(true);
  });

  it('writes the workspace record when the order or settings change, without touching items', () => {
    const saved = snapshot();
    const reordered = planWorkspaceWrite(saved, snapshot({ imageOrder: ['b', 'a'] }));
    expect(reordered.workspaceChanged).toBe(true);
    expect(reordered.images).toEqual({ added: [], changed: [], removed: [] });
    expect(planWorkspaceWrite(saved, snapshot({ settings: { labels: 'y' } })).workspaceChanged).toBe(true);
  });

  it('separates image and audio items', () => {
    const plan = planWorkspaceWrite(snapshot(), snapshot({ audio: { c }, audioOrder: ['c'] }));
    expect(plan.audio.added).toEqual(['c']);
    expect(plan.images.added).toEqual([]);
    expect(plan.workspaceChanged).toBe(true);
    expect(isEmptyPlan(plan)).toBe(false);
  });
});

describe('sameOrder / sameSettings', () => {
  it('compares element by element', () => {
    expect(sameOrder(['a', 'b'], ['a', 'b'])).toBe(true);
    expect(sameOrder(['a', 'b'], ['a'])).toBe(false);
    expect(sameOrder(['a', 'b'], ['b', 'a'])).toBe(false);
  });
  it('notices a key present on one side only', () => {
    expect(sameSettings({ x: '1' }, { x: '1' })).toBe(true);
    expect(sameSettings<Record<string, string>>({ x: '1' }, { x: '1', y: '2' })).toBe(false);
  });
});

describe('limitPlan and snapshotAfter', () => {
  const snapshot = (images: Record<string, object>, audio: Record<string, object> = {}) => ({
    images,
    imageOrder: Object.keys(images),
    audio,
    audioOrder: Object.keys(audio),
    settings: { labels: 'a' },
  });

  it('writes a big save in parts, and the parts add up to the whole', () => {
    const kept = {};
    const saved = snapshot({ kept, gone: {} });
    const current = snapshot({ kept, n1: {}, n2: {}, n3: {} }, { c1: {} });
    const first = limitPlan(planWorkspaceWrite(saved, current), 2);
    expect(first.complete).toBe(false);
    expect(first.plan.images).toEqual({ added: ['n1', 'n2'], changed: [], removed: ['gone'] });
    expect(first.plan.audio.added).toEqual([]);
    const stored = snapshotAfter(saved, current, first.plan);
    expect(Object.keys(stored.images).sort()).toEqual(['kept', 'n1', 'n2']);
    const second = limitPlan(planWorkspaceWrite(stored, current), 2);
    expect(second.complete).toBe(true);
    expect(second.plan.images.added).toEqual(['n3']);
    expect(second.plan.audio.added).toEqual(['c1']);
    expect(isEmptyPlan(planWorkspaceWrite(snapshotAfter(stored, current, second.plan), current))).toBe(true);
  });

  it('takes changed items (metadata only) before added ones (with media)', () => {
    const saved = snapshot({ old1: {}, old2: {} });
    const current = snapshot({ new1: {}, old1: {}, old2: {}, new2: {} });
    const { plan, complete } = limitPlan(planWorkspaceWrite(saved, current), 3);
    expect(complete).toBe(false);
    expect(plan.images).toEqual({ added: ['new1'], changed: ['old1', 'old2'], removed: [] });
  });
});
