import { describe, expect, it } from 'vitest';
import { diffItems, isEmptyPlan, planWorkspaceWrite, sameOrder, sameSettings, type WorkspaceSnapshot } from './workspaceDiff';

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
