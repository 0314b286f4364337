import { describe, expect, it } from 'vitest';
import { FruitlessCrashCounter, MAX_FRUITLESS_CRASHES } from './fruitlessCrashes';

describe('FruitlessCrashCounter', () => {
  it('sends the items again after one crash, and fails them after the second in a row with no result', () => {
    const counter = new FruitlessCrashCounter();
    expect(MAX_FRUITLESS_CRASHES).toBe(2);
    expect(counter.suspecting).toBe(false);
    expect(counter.crashed(['a', 'b'])).toEqual([]);
    expect(counter.suspecting).toBe(true);
    expect(counter.crashed(['a', 'b'])).toEqual(['a', 'b']);
    expect(counter.suspecting).toBe(false);
  });

  it('does not count a crash that came after a result: crashes with results in between never fail an item', () => {
    const counter = new FruitlessCrashCounter();
    for (let round = 0; round < 5; round++) {
      counter.answered();
      expect(counter.crashed(['a'])).toEqual([]);
    }
    // Then two with nothing in between.
    expect(counter.crashed(['a'])).toEqual([]);
    expect(counter.crashed(['a'])).toEqual(['a']);
  });

  it('fails only the items that were in flight at every crash since the last result', () => {
    const counter = new FruitlessCrashCounter();
    counter.answered();
    expect(counter.crashed(['a', 'b', 'c', 'd'])).toEqual([]);
    expect(counter.crashed(['b', 'c', 'd'])).toEqual([]);
    expect(counter.crashed(['c', 'd', 'e'])).toEqual(['c', 'd']);
    // Counting starts again once it has given up on some.
    expect(counter.crashed(['e'])).toEqual([]);
  });

  it('with no item in flight at both crashes, fails those of the last one', () => {
    const counter = new FruitlessCrashCounter();
    expect(counter.crashed(['a'])).toEqual([]);
    expect(counter.crashed(['b'])).toEqual(['b']);
  });

  it('forgets earlier crashes on reset (a new model)', () => {
    const counter = new FruitlessCrashCounter(3);
    counter.crashed(['a']);
    counter.crashed(['a']);
    counter.reset();
    expect(counter.suspecting).toBe(false);
    expect(counter.crashed(['a'])).toEqual([]);
    expect(counter.crashed(['a'])).toEqual([]);
    expect(counter.crashed(['a'])).toEqual(['a']);
  });
});
