import { afterEach, describe, expect, it, vi } from 'vitest';
import { PatchBatcher } from './patchBatcher';

afterEach(() => vi.useRealTimers());

describe('PatchBatcher', () => {
  it('merges patches per id and applies them once per interval', () => {
    vi.useFakeTimers();
    const applied: Array<Map<string, Partial<{ a: number; b: number }>>> = [];
    const batcher = new PatchBatcher<{ a: number; b: number }>((patches) => applied.push(new Map(patches)), 50);
    batcher.add('x', { a: 1 });
    batcher.add('x', { b: 2 });
    batcher.add('y', { a: 3 });
    expect(applied).toHaveLength(0);
    vi.advanceTimersByTime(50);
    expect(applied).toEqual([new Map([['x', { a: 1, b: 2 }], ['y', { a: 3 }]])]);
  });

  it('flushes on demand and does nothing when empty', () => {
    const apply = vi.fn();
    const batcher = new PatchBatcher(apply, 50);
    batcher.flush();
    expect(apply).not.toHaveBeenCalled();
    batcher.add('x', { a: 1 });
    batcher.flush();
    expect(apply).toHaveBeenCalledTimes(1);
  });

  it('applies a requested flush without patches once, together with any patches that arrive meanwhile', () => {
    vi.useFakeTimers();
    const applied: Array<Map<string, Partial<{ a: number }>>> = [];
    const batcher = new PatchBatcher<{ a: number }>((patches) => applied.push(new Map(patches)), 50);
    batcher.requestFlush();
    batcher.requestFlush();
    vi.advanceTimersByTime(50);
    expect(applied).toEqual([new Map()]);
    batcher.requestFlush();
    batcher.add('x', { a: 1 });
    vi.advanceTimersByTime(50);
    expect(applied).toEqual([new Map(), new Map([['x', { a: 1 }]])]);
    // Nothing asked for since: the timer isn't even set again.
    vi.advanceTimersByTime(500);
    batcher.flush();
    expect(applied).toHaveLength(2);
  });
});
